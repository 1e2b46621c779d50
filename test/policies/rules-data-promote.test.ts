// Issue 17: the data promote's rehearse identity (TK162) and workflow plan (TK163), as a hostile PR
// author would widen them — suppressions, hand-edited stacks, manifest and dist/ci/data-promote.json.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistEdit } from './dist-edit';
import { check, cleanDist, env, findings, synthDist } from './helpers';

const messages = (report: Awaited<ReturnType<typeof check>>, id: string) => findings(report, id).map((f) => f.message);
const PLAN = 'ci/data-promote.json';

/** The prod tier platform stack (which declares the rehearse identity), edited by hand with its manifest hash rewritten. */
function platform(label: string, edit: (resource: any) => void): string {
  const d = new DistEdit(label);
  const rel = 'terraform/platform-prod/cdk.tf.json';
  const stack = JSON.parse(readFileSync(join(d.dir, rel), 'utf8'));
  edit(stack.resource);
  d.write(rel, `${JSON.stringify(stack, null, 2)}\n`);
  return d.dir;
}

function plan(d: DistEdit, edit: (p: any) => void): DistEdit {
  const p = JSON.parse(readFileSync(join(d.dir, PLAN), 'utf8'));
  edit(p);
  return d.write(PLAN, `${JSON.stringify(p, null, 2)}\n`);
}

