// Issue #10, the PostgreSQL part: every case of the mutation corpus is caught by its rule, through
// an escape hatch and through a hand edit of dist/ whose manifest hashes were rewritten; the
// legitimate neighbours pass. See fail-closed-postgres.corpus.ts for the cases.
import { beforeAll, describe, expect, it } from 'vitest';
import { MODELLED_POSTGRES_TYPES } from '../../policies/graph/postgres';
import type { CheckReport } from '../../policies/report/finding';
import { CASES, NEIGHBOURS, edit, envOf, hatch, stackOf, type Case } from './fail-closed-postgres.corpus';
import { check, cleanDist, freshDir, synthDist } from './helpers';
import { editDist } from './rehash';

const MY_RULES = /^TK0(3\d|40)$/;

/** Cases in batches where no two edit the same resource (each batch is one synth and one check). */
function batches(cases: readonly Case[]): Case[][] {
  const out: { cases: Case[]; edited: Set<string> }[] = [];
  for (const c of cases) {
    const key = c.edit ? `${c.env}\u0000${c.edit.address}` : undefined;
    const home = out.find((b) => !key || !b.edited.has(key));
    const batch = home ?? (out.push({ cases: [], edited: new Set() }), out[out.length - 1]);
    batch.cases.push(c);
    if (key) batch.edited.add(key);
  }
  return out.map((b) => b.cases);
}

function caught(report: CheckReport, c: Case) {
  const file = `terraform/${stackOf(c.env)}/cdk.tf.json`;
  return report.findings.filter((f) => f.ruleId === c.rule && f.file === file && (f.pointer ?? '').startsWith(c.pointer));
}

describe('fail closed, PostgreSQL: the mutation corpus', () => {
  const groups = batches(CASES);
  const viaHatch = new Map<Case, CheckReport>();
  const viaEdit = new Map<Case, CheckReport>();

  beforeAll(async () => {
    for (const [i, group] of groups.entries()) {
      const hatched = synthDist((e) => { for (const c of group) hatch(e, c); }, `fc-pg-hatch-${i}`);
      const hatchedReport = await check(hatched);
      const edits: Record<string, (json: any) => void> = {};
      for (const c of group) {
        const prev = edits[stackOf(c.env)];
        edits[stackOf(c.env)] = (json) => { prev?.(json); edit(json, c); };
      }
      const edited = editDist(cleanDist(), freshDir(`fc-pg-edit-${i}`), edits);
      const editedReport = await check(edited);
      for (const c of group) {
        viaHatch.set(c, hatchedReport);
        viaEdit.set(c, editedReport);
      }
    }
  }, 240_000);

  it('represents every class of the issue, every rule TK030–TK040 and every modelled resource type', () => {
    expect(new Set(CASES.map((c) => c.klass))).toEqual(new Set([2, 3, 4, 5]));
    const rules = new Set(CASES.map((c) => c.rule));
    for (let n = 30; n <= 40; n++) expect(rules, `TK0${n}`).toContain(`TK0${n}`);
    const types = new Set(CASES.flatMap((c) => [...Object.keys(c.resources ?? {}), ...Object.keys(c.data ?? {}), ...(c.edit ? [c.edit.address.split('.')[0]] : [])]));
    for (const t of MODELLED_POSTGRES_TYPES.resources) if (t !== 'postgresql_grant_role' && t !== 'postgresql_role') expect(types, t).toContain(t);
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
  });

  it('the clean example estate has no finding of these rules (nothing here is caught by default)', async () => {
    const report = await check(cleanDist());
    expect(report.findings.filter((f) => MY_RULES.test(f.ruleId))).toEqual([]);
  });

  it.each(CASES.map((c) => [c.id, c] as const))('%s: caught through an escape hatch', (_id, c) => {
    const found = caught(viaHatch.get(c)!, c);
    expect(found.length, `${c.rule} at ${c.pointer}\n${viaHatch.get(c)!.findings.filter((f) => f.file?.includes(stackOf(c.env))).map((f) => `${f.ruleId} ${f.pointer} ${f.message}`).join('\n')}`).toBeGreaterThan(0);
    const expected = c.rule === 'TK031' ? 'warning' : 'error';
    expect(found.every((f) => f.severity === expected && !f.suppressed)).toBe(true);
  });

  it.each(CASES.map((c) => [c.id, c] as const))('%s: caught through a dist edit with rewritten hashes', (_id, c) => {
    const found = caught(viaEdit.get(c)!, c);
    expect(found.length, `${c.rule} at ${c.pointer}`).toBeGreaterThan(0);
    expect(found[0].message).toMatch(/\S/);
  });
});

