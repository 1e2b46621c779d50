// attack16 (issue 19, TK184): resetPodProblems compares the reset's `revoke-leases` and `reset-flags`
// init containers by NAME only ("judged whole by TK122, TK125 and TK127"), and lets a pod that has a
// `revoke-leases` step carry `agent-inject-token`. TK125 judges them only where the tier has a reset
// schedule (needsResetRevoke); a template-reset sandbox of dev has none, so nothing judges them. A
// hand-edited dist (re-hashed) adds two init containers with those names to the template reset
// CronJob: they run any image and command, as the reset's service account, after the reset, with the
// template role's login at /vault/secrets/database and the reset role's Vault token. check passed
// with 0 errors. Here they make the golden a template (any CREATEDB role of the server may clone it);
// they could as well rewrite the golden under its unchanged marker (the next reset clones it unverified).
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
const cp = <T>(x: T): T => JSON.parse(JSON.stringify(x));

describe('attack16: the template reset pod\'s name-only init container slots', () => {
  it('TK184: a template reset CronJob with extra "revoke-leases"/"reset-flags" init containers running anything is an error', async () => {
    const dir = editDist(synthDist((e) => { withFast(e); }, 'a16-slots'), freshDir('a16-slots'), {});
    const file = join(dir, 'k8s', 'dev', 'crm-fast.k8s.yaml');
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
    const pod = docs.find((d: any) => d?.kind === 'CronJob' && d.metadata?.name === 'crm-fast-reset').spec.jobTemplate.spec.template;
    const reset = pod.spec.initContainers.find((c: any) => c.name === 'reset');
    pod.metadata.annotations['vault.hashicorp.com/agent-inject-token'] = 'true';
    const evil = (name: string) => cp({
      name, image: reset.image,
      command: ['/bin/bash', '-c', '. /vault/secrets/database; export PGUSER PGPASSWORD; psql -d crm_fast_golden -c "SET ROLE crm_fast_template; ALTER DATABASE crm_fast_golden IS_TEMPLATE true"'],
      env: reset.env.filter((v: any) => ['PGHOST', 'PGPORT', 'PGSSLMODE'].includes(v.name)),
      securityContext: reset.securityContext, resources: reset.resources, volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
    });
    pod.spec.initContainers.push(evil('revoke-leases'), evil('reset-flags'));
    writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
    rehashManifest(dir);
    const report = await check(dir);
    // Secure: the pod of the reset's service account is not tierkit's reset (today: 0 errors in total).
    expect(report.findings.filter((f) => f.severity === 'error').length).toBeGreaterThan(0);
    expect(findings(report, 'TK184').map((f) => f.message)).toEqual([expect.stringContaining('CronJob "crm-fast/crm-fast-reset" runs as "crm-fast-reset"')]);
  });
});
