import type { Manifest, ManifestAppEnvironment } from '../contract/manifest';
import { compareStrings } from '../contract/order';
import { cidrWithin } from '../contract/cidr';
import type { AttributeLookup } from './attention-context';
import { code, text } from './markdown-text';
import type { ReachItem, ResourceChange, TerraformChange } from './model';
import { tierRank } from './summary';
import { hostKey } from '../contract/hosts';
import { parsePolicy } from './vault-policy';
import { admitReach } from './reach-admits';

/**
 * Reach into a stricter tier: a change that gives a lower env (or a lower tier's platform stack)
 * a name of an env of a stricter tier — its database, group, Vault connection, path or policy, or
 * its server. Only what the change adds counts (after minus before), so an unchanged neighbour
 * never repeats. Messages are templates over the manifest's names: no estate is written here.
 */

/** How a reviewer calls each declared name of an app-environment. */
const NAME_KIND: Readonly<Record<string, string>> = {
  database: 'database', groupRole: 'group', vaultConnectionRole: 'Vault connection role', goldenDumpRole: 'golden dump role',
  vaultConnection: 'Vault connection', vaultRole: 'Vault role', vaultCredsPath: 'credentials path', kvPath: 'KV path',
  vaultPolicy: 'Vault policy', kubernetesAuthRole: 'auth role', namespace: 'namespace', serviceAccount: 'service account',
  host: 'host', argoApplication: 'Argo CD application',
};

interface NameOwner {
  readonly env: ManifestAppEnvironment;
  /** `group`, `database`, … or undefined for a name derived from the env's slug. */
  readonly kind?: string;
}

type Attrs = Readonly<Record<string, unknown>>;

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  return [];
}

function block(v: unknown): Attrs {
  const b = Array.isArray(v) ? v[0] : v;
  return b && typeof b === 'object' ? (b as Attrs) : {};
}

/**
 * The env a name belongs to: a declared name first — of the kinds the attribute expects (`prefer`),
 * since one env's database, namespace and Argo CD application share a name — then the longest
 * slug it is derived from.
 */
export function nameOwner(manifests: readonly Manifest[], value: string, prefer: readonly string[] = []): NameOwner | undefined {
  const envs = manifests.flatMap((m) => m.appEnvironments);
  for (const keys of [prefer, Object.keys(NAME_KIND)]) {
    for (const env of envs) {
      const key = keys.find((k) => (env.names as Readonly<Record<string, string>>)[k] === value);
      if (key) return { env, kind: NAME_KIND[key] };
    }
  }
  const derived = envs.filter((e) => value.startsWith(`${e.slug}-`) || value.startsWith(`${e.slug.replace(/-/g, '_')}_`) || value.split('/').includes(e.slug))
    .sort((a, b) => b.slug.length - a.slug.length || compareStrings(a.slug, b.slug));
  return derived[0] ? { env: derived[0] } : undefined;
}

interface Source {
  readonly who: string;
  readonly slug?: string;
  readonly tier: string;
  /** The Postgres server its provider reaches (an env's own server is shared by design). */
  readonly server?: string;
}

function sourceOf(manifests: readonly Manifest[], r: ResourceChange): Source | undefined {
  if (r.kind === 'kubernetes') {
    const env = manifests.flatMap((m) => m.appEnvironments).find((e) => e.names.namespace === r.namespace);
    return env ? { who: env.slug, slug: env.slug, tier: env.tier, server: env.server } : r.tier ? { who: r.namespace ?? r.name, tier: r.tier } : undefined;
  }
  const env = manifests.flatMap((m) => m.appEnvironments).find((e) => e.stack === r.stack);
  if (env) return { who: env.slug, slug: env.slug, tier: env.tier, server: env.server };
  const stack = manifests.flatMap((m) => m.stacks).find((s) => s.name === r.stack);
  return stack ? { who: stack.name, tier: stack.tier, server: stack.server } : undefined;
}

