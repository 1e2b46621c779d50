// The workload and the lifecycle Jobs share a namespace: Argo CD must not undo the reset's
// scale-down while the reset runs.
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TTL_SWEEP_SCHEDULE } from '../../constructs/lifecycle/jobs';
import { SCALE_SCRIPT } from '../../constructs/lifecycle/scripts';
import * as naming from '../../constructs/naming';
import type { ManifestAppEnvironment } from '../../constructs/synth/manifest';
import { DistContents } from '../../policies/dist';
import { validateKubernetesObject } from '../support/k8s-schema';
import { synthToDist } from '../support/synth';
import { testTmp } from '../setup/tmpdir';

let dist: DistContents;
beforeAll(() => {
  dist = synthToDist(undefined, 'interplay');
});

type Obj = Record<string, any>;
const envs = () => dist.manifest.appEnvironments;
const objectsOf = (env: ManifestAppEnvironment): Obj[] =>
  dist.kubernetes.filter((o) => o.file === naming.dist.k8sAppEnvironment(env.tier, env)).map((o) => o.object);
const hasResetJob = (env: ManifestAppEnvironment) => objectsOf(env).some((o) => o.kind === 'CronJob' && o.metadata.name === `${env.slug}-reset`);
const applicationOf = (env: ManifestAppEnvironment): Obj =>
  dist.kubernetes.map((k) => k.object).find((o) => o.kind === 'Application' && o.metadata.name === env.names.argoApplication)!;

describe('Argo CD and the reset', () => {
  it('self-heal leaves the replicas of a reset env\'s Deployment alone; other envs keep full self-heal', () => {
    const withReset = envs().filter(hasResetJob).map((e) => e.slug);
    expect(withReset).toEqual(expect.arrayContaining(['erp-sandbox', 'shop-demo', 'crm-alice']));
    for (const env of envs()) {
      const app = applicationOf(env);
      expect(app.spec.syncPolicy.automated, env.slug).toEqual({ prune: true, selfHeal: true });
      if (withReset.includes(env.slug)) {
        const deployment = objectsOf(env).find((o) => o.kind === 'Deployment')!;
        // An hourly (demo) reset also owns its flags ConfigMap's data for the hour (TK127).
        const flags = objectsOf(env).filter((o) => o.kind === 'ConfigMap')
          .map((o) => ({ group: '', kind: 'ConfigMap', name: o.metadata.name, namespace: o.metadata.namespace, jsonPointers: ['/data'] }));
        expect(flags.length, env.slug).toBe(env.slug === 'shop-demo' ? 1 : 0);
        expect(app.spec.ignoreDifferences, env.slug).toEqual([{
          group: 'apps', kind: 'Deployment', name: deployment.metadata.name, namespace: deployment.metadata.namespace, jsonPointers: ['/spec/replicas'],
        }, ...flags]);
        expect(app.spec.syncPolicy.syncOptions, env.slug).toEqual(['RespectIgnoreDifferences=true']);
      } else {
        expect(app.spec.ignoreDifferences, env.slug).toBeUndefined();
        expect(app.spec.syncPolicy.syncOptions, env.slug).toBeUndefined();
      }
    }
  });

  it('those Applications validate against @kubernetes-models/argo-cd, which checks the new fields', () => {
    const app = applicationOf(envs().find((e) => e.slug === 'erp-sandbox')!);
    expect(() => validateKubernetesObject(app as never)).not.toThrow();
    const broken = { ...app, spec: { ...app.spec, ignoreDifferences: [{ ...app.spec.ignoreDifferences[0], jsonPointers: '/spec/replicas' }] } };
    expect(() => validateKubernetesObject(broken as never)).toThrow(/jsonPointers/);
    const brokenOptions = { ...app, spec: { ...app.spec, syncPolicy: { ...app.spec.syncPolicy, syncOptions: 'RespectIgnoreDifferences=true' } } };
    expect(() => validateKubernetesObject(brokenOptions as never)).toThrow(/syncOptions/);
  });
});

