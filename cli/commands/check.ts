import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { parse, oneOf } from '../args';
import { Command, EXIT, UsageError } from '../command';
import { projectRoot, resolveFrom } from '../project';

const FORMATS = ['text', 'json', 'sarif', 'junit'] as const;
type Format = (typeof FORMATS)[number];

export interface CheckOptions {
  readonly dist: string;
  readonly format: Format;
  readonly output?: string;
  readonly now: Date;
  /** Where the estate repo's own rules are (policies/ in the project root). */
  readonly rulesDir: string;
  /** Write the sha256 of dist/ as judged (before any repo code ran in check) to this file. @default - not written */
  readonly digestOut?: string;
  /** Only recompute dist/'s sha256 and refuse (exit 1) unless it is this one. @default - judge dist/ */
  readonly verifyDigest?: string;
}

/** Parse and validate every flag before anything is read or written. */
export function parseCheckArgs(argv: readonly string[], cwd: string, clock: () => Date = () => new Date()): CheckOptions {
  const { values, positionals } = parse(argv, {
    format: { type: 'string' }, output: { type: 'string' }, now: { type: 'string' }, verbose: { type: 'boolean' }, rules: { type: 'string' },
    'digest-out': { type: 'string' }, 'verify-digest': { type: 'string' },
  }, 1);
  if (values.rules === '') throw new UsageError('--rules needs a directory');
  const format = oneOf('format', values.format, FORMATS, 'text');
  let now = clock();
  if (values.now !== undefined) {
    // A full ISO-8601 instant only: a bare date or a local time would make reports machine-dependent.
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(values.now) || Number.isNaN(Date.parse(values.now))) {
      throw new UsageError(`--now must be an ISO-8601 instant with a zone, e.g. 2026-11-22T12:00:00Z (got "${values.now}")`);
    }
    now = new Date(values.now);
  }
  if (values.output === '') throw new UsageError('--output needs a file path');
  const dist = positionals[0] !== undefined ? resolveFrom(cwd, positionals[0]) : resolveFrom(projectRoot(cwd), 'dist');
  const rulesDir = values.rules !== undefined ? resolveFrom(cwd, values.rules) : resolveFrom(projectRoot(cwd), 'policies');
  if (values['digest-out'] === '') throw new UsageError('--digest-out needs a file path');
  const verifyDigest = values['verify-digest'];
  if (verifyDigest !== undefined && !/^[0-9a-f]{64}$/.test(verifyDigest)) {
    throw new UsageError(`--verify-digest must be the 64 lowercase hex digits \`check --digest-out\` wrote (got "${verifyDigest}")`);
  }
  return {
    dist, format, output: values.output === undefined ? undefined : resolveFrom(cwd, values.output), now, rulesDir,
    ...(values['digest-out'] !== undefined ? { digestOut: resolveFrom(cwd, values['digest-out']) } : {}),
    ...(verifyDigest !== undefined ? { verifyDigest } : {}),
  };
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'Run the policy rules over a synthesized dist/ (text, JSON, SARIF or JUnit report)',
  help: `Usage: tierkit check [dist] [--format text|json|sarif|junit] [--output <file>] [--now <ISO instant>]

Reads dist/ (manifest.json, every Terraform stack and Kubernetes manifest in it, listed or not),
builds the estate graph and evaluates the rule pack (docs/policies.md). Suppressed findings and
reasoned exceptions are shown in every format.

Arguments:
  dist              directory to check (default: dist in the project root, the nearest
                    directory holding cdktf.json)
Options:
  --format <f>      text (default), json, sarif (2.1.0, for GitHub code scanning) or junit
  --output <file>   write the report to <file> instead of stdout (the text summary line still
                    goes to stdout)
  --now <instant>   evaluation time for sandbox expiry, e.g. 2026-11-22T12:00:00Z
                    (default: the current time)
  --rules <dir>     the estate repo's own rules, one per file named <ID>-<name>.ts, e.g.
                    ACME001-image-pinned.ts (default: policies in the project root); they run
                    in a separate process and are reported like the built-in rules; dist/ is
                    read before they run, and a file they change in it is a TK020 error
  --digest-out <f>  write the sha256 of dist/ as judged (taken before any repo code ran in
                    check) to <f>: CI recomputes it where it uploads dist/
  --verify-digest <sha256>
                    judge nothing: recompute dist/'s sha256 and exit 1 unless it is <sha256>
  --verbose         print stack traces of unexpected errors
  -h, --help        show this help

Exit codes: 0 no unsuppressed error finding, 1 error findings (or unreadable dist), 2 usage error.`,

  async run(argv, io) {
    const options = parseCheckArgs(argv, io.cwd);
    if (options.verifyDigest !== undefined) return verifyDigest(options.dist, options.verifyDigest, io);
    if (!existsSync(join(options.dist, 'manifest.json'))) {
      throw new UsageError(`${options.dist} holds no manifest.json: run \`tierkit synth\` first, or pass the dist directory`);
    }
    // Loaded after the flags are validated: a usage error never pays for the WASM parser.
    // require, not import(): the same in the compiled CommonJS and under tsx's require hook.
    const { evaluateDist, loadDist } = require('../../policies/engine') as typeof import('../../policies/engine');
    const { failing } = require('../../policies/report/finding') as typeof import('../../policies/report/finding');
    const { RULES } = require('../../policies/rules') as typeof import('../../policies/rules');
    const { findUserRules, runUserRules } = require('../../policies/user-rules') as typeof import('../../policies/user-rules');
    const { distChanges, distFingerprint, fingerprintDigest } = require('../../policies/dist/fingerprint') as typeof import('../../policies/dist/fingerprint');
    // The repo's own rules run in a child process, with this process's file-system rights. Before
    // any of their code runs, everything the built-in rules need is in memory — dist/ read, the
    // renderer loaded — and dist/ is fingerprinted: a user rule rewriting it (and its hashes)
    // changes neither what is judged nor the report, and the change itself is a TK020 error.
    // A process they start may outlive check (a detached grandchild), so no re-read proves what is
    // there later: --digest-out binds the verdict to dist/ as it was before any of it ran, and CI
    // refuses to upload another dist/ (--verify-digest).
    const userRuleFiles = findUserRules(options.rulesDir);
    const before = userRuleFiles.length > 0 || options.digestOut !== undefined ? distFingerprint(options.dist) : undefined;
    const loaded = await loadDist(options.dist);
    const render = renderer(options, io.cwd);
    const userRules = await runUserRules(options.dist, options.now, userRuleFiles);
    const during = userRuleFiles.length > 0 ? `the repo's own rules (${userRuleFiles.map((r) => r.id).join(', ')})` : 'check\'s read of dist/';
    const changed = before ? distChanges(before, distFingerprint(options.dist), during) : [];
    if (before && options.digestOut !== undefined) {
      mkdirSync(dirname(options.digestOut), { recursive: true });
      writeFileSync(options.digestOut, `${fingerprintDigest(before)}\n`);
    }
    const judged = changed.length > 0 && 'contents' in loaded ? { contents: { ...loaded.contents, problems: [...loaded.contents.problems, ...changed] } } : loaded;
    const report = evaluateDist(judged, { now: options.now, rules: [...RULES, ...userRules] });
    const text = render(report);
    if (options.output) {
      mkdirSync(dirname(options.output), { recursive: true });
      const tmp = `${options.output}.tmp-${process.pid}`;
      writeFileSync(tmp, text.endsWith('\n') ? text : `${text}\n`);
      renameSync(tmp, options.output);
      const s = report.summary;
      io.out(`tierkit check: ${s.errors} errors, ${s.warnings} warnings, ${s.suppressed} suppressed → ${options.output}`);
    } else {
      io.out(text.replace(/\n$/, ''));
    }
    return failing(report).length > 0 ? EXIT.FAILED : EXIT.OK;
  },
};

