import { createHash } from 'node:crypto';
import { cpSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { diffPolicies, readPolicy } from '../../diff/vault-policy';
import { VAULT_INERT_TYPES, VAULT_MODELLED_TYPES } from '../../policies/graph/vault-types';
import type { Estate } from '../../constructs';
import type { CheckReport } from '../../policies/report/finding';
import { readDist } from '../../policies/dist/read';
import { evaluateGraph } from '../../policies/engine';
import { buildGraph } from '../../policies/graph/build';
import { loadSqlParser } from '../../policies/graph/sql';
import type { Rule } from '../../policies/rules/support/rule';
import { NOW, check, cleanDist, distWithFiles, env, findings, freshDir, synthDist } from './helpers';

/**
 * The mutation corpus of "fail closed, part 2" (Vault and suppressions): each class by an escape
 * hatch and by a hand edit of dist/ whose manifest sha256 is rewritten to match (so the edit would
 * pass a reader verifying hashes), each caught with its rule id; legitimate neighbours pass.
 */
function rewrite(dir: string, rel: string, text: string): void {
  writeFileSync(join(dir, rel), text);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const artifact = manifest.artifacts.find((a: { path: string }) => a.path === rel);
  if (!artifact) throw new Error(`${rel} is not a listed artifact`);
  artifact.sha256 = createHash('sha256').update(text).digest('hex');
  writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

function editStack(dir: string, stack: string, edit: (json: any) => void): void {
  const rel = `terraform/${stack}/cdk.tf.json`;
  const json = JSON.parse(readFileSync(join(dir, rel), 'utf8'));
  edit(json);
  rewrite(dir, rel, JSON.stringify(json, null, 2));
}

function copyOf(source: string): string {
  const dir = freshDir('mutated');
  cpSync(source, dir, { recursive: true });
  return dir;
}

const setPolicy = (text: string) => (j: any) => { j.resource.vault_policy.vault_policy.policy = text; };
const unsuppressed = (r: CheckReport, id: string) => findings(r, id).filter((f) => f.suppressed === undefined && f.severity === 'error');

describe('class 1: Vault policy text read as Vault reads it (TK070)', () => {
  it('legacy `policy = "write"` beside `capabilities = []`, suppressed: TK070 stays an error, and suppressing TK007 no longer hides it', async () => {
    const report = await check(synthDist((e) => env(e, 'crm', 'alice')
      .addSuppression('TK070', 'We know this policy is odd, reviewed by ops')
      .addSuppression('TK007', 'We know this policy is odd, reviewed by ops')
      .addEscapeHatch((r) => r.vaultPolicy.addOverride('policy', 'path "postgres/creds/crm" {\n  capabilities = []\n  policy = "write"\n}\n'))));
    expect(unsuppressed(report, 'TK070').map((f) => [f.env, f.file, f.pointer])).toEqual([['crm-alice', 'terraform/crm-alice/cdk.tf.json', '/resource/vault_policy/vault_policy/policy']]);
    expect(findings(report, 'TK070')[0].message).toMatch(/^Vault policy "crm-alice" of env crm-alice \(tier dev\) cannot be read as Vault reads it: path "postgres\/creds\/crm" uses the legacy/);
    expect(findings(report, 'TK100').map((f) => f.message)).toEqual(['crm-alice suppresses TK070 (vault-policy-unreadable), which cannot be suppressed; its findings stay errors']);
    expect(report.summary.errors).toBeGreaterThanOrEqual(2);
  });

  it('file() and other expressions: unknown until apply, an error', async () => {
    const report = await check(synthDist((e) => env(e, 'shop', 'dev').addEscapeHatch((r) => r.vaultPolicy.addOverride('policy', '${file("policies/shop.hcl")}'))));
    expect(unsuppressed(report, 'TK070').map((f) => f.message)).toEqual([expect.stringContaining('it contains a Terraform expression')]);
  });

  it('a vault_policy_document on the env\'s own paths passes; one reaching prod is TK007; one injecting a block through its description is TK070', async () => {
    const withDocument = (app: string, name: string, rule: unknown[]) => (e: Estate) =>
      env(e, app, name).addEscapeHatch((r) => {
        r.stack.addOverride('data.vault_policy_document.doc', { rule });
        r.vaultPolicy.addOverride('policy', '${data.vault_policy_document.doc.hcl}');
      });
    const own = await check(synthDist(withDocument('erp', 'dev', [
      { path: 'kvv2/data/erp-dev/config', capabilities: ['read'], description: 'app config' },
      { path: 'postgres/creds/erp-dev', capabilities: ['read'] },
    ])));
    expect(own.findings.filter((f) => f.severity !== 'note')).toEqual([]);
    const prod = await check(synthDist(withDocument('erp', 'dev', [{ path: 'postgres/creds/erp', capabilities: ['read'] }])));
    expect(unsuppressed(prod, 'TK007').map((f) => f.message)).toEqual([
      'Vault policy "erp-dev" of env erp-dev (tier dev) grants [read] on "postgres/creds/erp", which reaches env erp (tier prod) (e.g. postgres/creds/erp)',
    ]);
    const injected = await check(synthDist(withDocument('erp', 'dev', [
      { path: 'kvv2/data/erp-dev/config', capabilities: ['read'], description: 'x\npath "postgres/creds/erp" {\n  capabilities = ["read"]\n}' },
    ])));
    expect(unsuppressed(injected, 'TK070').map((f) => f.message)).toEqual([expect.stringMatching(
      /^Vault policy "erp-dev" of env erp-dev \(tier dev\) \(rendered from data.vault_policy_document.doc\) cannot be read as Vault reads it: .*description .* newline/)]);
  });

  it('hand edits with the hashes rewritten: JSON \\u002a, base64, templating, a duplicate key — each TK070; a canonical JSON policy reaching prod is TK007', async () => {
    const dir = copyOf(cleanDist());
    editStack(dir, 'crm-alice', setPolicy('{"path": {"postgres/creds/crm\\u002a": {"capabilities": ["read"]}}}'));
    editStack(dir, 'shop-alice', setPolicy(Buffer.from('path "postgres/creds/shop" { capabilities = ["read"] }').toString('base64')));
    editStack(dir, 'crm-dev', setPolicy('path "kvv2/data/{{identity.entity.aliases.auth_kubernetes_x.metadata.service_account_secret_name}}*" { capabilities = ["read"] }'));
    editStack(dir, 'shop-dev', setPolicy('path "postgres/creds/shop" {\n  capabilities = ["deny"]\n  capabilities = ["read"]\n}'));
    editStack(dir, 'erp-dev', setPolicy('{"path": {"kvv2/data/erp-dev/config": {"capabilities": ["read"]}, "postgres/creds/erp": {"capabilities": ["read"]}}}'));
    const report = await check(dir);
    expect(unsuppressed(report, 'TK070').map((f) => `${f.env}: ${f.message.replace(/^.*cannot be read as Vault reads it: /, '')}`)).toEqual([
      expect.stringMatching(/^crm-alice: an escape sequence at offset 29: Vault unquotes it/),
      expect.stringMatching(/^crm-dev: it uses identity templating/),
      expect.stringMatching(/^shop-alice: the text is valid base64, and Vault parses the decoded bytes instead/),
      expect.stringMatching(/^shop-dev: path "postgres\/creds\/shop" sets "capabilities" twice: Vault does not read a repeated key as one value/),
    ]);
    expect(unsuppressed(report, 'TK007').map((f) => f.message)).toEqual([
      'Vault policy "erp-dev" of env erp-dev (tier dev) grants [read] on "postgres/creds/erp", which reaches env erp (tier prod) (e.g. postgres/creds/erp)',
    ]);
  });
});

describe('class 2: a finding whose subject reaches a live-data or stricter tier is never suppressible, whatever the rule', () => {
  it('TK008: an auth role granting a policy no declared env owns', async () => {
    const report = await check(synthDist((e) => env(e, 'shop', 'alice')
      .addSuppression('TK008', 'ops-admin is needed for the migration this week')
      .addEscapeHatch((r) => r.kubernetesAuthRole.addOverride('token_policies', ['shop-alice', 'ops-admin']))));
    expect(unsuppressed(report, 'TK008').map((f) => f.message)).toEqual([
      expect.stringContaining('grants policy "ops-admin"; only "shop-alice"'),
    ]);
    expect(findings(report, 'TK100').map((f) => f.message)).toEqual([expect.stringContaining('because it grants "ops-admin", a policy of no declared env')]);
  });

  it('TK011: egress to the prod server\'s CIDR is unsuppressible (hand edit, hash rewritten); egress to an outside CIDR of the same tier is accepted with a reason', async () => {
    const reason = 'Payment provider sandbox reachable for the checkout tests';
    const base = synthDist((e) => env(e, 'shop', 'dev').addSuppression('TK011', reason));
    const withEgress = (cidr: string) => {
      const dir = copyOf(base);
      const rel = 'k8s/dev/shop-dev.k8s.yaml';
      const docs = parseAllDocuments(readFileSync(join(dir, rel), 'utf8')).map((d) => d.toJS());
      docs.push({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'extra', namespace: 'shop-dev' },
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr } }], ports: [{ port: 5432, protocol: 'TCP' }] }] } });
      rewrite(dir, rel, docs.map((d) => stringify(d)).join('---\n'));
      return dir;
    };
    const prod = await check(withEgress('10.20.5.10/32'));
    expect(unsuppressed(prod, 'TK011').map((f) => f.message)).toEqual([expect.stringContaining('allows egress to 10.20.5.10/32')]);
    expect(findings(prod, 'TK100').map((f) => f.message)).toEqual([expect.stringContaining('because it reaches Postgres server prod-pg, of the live-data tier prod')]);
    const outside = await check(withEgress('198.51.100.0/24'));
    expect(findings(outside, 'TK011').map((f) => f.suppressed?.reason)).toEqual([reason]);
    expect(outside.summary.errors).toBe(0);
  });

  it('any rule: a finding on a prod env, or on an env whose stack the prod gate governs (erp-sandbox, on the prod server)', async () => {
    const report = await check(synthDist((e) => {
      env(e, 'erp', 'sandbox').addSuppression('TK006', 'Long rehearsal sessions need day-long leases')
        .addEscapeHatch((r) => r.vaultRole.addOverride('max_ttl', 86400 * 2));
      env(e, 'erp', 'prod').addSuppression('TK006', 'Batch jobs need two-day leases for now')
        .addEscapeHatch((r) => r.vaultRole.addOverride('max_ttl', 86400 * 2));
    }));
    expect(unsuppressed(report, 'TK006').map((f) => f.env).sort()).toEqual(['erp', 'erp-sandbox']);
    expect(findings(report, 'TK100').map((f) => f.message.replace(/; it stays.*/, '')).sort()).toEqual([
      'erp suppresses TK006, which cannot accept this finding because it reaches env erp, of the live-data tier prod',
      'erp-sandbox suppresses TK006, which cannot accept this finding because it reaches the server of erp-sandbox\'s database, whose stacks tier prod gates, of the live-data tier prod',
    ]);
  });
});

