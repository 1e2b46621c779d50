import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { plannerBootstrapStatements, serverPlannerSecretName } from '../../contract/planner';
import { canonicalJson } from '../../constructs/synth/serialize';
import { applyWorkflow } from '../../ci/github-apply';
import { pullRequestWorkflow } from '../../ci/github-pr';
import { readDist } from '../../policies/dist/read';
import { check, cleanDist, findings } from '../policies/helpers';
import { DistEdit } from '../policies/dist-edit';

/**
 * Gated planners read the server's read-only planner login, never its admin credential: in the
 * synthesized Vault policies, in the generated plan jobs, and as TK096 judges a dist an adversarial
 * PR author hand-edited (re-hashed, so only the rule can catch it).
 */

let clean: string;
beforeAll(() => {
  clean = cleanDist();
});

const stackFile = (stack: string) => `terraform/${stack}/cdk.tf.json`;

/** A copy of the clean dist with one stack's JSON edited and re-hashed. */
function editStack(label: string, stack: string, edit: (j: any) => void): string {
  const e = new DistEdit(label, clean);
  const j = JSON.parse(readFileSync(join(e.dir, stackFile(stack)), 'utf8'));
  edit(j);
  e.write(stackFile(stack), canonicalJson(j));
  return e.dir;
}

const appendPath = (j: any, policy: string, path: string, caps = '"read"') => {
  j.resource.vault_policy[policy].policy += `\npath "${path}" {\n  capabilities = [${caps}]\n}\n`;
};

