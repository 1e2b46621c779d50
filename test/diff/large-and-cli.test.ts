import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, SandboxKind, Tier } from '../../constructs';
import { PostgresqlGrant } from '../../constructs/cdktf';
import { computeChangeSet } from '../../diff/changeset';
import { renderJson } from '../../diff/json';
import { GITHUB_COMMENT_LIMIT, renderMarkdown } from '../../diff/markdown';
import { LEVEL_NOTES } from '../../diff/comment';
import { code } from '../../diff/markdown-text';
import { buildReview } from '../../diff/review';
import type { ReviewItem } from '../../diff/review-model';
import type { Manifest } from '../../constructs/synth/manifest';
import type { ChangeSet } from '../../diff/model';
import { app, pairDirs, read, writeEstate } from './fixtures';
import { tierkit } from './cli';

/** Hundreds of sandboxes, each with a privilege escape hatch: far more than one comment can hold. */
const SANDBOXES = 200;

let base: string;
let big: string;
beforeAll(() => {
  const dirs = pairDirs('large');
  base = writeEstate(dirs.base);
  big = writeEstate(dirs.head, (e) => {
    // 200 engineers, each an owner the estate declares (the owner list holds every sandbox, sandbox-checks.ts).
    Object.assign(e, { sandboxOwners: [...(e.sandboxOwners ?? []), ...Array.from({ length: SANDBOXES }, (_, i) => `engineer-${i}`)] });
    for (let i = 0; i < SANDBOXES; i++) {
      const appName = i % 2 ? 'crm' : 'shop';
      // Every 50th sandbox outlives the tier maximum (an env exception); every 10th also reaches prod and accepts a finding.
      const sb = new Sandbox(app(e, appName), `load-${i}`, {
        tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: `engineer-${i}`, createdAt: '2026-11-22',
        ...(i % 50 === 0 ? { ttlHours: 240, reason: 'Soak test of the load generator over ten days' } : {}),
      });
      sb.addEscapeHatch((r) => r.groupRole.addOverride('create_database', true));
      if (i % 10 === 0) {
        sb.addEscapeHatch((r) => new PostgresqlGrant(r.stack, 'prod_connect', { database: appName, role: r.groupRole.name, objectType: 'database', privileges: ['CONNECT'] }));
        sb.addSuppression('TK006', `Load test ${i} holds one lease for the whole run`);
      }
      if (i % 25 === 0) sb.addEscapeHatch((r) => r.databasePublicRevoke.addOverride('count', 0));
    }
  });
}, 120_000);

/**
 * Every item of severity 1–3 is on the comment, each by its subject; an item of severity 4–5 is
 * listed (subject shown) or counted in the "Not listed here" line — never silently gone.
 */
function expectNothingDropped(md: string, set: ChangeSet, b: Manifest, h: Manifest): void {
  const review = buildReview(set, b, h);
  const urgent = review.items.filter((i) => i.severity <= 3);
  expect(urgent.length).toBeGreaterThan(0);
  // An item is listed by its line, its subject, or in the grouped form by its short name.
  const named = (i: ReviewItem) => md.includes(i.line) || md.includes(code(i.subject)) || (i.name !== undefined && md.includes(code(i.name)));
  for (const item of urgent) expect(named(item), item.subject).toBe(true);
  const lower = review.items.filter((i) => i.severity > 3);
  const listed = lower.filter(named);
  if (listed.length < lower.length) expect(md).toContain('**Not listed here** to stay under GitHub\'s comment limit');
}

describe('a very large change', () => {
  it('stays under GitHub\'s comment limit and keeps every item of severity 1–3', () => {
    const b = read(base);
    const h = read(big);
    const set = computeChangeSet(b, h);
    expect(set.attention.filter((a) => a.category === 'sandbox-added')).toHaveLength(SANDBOXES);
    expect(set.attention.filter((a) => a.category === 'role-attributes')).toHaveLength(SANDBOXES);
    const count = (c: string) => set.attention.filter((a) => a.category === c).length;
    expect([count('grant'), count('suppression'), count('exception'), count('meta-argument')]).toEqual([SANDBOXES / 10, SANDBOXES / 10, SANDBOXES / 50, SANDBOXES / 25]);
    // Every 10th sandbox's CONNECT on its app's prod database is reach into prod.
    expect(set.reach).toHaveLength(SANDBOXES / 10);
    const md = renderMarkdown(set, b.manifest, h.manifest, { reportHint: 'artifact tierkit-diff' });
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expectNothingDropped(md, set, b.manifest, h.manifest);
    expect(md).toContain('the full change set: artifact tierkit-diff');
    expect(md).not.toContain('truncated');
    // The JSON report keeps everything the comment left out.
    expect(JSON.parse(renderJson(set)).resources).toHaveLength(set.resources.length);
    // The sandboxes, and the platform stacks their quotas and applier paths change (platform, platform-dev, platform-prod's planner).
    expect(set.affectedStacks).toHaveLength(SANDBOXES + 3);
  });

  it('degrades in order, and every level keeps the items of severity 1–3', () => {
    const b = read(base);
    const h = read(big);
    const set = computeChangeSet(b, h);
    const levelOf = (md: string) => LEVEL_NOTES.findIndex((n) => n !== undefined && md.includes(`_${n} left out`));
    let previous = -1;
    for (const maxChars of [10_000_000, 400_000, 200_000, 100_000, GITHUB_COMMENT_LIMIT, 40_000, 20_000]) {
      const md = renderMarkdown(set, b.manifest, h.manifest, { maxChars });
      expect(md.length, String(maxChars)).toBeLessThanOrEqual(maxChars);
      expect(md).not.toContain('truncated');
      expectNothingDropped(md, set, b.manifest, h.manifest);
      const level = levelOf(md);
      expect(level, String(maxChars)).toBeGreaterThanOrEqual(previous);
      previous = level;
    }
    expect(levelOf(renderMarkdown(set, b.manifest, h.manifest, { maxChars: 10_000_000 }))).toBe(-1);
    expect(previous).toBeGreaterThan(2);
  });
});

