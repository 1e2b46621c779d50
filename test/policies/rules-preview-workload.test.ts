import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { App, Estate, PostgresServer, Tier, synthesize, validateEstate } from '../../constructs';
import type { CheckReport } from '../../policies/report/finding';
import { admitsUnder } from '../../policies/rules/support/preview-workload';
import { check, cleanDist, env, findings, freshDir, synthDist } from './helpers';
import { editDist, rehashManifest } from './rehash';

// The preview workload's own Vault login (docs/previews.md): auth role `erp-pr-workload` bound to
// `erp-preview-pr-*` in `erp-pr-*`, whose templated policy reads the creds of the pod's own
// namespace. TK164 (the role), TK165 (no other reader of `<db>/creds/erp-pr-*`), TK166 (the template).

const ACCESSOR = 'auth_kubernetes_5e1f0c7a';
const TEMPLATE = `postgres/creds/{{identity.entity.aliases.${ACCESSOR}.metadata.service_account_namespace}}`;
const messages = (r: CheckReport, id: string) => findings(r, id).map((f) => f.message);
const errors = (r: CheckReport, id: string) => findings(r, id).filter((f) => f.severity === 'error' && f.suppressed === undefined);
const stackJson = (dir: string, stack: string) => JSON.parse(readFileSync(join(dir, 'terraform', stack, 'cdk.tf.json'), 'utf8'));
const previewObjects = (dir: string) => readFileSync(join(dir, 'k8s/dev/previews/erp/preview.k8s.yaml'), 'utf8').split(/^---$/m).map((d) => parse(d)).filter(Boolean);

function editPolicy(label: string, policy: (text: string) => string): string {
  return editDist(cleanDist(), freshDir(label), { 'erp-dev': (j) => { const p = j.resource.vault_policy.preview_workload_policy; p.policy = policy(p.policy); } });
}