/** One reach-relevant reference of a resource: the name, and how the sentence around it reads. */
interface Reference {
  readonly name: string;
  /** Name kinds the attribute expects, and whether the name lives on a Postgres server (not Vault). */
  readonly prefer: readonly string[];
  readonly postgres: boolean;
  /** `{who}'s … would …` up to the target, e.g. "database would be owned by". */
  readonly phrase: string;
}

function sqlIdentifiers(statements: readonly string[]): string[] {
  return statements.flatMap((s) => [...s.matchAll(/"([^"]+)"/g)].map((m) => m[1])).filter((id) => !id.startsWith('{{'));
}

function urlDatabase(url: unknown): string[] {
  const m = typeof url === 'string' ? /^[a-z]+:\/\/(?:[^@/]*@)?[^:/?]+(?::\d+)?\/([^?]*)/.exec(url) : null;
  return m && m[1] ? [decodeURIComponent(m[1])] : [];
}

function references(r: TerraformChange, a: Attrs | undefined): Reference[] {
  if (!a) return [];
  const label = code(String(a.name ?? a.role_name ?? r.address));
  const out: Reference[] = [];
  const pgRoles = ['groupRole', 'vaultConnectionRole', 'goldenDumpRole'];
  const add = (names: string[], phrase: string, prefer: readonly string[] = [], postgres = false) => out.push(...names.map((name) => ({ name, phrase, prefer, postgres })));
  const noun = r.type === 'postgresql_database' ? 'database' : `${text(r.type.replace(/^postgresql_/, ''))} ${label}`;
  add(strings(a.owner), `${noun} would be owned by`, pgRoles, true);
  if (r.type === 'postgresql_grant' || r.type === 'postgresql_default_privileges') {
    const privileges = strings(a.privileges);
    if (privileges.length > 0) add(strings(a.database), `grant would give ${code(String(a.role ?? '?'))} ${privileges.map(text).join(', ')} on`, ['database'], true);
  }
  if (r.type === 'postgresql_grant_role') add(strings(a.grant_role), `role ${code(String(a.role ?? '?'))} would become a member${a.with_admin_option === true ? ' (with admin option)' : ''} of`, pgRoles, true);
  if (r.type === 'postgresql_role') {
    add(strings(a.roles), `role ${label} would become a member of`, pgRoles, true);
    add(strings(a.assume_role), `role ${label} would SET ROLE at login to`, pgRoles, true);
  }
  if (r.type === 'vault_database_secret_backend_role') {
    add(strings(a.db_name), `Vault role ${label} would mint credentials on`, ['vaultConnection']);
    add(sqlIdentifiers(strings(a.creation_statements)), `Vault role ${label} would create users naming`, pgRoles);
  }
  if (r.type === 'vault_database_secret_backend_connection') {
    add(strings(a.allowed_roles), `Vault connection ${label} would serve`, ['vaultRole']);
    const pg = block(a.postgresql);
    add(urlDatabase(pg.connection_url), `Vault connection ${label} would connect to`, ['database']);
    add(strings(pg.username), `Vault connection ${label} would log in as`, pgRoles);
  }
  if (r.type === 'vault_policy' && typeof a.policy === 'string') {
    for (const b of parsePolicy(a.policy)) if (b.capabilities.some((c) => c !== 'deny')) add([b.path], `Vault policy ${label} would grant [${b.capabilities.map(text).join(', ')}] on`);
  }
  if (/^vault_.*auth_backend_role$/.test(r.type)) add([...strings(a.token_policies), ...strings(a.policies)], `auth role ${label} would issue`, ['vaultPolicy']);
  return out;
}

function describeTarget(owner: NameOwner, name: string): string {
  return owner.kind ? `${text(owner.env.tier)}'s ${owner.kind} ${code(name)}` : `${text(owner.env.tier)}'s ${code(name)} (of ${code(owner.env.slug)})`;
}

function subjectOf(r: ResourceChange): string {
  return r.kind === 'terraform' ? `${r.stack}: ${r.address}` : `${r.objectKind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

/** A provider whose host moves to a server holding a stricter tier than the stack's own. */
function providerReach(manifests: readonly Manifest[], r: TerraformChange, src: Source): ReachItem[] {
  // Stack settings are not in the attribute lookup; the changed host is in the change itself.
  const hosts = r.address === 'provider' ? r.changes.filter((c) => /^postgresql(\[\d+\])?\.host$/.test(c.path)).flatMap((c) => strings(c.after)) : [];
  const out: ReachItem[] = [];
  for (const h of hosts) {
    const server = manifests.flatMap((m) => m.servers).find((s) => hostKey(s.host) === hostKey(h) && s.id !== src.server);
    const stricter = server?.tiers.filter((t) => tierRank(manifests, t) > tierRank(manifests, src.tier)) ?? [];
    if (!server || stricter.length === 0) continue;
    const top = [...stricter].sort((a, b) => tierRank(manifests, b) - tierRank(manifests, a))[0];
    out.push({
      subject: subjectOf(r), stack: r.stack, tier: src.tier, targetTier: top, name: server.id,
      message: `${code(src.who)}'s stack would apply to server ${code(server.id)}, which holds ${text(top)}'s databases`,
    });
  }
  return out;
}

/**
 * Every declared server address of head and base (manifests are [head, base]): `moved` is head's
 * cidr when the address is base's only. The tiers are the union of both sides'.
 */
function serverAddresses(manifests: readonly Manifest[]): { id: string; cidr: string; tiers: string[]; moved?: string }[] {
  const out = new Map<string, { id: string; cidr: string; tiers: string[]; moved?: string }>();
  const [head] = manifests;
  for (const m of manifests) {
    for (const s of m.servers) {
      if (!s.cidr) continue;
      const tiers = [...new Set(manifests.flatMap((x) => x.servers.filter((y) => y.id === s.id).flatMap((y) => y.tiers)))];
      const now = head.servers.find((y) => y.id === s.id)?.cidr;
      const k = `${s.id}\u0000${s.cidr}`;
      if (!out.has(k)) out.set(k, { id: s.id, cidr: s.cidr, tiers, ...(m !== head && now !== s.cidr ? { moved: now ?? '(none)' } : {}) });
    }
  }
  return [...out.values()];
}

/** A NetworkPolicy peer that covers a server holding a stricter tier than the namespace's. */
function networkReach(manifests: readonly Manifest[], r: ResourceChange, src: Source): ReachItem[] {
  if (r.kind !== 'kubernetes' || r.objectKind !== 'NetworkPolicy' || r.action === 'destroy') return [];
  const out: ReachItem[] = [];
  for (const c of r.changes) {
    if (!/\.ipBlock\.cidr$/.test(c.path) || typeof c.after !== 'string') continue;
    // A server's cidr is only declared: judged at the base's address too, so a PR that moves the
    // declaration out of a widened peer does not hide where the server still answers.
    for (const server of serverAddresses(manifests).filter((s) => s.id !== src.server)) {
      const stricter = server.tiers.filter((t) => tierRank(manifests, t) > tierRank(manifests, src.tier));
      if (stricter.length === 0 || !cidrWithin(server.cidr, c.after)) continue;
      const top = [...stricter].sort((a, b) => tierRank(manifests, b) - tierRank(manifests, a))[0];
      const moved = server.moved ? ` at ${code(server.cidr)}, its address before this change (now declared ${code(server.moved)}, which nothing ties to its host)` : '';
      out.push({
        subject: subjectOf(r), tier: src.tier, targetTier: top, name: server.id,
        message: `pods of ${code(src.who)} could reach server ${code(server.id)} (${code(c.after)})${moved}, which holds ${text(top)}'s databases`,
      });
    }
  }
  return out;
}