describe('the data promote in the example estate', () => {
  it('has a rehearse identity reaching erp-sandbox only, in dev, and a plan of two jobs; TK162 and TK163 pass', async () => {
    const report = await check(cleanDist());
    for (const id of ['TK007', 'TK008', 'TK014', 'TK161', 'TK162', 'TK163', 'TK167']) expect(messages(report, id), id).toEqual([]);
    const stack = JSON.parse(readFileSync(join(cleanDist(), 'terraform/platform-prod/cdk.tf.json'), 'utf8'));
    const policy = stack.resource.vault_policy.rehearse_policy_erp.policy as string;
    expect([...policy.matchAll(/path "([^"]+)"/g)].map((m) => m[1]).sort()).toEqual(['kvv2/data/tierkit-seeds/erp.golden', 'postgres/creds/erp-sandbox']);
    const role = stack.resource.vault_jwt_auth_backend_role.rehearse_role_erp;
    expect(role.bound_claims).toMatchObject({ environment: 'dev', event_name: 'workflow_dispatch', ref: 'refs/heads/main' });
    expect(role.token_policies).toEqual(['${vault_policy.rehearse_policy_erp.name}']);
    const p = JSON.parse(readFileSync(join(cleanDist(), PLAN), 'utf8'));
    expect(p.apps.map((a: any) => [a.rehearse.environment, a.rehearse.vaultRole, a.rehearse.target, a.replay.environment, a.replay.vaultRole, a.replay.target]))
      .toEqual([['dev', 'erp-rehearse', 'erp-sandbox', 'prod', 'erp-promote', 'erp']]);
  });
});

describe('TK162: the rehearse identity reaches its golden sandbox only', () => {
  it('refuses a rehearse role moved into the prod environment (the replay job\'s token would log in), whatever is suppressed', async () => {
    const dir = platform('tk162-prod-env', (r) => { r.vault_jwt_auth_backend_role.rehearse_role_erp.bound_claims.environment = 'prod'; });
    const report = await check(dir);
    const found = messages(report, 'TK162');
    expect(found.some((m) => m.includes('binds environment ["prod"], not exactly "dev"')), found.join('\n')).toBe(true);
    expect(found.some((m) => m.includes('admits the token of the replay job (environment prod)'))).toBe(true);
    expect(findings(report, 'TK162').every((f) => !f.suppressed)).toBe(true);
  });

  it('refuses a rehearse policy widened to the promote credential or to every creds path by `+`', async () => {
    for (const [label, extra, expected] of [
      ['promote', 'postgres/creds/erp-promote', 'reaches postgres/creds/erp-promote (env erp, live tier prod)'],
      ['plus', 'postgres/creds/+', 'reaches postgres/creds/erp (env erp, live tier prod)'],
    ] as const) {
      const dir = platform(`tk162-${label}`, (r) => {
        r.vault_policy.rehearse_policy_erp.policy += `path "${extra}" {\n  capabilities = ["read"]\n}\n`;
      });
      const report = await check(dir);
      const found = messages(report, 'TK162');
      expect(found.some((m) => m.includes(expected)), `${label}: ${found.join('\n')}`).toBe(true);
      expect(found.some((m) => m.includes('Vault policy "erp-rehearse" grants'))).toBe(true);
      // The promote credential's own rule sees the second reader too.
      if (label === 'promote') expect(messages(report, 'TK161').some((m) => m.includes('Vault policy "erp-rehearse"'))).toBe(true);
    }
  });

  it('refuses the rehearse role handing out the promote policy, or bound by glob to any environment', async () => {
    const extra = messages(await check(platform('tk162-policies', (r) => {
      r.vault_jwt_auth_backend_role.rehearse_role_erp.token_policies = ['erp-rehearse', 'erp-promote'];
    })), 'TK162');
    expect(extra.some((m) => m.includes('hands out ["erp-rehearse","erp-promote"]'))).toBe(true);
    const glob = messages(await check(platform('tk162-glob', (r) => {
      const role = r.vault_jwt_auth_backend_role.rehearse_role_erp;
      role.bound_claims_type = 'glob';
      role.bound_claims.environment = '*';
    })), 'TK162');
    expect(glob.some((m) => m.includes('matches bound claims as "glob"'))).toBe(true);
    expect(glob.some((m) => m.includes('admits the token of the replay job'))).toBe(true);
  });

  it('refuses a hand-edited manifest that points the rehearsal at prod, or runs it in prod\'s environment', async () => {
    const atProd = messages(await check(new DistEdit('tk162-manifest-prod').manifest((m) => {
      m.appEnvironments.find((e: any) => e.slug === 'erp').promote.rehearse.sandbox = 'erp';
    }).dir), 'TK162');
    expect(atProd.some((m) => m.includes('the rehearsal target erp is not a golden sandbox of erp'))).toBe(true);
    expect(atProd.some((m) => m.includes('is on live tier prod'))).toBe(true);
    const inProd = messages(await check(new DistEdit('tk162-manifest-env').manifest((m) => {
      m.appEnvironments.find((e: any) => e.slug === 'erp').promote.rehearse.environment = 'prod';
    }).dir), 'TK162');
    expect(inProd.some((m) => m.includes('runs in environment "prod", a live tier\'s'))).toBe(true);
    const none = messages(await check(new DistEdit('tk162-manifest-none').manifest((m) => {
      delete m.appEnvironments.find((e: any) => e.slug === 'erp').promote.rehearse;
    }).dir), 'TK162');
    expect(none.some((m) => m.includes('declares no rehearse identity'))).toBe(true);
  });

  it('a manifest stripped of the promote declaration leaves the rehearse identity undeclared: its reach is refused, never passed', async () => {
    const d = new DistEdit('tk162-undeclared').manifest((m) => { for (const e of m.appEnvironments) delete e.promote; });
    const report = await check(d.dir);
    const all = report.findings.filter((f) => f.message.includes('erp-rehearse') && !f.suppressed);
    expect(all.map((f) => f.ruleId)).toEqual(expect.arrayContaining(['TK007', 'TK008']));
    expect(messages(report, 'TK163').some((m) => m.includes('no app in dist has a promote credential'))).toBe(true);
  });

  it('suppressions on erp and erp-sandbox do not silence it', async () => {
    const dir = synthDist((e) => {
      env(e, 'erp', 'prod').addSuppression('TK162', 'the rehearsal is trusted with prod, trust us');
      env(e, 'erp', 'sandbox').addSuppression('TK162', 'the rehearsal is trusted with prod, trust us');
    }, 'tk162-suppressed');
    const edited = new DistEdit('tk162-suppressed-edit', dir);
    const rel = 'terraform/platform-prod/cdk.tf.json';
    const stack = JSON.parse(readFileSync(join(edited.dir, rel), 'utf8'));
    stack.resource.vault_jwt_auth_backend_role.rehearse_role_erp.bound_claims.environment = 'prod';
    edited.write(rel, `${JSON.stringify(stack, null, 2)}\n`);
    const report = await check(edited.dir);
    expect(findings(report, 'TK162').length).toBeGreaterThan(0);
    expect(findings(report, 'TK162').every((f) => !f.suppressed)).toBe(true);
    expect(report.summary.errors).toBeGreaterThan(0);
  });
});

describe('TK163: the data-promote workflow plan is exactly as derived', () => {
  it('refuses a hand-edited plan that runs the rehearsal in prod with the promote role, or lets the replay skip it', async () => {
    const d = plan(new DistEdit('tk163-edited'), (p) => {
      p.apps[0].rehearse.environment = 'prod';
      p.apps[0].rehearse.vaultRole = 'erp-promote';
      p.apps[0].rehearse.permissions.contents = 'write';
      p.apps[0].replay.needs = [];
    });
    const found = messages(await check(d.dir), 'TK163');
    expect(found.some((m) => m.includes('runs in live environment "prod"'))).toBe(true);
    expect(found.some((m) => m.includes('logs in as "erp-promote", not the rehearse identity "erp-rehearse"'))).toBe(true);
    expect(found.some((m) => m.includes('token permissions are'))).toBe(true);
    expect(found.some((m) => m.includes('does not need the rehearse job'))).toBe(true);
    expect(found.some((m) => m.includes('is not the plan the manifest derives'))).toBe(true);
  });

  it('refuses a manifest and plan edited together to rehearse on prod (the invariants read the envs, not the plan)', async () => {
    const d = new DistEdit('tk163-together').manifest((m) => {
      const p = m.appEnvironments.find((e: any) => e.slug === 'erp').promote;
      p.rehearse = { ...p.rehearse, sandbox: 'erp', environment: 'prod' };
    });
    plan(d, (p) => {
      p.apps[0].rehearse.target = 'erp';
      p.apps[0].rehearse.environment = 'prod';
      p.apps[0].rehearse.credsPath = 'postgres/creds/erp';
    });
    const found = messages(await check(d.dir), 'TK163');
    expect(found.some((m) => m.includes('writes "erp", which is not a sandbox of erp'))).toBe(true);
    expect(found.some((m) => m.includes('runs in live environment "prod"'))).toBe(true);
    expect(found.some((m) => m.includes('is not the plan the manifest derives'))).toBe(false);
  });

  it('a missing or unreadable plan is a finding, never a pass', async () => {
    const gone = new DistEdit('tk163-missing').manifest((m) => { m.artifacts = m.artifacts.filter((a: any) => a.path !== PLAN); });
    rmSync(join(gone.dir, PLAN));
    expect(messages(await check(gone.dir), 'TK163').some((m) => m.includes('is missing while erp has a promote credential'))).toBe(true);
    const broken = new DistEdit('tk163-broken').write(PLAN, '{"apps": [');
    expect(messages(await check(broken.dir), 'TK163').some((m) => m.includes('cannot be read'))).toBe(true);
  });
});

describe('TK167: the record job holds exactly its push', () => {
  it('refuses a record job given prod\'s environment (its secrets), a Vault role, an OIDC token, PR rights, another branch prefix, or run before the replay', async () => {
    const d = plan(new DistEdit('tk167-widened'), (p) => {
      p.apps[0].record.environment = 'prod';
      p.apps[0].record.vaultRole = 'erp-promote';
      p.apps[0].record.permissions = { contents: 'write', 'id-token': 'write', 'pull-requests': 'write' };
      p.apps[0].record.branchPrefix = '';
      p.apps[0].record.needs = ['rehearse-erp'];
    });
    const report = await check(d.dir);
    const found = messages(report, 'TK167');
    expect(found.some((m) => m.includes('carries "environment", "vaultRole"'))).toBe(true);
    expect(found.some((m) => m.includes('token permissions are {"contents":"write","id-token":"write","pull-requests":"write"}'))).toBe(true);
    expect(found.some((m) => m.includes('pushes under ""'))).toBe(true);
    expect(found.some((m) => m.includes('needs ["rehearse-erp"], not exactly ["replay-erp"]'))).toBe(true);
    expect(findings(report, 'TK167').map((f) => f.pointer)).toEqual(expect.arrayContaining(['/apps/0/record', '/apps/0/record/permissions', '/apps/0/record/needs']));
  });

  it('a plan without a record job, or with secrets on it, is a finding, never a pass', async () => {
    const gone = messages(await check(plan(new DistEdit('tk167-missing'), (p) => { delete p.apps[0].record; }).dir), 'TK167');
    expect(gone).toEqual(['data-promote record job of "erp": app "erp" has no record job: its data promote\'s record would never be committed']);
    const secrets = messages(await check(plan(new DistEdit('tk167-secrets'), (p) => { p.apps[0].record.secrets = ['TIERKIT_PUBLISHER_PRIVATE_KEY']; }).dir), 'TK167');
    expect(secrets.some((m) => m.includes('carries "secrets"'))).toBe(true);
  });

  it('cannot be suppressed: a suppression of TK167 on erp leaves the finding standing', async () => {
    const dir = synthDist((e) => { env(e, 'erp', 'prod').addSuppression('TK167', 'the record job may hold the prod secrets, trust us'); }, 'tk167-suppressed');
    const d = plan(new DistEdit('tk167-suppressed-edit', dir), (p) => { p.apps[0].record.environment = 'prod'; });
    const report = await check(d.dir);
    expect(findings(report, 'TK167').length).toBeGreaterThan(0);
    expect(findings(report, 'TK167').every((f) => !f.suppressed)).toBe(true);
    expect(report.summary.errors).toBeGreaterThan(0);
  });
});

describe('the rehearse credential cannot be widened through the sandbox it reads', () => {
  it('an escape hatch that puts erp-sandbox\'s logins in prod\'s owner group (the rehearsal would then write prod) is refused, suppressed or not', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'sandbox')
      .addSuppression('TK004', 'the rehearsal needs to compare with prod, trust us')
      .addEscapeHatch((r) => {
        r.vaultRole.addOverride('creation_statements', [
          `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "erp_sandbox_role", "erp_role";`,
        ]);
      }), 'tk162-sandbox-widened');
    const report = await check(dir);
    const found = findings(report, 'TK004').filter((f) => f.message.includes('erp_role'));
    expect(found.length, messages(report, 'TK004').join('\n')).toBeGreaterThan(0);
    expect(found.every((f) => !f.suppressed)).toBe(true);
    expect(report.summary.errors).toBeGreaterThan(0);
  });
});