type Report = import('../../policies/report/finding').CheckReport;

/** `--verify-digest`: dist/ now, fingerprinted as check fingerprinted it (links and special files included), against the digest check wrote. */
function verifyDigest(dist: string, expected: string, io: Parameters<Command['run']>[1]): number {
  const { distFingerprint, fingerprintDigest } = require('../../policies/dist/fingerprint') as typeof import('../../policies/dist/fingerprint');
  const actual = fingerprintDigest(distFingerprint(dist));
  if (actual === expected) {
    io.out(`tierkit check: ${dist} is the dist/ check judged (sha256 ${actual})`);
    return EXIT.OK;
  }
  io.err(`tierkit check: ${dist} has sha256 ${actual}, but check judged ${expected}: dist/ changed after it was judged (a process the estate's code or a repo rule started?); `
    + 'refusing it. Fix: find what writes dist/ after synth, then synth and check again');
  return EXIT.FAILED;
}

/** The renderer of `options.format`, loaded now: no module is loaded after the repo's own rules ran. */
function renderer(options: CheckOptions, cwd: string): (report: Report) => string {
  switch (options.format) {
    case 'text': return (require('../../policies/report/text') as typeof import('../../policies/report/text')).renderText;
    case 'json': return (require('../../policies/report/json') as typeof import('../../policies/report/json')).renderJson;
    case 'junit': return (require('../../policies/report/junit') as typeof import('../../policies/report/junit')).renderJunit;
    case 'sarif': {
      const root = projectRoot(cwd);
      const rel = relative(root, options.dist).split(sep).join('/');
      const uriPrefix = rel === '' ? '' : rel.startsWith('..') ? `${options.dist.split(sep).join('/')}/` : `${rel}/`;
      const { renderSarif } = require('../../policies/report/sarif') as typeof import('../../policies/report/sarif');
      return (report) => renderSarif(report, {
        uriPrefix,
        readFile: (file) => {
          try { return readFileSync(join(options.dist, file), 'utf8'); } catch { return undefined; }
        },
      });
    }
  }
}
