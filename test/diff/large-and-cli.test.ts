import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, SandboxKind, Tier } from '../../constructs';
import { computeChangeSet } from '../../diff/changeset';
import { renderJson } from '../../diff/json';
import { GITHUB_COMMENT_LIMIT, renderMarkdown } from '../../diff/markdown';
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
    for (let i = 0; i < SANDBOXES; i++) {
      const sb = new Sandbox(app(e, i % 2 ? 'crm' : 'shop'), `load-${i}`, {
        tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: `engineer-${i}`, createdAt: '2026-11-22',
      });
      sb.addEscapeHatch((r) => r.groupRole.addOverride('create_database', true));
    }
  });
}, 120_000);

describe('a very large change', () => {
  it('stays under GitHub\'s comment limit and keeps every attention item', () => {
    const b = read(base);
    const h = read(big);
    const set = computeChangeSet(b, h);
    expect(set.attention.filter((a) => a.category === 'sandbox-added')).toHaveLength(SANDBOXES);
    expect(set.attention.filter((a) => a.category === 'role-attributes')).toHaveLength(SANDBOXES);
    const md = renderMarkdown(set, b.manifest, h.manifest, { reportHint: 'artifact tierkit-diff' });
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    for (const item of set.attention) expect(md, item.subject).toContain(item.subject.replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    expect(md).toContain('see the full change set: artifact tierkit-diff');
    expect(md).not.toContain('truncated');
    // The JSON report keeps everything the comment left out.
    expect(JSON.parse(renderJson(set)).resources).toHaveLength(set.resources.length);
    expect(set.affectedStacks).toHaveLength(SANDBOXES + 1);
  });

  it('degrades in order: attribute tables go before the per-resource sections, before attention details', () => {
    const b = read(base);
    const h = read(big);
    const set = computeChangeSet(b, h);
    const roomy = renderMarkdown(set, b.manifest, h.manifest, { maxChars: GITHUB_COMMENT_LIMIT });
    const tight = renderMarkdown(set, b.manifest, h.manifest, { maxChars: 40_000 });
    expect(roomy).not.toContain('| attribute | before | after |');
    expect(roomy).toContain('#### New sandboxes (200)');
    expect(tight.length).toBeLessThanOrEqual(40_000);
    expect(tight).toContain('Everything but the list of attention items left out');
    expect(tight).not.toContain('truncated');
    for (const item of set.attention) expect(tight).toContain(item.subject);
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
    expect(shrink.stderr).toContain('prod-gated stack(s) affected: platform-dev');
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
