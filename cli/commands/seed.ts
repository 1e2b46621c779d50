import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TierkitValidationError } from '../../constructs/errors';
import { SYNTHETIC_SEED_SCRIPT } from '../../constructs/lifecycle/seed-scripts';
import { environmentsOf } from '../../constructs/query';
import { syntheticSql } from '../../constructs/synthetic';
import { validateEstate } from '../../constructs/validation';
import { parse } from '../args';
import { Command, EXIT, UsageError } from '../command';
import { loadEstate } from '../estate-entry';
import { configuredEntry, projectRoot, resolveFrom } from '../project';
import { ESTATE_OPTION } from '../sandbox-common';

export const seedCommand: Command = {
  name: 'seed',
  summary: 'Produce an app\'s synthetic seed from its declared generator (SQL, then dump and hashes)',
  help: `Usage: tierkit seed generate <app> --out <dir> [--dump] [--estate <file>]

Writes <dir>/<app>.synthetic-<version>.sql from the app's declared generator (App.synthetic):
its schema, then its rows, byte-identical for the same declaration on any machine and run.
With --dump, loads that SQL into a throwaway PostgreSQL (initdb, pg_ctl, psql and pg_dump on
PATH, of the servers' major), refuses it unless every foreign key holds, and writes
<dir>/seed.dump and <dir>/seed.hashes (file_sha256, content_sha256). The content hash is the
seed's identity: it is the same on every run. Publish the dump to the seed store's
<exportRoot>/<app>/synthetic-<version>/ and its hashes to the seed's KV secret.

Exit codes: 0 written, 1 invalid estate / no generator / refused seed, 2 usage error.`,

  async run(argv, io) {
    const { values, positionals } = parse(argv, { out: { type: 'string' }, dump: { type: 'boolean' }, verbose: { type: 'boolean' }, ...ESTATE_OPTION }, 2);
    if (positionals[0] !== 'generate' || positionals.length !== 2) throw new UsageError('pass generate <app>');
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
    const scratch = mkdtempSync(join(out, '.scratch-'));
    try {
      const r = spawnSync('/bin/bash', ['-c', SYNTHETIC_SEED_SCRIPT], {
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C', TIERKIT_SEED_SQL_FILE: sqlFile, TIERKIT_SCRATCH_DIR: scratch,
          TIERKIT_DUMP_FILE: join(out, 'seed.dump'), TIERKIT_HASHES_FILE: join(out, 'seed.hashes'), TIERKIT_OBJECT_PREFIX: found.objectPrefix,
        },
      });
      if (r.status !== 0) {
        io.err(`tierkit seed: the synthetic seed was refused (exit ${r.status ?? r.signal}): ${(r.stderr || r.error?.message || '').trim()}`);
        return EXIT.FAILED;
      }
      io.out(r.stdout.trim());
      io.out(readFileSync(join(out, 'seed.hashes'), 'utf8').trim());
      return EXIT.OK;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  },
};
