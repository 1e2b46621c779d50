import fc from 'fast-check';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { automatonMatches, automatonWitness, literalPrefix, matches, overlap, overlapWitness } from '../../policies/graph/vault-paths';
import { parseVaultPolicy } from '../../policies/graph/vault-policy';
import { check, cleanDist, distWithFiles, env, findings, synthDist } from './helpers';

describe('Vault path semantics', () => {
  it.each([
    ['kvv2/data/+/config', 'kvv2/data/erp/config', true],
    ['kvv2/data/+/config', 'kvv2/data/erp/x/config', false],
    ['postgres/creds/erp*', 'postgres/creds/erp-sandbox', true],
    ['postgres/creds/erp', 'postgres/creds/erp-sandbox', false],
    ['sys/*', 'sys/policies/acl/erp', true],
    ['a/*/b', 'a/x/b', false], // `*` is a glob only at the end
    ['a/*/b', 'a/*/b', true],
  ])('%s matches %s: %s', (pattern, path, expected) => {
    expect(matches(pattern, path)).toBe(expected);
  });

  it.each([
    ['kvv2/data/+/config', 'kvv2/data/erp-sandbox/*', true],
    ['kvv2/data/erp/*', 'kvv2/data/erp-sandbox/*', false],
    ['postgres/creds/+', 'postgres/creds/erp', true],
    ['postgres/+/erp', 'postgres/creds/erp-*', false],
    ['+/+/erp*', 'postgres/creds/erp', true],
  ])('%s overlaps %s: %s', (a, b, expected) => {
    expect(overlap(a, b)).toBe(expected);
    expect(overlap(b, a)).toBe(expected);
  });

  const segment = fc.stringMatching(/^[ab]{0,2}$/);
  const pattern = fc.tuple(fc.array(fc.oneof(segment, fc.constant('+')), { minLength: 1, maxLength: 3 }), fc.boolean())
    .map(([segs, glob]) => `${segs.join('/')}${glob ? '*' : ''}`);
  const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => s.join('/'));

  it('overlap is sound: a path both patterns match means they overlap', () => {
    fc.assert(fc.property(pattern, pattern, path, (p, q, s) => {
      if (matches(p, s) && matches(q, s)) expect(overlap(p, q)).toBe(true);
    }), { numRuns: 3000 });
  });

  it('overlap is exact: its witness is matched by both patterns, and no witness means no common path', () => {
    fc.assert(fc.property(pattern, pattern, fc.array(path, { maxLength: 30 }), (p, q, paths) => {
      const w = overlapWitness(p, q);
      if (w !== undefined) {
        expect(matches(p, w)).toBe(true);
        expect(matches(q, w)).toBe(true);
      } else {
        for (const s of paths) expect(matches(p, s) && matches(q, s)).toBe(false);
      }
    }), { numRuns: 3000 });
  });

  it('the string fast paths (no `+` segment) agree with the automaton, witness included', () => {
    const loose = fc.stringMatching(/^[ab/+*]{0,6}$/);
    fc.assert(fc.property(loose, loose, (p, q) => {
      expect(overlapWitness(p, q)).toBe(automatonWitness(p, q));
      expect(matches(p, q)).toBe(automatonMatches(p, q));
    }), { numRuns: 5000 });
    expect(literalPrefix('kvv2/data/erp/*')).toBe('kvv2/data/erp/');
    expect(literalPrefix('kvv2/data/+/config')).toBe('kvv2/data/');
    expect(literalPrefix('a/+*')).toBe('a/');
  });

  it('parses HCL and JSON policies, and reports text it cannot parse', () => {
    expect(parseVaultPolicy('path "a/+" {\n  capabilities = ["read"] # why\n}\npath "b" { capabilities = ["deny"] }').rules)
      .toEqual([{ path: 'a/+', capabilities: ['read'] }, { path: 'b', capabilities: ['deny'] }]);
    expect(parseVaultPolicy('{"path": {"c/*": {"capabilities": ["list"]}}}').rules).toEqual([{ path: 'c/*', capabilities: ['list'] }]);
    expect(parseVaultPolicy('path "a" { capabilities = ["read" }').error).toBe('expected "]" at offset 34, found "}"');
  });
});

