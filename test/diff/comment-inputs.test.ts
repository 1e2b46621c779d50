import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeChangeSet } from '../../diff/changeset';
import { renderMarkdown } from '../../diff/markdown';
import { PlanSummaryError, parsePlanSummaries } from '../../diff/plans';
import { app, pairDirs, read, writeEstate } from './fixtures';
import { tierkit } from './cli';

/** What the comment embeds besides the change set: the check result and the plan summaries. */

let dirs: { base: string; head: string };
beforeAll(() => {
  dirs = pairDirs('inputs');
  writeEstate(dirs.base);
  writeEstate(dirs.head, (e) => app(e, 'crm').environment('ci')!.addEscapeHatch((r) => r.database.addOverride('owner', 'crm_role')));
});

describe('plan summaries', () => {
  const plans = (p: unknown) => JSON.stringify({ schemaVersion: 1, plans: p });

  it('are read strictly: anything but the documented shape is refused, naming the source', () => {
    expect(() => parsePlanSummaries('{', 'p.json')).toThrow(PlanSummaryError);
    expect(() => parsePlanSummaries(JSON.stringify({ schemaVersion: 2, plans: [] }), 'p.json')).toThrow('p.json: expected { "schemaVersion": 1');
    expect(() => parsePlanSummaries(plans([{ stack: 'x', create: [], update: [], delete: 'all', replace: [] }]), 'p.json')).toThrow('plans[0] needs');
    expect(parsePlanSummaries(plans([{ stack: 'b', create: [], update: [], delete: [], replace: [] }, { stack: 'a', create: ['x.y'], update: [], delete: [], replace: [] }]), 'p.json')
      .plans.map((p) => p.stack)).toEqual(['a', 'b']);
  });

  it('a plan that deletes prod data is severity 3, even where the diff shows nothing; drift elsewhere is an item', () => {
    const b = read(dirs.base);
    const h = read(dirs.head);
    const set = computeChangeSet(b, h);
    const summaries = parsePlanSummaries(plans([
      { stack: 'crm', create: [], update: [], delete: [], replace: ['postgresql_database.database'] },
      { stack: 'crm-dev', create: [], update: ['vault_policy.vault_policy'], delete: [], replace: [] },
    ]), 'p.json');
    const md = renderMarkdown(set, b.manifest, h.manifest, { plans: summaries });
    const first = md.split('\n').slice(0, 25).join('\n');
    expect(first).toContain('### 3 · Prod data destroyed (1)');
    expect(first).toContain('the plan of stack `crm` replaces (deletes, then creates) prod database `postgresql_database.database`');
    expect(md).toContain('the plan of stack `crm-dev` changes resources although this diff changes nothing there');
    expect(md).toContain('| crm | 0 | 0 | 0 | 1 |');
  });
});

describe('the embedded check result', () => {
  it('a check that could not run is a severity-1 item with its reason, never a silent pass', () => {
    const b = read(dirs.base);
    const h = read(dirs.head);
    const md = renderMarkdown(computeChangeSet(b, h), b.manifest, h.manifest, { check: { error: 'manifest.json: sha256 mismatch' } });
    expect(md).toContain('**Policy check: could not run**');
    expect(md).toContain('### 1 · Policy failures, and what the policy check could not judge');
    expect(md).toContain('`tierkit check` could not judge the head dist: no rule has passed it.');
    expect(md).toContain('manifest.json: sha256 mismatch');
  });

  it('the CLI runs the check on the head dist at --now, or reads --check-report; --plans fills the slot', () => {
    const ran = tierkit(['diff', dirs.base, dirs.head, '--now', '2026-11-22T00:00:00Z']);
    expect(ran.status).toBe(0);
    // The owner is prod's group (TK001), a role the estate does not declare on that server (TK039).
    expect(ran.stdout).toContain('**Policy check FAILED** (2 errors');
    expect(ran.stdout).toContain('`TK001` ownership-and-membership');
    expect(ran.stdout).toContain('`TK039` postgres-undeclared-role');
    expect(ran.stdout).toContain('Evaluated at `2026-11-22T00:00:00.000Z`');
    // A report given by file (here: one that passed) is what the comment shows.
    const report = join(dirs.base, '..', 'check.json');
    writeFileSync(report, JSON.stringify({ now: '2026-11-22T00:00:00.000Z', rules: [], findings: [], exceptions: [], summary: { errors: 0, warnings: 0, notes: 0, suppressed: 0 } }));
    const plans = join(dirs.base, '..', 'plans.json');
    writeFileSync(plans, JSON.stringify({ schemaVersion: 1, plans: [{ stack: 'crm-ci', create: [], update: ['postgresql_database.database'], delete: [], replace: [] }] }));
    const given = tierkit(['diff', dirs.base, dirs.head, '--check-report', report, '--plans', plans]);
    expect(given.status).toBe(0);
    expect(given.stdout).toContain('**Policy check passed**');
    expect(given.stdout).toContain('| crm-ci | 0 | 1 | 0 | 0 |');
    const bad = tierkit(['diff', dirs.base, dirs.head, '--now', 'tomorrow']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--now must be an ISO-8601 instant');
  }, 120_000);
});
