import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Releases, flattenRelease } from '../../constructs/releases';
import type { Manifest } from '../../contract/manifest';
import { renderedOutcomesDir } from '../../contract/promotion-outcomes';
import { PromotionRecord, serializeRecord, withId } from '../../contract/promotion-record';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { moves } from '../../promote/plan';
import { testTmp } from '../setup/tmpdir';
import { runStep, step, testSigningKey, Workflow, workflows } from './support';

/**
 * The generated promotion steps of the apply workflow, run for real: bash, git against a bare
 * repository standing in for GitHub (main and the rendered branch), the real CLI, and an HTTP
 * stand-in for Argo CD's Application API.
 */
const ROOT = resolve(__dirname, '..', '..');
const TIERKIT = `${process.execPath} ${join(ROOT, 'node_modules/tsx/dist/cli.mjs')} ${join(ROOT, 'cli/main.ts')}`;
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.test', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

let manifest: Manifest;
let files: Record<string, string>;
let apply: Workflow;
let origin: string;
let before: string;
let after: string;
let record: PromotionRecord;
let server: Server;
let argo = '';
/** Application name → what Argo CD answers for it. */
const apps = new Map<string, unknown>();
const asked: string[] = [];
const BRANCH = () => manifest.estate.argocd.targetRevision;