describe('the workload selector picks the workload\'s pods only', () => {
  const matches = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

  it('the Service and the ingress controller\'s policy select the workload pods, never a lifecycle Job pod', () => {
    let jobPods = 0;
    for (const env of envs()) {
      const objects = objectsOf(env);
      const deployment = objects.find((o) => o.kind === 'Deployment')!;
      const service = objects.find((o) => o.kind === 'Service')!;
      const ingressPolicy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'allow-ingress-controller')!;
      // Traffic goes to the workload's pods only; the Deployment keeps the (immutable) env selector,
      // whose ReplicaSets never adopt Job-owned pods.
      expect(deployment.spec.selector.matchLabels, env.slug).toEqual({ 'tierkit.io/app': env.app, 'tierkit.io/env': env.env });
      const selectors: [string, Record<string, string>][] = [
        ['Service', service.spec.selector], ['allow-ingress-controller', ingressPolicy.spec.podSelector.matchLabels],
      ];
      expect(deployment.spec.selector.matchExpressions, env.slug).toBeUndefined();
      for (const cj of objects.filter((o) => o.kind === 'CronJob')) {
        const pod = cj.spec.jobTemplate.spec.template.metadata.labels;
        jobPods++;
        for (const [what, selector] of selectors) expect(matches(selector, pod), `${env.slug} ${what} selects ${cj.metadata.name}'s pods`).toBe(false);
        expect(pod['tierkit.io/component'], cj.metadata.name).toBeUndefined();
      }
      const workload = deployment.spec.template.metadata.labels;
      for (const [what, selector] of selectors) {
        expect(matches(selector, workload), `${env.slug} ${what} selects the workload`).toBe(true);
        expect(selector, `${env.slug} ${what}`).toEqual({ 'tierkit.io/app': env.app, 'tierkit.io/env': env.env, 'tierkit.io/component': 'workload' });
      }
    }
    expect(jobPods).toBeGreaterThanOrEqual(7);
  });
});