describe('the preview workload\'s Vault login (TK164–TK166)', () => {
  it('renders one auth role on the Kubernetes mount for erp-pr-* namespaces, a policy reading the pod\'s own namespace\'s creds, and the agent reading that path; check is clean', async () => {
    const dir = cleanDist();
    const r = stackJson(dir, 'erp-dev').resource;
    const role = r.vault_kubernetes_auth_backend_role.preview_workload_auth_role;
    expect([role.backend, role.role_name, role.bound_service_account_names, role.bound_service_account_namespaces, role.audience, role.token_policies])
      .toEqual(['kubernetes', 'erp-pr-workload', ['erp-preview-pr-*'], ['erp-pr-*'], 'vault', ['${vault_policy.preview_workload_policy.name}']]);
    expect(role.bound_service_account_namespace_selector).toBeUndefined();
    const policy = r.vault_policy.preview_workload_policy;
    expect(policy.name).toBe('erp-pr-workload');
    expect([...policy.policy.matchAll(/path "([^"]*)" \{\n {2}capabilities = \[([^\]]*)\]/g)].map((m) => [m[1], m[2]])).toEqual([[TEMPLATE, '"read"']]);
    // The workload: the agent logs in as that role and renders the creds of its token's namespace; egress to the server and Vault only.
    const objs = previewObjects(dir);
    const dep = objs.find((o) => o.kind === 'Deployment');
    const a = dep.spec.template.metadata.annotations;
    expect(a['vault.hashicorp.com/role']).toBe('erp-pr-workload');
    expect(a['vault.hashicorp.com/agent-inject-template-database']).toContain('with secret "auth/token/lookup-self"');
    expect(a['vault.hashicorp.com/agent-inject-template-database']).toContain('printf "postgres/creds/%s" .Data.meta.service_account_namespace');
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    const server = manifest.servers.find((s: any) => s.id === 'nonprod-pg');
    const egress = objs.filter((o) => o.kind === 'NetworkPolicy' && o.spec.policyTypes.includes('Egress') && o.spec.egress?.some((e: any) => e.to.some((t: any) => t.ipBlock)));
    expect(egress.map((o) => [o.metadata.name, o.spec.egress[0].to[0].ipBlock.cidr, o.spec.egress[0].ports[0].port])).toEqual([
      ['allow-postgres', server.cidr, server.port], ['allow-vault', manifest.estate.network.vault.cidr, manifest.estate.network.vault.port],
    ]);
    const report = await check(dir);
    for (const id of ['TK164', 'TK165', 'TK166', 'TK070', 'TK008', 'TK179']) expect(messages(report, id), id).toEqual([]);
  });

  it('TK164: an escape hatch widening the role (every namespace, a label selector, the API token, the Jobs\' policy) is an error, suppressed or not', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'dev')
      .addSuppression('TK164', 'widening the preview login for a demo this week')
      .addSuppression('TK008', 'widening the preview login for a demo this week')
      .addEscapeHatch((r) => {
        const role = r.previews!.workloadAuthRole!;
        role.addOverride('bound_service_account_namespaces', ['*']);
        role.addOverride('bound_service_account_namespace_selector', '{"matchLabels":{"team":"erp"}}');
        role.addOverride('audience', 'https://kubernetes.default.svc');
        role.addOverride('token_policies', ['erp-pr-workload', 'erp-previews']);
      }), 'tk164-hatch');
    const report = await check(dir);
    expect(messages(report, 'TK164')).toEqual(expect.arrayContaining([
      expect.stringMatching(/binds namespaces \[.*"\*"\]; exactly \["erp-pr-\*"\]/),
      expect.stringMatching(/selects namespaces by label/),
      expect.stringMatching(/accepts tokens for audience "https:\/\/kubernetes.default.svc"/),
      expect.stringMatching(/grants policies \[.*"erp-previews"\]; exactly \["erp-pr-workload"\]/),
    ]));
    expect(errors(report, 'TK164')).toHaveLength(findings(report, 'TK164').length);
  });

  it('TK164: another stack\'s role handing out the workload policy, and a role with no accessor in the manifest, are errors', async () => {
    const dir = editDist(cleanDist(), freshDir('tk164-other'), {
      'shop-dev': (j) => {
        j.resource.vault_kubernetes_auth_backend_role.borrow = {
          backend: 'kubernetes', role_name: 'shop-borrow', bound_service_account_names: ['shop-dev'], bound_service_account_namespaces: ['shop-dev'],
          audience: 'vault', token_policies: ['erp-pr-workload'],
        };
      },
    });
    expect(messages(await check(dir), 'TK164')).toEqual([
      expect.stringMatching(/^kubernetes auth role "auth\/kubernetes\/role\/shop-borrow" \(stack shop-dev\) grants policy "erp-pr-workload"/),
    ]);
    // A manifest edited to drop the accessor leaves a role tierkit would not render: both rules name it.
    const path = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    delete m.appEnvironments.find((e: any) => e.slug === 'erp-dev').previews.vaultKubernetesAuthAccessor;
    writeFileSync(path, JSON.stringify(m, null, 2));
    rehashManifest(dir);
    const report = await check(dir);
    expect(messages(report, 'TK164')).toContainEqual(expect.stringMatching(/"auth\/kubernetes\/role\/erp-pr-workload" \(stack erp-dev\) is app erp's preview workload login, but the manifest gives no Kubernetes auth accessor/));
    expect(messages(report, 'TK166')).toContainEqual(expect.stringMatching(/Vault policy "erp-pr-workload" \(stack erp-dev\) is app erp's preview workload policy, but the manifest gives no Kubernetes auth accessor/));
  });

  it('TK164: another role admitting the preview namespaces (a glob, a literal PR, "*") is an error even with TK008 suppressed', async () => {
    const dir = synthDist((e) => env(e, 'shop', 'dev')
      .addSuppression('TK008', 'shop reviewers try the erp previews against shop for a sprint')
      .addEscapeHatch((r) => { r.kubernetesAuthRole.addOverride('bound_service_account_namespaces', ['shop-dev', 'erp-*']); }), 'tk164-admit');
    const report = await check(dir);
    expect(errors(report, 'TK164').map((f) => f.message)).toEqual([
      expect.stringMatching(/^Kubernetes auth role "auth\/kubernetes\/role\/shop-dev" \(stack shop-dev\) binds namespaces \["erp-\*"\], which admit app erp's preview namespaces "erp-pr-\*"/),
    ]);
    expect(admitsUnder('erp-pr-7', 'erp-pr-')).toBe(true);
    expect(admitsUnder('*', 'erp-pr-')).toBe(true);
    expect(admitsUnder('e*-7', 'erp-pr-')).toBe(true);
    expect(admitsUnder('erp-dev', 'erp-pr-')).toBe(false);
    expect(admitsUnder('shop-*', 'erp-pr-')).toBe(false);
  });

  it('TK165: another policy reading a preview\'s creds (a literal PR, a glob, a +) is an error; the Jobs\' revoke-prefix is not a read', async () => {
    const dir = editDist(cleanDist(), freshDir('tk165'), {
      'shop-dev': (j) => {
        const p = j.resource.vault_policy.vault_policy;
        p.policy = `${p.policy}\npath "postgres/creds/erp-pr-7" {\n  capabilities = ["read"]\n}\n`;
      },
      'platform-dev': (j) => {
        const p = j.resource.vault_policy.planner_policy;
        p.policy = `${p.policy}\npath "postgres/+/erp-pr-*" {\n  capabilities = ["read"]\n}\n`;
      },
    });
    const report = await check(dir);
    expect(messages(report, 'TK165').sort()).toEqual([
      expect.stringMatching(/^Vault policy "shop-dev" of stack shop-dev grants \[read\] on "postgres\/creds\/erp-pr-7", which reaches "postgres\/creds\/erp-pr-7"/),
      expect.stringMatching(/^Vault policy "tierkit-plan-dev" of stack platform-dev grants \[read\] on "postgres\/\+\/erp-pr-\*"/),
    ].sort((a, b) => String(a).localeCompare(String(b))));
    expect(errors(report, 'TK165')).toHaveLength(2);
    expect(messages(await check(cleanDist()), 'TK165')).toEqual([]);
  });

  it('TK166: a template on the service account name, another mount, or widened after the template is an error that says why; TK070 no longer lets it through', async () => {
    const cases: [string, (t: string) => string, RegExp][] = [
      ['name', (t) => t.replace('service_account_namespace', 'service_account_name'), /templated on "identity\.entity\.aliases\.auth_kubernetes_5e1f0c7a\.metadata\.service_account_name": not the namespace/],
      ['mount', (t) => t.replace(ACCESSOR, 'auth_jwt_0badc0de'), /names mount accessor "auth_jwt_0badc0de", not the Kubernetes auth mount's "auth_kubernetes_5e1f0c7a"/],
      ['glob', (t) => t.replace('service_account_namespace}}', 'service_account_namespace}}*'), /around the template, "postgres\/creds\/\*" could reach another PR's creds/],
      ['second', (t) => `${t}\npath "postgres/creds/erp-pr-1" {\n  capabilities = ["read"]\n}\n`, /holds 2 paths/],
    ];
    for (const [label, edit, why] of cases) {
      const report = await check(editPolicy(`tk166-${label}`, edit));
      expect(messages(report, 'TK166'), label).toEqual([expect.stringMatching(why)]);
      expect(errors(report, 'TK166'), label).toHaveLength(1);
      expect(messages(report, 'TK070'), label).toHaveLength(1);
    }
  });

  it('TK166: a manifest edited to another accessor no longer matches the policy, and a bad accessor is refused', async () => {
    const dir = editDist(cleanDist(), freshDir('tk166-accessor'), {});
    const path = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    m.appEnvironments.find((e: any) => e.slug === 'erp-dev').previews.vaultKubernetesAuthAccessor = 'auth_kubernetes_ffffffff';
    writeFileSync(path, JSON.stringify(m, null, 2));
    rehashManifest(dir);
    expect(messages(await check(dir), 'TK166')).toEqual([expect.stringMatching(/names mount accessor "auth_kubernetes_5e1f0c7a", not the Kubernetes auth mount's "auth_kubernetes_ffffffff"/)]);
    m.appEnvironments.find((e: any) => e.slug === 'erp-dev').previews.vaultKubernetesAuthAccessor = 'auth_kubernetes_5e1f0c7a.metadata}}/*';
    writeFileSync(path, JSON.stringify(m, null, 2));
    rehashManifest(dir);
    const report = await check(dir);
    expect(messages(report, 'TK164')).toContainEqual(expect.stringMatching(/vaultKubernetesAuthAccessor is "auth_kubernetes_5e1f0c7a\.metadata}}\/\*", not a Kubernetes auth accessor/));
  });

  it('TK179: the workload\'s agent logging in as the Jobs\' identity, or reading a fixed PR\'s creds, is an error', async () => {
    const dir = editDist(cleanDist(), freshDir('tk179-agent'), {});
    const file = join(dir, 'k8s/dev/previews/erp/preview.k8s.yaml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('vault.hashicorp.com/role: erp-pr-workload', 'vault.hashicorp.com/role: erp-previews')
      .replace('.Data.meta.service_account_namespace', '"erp-pr-1"'));
    rehashManifest(dir);
    const report = await check(dir);
    expect(messages(report, 'TK179')).toContainEqual(expect.stringMatching(/Deployment\/erp-preview: Vault agent annotations are .*"vault\.hashicorp\.com\/role":"erp-previews"/));
  });

  it('without an accessor there is no workload login: no auth role or policy, no agent, DNS only', () => {
    const e = new Estate({ name: 'test', domain: 'test.lab', vault: { address: 'https://vault.test.lab' }, argocd: { repoUrl: 'https://git.test.lab/estate.git' }, ci: { repository: 'test/estate', repositoryId: '100001' } });
    new PostgresServer(e, 'nonprod-pg', { host: 'pg-nonprod.test.lab', majorVersion: 18, tiers: [Tier.DEV] });
    new App(e, 'erp', { tiers: [Tier.DEV], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64), previews: { tier: Tier.DEV } });
    const files = synthesize(e).files;
    const r = JSON.parse(files.get('terraform/erp-dev/cdk.tf.json')!).resource;
    expect(Object.keys(r.vault_policy).sort()).toEqual(['preview_jobs_policy', 'vault_policy']);
    expect(Object.keys(r.vault_kubernetes_auth_backend_role).sort()).toEqual(['kubernetes_auth_role', 'preview_jobs_auth_role']);
    const objs = files.get('k8s/dev/previews/erp/preview.k8s.yaml')!.split(/^---$/m).map((d) => parse(d)).filter(Boolean);
    expect(objs.find((o: any) => o.kind === 'Deployment').spec.template.metadata.annotations).toBeUndefined();
    expect(objs.filter((o: any) => o.kind === 'NetworkPolicy').map((o: any) => o.metadata.name)).toEqual(['default-deny', 'allow-dns']);
    const manifest = JSON.parse(files.get('manifest.json')!);
    expect(manifest.appEnvironments.find((x: any) => x.slug === 'erp-dev').previews.vaultKubernetesAuthAccessor).toBeUndefined();
  });

  it('validation refuses an accessor that is not Vault\'s format, naming the app, prop, value and fix', () => {
    const e = new Estate({ name: 'test', domain: 'test.lab', vault: { address: 'https://vault.test.lab' }, argocd: { repoUrl: 'https://git.test.lab/estate.git' }, ci: { repository: 'test/estate', repositoryId: '100001' } });
    new PostgresServer(e, 'nonprod-pg', { host: 'pg-nonprod.test.lab', majorVersion: 18, tiers: [Tier.DEV] });
    new App(e, 'erp', { tiers: [Tier.DEV], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64), previews: { tier: Tier.DEV, vaultKubernetesAuthAccessor: 'auth_kubernetes_*' } });
    expect(validateEstate(e).filter((i) => i.property === 'previews.vaultKubernetesAuthAccessor').map((i) => [i.path, i.value, i.message, i.fix])).toEqual([[
      'test/erp', 'auth_kubernetes_*', 'is not a Vault Kubernetes auth accessor (auth_kubernetes_ and 8 lowercase hex digits)',
      'copy it from `vault auth list -format=json` ("kubernetes/".accessor), e.g. "auth_kubernetes_0a1b2c3d"',
    ]]);
  });
});
