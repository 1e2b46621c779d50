// attack16 (issue 19, TK184/TK135): the reset and golden-load pods are "compared whole", but only their
// Vault annotations, containers and the tmp emptyDir are: pod-level fields that decide WHERE the
// scripts connect are read by no rule. A hand-edited dist (re-hashed) gives the template reset pod
// `hostAliases` (pg-nonprod.arcodange.lab -> 10.10.66.6) and the golden load `dnsPolicy: None` with a
// nameserver at 10.10.66.6 — inside the dev tier's egress allow list (allow-egress-listed: every pod,
// every port). nonprod-pg's sslMode is `require` (no certificate check), so a relay there terminates
// TLS, passes SCRAM through (no channel binding offered) and holds a session of the template login:
// it answers the content-hash query with the seed's hash (the golden gets the marker over unverified
// content) or sends its own SQL as a CREATEDB member of the golden's owner. check passed with 0 errors.
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

describe('attack16: where the template reset pods connect', () => {
  it('TK184: hostAliases or a DNS override on the reset or golden-load pod is an error', async () => {
    const dir = editDist(synthDist((e) => { withFast(e); }, 'a16-hosts'), freshDir('a16-hosts'), {});
    const file = join(dir, 'k8s', 'dev', 'crm-fast.k8s.yaml');
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
    const spec = (name: string) => docs.find((d: any) => d?.kind === 'CronJob' && d.metadata?.name === name).spec.jobTemplate.spec.template.spec;
    spec('crm-fast-reset').hostAliases = [{ ip: '10.10.66.6', hostnames: ['pg-nonprod.arcodange.lab'] }];
    spec('crm-fast-golden-load').dnsPolicy = 'None';
    spec('crm-fast-golden-load').dnsConfig = { nameservers: ['10.10.66.6'] };
    writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
    rehashManifest(dir);
    const report = await check(dir);
    // Secure: both pods are not tierkit's (today: 0 errors in total).
    expect(report.findings.filter((f) => f.severity === 'error').length).toBeGreaterThan(0);
    const tk184 = findings(report, 'TK184').map((f) => f.message);
    expect(tk184).toEqual(expect.arrayContaining([
      expect.stringContaining('CronJob "crm-fast/crm-fast-reset" runs as "crm-fast-reset"'),
      expect.stringContaining('CronJob "crm-fast/crm-fast-golden-load" runs as "crm-fast-reset"'),
    ]));
  });
});