describe('the TTL sweep', () => {
  const cronJobs = (env: ManifestAppEnvironment) => objectsOf(env).filter((o) => o.kind === 'CronJob' && o.metadata.name === naming.ttlSweepName(env));
  const envOf = (container: Obj) => Object.fromEntries(container.env.map((v: Obj) => [v.name, v.value]));

  // Changed by issue 18: the sweep now also revokes the env's leases, with a Vault identity of its own
  // (test/sandbox/ttl-sweep-*.test.ts); it still never gets the env's policy or a database credential.
  it('looks hourly at each sandbox and scales its workload to 0 once its expiry (fixed at synth time) has passed, as its own service account (scale only) and its own Vault role (revoke only)', () => {
    const sandboxes = envs().filter((e) => e.sandbox);
    expect(sandboxes.length).toBeGreaterThan(3);
    for (const env of sandboxes) {
      const [sweep, ...more] = cronJobs(env);
      expect(more, env.slug).toEqual([]);
      expect(() => validateKubernetesObject(sweep), env.slug).not.toThrow();
      expect(sweep.spec.schedule).toBe(TTL_SWEEP_SCHEDULE);
      expect(sweep.spec.suspend).toBe(false);
      const pod = sweep.spec.jobTemplate.spec.template;
      expect(pod.metadata.labels[naming.LABELS.job]).toBe('ttl-sweep');
      expect(pod.metadata.annotations['vault.hashicorp.com/role'], 'its own Vault role').toBe(naming.ttlSweepName(env));
      expect(Object.keys(pod.metadata.annotations).filter((k) => k.startsWith('vault.hashicorp.com/agent-inject-secret')), 'no secret rendered: it reads no credential').toEqual([]);
      expect(pod.spec.serviceAccountName).toBe(naming.ttlSweepName(env));
      // The Vault auth role binding the sweep's service account hands out the sweep policy only: never a database credential.
      const stack = dist.stacks.find((t) => t.name === env.stack)!.json;
      const sweepRoles = Object.values(stack.resource.vault_kubernetes_auth_backend_role as Record<string, Obj>)
        .filter((r) => r.bound_service_account_names.includes(naming.ttlSweepName(env)));
      expect(sweepRoles.map((r) => [r.role_name, r.token_policies]), env.slug).toEqual([[naming.ttlSweepName(env), ['${vault_policy.ttl_sweep_policy.name}']]]);
      expect(stack.resource.vault_policy.ttl_sweep_policy.name).toBe(naming.ttlSweepName(env));
      const deployment = objectsOf(env).find((o) => o.kind === 'Deployment')!;
      const [container, ...others] = pod.spec.initContainers;
      expect(others).toEqual([]);
      expect(pod.spec.containers.map((c: Obj) => c.name)).toEqual(['revoke-leases']);
      expect(container.command).toEqual(['/bin/bash', '-c', SCALE_SCRIPT]);
      expect(envOf(container)).toEqual({
        TIERKIT_DEPLOYMENT: deployment.metadata.name, TIERKIT_NAMESPACE: env.names.namespace, TIERKIT_REPLICAS: '0',
        TIERKIT_EXPIRES_AT: env.sandbox!.expiresAt, TIERKIT_EXPIRES_AT_EPOCH: String(Date.parse(env.sandbox!.expiresAt) / 1000),
        TIERKIT_ONLY_WHEN_EXPIRED: 'true',
      });
      // The reset's scale-up carries the expiry too: a reset never brings an expired sandbox back.
      const reset = objectsOf(env).find((o) => o.kind === 'CronJob' && o.metadata.name === naming.resetName(env))!;
      expect(envOf(reset.spec.jobTemplate.spec.template.spec.containers[0])).toMatchObject({ TIERKIT_REPLICAS: '1', TIERKIT_EXPIRES_AT_EPOCH: String(Date.parse(env.sandbox!.expiresAt) / 1000) });
      // Its service account may scale that Deployment and nothing else; Argo CD leaves the 0 alone.
      const role = objectsOf(env).find((o) => o.kind === 'Role' && o.metadata.name === naming.ttlSweepName(env))!;
      const binding = objectsOf(env).find((o) => o.kind === 'RoleBinding' && o.metadata.name === naming.ttlSweepName(env))!;
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: naming.ttlSweepName(env), namespace: env.names.namespace }]);
      expect(role.rules).toEqual([{ apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: [deployment.metadata.name], verbs: ['get', 'patch'] }]);
      expect(applicationOf(env).spec.ignoreDifferences[0].jsonPointers).toEqual(['/spec/replicas']);
      // Its pods reach the API server, on its port only, through a policy of their own.
      const api = objectsOf(env).find((o) => o.kind === 'NetworkPolicy' && o.spec.podSelector.matchLabels?.[naming.LABELS.job] === 'ttl-sweep')!;
      expect(api.spec.egress).toEqual([{ to: [{ ipBlock: { cidr: dist.manifest.estate.network!.kubernetesApi!.cidr } }], ports: [{ protocol: 'TCP', port: dist.manifest.estate.network!.kubernetesApi!.port }] }]);
    }
    for (const env of envs().filter((e) => !e.sandbox)) expect(cronJobs(env), env.slug).toEqual([]);
    // The demo tier (no sandbox) scales back up after its hourly reset whatever the time.
    const demoReset = objectsOf(envs().find((e) => e.slug === 'shop-demo')!).find((o) => o.kind === 'CronJob')!;
    expect(envOf(demoReset.spec.jobTemplate.spec.template.spec.containers[0]).TIERKIT_EXPIRES_AT_EPOCH).toBeUndefined();
  });

  describe('the scale script, run with bash against a stand-in kubectl and clock', () => {
    let runs = 0;
    const run = (env: Record<string, string>, now: number) => {
      const dir = testTmp('lifecycle', `scale-${process.pid}-${++runs}`);
      mkdirSync(join(dir, 'bin'), { recursive: true });
      writeFileSync(join(dir, 'bin', 'kubectl'), '#!/bin/bash\necho "$*" >> "$CALLS"\n', { mode: 0o755 });
      writeFileSync(join(dir, 'bin', 'date'), `#!/bin/bash\n[ "$*" = "-u +%s" ] && echo ${now}\n`, { mode: 0o755 });
      const r = spawnSync('bash', ['-c', SCALE_SCRIPT], {
        encoding: 'utf8', env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, CALLS: join(dir, 'calls'), TIERKIT_DEPLOYMENT: 'crm', TIERKIT_NAMESPACE: 'crm-alice', ...env },
      });
      expect(r.status, r.stderr).toBe(0);
      return { calls: existsSync(join(dir, 'calls')) ? readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n') : [], out: r.stdout };
    };
    const expiry = { TIERKIT_EXPIRES_AT: '2026-11-23T00:00:00.000Z', TIERKIT_EXPIRES_AT_EPOCH: String(Date.parse('2026-11-23T00:00:00Z') / 1000) };
    const before = Date.parse('2026-11-22T23:59:59Z') / 1000;
    const after = Date.parse('2026-11-23T00:00:00Z') / 1000;
    const patch = (n: number) => `patch deployment/crm --namespace crm-alice --subresource=scale --type=merge --patch {"spec":{"replicas":${n}}}`;

    it('the sweep leaves a live sandbox alone and scales an expired one to 0', () => {
      const sweep = { ...expiry, TIERKIT_REPLICAS: '0', TIERKIT_ONLY_WHEN_EXPIRED: 'true' };
      expect(run(sweep, before)).toMatchObject({ calls: [] });
      expect(run(sweep, before).out).toContain('alive until 2026-11-23T00:00:00.000Z');
      expect(run(sweep, after).calls).toEqual([patch(0)]);
    });

    it('a reset scales a live sandbox back up, an expired one to 0; without an expiry it does as asked', () => {
      expect(run({ ...expiry, TIERKIT_REPLICAS: '1' }, before).calls).toEqual([patch(1)]);
      expect(run({ ...expiry, TIERKIT_REPLICAS: '1' }, after).calls).toEqual([patch(0)]);
      expect(run({ TIERKIT_REPLICAS: '1' }, after).calls).toEqual([patch(1)]);
    });
  });
});
