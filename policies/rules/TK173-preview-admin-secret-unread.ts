import type { AuthRole, Env, EstateGraph, Stack } from '../graph/types';
import { matches } from '../graph/vault-paths';
import * as naming from '../../constructs/naming';
import { previewHost, previewNames } from './support/previews';
import { Rule, RuleFinding } from './support/rule';

/**
 * The preview admin's password (CREATEDB CREATEROLE on the previews' server) is read by the preview
 * Jobs only. TK172 judges every other policy but the CI identities of the tier gating the stack,
 * which it leaves alone because they apply and plan that stack. This rule closes that exemption for
 * reading: the planner runs a pull request's code without any approval (the `plan` job), so a planner
 * able to read the secret hands the admin to any PR author; the applier has no need to read it either.
 *
 * It holds only if no refresh needs the read, and no state or plan carries the password:
 * - `vault_kv_secret_v2` with `disable_read = true` makes no Vault request on refresh
 *   (hashicorp/terraform-provider-vault v5.6.0, vault/resource_kv_secret_v2.go, kvSecretV2Read:
 *   `shouldRead := !d.Get(consts.FieldDisableRead)`), and its data goes in `data_json_wo` (write-only,
 *   never in state or plan) — never `data_json`, which state keeps and the planner reads;
 * - the admin's role and the preview connection take the password write-only (`password_wo`), never
 *   `password` (state again).
 */
const READS = ['read', 'sudo', 'list'];

export const rule: Rule = {
  id: 'TK173',
  name: 'preview-admin-secret-unread',
  severity: 'error',
  title: 'No CI identity reads a preview admin\'s password: its KV secret is write-only and never refreshed, and no state holds it',
  explanation:
    'The ungated plan job runs a pull request\'s own code with the planner\'s Vault token; a planner that can read the '
    + 'preview admin\'s KV secret gives any PR author CREATEDB CREATEROLE on the previews\' server (unbounded databases and '
    + 'roles, other PRs\' previews). The secret must be readable by the preview Jobs only, which needs the resource never to '
    + 'be refreshed (`disable_read`) and the password never to sit in Terraform state (`*_wo` attributes), which planners read.',
  fix: 'Keep what tierkit writes for `App.previews`: `data_json_wo` with `disable_read = true` on the KV secret, `password_wo` on the admin and '
    + 'the connection, and no `read` on `<kv>/data/<app>-previews/admin` in any applier or planner policy.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const { kvMount } = g.manifest.estate.vault;
    for (const stack of g.stacks) {
      const env = previewHost(stack);
      if (!env) continue;
      const n = previewNames(env.app);
      out.push(...resourceFindings(g, stack, n.adminRole, n.connection, n.adminKvSecret, kvMount).map((message) => ({ env, message: message.message, source: message.source })));
    }
    // The policies, for every app of the manifest, previews declared or not: a manifest edited to
    // drop `previews` must not turn the planner's read of the secret into an unjudged path.
    const secrets = new Map<string, Env>();
    // previewNames is a pure function of the app: computed once per app, not once per env (~8 envs an app at 100×).
    const secretOf = new Map<string, string>();
    for (const e of g.envs) {
      if (typeof e.app !== 'string') continue;
      let secret = secretOf.get(e.app);
      if (secret === undefined) secretOf.set(e.app, (secret = `${kvMount}/data/${previewNames(e.app).adminKvSecret}`));
      if (!secrets.has(secret) || (e.previews !== undefined && e.previews !== null && previewHostEnv(g, e))) secrets.set(secret, e);
    }
    const sorted = [...secrets].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    // Every planner and applier, of any tier (TK172 judges the rest), and every policy a CI (JWT)
    // role hands out, whatever its name: none may read the secret.
    const ci = new Set(g.manifest.tiers.flatMap((t) => [naming.applierRoleName(t.name), naming.plannerRoleName(t.name)]));
    const jwtByPolicy = new Map<string, AuthRole[]>();
    for (const a of g.authRoles) if (a.kind === 'jwt') for (const name of a.policies) jwtByPolicy.set(name, [...(jwtByPolicy.get(name) ?? []), a]);
    for (const p of g.vaultPolicies) {
      const viaJwt = jwtByPolicy.get(p.name) ?? [];
      if (!ci.has(p.name) && viaJwt.length === 0) continue;
      if (p.parseError) {
        out.push({ source: p.source, message: `CI policy "${p.name}" cannot be read (${p.parseError}), so it may read any preview admin's password ("${kvMount}/data/<app>-previews/admin")` });
        continue;
      }
      for (const r of p.rules) {
        if (r.capabilities.includes('deny')) continue;
        const caps = r.capabilities.filter((c) => READS.includes(c));
        if (caps.length === 0) continue;
        // A planner holds thousands of literal paths: look those up; only globs are matched against every app.
        const hits = /[*+]/.test(r.path) ? sorted.filter(([secret]) => matches(r.path, secret)) : secrets.has(r.path) ? [[r.path, secrets.get(r.path)!] as const] : [];
        for (const [secret, env] of hits) {
          out.push({ env, source: p.source, message: `CI policy "${p.name}" of stack ${p.stack.name} grants [${caps.join(', ')}] on "${r.path}", which reaches "${secret}", app ${env.app}'s preview admin's password (CREATEDB CREATEROLE)` });
          for (const a of viaJwt) out.push({ env, source: a.source, message: `jwt auth role "auth/${a.backend}/role/${a.name}" (a CI identity) hands out policy "${p.name}", which reads "${secret}", app ${env.app}'s preview admin's password; only the preview Jobs' Kubernetes identity may` });
        }
      }
    }
    return out;
  },
};

