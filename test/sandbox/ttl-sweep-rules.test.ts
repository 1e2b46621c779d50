// TK120/TK121: the TTL sweep's Vault identity is held to its one revoke-prefix path, whatever an
// escape hatch, a suppression or a hand-edited dist/ does.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { yamlStream } from '../../constructs/synth/serialize';
import type { Estate } from '../../constructs';
import { rehashManifest as rehash } from '../policies/rehash';
import { check, cleanDist, distWithFiles, env, findings, synthDist } from '../policies/helpers';

const sweepPolicy = (body: string) => (e: Estate) => {
  const sb = env(e, 'crm', 'alice');
  sb.addEscapeHatch((r) => r.ttlSweep!.policy.addOverride('policy', body));
  sb.addSuppression('TK120', 'an adversarial author suppresses the sweep rule');
  sb.addSuppression('TK014', 'an adversarial author suppresses the escalation rule');
};

describe('TK120: the sweep policy grants update + sudo on its own revoke-prefix path only', () => {
  it('the example estate has one sweep policy per sandbox, each passing TK120, TK121 and TK014', async () => {
    const report = await check(cleanDist());
    for (const id of ['TK120', 'TK121', 'TK014', 'TK007']) expect(findings(report, id), id).toEqual([]);
    const stack = JSON.parse(readFileSync(join(cleanDist(), 'terraform/crm-alice/cdk.tf.json'), 'utf8'));
    expect(stack.resource.vault_policy.ttl_sweep_policy.policy).toContain(
      'path "sys/leases/revoke-prefix/postgres/creds/crm-alice" {\n  capabilities = ["update", "sudo"]\n}');
  });

  it.each([
    ['a glob', 'path "sys/leases/revoke-prefix/postgres/creds/crm-alice*" { capabilities = ["update", "sudo"] }'],
    ['a shorter prefix (every env\'s leases, prod\'s included)', 'path "sys/leases/revoke-prefix/postgres/creds" { capabilities = ["update", "sudo"] }'],
    ['another env\'s prefix', 'path "sys/leases/revoke-prefix/postgres/creds/erp" { capabilities = ["update", "sudo"] }'],
    ['a + segment', 'path "sys/leases/revoke-prefix/postgres/+/crm-alice" { capabilities = ["update", "sudo"] }'],
    ['an extra capability', 'path "sys/leases/revoke-prefix/postgres/creds/crm-alice" { capabilities = ["update", "sudo", "read"] }'],
    ['a leading slash (a different literal as written)', 'path "/sys/leases/revoke-prefix/postgres/creds/crm-alice" { capabilities = ["update", "sudo"] }'],
    ['a second path (the database credential)', 'path "sys/leases/revoke-prefix/postgres/creds/crm-alice" { capabilities = ["update", "sudo"] }\npath "postgres/creds/crm-alice" { capabilities = ["read"] }'],
    ['no sudo (the revoke would fail: expiry revokes nothing)', 'path "sys/leases/revoke-prefix/postgres/creds/crm-alice" { capabilities = ["update"] }'],
    ['an unreadable text', 'path "sys/leases/revoke-prefix/postgres/creds/crm-alice" { capabilities = ["update", "sudo"] nonsense = 1 }'],
  ])('%s is an unsuppressible TK120 error', async (_what, body) => {
    const report = await check(synthDist(sweepPolicy(body), 'tk120'));
    const [f] = findings(report, 'TK120');
    expect(f?.message).toMatch(/TTL-sweep policy "crm-alice-ttl-sweep" of crm-alice/);
    expect(f.severity).toBe('error');
    expect(f.suppressed).toBeUndefined();
  });

  it('a hand-edited dist/ (rehashed) widening the sweep policy is caught the same way', async () => {
    const dir = distWithFiles({});
    const file = join(dir, 'terraform/shop-alice/cdk.tf.json');
    const stack = JSON.parse(readFileSync(file, 'utf8'));
    stack.resource.vault_policy.ttl_sweep_policy.policy = 'path "sys/leases/revoke-prefix/*" { capabilities = ["update", "sudo"] }';
    writeFileSync(file, JSON.stringify(stack, null, 2));
    rehash(dir);
    const report = await check(dir);
    expect(findings(report, 'TK120').map((f) => f.message)).toEqual([
      expect.stringContaining('grants [update, sudo] on "sys/leases/revoke-prefix/*"'),
      expect.stringContaining('lacks its one grant'),
    ]);
    expect(findings(report, 'TK014').length).toBeGreaterThan(0);
  });
});