describe('one place decides, for every rule id', () => {
  it('a rule tierkit has never seen: its finding reaching prod stays an error, its same-tier finding is accepted', async () => {
    await loadSqlParser();
    const reason = 'Accepted by the shop team for this sprint';
    const graph = buildGraph(readDist(synthDist((e) => env(e, 'shop', 'dev').addSuppression('TK990', reason))));
    const shopDev = graph.envs.find((x) => x.slug === 'shop-dev')!;
    const custom: Rule = {
      id: 'TK990', name: 'custom', severity: 'error', title: 't', explanation: 'e', fix: 'f', suppressible: true,
      evaluate: () => [
        { env: shopDev, message: 'reaches prod', reaches: [{ tier: 'prod', what: 'the prod thing' }] },
        { env: shopDev, message: 'stays in dev', reaches: [{ tier: 'dev', what: 'the dev thing' }] },
      ],
    };
    const report = evaluateGraph(graph, { now: NOW, rules: [custom] });
    expect(report.findings.filter((f) => f.ruleId === 'TK990').map((f) => [f.message, f.suppressed?.reason])).toEqual([
      ['reaches prod', undefined], ['stays in dev', reason],
    ]);
    expect(findings(report, 'TK100').map((f) => f.message)).toEqual([
      'shop-dev suppresses TK990, which cannot accept this finding because it reaches the prod thing, of the live-data tier prod; it stays an error: reaches prod',
    ]);
  });
});