/** Whether `e` is the env its manifest says holds its app's previews (preferred as the findings' env). */
function previewHostEnv(g: EstateGraph, e: Env): boolean {
  return e.previews !== undefined && e.previews !== null && g.stacks.some((s) => previewHost(s) === e);
}

type Found = { message: string; source: RuleFinding['source'] };

/** The admin's KV secret, role and connection as written: write-only, never refreshed. */
function resourceFindings(g: EstateGraph, stack: Stack, adminRole: string, connection: string, kvName: string, kvMount: string): Found[] {
  const out: Found[] = [];
  const src = (r: (typeof g.resources)[number]) => ({ file: r.file, pointer: r.pointer, resourcePath: r.constructPath });
  const kv = g.resources.filter((r) => r.type === 'vault_kv_secret_v2' && r.attributes.mount === kvMount && r.attributes.name === kvName);
  const own = kv.filter((r) => r.stack === stack.name);
  if (own.length !== 1) out.push({ source: { file: stack.file, pointer: '/resource' }, message: `stack ${stack.name} declares ${own.length} KV secrets "${kvMount}/${kvName}"; exactly one holds the preview admin's password` });
  for (const r of kv) {
    const where = `KV secret ${r.address} ("${kvMount}/${kvName}") of stack ${r.stack}`;
    if (r.stack !== stack.name) out.push({ source: src(r), message: `${where} writes the preview admin's password from a stack other than ${stack.name}` });
    if (r.attributes.data_json !== undefined && r.attributes.data_json !== null) out.push({ source: src(r), message: `${where} sets data_json, which Terraform state keeps (and planners read); write it with data_json_wo` });
    if (r.attributes.disable_read !== true) out.push({ source: src(r), message: `${where} has disable_read = ${JSON.stringify(r.attributes.disable_read ?? null)}; without exactly true every refresh reads the password, so a planner would need read on it` });
  }
  const role = g.resources.filter((r) => r.stack === stack.name && r.type === 'postgresql_role' && r.attributes.name === adminRole);
  for (const r of role) {
    if (r.attributes.password !== undefined && r.attributes.password !== null) out.push({ source: src(r), message: `preview admin ${r.address} sets password, which Terraform state keeps; use password_wo` });
  }
  const conns = g.resources.filter((r) => r.stack === stack.name && r.type === 'vault_database_secret_backend_connection' && r.attributes.name === connection);
  for (const r of conns) {
    const pg = Array.isArray(r.attributes.postgresql) ? r.attributes.postgresql[0] : r.attributes.postgresql;
    const pw = pg && typeof pg === 'object' ? (pg as Record<string, unknown>).password : undefined;
    if (pg === undefined || pg === null || typeof pg !== 'object') out.push({ source: src(r), message: `preview connection ${r.address} has no readable postgresql block, so where its password goes cannot be told` });
    else if (pw !== undefined && pw !== null) out.push({ source: src(r), message: `preview connection ${r.address} sets postgresql.password, which Terraform state keeps; use password_wo` });
  }
  return out;
}
