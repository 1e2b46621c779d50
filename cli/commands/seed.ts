import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TierkitValidationError } from '../../constructs/errors';
import { SANITIZE_SCRIPT, SYNTHETIC_SEED_SCRIPT } from '../../constructs/lifecycle/seed-scripts';
import { sanitizeSql } from '../../constructs/sanitize';
import { environmentsOf } from '../../constructs/query';
import { syntheticSql } from '../../constructs/synthetic';
import { validateEstate } from '../../constructs/validation';
import { parse } from '../args';
import { Command, EXIT, Io, UsageError } from '../command';
import { loadEstate } from '../estate-entry';
import { configuredEntry, projectRoot, resolveFrom } from '../project';
import { ESTATE_OPTION } from '../sandbox-common';

export const seedCommand: Command = {
  name: 'seed',
  summary: 'Produce an app\'s synthetic seed (generator) or sanitized seed (profile, from the golden)',
  help: `Usage: tierkit seed generate <app> --out <dir> [--dump] [--estate <file>]
       tierkit seed sanitize <app> <dataset> --golden <seed.dump> --golden-hashes <file> --out <dir> [--estate <file>]

Writes <dir>/<app>.synthetic-<version>.sql from the app's declared generator (App.synthetic):
its schema, then its rows, byte-identical for the same declaration on any machine and run.
With --dump, loads that SQL into a throwaway PostgreSQL (initdb, pg_ctl, psql and pg_dump on
PATH, of the servers' major), refuses it unless every foreign key holds, and writes
<dir>/seed.dump and <dir>/seed.hashes (file_sha256, content_sha256). The content hash is the
seed's identity: it is the same on every run. Publish the dump to the seed store's
<exportRoot>/<app>/synthetic-<version>/ and its hashes to the seed's KV secret.

sanitize: produces sanitized:<dataset> from the golden dump, refused unless its sha256 is the
file_sha256 in --golden-hashes (the golden's published hashes); restores it into a throwaway
PostgreSQL, applies the app's profile (App.sanitized), and writes <dir>/seed.dump and
<dir>/seed.hashes only if no original value of a masked column survives, every foreign key holds
and every declared k-anonymity check is met.

Exit codes: 0 written, 1 invalid estate / no generator or profile / refused seed, 2 usage error.`,

  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      out: { type: 'string' }, dump: { type: 'boolean' }, golden: { type: 'string' }, 'golden-hashes': { type: 'string' }, verbose: { type: 'boolean' }, ...ESTATE_OPTION,
    }, 3);
    const sanitize = positionals[0] === 'sanitize';
    if (!(positionals[0] === 'generate' && positionals.length === 2) && !(sanitize && positionals.length === 3)) {
      throw new UsageError('pass generate <app>, or sanitize <app> <dataset>');
    }
    if (sanitize && (values.golden === undefined || values['golden-hashes'] === undefined)) throw new UsageError('pass --golden <seed.dump> and --golden-hashes <file>');
    if (values.out === undefined) throw new UsageError('pass --out <dir>');
    const app = positionals[1];
    const entry = values.estate !== undefined ? resolveFrom(io.cwd, values.estate) : configuredEntry(projectRoot(io.cwd));
    const estate = loadEstate(entry);
    const issues = validateEstate(estate);
    if (issues.length > 0) throw new TierkitValidationError(issues);
    const found = environmentsOf(estate).map((e) => e.app).find((a) => a.appName === app);
    if (!found) {
      io.err(`tierkit seed: the estate has no app "${app}"`);
      return EXIT.FAILED;
    }
    if (sanitize) {
      const profile = found.sanitized.find((p) => p.name === positionals[2]);
      if (!profile) {
        io.err(`tierkit seed: app "${app}" declares no sanitized profile "${positionals[2]}" (App.sanitized: ${found.sanitized.map((p) => p.name).join(', ') || 'none'})`);
        return EXIT.FAILED;
      }
      const dir = resolveFrom(io.cwd, values.out);
      mkdirSync(dir, { recursive: true });
      return runProducer(io, dir, SANITIZE_SCRIPT, {
        TIERKIT_GOLDEN_DUMP_FILE: resolveFrom(io.cwd, values.golden!), TIERKIT_GOLDEN_HASH_FILE: resolveFrom(io.cwd, values['golden-hashes']!),
        TIERKIT_SANITIZE_SQL: sanitizeSql(profile), TIERKIT_OBJECT_PREFIX: found.objectPrefix,
      });
    }
    if (!found.synthetic) {
      io.err(`tierkit seed: app "${app}" declares no synthetic generator (App.synthetic); declare its schema, tables and column generators`);
      return EXIT.FAILED;
    }
    const out = resolveFrom(io.cwd, values.out);
    mkdirSync(out, { recursive: true });
    const sql = syntheticSql(app, found.synthetic);
    const sqlFile = join(out, `${app}.synthetic-${found.synthetic.version}.sql`);
    writeFileSync(sqlFile, sql);
    io.out(`${sqlFile}: sha256 ${createHash('sha256').update(sql).digest('hex')}`);
    if (!values.dump) return EXIT.OK;
    return runProducer(io, out, SYNTHETIC_SEED_SCRIPT, { TIERKIT_SEED_SQL_FILE: sqlFile, TIERKIT_OBJECT_PREFIX: found.objectPrefix });
  },
};

/** Runs a seed producer script in a scratch directory of `out`; it writes seed.dump and seed.hashes there, or nothing. */
function runProducer(io: Io, out: string, script: string, vars: Record<string, string>): number {
  const scratch = mkdtempSync(join(out, '.scratch-'));
  try {
    const r = spawnSync('/bin/bash', ['-c', script], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C', ...vars, TIERKIT_SCRATCH_DIR: scratch,
        TIERKIT_DUMP_FILE: join(out, 'seed.dump'), TIERKIT_HASHES_FILE: join(out, 'seed.hashes'),
      },
    });
    if (r.status !== 0) {
      io.err(`tierkit seed: the seed was refused (exit ${r.status ?? r.signal}): ${(r.stderr || r.error?.message || '').trim()}`);
      return EXIT.FAILED;
    }
    io.out(r.stdout.trim());
    io.out(readFileSync(join(out, 'seed.hashes'), 'utf8').trim());
    return EXIT.OK;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
