import { describe, expect, it } from 'vitest';
import { PodTemplate, PssLevel, podSecurityViolations } from '../../policies/rules/support/pod-security-standards';
import { injectVaultAgent, podTemplates } from '../../policies/rules/support/pod-templates';
import { buildGraph } from '../../policies/graph/build';
import { readDist } from '../../policies/dist';
import { validateKubernetesObject } from '../support/k8s-schema';
import { cleanDist } from './helpers';

const graph = () => buildGraph(readDist(cleanDist()));

/** The erp-sandbox Deployment of the example estate: a pod template tierkit writes, with the injected agent. */
function deployment(): any {
  const o = graph().kubernetes.find((k) => k.kind === 'Deployment' && k.namespace === 'erp-sandbox')!;
  return structuredClone(o.object);
}

/** Controls `mutate` breaks, judged at `level`, on the injected pod; the fixture itself must be a valid Deployment. */
function broken(level: PssLevel, mutate: (pod: any) => void): string[] {
  const d = deployment();
  mutate(d.spec.template);
  validateKubernetesObject(d);
  const { injected } = injectVaultAgent(d.spec.template as PodTemplate);
  return [...new Set(podSecurityViolations(injected, level).map((v) => `${v.level}: ${v.control}`))].sort();
}

const app = (pod: any) => pod.spec.containers[0];

describe('Pod Security Standards controls (kubernetes.io/docs/concepts/security/pod-security-standards, v1.32)', () => {
  it('every pod template of the example estate passes restricted as the Vault injector renders it', () => {
    const { templates, unknown } = podTemplates(graph());
    expect(unknown).toEqual([]);
    expect(templates.length).toBeGreaterThanOrEqual(30);
    const failing = templates.flatMap((t) => podSecurityViolations(t.injected).map((v) => `${t.object.namespace}/${t.object.name}: ${v.control} ${v.message}`));
    expect(failing).toEqual([]);
    // The injected agents are there to be judged: a sidecar on every Deployment, an init container on every Job with the agent.
    const injected = templates.filter((t) => t.injected !== t.template);
    expect(injected.length).toBeGreaterThanOrEqual(25);
    for (const t of injected.filter((x) => x.object.kind === 'Deployment')) {
      expect(t.injected.spec!.containers.map((c: any) => c.name)).toContain('vault-agent');
    }
  });

  it.each<[string, PssLevel, (pod: any) => void]>([
    ['baseline: HostProcess', 'baseline', (p) => { p.spec.securityContext.windowsOptions = { hostProcess: true }; }],
    ['baseline: Host Namespaces', 'baseline', (p) => { p.spec.hostNetwork = true; }],
    ['baseline: Host Namespaces', 'baseline', (p) => { p.spec.hostPID = true; }],
    ['baseline: Host Namespaces', 'baseline', (p) => { p.spec.hostIPC = true; }],
    ['baseline: Privileged Containers', 'baseline', (p) => { app(p).securityContext.privileged = true; }],
    ['baseline: Capabilities', 'baseline', (p) => { app(p).securityContext.capabilities.add = ['SYS_ADMIN']; }],
    ['baseline: HostPath Volumes', 'baseline', (p) => { p.spec.volumes.push({ name: 'node', hostPath: { path: '/var/lib/kubelet' } }); }],
    ['baseline: Host Ports', 'baseline', (p) => { app(p).ports[0].hostPort = 8080; }],
    ['baseline: AppArmor', 'baseline', (p) => { app(p).securityContext.appArmorProfile = { type: 'Unconfined' }; }],
    ['baseline: AppArmor', 'baseline', (p) => { p.metadata.annotations['container.apparmor.security.beta.kubernetes.io/erp'] = 'unconfined'; }],
    ['baseline: SELinux', 'baseline', (p) => { p.spec.securityContext.seLinuxOptions = { type: 'spc_t' }; }],
    ['baseline: SELinux', 'baseline', (p) => { app(p).securityContext.seLinuxOptions = { user: 'system_u' }; }],
    ['baseline: /proc Mount Type', 'baseline', (p) => { app(p).securityContext.procMount = 'Unmasked'; }],
    ['baseline: Seccomp', 'baseline', (p) => { app(p).securityContext.seccompProfile = { type: 'Unconfined' }; }],
    ['baseline: Sysctls', 'baseline', (p) => { p.spec.securityContext.sysctls = [{ name: 'kernel.msgmax', value: '65536' }]; }],
    ['restricted: Volume Types', 'restricted', (p) => { p.spec.volumes.push({ name: 'share', nfs: { server: 'nfs.lab', path: '/x' } }); }],
    ['restricted: Privilege Escalation', 'restricted', (p) => { delete app(p).securityContext.allowPrivilegeEscalation; }],
    ['restricted: Running as Non-root', 'restricted', (p) => { p.spec.securityContext.runAsNonRoot = false; }],
    ['restricted: Running as Non-root', 'restricted', (p) => { delete p.spec.securityContext.runAsNonRoot; delete app(p).securityContext.runAsNonRoot; }],
    ['restricted: Running as Non-root user', 'restricted', (p) => { app(p).securityContext.runAsUser = 0; }],
    ['restricted: Seccomp', 'restricted', (p) => { delete p.spec.securityContext.seccompProfile; }],
    ['restricted: Capabilities', 'restricted', (p) => { app(p).securityContext.capabilities = { drop: ['NET_RAW'] }; }],
    ['restricted: Capabilities', 'restricted', (p) => { app(p).securityContext.capabilities.add = ['CHOWN']; }],
  ])('fails %s on its fixture and on nothing else', (control, level, mutate) => {
    expect(broken(level, mutate)).toEqual([control]);
  });

  it('the restricted level includes the baseline controls', () => {
    expect(broken('restricted', (p) => { p.spec.hostPID = true; })).toEqual(['baseline: Host Namespaces']);
  });
});

