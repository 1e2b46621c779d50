// Issue 17: the promote credential as a hostile PR author would widen it — escape hatches on the
// synthesized stacks, suppressions, hand-edited dist/ — and the validation of App.promoteGrants.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { App, Sandbox, SandboxKind, SeedProfile, Tier, validateEstate } from '../../constructs';
import exampleEstate from '../../environments';
import { DistEdit } from './dist-edit';
import { check, cleanDist, env, findings, synthDist } from './helpers';

const messages = (report: Awaited<ReturnType<typeof check>>, id: string) => findings(report, id).map((f) => f.message);

describe('the promote credential in the example estate', () => {
  it('is judged by TK160 and TK161 and passes both; TK004 and TK005 leave it to them', async () => {
    const report = await check(cleanDist());
    for (const id of ['TK004', 'TK005', 'TK160', 'TK161']) expect(messages(report, id), id).toEqual([]);
    const stack = JSON.parse(readFileSync(join(cleanDist(), 'terraform/erp/cdk.tf.json'), 'utf8'));
    expect(stack.resource.vault_database_secret_backend_role.promote_role.creation_statements).toEqual([
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' CONNECTION LIMIT 1;`,
      'GRANT CONNECT ON DATABASE "erp" TO "{{name}}";',
      'GRANT SELECT, INSERT, UPDATE ON TABLE "public"."llx_facture" TO "{{name}}";',
      'GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "public"."llx_facturedet" TO "{{name}}";',
      'GRANT SELECT, UPDATE ON TABLE "public"."llx_societe" TO "{{name}}";',
    ]);
    // Only prod of the app with a golden sandbox and grants carries one.
    const m = JSON.parse(readFileSync(join(cleanDist(), 'manifest.json'), 'utf8'));
    expect(m.appEnvironments.filter((e: { promote?: unknown }) => e.promote).map((e: { slug: string }) => e.slug)).toEqual(['erp']);
  });
});

