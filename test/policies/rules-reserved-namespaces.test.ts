// TK177 / TK178 (issues 19, 21; attack7): what validation refuses at synth, check refuses in a
// hand-edited dist/ — an env in a reserved namespace, the preview Jobs' service account elsewhere.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { check, cleanDist, findings, freshDir } from './helpers';
import { rehashManifest } from './rehash';

type Edit = (dir: string) => void;

function edited(label: string, ...edits: Edit[]): string {
  const dir = freshDir(label);
  cpSync(cleanDist(), dir, { recursive: true });
  for (const edit of edits) edit(dir);
  rehashManifest(dir);
  return dir;
}

const editManifest = (f: (m: any) => void): Edit => (dir) => {
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8'));
  f(m);
  writeFileSync(path, JSON.stringify(m, null, 2));
};

const editK8s = (file: string, f: (docs: any[]) => void): Edit => (dir) => {
  const path = join(dir, 'k8s', file);
  const docs = parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS());
  f(docs);
  writeFileSync(path, docs.map((d) => stringify(d)).join('---\n'));
};

const envAt = (m: any, app: string, env: string) => m.appEnvironments.find((e: any) => e.app === app && e.env === env);

const errors = async (dir: string, ruleId: string) =>
  findings(await check(dir), ruleId).filter((f) => f.severity === 'error' && !f.suppressed).map((f) => f.message);

describe('TK177 reserved-namespace', () => {
  beforeAll(() => { cleanDist(); }, 120_000);

  it('passes the example estate', async () => {
    expect(await errors(cleanDist(), 'TK177')).toEqual([]);
  }, 120_000);

  for (const ns of ['kube-system', 'ingress-nginx', 'argocd', 'tierkit-previews', 'default', 'kube-anything']) {
    it(`refuses a hand-edited manifest putting dev sandbox crm/alice in namespace ${ns}, suppression or not`, async () => {
      const dir = edited(`tk177-${ns}`, editManifest((m) => {
        const e = envAt(m, 'crm', 'alice');
        e.names.namespace = ns;
        e.suppressions = [{ ruleId: 'TK177', reason: 'the attacker says it is fine to own this namespace' }];
      }));
      const found = await errors(dir, 'TK177');
      expect(found).toEqual([expect.stringContaining(`"${ns}"`)]);
    }, 120_000);
  }

  it("refuses a namespace the NetworkPolicies name as a peer (the ingress controller's, whatever its name)", async () => {
    // The estate's ingress controller moved to `edge-ingress` (every env's NetworkPolicy names it), and a sandbox takes it.
    const dir = edited('tk177-peer',
      editK8s('dev/shop-alice.k8s.yaml', (docs) => {
        const np = docs.find((d) => d.kind === 'NetworkPolicy' && JSON.stringify(d).includes('ingress-nginx'));
        expect(np).toBeDefined();
        const text = JSON.stringify(np).replaceAll('"ingress-nginx"', '"edge-ingress"');
        docs[docs.indexOf(np)] = JSON.parse(text);
      }),
      editManifest((m) => { envAt(m, 'crm', 'alice').names.namespace = 'edge-ingress'; }));
    expect(await errors(dir, 'TK177')).toEqual([expect.stringMatching(/"edge-ingress".*NetworkPolicies name/)]);
  }, 120_000);
});

describe('TK178 preview-jobs-service-account', () => {
  it('passes the example estate', async () => {
    expect(await errors(cleanDist(), 'TK178')).toEqual([]);
  }, 120_000);

  const hostile = (docs: any[]) => {
    const deployment = docs.find((d) => d.kind === 'Deployment');
    deployment.spec.template.spec.serviceAccountName = 'erp-previews';
    const sa = docs.find((d) => d.kind === 'ServiceAccount');
    docs.push({ ...sa, metadata: { ...sa.metadata, name: 'erp-previews' } });
    const rb = docs.find((d) => d.kind === 'RoleBinding');
    rb.subjects = [...rb.subjects, { kind: 'ServiceAccount', name: 'erp-previews', namespace: 'tierkit-previews' }];
  };

  it("refuses an env's file declaring, binding and running as erp-previews", async () => {
    const dir = edited('tk178', editK8s('dev/erp-sandbox.k8s.yaml', hostile));
    const found = await errors(dir, 'TK178');
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/declares ServiceAccount "erp-sandbox\/erp-previews"/),
      expect.stringMatching(/Deployment .* runs its pods as ServiceAccount "erp-previews"/),
      expect.stringMatching(/RoleBinding .* binds "erp-previews"/),
    ]));
  }, 120_000);

  it("still refuses it when the manifest no longer says erp has previews (the auth role in tierkit-previews decides)", async () => {
    const dir = edited('tk178-no-previews',
      editK8s('dev/shop-alice.k8s.yaml', hostile),
      editManifest((m) => { delete envAt(m, 'erp', 'dev').previews; }));
    expect(await errors(dir, 'TK178')).toEqual(expect.arrayContaining([expect.stringContaining('"erp-previews"')]));
  }, 120_000);
});

describe('TK177 against a hand-edited manifest that moves Argo CD', () => {
  it("still refuses namespace argocd when estate.argocd.namespace names another", async () => {
    const dir = edited('tk177-argocd-moved', editManifest((m) => {
      m.estate.argocd.namespace = 'gitops';
      envAt(m, 'crm', 'alice').names.namespace = 'argocd';
    }));
    expect(await errors(dir, 'TK177')).toEqual([expect.stringContaining('"argocd"')]);
  }, 120_000);
});
