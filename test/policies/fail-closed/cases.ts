import type { Estate } from '../../../constructs';
import { env } from '../helpers';

/**
 * The failing corpus of fail-closed classes 1 (expressions) and 6 (dist integrity): each case is
 * an attack as a dist edit — `edit` mutates the parsed stack JSON, and the test rewrites
 * manifest.json's sha256s afterwards — and, where cdktf allows it, as an escape hatch. `rules`
 * are the rule ids that must catch it.
 */
export interface Case {
  readonly name: string;
  readonly stack: string;
  readonly edit: (json: any) => void;
  readonly hatch?: (e: Estate) => void;
  readonly rules: readonly string[];
}

const sandbox = 'terraform/erp-sandbox/cdk.tf.json';
export const SANDBOX = sandbox;

function res(json: any, type: string, name: string): Record<string, any> {
  return json.resource[type][name];
}

export const EXPRESSION_CASES: readonly Case[] = [
  {
    name: 'a local holding the prod group, as the sandbox group\'s roles',
    stack: sandbox,
    edit: (j) => { j.locals = { g: 'erp_role' }; res(j, 'postgresql_role', 'group_role').roles = ['${local.g}']; },
    hatch: (e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => { r.stack.addOverride('locals', { g: 'erp_role' }); r.groupRole.addOverride('roles', ['${local.g}']); }),
    rules: ['TK001'],
  },
  {
    name: 'a variable default naming the prod group',
    stack: sandbox,
    edit: (j) => { j.variable.g = { type: 'string', default: 'erp_role' }; res(j, 'postgresql_role', 'group_role').roles = ['${var.g}']; },
    hatch: (e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => { r.stack.addOverride('variable.g', { type: 'string', default: 'erp_role' }); r.groupRole.addOverride('roles', ['${var.g}']); }),
    rules: ['TK001'],
  },
  {
    name: 'a function computing the prod group name (replace)',
    stack: sandbox,
    edit: (j) => { res(j, 'postgresql_role', 'group_role').roles = ['${replace("erp_sandbox_role", "_sandbox", "")}']; },
    hatch: (e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.groupRole.addOverride('roles', ['${replace("erp_sandbox_role", "_sandbox", "")}'])),
    rules: ['TK001'],
  },
  {
    name: 'a list attribute given as one expression (the whole roles list from a local)',
    stack: sandbox,
    edit: (j) => { j.locals = { r: ['erp_role'] }; res(j, 'postgresql_role', 'group_role').roles = '${local.r}'; },
    hatch: (e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => { r.stack.addOverride('locals', { r: ['erp_role'] }); r.groupRole.addOverride('roles', '${local.r}'); }),
    rules: ['TK001'],
  },
  {
    name: 'a %{if} directive producing ADMIN OPTION on the prod group',
    stack: sandbox,
    edit: (j) => { res(j, 'postgresql_grant_role', 'vault_connection_admin').grant_role = '%{ if true }erp_role%{ else }erp_sandbox_role%{ endif }'; },
    hatch: (e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.vaultConnectionAdmin.addOverride('grant_role', '%{ if true }erp_role%{ else }erp_sandbox_role%{ endif }')),
    rules: ['TK001', 'TK003'],
  },
  {
    name: 'for_each over a set, granting each.value (the prod group)',
    stack: sandbox,
    edit: (j) => { j.resource.postgresql_grant_role.extra = { for_each: '${toset(["erp_role"])}', role: '${postgresql_role.group_role.name}', grant_role: '${each.value}' }; },
    rules: ['TK001'],
  },
  {
    name: 'count with count.index selecting the prod group',
    stack: sandbox,
    edit: (j) => { j.resource.postgresql_grant_role.extra = { count: 1, role: '${postgresql_role.group_role.name}', grant_role: '${element(["erp_role"], count.index)}' }; },
    rules: ['TK001'],
  },
  {
    name: 'the database owner from format() of a local',
    stack: sandbox,
    edit: (j) => { j.locals = { app: 'erp' }; res(j, 'postgresql_database', 'database').owner = '${format("%s_role", local.app)}'; },
    hatch: (e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => { r.stack.addOverride('locals', { app: 'erp' }); r.database.addOverride('owner', '${format("%s_role", local.app)}'); }),
    rules: ['TK001'],
  },
  {
    name: 'token_policies concatenated with a stricter tier\'s policy',
    stack: 'terraform/shop-alice/cdk.tf.json',
    edit: (j) => { res(j, 'vault_kubernetes_auth_backend_role', 'kubernetes_auth_role').token_policies = '${concat(["shop-alice"], ["shop-staging"])}'; },
    hatch: (e) => env(e, 'shop', 'alice').addEscapeHatch((r) => r.kubernetesAuthRole.addOverride('token_policies', '${concat(["shop-alice"], ["shop-staging"])}')),
    rules: ['TK008'],
  },
  {
    name: 'a Vault policy path written by a %{for} directive (prod creds)',
    stack: sandbox,
    edit: (j) => { res(j, 'vault_policy', 'vault_policy').policy = '%{ for p in ["erp"] }path "postgres/creds/${p}" {\n  capabilities = ["read"]\n}\n%{ endfor }'; },
    rules: ['TK007'],
  },
  {
    name: 'a membership from a variable without a default (unknown)',
    stack: sandbox,
    edit: (j) => { j.variable.g = { type: 'string' }; res(j, 'postgresql_role', 'group_role').roles = ['${var.g}']; },
    hatch: (e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => { r.stack.addOverride('variable.g', { type: 'string' }); r.groupRole.addOverride('roles', ['${var.g}']); }),
    rules: ['TK021'],
  },
  {
    name: 'a grant_role read from a data source (unknown)',
    stack: sandbox,
    edit: (j) => { res(j, 'postgresql_grant_role', 'vault_connection_admin').grant_role = '${data.postgresql_roles.all.roles[0].role_name}'; },
    rules: ['TK021'],
  },
  {
    name: 'a function outside the evaluated subset (base64decode) naming the prod group',
    stack: sandbox,
    edit: (j) => { res(j, 'postgresql_role', 'group_role').roles = ['${base64decode("ZXJwX3JvbGU=")}']; },
    hatch: (e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.groupRole.addOverride('roles', ['${base64decode("ZXJwX3JvbGU=")}'])),
    rules: ['TK021'],
  },
  {
    name: 'a count that is unknown (the resource may or may not exist)',
    stack: sandbox,
    edit: (j) => { j.variable.n = { type: 'number' }; j.resource.postgresql_grant_role.extra = { count: '${var.n}', role: '${postgresql_role.group_role.name}', grant_role: 'erp_sandbox_role' }; },
    rules: ['TK021'],
  },
  {
    name: 'a provider host from a variable without a default',
    stack: 'terraform/crm-dev/cdk.tf.json',
    edit: (j) => { j.variable.h = { type: 'string' }; j.provider.postgresql[0].host = '${var.h}'; },
    rules: ['TK021'],
  },
];
