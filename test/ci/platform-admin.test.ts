import { beforeAll, describe, expect, it } from 'vitest';
import { App, Tier } from '../../constructs';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { stackResources, TerraformResource } from '../../policies/dist/read';
import { parseVaultPolicy } from '../../policies/graph/vault-policy';
import { smallEstate } from '../support/estates';
import { workflows } from './support';

/**
 * The functional bug of issue #12: platform stacks (mounts, auth backends, the CI roles and their
 * policies) were applied with a tier applier's token that could write none of them. They are now
 * applied by the platform-admin identity, whose policy must grant exactly what their resources need.
 * What each resource type needs is written here independently of the synthesizer, from Vault's API:
 * a mount is `sys/mounts/<path>` (tuned at `…/tune`); enabling or disabling an auth method is
 * `sys/auth/<path>` and needs `sudo` (https://developer.hashicorp.com/vault/api-docs/system/auth,
 * "sudo required"), tuned without sudo at `sys/mounts/auth/<path>/tune`; a policy is
 * `sys/policies/acl/<name>`; a JWT backend's config `auth/<path>/config`, a role `auth/<path>/role/<name>`;
 * the provider reads mounts and auth methods back from the `sys/mounts` and `sys/auth` listings.
 */
const CRUD = ['create', 'delete', 'read', 'update'];

function needed(resources: readonly TerraformResource[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  const add = (path: string, caps: string[]) => {
    const set = out.get(path) ?? new Set<string>();
    for (const c of caps) set.add(c);
    out.set(path, set);
  };
  for (const r of resources) {
    const a = r.attributes as Record<string, any>;
    switch (r.type) {
      case 'vault_mount':
        add('sys/mounts', ['read']);
        add(`sys/mounts/${a.path}`, CRUD);
        add(`sys/mounts/${a.path}/tune`, ['read', 'update']);
        break;
      case 'vault_auth_backend':
      case 'vault_jwt_auth_backend':
        add('sys/auth', ['read']);
        add(`sys/auth/${a.path}`, [...CRUD, 'sudo']);
        add(`sys/mounts/auth/${a.path}/tune`, ['read', 'update']);
        if (r.type === 'vault_jwt_auth_backend') add(`auth/${a.path}/config`, CRUD);
        break;
      case 'vault_policy':
        add(`sys/policies/acl/${a.name}`, CRUD);
        break;
      case 'vault_jwt_auth_backend_role':
        add(`auth/${a.backend}/role/${a.role_name}`, CRUD);
        break;
      // Each env's quotas, by name (the provider's only endpoints: /sys/quotas/<kind>/:name).
      case 'vault_quota_rate_limit':
        add(`sys/quotas/rate-limit/${a.name}`, CRUD);
        break;
      case 'vault_quota_lease_count':
        add(`sys/quotas/lease-count/${a.name}`, CRUD);
        break;
      // A server's short-lived planner login (issue 12): the connection is rotated after its first
      // apply, whose first password platform-admin reads from the operator's KV secret.
      case 'vault_database_secret_backend_connection': {
        const server = /^tierkit-planner-(.+)$/.exec(String(a.name))![1];
        add(`${a.backend}/config/${a.name}`, CRUD);
        add(`${a.backend}/rotate-root/${a.name}`, ['update']);
        add(`kvv2/data/tierkit/postgres-planner-issuer/${server}`, ['read']);
        break;
      }
      case 'vault_database_secret_backend_role':
        add(`${a.backend}/roles/${a.name}`, CRUD);
        break;
      default:
        throw new Error(`a platform stack declares ${r.type}: say what the platform-admin needs for it`);
    }
  }
  return new Map([...out].map(([p, c]) => [p, [...c].sort()]));
}

function granted(policyText: string): Map<string, string[]> {
  const parsed = parseVaultPolicy(policyText);
  expect(parsed.error).toBeUndefined();
  return new Map(parsed.rules.map((r) => [r.path, [...r.capabilities].sort()]));
}

function platformOf(files: ReadonlyMap<string, string>) {
  const stacks = [...files].filter(([p]) => /^terraform\/platform(-[^/]+)?\/cdk\.tf\.json$/.test(p))
    .map(([p, text]) => stackResources(p.split('/')[1], p, JSON.parse(text)));
  const all = stacks.flat();
  const policy = all.find((r) => r.type === 'vault_policy' && r.attributes.name === 'tierkit-platform-admin')!;
  return { all, policy: String(policy.attributes.policy) };
}

describe('the platform-admin identity', () => {
  let files: ReadonlyMap<string, string>;
  beforeAll(() => {
    files = synthesize(estate()).files;
  });

  it('is granted exactly what the platform stacks\' resources need — its own role and policy included', () => {
    const { all, policy } = platformOf(files);
    expect(Object.fromEntries(granted(policy))).toEqual(Object.fromEntries(needed(all)));
    expect(all.filter((r) => r.type === 'vault_jwt_auth_backend_role').map((r) => r.attributes.role_name).sort()).toEqual([
      // erp's data-promote replay and rehearse identities (issue 17) are CI identities too.
      'erp-promote', 'erp-rehearse', 'tierkit-apply-dev', 'tierkit-apply-preprod', 'tierkit-apply-prod', 'tierkit-plan-dev', 'tierkit-plan-preprod', 'tierkit-plan-prod', 'tierkit-platform-admin',
    ]);
  });

  it('follows the estate: a tier gaining its first stack adds exactly its CI roles and policies', () => {
    const e = smallEstate();
    new App(e, 'erp', { tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64) });
    const before = platformOf(synthesize(e).files);
    const e2 = smallEstate();
    new App(e2, 'erp', { tiers: [Tier.DEV, Tier.STAGING, Tier.PROD], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64) });
    const after = platformOf(synthesize(e2).files);
    expect(Object.fromEntries(granted(after.policy))).toEqual(Object.fromEntries(needed(after.all)));
    const added = [...granted(after.policy).keys()].filter((p) => !granted(before.policy).has(p));
    // staging now has a database on nonprod-pg, so it is the strictest tier there and gates that server;
    // its env gets a rate-limit quota, which platform-admin writes by name.
    expect(added).toEqual([
      'auth/jwt/role/tierkit-apply-staging', 'auth/jwt/role/tierkit-plan-staging',
      'sys/policies/acl/tierkit-apply-staging', 'sys/policies/acl/tierkit-plan-staging',
      'sys/quotas/rate-limit/erp-staging-creds-rate',
    ]);
  });

  it('tier appliers reach no platform path; the platform stacks apply as platform-admin in its own environment', () => {
    const { all } = platformOf(files);
    for (const p of all.filter((r) => r.type === 'vault_policy' && String(r.attributes.name).startsWith('tierkit-apply-'))) {
      expect(String(p.attributes.policy), String(p.attributes.name)).not.toMatch(/path "(sys\/(mounts|auth)|auth\/jwt\/)/);
    }
    const { apply } = workflows(synthesize(estate()).manifest);
    for (const id of ['apply-platform', 'apply-platform-dev', 'apply-platform-preprod', 'apply-platform-prod']) {
      expect(apply.jobs[id].environment, id).toBe('platform-admin');
      expect(apply.jobs[id].steps.find((s: any) => String(s.uses).startsWith('hashicorp/vault-action@')).with.role).toBe('tierkit-platform-admin');
    }
    expect(apply.jobs['remove-platforms'].environment).toBe('platform-admin');
  });
});
