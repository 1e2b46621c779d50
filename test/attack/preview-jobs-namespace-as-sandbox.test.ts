// attack7: the preview Jobs' Vault identity (auth/kubernetes/role/erp-previews: policy erp-previews =
// read kvv2/data/erp-previews/admin, write postgres/roles/erp-pr-*) trusts service account
// `erp-previews` in namespace `tierkit-previews` (naming.PREVIEW_JOBS_NAMESPACE), which TK172 holds
// it to exactly. Nothing reserves that namespace: an app `tierkit` with a sandbox `previews` derives
// namespace `tierkit-previews` (validation refuses the env name only when app tierkit itself has
// previews). The sandbox's own file may then hold a ServiceAccount `erp-previews` and run its
// Deployment (the sandbox's image) as it: check passes with 0 errors (TK110: the env's own namespace;
// TK113: no env owns that SA name). Its pods log in as the preview Jobs and read the preview admin's
// password — CREATEDB CREATEROLE on the previews' server — or write erp-pr-* Vault roles (SQL as it).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { App, Sandbox, SandboxKind, Tier, type Estate } from '../../constructs';
import { check, synthDist } from '../policies/helpers';
import { rehashManifest } from '../policies/rehash';

const withSandbox = (e: Estate) => {
  const app = new App(e, 'tierkit', { tiers: [Tier.DEV], objectPrefix: 'tk_', image: 'ghcr.io/arcodange/tk:1.0' });
  new Sandbox(app, 'previews', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2026-11-21', ttlHours: 72 });
};

function synthOrRefused(label: string): string | undefined {
  try {
    return synthDist(withSandbox, label);
  } catch {
    return undefined; // refused at synth: secure
  }
}

describe('attack7: a declared env in the preview Jobs\' namespace tierkit-previews', () => {
  it('refuses an env whose namespace is tierkit-previews (the namespace the preview Jobs\' Vault role trusts)', async () => {
    const dir = synthOrRefused('attack7-jobs-ns');
    if (!dir) return;
    const errors = (await check(dir)).findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).toEqual(expect.arrayContaining([expect.stringContaining('tierkit-previews')]));
  }, 120_000);

  it('refuses that sandbox running its Deployment as service account erp-previews (the preview Jobs\' Vault login)', async () => {
    const dir = synthOrRefused('attack7-jobs-ns-sa');
    if (!dir) return;
    const file = join(dir, 'k8s/dev/tierkit-previews.k8s.yaml');
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
    const deployment = docs.find((d: any) => d.kind === 'Deployment');
    deployment.spec.template.spec.serviceAccountName = 'erp-previews';
    const own = docs.find((d: any) => d.kind === 'ServiceAccount' && d.metadata.name === 'tierkit-previews');
    docs.push({ ...own, metadata: { ...own.metadata, name: 'erp-previews' } });
    writeFileSync(file, docs.map((d: any) => stringify(d)).join('---\n'));
    rehashManifest(dir);
    const errors = (await check(dir)).findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).toEqual(expect.arrayContaining([expect.stringContaining('erp-previews')]));
  }, 120_000);
});
