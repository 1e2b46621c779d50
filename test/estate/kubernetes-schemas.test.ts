import { describe, expect, it } from 'vitest';
import { synthToDist } from '../support/synth';
import { validateKubernetesObject } from '../support/k8s-schema';

describe('Kubernetes manifests', () => {
  const dist = synthToDist();

  it('every object validates against the kubernetes-models / argo-cd schemas', () => {
    expect(dist.kubernetes.length).toBeGreaterThan(100);
    const invalid: string[] = [];
    for (const { file, index, object } of dist.kubernetes) {
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
      const key = `${object.apiVersion}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
      expect(object.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
  });
});
