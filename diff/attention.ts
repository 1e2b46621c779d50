import type { Manifest } from '../contract/manifest';
import { compareStrings } from '../contract/order';
import { formatValue } from './attributes';
import { AttributeLookup, Context, addedStrings, after, changeLines, envOfStack, foreign, ownNames, push, strings, touched } from './attention-context';
import { connectionAttention } from './attention-connections';
import { grantAttention } from './attention-grants';
import { manifestAttention } from './attention-manifest';
import { retiredStackAttention, stateKeyAttention } from './attention-retired';
import { kubernetesAttention } from './attention-network';
import type { AffectedStack, AttentionCategory, AttentionItem, ManifestChange, ResourceChange, TerraformChange } from './model';
import { isProdTier } from './summary';
import { diffPolicies, readPolicy } from './vault-policy';
import { said } from './markdown-text';

/**
 * What a reviewer must not miss. A changed or destroyed privilege is always an item; an added one
 * is an item when it reaches beyond the names of its own app-environment (a new sandbox's own
 * role, policy and grants are the template, and the sandbox itself is the item).
 */

export const CATEGORY_ORDER: readonly AttentionCategory[] = [
  'integrity', 'unresolved', 'unmodelled', 'ci-identity', 'server-address', 'prod', 'human-gate', 'gate-changed', 'retired-stack-problem', 'state-key-moved', 'seed-store', 'suppression', 'exception', 'destroy', 'retired-stack', 'meta-argument',
  'ownership', 'membership', 'grant', 'role-attributes', 'statements', 'allowed-roles', 'connection', 'vault-policy', 'auth-role',
  'network-policy', 'service', 'sandbox-approval', 'sandbox-added', 'sandbox-extended', 'sandbox-removed', 'sandbox-changed',
];

const ROLE_ATTRIBUTES = ['superuser', 'create_role', 'create_database', 'login', 'replication', 'bypass_row_level_security', 'inherit'];
const MEMBERSHIP_KEYS = ['roles', 'assume_role'];
/**
 * Terraform meta-arguments tierkit never writes on a resource: each changes what the plan does
 * without the attributes saying so (`depends_on` only orders operations, and tierkit writes it).
 */
const META_ARGUMENTS: Readonly<Record<string, string>> = {
  count: 'how many instances exist (0 destroys the resource, though this diff shows it as changed)',
  for_each: 'which instances exist (an empty map destroys the resource, though this diff shows it as changed)',
  provider: 'which provider configuration (server, Vault) applies it',
  lifecycle: 'ignore_changes hides drift; prevent_destroy / create_before_destroy change replacements',
};
/**
 * The one meta-argument tierkit writes: a managed server's provider membership ignores the read-back
 * of with_admin_option (on 16+ it may read the creator's ADMIN-only link). Anything else is an item.
 */
function templateMeta(ctx: Context, r: TerraformChange, key: string): boolean {
  if (key !== 'lifecycle' || r.address !== 'postgresql_grant_role.provider_owner_membership' || r.action === 'destroy') return false;
  const lifecycle = ctx.attributes?.('head', r.stack, r.address)?.lifecycle;
  return JSON.stringify(lifecycle) === JSON.stringify({ ignore_changes: ['with_admin_option'] });
}

/** Attributes whose mere presence on a new role is worth a look (LOGIN is the template's; CREATEROLE see below). */
const PRIVILEGED_ON_ADD = ['superuser', 'create_database', 'replication', 'bypass_row_level_security'];
const STATEMENT_KEYS = ['creation_statements', 'revocation_statements', 'rollback_statements', 'renew_statements', 'root_rotation_statements'];
const PRIVILEGED_SQL = /\b(SUPERUSER|CREATEDB|CREATEROLE|REPLICATION|BYPASSRLS)\b/i;

