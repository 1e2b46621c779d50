import { execFileSync } from 'node:child_process';
import { relative } from 'node:path';
import { RolloutStrategy } from '../../constructs/releases';
import { canonicalJson } from '../../constructs/synth/serialize';
import * as naming from '../../constructs/naming';
import { abort } from '../../promote/abort';
import { askHealth } from '../../promote/health';
import { askRolloutOutcome } from '../../promote/rollout-outcome';
import { envTier, renderedOutcomesDir } from '../../contract/promotion-outcomes';
import { DistReadError, readManifest } from '../../contract/read';
import { join } from 'node:path';
import { FINAL_EVENTS, Outcome, OutcomeEvent, appendOutcome, finalOutcome, readOutcomes } from '../../promote/outcomes';
import { PromotionRefused, promote } from '../../promote/plan';
import { CHECK_NAMES, PromotionRecord, RecordError, findRecord } from '../../contract/promotion-record';
import { parse } from '../args';
import { Command, EXIT, Io, UsageError } from '../command';
import { loadEstate } from '../estate-entry';
import { configuredEntry, projectRoot, resolveFrom } from '../project';

const DEFAULT_OUTCOMES = '.tierkit/promotion-outcomes';
const RECORDABLE: readonly OutcomeEvent[] = ['approved', 'succeeded', 'failed'];

function parseNow(value: string | undefined): Date {
  if (value === undefined) return new Date();
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new UsageError(`--now must be an ISO-8601 instant with a zone, e.g. 2026-11-22T12:00:00Z (got "${value}")`);
  }
  return new Date(value);
}