beforeAll(async () => {
  const out = synthesize(estate());
  manifest = out.manifest;
  files = Object.fromEntries([...out.files].map(([rel, text]) => [`dist/${rel}`, text]));
  apply = workflows(manifest).apply;
  const root = testTmp('ci', `promotion-${process.pid}`);
  origin = join(root, 'origin.git');
  const src = join(root, 'src');
  mkdirSync(join(src, 'promotions/crm'), { recursive: true });
  git(root, 'init', '-q', '--bare', origin);
  git(src, 'init', '-q', '-b', 'main');
  writeFileSync(join(src, 'cdktf.json'), '{}\n');
  git(src, 'add', '.');
  git(src, 'commit', '-qm', 'before');
  before = git(src, 'rev-parse', 'HEAD');
  const rel = Releases.fromFile(join(ROOT, 'apps/crm.releases.json'));
  const [dev, staging] = [rel.env('dev')!, rel.env('staging')!];
  record = withId({
    schemaVersion: 1, kind: 'promote', app: 'crm', from: 'dev', to: 'staging', moves: moves(staging, dev),
    release: { before: flattenRelease(staging), after: flattenRelease({ ...dev, strategy: staging.strategy }) }, strategy: staging.strategy.name,
    steps: [{ rollingUpdate: 'the Deployment replaces its pods' }],
    checks: { schema_valid: { ok: true, why: 'passes' }, chain_ok: { ok: true, why: 'staging follows dev' }, conflict_free: { ok: true, why: 'none open' }, health_ok: { ok: false, pending: true, why: 'asked by the gated job' } },
    dist: { base: 'a'.repeat(64), head: 'b'.repeat(64) }, requester: 'alice',
  } as Omit<PromotionRecord, 'id'>);
  writeFileSync(join(src, 'promotions/crm', `${record.id}.json`), serializeRecord(record));
  git(src, 'add', '.');
  git(src, 'commit', '-qm', 'promote crm dev → staging');
  after = git(src, 'rev-parse', 'HEAD');
  git(src, 'push', '-q', origin, 'main');
  // The rendered branch as the publish jobs left it.
  git(src, 'checkout', '-q', '--orphan', 'rendered');
  git(src, 'rm', '-rq', '--cached', '.');
  mkdirSync(join(src, 'staging'), { recursive: true });
  writeFileSync(join(src, 'staging/crm-staging.k8s.yaml'), 'kind: List\n');
  git(src, 'add', 'staging');
  git(src, 'commit', '-qm', 'tierkit: render staging');
  git(src, 'push', '-q', origin, `HEAD:refs/heads/${BRANCH()}`);
  server = createServer((req, res) => {
    asked.push(`${req.url} ${req.headers.authorization}`);
    const name = decodeURIComponent((req.url ?? '').replace(/^\/api\/v1\/applications\//, ''));
    res.setHeader('content-type', 'application/json');
    if (!apps.has(name)) { res.statusCode = 404; res.end('{}'); return; }
    res.end(JSON.stringify(apps.get(name)));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  argo = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);

afterAll(() => server?.close());

const app = (health: string, images: string[]) => ({ status: { sync: { status: 'Synced' }, health: { status: health }, summary: { images } } });
const image = () => record.release.after.image as string;

/** A checkout of `sha` with main's dist beside it, as the jobs have it. */
function checkoutAt(dir: string, sha: string): void {
  git(dir, 'init', '-q');
  git(dir, 'remote', 'add', 'origin', origin);
  git(dir, 'fetch', '-q', origin, 'main:refs/remotes/origin/main');
  git(dir, 'checkout', '-q', sha);
}

/** Run the promotion step of staging (async: the Argo CD stand-in answers from this process). */
function promotionStep(ids: string, extra: Record<string, string> = {}): Promise<{ status: number | null; out: string; dir: string }> {
  const s = step(apply.jobs['promotions-staging'], 'Ask Argo CD about the promotions into staging and record the outcomes');
  const dir = testTmp('ci', `promotion-step-${process.pid}-${Math.random().toString(36).slice(2)}`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  checkoutAt(dir, after);
  const exprs: Record<string, string> = {
    "fromJSON(needs.locate.outputs.promotions)['staging']": ids, 'needs.locate.outputs.dist-sha256': sha256(files['dist/manifest.json']),
    'github.sha': after, 'github.actor': 'octo-approver', 'secrets.ARGOCD_SERVER': argo, 'secrets.ARGOCD_AUTH_TOKEN': 's3cret', 'steps.publisher.outputs.token': 'test-token',
  };
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, GITHUB_TOKEN: '' };
  for (const [k, v] of Object.entries(s.env as Record<string, string>)) {
    env[k] = String(v).replace(/\$\{\{ ([^}]+) \}\}/g, (whole, expr: string) => {
      if (!(expr in exprs)) throw new Error(`no value for ${whole}`);
      return exprs[expr];
    });
  }
  Object.assign(env, { TIERKIT, ...extra });
  return new Promise((done) => {
    const child = spawn('bash', ['-e', '-o', 'pipefail', '-c', s.run], { cwd: dir, env });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('close', (status) => done({ status, out, dir }));
  });
}

/** The outcome log of the record on the rendered branch as pushed, or undefined. */
function pushedLog(): { id: string; events: { event: string; ok: boolean; by: string }[] } | undefined {
  const path = `${renderedOutcomesDir('staging')}/crm/${record.id}.json`;
  try {
    return JSON.parse(git(origin, 'show', `refs/heads/${BRANCH()}:${path}`));
  } catch {
    return undefined;
  }
}

describe('the apply workflow asks about the promotions it merges, in the target tier\'s environment', () => {
  it('locate routes the records a push adds by their target env\'s tier; an unknown earlier commit is refused', () => {
    const s = step(apply.jobs.locate, 'promotions');
    const run = (beforeSha: string) => runStep(s, files, { 'github.event.before': beforeSha, 'github.sha': after }, { setup: (dir) => checkoutAt(dir, after) });
    const r = run(before);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.outputs.promotions)).toEqual({ staging: record.id });
    expect(JSON.parse(run(after).outputs.promotions)).toEqual({});
    const forced = run('f'.repeat(40));
    expect(forced.status).toBe(1);
    expect(forced.stdout + forced.stderr).toMatch(/cannot tell which promotion records .* adds/);
    const job = apply.jobs['promotions-staging'];
    expect(job.environment).toBe('publish-staging');
    expect(job.needs).toEqual(['locate', 'publish-staging']);
    expect(job.if).toContain("fromJSON(needs.locate.outputs.promotions)['staging']");
    // The PR workflow never holds the Argo CD token.
    expect(JSON.stringify(workflows(manifest).pr)).not.toMatch(/ARGOCD_AUTH_TOKEN/);
  });

  it('a rollout still in progress is left open; the next run records its success; `promote --status --rendered` reads it from the rendered branch', async () => {
    apps.set('crm-dev', app('Healthy', [image()]));
    apps.set('crm-staging', app('Progressing', ['ghcr.io/arcodange/crm:old']));
    const first = await promotionStep(record.id, { WAIT_MINUTES: '0' });
    expect(first.status, first.out).toBe(0);
    expect(first.out).toMatch(/still rolling out into crm-staging/);
    expect(first.out).not.toMatch(/s3cret/);
    expect(pushedLog()!.events.map((e) => `${e.event}:${e.ok}`)).toEqual(['health:true', 'approved:true']);
    expect(pushedLog()!.events[1].by).toBe('octo-approver');
    expect(asked).toContain('/api/v1/applications/crm-dev Bearer s3cret');
    apps.set('crm-staging', app('Healthy', [image()]));
    const second = await promotionStep(record.id, { WAIT_MINUTES: '0' });
    expect(second.status, second.out).toBe(0);
    // Health and approval are not asked twice: only the rollout was still open.
    expect(pushedLog()!.events.map((e) => `${e.event}:${e.ok}`)).toEqual(['health:true', 'approved:true', 'succeeded:true']);
    expect(asked.filter((a) => a.startsWith('/api/v1/applications/crm-dev ')).length).toBe(1);
    // Read back from a checkout of the rendered branch, by the record's target tier.
    const rendered = testTmp('ci', `rendered-${process.pid}`);
    git(rendered, 'clone', '-q', '-b', BRANCH(), origin, '.');
    const status = execFileSync('bash', ['-c', `${TIERKIT} promote --status ${record.id} --rendered ${rendered} --json`], { cwd: second.dir, encoding: 'utf8' });
    expect(JSON.parse(status).state).toBe('succeeded');
    expect(existsSync(join(rendered, 'dev/.tierkit-promotions'))).toBe(false);
  }, 240_000);

  it('an unhealthy source refuses the promotion: recorded and pushed, and the job fails; an ended one is not asked again', async () => {
    // A fresh branch state: drop the log the previous test pushed.
    const scratch = testTmp('ci', `reset-${process.pid}`);
    git(scratch, 'clone', '-q', '-b', BRANCH(), origin, '.');
    git(scratch, 'rm', '-rq', renderedOutcomesDir('staging'));
    git(scratch, 'commit', '-qm', 'reset');
    git(scratch, 'push', '-q', 'origin', BRANCH());
    apps.set('crm-dev', app('Degraded', ['ghcr.io/arcodange/crm:other']));
    const r = await promotionStep(record.id);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/health_ok failed/);
    expect(r.out).toMatch(new RegExp(`promotion\\(s\\) ${record.id} into staging failed or were refused`));
    expect(pushedLog()!.events.map((e) => `${e.event}:${e.ok}`)).toEqual(['health:false', 'refused:false']);
    const before = asked.length;
    const again = await promotionStep(record.id);
    expect(again.status).toBe(1);
    expect(again.out).toMatch(new RegExp(`promotion ${record.id} already ended: refused`));
    expect(asked.length).toBe(before);
    expect(pushedLog()!.events.map((e) => e.event)).toEqual(['health', 'refused']);
    expect(readFileSync(join(again.dir, 'dist/manifest.json'), 'utf8')).toBe(files['dist/manifest.json']);
  }, 240_000);

  it('publishing the tier again keeps its outcome logs (they are not manifests)', () => {
    const logBefore = pushedLog();
    expect(logBefore).toBeDefined();
    const s = step(apply.jobs['publish-staging'], 'Publish k8s/staging');
    const r = runStep(s, files, {
      'github.sha': after, 'needs.locate.outputs.dist-sha256': sha256(files['dist/manifest.json']), 'steps.publisher.outputs.token': 'test-token', 'needs.locate.outputs.stacks': '[]',
      // Publish signs every rendered commit (ci/github-publish.ts): a real key, as the publisher's secret holds.
      'needs.locate.outputs.catch-up': '[]', 'secrets.TIERKIT_PUBLISHER_GPG_PRIVATE_KEY': testSigningKey(testTmp('ci', `promotion-gnupg-${process.pid}`)).secret,
    }, { setup: (dir) => checkoutAt(dir, after) });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(git(origin, 'log', '-1', '--format=%s', `refs/heads/${BRANCH()}`)).toBe(`tierkit: render staging from ${after}`);
    expect(git(origin, 'show', `refs/heads/${BRANCH()}:staging/crm-staging.k8s.yaml`)).toBe(files['dist/k8s/staging/crm-staging.k8s.yaml'].trim());
    expect(pushedLog()).toEqual(logBefore);
  }, 120_000);
});
