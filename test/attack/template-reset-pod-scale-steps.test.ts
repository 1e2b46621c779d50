// attack16 (issue 19, TK184/TK135): resetPodProblems lists the reset pod's `scale-down` init container
// and `scale-up` container by NAME only ("the scale … steps are named here and judged whole by TK122,
// TK125 and TK127"), but none of those rules reads a reset pod's scale steps (TK122 judges the TTL
// sweep's CronJob). A hand-edited dist (re-hashed) makes the template reset's scale-down a no-op (the
// app stays up through the golden load, the drain and the clone) and its scale-up — the pod's main
// container, after the reset, with the template role's login rendered at /vault/secrets/database and
// the kube-api token — run any image and SQL as the reset's service account. check passed with
// 0 errors (a restore reset's scale steps, e.g. shop-bob-checkout-reset, pass the same way).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { Sandbox, SandboxKind, SandboxReset, Tier, type Estate } from '../../constructs';
import { check, findings, freshDir, synthDist } from '../policies/helpers';
import { editDist, rehashManifest } from '../policies/rehash';

function withFast(e: Estate): Sandbox {
  const crm = e.node.tryFindChild('crm') as ConstructorParameters<typeof Sandbox>[0];
  return new Sandbox(crm, 'fast', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2026-11-21', ttlHours: 72, reset: SandboxReset.TEMPLATE });
}

describe('attack16: the template reset pod\'s scale steps', () => {
  it('TK184: a template reset whose scale-down does not scale and whose scale-up runs SQL as the template login is an error', async () => {
    const dir = editDist(synthDist((e) => { withFast(e); }, 'a16-scale'), freshDir('a16-scale'), {});
    const file = join(dir, 'k8s', 'dev', 'crm-fast.k8s.yaml');
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
    const pod = docs.find((d: any) => d?.kind === 'CronJob' && d.metadata?.name === 'crm-fast-reset').spec.jobTemplate.spec.template;
    const reset = pod.spec.initContainers.find((c: any) => c.name === 'reset');
    pod.spec.initContainers.find((c: any) => c.name === 'scale-down').command = ['/bin/bash', '-c', 'echo the app stays up'];
    const up = pod.spec.containers.find((c: any) => c.name === 'scale-up');
    up.image = reset.image;
    up.command = ['/bin/bash', '-c', '. /vault/secrets/database; export PGUSER PGPASSWORD; psql -d crm_fast_golden -c "SET ROLE crm_fast_template; ALTER DATABASE crm_fast_golden IS_TEMPLATE true"'];
    up.env = JSON.parse(JSON.stringify(reset.env.filter((v: any) => ['PGHOST', 'PGPORT', 'PGSSLMODE'].includes(v.name))));
    writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
    rehashManifest(dir);
    const report = await check(dir);
    // Secure: the reset's scale steps are tierkit's kubectl patch of its own Deployment (today: 0 errors in total).
    expect(report.findings.filter((f) => f.severity === 'error').length).toBeGreaterThan(0);
    expect(findings(report, 'TK184').map((f) => f.message)).toEqual([expect.stringContaining('CronJob "crm-fast/crm-fast-reset" runs as "crm-fast-reset"')]);
  });
});
