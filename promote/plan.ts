/**
 * `tierkit promote`: move one env's release to the next env of the chain, on the current branch.
 * It never applies anything: it edits `apps/<app>.releases.json` and writes the promotion record;
 * the PR and the gated apply carry it out. Every refusal is a PromotionRefused naming the check or
 * input, and what to do; nothing is written then.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { App } from '../constructs/app';
import type { AppEnvironment } from '../constructs/app-environment';
import type { Estate } from '../constructs/estate';
import { TierkitValidationError, formatIssue } from '../constructs/errors';
import { canarySteps } from '../constructs/synth/rollout';
import { EnvRelease, Releases, RolloutStrategy, diffReleases, flattenRelease } from '../constructs/releases';
import { MIN_REASON_LENGTH, isReason } from '../contract/tiers';
import { CheckResult, PromotionRecord, RECORD_SCHEMA_VERSION, appRecords, recordPath, serializeRecord, withId } from '../contract/promotion-record';
import { finalOutcome, readOutcomes } from './outcomes';

export class PromotionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PromotionRefused';
  }
}

export interface PromoteRequest {
  readonly root: string;
  /** The estate program. */
  readonly entry: string;
  readonly app: string;
  readonly from: string;
  readonly to: string;
  readonly strategy?: RolloutStrategy;
  /** The image the requester means to promote: refused unless `from` runs exactly it. */
  readonly image?: string;
  readonly reason?: string;
  readonly requester: string;
  /** Where the gated jobs' outcomes are read from: a directory, or per record (its target tier's directory of a rendered-branch checkout). */
  readonly outcomes: string | ((r: PromotionRecord) => string);
  /** Evaluation time of the check (as `tierkit check --now`). */
  readonly now: Date;
  /** Loads the estate program (cli/estate-entry's loadEstate: kept out so this module never imports the CLI). */
  readonly loadEstate: (entry: string) => Estate;
}

export function releasesFile(root: string, app: string): string {
  return join(root, 'apps', `${app}.releases.json`);
}

export function readReleases(root: string, app: string): Releases {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(app)) throw new PromotionRefused(`unknown app "${app}": an app name is a DNS-1123 label (lowercase letters, digits, "-")`);
  const file = releasesFile(root, app);
  if (!existsSync(file)) {
    const dir = join(root, 'apps');
    const known = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.releases.json')).map((f) => f.replace(/\.releases\.json$/, '')).sort() : [];
    throw new PromotionRefused(`unknown app "${app}": there is no ${relative(root, file)} (apps with releases: ${known.join(', ') || 'none'}); give the App a releases file (docs/promotion.md)`);
  }
  try {
    return Releases.parse(readFileSync(file, 'utf8'), relative(root, file));
  } catch (err) {
    if (err instanceof TierkitValidationError) throw new PromotionRefused(`${relative(root, file)} is invalid:\n${err.issues.map(formatIssue).join('\n')}`);
    throw err;
  }
}

export function envRelease(r: Releases, env: string, root: string): EnvRelease {
  const rel = r.env(env);
  if (!rel) throw new PromotionRefused(`unknown env "${env}" of app ${r.app}: ${relative(root, releasesFile(root, r.app))} declares ${Object.keys(r.envs).join(', ')}`);
  return rel;
}

/** The moving part of a release: image, config, flags (the strategy is the target's, chosen per promotion). */
export function moves(target: EnvRelease, source: EnvRelease): PromotionRecord['moves'] {
  return diffReleases({ ...target, strategy: RolloutStrategy.IMMEDIATE }, { ...source, strategy: RolloutStrategy.IMMEDIATE });
}

function appOf(estate: Estate, name: string): App | undefined {
  return estate.node.children.find((c) => (c as App).appName === name && (c as App).environments !== undefined) as App | undefined;
}

