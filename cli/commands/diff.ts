import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { computeChangeSet, failures, prodTierPredicate } from '../../diff/changeset';
import { withBaseRefDist } from '../../diff/base-ref';
import { renderJson } from '../../diff/json';
import { GITHUB_COMMENT_LIMIT, renderMarkdown } from '../../diff/markdown';
import { FAIL_ON, FailOn } from '../../diff/model';
import { identicalFiles } from '../../diff/identical';
import type { CheckOutcome } from '../../diff/check-result';
import { PlanSummaries, parsePlanSummaries } from '../../diff/plans';
import { DistContents, DistReadError, readDist } from '../../contract/read';
import { distDigest, promotionLines, readPromotions } from '../../diff/promotion';
import { verifyChain, verifyConflictFree } from '../../diff/promotion-verify';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { oneOf, parse } from '../args';
import { Command, EXIT, Io, UsageError } from '../command';
import { projectRoot, resolveFrom } from '../project';

interface DiffOptions {
  readonly base: { readonly dist: string } | { readonly ref: string };
  readonly headDist: string;
  readonly format: 'markdown' | 'json';
  readonly output?: string;
  /** Also write the JSON report there (one comparison, two renderings). */
  readonly json?: string;
  readonly failOn: readonly FailOn[];
  readonly maxChars: number;
  readonly reportHint?: string;
  /** Evaluation time of the embedded policy check (as `tierkit check --now`). */
  readonly now: Date;
  /** A `tierkit check --format json` report of the head dist, instead of running the check here. */
  readonly checkReport?: string;
  readonly plans?: string;
  /** Promotion records to show first (--promotion; with --base-ref also the records the branch adds). */
  readonly promotions: readonly string[];
  /** A checkout of the rendered branch: the gated jobs' outcome logs (conflict_free is asked again from them). */
  readonly rendered?: string;
  readonly root: string;
}

/** Same form as `tierkit check --now`: a full instant with a zone, so the comment is reproducible. */
function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new UsageError(`--now must be an ISO-8601 instant with a zone, e.g. 2026-11-22T12:00:00Z (got "${value}")`);
  }
  return new Date(value);
}

function parseFailOn(value: string | undefined): FailOn[] {
  if (value === undefined) return [];
  const list = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const v of list) {
    if (!(FAIL_ON as readonly string[]).includes(v)) throw new UsageError(`--fail-on: unknown condition "${v}" (use a comma-separated list of ${FAIL_ON.join(', ')})`);
  }
  if (list.length === 0) throw new UsageError(`--fail-on needs at least one of ${FAIL_ON.join(', ')}`);
  return [...new Set(list)] as FailOn[];
}

function options(argv: readonly string[], io: Io): DiffOptions {
  const { values, positionals } = parse(argv, {
    'base-ref': { type: 'string' }, 'head-dist': { type: 'string' }, format: { type: 'string' }, output: { type: 'string' }, json: { type: 'string' },
    'fail-on': { type: 'string' }, 'max-chars': { type: 'string' }, 'report-hint': { type: 'string' }, verbose: { type: 'boolean' },
    now: { type: 'string' }, 'check-report': { type: 'string' }, plans: { type: 'string' }, promotion: { type: 'string', multiple: true },
    rendered: { type: 'string' },
  }, 2);
  const format = oneOf('format', values.format, ['markdown', 'json'] as const, 'markdown');
  const failOn = parseFailOn(values['fail-on']);
  const maxChars = values['max-chars'] === undefined ? GITHUB_COMMENT_LIMIT : Number(values['max-chars']);
  if (!Number.isInteger(maxChars) || maxChars < 2_000 || maxChars > GITHUB_COMMENT_LIMIT) {
    throw new UsageError(`--max-chars must be an integer from 2000 to ${GITHUB_COMMENT_LIMIT} (got "${values['max-chars']}")`);
  }
  const root = projectRoot(io.cwd);
  const common = { format, failOn, maxChars, output: values.output && resolveFrom(io.cwd, values.output), json: values.json && resolveFrom(io.cwd, values.json), reportHint: values['report-hint'],
    now: parseNow(values.now), checkReport: values['check-report'] && resolveFrom(io.cwd, values['check-report']), plans: values.plans && resolveFrom(io.cwd, values.plans),
    promotions: (values.promotion ?? []).map((f) => resolveFrom(io.cwd, f)), rendered: values.rendered && resolveFrom(io.cwd, values.rendered), root };
  if (values['base-ref'] !== undefined) {
    if (positionals.length > 0) throw new UsageError(`give either --base-ref or two dists, not both (got ${positionals.join(' ')})`);
    if (!values['base-ref']) throw new UsageError('--base-ref needs a git ref (e.g. origin/main)');
    const headDist = resolveFrom(io.cwd, values['head-dist'] ?? resolveFrom(root, 'dist'));
    return { ...common, base: { ref: values['base-ref'] }, headDist };
  }
  if (values['head-dist'] !== undefined) throw new UsageError('--head-dist goes with --base-ref; otherwise pass <base-dist> <head-dist>');
  if (positionals.length !== 2) throw new UsageError('pass <base-dist> <head-dist>, or --base-ref <git-ref>');
  return { ...common, base: { dist: resolveFrom(io.cwd, positionals[0]) }, headDist: resolveFrom(io.cwd, positionals[1]) };
}

