// Issues 19/21 (attack7): an env's namespace `<app>-<env>` may not be one the cluster, Argo CD, the
// ingress controller, DNS or tierkit's own Jobs use (contract/reserved-namespaces.ts).
import { describe, expect, it } from 'vitest';
import { Estate, Sandbox, SandboxKind, Tier, validateEstate } from '../../constructs';
import { smallApp, smallEstate } from '../support/estates';

const devSandbox = (e: Estate, app: string, env: string) =>
  new Sandbox(smallApp(e, app, [Tier.DEV]), env, { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'alice', createdAt: '2026-11-20' });

const namespaceIssues = (e: Estate) => validateEstate(e).filter((i) => i.property === 'namespace');

describe('reserved namespaces are refused at synth', () => {
  for (const [app, env, ns, why] of [
    ['kube', 'system', 'kube-system', 'a namespace of the cluster itself'],
    ['kube', 'flannel', 'kube-flannel', 'kube-* belongs to Kubernetes'],
    ['ingress', 'nginx', 'ingress-nginx', "the ingress controller's"],
    ['tierkit', 'previews', 'tierkit-previews', "tierkit's own Jobs"],
  ] as const) {
    it(`a dev sandbox ${app}/${env} (namespace ${ns})`, () => {
      const e = smallEstate();
      devSandbox(e, app, env);
      // The app's own dev env (`<app>-dev`) may be refused too (kube-dev, tierkit-dev): the sandbox's issue is the one asserted.
      expect(namespaceIssues(e).filter((i) => i.path === `test/${app}/${env}`)).toEqual([expect.objectContaining({
        path: `test/${app}/${env}`, property: 'namespace', value: ns,
        message: expect.stringContaining(why), fix: expect.stringContaining('rename the app or the env'),
      })]);
    });
  }

  it("a prod app named argocd (prod's namespace is the app's name: Argo CD's own)", () => {
    const e = smallEstate();
    smallApp(e, 'argocd', [Tier.PROD]);
    expect(namespaceIssues(e)).toEqual([expect.objectContaining({ property: 'namespace', value: 'argocd', message: expect.stringContaining("Argo CD's namespace") })]);
  });

  it('a prod app named default', () => {
    const e = smallEstate();
    smallApp(e, 'default', [Tier.PROD]);
    expect(namespaceIssues(e)).toEqual([expect.objectContaining({ value: 'default' })]);
  });

  it("the estate's own Argo CD and ingress controller namespaces, when not the defaults", () => {
    const e = smallEstate({
      argocd: { repoUrl: 'https://git.test.lab/estate.git', namespace: 'gitops-cd' },
      ingressController: { namespace: 'edge-ingress' },
    });
    devSandbox(e, 'gitops', 'cd');
    devSandbox(e, 'edge', 'ingress');
    expect(namespaceIssues(e).filter((i) => i.path.endsWith('/cd') || i.path.endsWith('/ingress')).map((i) => [i.value, i.message])).toEqual([
      ['gitops-cd', expect.stringContaining("Argo CD's namespace")],
      ['edge-ingress', expect.stringContaining("ingress controller's")],
    ]);
  });

  it('an ordinary namespace passes', () => {
    const e = smallEstate();
    devSandbox(e, 'erp', 'alice');
    smallApp(e, 'kubernetes-docs', [Tier.PROD]);
    expect(namespaceIssues(e)).toEqual([]);
  });
});
