import { describe, expect, it } from 'vitest';
import { synthToDist } from '../support/synth';
import { validateKubernetesObject } from '../support/k8s-schema';

// A preview's kustomization.yaml is read by kustomize, not applied: kubernetes-models has no schema
// for it, so its whole content is asserted here (and held to tierkit's rendering by TK179).
const isKustomization = (o: { apiVersion?: string; kind?: string }) => o.apiVersion === 'kustomize.config.k8s.io/v1beta1' && o.kind === 'Kustomization';

describe('Kubernetes manifests', () => {
  const dist = synthToDist();

  it('a preview kustomization lists only its one manifest file', () => {
    const kustomizations = dist.kubernetes.filter((k) => isKustomization(k.object));
    expect(kustomizations.map((k) => k.file)).toEqual(['k8s/dev/previews/erp/kustomization.yaml']);
    for (const k of kustomizations) {
      expect(k.object).toEqual({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['preview.k8s.yaml'] });
    }
  });

  it('every object validates against the kubernetes-models / argo-cd schemas', () => {
    expect(dist.kubernetes.length).toBeGreaterThan(100);
    const invalid: string[] = [];
    for (const { file, index, object } of dist.kubernetes) {
      if (isKustomization(object)) continue;
      try {
        validateKubernetesObject(object as never);
      } catch (err) {
        invalid.push(`${file}#${index} ${object.kind}/${object.metadata?.name}: ${(err as Error).message}`);
      }
    }
    expect(invalid).toEqual([]);
  });

  it('the validator rejects a malformed object (the check can fail)', () => {
    const policy = dist.kubernetes.find((o) => o.object.kind === 'NetworkPolicy')!.object;
    expect(() => validateKubernetesObject({ ...policy, spec: { policyTypes: 'Egress' } } as never)).toThrow(/podSelector/);
    expect(() => validateKubernetesObject({ apiVersion: 'example.com/v1', kind: 'Widget' })).toThrow(/no schema/);
  });

  it('every object is named explicitly (no generated hashes) and names are unique per kind and namespace', () => {
    const seen = new Set<string>();
    for (const { object } of dist.kubernetes) {
      if (isKustomization(object)) continue;
      const key = `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
      expect(object.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });
});