describe('tierkit diff (CLI)', () => {
  it('exits 1 on --fail-on destroy only when something is destroyed, and writes JSON with affectedStacks', () => {
    const out = join(pairDirs('cli').base, 'report.json');
    const grow = tierkit(['diff', base, big, '--format', 'json', '--output', out, '--fail-on', 'destroy']);
    expect(grow.status).toBe(0);
    const report = JSON.parse(readFileSync(out, 'utf8'));
    expect(report.affectedStacks.map((s: { name: string }) => s.name)).toContain('crm-load-1');
    const shrink = tierkit(['diff', big, base, '--fail-on', 'destroy,prod']);
    expect(shrink.status).toBe(1);
    expect(shrink.stderr).toContain('--fail-on: ');
    expect(shrink.stderr).toContain('prod-gated stack(s) affected: platform, platform-dev, platform-prod');
    expect(shrink.stdout).toContain('<!-- tierkit-diff -->');
  }, 120_000);

  it('validates flags before reading anything', () => {
    for (const [args, message] of [
      [['diff', base], 'pass <base-dist> <head-dist>'],
      [['diff', base, big, '--fail-on', 'destroy,everything'], 'unknown condition "everything"'],
      [['diff', base, big, '--format', 'html'], '--format must be one of markdown, json'],
      [['diff', '--base-ref', 'HEAD', base], 'not both'],
      [['diff', base, big, '--head-dist', big], '--head-dist goes with --base-ref'],
      [['diff', base, big, '--max-chars', '70000'], '--max-chars must be an integer'],
    ] as const) {
      const r = tierkit(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
    }
    const missing = tierkit(['diff', join(base, 'nope'), big]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('manifest.json: cannot read');
    expect(missing.stderr).not.toContain('    at ');
  }, 120_000);

  it('--base-ref synthesizes the ref in a temporary worktree and always removes it', () => {
    const worktrees = () => execFileSync('git', ['worktree', 'list'], { encoding: 'utf8' });
    const before = worktrees();
    const bad = tierkit(['diff', '--base-ref', 'no-such-ref-anywhere', '--head-dist', base]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--base-ref "no-such-ref-anywhere" is not a commit');
    const ok = tierkit(['diff', '--base-ref', 'HEAD', '--head-dist', base, '--format', 'json']);
    expect(ok.stderr).not.toContain('synth of HEAD');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).schemaVersion).toBe(1);
    expect(worktrees()).toBe(before);
  }, 180_000);
});

describe('masking', () => {
  it('never prints a value under a password-like key, yet shows that it changed', () => {
    const dirs = pairDirs('mask');
    writeEstate(dirs.base);
    writeEstate(dirs.head);
    for (const [dir, pw] of [[dirs.base, 'hunter2-old'], [dirs.head, 'hunter2-new']] as const) {
      mkdirSync(join(dir, 'terraform', 'handmade'), { recursive: true });
      writeFileSync(join(dir, 'terraform', 'handmade', 'cdk.tf.json'), JSON.stringify({
        resource: { postgresql_role: { intruder: { name: 'intruder', login: true, password: pw } } },
      }));
    }
    const b = read(dirs.base);
    const h = read(dirs.head);
    const set = computeChangeSet(b, h);
    const md = renderMarkdown(set, b.manifest, h.manifest);
    const json = renderJson(set);
    expect(md + json).not.toContain('hunter2');
    expect(set.resources).toEqual([expect.objectContaining({ key: 'handmade/postgresql_role.intruder', action: 'change', changes: [{ path: 'password', before: '(sensitive)', after: '(sensitive)', masked: true }] })]);
    // An unlisted (hand-written) stack has no declared gate: it is treated as the strictest tier's.
    expect(set.affectedStacks).toEqual([expect.objectContaining({ name: 'handmade', gatingTier: 'prod', humanGate: true })]);
  });
});