describe('TK006 credential TTL', () => {
  it('passes the example estate (demo tier loosening is a reasoned exception)', async () => {
    expect(findings(await check(cleanDist()), 'TK006')).toEqual([]);
  });

  it('catches a max_ttl over the tier limit and a role without default_ttl', async () => {
    const dir = synthDist((e) => {
      env(e, 'erp', 'dev').addEscapeHatch((r) => r.vaultRole.addOverride('max_ttl', 30 * 24 * 3600));
      env(e, 'shop', 'dev').addEscapeHatch((r) => r.vaultRole.resetDefaultTtl());
    });
    expect(findings(await check(dir), 'TK006').map((f) => f.message)).toEqual([
      'Vault role "postgres/roles/erp-dev" of erp-dev (tier dev) has max_ttl 2592000s, over the dev limit of 14400s',
      'Vault role "postgres/roles/shop-dev" of shop-dev (tier dev) sets no default_ttl: Vault falls back to the mount/system default',
    ]);
  });
});

describe('TK007 Vault policy reach', () => {
  it('passes the example estate (env policies and CI applier policies stay in their lanes)', async () => {
    expect(findings(await check(cleanDist()), 'TK007')).toEqual([]);
  });

  it('catches a sandbox policy whose glob reaches the prod credentials', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.vaultPolicy.addOverride('policy',
      'path "postgres/creds/erp*" {\n  capabilities = ["read"]\n}\n')));
    const messages = findings(await check(dir), 'TK007').map((f) => f.message);
    expect(messages).toEqual([
      'Vault policy "erp-sandbox" of env erp-sandbox (tier dev) grants [read] on "postgres/creds/erp*", which reaches env erp (tier prod) (e.g. postgres/creds/erp), env erp-dev (tier dev) (e.g. postgres/creds/erp-dev), env erp-staging (tier staging) (e.g. postgres/creds/erp-staging)',
    ]);
  });

  it('catches a segment wildcard that no string prefix would flag', async () => {
    const dir = synthDist((e) => env(e, 'crm', 'alice').addEscapeHatch((r) => r.vaultPolicy.addOverride('policy',
      'path "kvv2/data/crm-alice/config" { capabilities = ["read"] }\npath "kvv2/+/crm/config" { capabilities = ["read"] }\npath "sys/*" { capabilities = ["deny"] }')));
    const [f, ...rest] = findings(await check(dir), 'TK007');
    expect(rest).toEqual([]);
    expect(f.message).toBe('Vault policy "crm-alice" of env crm-alice (tier dev) grants [read] on "kvv2/+/crm/config", which reaches env crm (tier prod) (e.g. kvv2/data/crm/config)');
  });

  it('catches a hand-written policy and one that does not parse', async () => {
    const dir = distWithFiles({
      'terraform/extra/cdk.tf.json': { resource: { vault_policy: {
        ops: { name: 'ops', policy: 'path "auth/kubernetes/role/+" { capabilities = ["update"] }' },
        broken: { name: 'broken', policy: 'path "x" {' },
      } } },
    });
    // Behaviour changed with TK070: a policy that does not parse is TK070's (unsuppressible), not TK007's.
    const report = await check(dir);
    const messages = findings(report, 'TK007').map((f) => f.message);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^Vault policy "ops" of policy "ops" of no declared app-environment grants \[update\] on "auth\/kubernetes\/role\/\+", which reaches env crm \(tier prod\)/);
    expect(findings(report, 'TK070').map((f) => f.message)).toEqual([
      'Vault policy "broken" of policy "broken" of no declared app-environment cannot be read as Vault reads it: unexpected end of policy, expected an attribute',
    ]);
  });
});