/**
 * A Service's externalIPs covering a stricter tier's server, or Vault or the API server (which serve
 * every tier): kube-proxy hands every pod's traffic for that address to this Service's pods.
 */
function serviceReach(manifests: readonly Manifest[], r: ResourceChange, src: Source): ReachItem[] {
  if (r.kind !== 'kubernetes' || r.objectKind !== 'Service') return [];
  const ips = r.changes.filter((c) => c.path === 'spec.externalIPs' || c.path.startsWith('spec.externalIPs[')).flatMap((c) => strings(c.after));
  const tiers = [...new Set(manifests.flatMap((m) => m.tiers.map((t) => t.name)))].sort((a, b) => tierRank(manifests, b) - tierRank(manifests, a));
  const network = manifests[0].estate.network ?? {};
  const shared = [['Vault', network.vault?.cidr], ['the Kubernetes API', network.kubernetesApi?.cidr]] as const;
  const out: ReachItem[] = [];
  for (const ip of ips) {
    const host = ip.includes('/') ? ip : ip.includes(':') ? `${ip}/128` : `${ip}/32`;
    const covered = (cidr: string) => cidrWithin(host, cidr);
    for (const server of serverAddresses(manifests).filter((x) => x.id !== src.server && covered(x.cidr))) {
      const stricter = server.tiers.filter((t) => tierRank(manifests, t) > tierRank(manifests, src.tier));
      if (stricter.length === 0) continue;
      const top = [...stricter].sort((a, b) => tierRank(manifests, b) - tierRank(manifests, a))[0];
      out.push({ subject: subjectOf(r), tier: src.tier, targetTier: top, name: server.id,
        message: `Service of ${code(src.who)} would take every pod's traffic to server ${code(server.id)} (externalIPs ${code(ip)}), which holds ${text(top)}'s databases` });
    }
    for (const [what, cidr] of shared) {
      if (cidr && covered(cidr) && tiers[0] && tiers[0] !== src.tier) {
        out.push({ subject: subjectOf(r), tier: src.tier, targetTier: tiers[0], name: what,
          message: `Service of ${code(src.who)} would take every pod's traffic to ${text(what)} (externalIPs ${code(ip)}), which every tier, ${text(tiers[0])} included, logs in to` });
      }
    }
  }
  return out;
}