/** Who asks: --requester, else the CI actor, else git's user.email. Never guessed. */
function requester(given: string | undefined, cwd: string): string {
  if (given !== undefined) {
    if (!given.trim()) throw new UsageError('--requester needs a name');
    return given.trim();
  }
  if (process.env.GITHUB_ACTOR) return process.env.GITHUB_ACTOR;
  try {
    const email = execFileSync('git', ['config', 'user.email'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (email) return email;
  } catch { /* no git identity */ }
  throw new UsageError('who requests this promotion? pass --requester <name> (or set git config user.email)');
}

function describe(r: PromotionRecord): string {
  const lines = [`${r.kind === 'abort' ? `abort of ${r.aborts}` : 'promotion'} ${r.id}: ${r.app} ${r.from} → ${r.to} (${r.strategy})`];
  for (const [k, v] of Object.entries(r.moves.modified)) lines.push(`  ~ ${k}: ${JSON.stringify(v.old)} → ${JSON.stringify(v.new)}`);
  for (const [k, v] of Object.entries(r.moves.added)) lines.push(`  + ${k}: ${JSON.stringify(v)}`);
  for (const [k, v] of Object.entries(r.moves.removed)) lines.push(`  - ${k}: ${JSON.stringify(v)}`);
  for (const c of CHECK_NAMES) {
    const x = r.checks[c];
    lines.push(`  ${x.pending ? '…' : x.ok ? '✓' : '✗'} ${c}: ${x.why}`);
  }
  if (r.reason) lines.push(`  reason: ${r.reason}`);
  lines.push(`  dist: base ${r.dist.base.slice(0, 12)} → head ${r.dist.head.slice(0, 12)}; requested by ${r.requester}`);
  return lines.join('\n');
}

export const promoteCommand: Command = {
  name: 'promote',
  summary: 'Move an env\'s release to the next env of the chain (edits apps/<app>.releases.json, writes promotions/<app>/<id>.json)',
  help: `Usage: tierkit promote <app> --from <env> --to <env> [--strategy immediate|canary|blue_green] [options]
       tierkit promote --status <id> [--outcomes <dir>] [--json]
       tierkit promote --abort <id> [--requester <name>]
       tierkit promote --health <id> --argocd-server <url> [--outcomes <dir>]     (gated job; token in ARGOCD_AUTH_TOKEN)
       tierkit promote --record-outcome <id> --event approved|succeeded|failed --why <text> --by <name> [--outcomes <dir>]
       tierkit promote --rollout-outcome <id> --argocd-server <url> [--wait-minutes <n>] [--outcomes <dir>]   (gated job)

Edits the releases file on the current branch — it never applies anything: the PR and the gated
apply do — and writes the promotion record promotions/<app>/<id>.json (deterministic id). Checks
schema_valid (the promoted estate synthesizes and passes check), chain_ok (--to follows --from in
the estate's chain; skipping tiers needs --reason), conflict_free (no other promotion of the app
without a final outcome); health_ok is asked by the gated job holding the Argo CD credential.

Options:
  --from, --to <env>       source and target envs of the app
  --strategy <s>           how the target takes it (default: the target's current strategy)
  --image <ref>            refuse unless --from runs exactly this image
  --reason <text>          why tiers of the chain are skipped (the record carries it)
  --requester <name>       who asks (default: $GITHUB_ACTOR, else git config user.email)
  --outcomes <dir>         outcome logs of the gated jobs (a checkout of the publisher's branch;
                           default: ${DEFAULT_OUTCOMES} in the project root)
  --rendered <dir>         a checkout of the rendered branch: each promotion's outcome log is read
                           from its target tier's <tier>/.tierkit-promotions/ (the tier from
                           dist/manifest.json), the paths only that tier's publisher may push
  --wait-minutes <n>       --rollout-outcome: keep asking while the target rolls out (default 0)
  --now <instant>          evaluation time of the check (default: now)
  --json                   print the record (or status) as JSON
  -h, --help               show this help

Exit codes: 0 done, 1 refused (nothing written) or unhealthy, 2 usage error.`,

  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      from: { type: 'string' }, to: { type: 'string' }, strategy: { type: 'string' }, image: { type: 'string' }, reason: { type: 'string' },
      requester: { type: 'string' }, outcomes: { type: 'string' }, now: { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean' },
      status: { type: 'string' }, abort: { type: 'string' }, health: { type: 'string' }, 'argocd-server': { type: 'string' },
      'record-outcome': { type: 'string' }, event: { type: 'string' }, why: { type: 'string' }, by: { type: 'string' },
      'rollout-outcome': { type: 'string' }, 'wait-minutes': { type: 'string' }, rendered: { type: 'string' },
    }, 1);
    const root = projectRoot(io.cwd);
    if (values.rendered !== undefined && values.outcomes !== undefined) throw new UsageError('give --outcomes <dir> or --rendered <checkout>, not both');
    const outcomes = values.rendered !== undefined ? renderedLocator(root, resolveFrom(io.cwd, values.rendered)) : resolveFrom(root, values.outcomes ?? DEFAULT_OUTCOMES);
    const modes = (['status', 'abort', 'health', 'record-outcome', 'rollout-outcome'] as const).filter((m) => values[m] !== undefined);
    if (modes.length > 1) throw new UsageError(`give one of --${modes.join(', --')}`);
    try {
      if (modes.length === 1 && positionals.length > 0) throw new UsageError(`--${modes[0]} takes a promotion id, not an app (got ${positionals[0]})`);
      if (values.status !== undefined) return status(values.status, root, outcomes, values.json === true, io);
      if (values.abort !== undefined) {
        const done = await abort({ root, entry: configuredEntry(root), id: values.abort, requester: requester(values.requester, io.cwd), now: parseNow(values.now), loadEstate });
        io.out(values.json ? canonicalJson(done.record).trimEnd() : `${describe(done.record)}\nwrote ${relative(root, done.files.releases)} and ${relative(root, done.files.record)}: open a pull request`);
        return EXIT.OK;
      }
      if (values.health !== undefined) return health(values.health, values['argocd-server'], root, outcomes, io);
      if (values['rollout-outcome'] !== undefined) return rolloutOutcome(values['rollout-outcome'], values['argocd-server'], values['wait-minutes'], root, outcomes, io);
      if (values['record-outcome'] !== undefined) {
        const event = values.event as OutcomeEvent;
        if (!RECORDABLE.includes(event)) throw new UsageError(`--event must be one of ${RECORDABLE.join(', ')} (got "${values.event ?? ''}")`);
        if (!values.why?.trim() || !values.by?.trim()) throw new UsageError('--record-outcome needs --why <text> and --by <name>');
        const { record } = findRecord(root, values['record-outcome']);
        const dir = dirOf(outcomes, record);
        appendOutcome(dir, record.app, record.id, { event, ok: event !== 'failed', why: values.why.trim(), by: values.by.trim() });
        io.out(`recorded ${event} for promotion ${record.id} in ${relative(root, dir) || dir}`);
        return EXIT.OK;
      }
      if (positionals.length !== 1) throw new UsageError('pass the app to promote: tierkit promote <app> --from <env> --to <env>');
      if (!values.from || !values.to) throw new UsageError('--from <env> and --to <env> are required');
      let strategy: RolloutStrategy | undefined;
      if (values.strategy !== undefined) {
        strategy = RolloutStrategy.of(values.strategy);
        if (!strategy) throw new UsageError(`--strategy must be one of ${RolloutStrategy.ALL.map((s) => s.name).join(', ')} (got "${values.strategy}")`);
      }
      const plan = await promote({
        root, entry: configuredEntry(root), app: positionals[0], from: values.from, to: values.to, strategy, image: values.image,
        reason: values.reason, requester: requester(values.requester, io.cwd), outcomes, now: parseNow(values.now), loadEstate,
      });
      io.out(values.json ? canonicalJson(plan.record).trimEnd() : `${describe(plan.record)}\nwrote ${relative(root, plan.files.releases)} and ${relative(root, plan.files.record)}: open a pull request`);
      return EXIT.OK;
    } catch (err) {
      if (err instanceof PromotionRefused || err instanceof RecordError) {
        io.err(`tierkit promote: ${err.message}\nnothing was written.`);
        return EXIT.FAILED;
      }
      throw err;
    }
  },
};