describe('the synthesized planner and applier policies', () => {
  it('each tier\'s planner reads its servers\' planner logins and no admin credential; its applier the admin credentials', () => {
    const dist = readDist(clean);
    const policy = (stack: string, id: string) => String((dist.stacks.find((s) => s.name === stack)!.json as any).resource.vault_policy[id].policy);
    // PostgreSQL 16+ servers (all of the example's): the planner reads a short-lived login from Vault (contract/planner.ts).
    const credentialPaths = (text: string) => [...text.matchAll(/path "((?:kvv2\/data\/tierkit\/postgres-|postgres\/creds\/tierkit-planner-)[^"]+)"/g)].map((m) => m[1]).sort();
    expect(credentialPaths(policy('platform-prod', 'planner_policy'))).toEqual(['postgres/creds/tierkit-planner-prod-pg']);
    expect(credentialPaths(policy('platform-prod', 'applier_policy'))).toEqual(['kvv2/data/tierkit/postgres-admin/prod-pg']);
    expect(credentialPaths(policy('platform-dev', 'planner_policy'))).toEqual(['postgres/creds/tierkit-planner-nonprod-pg']);
    expect(credentialPaths(policy('platform-dev', 'applier_policy'))).toEqual(['kvv2/data/tierkit/postgres-admin/nonprod-pg']);
    // platform-admin reads only the issuers' first passwords (rotated away by its first apply), no login.
    expect(credentialPaths(policy('platform', 'platform_admin_policy'))).toEqual(['nonprod-pg', 'prod-pg', 'stage-pg'].map((s) => `kvv2/data/tierkit/postgres-planner-issuer/${s}`));
  });

  it('the plan jobs read the planner login into the provider\'s variables; the apply jobs the admin credential', () => {
    const dist = readDist(clean);
    const pullRequest = pullRequestWorkflow(dist.manifest) as any;
    const apply = applyWorkflow(dist.manifest) as any;
    const secretsOf = (wf: any) => Object.entries(wf.jobs).flatMap(([job, j]: [string, any]) => (j.steps ?? [])
      .filter((s: any) => typeof s.with?.secrets === 'string').map((s: any) => ({ job, secrets: s.with.secrets as string })));
    const plans = secretsOf(pullRequest);
    expect(plans.length).toBeGreaterThan(0);
    for (const p of plans) {
      expect(p.secrets, p.job).toMatch(/^postgres\/creds\/tierkit-planner-[a-z-]+ username \| TF_VAR_pg_admin_username ;\npostgres\/creds\/tierkit-planner-[a-z-]+ password \| TF_VAR_pg_admin_password\n$/);
    }
    const applies = secretsOf(apply);
    expect(applies.length).toBeGreaterThan(0);
    for (const a of applies) expect(a.secrets, a.job).toMatch(/^kvv2\/data\/tierkit\/postgres-(admin|planner-issuer)\//);
    // The issuers' first passwords only in platform-admin's applies of the tier platform stacks.
    for (const a of applies.filter((x) => x.secrets.includes('postgres-planner-issuer'))) expect(a.job, a.secrets).toMatch(/^apply-platform-/);
  });
});

describe('TK096: CI roles reach only their own Postgres credential', () => {
  it('the example estate passes', async () => {
    expect(findings(await check(clean), 'TK096')).toEqual([]);
  });

  it("a planner policy also reading prod's admin credential (read is all TK091 asks) is an error", async () => {
    const dir = editStack('tk096-admin', 'platform-prod', (j) => appendPath(j, 'planner_policy', 'kvv2/data/tierkit/postgres-admin/prod-pg'));
    const f = findings(await check(dir), 'TK096');
    expect(f.map((x) => x.message)).toEqual([
      'CI role tierkit-plan-prod reaches the admin credential of server prod-pg (kvv2/data/tierkit/postgres-admin/prod-pg, gated by prod) through policy "tierkit-plan-prod" path "kvv2/data/tierkit/postgres-admin/prod-pg" [read]',
    ]);
    expect(f[0].severity).toBe('error');
    expect(findings(await check(dir), 'TK007')).toEqual([]);
  });

  it('a glob that covers the admin credential is reach too; a deny-only block is not', async () => {
    const dir = editStack('tk096-glob', 'platform-dev', (j) => {
      appendPath(j, 'planner_policy', 'kvv2/data/tierkit/postgres-a*');
      appendPath(j, 'planner_policy', 'kvv2/data/tierkit/postgres-admin/stage-pg', '"deny"');
    });
    const msgs = findings(await check(dir), 'TK096').map((x) => x.message);
    // Every server's admin credential matches the glob; the deny block adds nothing.
    expect(msgs.map((m) => /server ([a-z-]+)/.exec(m)![1]).sort()).toEqual(['local-pg', 'nonprod-pg', 'prod-pg', 'stage-pg']);
    expect(msgs.every((m) => m.includes('the admin credential') && m.includes('"kvv2/data/tierkit/postgres-a*"'))).toBe(true);
  });

  it("a dev planner reading prod's planner login, and a dev applier reading prod's admin credential, are errors", async () => {
    const dir = editStack('tk096-cross', 'platform-dev', (j) => {
      appendPath(j, 'planner_policy', `kvv2/data/${serverPlannerSecretName('prod-pg')}`);
      appendPath(j, 'applier_policy', 'kvv2/data/tierkit/postgres-admin/prod-pg');
    });
    expect(findings(await check(dir), 'TK096').map((x) => x.message).sort()).toEqual([
      expect.stringContaining('CI role tierkit-apply-dev reaches the admin credential of server prod-pg'),
      expect.stringContaining('CI role tierkit-plan-dev reaches the read-only planner login of server prod-pg'),
    ]);
  });

  it("a planner role handed the applier's policy reaches the admin credential", async () => {
    const dir = editStack('tk096-swap', 'platform-prod', (j) => {
      j.resource.vault_jwt_auth_backend_role.planner_role.token_policies = ['${vault_policy.applier_policy.name}'];
    });
    expect(findings(await check(dir), 'TK096').map((x) => x.message)).toEqual([
      expect.stringMatching(/^CI role tierkit-plan-prod reaches the admin credential of server prod-pg .* through policy "tierkit-apply-prod"/),
    ]);
  });

  it('a policy no stack declares cannot be judged: an error', async () => {
    const dir = editStack('tk096-unknown', 'platform-prod', (j) => {
      j.resource.vault_jwt_auth_backend_role.planner_role.token_policies = ['${vault_policy.planner_policy.name}', 'ops-break-glass'];
    });
    expect(findings(await check(dir), 'TK096').map((x) => x.message)).toEqual([
      'CI role tierkit-plan-prod attaches policy "ops-break-glass", which no stack in dist declares: what it reaches cannot be judged',
    ]);
  });

  it('platform-admin reaches no Postgres credential', async () => {
    const dir = editStack('tk096-platform', 'platform', (j) => appendPath(j, 'platform_admin_policy', 'kvv2/data/tierkit/postgres-planner/local-pg'));
    expect(findings(await check(dir), 'TK096').map((x) => x.message)).toEqual([
      expect.stringContaining('CI role platform-admin reaches the read-only planner login of server local-pg'),
    ]);
  });
});

describe("the planner group in the env stacks: CONNECT only, member of nothing", () => {
  it('TEMPORARY (or anything beyond CONNECT) granted to the planner group is a TK002 error', async () => {
    const dir = editStack('planner-temp', 'crm', (j) => { j.resource.postgresql_grant.planner_connect.privileges = ['CONNECT', 'TEMPORARY']; });
    const r = await check(dir);
    expect(findings(r, 'TK002').map((x) => x.message)).toEqual([expect.stringContaining('database "crm" of crm (tier prod) grants CONNECT, TEMPORARY to "tierkit_planner"')]);
    expect(findings(r, 'TK097').map((x) => x.message)).toEqual([expect.stringContaining('grants CONNECT, TEMPORARY on database crm to "tierkit_planner"')]);
  });

  it("making the planner group a member of an env's group role (its data) is an error", async () => {
    const dir = editStack('planner-member', 'crm', (j) => {
      j.resource.postgresql_grant_role.planner_member = { grant_role: '${postgresql_role.group_role.name}', role: 'tierkit_planner' };
    });
    expect(findings(await check(dir), 'TK097').map((x) => x.message)).toEqual([
      'stack crm makes "tierkit_planner" reach "crm_role" (via grant_role): the planners\' group and login join no role, and no role joins them (a member gets CONNECT on every database of the server)',
    ]);
  });
});

describe('TK097: hostile stacks around the planner group', () => {
  it("a sandbox stack joining its group to the planner group (CONNECT on prod's database) is an error", async () => {
    const dir = editStack('planner-join', 'erp-sandbox', (j) => {
      j.resource.postgresql_grant_role.planner_join = { grant_role: 'tierkit_planner', role: '${postgresql_role.group_role.name}' };
    });
    expect(findings(await check(dir), 'TK097').map((x) => x.message)).toEqual([
      expect.stringContaining('stack erp-sandbox makes "erp_sandbox_role" reach "tierkit_planner" (via grant_role)'),
    ]);
  });

  it('a stack declaring the planner login itself (its password, its attributes) is an error', async () => {
    const dir = editStack('planner-takeover', 'crm-dev', (j) => {
      j.resource.postgresql_role.planner_takeover = { name: 'tierkit_planner_login', login: true, password: 'known' };
    });
    expect(findings(await check(dir), 'TK097').map((x) => x.message)).toEqual([
      expect.stringContaining('postgresql_role.planner_takeover of stack crm-dev names "tierkit_planner_login" as its name'),
    ]);
  });

  it('a schema grant to the planner group is an error', async () => {
    const dir = editStack('planner-schema', 'crm', (j) => {
      j.resource.postgresql_grant.planner_schema = { database: 'crm', schema: 'public', object_type: 'table', objects: [], privileges: ['SELECT'], role: 'tierkit_planner' };
    });
    expect(findings(await check(dir), 'TK097').map((x) => x.message)).toEqual([
      expect.stringContaining('grants SELECT on table crm to "tierkit_planner"'),
    ]);
  });
});

describe('the documented bootstrap', () => {
  it('docs/pr-flow.md shows exactly the statements the PostgreSQL proof runs', () => {
    const doc = readFileSync(join(__dirname, '../../docs/pr-flow.md'), 'utf8');
    for (const stmt of plannerBootstrapStatements('…')) expect(doc).toContain(`  ${stmt};\n`);
  });
});