export function reachItems(manifests: readonly Manifest[], resources: readonly ResourceChange[], lookup?: AttributeLookup): ReachItem[] {
  const out: ReachItem[] = [];
  for (const r of resources) {
    if (r.action === 'destroy') continue;
    const src = sourceOf(manifests, r);
    if (!src) continue;
    if (r.kind === 'kubernetes') {
      out.push(...networkReach(manifests, r, src), ...serviceReach(manifests, r, src));
      continue;
    }
    out.push(...providerReach(manifests, r, src));
    out.push(...admitReach(manifests, r, src.slug, subjectOf(r), lookup?.('base', r.stack, r.address), lookup?.('head', r.stack, r.address)));
    const before = new Set(references(r, lookup?.('base', r.stack, r.address)).map((x) => `${x.phrase}\u0000${x.name}`));
    for (const ref of references(r, lookup?.('head', r.stack, r.address))) {
      if (before.has(`${ref.phrase}\u0000${ref.name}`)) continue;
      const owner = nameOwner(manifests, ref.name, ref.prefer);
      if (!owner || owner.env.slug === src.slug || tierRank(manifests, owner.env.tier) <= tierRank(manifests, src.tier)) continue;
      // A Postgres name is per server: say so when the stack's server is not the one holding it.
      const elsewhere = ref.postgres && src.server && src.server !== owner.env.server
        ? ` (a same-named object on server ${code(src.server)}; ${text(owner.env.tier)}'s lives on ${code(owner.env.server)})` : '';
      out.push({
        subject: subjectOf(r), stack: r.stack, tier: src.tier, targetTier: owner.env.tier, targetEnv: owner.env.slug, name: ref.name,
        message: `${code(src.who)}'s ${ref.phrase} ${describeTarget(owner, ref.name)}${elsewhere}`,
      });
    }
  }
  const key = (x: ReachItem) => `${x.subject}\u0000${x.message}`;
  const unique = new Map(out.map((x) => [key(x), x]));
  return [...unique.values()].sort((a, b) => compareStrings(a.subject, b.subject) || compareStrings(a.message, b.message));
}