/** Where a record's outcome log lives: one directory, or the target tier's directory of a rendered checkout. */
type Outcomes = string | ((r: PromotionRecord) => string);
const dirOf = (o: Outcomes, r: PromotionRecord) => (typeof o === 'string' ? o : o(r));

function renderedLocator(root: string, rendered: string): (r: PromotionRecord) => string {
  return (r) => {
    let tier: string | undefined;
    try {
      tier = envTier(readManifest(join(root, 'dist')), r.app, r.to);
    } catch (err) {
      throw new RecordError(`--rendered needs dist/manifest.json to tell ${r.app}-${r.to}'s tier (${err instanceof DistReadError ? err.message : (err as Error).message}); run tierkit synth`);
    }
    if (!tier) throw new RecordError(`dist/manifest.json has no tier env ${r.app}-${r.to}: the outcome log of ${r.id} cannot be located; run tierkit synth`);
    return join(rendered, renderedOutcomesDir(tier));
  };
}

function status(id: string, root: string, outcomes: Outcomes, json: boolean, io: Io): number {
  const { record } = findRecord(root, id);
  const dir = dirOf(outcomes, record);
  const events: Outcome[] = readOutcomes(dir, record.app, record.id);
  const final = finalOutcome(events);
  const state = record.kind === 'abort' ? 'abort' : final ? final.event : 'rolling_out';
  if (json) {
    io.out(canonicalJson({ record, events, state }).trimEnd());
    return EXIT.OK;
  }
  io.out(describe(record));
  io.out(`  state: ${state}${events.length === 0 ? ` (no outcome recorded in ${relative(root, dir) || dir})` : ''}`);
  for (const e of events) io.out(`  ${e.event}${FINAL_EVENTS.includes(e.event) ? ' (final)' : ''}: ${e.ok ? 'ok' : 'not ok'} — ${e.why} (by ${e.by})`);
  return EXIT.OK;
}

