import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sandbox, SandboxKind, SandboxReset, Tier, type Estate } from '../../constructs';
import type { CheckReport } from '../../policies/report/finding';
import { check, findings, freshDir, synthDist } from './helpers';
import { editDist } from './rehash';

// TK128, TK129 and TK137 (the fast template reset, issue 19) against a hostile author: a
// suppression, hand-edited stacks, a hand-edited manifest. The example estate gains one sandbox,
// crm-fast (dev, on the managed non-prod server), declared with reset: SandboxReset.TEMPLATE.

const ids = (r: CheckReport) => [...new Set(r.findings.filter((f) => f.severity === 'error').map((f) => f.ruleId))].sort();
const messages = (r: CheckReport, id: string) => findings(r, id).map((f) => f.message);

function withFast(e: Estate): Sandbox {
  const crm = e.node.tryFindChild('crm') as ConstructorParameters<typeof Sandbox>[0];
  return new Sandbox(crm, 'fast', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2026-11-21', ttlHours: 72, reset: SandboxReset.TEMPLATE });
}
let base: string | undefined;
const fastDist = () => (base ??= synthDist((e) => { withFast(e); }, 'template-reset'));
const stackJson = (dir: string, name: string) => JSON.parse(readFileSync(join(dir, 'terraform', name, 'cdk.tf.json'), 'utf8'));

function editManifest(edit: (m: any) => void): string {
  const dir = editDist(fastDist(), freshDir('template-reset-manifest'), {});
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8'));
  edit(m);
  writeFileSync(path, JSON.stringify(m, null, 2));
  return dir;
}

describe('the template reset in check (TK128, TK129, TK137)', () => {
  it('a template-reset sandbox passes every rule; its stack holds the role, its membership and the closed golden', async () => {
    const report = await check(fastDist());
    expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const json = stackJson(fastDist(), 'crm-fast');
    expect(json.resource.postgresql_role.template_reset_role).toMatchObject({ name: 'crm_fast_template', login: false, create_database: true });
    expect(json.resource.postgresql_grant_role.template_reset_membership).toMatchObject({ role: '${postgresql_role.template_reset_role.name}', grant_role: '${postgresql_role.group_role.name}' });
    expect(json.resource.postgresql_database.golden_database).toMatchObject({ name: 'crm-fast_golden', owner: '${postgresql_role.template_reset_role.name}', allow_connections: false, is_template: false });
    expect(Object.keys(json.resource.postgresql_grant).filter((k) => k.startsWith('golden'))).toEqual([]);
    // The managed server's provider joins the template role to create the golden OWNER it, as it joins the group.
    expect(json.resource.postgresql_grant_role.provider_template_membership).toMatchObject({ grant_role: '${postgresql_role.template_reset_role.name}' });
    const m = JSON.parse(readFileSync(join(fastDist(), 'manifest.json'), 'utf8'));
    expect(m.appEnvironments.filter((e: any) => e.sandbox?.reset).map((e: any) => [e.slug, e.sandbox.reset])).toEqual([['crm-fast', 'template']]);
  });

  it('TK128: the role widened (SUPERUSER, CREATEROLE, LOGIN) or joined to prod\'s group, or owning another database, is an error — suppressed or not', async () => {
    const dir = editDist(synthDist((e) => { withFast(e).addSuppression('TK128', 'the template role needs a little more for a while'); }, 'tk128'), freshDir('tk128'), {
      'crm-fast': (j) => {
        Object.assign(j.resource.postgresql_role.template_reset_role, { superuser: true, create_role: true, login: true });
        j.resource.postgresql_grant_role.sneak = { role: 'crm_fast_template', grant_role: 'erp_role' };
        j.resource.postgresql_database.loot = { name: 'loot', owner: 'crm_fast_template' };
      },
    });
    const report = await check(dir);
    expect(messages(report, 'TK128')).toEqual(expect.arrayContaining([
      'template role "crm_fast_template" has login = true; it must be exactly false',
      'template role "crm_fast_template" has createRole = true; it must be exactly false',
      'template role "crm_fast_template" has superuser = true; it must be exactly false',
      expect.stringMatching(/^"crm_fast_template" is made a member of "erp_role" \(via grant_role\) in stack crm-fast/),
      expect.stringMatching(/^database "loot" \(stack crm-fast\) is owned by the template role "crm_fast_template"/),
    ]));
    expect(findings(report, 'TK128').every((f) => f.severity === 'error' && f.suppressed === undefined)).toBe(true);
    expect(ids(report)).toContain('TK100');
  });

  it('TK128: another stack granting the role, or making a role its member, is an error', async () => {
    const dir = editDist(fastDist(), freshDir('tk128-other'), {
      'shop-dev': (j) => {
        j.resource.postgresql_grant_role.sneak = { role: 'shop_dev_role', grant_role: 'crm_fast_template' };
        j.resource.postgresql_grant.sneak = { database: 'shop-dev', role: 'crm_fast_template', object_type: 'database', privileges: ['CONNECT'] };
      },
    });
    expect(messages(await check(dir), 'TK128')).toEqual(expect.arrayContaining([
      expect.stringMatching(/^"shop_dev_role" is made a member of "crm_fast_template" \(via grant_role\) in stack shop-dev/),
      expect.stringMatching(/^stack shop-dev grants CONNECT \(database\) on "shop-dev" to the template role "crm_fast_template"/),
    ]));
  });

  it('TK129: the golden opened, made a template, cloned from prod, owned by the group, or granted from another stack is an error', async () => {
    const dir = editDist(fastDist(), freshDir('tk129'), {
      'crm-fast': (j) => Object.assign(j.resource.postgresql_database.golden_database, { allow_connections: true, is_template: true, template: 'erp', owner: 'crm_fast_role' }),
      'shop-dev': (j) => { j.resource.postgresql_grant.sneak = { database: 'crm-fast_golden', role: 'shop_dev_role', object_type: 'database', privileges: ['CONNECT'] }; },
    });
    const found = messages(await check(dir), 'TK129');
    expect(found).toEqual(expect.arrayContaining([
      'golden "crm-fast_golden" is owned by "crm_fast_role"; it must be the template role "crm_fast_template" (an owner\'s members may clone, alter and drop it)',
      'golden "crm-fast_golden" sets allow_connections = true; it must be exactly false',
      'golden "crm-fast_golden" sets is_template = true: any CREATEDB role of the server could clone the seed',
      'golden "crm-fast_golden" is created from template "erp": it starts empty (template0) and its Job loads the seed',
      expect.stringMatching(/^stack shop-dev grants CONNECT \(database\) on the golden "crm-fast_golden" to "shop_dev_role"/),
    ]));
  });

  it('TK129: a PUBLIC revoke resource on the golden (which the provider cannot apply on a closed database) is an error', async () => {
    const dir = editDist(fastDist(), freshDir('tk129-public'), {
      'crm-fast': (j) => { j.resource.postgresql_grant.golden_public_revoke = { database: 'crm-fast_golden', role: 'public', object_type: 'database', privileges: [] }; },
    });
    expect(messages(await check(dir), 'TK129')).toEqual([expect.stringMatching(/^stack crm-fast grants \(nothing\) \(database\) on the golden "crm-fast_golden" to "public": no grant names the golden/)]);
  });

  it('a hand-edited manifest cannot launder: reset removed, the pieces are judged as any role; claimed on prod or a tier env, TK137 and TK128 refuse', async () => {
    const removed = await check(editManifest((m) => { delete m.appEnvironments.find((e: any) => e.slug === 'crm-fast').sandbox.reset; }));
    expect(ids(removed)).toEqual(expect.arrayContaining(['TK001', 'TK003']));
    const onProd = await check(editManifest((m) => {
      const prod = m.appEnvironments.find((e: any) => e.slug === 'erp');
      prod.sandbox = { ...m.appEnvironments.find((e: any) => e.slug === 'crm-fast').sandbox };
    }));
    expect(messages(onProd, 'TK137')).toEqual(expect.arrayContaining([
      'erp (tier prod) declares reset "template" but is a "tier" env, not a sandbox',
      'erp (tier prod) declares reset "template": tier prod holds live data or allows no sandboxes',
    ]));
    expect(messages(onProd, 'TK128')).toEqual(expect.arrayContaining(['template reset of erp (tier prod): stack erp declares 0 roles "erp_template"; exactly one is the template role']));
    const odd = await check(editManifest((m) => { m.appEnvironments.find((e: any) => e.slug === 'crm-fast').sandbox.reset = 'restore-from-prod'; }));
    expect(messages(odd, 'TK137')).toEqual(['crm-fast (tier dev) declares reset "restore-from-prod": the only reset a manifest names is "template" (absent: the pg_restore reset)']);
  });

  it('a hand-edited manifest claiming the template reset for erp-sandbox cannot whitewash a CREATEDB role joined to prod\'s group', async () => {
    const dir = editDist(fastDist(), freshDir('tk128-launder'), {
      'erp-sandbox': (j) => {
        j.resource.postgresql_role.template_reset_role = { name: 'erp_sandbox_template', login: false, create_database: true };
        j.resource.postgresql_grant_role.template_reset_membership = { role: 'erp_sandbox_template', grant_role: 'erp_role' };
      },
    });
    const path = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    m.appEnvironments.find((e: any) => e.slug === 'erp-sandbox').sandbox.reset = 'template';
    writeFileSync(path, JSON.stringify(m, null, 2));
    const report = await check(dir);
    expect(messages(report, 'TK128')).toEqual(expect.arrayContaining([
      expect.stringMatching(/^"erp_sandbox_template" is made a member of "erp_role" \(via grant_role\) in stack erp-sandbox/),
      expect.stringMatching(/^template role "erp_sandbox_template" is not a member of "erp_sandbox_role"/),
    ]));
    expect(ids(report)).toContain('TK129'); // no golden
  });
});

describe('validation of reset: SandboxReset.TEMPLATE', () => {
  it('refuses a server before PostgreSQL 15, naming the sandbox, the prop, the value and the fix', () => {
    expect(() => synthDist((e) => {
      const sb = withFast(e);
      (sb.server as { majorVersion: number }).majorVersion = 14;
    }, 'pg14')).toThrow(/reset[\s\S]*needs PostgreSQL 15 or later; server nonprod-pg is 14/);
  });

});