/** Synthesize the estate, write it to a temp dir, run the check: the dist digest and the check's verdict. */
async function synthAndCheck(req: Pick<PromoteRequest, 'entry' | 'now' | 'loadEstate'>, label: string): Promise<{ digest: string; errors: string[] }> {
  const { assertValid } = await import('../constructs/validation');
  const { synthesize } = await import('../constructs/synth/synthesize');
  const { writeDist } = await import('../constructs/synth/write');
  const { checkDist } = await import('../policies/engine');
  const estate = req.loadEstate(req.entry);
  try {
    assertValid(estate);
  } catch (err) {
    if (err instanceof TierkitValidationError) return { digest: '', errors: err.issues.map(formatIssue) };
    throw err;
  }
  const dir = mkdtempSync(join(tmpdir(), `tierkit-promote-${label}-`));
  try {
    writeDist(dir, synthesize(estate).files);
    const digest = createHash('sha256').update(readFileSync(join(dir, 'manifest.json'))).digest('hex');
    const report = await checkDist(dir, { now: req.now });
    return { digest, errors: report.findings.filter((f) => f.severity === 'error' && !f.suppressed).map((f) => `${f.ruleId} ${f.message}`) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Promotions of the app still rolling out: no final outcome, not aborted. Unreadable outcomes fail closed. */
export function openPromotions(root: string, app: string, outcomes: PromoteRequest['outcomes']): { open: string[]; why: string } {
  const records = appRecords(root, app);
  const aborted = new Set(records.filter((r) => r.kind === 'abort' && r.aborts).map((r) => r.aborts!));
  const candidates = records.filter((r) => r.kind === 'promote' && !aborted.has(r.id));
  if (candidates.length === 0) return { open: [], why: `no other promotion of ${app} is recorded` };
  const dirOf = (r: PromotionRecord) => (typeof outcomes === 'string' ? outcomes : outcomes(r));
  const missing = candidates.filter((r) => !existsSync(dirOf(r)));
  if (typeof outcomes === 'string' && missing.length > 0) {
    return { open: candidates.map((r) => r.id), why: `the outcomes of ${candidates.map((r) => r.id).join(', ')} cannot be read (${outcomes} does not exist): whether they still roll out is unknown` };
  }
  const open = candidates.filter((r) => !finalOutcome(readOutcomes(dirOf(r), app, r.id))).map((r) => r.id);
  return { open, why: open.length > 0 ? `promotion ${open.join(', ')} of ${app} has no final outcome yet (still rolling out)` : `every earlier promotion of ${app} has ended` };
}

function stepsOf(estate: Estate, env: AppEnvironment, strategy: RolloutStrategy): Record<string, unknown>[] {
  if (strategy === RolloutStrategy.CANARY) return canarySteps(estate.promotion.canarySteps(env.tier));
  if (strategy === RolloutStrategy.BLUE_GREEN) {
    const human = estate.tier(env.tier).config.applyGate.human;
    return [{ preview: 'the new version behind the preview Service' }, { promote: human ? 'by a human (autoPromotionEnabled: false)' : 'automatically once the new version is ready' }];
  }
  return [{ rollingUpdate: 'the Deployment replaces its pods' }];
}

export interface PromotionPlan {
  readonly record: PromotionRecord;
  readonly releasesText: string;
  readonly files: { readonly releases: string; readonly record: string };
}

/** Decide and write a promotion; throws PromotionRefused (nothing written) when any check fails. */
export async function promote(req: PromoteRequest): Promise<PromotionPlan> {
  const { root, app, from, to } = req;
  const releases = readReleases(root, app);
  const source = envRelease(releases, from, root);
  const target = envRelease(releases, to, root);
  if (from === to) throw new PromotionRefused(`--from and --to are both "${from}": a promotion moves a release to another env`);
  const estate = req.loadEstate(req.entry);
  const appConstruct = appOf(estate, app);
  if (!appConstruct) throw new PromotionRefused(`app "${app}" has ${relative(root, releasesFile(root, app))} but the estate (${relative(root, req.entry)}) declares no such App`);
  const file = releasesFile(root, app);
  if (!appConstruct.releases || resolve(appConstruct.releases.file) !== resolve(file)) {
    throw new PromotionRefused(`app ${app} does not load ${relative(root, file)} (its releases prop is ${appConstruct.releases ? appConstruct.releases.file : 'not set'}): editing the file would change nothing; set releases: Releases.fromFile(join(__dirname, '${app}.releases.json'))`);
  }
  const fromEnv = appConstruct.environment(from);
  const toEnv = appConstruct.environment(to);
  if (!fromEnv || !toEnv) {
    throw new PromotionRefused(`unknown env "${!fromEnv ? from : to}": ${relative(root, file)} declares it, but app ${app} has no such env (${appConstruct.environments.map((e) => e.env).sort().join(', ')}); fix the releases file`);
  }
  for (const e of [fromEnv, toEnv]) {
    if (e.isSandbox) throw new PromotionRefused(`${e.slug} is a sandbox: sandboxes are not on the promotion chain (promote between the app's tier envs)`);
  }
  const strategy = req.strategy ?? target.strategy;
  const allowed = estate.promotion.strategies(toEnv.tier);
  if (!allowed.includes(strategy)) {
    throw new PromotionRefused(`strategy ${strategy.name} is forbidden on tier ${toEnv.tier.name} (allowed: ${allowed.map((s) => s.name).join(', ')}); pass --strategy ${allowed[0].name}`);
  }
  if (req.image !== undefined && source.image !== req.image) {
    throw new PromotionRefused(`--from ${from} does not run ${req.image}: ${app}-${from}'s release is ${source.image}; promote what ${from} runs, or promote ${req.image} into ${from} first`);
  }
  const moved = moves(target, source);
  if (Object.keys(moved.added).length + Object.keys(moved.removed).length + Object.keys(moved.modified).length === 0) {
    throw new PromotionRefused(`${to} already runs ${from}'s release (image, config and flags are equal): nothing to promote`);
  }

  const checks: Partial<Record<string, CheckResult>> = {};
  const path = estate.promotion.path(fromEnv.tier, toEnv.tier);
  const chainText = estate.promotion.chain.map((t) => t.name).join(' → ');
  if (!path) throw new PromotionRefused(`chain_ok failed: ${to} does not follow ${from} in the promotion chain (${chainText}; feeds: ${estate.promotion.feeds.map((f) => `${f.from.name} → ${f.tier.name}`).join(', ') || 'none'}); promote along the chain`);
  const skipped = path.slice(1, -1).map((t) => t.name);
  if (skipped.length > 0 && !isReason(req.reason)) {
    throw new PromotionRefused(`chain_ok failed: ${from} → ${to} skips ${skipped.join(', ')}; promote through them, or pass --reason "<why, at least ${MIN_REASON_LENGTH} characters>" (the record carries it)`);
  }
  checks.chain_ok = { ok: true, why: skipped.length > 0 ? `${to} follows ${from} through ${skipped.join(', ')}, skipped: ${req.reason!.trim()}` : `${to} follows ${from} in the chain (${chainText})` };

  const open = openPromotions(root, app, req.outcomes);
  if (open.open.length > 0) throw new PromotionRefused(`conflict_free failed: ${open.why}; wait for it to end, record its outcome, or abort it (tierkit promote --abort <id>)`);
  checks.conflict_free = { ok: true, why: open.why };

  const releasesText = releases.with(to, { ...source, strategy }).toJson();
  const dist = await rewriteChecked(req, file, releasesText, `fix the release of ${from} (or the estate) first`);
  checks.schema_valid = { ok: true, why: `the promoted estate synthesizes and passes check (0 errors)` };
  checks.health_ok = { ok: false, pending: true, why: `asked by the gated job that holds the Argo CD credential (tierkit promote --health <id>), never in the PR run: ${app}-${from} must be Synced, Healthy and run ${source.image}` };

  const record = withId({
    schemaVersion: RECORD_SCHEMA_VERSION, kind: 'promote', app, from, to, moves: moved,
    release: { before: flattenRelease(target), after: flattenRelease({ ...source, strategy }) },
    strategy: strategy.name, steps: stepsOf(estate, toEnv, strategy), checks: checks as PromotionRecord['checks'],
    ...(skipped.length > 0 ? { reason: req.reason!.trim() } : {}),
    dist: { base: dist.base, head: dist.head }, requester: req.requester,
  });
  const recordFile = recordPath(root, app, record.id);
  if (existsSync(recordFile)) {
    writeFileSync(file, dist.before);
    throw new PromotionRefused(`promotion ${record.id} is already recorded (${relative(root, recordFile)}): the same promotion of the same base`);
  }
  mkdirSync(dirname(recordFile), { recursive: true });
  writeFileSync(recordFile, serializeRecord(record));
  return { record, releasesText, files: { releases: file, record: recordFile } };
}

/**
 * Write `text` to the releases file, synthesize and check the estate before and after; restores
 * the file and throws PromotionRefused (schema_valid) when the result does not synthesize or fails check.
 */
export async function rewriteChecked(req: Pick<PromoteRequest, 'entry' | 'now' | 'loadEstate'>, file: string, text: string, fix: string): Promise<{ base: string; head: string; before: string }> {
  const before = readFileSync(file, 'utf8');
  const base = await synthAndCheck(req, 'base');
  if (base.digest === '') throw new PromotionRefused(`the estate is invalid before the change:\n${base.errors.join('\n')}`);
  let head: { digest: string; errors: string[] };
  writeFileSync(file, text);
  try {
    head = await synthAndCheck(req, 'head');
  } catch (err) {
    writeFileSync(file, before);
    throw err;
  }
  if (head.digest === '' || head.errors.length > 0) {
    writeFileSync(file, before);
    throw new PromotionRefused(`schema_valid failed: the changed estate ${head.digest === '' ? 'does not synthesize' : `fails check with ${head.errors.length} error(s)`}:\n${head.errors.slice(0, 10).join('\n')}\n${fix}`);
  }
  return { base: base.digest, head: head.digest, before };
}