describe('fail closed, PostgreSQL: neighbours and suppressions', () => {
  it('the legitimate neighbours (own database, own roles, plain values) pass, through a hatch and a dist edit', async () => {
    const hatched = await check(synthDist((e) => { for (const n of NEIGHBOURS) hatch(e, n); }, 'fc-pg-neighbours'));
    expect(hatched.findings.map((f) => `${f.ruleId} ${f.pointer} ${f.message}`)).toEqual([]);
    const edits: Record<string, (json: any) => void> = {};
    for (const n of NEIGHBOURS) edits[stackOf(n.env)] = (json) => edit(json, n);
    const edited = await check(editDist(cleanDist(), freshDir('fc-pg-neighbours-edit'), edits));
    expect(edited.findings.map((f) => `${f.ruleId} ${f.pointer} ${f.message}`)).toEqual([]);
  }, 60_000);

  it('a suppression cannot accept a reach into the prod server; a lower-tier unmodelled type is a suppressible warning', async () => {
    const definer = CASES.find((c) => c.id === 'security-definer')!;
    const own = CASES.find((c) => c.id === 'unknown-type-own-server')!;
    const report = await check(synthDist((e) => {
      hatch(e, definer);
      envOf(e, definer.env).addSuppression('TK032', 'we need this function for the rehearsal, trust us');
      hatch(e, own);
      envOf(e, own.env).addSuppression('TK031', 'event triggers are audited by the demo team by hand');
    }, 'fc-pg-suppress'));
    const tk032 = report.findings.filter((f) => f.ruleId === 'TK032');
    expect(tk032.length).toBeGreaterThan(0);
    expect(tk032.every((f) => !f.suppressed && f.severity === 'error')).toBe(true);
    expect(report.findings).toContainEqual(expect.objectContaining({ ruleId: 'TK100', message: expect.stringMatching(/erp-sandbox suppresses TK032.*live-data tier prod/) }));
    const tk031 = report.findings.filter((f) => f.ruleId === 'TK031');
    expect(tk031).toHaveLength(1);
    expect(tk031[0].suppressed?.reason).toMatch(/audited/);
  }, 60_000);

  it('a provider whose host is not a literal manifest server counts as the prod server', async () => {
    const dir = editDist(cleanDist(), freshDir('fc-pg-host'), {
      'shop-demo': (json) => {
        json.provider.postgresql[0].host = '${local.pg_host}';
        json.resource.postgresql_event_trigger = { t: { name: 't', database: 'shop-demo' } };
      },
    });
    const report = await check(dir);
    expect(report.findings).toContainEqual(expect.objectContaining({ ruleId: 'TK030', message: expect.stringMatching(/cannot be resolved.*may hold prod/) }));
    expect(report.findings).toContainEqual(expect.objectContaining({ ruleId: 'TK038', pointer: '/provider/postgresql/0/host' }));
    expect(report.findings.filter((f) => f.ruleId === 'TK031')).toEqual([]);
  }, 60_000);

  it('a reach-relevant literal wrapped in an expression is still refused (unknown is never a pass)', async () => {
    const wrapped: Case[] = [
      { id: 'w-definer', klass: 2, rule: 'TK032', env: 'erp/sandbox', pointer: '/resource/postgresql_function/w/security_definer',
        resources: { postgresql_function: { w: { name: 'w', database: 'erp-sandbox', returns: 'void', language: 'plpgsql', security_definer: '${local.sd}', body: 'BEGIN END;' } } } },
      { id: 'w-template', klass: 2, rule: 'TK037', env: 'erp/sandbox', pointer: '/resource/postgresql_database/database/template',
        edit: { key: 'database', address: 'postgresql_database.database', attrs: { template: '${lower("ERP")}' } } },
      { id: 'w-conninfo', klass: 2, rule: 'TK036', env: 'shop/dev', pointer: '/resource/postgresql_subscription/w/conninfo',
        resources: { postgresql_subscription: { w: { name: 'w', database: 'shop-dev', publications: ['p'], conninfo: 'host=%{ if true }pg-prod.arcodange.lab%{ endif } dbname=shop' } } } },
      { id: 'w-role', klass: 4, rule: 'TK039', env: 'erp/sandbox', pointer: '/resource/postgresql_role/group_role/roles/0',
        edit: { key: 'groupRole', address: 'postgresql_role.group_role', attrs: { roles: ['${format("pg_%s", "write_all_data")}'] } } },
      { id: 'w-fdw-host', klass: 2, rule: 'TK033', env: 'shop/dev', pointer: '/resource/postgresql_server/w/options',
        resources: { postgresql_server: { w: { server_name: 'w', fdw_name: 'postgres_fdw', options: { host: '${var.h}', dbname: 'shop-dev' } } } } },
    ];
    const report = await check(synthDist((e) => { for (const c of wrapped) hatch(e, c); }, 'fc-pg-wrapped'));
    for (const c of wrapped) expect(caught(report, c).length, c.id).toBeGreaterThan(0);
  }, 60_000);
});
