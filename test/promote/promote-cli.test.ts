import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { testTmp } from '../setup/tmpdir';

/**
 * `tierkit promote` end to end, as a platform engineer runs it in an estate repo: a copy of the
 * example estate (apps/, environments/, cdktf.json) whose `tierkit` import maps to these sources.
 * Every refusal must exit 1 and leave every file as it was.
 */
const ROOT = resolve(__dirname, '..', '..');
const NOW = '2026-11-22T06:00:00Z';
let counter = 0;

function estateRepo(label: string): string {
  const dir = join(testTmp('promote'), `${label}-${process.pid}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  for (const f of ['apps', 'environments', 'cdktf.json']) cpSync(join(ROOT, f), join(dir, f), { recursive: true });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', target: 'ES2022', paths: { tierkit: [join(ROOT, 'constructs/index.ts')] } } }));
  return dir;
}

function tierkit(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), ...args], { cwd, env: { ...process.env, GITHUB_ACTOR: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** Every file of the repo with its bytes: "nothing written" is this, unchanged. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[p.slice(dir.length + 1)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

const releases = (dir: string) => JSON.parse(readFileSync(join(dir, 'apps/crm.releases.json'), 'utf8'));
const records = (dir: string) => (existsSync(join(dir, 'promotions/crm')) ? readdirSync(join(dir, 'promotions/crm')).sort() : []);
const P = ['--requester', 'alice', '--now', NOW];

describe('tierkit promote', () => {
  let repo: string;
  let id: string;
  let first: { code: number | null; stdout: string; stderr: string };

  beforeAll(async () => {
    repo = estateRepo('main');
    first = await tierkit(repo, ['promote', 'crm', '--from', 'dev', '--to', 'staging', ...P]);
    id = records(repo)[0]?.replace(/\.json$/, '');
  }, 120_000);

  it('edits the releases file and writes a record with what moves, the strategy and the four checks', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const r = releases(repo);
    expect(r.envs.staging.image).toBe(r.envs.dev.image);
    expect(r.envs.staging.flags).toEqual(r.envs.dev.flags);
    expect(r.envs.staging.strategy).toBe('immediate');
    const rec = JSON.parse(readFileSync(join(repo, 'promotions/crm', `${id}.json`), 'utf8'));
    expect(rec).toMatchObject({ kind: 'promote', app: 'crm', from: 'dev', to: 'staging', strategy: 'immediate', requester: 'alice', id });
    expect(Object.keys(rec.moves.modified).sort()).toEqual(['flags.new-pipeline-view', 'image']);
    expect(rec.moves.modified.image.new).toBe(r.envs.dev.image);
    expect(rec.checks.schema_valid.ok && rec.checks.chain_ok.ok && rec.checks.conflict_free.ok).toBe(true);
    expect(rec.checks.health_ok).toMatchObject({ ok: false, pending: true });
    expect(rec.dist.base).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.dist.head).not.toBe(rec.dist.base);
  });

  it('is deterministic: the same promotion of the same base in another checkout writes the same bytes', async () => {
    const other = estateRepo('again');
    // Another evaluation instant too: the record holds no time, so the id does not depend on when it ran.
    expect((await tierkit(other, ['promote', 'crm', '--from', 'dev', '--to', 'staging', '--requester', 'alice', '--now', '2026-11-22T07:45:00Z'])).code).toBe(0);
    expect(readFileSync(join(other, 'promotions/crm', `${id}.json`), 'utf8')).toBe(readFileSync(join(repo, 'promotions/crm', `${id}.json`), 'utf8'));
    expect(readFileSync(join(other, 'apps/crm.releases.json'), 'utf8')).toBe(readFileSync(join(repo, 'apps/crm.releases.json'), 'utf8'));
  }, 120_000);

  it('bad input: one clear error each, exit 1, nothing written', async () => {
    const fresh = estateRepo('bad');
    const before = snapshot(fresh);
    const cases: [string[], RegExp][] = [
      [['promote', 'nope', '--from', 'dev', '--to', 'staging'], /unknown app "nope": there is no apps\/nope.releases.json \(apps with releases: crm, shop\)/],
      [['promote', 'crm', '--from', 'qa', '--to', 'staging'], /unknown env "qa" of app crm/],
      [['promote', 'crm', '--from', 'dev', '--to', 'dev'], /--from and --to are both "dev"/],
      [['promote', 'crm', '--from', 'preprod', '--to', 'prod', '--strategy', 'immediate'], /strategy immediate is forbidden on tier prod \(allowed: canary, blue_green\)/],
      [['promote', 'crm', '--from', 'dev', '--to', 'staging', '--image', 'ghcr.io/arcodange/crm:9.9.9@sha256:' + 'f'.repeat(64)], /--from dev does not run ghcr.io\/arcodange\/crm:9.9.9/],
      [['promote', 'crm', '--from', 'staging', '--to', 'dev'], /chain_ok failed: dev does not follow staging/],
      [['promote', 'crm', '--from', 'dev', '--to', 'prod'], /chain_ok failed: dev → prod skips staging, preprod; .* --reason/],
      [['promote', 'crm', '--from', 'local', '--to', 'ci'], /ci already runs local's release/],
      [['promote', 'crm', '--from', 'dev', '--to', 'alice'], /unknown env "alice"/],
      [['promote', '../crm', '--from', 'dev', '--to', 'staging'], /unknown app "..\/crm": an app name is a DNS-1123 label/],
    ];
    for (const [args, want] of cases) {
      const r = await tierkit(fresh, [...args, ...P]);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toMatch(want);
      expect(r.stderr).toMatch(/nothing was written/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(snapshot(fresh)).toEqual(before);
  }, 300_000);

  it('a hand-edited releases file naming an env the app does not have is refused by name, not by a crash', async () => {
    const repo1 = estateRepo('qa');
    const file = join(repo1, 'apps/crm.releases.json');
    const r0 = JSON.parse(readFileSync(file, 'utf8'));
    r0.envs.qa = r0.envs.dev;
    writeFileSync(file, JSON.stringify(r0, null, 2));
    const before = snapshot(repo1);
    const r = await tierkit(repo1, ['promote', 'crm', '--from', 'qa', '--to', 'staging', ...P]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown env "qa": apps\/crm.releases.json declares it, but app crm has no such env/);
    expect(snapshot(repo1)).toEqual(before);
  }, 60_000);

  it('schema_valid: a promoted estate that fails check is refused and the releases file restored', async () => {
    const repo2 = estateRepo('schema');
    // The estate's own code reacts to the release (an escape hatch a careless author wrote): staging on 2.4.0 hands its database to prod's role.
    const crm = join(repo2, 'apps/crm.ts');
    writeFileSync(crm, readFileSync(crm, 'utf8').replace('  return app;\n}', "  const staging = app.environment('staging')!;\n  if (staging.image.includes(':2.4.0')) staging.addEscapeHatch((r) => r.database.addOverride('owner', 'crm_role'));\n  return app;\n}"));
    const before = snapshot(repo2);
    const r = await tierkit(repo2, ['promote', 'crm', '--from', 'dev', '--to', 'staging', ...P]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/schema_valid failed: the changed estate fails check with \d+ error\(s\):\nTK001/);
    expect(snapshot(repo2)).toEqual(before);
  }, 120_000);

  it('conflict_free: an open promotion blocks the next; its outcome (recorded by the gated job) unblocks it', async () => {
    const before = snapshot(repo);
    const blocked = await tierkit(repo, ['promote', 'crm', '--from', 'staging', '--to', 'preprod', ...P]);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toMatch(new RegExp(`conflict_free failed: the outcomes of ${id} cannot be read`));
    const outcomes = join(repo, 'outcomes');
    mkdirSync(outcomes);
    const stillOpen = await tierkit(repo, ['promote', 'crm', '--from', 'staging', '--to', 'preprod', '--outcomes', outcomes, ...P]);
    expect(stillOpen.stderr).toMatch(new RegExp(`promotion ${id} of crm has no final outcome yet`));
    expect(snapshot(repo)).toEqual(before);
    const rec = await tierkit(repo, ['promote', '--record-outcome', id, '--event', 'succeeded', '--why', 'applied; Argo CD synced', '--by', 'apply-staging', '--outcomes', outcomes]);
    expect(rec.code).toBe(0);
    const status = await tierkit(repo, ['promote', '--status', id, '--outcomes', outcomes, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'succeeded', events: [{ event: 'succeeded', by: 'apply-staging' }] });
    const next = await tierkit(repo, ['promote', 'crm', '--from', 'staging', '--to', 'preprod', '--strategy', 'canary', '--outcomes', outcomes, ...P]);
    expect(next.stderr).toBe('');
    expect(releases(repo).envs.preprod).toMatchObject({ strategy: 'canary', image: releases(repo).envs.staging.image });
  }, 240_000);

  it('abort restores the release the promotion replaced and records it; a tampered record is refused', async () => {
    const repo3 = estateRepo('abort');
    const original = readFileSync(join(repo3, 'apps/crm.releases.json'), 'utf8');
    expect((await tierkit(repo3, ['promote', 'crm', '--from', 'dev', '--to', 'staging', ...P])).code).toBe(0);
    const pid = records(repo3)[0].replace(/\.json$/, '');
    const ab = await tierkit(repo3, ['promote', '--abort', pid, '--requester', 'bob', '--now', NOW, '--json']);
    expect(ab.stderr).toBe('');
    const abortRecord = JSON.parse(ab.stdout);
    expect(abortRecord).toMatchObject({ kind: 'abort', aborts: pid, app: 'crm', to: 'staging', requester: 'bob' });
    // Byte for byte the file before the promotion, and the dist digest of that estate.
    expect(readFileSync(join(repo3, 'apps/crm.releases.json'), 'utf8')).toBe(original);
    const promoted = JSON.parse(readFileSync(join(repo3, 'promotions/crm', `${pid}.json`), 'utf8'));
    expect(abortRecord.dist.head).toBe(promoted.dist.base);
    const again = await tierkit(repo3, ['promote', '--abort', pid, ...P]);
    expect(again.stderr).toMatch(/already aborted/);
    // An aborted promotion no longer blocks the next one (no outcomes needed).
    const file = join(repo3, 'promotions/crm', `${pid}.json`);
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('"requester": "alice"', '"requester": "mallory"'));
    const before = snapshot(repo3);
    for (const args of [['promote', '--status', pid], ['promote', 'crm', '--from', 'dev', '--to', 'staging', ...P], ['promote', '--abort', pid, ...P]]) {
      const r = await tierkit(repo3, args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`${pid}.json was edited after tierkit wrote it`));
    }
    // Reformatted but equal content is an edit too.
    writeFileSync(file, JSON.stringify(JSON.parse(text)));
    expect((await tierkit(repo3, ['promote', '--status', pid])).stderr).toMatch(/not in the form tierkit writes/);
    writeFileSync(file, text.replace('"requester": "alice"', '"requester": "mallory"'));
    expect(snapshot(repo3)).toEqual(before);
  }, 240_000);

  it('health_ok is asked of Argo CD by the gated job (stand-in server): Synced + Healthy + the promoted image, else the promotion is refused', async () => {
    const image = releases(repo).envs.dev.image;
    let answer: Record<string, unknown> = {};
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization}`);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer));
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const repo4 = estateRepo('health');
      expect((await tierkit(repo4, ['promote', 'crm', '--from', 'dev', '--to', 'staging', ...P])).code).toBe(0);
      const hid = records(repo4)[0].replace(/\.json$/, '');
      const outcomes = join(repo4, 'outcomes');
      const noToken = await tierkit(repo4, ['promote', '--health', hid, '--argocd-server', url, '--outcomes', outcomes]);
      expect(noToken.code).toBe(2);
      expect(noToken.stderr).toMatch(/ARGOCD_AUTH_TOKEN/);
      answer = { status: { sync: { status: 'Synced' }, health: { status: 'Healthy' }, summary: { images: [image] } } };
      const ok = await tierkit(repo4, ['promote', '--health', hid, '--argocd-server', url, '--outcomes', outcomes], { ARGOCD_AUTH_TOKEN: 's3cret' });
      expect(ok.stderr).toBe('');
      expect(ok.stdout).toMatch(/Application crm-dev is Synced and Healthy and runs/);
      expect(seen).toEqual(['GET /api/v1/applications/crm-dev Bearer s3cret']);
      expect(ok.stdout + ok.stderr).not.toMatch(/s3cret/);
      // A second question to the same promotion: now Degraded and on another image.
      answer = { status: { sync: { status: 'Synced' }, health: { status: 'Degraded' }, summary: { images: ['ghcr.io/arcodange/crm:2.3.1'] } } };
      const bad = await tierkit(repo4, ['promote', '--health', hid, '--argocd-server', url, '--outcomes', outcomes], { ARGOCD_AUTH_TOKEN: 's3cret' });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/health_ok failed .* health is "Degraded", not Healthy; it does not run/);
      const status = JSON.parse((await tierkit(repo4, ['promote', '--status', hid, '--outcomes', outcomes, '--json'])).stdout);
      expect(status.state).toBe('refused');
      expect(status.events.map((e: { event: string; ok: boolean }) => `${e.event}:${e.ok}`)).toEqual(['health:true', 'health:false', 'refused:false']);
      // Argo CD unreachable: not healthy.
      server.close();
      const repo5 = estateRepo('health-down');
      expect((await tierkit(repo5, ['promote', 'crm', '--from', 'dev', '--to', 'staging', ...P])).code).toBe(0);
      const down = await tierkit(repo5, ['promote', '--health', records(repo5)[0].replace(/\.json$/, ''), '--argocd-server', url, '--outcomes', join(repo5, 'o')], { ARGOCD_AUTH_TOKEN: 'x' });
      expect(down.code).toBe(1);
      expect(down.stderr).toMatch(/Argo CD did not answer/);
    } finally {
      server.close();
    }
  }, 300_000);

  it('env-diff prints { added, removed, modified } by dotted path, in text and JSON', async () => {
    const r = await tierkit(repo, ['env-diff', 'crm', 'prod', 'dev', '--json']);
    const d = JSON.parse(r.stdout);
    expect(Object.keys(d)).toEqual(['added', 'modified', 'removed']);
    expect(d.modified['config.LOG_LEVEL']).toEqual({ old: 'warn', new: 'info' });
    expect(d.modified.strategy).toEqual({ old: 'canary', new: 'immediate' });
    const t = await tierkit(repo, ['env-diff', 'crm', 'prod', 'dev']);
    expect(t.stdout).toMatch(/^crm: prod → dev\nadded: \(none\)\nremoved: \(none\)\nmodified:\n {2}config.LOG_LEVEL: "warn" → "info"/);
    expect((await tierkit(repo, ['env-diff', 'crm', 'prod', 'qa'])).code).toBe(1);
  }, 60_000);
});