describe('TK007 Vault path normalisation and aliases', () => {
  it('strips a leading "/" as Vault does: "/postgres/creds/erp" in a sandbox policy reaches prod', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.vaultPolicy.addOverride('policy',
      'path "/postgres/creds/erp" {\n  capabilities = ["read"]\n}\n')));
    expect(findings(await check(dir), 'TK007').map((f) => f.message)).toEqual([
      'Vault policy "erp-sandbox" of env erp-sandbox (tier dev) grants [read] on "/postgres/creds/erp", which reaches env erp (tier prod) (e.g. postgres/creds/erp)',
    ]);
    expect(parseVaultPolicy('{"path": {"/a/b": {"capabilities": ["read"]}}}').rules).toEqual([{ path: 'a/b', written: '/a/b', capabilities: ['read'] }]);
    expect(parseVaultPolicy('path "a/+*" { capabilities = ["read"] }').error).toBe('path "a/+*": invalid use of wildcards (\'+*\' is forbidden)');
  });

  it('treats sys/policy/<name> (legacy alias) as sys/policies/acl/<name>, and an env stack\'s own auth roles as its own', async () => {
    const dir = synthDist((e) => env(e, 'crm', 'alice').addEscapeHatch((r) => r.vaultPolicy.addOverride('policy', [
      'path "sys/policy/crm" { capabilities = ["read"] }',
      'path "auth/kubernetes/role/shop-alice-reset" { capabilities = ["read"] }',
    ].join('\n'))));
    expect(findings(await check(dir), 'TK007').map((f) => f.message)).toEqual([
      'Vault policy "crm-alice" of env crm-alice (tier dev) grants [read] on "auth/kubernetes/role/shop-alice-reset", which reaches env shop-alice (tier dev) (e.g. auth/kubernetes/role/shop-alice-reset)',
      'Vault policy "crm-alice" of env crm-alice (tier dev) grants [read] on "sys/policy/crm", which reaches env crm (tier prod) (e.g. sys/policy/crm)',
    ]);
  });
});

describe('TK014 Vault policy escalation', () => {
  it('passes the example estate (CI appliers write exactly the policies and auth roles of the stacks they gate)', async () => {
    expect(findings(await check(cleanDist()), 'TK014')).toEqual([]);
  });

  it('catches an env policy on sys/, token creation, identity, any auth write (its own role, a userpass user), or with sudo; not the default policy\'s paths', async () => {
    const dir = synthDist((e) => env(e, 'shop', 'dev').addEscapeHatch((r) => r.vaultPolicy.addOverride('policy', [
      'path "kvv2/data/shop-dev/config" { capabilities = ["read"] }',
      'path "postgres/creds/shop-dev" { capabilities = ["read", "sudo"] }',
      'path "sys/*" { capabilities = ["read"] }',
      'path "auth/token/create/ops" { capabilities = ["update"] }',
      'path "identity/group/+" { capabilities = ["update"] }',
      'path "auth/kubernetes/role/shop-dev" { capabilities = ["update"] }',
      'path "auth/kubernetes/role/shop-dev" { capabilities = ["read"] }',
      'path "auth/userpass/users/+" { capabilities = ["create"] }',
      'path "sys/leases/renew" { capabilities = ["update"] }',
      'path "identity/*" { capabilities = ["deny"] }',
    ].join('\n'))));
    const report = await check(dir);
    expect(findings(report, 'TK014').map((f) => f.message)).toEqual([
      'Vault policy "shop-dev" of env shop-dev (tier dev) grants [create] on "auth/userpass/users/+", an escalation path (e.g. auth/userpass/users/x): roles, users, groups and the configuration of every auth method decide which policies a login receives: writing one (even the env\'s own role) hands out any policy',
      'Vault policy "shop-dev" of env shop-dev (tier dev) grants [read, sudo] on "postgres/creds/shop-dev": sudo opens root-protected endpoints',
      'Vault policy "shop-dev" of env shop-dev (tier dev) grants [read] on "sys/*", an escalation path (e.g. sys/): sys/ writes policies, mounts and auth methods for every env (and reads their configuration)',
      'Vault policy "shop-dev" of env shop-dev (tier dev) grants [update] on "auth/kubernetes/role/shop-dev", an escalation path (e.g. auth/kubernetes/role/shop-dev): roles, users, groups and the configuration of every auth method decide which policies a login receives: writing one (even the env\'s own role) hands out any policy',
      'Vault policy "shop-dev" of env shop-dev (tier dev) grants [update] on "auth/token/create/ops", an escalation path (e.g. auth/token/create/ops): a token role (auth/token/create/<role>) mints tokens with its own policies, not the caller\'s; create-orphan escapes revocation',
      'Vault policy "shop-dev" of env shop-dev (tier dev) grants [update] on "identity/group/+", an escalation path (e.g. identity/group/x): identity entities and groups carry policies: writing one grants any policy to any login',
    ]);
    expect(findings(report, 'TK014')[0]).toMatchObject({ file: 'terraform/shop-dev/cdk.tf.json', env: 'shop-dev', constructPath: 'arcodange/shop/dev' });
  });

  it('catches a CI applier policy that can create tokens, and a hand-written policy writing sys/policy/<name>', async () => {
    const dir = distWithFiles({
      'terraform/extra/cdk.tf.json': { resource: { vault_policy: {
        ops: { name: 'ops', policy: 'path "/sys/policy/ops-new" { capabilities = ["create", "update"] }' },
      } } },
    });
    const file = `${dir}/terraform/platform-dev/cdk.tf.json`;
    const platform = JSON.parse(readFileSync(file, 'utf8'));
    platform.resource.vault_policy.applier_policy.policy += '\npath "auth/token/create" { capabilities = ["update"] }\n';
    writeFileSync(file, JSON.stringify(platform));
    expect(findings(await check(dir), 'TK014').map((f) => f.message)).toEqual([
      'Vault policy "ops" of policy "ops" of no declared app-environment grants [create, update] on "/sys/policy/ops-new", an escalation path (e.g. sys/policy/ops-new): sys/ writes policies, mounts and auth methods for every env (and reads their configuration)',
      'Vault policy "tierkit-apply-dev" of the dev CI applier grants [update] on "auth/token/create", an escalation path (e.g. auth/token/create): a token role (auth/token/create/<role>) mints tokens with its own policies, not the caller\'s; create-orphan escapes revocation',
    ]);
  });
});

