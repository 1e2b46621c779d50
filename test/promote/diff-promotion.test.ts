import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { App, Releases } from '../../constructs';
import { flattenRelease } from '../../constructs/releases';
import { tierkit } from '../diff/cli';
import { moves } from '../../promote/plan';
import { PromotionRecord, serializeRecord, withId } from '../../contract/promotion-record';
import { freshDir, synthDist } from '../policies/helpers';

const digest = (dir: string) => createHash('sha256').update(readFileSync(join(dir, 'manifest.json'))).digest('hex');

async function run(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = tierkit(args);
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('the PR comment shows the promotion it carries, first', () => {
  const base = synthDist(undefined, 'promo-base');
  let releases: Releases | undefined;
  const head = synthDist((e) => {
    const crm = e.node.findChild('crm') as App;
    releases = crm.releases!.with('staging', { ...crm.releases!.env('dev')! });
    (crm as { releases?: Releases }).releases = releases;
  }, 'promo-head');
  const dir = freshDir('records');
  mkdirSync(dir, { recursive: true });
  const record = (over: Partial<PromotionRecord> = {}): string => {
    const before = Releases.fromFile(join(__dirname, '../../apps/crm.releases.json')).env('staging')!;
    const after = releases!.env('staging')!;
    const r = withId({
      schemaVersion: 1, kind: 'promote', app: 'crm', from: 'dev', to: 'staging', moves: moves(before, after),
      release: { before: flattenRelease(before), after: flattenRelease(after) }, strategy: 'immediate', steps: [{ rollingUpdate: 'the Deployment replaces its pods' }],
      checks: { schema_valid: { ok: true, why: 'passes' }, chain_ok: { ok: true, why: 'staging follows dev' }, conflict_free: { ok: true, why: 'none open' }, health_ok: { ok: false, pending: true, why: 'asked by the gated job' } },
      dist: { base: digest(base), head: digest(head) }, requester: 'alice', ...over,
    } as Omit<PromotionRecord, 'id'>);
    const file = join(dir, `${r.id}.json`);
    writeFileSync(file, serializeRecord(r));
    return file;
  };

  it('what moves, the strategy, the checks and the digests held against this PR\'s dists, above everything else', async () => {
    const r = await run(['diff', base, head, '--promotion', record(), '--now', '2026-11-22T06:00:00Z']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[1]).toBe('## tierkit diff — arcodange');
    expect(lines[3]).toMatch(/^### Promotion `[0-9a-f]{16}`: `crm` `dev` → `staging` \(immediate\)$/);
    expect(r.out.indexOf('**What moves**')).toBeLessThan(r.out.indexOf('**Policy check passed**'));
    expect(r.out).toMatch(/- `image`: `"ghcr.io\/arcodange\/crm:2.3.1@sha256:[0-9a-f]{64}"` → `"ghcr.io\/arcodange\/crm:2.4.0@sha256:[0-9a-f]{64}"`/);
    expect(r.out).toContain('- ⏳ `health_ok` (asked by the gated job): asked by the gated job');
    expect(r.out).toContain('✅ is what this PR synthesizes');
  });

  it('a record that does not describe this change (another head) fails the diff; a tampered one cannot be trusted', async () => {
    const other = await run(['diff', base, head, '--promotion', record({ dist: { base: digest(base), head: 'f'.repeat(64) } }), '--now', '2026-11-22T06:00:00Z']);
    expect(other.code).toBe(1);
    expect(other.out).toContain('❌ is not what this PR synthesizes');
    expect(other.err).toMatch(/does not describe this change/);
    const file = record();
    writeFileSync(file, readFileSync(file, 'utf8').replace('"requester": "alice"', '"requester": "mallory"'));
    const tampered = await run(['diff', base, head, '--promotion', file, '--now', '2026-11-22T06:00:00Z']);
    expect(tampered.code).toBe(1);
    expect(tampered.out).toMatch(/### ✗ Promotion record .* cannot be trusted/);
  });

  it('a hand-written record with a consistent id cannot claim health_ok (only the gated job asks Argo CD)', async () => {
    const forged = record({ checks: { schema_valid: { ok: true, why: 'x' }, chain_ok: { ok: true, why: 'x' }, conflict_free: { ok: true, why: 'x' }, health_ok: { ok: true, why: 'trust me' } } });
    const r = await run(['diff', base, head, '--promotion', forged, '--now', '2026-11-22T06:00:00Z']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/cannot be trusted[\s\S]*checks.health_ok is answered, but only the gated job asks Argo CD/);
    expect(r.out).not.toContain('✅ `health_ok`');
  });
});

describe('tierkit diff --base-ref finds the promotion records the branch adds', () => {
  it('added (committed or not) and modified records under promotions/<app>/, nothing else', async () => {
    const { execFileSync } = await import('node:child_process');
    const { addedRecords } = await import('../../cli/commands/diff');
    const repo = freshDir('git-records');
    mkdirSync(join(repo, 'promotions/crm'), { recursive: true });
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.test', '-c', 'user.name=t', ...args], { cwd: repo, encoding: 'utf8' });
    git('init', '-q');
    writeFileSync(join(repo, 'promotions/crm/aaaaaaaaaaaaaaaa.json'), '{}\n');
    writeFileSync(join(repo, 'promotions/crm/bbbbbbbbbbbbbbbb.json'), '{}\n');
    git('add', '-A');
    git('commit', '-qm', 'base');
    git('tag', 'base');
    writeFileSync(join(repo, 'promotions/crm/bbbbbbbbbbbbbbbb.json'), '{"edited":true}\n');
    writeFileSync(join(repo, 'promotions/crm/cccccccccccccccc.json'), '{}\n');
    writeFileSync(join(repo, 'promotions/crm/dddddddddddddddd.json'), '{}\n');
    writeFileSync(join(repo, 'promotions/notes.md'), 'x\n');
    git('add', 'promotions/crm/cccccccccccccccc.json');
    git('commit', '-qm', 'head');
    const { deletedRecords } = await import('../../cli/commands/diff');
    expect(deletedRecords(repo, 'base')).toEqual([]);
    git('rm', '-q', 'promotions/crm/aaaaaaaaaaaaaaaa.json');
    expect(deletedRecords(repo, 'base')).toEqual(['promotions/crm/aaaaaaaaaaaaaaaa.json']);
    git('commit', '-qm', 'drop a record');
    expect(deletedRecords(repo, 'base')).toEqual(['promotions/crm/aaaaaaaaaaaaaaaa.json']);
    expect(addedRecords(repo, 'base').map((f) => f.slice(repo.length + 1)).sort()).toEqual([
      'promotions/crm/bbbbbbbbbbbbbbbb.json', 'promotions/crm/cccccccccccccccc.json', 'promotions/crm/dddddddddddddddd.json',
    ]);
  });
});
