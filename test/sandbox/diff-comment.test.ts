// The PR comment is the audit record of a sandbox's lifecycle: it names create, extend and delete,
// and asks for approval when a sandbox goes past 7 days.
import { describe, expect, it } from 'vitest';
import { Estate, Sandbox, SandboxKind, Tier } from '../../constructs';
import { computeChangeSet } from '../../diff/changeset';
import { renderMarkdown } from '../../diff/markdown';
import { app, pairDirs, read, writeEstate } from '../diff/fixtures';

function comment(mutate: (e: Estate) => void): { md: string; categories: string[] } {
  const dirs = pairDirs('sandbox-comment');
  const b = read(writeEstate(dirs.base));
  const h = read(writeEstate(dirs.head, mutate));
  const set = computeChangeSet(b, h);
  return { md: renderMarkdown(set, b.manifest, h.manifest, {}), categories: set.attention.map((a) => `${a.category} ${a.subject}`) };
}

/** crm/alice re-declared with another TTL (createdAt unchanged): what `extend` does to a file. */
const reTtl = (ttlHours: number, reason?: string) => (e: Estate) => {
  const crm = app(e, 'crm');
  crm.node.tryRemoveChild('alice');
  new Sandbox(crm, 'alice', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'alice', createdAt: '2026-11-20', ttlHours, ...(reason ? { reason } : {}), flags: { 'new-pipeline-view': true } });
};

describe('the PR comment names the sandbox lifecycle', () => {
  it('an extension within 7 days: "sandbox extend", no approval asked', () => {
    const { md, categories } = comment(reTtl(120));
    expect(categories).toContain('sandbox-extended sandbox crm-alice');
    expect(categories.filter((c) => c.startsWith('sandbox-approval'))).toEqual([]);
    expect(md).toContain('**sandbox extend** · `sandbox crm-alice`: owner alice, kind engineer, tier dev, TTL 120 h');
  });

  it('an extension past 7 days: "sandbox extend" and an approval item with the reason, before routine changes', () => {
    const { md, categories } = comment(reTtl(240, 'reproducing the month-end billing run'));
    expect(categories).toEqual(expect.arrayContaining(['sandbox-extended sandbox crm-alice', 'sandbox-approval sandbox crm-alice']));
    const approval = md.indexOf('**sandbox past 7 days: approval needed** · `sandbox crm-alice`: extended from 72 h to 240 h, past 7 days (168 h)');
    expect(approval).toBeGreaterThan(-1);
    expect(md).toContain('reason: reproducing the month-end billing run');
    expect(approval).toBeLessThan(md.indexOf('**sandbox extend**'));
  });

  it('a shortening is a "sandbox change", never an extension; create and delete are named', () => {
    expect(comment(reTtl(24)).categories).toContain('sandbox-changed sandbox crm-alice');
    const created = comment((e) => { new Sandbox(app(e, 'crm'), 'carol', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'team-growth', createdAt: '2026-11-21', ttlHours: 200, reason: 'a long investigation' }); });
    expect(created.md).toMatch(/sandbox create\**\s·\s`?sandbox crm-carol/);
    expect(created.md).toContain('**sandbox past 7 days: approval needed** · `sandbox crm-carol`: created with a TTL of 200 h');
    const deleted = comment((e) => { app(e, 'crm').node.tryRemoveChild('alice'); });
    expect(deleted.md).toMatch(/sandbox delete\**\s·\s`?sandbox crm-alice/);
  });

  it('the example data-file sandbox shows its template and file in the comment when deleted', () => {
    const { md } = comment((e) => { app(e, 'shop').node.tryRemoveChild('bob-checkout'); });
    // A sandbox and its stack are one change: its line merges into the stack's.
    expect(md).toContain('also: sandbox delete · sandbox shop-bob-checkout: owner bob, kind engineer, tier dev, TTL 72 h (expires 2026-11-24T08:00:00.000Z), seed synthetic:v1, server nonprod-pg, template feature-default, file sandboxes/shop/bob-checkout.json');
  });
});
