import { describe, expect, it } from 'vitest';
import type { IConstruct } from 'constructs';
import { App, Estate, Tier, ValidationIssue, validateEstate } from '../../constructs';
import { synthesize } from '../../constructs/synth/synthesize';
import { smallEstate } from '../support/estates';

/** Declaring never throws: validation reports the issues of the estate `build` made (or of the construct's estate). */
function issuesOf(build: () => unknown): ValidationIssue[] {
  const c = build() as IConstruct;
  return validateEstate(c instanceof Estate ? c : Estate.of(c));
}
const app = (e: Estate, props: Record<string, unknown>) => new App(e, 'erp', { tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'llx_', image: 'x:1@sha256:' + 'e'.repeat(64), ...props } as never);

describe('runtime props: one clear error each', () => {
  it.each<[string, () => unknown, Partial<ValidationIssue>, RegExp]>([
    ['an app running as root', () => app(smallEstate(), { runAsUser: 0 }), { path: 'test/erp', property: 'runAsUser', value: 0 }, /10001/],
    ['requests above limits', () => app(smallEstate(), { resources: { requestsCpuMillis: 900, requestsMemoryMiB: 64, limitsCpuMillis: 500, limitsMemoryMiB: 64 } }),
      { path: 'test/erp', property: 'resources.requestsCpuMillis', value: 900 }, /at most the limit/],
    ['a fractional memory size', () => app(smallEstate(), { resources: { requestsCpuMillis: 100, requestsMemoryMiB: 0.5, limitsCpuMillis: 500, limitsMemoryMiB: 64 } }),
      { path: 'test/erp', property: 'resources.requestsMemoryMiB', value: 0.5, message: 'must be an integer, not a fractional number' }, /an integer/],
    ['a relative health path', () => app(smallEstate(), { healthPath: 'healthz' }), { path: 'test/erp', property: 'healthPath', value: 'healthz' }, /\/healthz/],
    ['a database cap of -1 (no cap)', () => smallEstate({ tiers: [{ tier: Tier.DEV, databaseCaps: { connectionLimit: -1, userConnectionLimit: 5, statementTimeoutSeconds: 60, idleInTransactionTimeoutSeconds: 60 } }] }),
      { path: 'test', property: 'tiers[0].databaseCaps.connectionLimit', value: -1 }, /whole number/],
    ['a node pool without labels', () => smallEstate({ tiers: [{ tier: Tier.PROD, nodePool: { nodeSelector: {} } }] }),
      { path: 'test', property: 'tiers[0].nodePool.nodeSelector' }, /tierkit\.io\/pool/],
    ['a destination server that is no URL', () => smallEstate({ tiers: [{ tier: Tier.PROD, argocdDestinationServer: 'prod-cluster' }] }),
      { path: 'test', property: 'tiers[0].argocdDestinationServer', value: 'prod-cluster' }, /https:/],
  ])('%s', (_name, build, expected, fix) => {
    const issues = issuesOf(build);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject(expected);
    expect(issues[0].fix).toMatch(fix);
  });

  it('an app\'s own resources win over its tier\'s, and prod raises requests to the limits (Guaranteed)', () => {
    const e = smallEstate({ tiers: [{ tier: Tier.DEV, workloadResources: { requestsCpuMillis: 10, requestsMemoryMiB: 10, limitsCpuMillis: 20, limitsMemoryMiB: 20 } }] });
    app(e, { resources: { requestsCpuMillis: 100, requestsMemoryMiB: 128, limitsCpuMillis: 300, limitsMemoryMiB: 256 } });
    new App(e, 'crm', { tiers: [Tier.DEV], objectPrefix: 'crm_', image: 'x:1' });
    const files = synthesize(e).files;
    const deployment = (path: string) => {
      const text = files.get(path)!;
      return text.split('\n---\n').find((d) => d.includes('kind: Deployment'))!;
    };
    expect(deployment('k8s/dev/erp-dev.k8s.yaml')).toMatch(/limits:\n\s+cpu: 300m\n\s+memory: 256Mi\n\s+requests:\n\s+cpu: 100m\n\s+memory: 128Mi/);
    expect(deployment('k8s/prod/erp.k8s.yaml')).toMatch(/limits:\n\s+cpu: 300m\n\s+memory: 256Mi\n\s+requests:\n\s+cpu: 300m\n\s+memory: 256Mi/);
    expect(deployment('k8s/dev/crm-dev.k8s.yaml')).toMatch(/limits:\n\s+cpu: 20m\n\s+memory: 20Mi\n\s+requests:\n\s+cpu: 10m\n\s+memory: 10Mi/);
  });
});
