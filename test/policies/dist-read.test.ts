import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistReadError, readKubernetes } from '../../policies/dist/read';
import { freshDir } from './helpers';

/** The dist reader on hand-written YAML: it never hangs, never guesses, and names the file. */
function yamlFile(text: string): string {
  const dir = freshDir('yaml');
  mkdirSync(join(dir, 'k8s'), { recursive: true });
  writeFileSync(join(dir, 'k8s', 'hand.k8s.yaml'), text);
  return dir;
}

describe('reading Kubernetes YAML from dist/', () => {
  it('refuses aliases (tierkit writes none): an alias bomb cannot make check or diff run away', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]'].join('\n');
    const dir = yamlFile(bomb);
    expect(() => readKubernetes(dir, 'k8s/hand.k8s.yaml')).toThrow(DistReadError);
    expect(() => readKubernetes(dir, 'k8s/hand.k8s.yaml')).toThrow(/k8s\/hand\.k8s\.yaml.*invalid YAML/);
  });

  it('reads a plain multi-document stream, and refuses a document that is not a mapping', () => {
    const ok = yamlFile('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n');
    expect(readKubernetes(ok, 'k8s/hand.k8s.yaml').map((o) => o.object.metadata.name)).toEqual(['a', 'b']);
    const list = yamlFile('- a\n- b\n');
    expect(() => readKubernetes(list, 'k8s/hand.k8s.yaml')).toThrow(/YAML document 0 is not a Kubernetes object/);
  });
});

describe('reading Terraform JSON from dist/', () => {
  it('refuses a repeated key: Terraform (HCL JSON) reads both "resource" blocks, JSON.parse only the last', async () => {
    const { cpSync, readFileSync } = await import('node:fs');
    const { checkDist } = await import('../../policies');
    const { cleanDist } = await import('./helpers');
    const dir = freshDir('dup-key');
    cpSync(cleanDist(), dir, { recursive: true });
    const file = join(dir, 'terraform', 'erp-dev', 'cdk.tf.json');
    const j = JSON.parse(readFileSync(file, 'utf8'));
    const visible = { ...j.resource };
    const policy = visible.vault_policy;
    delete visible.vault_policy;
    visible.vault_kubernetes_auth_backend_role.kubernetes_auth_role.token_policies = ['erp-dev'];
    policy.vault_policy.policy += 'path "postgres/creds/erp" {\n  capabilities = ["read"]\n}\n';
    const rest = Object.entries(j).filter(([k]) => k !== 'resource').map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    writeFileSync(file, `{"resource": ${JSON.stringify({ vault_policy: policy })},\n${rest.join(',\n')},\n"resource": ${JSON.stringify(visible)}}\n`);
    // The strict reader refuses the whole dist: one unsuppressible TK020 error, nothing passes.
    const report = await checkDist(dir, { now: new Date('2026-11-22T06:00:00Z') });
    expect(report.summary.errors).toBeGreaterThan(0);
    expect(report.findings.filter((f) => f.ruleId === 'TK020').map((f) => f.message).join('\n')).toMatch(/erp-dev\/cdk\.tf\.json.*repeats the key "resource"/);
  });

  it('finds repeated keys at any depth, and only within one object', async () => {
    const { repeatedJsonKey } = await import('../../contract/json');
    expect(repeatedJsonKey('{"a": {"b": 1, "c": "b\\"", "b": 2}}')).toBe('b');
    expect(repeatedJsonKey('{"a": [{"b": 1}, {"b": 2}], "c": {"b": "a"}}')).toBeUndefined();
  });
});

describe('files under dist/k8s that Argo CD reads', () => {
  const evil = {
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'erp-hotfix', namespace: 'argocd' },
    spec: {
      project: 'tierkit-prod', destination: { namespace: 'erp', server: 'https://kubernetes.default.svc' },
      source: { repoURL: 'https://git.arcodange.lab/platform/estate.git', targetRevision: 'attacker-branch', path: 'payload' },
    },
  };
  async function withFile(label: string, rel: string, text: string): Promise<string> {
    const { cpSync } = await import('node:fs');
    const { cleanDist } = await import('./helpers');
    const dir = freshDir(label);
    cpSync(cleanDist(), dir, { recursive: true });
    writeFileSync(join(dir, rel), text);
    return dir;
  }

  it('judges a .json file in a tier\'s Argo CD directory (the app of apps syncs it): a prod Application from dev\'s files fails', async () => {
    const { checkDist } = await import('../../policies');
    const dir = await withFile('k8s-json', 'k8s/dev/argocd/zz-hotfix.json', JSON.stringify(evil));
    const report = await checkDist(dir, { now: new Date('2026-11-22T06:00:00Z') });
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.map((f) => f.file)).toContain('k8s/dev/argocd/zz-hotfix.json');
  });

  it('refuses any other file under dist/k8s (Argo CD evaluates .jsonnet)', async () => {
    const { checkDist } = await import('../../policies');
    const dir = await withFile('k8s-jsonnet', 'k8s/dev/argocd/zz-hotfix.jsonnet', JSON.stringify(evil));
    const report = await checkDist(dir, { now: new Date('2026-11-22T06:00:00Z') });
    const refused = report.findings.filter((f) => f.ruleId === 'TK020' && f.severity === 'error' && !f.suppressed);
    expect(refused.map((f) => f.file)).toContain('k8s/dev/argocd/zz-hotfix.jsonnet');
  });
});

describe('Terraform block lists (HCL JSON reads an array as repeated blocks)', () => {
  it('refuses a resource type or body written as an array: the rules would see blocks named "0"', async () => {
    const { checkDist } = await import('../../policies');
    const { cleanDist } = await import('./helpers');
    const { editDist } = await import('./rehash');
    const fn = { name: 'escalate', database: 'erp-sandbox', schema: 'public', returns: 'void', language: 'plpgsql', security_definer: true, body: 'BEGIN END;' };
    const byType = editDist(cleanDist(), freshDir('hcl-list-type'), { 'erp-sandbox': (j) => { j.resource.postgresql_function = [{ escalate: fn }]; } });
    // Normalized so the rules judge the block (TK032: SECURITY DEFINER), and refused as a form tierkit never writes (TK020).
    const judged = async (dir: string) => (await checkDist(dir, { now: new Date('2026-11-22T06:00:00Z') })).findings
      .filter((f) => f.severity === 'error' && !f.suppressed && f.file === 'terraform/erp-sandbox/cdk.tf.json').map((f) => f.ruleId);
    expect(await judged(byType)).toEqual(expect.arrayContaining(['TK020', 'TK032']));
    const byBody = editDist(cleanDist(), freshDir('hcl-list-body'), { 'erp-sandbox': (j) => { j.resource.postgresql_function = { escalate: [fn] }; } });
    expect(await judged(byBody)).toEqual(expect.arrayContaining(['TK020', 'TK032']));
  });
});