/** The gated job's question to Argo CD; a failing answer ends the promotion (refused) and exits 1. */
async function health(id: string, server: string | undefined, root: string, outcomes: Outcomes, io: Io): Promise<number> {
  if (!server || !/^https?:\/\//.test(server)) throw new UsageError('--health needs --argocd-server <url> (https://argocd.example)');
  const token = process.env.ARGOCD_AUTH_TOKEN;
  if (!token) throw new UsageError('--health needs the Argo CD token in ARGOCD_AUTH_TOKEN (only the gated job holds it)');
  const { record } = findRecord(root, id);
  if (record.kind !== 'promote') throw new RecordError(`${id} is an abort record: health is asked of promotions`);
  const image = record.release.after.image as string;
  const result = await askHealth({ server, token, application: naming.argoApplicationName({ app: record.app, env: record.from }), image });
  const dir = dirOf(outcomes, record);
  appendOutcome(dir, record.app, record.id, { event: 'health', ok: result.ok, why: result.why, by: 'tierkit promote --health' });
  if (!result.ok) {
    appendOutcome(dir, record.app, record.id, { event: 'refused', ok: false, why: `health_ok failed: ${result.why}`, by: 'tierkit promote --health' });
    io.err(`tierkit promote: health_ok failed for ${record.id}: ${result.why}; the promotion is refused (recorded). Fix ${record.app}-${record.from}, then promote again.`);
    return EXIT.FAILED;
  }
  io.out(`health_ok for ${record.id}: ${result.why}`);
  return EXIT.OK;
}

/** The gated job's question about the target after its tier was published: succeeded, failed, or still rolling out (nothing final recorded). */
async function rolloutOutcome(id: string, server: string | undefined, wait: string | undefined, root: string, outcomes: Outcomes, io: Io): Promise<number> {
  if (!server || !/^https?:\/\//.test(server)) throw new UsageError('--rollout-outcome needs --argocd-server <url> (https://argocd.example)');
  const minutes = wait === undefined ? 0 : Number(wait);
  if (!Number.isInteger(minutes) || minutes < 0 || minutes > 300) throw new UsageError(`--wait-minutes must be a whole number from 0 to 300 (got "${wait}")`);
  const token = process.env.ARGOCD_AUTH_TOKEN;
  if (!token) throw new UsageError('--rollout-outcome needs the Argo CD token in ARGOCD_AUTH_TOKEN (only the gated job holds it)');
  const { record } = findRecord(root, id);
  if (record.kind !== 'promote') throw new RecordError(`${id} is an abort record: a rollout outcome is asked of promotions`);
  const dir = dirOf(outcomes, record);
  const ended = finalOutcome(readOutcomes(dir, record.app, record.id));
  if (ended) {
    io.out(`promotion ${record.id} already ended (${ended.event}): nothing asked`);
    return EXIT.OK;
  }
  const application = naming.argoApplicationName({ app: record.app, env: record.to });
  const answer = await askRolloutOutcome({ server, token, application, image: record.release.after.image as string, waitMs: minutes * 60_000 });
  if (answer.state === 'rolling_out') {
    io.out(`promotion ${record.id} is still rolling out into ${record.app}-${record.to} (${answer.why}): no final outcome recorded; ask again later, or record it with tierkit promote --record-outcome ${record.id}`);
    return EXIT.OK;
  }
  appendOutcome(dir, record.app, record.id, { event: answer.state, ok: answer.state === 'succeeded', why: answer.why, by: 'tierkit promote --rollout-outcome' });
  io.out(`recorded ${answer.state} for promotion ${record.id}: ${answer.why}`);
  return answer.state === 'succeeded' ? EXIT.OK : EXIT.FAILED;
}
