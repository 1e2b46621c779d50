import type { Env, EstateGraph, Stack } from '../graph/types';
import { matches, overlap } from '../graph/vault-paths';
import * as naming from '../../constructs/naming';
import { previewSeedOf } from './support/preview-seed';
import { previewHost, previewNames } from './support/previews';
import { Rule, RuleFinding } from './support/rule';

/** One run of a preview Job, with room for a slow PostgreSQL: longer-lived tokens are someone else's. */
const MAX_TOKEN_TTL_SECONDS = 3600;

function hostStack(g: EstateGraph, env: Env): Stack | undefined {
  return g.stacks.find((s) => s.name === env.stack && previewHost(s) === env);
}

/** What the preview Jobs' policy holds, exactly (synth/terraform-previews.ts): path → capabilities. */
export function expectedPreviewJobsRules(g: EstateGraph, app: string): Map<string, string[]> {
  const n = previewNames(app);
  const { kvMount, databaseMount } = g.manifest.estate.vault;
  return new Map([
    [`${kvMount}/data/${n.adminKvSecret}`, ['read']],
    [`${databaseMount}/roles/${n.rolePattern}`, ['create', 'delete', 'update']],
    [`sys/leases/revoke-prefix/${databaseMount}/creds/${n.rolePattern}`, ['sudo', 'update']],
    // The seed step reads the app's synthetic seed's published hashes, and no other seed's.
    ...(() => { const s = previewSeedOf(g, app); return s.seed !== undefined ? [[s.hashPath, ['read']] as [string, string[]]] : []; })(),
  ]);
}

const same = (a: readonly unknown[] | undefined, b: readonly unknown[]) => Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);