describe('TK160: the promote credential holds only the declared DML', () => {
  it('refuses owner-group membership, undeclared tables and privileges, ALL IN SCHEMA, GRANT OPTION and a long TTL, whatever is suppressed', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'prod')
      .addSuppression('TK160', 'the replay needs more rights than declared, trust us')
      .addEscapeHatch((r) => {
        r.promote!.role.addOverride('creation_statements', [
          `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "erp_role";`,
          'GRANT CONNECT ON DATABASE "erp" TO "{{name}}";',
          'GRANT SELECT, TRUNCATE ON TABLE "public"."llx_facture" TO "{{name}}";',
          'GRANT SELECT ON TABLE "public"."llx_user" TO "{{name}}";',
          'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{{name}}";',
          'GRANT UPDATE ON TABLE "public"."llx_societe" TO "{{name}}" WITH GRANT OPTION;',
          'GRANT "erp_role" TO "{{name}}";',
        ]);
        r.promote!.role.addOverride('max_ttl', 86400);
      }), 'tk160-widened');
    const report = await check(dir);
    const found = messages(report, 'TK160');
    expect(found.some((m) => m.includes('joins "erp_role" (IN ROLE)'))).toBe(true);
    expect(found.some((m) => m.includes('GRANTs TRUNCATE on public.llx_facture'))).toBe(true);
    expect(found.some((m) => m.includes('public.llx_user, which the app\'s promoteGrants do not declare'))).toBe(true);
    expect(found.some((m) => m.includes('ALL … IN SCHEMA'))).toBe(true);
    expect(found.some((m) => m.includes('WITH GRANT OPTION'))).toBe(true);
    expect(found.some((m) => m.includes('GRANTs role(s) "erp_role"'))).toBe(true);
    expect(found.some((m) => m.includes('max_ttl is 86400'))).toBe(true);
    expect(findings(report, 'TK160').every((f) => !f.suppressed)).toBe(true);
    expect(report.summary.errors).toBeGreaterThanOrEqual(7);
  });

  it('a hand-edited stack file (manifest hash rewritten) that puts the promote login in the owner group is refused', async () => {
    const edit = new DistEdit('tk160-handedited');
    const rel = 'terraform/erp/cdk.tf.json';
    const stack = JSON.parse(readFileSync(join(edit.dir, rel), 'utf8'));
    stack.resource.vault_database_secret_backend_role.promote_role.creation_statements[0] =
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "erp_role";`;
    edit.write(rel, `${JSON.stringify(stack, null, 2)}\n`);
    const report = await check(edit.dir);
    expect(messages(report, 'TK020')).toEqual([]);
    expect(messages(report, 'TK160').some((m) => m.includes('joins "erp_role" (IN ROLE)'))).toBe(true);
  });

  it('a hand-edited manifest that drops the declaration leaves the role to TK004 and TK005, which refuse it', async () => {
    const dir = new DistEdit('tk160-undeclared').manifest((m) => {
      for (const e of m.appEnvironments) delete e.promote;
    }).dir;
    const report = await check(dir);
    expect(messages(report, 'TK004').some((m) => m.includes('postgres/roles/erp-promote') && m.includes('runs Grant'))).toBe(true);
    expect(messages(report, 'TK005').some((m) => m.includes('allows role "erp-promote"'))).toBe(true);
  });

  it('a hand-edited manifest that declares TRUNCATE, a foreign table, or a promote on the sandbox is refused', async () => {
    const dir = new DistEdit('tk160-manifest').manifest((m) => {
      const prod = m.appEnvironments.find((e: { slug: string }) => e.slug === 'erp');
      prod.promote.grants.push({ table: 'pg_authid', privileges: ['TRUNCATE'] });
    }).dir;
    const found = messages(await check(dir), 'TK160');
    expect(found.some((m) => m.includes('declares table "pg_authid", not a table of the app'))).toBe(true);
    expect(found.some((m) => m.includes('declares "TRUNCATE"'))).toBe(true);
  });
});

describe('TK161: only the data-promote replay job reads the promote credential', () => {
  /** The platform stack that declares the promote identity, edited by hand (manifest hash rewritten). */
  const platform = (label: string, edit: (resource: any) => void) => {
    const d = new DistEdit(label);
    const rel = 'terraform/platform-prod/cdk.tf.json';
    const stack = JSON.parse(readFileSync(join(d.dir, rel), 'utf8'));
    edit(stack.resource);
    d.write(rel, `${JSON.stringify(stack, null, 2)}\n`);
    return d.dir;
  };

  it('refuses a sandbox policy (even by `+`), a pod\'s auth role holding the promote policy, and a widened promote policy, whatever is suppressed', async () => {
    const dir = synthDist((e) => {
      env(e, 'erp', 'sandbox').addSuppression('TK161', 'the agent rehearses the replay itself, trust us').addEscapeHatch((r) => {
        r.vaultPolicy.addOverride('policy', 'path "postgres/creds/+" {\n  capabilities = ["read"]\n}\n');
      });
      env(e, 'erp', 'prod').addEscapeHatch((r) => r.kubernetesAuthRole.addOverride('token_policies', ['erp', 'erp-promote']));
    }, 'tk161-readers');
    const report = await check(dir);
    const found = messages(report, 'TK161');
    expect(found.some((m) => m.includes('Vault policy "erp-sandbox" (stack erp-sandbox) can read postgres/creds/erp-promote'))).toBe(true);
    expect(found.some((m) => m.includes('kubernetes auth role "auth/kubernetes/role/erp" hands out erp-promote'))).toBe(true);
    expect(findings(report, 'TK161').every((f) => !f.suppressed)).toBe(true);
    const widened = messages(await check(platform('tk161-widened', (r) => {
      r.vault_policy.promote_policy_erp.policy = 'path "postgres/creds/erp-promote" {\n  capabilities = ["read"]\n}\npath "postgres/creds/erp" {\n  capabilities = ["read"]\n}\n';
    })), 'TK161');
    expect(widened.some((m) => m.includes('Vault policy "erp-promote" grants') && m.includes('exactly read on postgres/creds/erp-promote'))).toBe(true);
  });

  it('refuses a replay role bound to a push, to any branch by glob, or to another workflow', async () => {
    for (const [label, edit, expected, login] of [
      ['push', (r: any) => { r.bound_claims.event_name = 'push'; }, 'binds event_name ["push"]', "refuses the replay job's own token"],
      ['glob', (r: any) => {
        r.bound_claims_type = 'glob';
        r.bound_claims.ref = 'refs/heads/*';
        r.bound_claims.job_workflow_ref = 'arcodange/estate/.github/workflows/tierkit-data-promote.yml@*';
      }, 'matches bound claims as "glob"', 'admits the token of a dispatch of the data-promote workflow on another branch'],
      ['workflow', (r: any) => { r.bound_claims.job_workflow_ref = 'arcodange/estate/.github/workflows/release.yml@refs/heads/main'; },
        'binds job_workflow_ref ["arcodange/estate/.github/workflows/release.yml@refs/heads/main"]', 'admits the token of another workflow dispatched on main'],
    ] as const) {
      const dir = platform(`tk161-${label}`, (r) => edit(r.vault_jwt_auth_backend_role.promote_role_erp));
      const found = messages(await check(dir), 'TK161');
      expect(found.some((m) => m.includes(expected)), `${label}: ${found.join('\n')}`).toBe(true);
      expect(found.some((m) => m.includes(login)), `${label}: ${found.join('\n')}`).toBe(true);
    }
  });

  it('refuses the promote identity declared by an env stack (a tier applier would write a CI identity)', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'prod').addEscapeHatch((r) => {
      r.vaultPolicy.addOverride('name', 'erp-promote');
      r.vaultPolicy.addOverride('policy', 'path "postgres/creds/erp-promote" {\n  capabilities = ["read"]\n}\n');
    }), 'tk161-envstack');
    const found = messages(await check(dir), 'TK161');
    expect(found.some((m) => m.includes('(stack erp) can read postgres/creds/erp-promote'))).toBe(true);
  });
});

describe('the promote role\'s own Vault paths belong to prod (TK007)', () => {
  it('a sandbox policy that may rewrite the promote role\'s statements (run as prod\'s connection user at the next replay) reaches prod', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => {
      r.vaultPolicy.addOverride('policy', 'path "postgres/roles/erp-promote" {\n  capabilities = ["update"]\n}\n');
    }), 'tk007-promote-role');
    const report = await check(dir);
    const found = findings(report, 'TK007');
    expect(found.some((f) => f.message.includes('"postgres/roles/erp-promote"') && f.message.includes('env erp'))).toBe(true);
    expect(report.summary.errors).toBeGreaterThan(0);
  });
});

describe('App.promoteGrants validation', () => {
  it('names the app, the property, the value and the fix; refuses DDL-ish privileges, foreign tables and an app without a golden sandbox', () => {
    const estate = exampleEstate();
    const shop = estate.node.findChild('shop') as App;
    (shop as { promoteGrants: unknown }).promoteGrants = [{ table: 'llx_x', privileges: ['SELECT'] }];
    const erp = estate.node.findChild('erp') as App;
    (erp as { promoteGrants: unknown }).promoteGrants = [
      { table: 'llx_facture', privileges: ['SELECT', 'TRUNCATE'] }, { table: 'pg_authid', privileges: ['SELECT'] }, { table: 'llx_facture', privileges: [] },
    ];
    const issues = validateEstate(estate).filter((i) => i.property.startsWith('promoteGrants'));
    const at = (path: string, property: string) => issues.find((i) => i.path.endsWith(path) && i.property === property);
    expect(at('/shop', 'promoteGrants')?.message).toContain('no prod env with a golden sandbox');
    expect(at('/erp', 'promoteGrants[0].privileges[1]')).toMatchObject({ value: 'TRUNCATE' });
    expect(at('/erp', 'promoteGrants[0].privileges[1]')?.fix).toContain('gated apply');
    expect(at('/erp', 'promoteGrants[1].table')).toMatchObject({ value: 'pg_authid' });
    expect(at('/erp', 'promoteGrants[2].table')?.message).toBe('is granted twice');
    expect(at('/erp', 'promoteGrants[2].privileges')?.message).toBe('grants nothing');
  });

  it('a sandbox named "promote" cannot take over its app\'s promote role and policy names', () => {
    const estate = exampleEstate();
    const erp = estate.node.findChild('erp') as App;
    new Sandbox(erp, 'promote', {
      tier: Tier.DEV, kind: SandboxKind.APP, owner: 'arcodange', createdAt: '2026-11-20', ttlHours: 24, seed: SeedProfile.SYNTHETIC_V1,
    });
    const issues = validateEstate(estate).filter((i) => JSON.stringify(i).includes('erp-promote'));
    expect(issues.length).toBeGreaterThan(0);
  });
});