/** Quoted identifiers in SQL statements, except Vault's `{{name}}` placeholders. */
function sqlIdentifiers(statements: readonly string[]): string[] {
  return statements.flatMap((s) => [...s.matchAll(/"([^"]+)"/g)].map((m) => m[1])).filter((id) => !id.startsWith('{{'));
}

function terraformAttention(ctx: Context, r: TerraformChange): void {
  if (r.action === 'destroy') return; // grouped per stack below
  const own = ownNames(ctx, r.stack);
  const isAdd = r.action === 'add';
  const verb = isAdd ? 'new' : 'changed';

  const meta = Object.keys(META_ARGUMENTS).filter((k) => r.address.includes('.') && touched(r, k) && !templateMeta(ctx, r, k));
  if (meta.length > 0) {
    push(ctx, 'meta-argument', r, `${verb} meta-argument${meta.length > 1 ? 's' : ''} ${meta.map((k) => `${k}: ${META_ARGUMENTS[k]}`).join('; ')}`, changeLines(r, meta));
  }
  if (touched(r, 'owner') && (!isAdd || foreign(strings(after(r, 'owner')), own).length > 0)) {
    push(ctx, 'ownership', r, `${verb} owner: ${formatValue(after(r, 'owner'))}`, changeLines(r, ['owner']));
  }
  grantAttention(ctx, r);
  connectionAttention(ctx, r);
  if (r.type === 'postgresql_role') {
    // `assume_role` (SET ROLE at login) gives the role's sessions another role's rights: membership by another name.
    const member = MEMBERSHIP_KEYS.filter((k) => touched(r, k));
    if (member.length > 0 && (!isAdd || foreign(member.flatMap((k) => addedStrings(r, k)), own).length > 0)) {
      const also = member.includes('assume_role') ? ' (assume_role: its sessions SET ROLE at login)' : '';
      push(ctx, 'membership', r, `role membership ${isAdd ? 'declared' : 'changed'}${also}`, changeLines(r, MEMBERSHIP_KEYS));
    }
    // CREATEROLE is the template's only on the env's own Vault connection role.
    const connectionRole = envOfStack(ctx, r.stack)?.names.vaultConnectionRole;
    const onAdd = [...PRIVILEGED_ON_ADD, ...(after(r, 'name') === connectionRole ? [] : ['create_role'])];
    const attrs = isAdd ? onAdd.filter((a) => after(r, a) === true) : ROLE_ATTRIBUTES.filter((a) => touched(r, a));
    if (attrs.length > 0) push(ctx, 'role-attributes', r, `role attributes ${isAdd ? 'granted' : 'changed'}: ${attrs.join(', ')}`, changeLines(r, attrs));
  }
  if (r.type === 'postgresql_grant_role') {
    // On a managed server, the provider's declared admin role is a member of each env's group: the template.
    const env = envOfStack(ctx, r.stack);
    const admin = ctx.head.servers.find((s) => s.id === env?.server)?.adminRole;
    const names = [...addedStrings(r, 'grant_role'), ...addedStrings(r, 'role').filter((n) => n !== admin)];
    if (!isAdd || foreign(names, own).length > 0) {
      const now = ctx.attributes?.('head', r.stack, r.address) ?? { role: after(r, 'role'), grant_role: after(r, 'grant_role') };
      const admin = now.with_admin_option === true ? ' with admin option' : '';
      push(ctx, 'membership', r, `${verb} role grant: ${formatValue(now.role)} ∈ ${formatValue(now.grant_role)}${admin}`, changeLines(r, ['grant_role', 'role', 'with_admin_option']));
    }
  }
  const statementKeys = STATEMENT_KEYS.filter((k) => touched(r, k));
  if (statementKeys.length > 0) {
    const sql = statementKeys.flatMap((k) => addedStrings(r, k));
    if (!isAdd || sql.some((s) => PRIVILEGED_SQL.test(s)) || foreign(sqlIdentifiers(sql), own).length > 0) {
      push(ctx, 'statements', r, `${verb} ${statementKeys.join(', ')}`, changeLines(r, statementKeys));
    }
  }
  if (touched(r, 'allowed_roles') && (!isAdd || foreign(addedStrings(r, 'allowed_roles'), own).length > 0)) {
    push(ctx, 'allowed-roles', r, `${verb} allowed_roles: ${formatValue(after(r, 'allowed_roles'))}`, changeLines(r, ['allowed_roles']));
  }
  if (r.type === 'vault_policy' && touched(r, 'policy')) {
    const c = r.changes.find((x) => x.path === 'policy');
    const before = typeof c?.before === 'string' ? c.before : undefined;
    const now = typeof c?.after === 'string' ? c.after : undefined;
    const reading = readPolicy(now);
    const outside = foreign(reading.blocks.map((b) => b.path), own);
    if (!isAdd || outside.length > 0 || reading.error !== undefined) {
      const lines = diffPolicies(before, now);
      const added = lines.filter((l) => l.startsWith('+')).length;
      const removed = lines.filter((l) => l.startsWith('-')).length;
      const widened = lines.filter((l) => l.startsWith('~')).length;
      push(ctx, 'vault-policy', r, `${verb} Vault policy ${r.label ?? r.address}: ${added} path block(s) added, ${removed} removed, ${widened} changed`, lines);
    }
  }
  if (/^vault_.*auth_backend_role$/.test(r.type)) {
    const bound = r.changes.filter((c) => /^(bound_|token_policies|policies)/.test(c.path)).flatMap((c) => strings(c.after));
    // A CI identity (JWT role) is always worth a look; a workload role only when it reaches outside its env.
    if (!isAdd || r.type.includes('jwt') || foreign(bound, own).length > 0) {
      push(ctx, 'auth-role', r, `${verb} auth role ${r.label ?? r.address}`, r.changes.map((c) => `${c.path}: ${formatValue(c.before)} → ${formatValue(c.after)}`));
    }
  }
}

function destroyAttention(ctx: Context, resources: readonly ResourceChange[]): void {
  const groups = new Map<string, { tier?: string; stack?: string; lines: string[] }>();
  for (const r of resources) {
    if (r.action !== 'destroy') continue;
    if (r.kind === 'terraform' && !r.address.includes('.')) continue;
    const key = r.kind === 'terraform' ? `stack ${r.stack}` : `${r.file}`;
    const g = groups.get(key) ?? { tier: r.tier, stack: r.kind === 'terraform' ? r.stack : undefined, lines: [] };
    g.lines.push(r.kind === 'terraform' ? r.address : `${r.objectKind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`);
    groups.set(key, g);
  }
  for (const [subject, g] of groups) {
    const noun = g.stack ? 'Terraform resource' : 'Kubernetes object';
    ctx.items.push({ category: 'destroy', subject, stack: g.stack, tier: g.tier, message: said`${g.lines.length} ${noun}(s) destroyed`, details: g.lines });
  }
}

function gateAttention(ctx: Context, stacks: readonly AffectedStack[], resources: readonly ResourceChange[]): void {
  const manifests = [ctx.head, ctx.base];
  for (const s of stacks) {
    if (!s.humanGate) continue;
    const prod = isProdTier(manifests, s.gatingTier);
    const n = s.resources;
    ctx.items.push({
      category: prod ? 'prod' : 'human-gate', subject: `stack ${s.name}`, stack: s.name, tier: s.tier,
      message: said`${s.action === 'change' ? 'changed' : s.action === 'add' ? 'new' : 'destroyed'} stack gated by tier ${s.gatingTier} (${s.applyGate}): ${n.add} to add, ${n.change} to change, ${n.destroy} to destroy`,
      details: [],
    });
  }
  // Argo CD syncs the rendered manifests of a prod tier after merge: no plan, so say it here.
  const prodFiles = new Map<string, number>();
  for (const r of resources) if (r.kind === 'kubernetes' && isProdTier(manifests, r.tier)) prodFiles.set(r.file, (prodFiles.get(r.file) ?? 0) + 1);
  for (const [file, n] of prodFiles) {
    const inFile = resources.filter((r) => r.kind === 'kubernetes' && r.file === file);
    const by = (a: string) => inFile.filter((r) => r.action === a).length;
    ctx.items.push({ category: 'prod', subject: file, tier: inFile[0]?.tier, message: said`${n} Kubernetes object(s) of a prod tier: ${by('add')} added, ${by('change')} changed, ${by('destroy')} removed (synced by Argo CD after merge)`, details: [] });
  }
}

export function attentionItems(
  base: Manifest, head: Manifest, resources: readonly ResourceChange[], manifest: readonly ManifestChange[], stacks: readonly AffectedStack[],
  attributes?: AttributeLookup,
): AttentionItem[] {
  const ctx: Context = { base, head, items: [], attributes };
  gateAttention(ctx, stacks, resources);
  destroyAttention(ctx, resources);
  // An object removed with its namespace is the namespace's removal, not an item of its own.
  const goneNamespaces = new Set(resources.flatMap((r) => (r.kind === 'kubernetes' && r.objectKind === 'Namespace' && r.action === 'destroy' ? [r.name] : [])));
  for (const r of resources) {
    if (r.kind === 'terraform') terraformAttention(ctx, r);
    else if (!(r.action === 'destroy' && r.namespace && goneNamespaces.has(r.namespace))) kubernetesAttention(ctx, r);
  }
  manifestAttention(ctx, manifest);
  retiredStackAttention(ctx);
  stateKeyAttention(ctx);
  const rank = (c: AttentionCategory) => CATEGORY_ORDER.indexOf(c);
  return ctx.items.sort((a, b) => rank(a.category) - rank(b.category) || compareStrings(a.subject, b.subject) || compareStrings(a.message, b.message));
}