describe('TK121: the sweep identity exists on every sandbox and only the sweep gets it', () => {
  it('a sweep auth role that also hands out the workload policy (database credentials) is an unsuppressible error', async () => {
    const report = await check(synthDist((e) => {
      const sb = env(e, 'shop', 'alice');
      sb.addEscapeHatch((r) => r.ttlSweep!.authRole.addOverride('token_policies', ['shop-alice']));
      sb.addSuppression('TK121', 'suppressed by a hostile author');
    }, 'tk121-policies'));
    const [f, ...rest] = findings(report, 'TK121');
    expect(rest).toEqual([]);
    expect(f.message).toMatch(/hands out policies \[shop-alice-ttl-sweep, shop-alice\]; it must hand out exactly \[shop-alice-ttl-sweep\]/);
    expect(f.suppressed).toBeUndefined();
  });

  it('the workload\'s auth role handing out the sweep policy, or a sweep role bound to the workload\'s account, is an error', async () => {
    const report = await check(synthDist((e) => {
      env(e, 'crm', 'alice').addEscapeHatch((r) => r.kubernetesAuthRole.addOverride('token_policies', ['crm-alice-ttl-sweep']));
      env(e, 'shop', 'alice').addEscapeHatch((r) => r.ttlSweep!.authRole.addOverride('bound_service_account_names', ['shop-alice']));
    }, 'tk121-bind'));
    expect(findings(report, 'TK121').map((f) => f.message).sort()).toEqual([
      expect.stringContaining('binds service accounts [shop-alice-ttl-sweep, shop-alice]; it must bind exactly [shop-alice-ttl-sweep]'),
      expect.stringContaining('auth role "kubernetes/crm-alice" hands out the TTL-sweep policy "crm-alice-ttl-sweep"'),
    ]);
  });

  it('a sandbox whose sweep policy and auth role are removed (hand-edited dist/) revokes nothing: an error', async () => {
    const dir = distWithFiles({});
    const file = join(dir, 'terraform/crm-alice/cdk.tf.json');
    const stack = JSON.parse(readFileSync(file, 'utf8'));
    delete stack.resource.vault_policy.ttl_sweep_policy;
    delete stack.resource.vault_kubernetes_auth_backend_role.ttl_sweep_auth_role;
    writeFileSync(file, JSON.stringify(stack, null, 2));
    rehash(dir);
    const report = await check(dir);
    expect(findings(report, 'TK121').map((f) => f.message).sort()).toEqual([
      expect.stringContaining('has no TTL-sweep auth role "crm-alice-ttl-sweep"'),
      expect.stringContaining('sandbox crm-alice (tier dev) has no TTL-sweep policy "crm-alice-ttl-sweep"'),
    ]);
  });
});

describe('TK122: the sweep CronJob exists, runs as the sweep and revokes its own path', () => {
  const edited = (edit: (doc: Record<string, any>) => Record<string, any> | undefined) => {
    const dir = distWithFiles({});
    const file = join(dir, 'k8s/dev/crm-alice.k8s.yaml');
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
    writeFileSync(file, yamlStream(docs.map((d) => (d.kind === 'CronJob' && d.metadata.name === 'crm-alice-ttl-sweep' ? edit(d) : d)).filter(Boolean)));
    rehash(dir);
    return dir;
  };

  it.each([
    ['removed', () => undefined, 'is missing: expiry would revoke no lease'],
    ['suspended', (d: Record<string, any>) => ({ ...d, spec: { ...d.spec, suspend: true } }), 'suspend is true, not false'],
    ['re-pointed at another env\'s leases', (d: Record<string, any>) => {
      const c = d.spec.jobTemplate.spec.template.spec.containers[0];
      c.env = c.env.map((v: { name: string; value: string }) => (v.name === 'TIERKIT_VAULT_REVOKE_PATH' ? { ...v, value: 'sys/leases/revoke-prefix/postgres/creds/crm' } : v));
      return d;
    }, 'revokes ["sys/leases/revoke-prefix/postgres/creds/crm"], not exactly ["sys/leases/revoke-prefix/postgres/creds/crm-alice"]'],
    ['postponed (a later expiry epoch)', (d: Record<string, any>) => {
      const c = d.spec.jobTemplate.spec.template.spec.containers[0];
      c.env = c.env.map((v: { name: string; value: string }) => (v.name === 'TIERKIT_EXPIRES_AT_EPOCH' ? { ...v, value: '4102444800' } : v));
      return d;
    }, 'container "revoke-leases" acts at epoch "4102444800", not the sandbox\'s expiry'],
    ['running another script', (d: Record<string, any>) => {
      d.spec.jobTemplate.spec.template.spec.containers[0].command = ['/bin/sh', '-c', 'exit 0'];
      return d;
    }, 'container "revoke-leases" does not run tierkit\'s revoke script as rendered'],
    ['logging in as the workload', (d: Record<string, any>) => {
      d.spec.jobTemplate.spec.template.metadata.annotations['vault.hashicorp.com/role'] = 'crm-alice';
      return d;
    }, 'logs in to Vault as "crm-alice", not crm-alice-ttl-sweep'],
  ])('a hand-edited dist/ whose sweep is %s is an unsuppressible error', async (_what, edit, message) => {
    const report = await check(edited(edit));
    const msgs = findings(report, 'TK122').map((f) => f.message);
    expect(msgs).toEqual([expect.stringContaining(message)]);
    expect(msgs[0]).toContain('TTL-sweep CronJob crm-alice/crm-alice-ttl-sweep of crm-alice (tier dev)');
  });
});

describe('TK123: a sandbox created after the evaluation time', () => {
  it('is an error at check time (a forward-dated createdAt is an unreviewed lifetime), and none on the example estate', async () => {
    expect(findings(await check(cleanDist()), 'TK123')).toEqual([]);
    const dir = synthDist((e) => {
      env(e, 'crm', 'alice').addSuppression('TK123', 'a hostile author suppresses the rule');
      (env(e, 'crm', 'alice') as unknown as { createdAt: string }).createdAt = '2027-11-20';
    }, 'tk123');
    const [f, ...rest] = findings(await check(dir), 'TK123');
    expect(rest).toEqual([]);
    expect(f.message).toBe('sandbox crm-alice (tier dev) of alice is created at 2027-11-20, after the evaluation time 2026-11-22T06:00:00.000Z');
    expect(f.suppressed).toBeUndefined();
  });
});
