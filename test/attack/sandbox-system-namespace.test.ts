// attack7: nothing reserves the cluster's own namespaces. A namespace is `<app>-<env>`, so an app
// `kube` with a dev sandbox `system` owns `kube-system`, and an app `ingress` with a dev sandbox
// `nginx` owns `ingress-nginx` — the very namespaces every env's NetworkPolicies name (DNS to
// kube-system, ingress from ingress-nginx) on the one cluster all tiers share (TK044's declared
// exception). check passes with 0 errors; the tier's AppProject lists the namespace as a destination
// and the sandbox's Application applies there its Namespace object (Pod Security restricted labels),
// its default-deny NetworkPolicy (podSelector {}: every CoreDNS / ingress-controller pod), its
// ResourceQuota and LimitRange: a dev sandbox cuts DNS or ingress for prod, and deleting the sandbox
// prunes what it applied. (Same class: an env in `tierkit-previews`, see preview-jobs-namespace-as-sandbox;
// a prod app named `argocd` owns Argo CD's own namespace.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { App, Sandbox, SandboxKind, Tier, type Estate } from '../../constructs';
import { check, synthDist } from '../policies/helpers';

const IMAGE = 'ghcr.io/arcodange/x:1.0@sha256:3c9d1e4a7b2f60581d0e9a8c7b6f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d4';

for (const [app, sandbox] of [['kube', 'system'], ['ingress', 'nginx']] as const) {
  describe(`attack7: a dev sandbox ${app}/${sandbox} owning namespace ${app}-${sandbox}`, () => {
    it('is refused (synth or check)', async () => {
      let dir: string;
      try {
        dir = synthDist((e: Estate) => {
          const a = new App(e, app, { tiers: [Tier.DEV], objectPrefix: `${app.slice(0, 2)}_`, image: IMAGE });
          new Sandbox(a, sandbox, { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2026-11-21', ttlHours: 72 });
        }, `attack7-system-ns-${app}`);
      } catch {
        return; // refused at synth: secure
      }
      // What the sandbox's Application applies there, as rendered today:
      const text = readFileSync(join(dir, 'k8s', 'dev', `${app}-${sandbox}.k8s.yaml`), 'utf8');
      expect(text).toContain(`namespace: ${app}-${sandbox}`);
      const errors = (await check(dir)).findings.filter((f) => f.severity === 'error' && !f.suppressed);
      expect(errors.map((f) => `${f.ruleId} ${f.message}`)).toEqual(expect.arrayContaining([expect.stringContaining(`${app}-${sandbox}`)]));
    }, 120_000);
  });
}