function write(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Promotion records the branch adds or changes against the base ref (promotions/<app>/<id>.json). */
export function addedRecords(root: string, ref: string): string[] {
  let out: string;
  try {
    out = execFileSync('git', ['diff', '--name-only', '--diff-filter=AMR', ref, '--', 'promotions'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`cannot list the promotion records this branch adds against ${ref}: ${(err as Error).message}`);
  }
  const untracked = execFileSync('git', ['ls-files', '--others', '--exclude-standard', '--', 'promotions'], { cwd: root, encoding: 'utf8' });
  return [...out.split('\n'), ...untracked.split('\n')].filter((f) => /^promotions\/[^/]+\/[^/]+\.json$/.test(f)).map((f) => join(root, f));
}

/**
 * Promotion records the branch deletes against the base ref. A record is never deleted (an abort
 * ends a promotion): deleting an open one would hide it from conflict_free. Without rename
 * detection, so a record moved to another name (or app directory) counts as deleted too.
 */
export function deletedRecords(root: string, ref: string): string[] {
  let out: string;
  try {
    out = execFileSync('git', ['diff', '--name-only', '--no-renames', '--diff-filter=D', ref, '--', 'promotions'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    throw new Error(`cannot list the promotion records this branch deletes against ${ref}: ${(err as Error).message}`);
  }
  return out.split('\n').filter((f) => /^promotions\/[^/]+\/[^/]+\.json$/.test(f)).sort();
}

/** Read one side of the comparison; an unreadable dist says which side it is. */
// What the strict reader refuses but can read past (an unlisted file, an edited hash) is an
// attention item of that side, and `check` fails on it.
function readSide(side: 'base' | 'head', dir: string, skip: ReadonlySet<string>, origin?: string): DistContents {
  try {
    return readDist(dir, { skip });
  } catch (err) {
    const why = err instanceof DistReadError ? err.message : (err as Error)?.message ?? String(err);
    throw new Error(`the ${side} dist ${dir}${origin ? ` (${origin})` : ''} is unreadable: ${why}`);
  }
}

/** The head dist's check result; a check that cannot run is reported in the comment, not hidden. */
async function headCheck(o: DiffOptions): Promise<CheckOutcome> {
  try {
    if (o.checkReport) {
      const report = JSON.parse(readFileSync(o.checkReport, 'utf8'));
      if (!Array.isArray(report?.findings) || typeof report?.summary?.errors !== 'number') throw new Error(`${o.checkReport} is not a \`tierkit check --format json\` report`);
      return { report };
    }
    const { checkDist } = await import('../../policies/engine');
    return { report: await checkDist(o.headDist, { now: o.now }) };
  } catch (err) {
    return { error: (err as Error)?.message ?? String(err) };
  }
}

function readPlans(file: string | undefined): PlanSummaries | undefined {
  return file === undefined ? undefined : parsePlanSummaries(readFileSync(file, 'utf8'), file);
}

async function compare(o: DiffOptions, baseDir: string, io: Io): Promise<number> {
  const skip = identicalFiles(baseDir, o.headDist);
  const base = readSide('base', baseDir, skip, 'base' in o.base && 'ref' in o.base ? `synthesized from ${o.base.ref}` : undefined);
  const head = readSide('head', o.headDist, skip);
  const set = computeChangeSet(base, head);
  const plans = readPlans(o.plans);
  const records = [...new Set([...o.promotions, ...('ref' in o.base ? addedRecords(o.root, o.base.ref) : [])])];
  const promo = promotionLines(readPromotions(records), { base: distDigest(baseDir), head: distDigest(o.headDist) },
    (r) => ({ chain_ok: verifyChain(r, base.manifest, head.manifest), conflict_free: verifyConflictFree(r, o.root, head.manifest, o.rendered) }));
  for (const f of 'ref' in o.base ? deletedRecords(o.root, o.base.ref) : []) {
    promo.lines.push(`### ✗ The branch deletes the promotion record \`${f}\``, '', 'A promotion record is never deleted: abort the promotion instead (`tierkit promote --abort <id>`).', '');
    promo.problems.push(`the branch deletes promotion record ${f}: a record is never deleted (abort the promotion instead)`);
  }
  const out = o.format === 'json'
    ? renderJson(set)
    : renderMarkdown(set, base.manifest, head.manifest, { maxChars: o.maxChars, reportHint: o.reportHint, check: await headCheck(o), plans, top: promo.lines });
  if (o.json) write(o.json, renderJson(set));
  if (o.output) {
    write(o.output, out);
    io.err(`tierkit diff: ${set.identical ? 'no changes' : `${set.affectedStacks.length} stack(s) affected, ${set.attention.length} attention item(s)`} → ${o.output}`);
  } else {
    io.out(out.replace(/\n$/, ''));
  }
  // A promotion record that does not describe this change fails the diff whatever --fail-on says.
  const failed = [...promo.problems, ...failures(set, o.failOn, prodTierPredicate(base, head))];
  for (const f of failed) io.err(`tierkit diff: --fail-on: ${f}`);
  return failed.length > 0 ? EXIT.FAILED : EXIT.OK;
}

export const diffCommand: Command = {
  name: 'diff',
  summary: 'Semantic diff of two dists (PR comment Markdown or JSON with the affected stacks)',
  help: `Usage: tierkit diff <base-dist> <head-dist> [options]
       tierkit diff --base-ref <git-ref> [--head-dist <dir>] [options]

Compares two synthesized dists by meaning: Terraform resources by (stack, address), Kubernetes
objects by (apiVersion, kind, namespace, name), and the manifest (tiers, gates, sandboxes).
With --base-ref, the ref is synthesized in a temporary git worktree (removed afterwards).

Options:
  --base-ref <ref>        git ref to compare against (e.g. origin/main)
  --head-dist <dir>       the head dist with --base-ref (default: dist in the project root)
  --format <f>            markdown (PR comment, default) or json (full change set + affectedStacks)
  --output <file>         write there instead of stdout
  --json <file>           also write the full JSON report there
  --fail-on <list>        exit 1 when any holds: ${FAIL_ON.join(', ')} (comma-separated)
  --max-chars <n>         Markdown size limit (default ${GITHUB_COMMENT_LIMIT}, GitHub's comment limit)
  --report-hint <text>    where readers find the JSON report (shown when the comment is shortened)
  --now <instant>         evaluation time of the embedded policy check (as tierkit check --now;
                          default: the current time)
  --check-report <file>   use this \`tierkit check --format json\` report of the head dist instead of
                          running the check (the Markdown comment embeds its result)
  --promotion <file>      a promotion record (promotions/<app>/<id>.json) to show first; repeatable.
                          With --base-ref, the records the branch adds are shown without it. A
                          record whose head dist digest is not the head dist fails the diff (exit 1),
                          and so does one whose chain_ok or conflict_free does not hold when asked
                          again (the dists' promotion chain; the other records and their outcomes)
  --rendered <dir>        a checkout of the rendered branch, where the gated jobs log promotion
                          outcomes (<tier>/.tierkit-promotions/): without it, another promotion of
                          the app that has not ended cannot be told from one that has (refused)
  --plans <file>          plan summaries per stack: { "schemaVersion": 1, "plans": [{ "stack",
                          "create", "update", "delete", "replace" }] } (addresses per action)
  --verbose               print stack traces of unexpected errors
  -h, --help              show this help

Exit codes: 0 compared, 1 a --fail-on condition holds or a dist cannot be read, 2 usage error.`,

  async run(argv, io) {
    const o = options(argv, io);
    if ('dist' in o.base) return compare(o, o.base.dist, io);
    return withBaseRefDist(io.cwd, o.base.ref, (dist) => compare(o, dist, io));
  },
};
