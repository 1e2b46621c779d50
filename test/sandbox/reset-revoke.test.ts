// Issue 18: the demo tier's hourly reset revokes the env's leases after restoring it. Its revoke
// step, read back from the synthesized CronJob, runs against a Vault stand-in whose token ACL is
// the synthesized reset-revoke policy (and revoke-prefix's trailing-slash rule, vault/expiration.go
// revokePrefixCommon); TK124/TK125 hold the policy, the role and the step to their one path
// against escape hatches, suppressions and hand-edited dist/; TK126 holds the sandboxes' expiry guard.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { sandboxExpiryGuard } from '../../contract/vault-statements';
import { RESET_SCRIPT } from '../../constructs/lifecycle/scripts';
import { yamlStream } from '../../constructs/synth/serialize';
import type { DistContents } from '../../policies/dist';
import { rehashManifest as rehash } from '../policies/rehash';
import { check, cleanDist, distWithFiles, env, findings, synthDist } from '../policies/helpers';
import { synthToDist } from '../support/synth';
import { testTmp } from '../setup/tmpdir';

type Obj = Record<string, any>;
const TOKEN = 'hvs.reset-token-of-shop-demo';
const envOf = (c: Obj): Record<string, string> => Object.fromEntries(c.env.map((v: Obj) => [v.name, v.value]));

let dist: DistContents;
let reset: Obj;
let policyPath: string;
beforeAll(() => {
  dist = synthToDist(undefined, 'reset-revoke');
  reset = dist.kubernetes.map((k) => k.object).find((o) => o.kind === 'CronJob' && o.metadata.name === 'shop-demo-reset')!;
  const stack = dist.stacks.find((s) => s.name === 'shop-demo')!;
  const policy = stack.resources.find((r) => r.type === 'vault_policy' && r.name === 'reset_revoke_policy')!;
  const paths = [...String(policy.attributes.policy).matchAll(/path "([^"]+)" \{\n {2}capabilities = \[([^\]]*)\]/g)];
  expect(paths.map((m) => [m[1], m[2]])).toEqual([['sys/leases/revoke-prefix/postgres/creds/shop-demo', '"update", "sudo"']]);
  policyPath = paths[0][1];
});