describe('class 5: every Vault type modelled or refused (TK071), no stack writing another owner\'s object (TK072)', () => {
  it('an identity group in a sandbox stack (escape hatch), suppressed: TK071 stays an error', async () => {
    const report = await check(synthDist((e) => env(e, 'shop', 'alice')
      .addSuppression('TK071', 'Grouping our own workloads for convenience')
      .addEscapeHatch((r) => r.stack.addOverride('resource.vault_identity_group.team', { name: 'shop-alice', policies: ['shop'] }))));
    expect(unsuppressed(report, 'TK071').map((f) => f.message)).toEqual([
      'stack shop-alice declares vault_identity_group.team, a Vault resource type tierkit does not model',
    ]);
    expect(findings(report, 'TK100')).toHaveLength(1);
  });

  it('hand edits with the hashes rewritten: plan-time secret reads, generic writes, mounts outside the platform, other namespaces, unresolved names', async () => {
    const dir = copyOf(cleanDist());
    editStack(dir, 'crm-dev', (j) => {
      j.data = { vault_kv_secret_v2: { steal: { mount: 'kvv2', name: 'erp/config' } } };
      j.resource.vault_generic_endpoint = { w: { path: 'sys/policies/acl/erp', data_json: '{}' } };
      j.resource.vault_mount = { m: { path: 'kvv2', type: 'kv' } };
      j.ephemeral = { vault_database_secret: { creds: { mount: 'postgres', name: 'erp' } } };
    });
    editStack(dir, 'shop-dev', (j) => {
      j.provider.vault[0].namespace = 'prod';
      j.resource.vault_kubernetes_auth_backend_role.kubernetes_auth_role.role_name = '${var.role}';
    });
    editStack(dir, 'platform', (j) => { j.resource.vault_mount.kv_mount.audit_non_hmac_request_keys = ['password']; });
    editStack(dir, 'crm-alice', (j) => { j.resource.vault_policy.vault_policy.name = '${var.policy_name}'; });
    editStack(dir, 'erp-dev', (j) => { delete j.provider.vault; });
    const messages = unsuppressed(await check(dir), 'TK071').map((f) => f.message);
    expect(messages).toEqual([
      // The auth roles refer to the policy by reference, so they name it by the same expression.
      'vault_kubernetes_auth_backend_role.kubernetes_auth_role in stack crm-alice names Vault paths, roles or policies by Terraform expressions tierkit cannot resolve: /token_policies/0 = "${vault_policy.vault_policy.name}"',
      'vault_kubernetes_auth_backend_role.reset_auth_role in stack crm-alice names Vault paths, roles or policies by Terraform expressions tierkit cannot resolve: /token_policies/0 = "${vault_policy.vault_policy.name}"',
      'vault_policy.vault_policy in stack crm-alice names Vault paths, roles or policies by Terraform expressions tierkit cannot resolve: /name = "${var.policy_name}"',
      'stack crm-dev declares data.vault_kv_secret_v2.steal, a Vault data source type tierkit does not model',
      'stack crm-dev declares ephemeral.vault_database_secret.creds, a Vault ephemeral source type tierkit does not model',
      'stack crm-dev declares vault_generic_endpoint.w, a Vault resource type tierkit does not model',
      'vault_mount.m is in stack crm-dev: mounts and auth methods belong only to the shared platform stack, gated by the live-data tier',
      'stack erp-dev declares Vault objects without a Vault provider block: the address and namespace would come from the applier\'s environment (VAULT_ADDR, VAULT_NAMESPACE)',
      'vault_mount.kv_mount in stack platform: sets audit_non_hmac_request_keys, which tierkit does not model (remounts, audit keys and headers can move or leak another env\'s secrets)',
      'stack shop-dev: a Vault provider with address "https://vault.arcodange.lab:8200" and namespace "prod" is not the estate\'s Vault (https://vault.arcodange.lab:8200, root namespace)',
      'vault_kubernetes_auth_backend_role.kubernetes_auth_role in stack shop-dev names Vault paths, roles or policies by Terraform expressions tierkit cannot resolve: /role_name = "${var.role}"',
    ]);
  });

  it('every resource and data source type of the pinned provider is modelled, inert, or a TK071 error', async () => {
    const lib = join(__dirname, '../../node_modules/@cdktf/provider-vault/lib');
    const types = readdirSync(lib).flatMap((d) => {
      const m = /tfResourceType = "(vault_[a-z0-9_]+)"/.exec((() => { try { return readFileSync(join(lib, d, 'index.js'), 'utf8'); } catch { return ''; } })());
      return m ? [{ block: d.startsWith('data-') ? 'data' as const : 'resource' as const, type: m[1] }] : [];
    });
    expect(types.length).toBeGreaterThan(200);
    const stack: Record<string, Record<string, Record<string, unknown>>> = { resource: {}, data: {} };
    for (const t of types) stack[t.block][t.type] = { x: {} };
    const report = await check(distWithFiles({ 'terraform/everything/cdk.tf.json': stack }));
    const unmodelled = new Set(findings(report, 'TK071').map((f) => /declares (\S+),/.exec(f.message)?.[1]).filter(Boolean));
    for (const t of types) {
      const address = `${t.block === 'data' ? 'data.' : ''}${t.type}.x`;
      const known = Object.hasOwn(VAULT_MODELLED_TYPES[t.block], t.type) || Object.hasOwn(VAULT_INERT_TYPES[t.block], t.type);
      expect(unmodelled.has(address), address).toBe(!known);
    }
    for (const table of [VAULT_MODELLED_TYPES, VAULT_INERT_TYPES]) {
      for (const block of ['resource', 'data'] as const) {
        for (const t of Object.keys(table[block])) expect(types.some((x) => x.block === block && x.type === t), `${block} ${t} exists in the pinned provider`).toBe(true);
      }
    }
  });

  it('TK072: a sandbox stack writing prod\'s policy by name, or a sibling\'s KV path (escape hatches)', async () => {
    const report = await check(synthDist((e) => env(e, 'crm', 'alice').addEscapeHatch((r) => {
      r.stack.addOverride('resource.vault_policy.takeover', { name: 'crm', policy: 'path "kvv2/data/crm-alice/config" { capabilities = ["read"] }' });
      r.stack.addOverride('resource.vault_kv_secret_v2.sibling', { mount: 'kvv2', name: 'crm-dev/config', data_json: '{}' });
    })));
    expect(unsuppressed(report, 'TK072').map((f) => f.message)).toEqual([
      'vault_kv_secret_v2.sibling in stack crm-alice writes "kvv2/data/crm-dev/config", which belongs to env crm-dev (tier dev)',
      'vault_policy.takeover in stack crm-alice writes "sys/policies/acl/crm", which belongs to env crm (tier prod)',
    ]);
  });
});

describe('diff reads policies with check\'s parser', () => {
  it('finds the paths of a JSON-form policy, merges repeated paths as Vault does, and flags unreadable text', () => {
    const hcl = 'path "kvv2/data/crm-dev/config" {\n  capabilities = ["read"]\n}\n';
    const json = '{"path": {"kvv2/data/crm-dev/config": {"capabilities": ["read"]}, "postgres/creds/crm": {"capabilities": ["read"]}}}';
    expect(diffPolicies(hcl, json)).toEqual(['+ path "postgres/creds/crm" [read]']);
    expect(readPolicy('path "a" { capabilities = ["read"] }\npath "/a" { capabilities = ["update"] }').blocks)
      .toEqual([{ path: 'a', capabilities: ['read', 'update'], body: 'read,update' }]);
    expect(diffPolicies(hcl, Buffer.from(hcl).toString('base64'))).toEqual([
      expect.stringMatching(/^! the new policy text is outside what tierkit reads as Vault does \(check reports TK070\): the text is valid base64/),
      '- path "kvv2/data/crm-dev/config" [read]',
    ]);
  });
});