export const rule: Rule = {
  id: 'TK172',
  name: 'preview-jobs-identity',
  severity: 'error',
  title: 'The preview Jobs\' Vault identity reads only the preview admin\'s credential, writes only `<app>-pr-*` Vault roles and revokes only their leases, from the tierkit-previews namespace; no other policy reads that credential',
  explanation:
    'The PreSync and PostDelete Jobs run outside every preview\'s namespace (a pull request\'s code never shares their '
    + 'service account) as the preview admin, whose password only their Vault role may read. Their policy must be exactly '
    + 'that: an extra path is a standing credential reachable from merged code without the human gate; `sudo` is held '
    + 'on one lease prefix only (revoke-prefix is root-protected). Another policy reading the admin\'s KV secret hands '
    + 'CREATEDB CREATEROLE to whoever holds it.',
  fix: 'Keep what tierkit writes for `App.previews` (policy and auth role "<app>-previews"); grant the preview admin\'s KV path to no other policy.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    g.envs.forEach((env, i) => {
      if (env.previews === undefined || env.previews === null) return;
      const stack = hostStack(g, env);
      if (!stack) return; // TK170 reports it
      const n = previewNames(env.app);
      const at = { file: 'manifest.json', pointer: `/appEnvironments/${i}/previews`, constructPath: env.constructPath };
      const policies = g.vaultPolicies.filter((p) => p.name === n.jobs);
      const own = policies.filter((p) => p.stack === stack);
      if (own.length !== 1) out.push({ env, source: at, message: `previews of app ${env.app}: stack ${stack.name} declares ${own.length} Vault policies "${n.jobs}"; exactly one is the preview Jobs'` });
      for (const p of policies.filter((x) => x.stack !== stack)) out.push({ env, source: p.source, message: `Vault policy "${p.name}" (app ${env.app}'s preview Jobs) is declared again in stack ${p.stack.name}` });
      const seed = previewSeedOf(g, env.app);
      if ('problem' in seed) out.push({ env, source: at, message: `previews of app ${env.app}: ${seed.problem}, so the Jobs' seed read cannot be judged` });
      const expected = expectedPreviewJobsRules(g, env.app);
      for (const p of own) {
        if (p.parseError) {
          out.push({ env, source: p.source, message: `preview Jobs' policy "${p.name}" cannot be read: ${p.parseError}` });
          continue;
        }
        const seen = new Set<string>();
        for (const r of p.rules) {
          const want = expected.get(r.path);
          const caps = [...r.capabilities].sort();
          if (!want || !same(caps, want) || seen.has(r.path)) {
            out.push({ env, source: p.source, message: `preview Jobs' policy "${p.name}" grants [${caps.join(', ')}] on "${r.path}"; it holds exactly ${[...expected].map(([k, v]) => `${k} [${v.join(', ')}]`).join('; ')}` });
          }
          seen.add(r.path);
        }
        for (const path of expected.keys()) if (!seen.has(path)) out.push({ env, source: p.source, message: `preview Jobs' policy "${p.name}" lacks "${path}": the Jobs would fail` });
      }
      const adminSecret = `${g.manifest.estate.vault.kvMount}/data/${n.adminKvSecret}`;
      const db = g.manifest.estate.vault.databaseMount;
      // Whoever writes a `<app>-pr-*` Vault role, or the preview connection's config, runs SQL as the preview admin.
      // A static role under the connection's allowed_roles glob names an existing login (the admin's own):
      // Vault rotates its password, runs its rotation_statements as the admin, and serves it at static-creds.
      const adminPaths = [
        `${db}/roles/${n.rolePattern}`, `${db}/static-roles/${n.rolePattern}`, `${db}/rotate-role/${n.rolePattern}`,
        `${db}/config/${n.connection}`, `${db}/rotate-root/${n.connection}`, `${db}/reset/${n.connection}`,
      ];
      const staticCreds = `${db}/static-creds/${n.rolePattern}`;
      // The CI identities of the tier gating the stack apply (and plan) it: they write (and read) these paths by design.
      const gate = stack.manifest?.gatingTier;
      const ci = new Set(gate ? [naming.applierRoleName(gate), naming.plannerRoleName(gate)] : []);
      for (const p of g.vaultPolicies) {
        if (own.includes(p) || p.parseError) continue;
        if (ci.has(p.name) && p.stack.manifest?.kind === 'tier-platform' && p.stack.manifest.tier === gate) continue;
        for (const r of p.rules) {
          if (r.capabilities.includes('deny')) continue;
          if (r.capabilities.some((c) => c === 'read' || c === 'sudo') && matches(r.path, adminSecret)) {
            out.push({ env, source: p.source, message: `Vault policy "${p.name}" of stack ${p.stack.name} reads "${adminSecret}", the preview admin's credential (CREATEDB CREATEROLE) via "${r.path}"` });
          }
          if (r.capabilities.some((c) => c === 'read' || c === 'sudo') && overlap(r.path, staticCreds)) {
            out.push({ env, source: p.source, message: `Vault policy "${p.name}" of stack ${p.stack.name} reads "${staticCreds}" via "${r.path}": a static role there hands out an existing login of app ${env.app}'s preview connection, the preview admin's own` });
          }
          const writes = r.capabilities.some((c) => ['create', 'update', 'patch', 'delete', 'sudo'].includes(c));
          const hit = writes ? adminPaths.find((q) => overlap(r.path, q)) : undefined;
          if (hit) {
            out.push({ env, source: p.source, message: `Vault policy "${p.name}" of stack ${p.stack.name} writes "${hit}" via "${r.path}": whatever it writes there runs as app ${env.app}'s preview admin` });
          }
        }
      }
      const auth = g.authRoles.filter((a) => a.kind === 'kubernetes' && a.name === n.jobs && a.stack === stack);
      if (auth.length !== 1) out.push({ env, source: at, message: `previews of app ${env.app}: stack ${stack.name} declares ${auth.length} Kubernetes auth roles "${n.jobs}"; exactly one is the preview Jobs'` });
      for (const a of auth) {
        const where = `preview Jobs' auth role "auth/${a.backend}/role/${a.name}"`;
        const checks: [string, boolean][] = [
          [`is on backend "${a.backend}", not "${g.manifest.estate.vault.kubernetesAuthPath}"`, a.backend === g.manifest.estate.vault.kubernetesAuthPath],
          [`binds service accounts ${JSON.stringify(a.serviceAccounts)}; exactly ["${n.jobs}"]`, same(a.serviceAccounts, [n.jobs])],
          [`binds namespaces ${JSON.stringify(a.namespaces)}; exactly ["${n.jobsNamespace}"], never a preview's`, same(a.namespaces, [n.jobsNamespace])],
          [`grants policies ${JSON.stringify(a.policies)}; exactly ["${n.jobs}"]`, same(a.policies, [n.jobs])],
          ['selects namespaces by label; it binds one namespace by name', a.namespaceSelector === undefined || a.namespaceSelector === null || a.namespaceSelector === ''],
        ];
        for (const k of ['token_ttl', 'token_max_ttl']) {
          const v = a.attributes?.[k];
          checks.push([`sets ${k} = ${JSON.stringify(v)}; at most ${MAX_TOKEN_TTL_SECONDS} seconds`, typeof v === 'number' && v > 0 && v <= MAX_TOKEN_TTL_SECONDS]);
        }
        for (const [message, ok] of checks) if (!ok) out.push({ env, source: a.source, message: `${where} ${message}` });
      }
    });
    return out;
  },
};
