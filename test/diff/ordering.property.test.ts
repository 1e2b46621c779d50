import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../../constructs/synth/manifest';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import type { AttentionCategory, AttentionItem, ChangeSet, ReachItem, TerraformChange } from '../../diff/model';
import { renderMarkdown } from '../../diff/markdown';
import type { CheckReport, Finding } from '../../policies/report/finding';

/**
 * Over random change sets: an item of severity 1–3 (a policy failure or something unjudged, reach
 * into a stricter tier, prod data destroyed) is never rendered below an item of a lower severity,
 * and never truncated away, whatever the size limit. The expected severities are stated here,
 * independently of the renderer's tables.
 */

const manifest = JSON.parse(synthesize(estate()).files.get('manifest.json')!) as Manifest;
const KNOWN: readonly AttentionCategory[] = ['suppression', 'exception', 'meta-argument', 'ownership', 'membership', 'grant', 'role-attributes',
  'statements', 'allowed-roles', 'connection', 'vault-policy', 'auth-role', 'network-policy', 'sandbox-added', 'sandbox-removed', 'gate-changed'];

type Generated =
  | { readonly type: 'attention'; readonly category: string; readonly words: string; readonly details: number }
  | { readonly type: 'reach'; readonly words: string }
  | { readonly type: 'prod-drop' }
  | { readonly type: 'finding'; readonly severity: 'error' | 'warning'; readonly suppressed: boolean; readonly words: string };

const words = fc.string({ minLength: 0, maxLength: 400, size: 'large', unit: fc.constantFrom('a', 'b', ' ', 'x', '<', '|', '`', '-', 'é') });
const generated: fc.Arbitrary<Generated> = fc.oneof(
  fc.record({ type: fc.constant('attention' as const), category: fc.oneof(fc.constantFrom(...KNOWN), fc.constant('not-yet-known')), words, details: fc.nat(12) }),
  fc.record({ type: fc.constant('reach' as const), words }),
  fc.record({ type: fc.constant('prod-drop' as const) }),
  fc.record({ type: fc.constant('finding' as const), severity: fc.constantFrom('error' as const, 'warning' as const), suppressed: fc.boolean(), words }),
);

/** The severity a reviewer is promised for each generated item (undefined: 4 or 5, not ranked here). */
function expectedSeverity(g: Generated): number | undefined {
  if (g.type === 'finding') return g.severity === 'error' && !g.suppressed ? 1 : undefined;
  if (g.type === 'attention') return KNOWN.includes(g.category as AttentionCategory) ? undefined : 1;
  return g.type === 'reach' ? 2 : 3;
}

function build(items: readonly Generated[]): { set: ChangeSet; report: CheckReport } {
  const stacks = manifest.stacks;
  const attention: AttentionItem[] = [];
  const reach: ReachItem[] = [];
  const resources: TerraformChange[] = [];
  const findings: Finding[] = [];
  items.forEach((g, i) => {
    const token = `tok${i}x`;
    const stack = stacks[i % stacks.length].name;
    if (g.type === 'attention') {
      attention.push({ category: g.category as AttentionCategory, subject: token, message: `${g.words} ${token}`, details: Array.from({ length: g.details }, (_, k) => `${g.words} line ${k}`) });
    } else if (g.type === 'reach') {
      reach.push({ subject: token, stack, tier: 'dev', targetTier: 'prod', name: token, message: `${g.words} ${token}` });
    } else if (g.type === 'prod-drop') {
      resources.push({ kind: 'terraform', key: `${stack}/postgresql_database.${token}`, stack, address: `postgresql_database.${token}`, type: 'postgresql_database',
        label: token, tier: 'prod', file: `t/${stack}.json`, action: 'destroy', changes: [{ path: 'name', before: token }] });
    } else {
      findings.push({ ruleId: 'TK999', ruleName: 'generated', severity: g.severity, message: `${g.words} ${token}`, fix: 'fix it', file: `${token}.json`,
        ...(g.suppressed ? { suppressed: { reason: 'accepted for the test' } } : {}) });
    }
  });
  const errors = findings.filter((f) => f.severity === 'error' && !f.suppressed).length;
  const report: CheckReport = {
    tool: { name: 'tierkit', version: '0' }, now: '2026-11-22T00:00:00.000Z', rules: [], findings, exceptions: [],
    summary: { errors, warnings: findings.filter((f) => f.severity === 'warning').length, notes: 0, suppressed: findings.filter((f) => f.suppressed).length },
  };
  const set: ChangeSet = {
    schemaVersion: 1, identical: false, estate: manifest.estate.name, summary: [], affectedStacks: [], attention, reach, manifest: [], resources,
  };
  return { set, report };
}

describe('severity order over random change sets', () => {
  it('a severity 1–3 item is never below a lower one, and never truncated away', () => {
    fc.assert(fc.property(fc.array(generated, { maxLength: 120, size: 'large' }), fc.oneof(fc.integer({ min: 2_000, max: 8_000 }), fc.integer({ min: 2_000, max: 65_535 })), (items, maxChars) => {
      const { set, report } = build(items);
      const md = renderMarkdown(set, manifest, manifest, { check: { report }, maxChars });
      expect(md.length).toBeLessThanOrEqual(maxChars);
      // The items part: everything before the collapsed sections.
      const lines = md.split('\n');
      const end = lines.findIndex((l) => l.startsWith('<details>') || l.startsWith('**Not listed here**'));
      const head = end < 0 ? lines : lines.slice(0, end);
      const headings = head.map((l, i) => [i, /^### (\d) · /.exec(l)?.[1]] as const).filter(([, s]) => s !== undefined).map(([i, s]) => [i, Number(s)] as const);
      // Sections come in severity order.
      expect(headings.map(([, s]) => s)).toEqual([...headings.map(([, s]) => s)].sort((a, b) => a - b));
      items.forEach((g, i) => {
        const severity = expectedSeverity(g);
        if (severity === undefined) return;
        const at = head.findIndex((l) => new RegExp(`\\btok${i}x\\b`).test(l));
        expect(at, `tok${i}x (severity ${severity}) is on the comment`).toBeGreaterThanOrEqual(0);
        const under = [...headings].reverse().find(([h]) => h < at)?.[1];
        expect(under, `tok${i}x sits under the heading of severity ${severity}`).toBe(severity);
      });
    }), { numRuns: 150, seed: 20261125, endOnFailure: true });
  });
});