/** Vault with leases of several envs; the reset's token may PUT on exactly the policy's path. */
class VaultStandIn {
  leases = new Set<string>();
  requests: { method: string; url: string; token?: string }[] = [];
  server!: Server;
  async start(): Promise<string> {
    this.server = createServer((req: IncomingMessage, res) => {
      const token = req.headers['x-vault-token'] as string | undefined;
      this.requests.push({ method: req.method!, url: req.url!, token });
      const path = decodeURIComponent(req.url!.replace(/^\/v1\//, ''));
      if (token !== TOKEN || req.method !== 'PUT' || path !== policyPath) { res.writeHead(403); res.end('{"errors":["permission denied"]}'); return; }
      let prefix = path.slice('sys/leases/revoke-prefix/'.length);
      if (!prefix.endsWith('/')) prefix += '/';
      for (const id of [...this.leases]) if (id.startsWith(prefix)) this.leases.delete(id);
      res.writeHead(204); res.end();
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> { return new Promise((r) => this.server.close(() => r())); }
}

function run(command: string[], vars: Record<string, string>, dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { env: { PATH: '/usr/bin:/bin', TMPDIR: dir, ...vars } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('the demo hourly reset revokes its env\'s leases', () => {
  let vault: VaultStandIn;
  let address: string;
  beforeAll(async () => { vault = new VaultStandIn(); address = await vault.start(); });
  afterAll(() => vault.stop());

  it('the reset runs scale-down, restore, revoke (init containers, in order), then scales up, with the agent\'s token', () => {
    const pod = reset.spec.jobTemplate.spec.template;
    expect(pod.spec.initContainers.map((c: Obj) => c.name)).toEqual(['scale-down', 'reset', 'revoke-leases', 'reset-flags']);
    expect(pod.spec.initContainers[1].command).toEqual(['/bin/bash', '-c', RESET_SCRIPT]);
    expect(pod.spec.containers.map((c: Obj) => c.name)).toEqual(['scale-up']);
    expect(pod.metadata.annotations).toMatchObject({ 'vault.hashicorp.com/role': 'shop-demo-reset', 'vault.hashicorp.com/agent-inject-token': 'true' });
    // Sandboxes reset on demand and revoke through their TTL sweep: their reset has no revoke step.
    const sandboxReset = dist.kubernetes.map((k) => k.object).find((o) => o.kind === 'CronJob' && o.metadata.name === 'crm-alice-reset')!;
    expect(sandboxReset.spec.jobTemplate.spec.template.spec.initContainers.map((c: Obj) => c.name)).toEqual(['scale-down', 'reset']);
  });

  it('revokes exactly shop-demo\'s leases (not shop-demo2\'s, not prod\'s), with the reset\'s token', async () => {
    vault.leases = new Set(['postgres/creds/shop-demo/a', 'postgres/creds/shop-demo/b', 'postgres/creds/shop-demo2/c', 'postgres/creds/shop/prod', 'postgres/creds/shop-alice/d']);
    vault.requests = [];
    const dir = join(testTmp('reset-revoke'), `ok-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), TOKEN);
    const step = reset.spec.jobTemplate.spec.template.spec.initContainers.find((c: Obj) => c.name === 'revoke-leases');
    const r = await run(step.command, { ...envOf(step), VAULT_ADDR: address, TIERKIT_VAULT_TOKEN_FILE: join(dir, 'token') }, dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('reset: revoked every lease under postgres/creds/shop-demo');
    expect(vault.requests).toEqual([{ method: 'PUT', url: '/v1/sys/leases/revoke-prefix/postgres/creds/shop-demo', token: TOKEN }]);
    expect([...vault.leases].sort()).toEqual(['postgres/creds/shop-alice/d', 'postgres/creds/shop-demo2/c', 'postgres/creds/shop/prod']);
  });

  it.each([
    ['a shorter prefix', 'sys/leases/revoke-prefix/postgres/creds', 3],
    ['a glob', 'sys/leases/revoke-prefix/postgres/creds/shop*', 3],
    ['another env the token may not touch', 'sys/leases/revoke-prefix/postgres/creds/shop', 5],
  ])('a re-pointed revoke path (%s) revokes nothing and fails the Job', async (_what, path, code) => {
    vault.leases = new Set(['postgres/creds/shop-demo/a', 'postgres/creds/shop/prod']);
    vault.requests = [];
    const dir = join(testTmp('reset-revoke'), `bad-${Date.now()}-${code}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'token'), TOKEN);
    chmodSync(join(dir, 'token'), 0o600);
    const step = reset.spec.jobTemplate.spec.template.spec.initContainers.find((c: Obj) => c.name === 'revoke-leases');
    const r = await run(step.command, { ...envOf(step), TIERKIT_VAULT_REVOKE_PATH: path, VAULT_ADDR: address, TIERKIT_VAULT_TOKEN_FILE: join(dir, 'token') }, dir);
    expect(r.code).toBe(code);
    expect(vault.leases.size).toBe(2);
  });
});

describe('TK124/TK125: the reset\'s revoke identity', () => {
  it('the example estate passes TK124, TK125, TK126 and TK014', async () => {
    const report = await check(cleanDist());
    for (const id of ['TK124', 'TK125', 'TK126', 'TK014', 'TK004']) expect(findings(report, id), id).toEqual([]);
  });

  it.each([
    ['a shorter prefix (every env\'s leases, prod\'s included)', 'path "sys/leases/revoke-prefix/postgres/creds" { capabilities = ["update", "sudo"] }'],
    ['a second path (the database credential)', 'path "sys/leases/revoke-prefix/postgres/creds/shop-demo" { capabilities = ["update", "sudo"] }\npath "postgres/creds/shop" { capabilities = ["read"] }'],
    ['an unreadable text', 'path "sys/leases/revoke-prefix/postgres/creds/shop-demo" { capabilities = ["update", "sudo"] nonsense = 1 }'],
  ])('an escape hatch widening the policy (%s), suppressed, is an unsuppressible TK124 error', async (_what, body) => {
    const report = await check(synthDist((e) => {
      const demo = env(e, 'shop', 'demo');
      demo.addEscapeHatch((r) => r.resetRevokePolicy!.addOverride('policy', body));
      demo.addSuppression('TK124', 'a hostile author suppresses the rule');
      demo.addSuppression('TK014', 'a hostile author suppresses the escalation rule');
    }, 'tk124'));
    const f = findings(report, 'TK124');
    expect(f.length).toBeGreaterThan(0);
    expect(f[0].message).toMatch(/reset-revoke policy "shop-demo-reset-revoke" of shop-demo/);
    expect(f.every((x) => x.suppressed === undefined && x.severity === 'error')).toBe(true);
  });

  it('the workload\'s auth role handing out the revoke policy is a TK125 error; so is a reset role handing out more', async () => {
    const report = await check(synthDist((e) => {
      const demo = env(e, 'shop', 'demo');
      demo.addEscapeHatch((r) => r.kubernetesAuthRole.addOverride('token_policies', ['shop-demo', 'shop-demo-reset-revoke']));
      demo.addSuppression('TK125', 'a hostile author suppresses the rule');
    }, 'tk125-role'));
    expect(findings(report, 'TK125').map((f) => f.message)).toEqual([
      expect.stringContaining('auth role "kubernetes/shop-demo" hands out the reset-revoke policy "shop-demo-reset-revoke" of shop-demo'),
    ]);
    const lost = await check(synthDist((e) => {
      env(e, 'shop', 'demo').addEscapeHatch((r) => r.resetAuthRole!.addOverride('token_policies', ['shop']));
    }, 'tk125-more'));
    expect(findings(lost, 'TK125').map((f) => f.message)).toEqual([
      expect.stringContaining('hands out policies [shop-demo, shop-demo-reset, shop-demo-reset-revoke, shop]; it must hand out exactly [shop-demo, shop-demo-reset, shop-demo-reset-revoke]'),
    ]);
  });

  const edited = (edit: (d: Obj) => Obj | undefined) => {
    const dir = distWithFiles({});
    const file = join(dir, 'k8s/demo/shop-demo.k8s.yaml');
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
    writeFileSync(file, yamlStream(docs.map((d) => (d.kind === 'CronJob' && d.metadata.name === 'shop-demo-reset' ? edit(d) : d)).filter(Boolean)));
    rehash(dir);
    return dir;
  };
  it.each([
    ['without its revoke step', (d: Obj) => {
      const s = d.spec.jobTemplate.spec.template.spec;
      s.initContainers = s.initContainers.filter((c: Obj) => c.name !== 'revoke-leases');
      return d;
    }, 'revokes [], not exactly'],
    ['revoking after the scale-up (the new pods\' credentials)', (d: Obj) => {
      const s = d.spec.jobTemplate.spec.template.spec;
      s.containers.push(s.initContainers.find((c: Obj) => c.name === 'revoke-leases'));
      s.initContainers = s.initContainers.filter((c: Obj) => c.name !== 'revoke-leases');
      return d;
    }, 'its revoke step must be an init container after the restore'],
    ['revoking before the restore (the last hour\'s leases of the restore survive)', (d: Obj) => {
      const s = d.spec.jobTemplate.spec.template.spec;
      s.initContainers = [s.initContainers[0], s.initContainers[2], s.initContainers[1], s.initContainers[3]];
      return d;
    }, 'restore at 2, revoke at 1'],
    ['running another script', (d: Obj) => { d.spec.jobTemplate.spec.template.spec.initContainers[2].command = ['/bin/sh', '-c', 'exit 0']; return d; }, 'does not run tierkit\'s reset revoke script'],
    ['without the agent\'s token', (d: Obj) => { delete d.spec.jobTemplate.spec.template.metadata.annotations['vault.hashicorp.com/agent-inject-token']; return d; }, 'renders no token'],
    ['removed', () => undefined, 'is missing: its hourly reset would revoke no lease'],
  ])('a hand-edited dist/ whose reset is %s is a TK125 error', async (_what, edit, message) => {
    const msgs = findings(await check(edited(edit)), 'TK125').map((f) => f.message);
    expect(msgs).toEqual([expect.stringContaining(message)]);
    expect(msgs[0]).toContain('reset CronJob shop-demo/shop-demo-reset of shop-demo');
  });
});

describe('TK126: a sandbox dynamic role without its expiry guard', () => {
  it('dropped by an escape hatch (and suppressed) is an unsuppressible error', async () => {
    const report = await check(synthDist((e) => {
      const sb = env(e, 'crm', 'alice');
      // The escape hatch sets the statements back to what they were before the guard.
      sb.addEscapeHatch((r) => { r.vaultRole.creationStatements = r.vaultRole.creationStatements.filter((x) => !x.startsWith('DO ')); });
      sb.addSuppression('TK126', 'a hostile author suppresses the rule');
    }, 'tk126-drop'));
    const [f, ...rest] = findings(report, 'TK126');
    expect(rest).toEqual([]);
    expect(f.message).toMatch(/^Vault role "postgres\/roles\/crm-alice" of sandbox crm-alice \(tier dev\) lacks the expiry guard for 2026-11-23T00:00:00.000Z/);
    expect(f.suppressed).toBeUndefined();
  });

  it('renewing with Vault\'s default alone (an escape hatch) is an unsuppressible TK126 error', async () => {
    const report = await check(synthDist((e) => {
      const sb = env(e, 'shop', 'alice');
      sb.addEscapeHatch((r) => r.vaultRole.resetRenewStatements());
      sb.addSuppression('TK126', 'a hostile author suppresses the rule');
    }, 'tk126-renew'));
    const [f, ...rest] = findings(report, 'TK126');
    expect(rest).toEqual([]);
    expect(f.message).toMatch(/^Vault role "postgres\/roles\/shop-alice" of sandbox shop-alice \(tier dev\) renews with \[\]: a renewal would move VALID UNTIL past the expiry/);
    expect(f.suppressed).toBeUndefined();
  });

  it('moved to a later expiry in a hand-edited dist/ is TK126 (missing) and TK004 (an unknown DO block)', async () => {
    const dir = distWithFiles({});
    const file = join(dir, 'terraform/shop-alice/cdk.tf.json');
    const stack = JSON.parse(readFileSync(file, 'utf8'));
    const role = stack.resource.vault_database_secret_backend_role.vault_role;
    const guard = sandboxExpiryGuard('shop-alice', '2026-11-24T00:00:00.000Z');
    expect(role.creation_statements).toContain(guard);
    role.creation_statements = role.creation_statements.map((s: string) => (s === guard ? sandboxExpiryGuard('shop-alice', '2030-01-01T00:00:00.000Z') : s));
    writeFileSync(file, JSON.stringify(stack, null, 2));
    rehash(dir);
    const report = await check(dir);
    expect(findings(report, 'TK126').map((f) => f.message)).toEqual([expect.stringContaining('lacks the expiry guard for 2026-11-24T00:00:00.000Z')]);
    expect(findings(report, 'TK004').map((f) => f.message)).toEqual([expect.stringContaining('runs Do')]);
  });
});

describe('the demo hourly reset restores the declared flags', () => {
  const declared = () => dist.manifest.appEnvironments.find((e) => e.slug === 'shop-demo')!.flags;
  const objects = () => dist.kubernetes.map((k) => k.object);
  const flagsStep = () => reset.spec.jobTemplate.spec.template.spec.initContainers.find((c: Obj) => c.name === 'reset-flags');

  it('the flags ConfigMap holds the declared flags as a flagd definition; the workload mounts it; Argo CD leaves its data to the reset', () => {
    const cm = objects().find((o) => o.kind === 'ConfigMap' && o.metadata.namespace === 'shop-demo')!;
    expect(cm.metadata.name).toBe('shop-flags');
    const def = JSON.parse(cm.data['flags.flagd.json']);
    const values = Object.fromEntries(Object.entries(def.flags as Record<string, Obj>).map(([k, f]) => [k, f.variants[f.defaultVariant]]));
    expect(values).toEqual(declared());
    expect(Object.keys(values).length).toBeGreaterThan(0);
    const deploy = objects().find((o) => o.kind === 'Deployment' && o.metadata.namespace === 'shop-demo')!;
    expect(deploy.spec.template.spec.volumes).toContainEqual({ name: 'flags', configMap: { name: 'shop-flags' } });
    expect(deploy.spec.template.spec.containers[0].env).toContainEqual({ name: 'TIERKIT_FLAGS_FILE', value: '/etc/tierkit/flags/flags.flagd.json' });
    const app = objects().find((o) => o.kind === 'Application' && o.metadata.name === dist.manifest.appEnvironments.find((e) => e.slug === 'shop-demo')!.names.argoApplication
      && o.spec.destination.namespace === 'shop-demo')!;
    expect(app.spec.ignoreDifferences).toContainEqual({ group: '', kind: 'ConfigMap', name: 'shop-flags', namespace: 'shop-demo', jsonPointers: ['/data'] });
    // Only the hourly reset's env has a flags ConfigMap (the other one is crm's synthetic producer's SQL, no flags);
    // its Role may patch that ConfigMap and nothing else of the kind.
    expect(objects().filter((o) => o.kind === 'ConfigMap').map((o) => `${o.metadata.namespace}/${o.metadata.name}`))
      .toEqual(['crm-ci/crm-ci-seed-synthetic-v1-sql', 'shop-demo/shop-flags']);
    const role = objects().find((o) => o.kind === 'Role' && o.metadata.name === 'shop-demo-reset')!;
    expect(role.rules[1]).toEqual({ apiGroups: [''], resources: ['configmaps'], resourceNames: ['shop-flags'], verbs: ['get', 'patch'] });
  });

  it('the flags step (kubectl stand-in) replaces the whole data with the declared flags, whatever the hour toggled or added', async () => {
    const dir = join(testTmp('reset-flags'), `run-${Date.now()}`);
    mkdirSync(join(dir, 'bin'), { recursive: true });
    writeFileSync(join(dir, 'bin', 'kubectl'), `#!/bin/bash\nprintf '%s\\0' "$@" > "${join(dir, 'kubectl.args')}"\n`, { mode: 0o755 });
    const step = flagsStep();
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => {
      const child = spawn(step.command[0], step.command.slice(1), { env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, ...envOf(step) } });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('close', (code) => resolve({ code: code ?? -1, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    const args = readFileSync(join(dir, 'kubectl.args'), 'utf8').split('\0').slice(0, -1);
    expect(args.slice(0, 5)).toEqual(['patch', 'configmap/shop-flags', '--namespace', 'shop-demo', '--type=json']);
    // Apply the JSON patch to the live object as the API server would (RFC 6902 `add` on an existing member replaces it).
    const patch = JSON.parse(args[6]) as { op: string; path: string; value: Record<string, string> }[];
    expect(args[5]).toBe('--patch');
    expect(patch.map((p) => [p.op, p.path])).toEqual([['add', '/data']]);
    const live = { data: { 'flags.flagd.json': '{"flags":{"one-click-checkout":{"defaultVariant":"off","state":"ENABLED","variants":{"off":false,"on":true}}}}', 'extra.json': '{}' } };
    live.data = patch[0].value as typeof live.data;
    const def = JSON.parse(live.data['flags.flagd.json']);
    expect(Object.keys(live.data)).toEqual(['flags.flagd.json']);
    expect(Object.fromEntries(Object.entries(def.flags as Record<string, Obj>).map(([k, f]) => [k, f.variants[f.defaultVariant]]))).toEqual(declared());
  });

  const editedDemo = (edit: (d: Obj) => Obj | undefined) => {
    const dir = distWithFiles({});
    const file = join(dir, 'k8s/demo/shop-demo.k8s.yaml');
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
    writeFileSync(file, yamlStream(docs.map(edit).filter(Boolean)));
    rehash(dir);
    return dir;
  };
  it.each([
    ['a ConfigMap flipped to other values', (d: Obj) => {
      if (d.kind === 'ConfigMap') d.data['flags.flagd.json'] = d.data['flags.flagd.json'].replace('"defaultVariant": "on"', '"defaultVariant": "off"');
      return d;
    }, 'flags ConfigMap shop-demo/shop-flags of shop-demo (tier demo) does not hold exactly the declared flags'],
    ['a reset without its flags step', (d: Obj) => {
      if (d.kind === 'CronJob' && d.metadata.name === 'shop-demo-reset') d.spec.jobTemplate.spec.template.spec.initContainers = d.spec.jobTemplate.spec.template.spec.initContainers.filter((c: Obj) => c.name !== 'reset-flags');
      return d;
    }, 'has no flags step'],
    ['a flags step writing other values', (d: Obj) => {
      if (d.kind === 'CronJob' && d.metadata.name === 'shop-demo-reset') {
        const c = d.spec.jobTemplate.spec.template.spec.initContainers.find((x: Obj) => x.name === 'reset-flags');
        c.env = c.env.map((v: Obj) => (v.name === 'TIERKIT_FLAGS_PATCH' ? { ...v, value: '[{"op":"add","path":"/data","value":{}}]' } : v));
      }
      return d;
    }, 'its flags step writes'],
  ])('a hand-edited dist/ with %s is a TK127 error', async (_what, edit, message) => {
    const msgs = findings(await check(editedDemo(edit)), 'TK127').map((f) => f.message);
    expect(msgs).toEqual([expect.stringContaining(message)]);
  });
});

describe('TK126/TK004 against an injected expiry', () => {
  it('a hand-edited manifest expiry carrying SQL, with a matching "guard" in the stack, is refused by both rules', async () => {
    const dir = distWithFiles({});
    const manifestFile = join(dir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    const entry = manifest.appEnvironments.find((e: Obj) => e.slug === 'shop-alice');
    const evil = "2030-01-01T00:00:00.000Z'; END IF; END $tierkit$; GRANT \"shop_role\" TO \"shop_alice_vault\"; DO $tierkit$ BEGIN IF false THEN NULL; END IF; IF TIMESTAMPTZ '2030-01-01";
    const before = entry.sandbox.expiresAt;
    entry.sandbox.expiresAt = evil;
    writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
    const file = join(dir, 'terraform/shop-alice/cdk.tf.json');
    const stack = JSON.parse(readFileSync(file, 'utf8'));
    const role = stack.resource.vault_database_secret_backend_role.vault_role;
    role.creation_statements = role.creation_statements.map((s: string) => (s === sandboxExpiryGuard('shop-alice', before) ? sandboxExpiryGuard('shop-alice', evil) : s));
    writeFileSync(file, JSON.stringify(stack, null, 2));
    rehash(dir);
    const report = await check(dir);
    expect(findings(report, 'TK126').map((f) => f.message)).toEqual([expect.stringContaining('not a canonical UTC instant and DNS label: its expiry guard cannot be judged')]);
    expect(findings(report, 'TK004').length).toBeGreaterThan(0);
  });
});