describe('TK008 auth role binding', () => {
  it('passes the example estate', async () => {
    expect(findings(await check(cleanDist()), 'TK008')).toEqual([]);
  });

  it('catches a wildcard namespace and a foreign policy', async () => {
    const dir = synthDist((e) => env(e, 'shop', 'alice').addEscapeHatch((r) => {
      r.kubernetesAuthRole.addOverride('bound_service_account_namespaces', ['*']);
      r.kubernetesAuthRole.addOverride('token_policies', ['shop']);
    }));
    expect(findings(await check(dir), 'TK008').map((f) => f.message)).toEqual([
      'kubernetes auth role "auth/kubernetes/role/shop-alice" of shop-alice (tier dev) binds namespace "*": a wildcard admits every namespace',
      'kubernetes auth role "auth/kubernetes/role/shop-alice" of shop-alice (tier dev) grants policy "shop" of shop (tier prod); only "shop-alice", "shop-alice-reset", "shop-alice-ttl-sweep" are its env\'s',
    ]);
  });

  it('catches a CI applier role bound to any environment, and a hand-written role handing out prod\'s policy', async () => {
    const dir = distWithFiles({
      'terraform/extra/cdk.tf.json': { resource: { vault_kubernetes_auth_backend_role: { steal: {
        backend: 'kubernetes', role_name: 'steal', bound_service_account_names: ['default'], bound_service_account_namespaces: ['crm-dev'], token_policies: ['crm'],
      } } } },
    });
    const platform = JSON.parse(require('node:fs').readFileSync(`${dir}/terraform/platform-prod/cdk.tf.json`, 'utf8'));
    platform.resource.vault_jwt_auth_backend_role.applier_role.bound_claims.environment = 'dev';
    require('node:fs').writeFileSync(`${dir}/terraform/platform-prod/cdk.tf.json`, JSON.stringify(platform));
    expect(findings(await check(dir), 'TK008').map((f) => f.message)).toEqual([
      'kubernetes auth role "auth/kubernetes/role/steal" of no declared app-environment grants policy "crm" of crm (tier prod) to default, crm-dev',
      'jwt auth role "auth/jwt/role/tierkit-apply-prod" of no declared app-environment binds GitHub environment ["dev"], not exactly "prod"',
    ]);
  });
});
