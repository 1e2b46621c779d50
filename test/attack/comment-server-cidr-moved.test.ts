// attack22: a server's `cidr` is only a declaration (nothing ties it to its host, pg-prod.arcodange.lab,
// whose certificate, provider and Vault connection are unchanged), and every network rule judges reach
// against it. One PR to environments/estate.ts moves prod-pg's cidr 10.20.5.10/32 → 10.21.5.10/32 and
// adds 10.20.0.0/16 — the prod network, where prod-pg still answers — to the dev tier's egressAllowList
// (the tier's existing reason unchanged: "Dev reaches the non-prod network (10.10/16)…"). check passes
// (0 errors: TK115 sees no server in 10.20/16 any more); every dev namespace — the sandboxes crm-alice,
// shop-alice, shop-team-growth included — gets egress to 10.20.0.0/16 on every port, prod-pg:5432 among
// them. The PR comment says "0 items to review first": the widening is "5 · Also needs attention /
// network · 7 alike" and the tier loosening, nothing under "2 · Reach into a stricter tier", and the move
// of prod-pg's address is no item at all (diff/reach.ts networkReach judges the head's servers only).
// Secure: the comment judges reach against the base's server addresses too (a lower tier's new egress
// covering where prod-pg was is severity 2), and a live server's cidr change is itself an item.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Tier } from '../../constructs';
import { check, cleanDist, synthDist } from '../policies/helpers';

const ROOT = resolvePath(__dirname, '../..');

function section(md: string, severity: number): string {
  const m = new RegExp(`### ${severity} · [^\\n]*\\n([\\s\\S]*?)(?=\\n### |\\n<details>|$)`).exec(md);
  return m ? m[1] : '';
}

describe('attack22: prod-pg\'s declared address moved out of a widened dev egress', () => {
  it('the PR comment shows dev egress over prod-pg\'s (base) address as reach into a stricter tier', async () => {
    const head = synthDist((e) => {
      (e.node.tryFindChild('prod-pg') as { cidr?: string }).cidr = '10.21.5.10/32';
      const dev = e.tierSettings.find((s) => s.tier === Tier.DEV) as { egressAllowList?: string[] };
      dev.egressAllowList = ['10.10.0.0/16', '10.20.0.0/16'];
    }, 'a22-cidr-moved');
    const report = await check(head);
    expect(report.findings.filter((f) => f.severity === 'error' && !f.suppressed)).toEqual([]); // check passes today
    const m = JSON.parse(readFileSync(join(head, 'manifest.json'), 'utf8'));
    expect(m.tiers.find((t: { name: string }) => t.name === 'dev').egressAllowList).toContain('10.20.0.0/16');
    const out = join(head, '..', `a22-cidr-moved-${process.pid}.md`);
    const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'cli/main.ts'), 'diff', cleanDist(), head, '--now', '2026-11-22T06:00:00Z', '--output', out], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('10.20.0.0/16'); // the widening is in the comment, below the first screen
    expect(section(md, 2)).toContain('prod-pg');
  }, 180_000);
});