describe('the Vault agent as the injector renders it (hashicorp/vault-k8s agent-inject/agent)', () => {
  it('adds init and sidecar containers with Agent.securityContext(): UID 100 / GID 1000, non-root, read-only root, drop ALL, no escalation', () => {
    const { injected } = injectVaultAgent(deployment().spec.template);
    const agents = [...injected.spec!.initContainers, ...injected.spec!.containers].filter((c: any) => c.name.startsWith('vault-agent'));
    expect(agents.map((c: any) => c.name)).toEqual(['vault-agent-init', 'vault-agent']);
    for (const a of agents) {
      expect(a.securityContext).toEqual({
        runAsUser: 100, runAsGroup: 1000, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, allowPrivilegeEscalation: false,
      });
      // It mounts the audience-bound token the pod projects for it, not an API token.
      expect(a.volumeMounts[0]).toEqual({ name: 'vault-token', mountPath: '/var/run/secrets/vault.hashicorp.com/serviceaccount', readOnly: true });
    }
  });

  it('a pre-populate-only Job gets the init container alone', () => {
    const reset = graph().kubernetes.find((k) => k.kind === 'CronJob' && k.name === 'erp-sandbox-reset')!;
    const { injected } = injectVaultAgent(reset.object.spec.jobTemplate.spec.template);
    expect(injected.spec!.initContainers[0].name).toBe('vault-agent-init');
    expect(injected.spec!.containers.map((c: any) => c.name)).not.toContain('vault-agent');
  });

  it('relies on the pod-level seccomp profile: container-level profiles on the app alone leave the agent unconfined', () => {
    expect(broken('restricted', (p) => {
      delete p.spec.securityContext.seccompProfile;
      app(p).securityContext.seccompProfile = { type: 'RuntimeDefault' };
    })).toEqual(['restricted: Seccomp']);
  });

  it('fails the agent when annotations run it as root or drop its security context, and refuses to model a JSON patch', () => {
    expect(broken('restricted', (p) => { p.metadata.annotations['vault.hashicorp.com/agent-run-as-user'] = '0'; }))
      .toEqual(['restricted: Running as Non-root', 'restricted: Running as Non-root user']);
    expect(broken('restricted', (p) => { p.metadata.annotations['vault.hashicorp.com/agent-set-security-context'] = 'false'; }))
      .toEqual(['restricted: Capabilities', 'restricted: Privilege Escalation']);
    const d = deployment();
    d.spec.template.metadata.annotations['vault.hashicorp.com/agent-json-patch'] = '[{"op":"remove","path":"/securityContext"}]';
    expect(injectVaultAgent(d.spec.template).unmodelled).toMatch(/agent-json-patch/);
  });
});
