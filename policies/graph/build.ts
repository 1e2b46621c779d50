import type { DistContents, ManifestServer, TerraformResource } from '../../contract';
import { serverAt } from '../../contract/hosts';
import { parseVaultPolicy } from './vault-policy';
import { policyTextOf } from './vault-policy-document';
import {
  AuthRole, Database, DatabaseGrant, DynamicRole, Env, EnvIndex, EstateGraph, K8sObject, KvSecret, Membership, VaultQuota,
  PostgresProvider, Role, Source, Stack, Tristate, VaultConnection, VaultPolicy,
} from './types';

/** Terraform (go-cty) converts the strings "true"/"1" and "false"/"0" to a bool attribute's value. */
const TRUE_STRINGS = new Set(['true', '1']);
const FALSE_STRINGS = new Set(['false', '0']);

function bool(v: unknown, fallback: boolean): boolean {
  return typeof v === 'boolean' ? v : typeof v === 'string' && TRUE_STRINGS.has(v) ? true : typeof v === 'string' && FALSE_STRINGS.has(v) ? false : fallback;
}

/** A boolean attribute: absent or null = `fallback`; anything but a boolean or "true"/"1"/"false"/"0" = 'unknown'. */
function tristate(v: unknown, fallback: boolean): Tristate {
  if (v === undefined || v === null) return fallback;
  return typeof v === 'boolean' ? v : typeof v === 'string' && TRUE_STRINGS.has(v) ? true : typeof v === 'string' && FALSE_STRINGS.has(v) ? false : 'unknown';
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

// Terraform converts a number or bool to a string where the schema wants one (`10` binds namespace
// "10"): read them as Terraform does, never drop them (an Unknown stays out: TK021 reports it).
function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  return (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean' ? String(v) : undefined;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.map(str).filter((x): x is string => x !== undefined) : [];
}

function buildIndex(envs: readonly Env[]): EnvIndex {
  const m = <K extends string>(key: (e: Env) => K | K[]) => {
    const out = new Map<string, Env>();
    for (const e of envs) for (const k of ([] as K[]).concat(key(e))) out.set(k, e);
    return out;
  };
  return {
    bySlug: m((e) => e.slug),
    byStack: m((e) => e.stack),
    byRole: m((e) => [e.names.groupRole, e.names.vaultConnectionRole, e.names.goldenDumpRole]),
    byDatabase: m((e) => e.names.database),
    byVaultConnection: m((e) => e.names.vaultConnection),
    byVaultRole: m((e) => e.names.vaultRole),
    byVaultPolicy: m((e) => e.names.vaultPolicy),
    byNamespace: m((e) => e.names.namespace),
  };
}

function serverOfHost(servers: readonly ManifestServer[], host: string | undefined, port: unknown): string | undefined {
  if (!host) return undefined;
  const p = num(port) ?? 5432;
  return serverAt(servers, host, p)?.id;
}

/**
 * Build the estate graph from what `readDist` returned. Pure and linear in the size of the dist:
 * every lookup the rules need is a map, never a scan per node.
 */
export function buildGraph(dist: DistContents): EstateGraph {
  const manifest = dist.manifest;
  const envs = [...(manifest.appEnvironments ?? [])];
  const index = buildIndex(envs);
  const manifestStacks = new Map((manifest.stacks ?? []).map((s) => [s.name, s]));
  const tiers = new Map((manifest.tiers ?? []).map((t) => [t.name, t]));
  const servers = new Map((manifest.servers ?? []).map((s) => [s.id, s]));

  const stacks: Stack[] = [];
  const roles: Role[] = [];
  const memberships: Membership[] = [];
  const databases: Database[] = [];
  const databaseGrants: DatabaseGrant[] = [];
  const vaultConnections: VaultConnection[] = [];
  const dynamicRoles: DynamicRole[] = [];
  const kvSecrets: KvSecret[] = [];
  const vaultPolicies: VaultPolicy[] = [];
  const authRoles: AuthRole[] = [];
  const vaultQuotas: VaultQuota[] = [];
  const resources: TerraformResource[] = [];
  const dataSources: TerraformResource[] = [];

  for (const s of dist.stacks) {
    const ms = s.listed ? manifestStacks.get(s.name) : undefined;
    const env = s.listed ? index.byStack.get(s.name) : undefined;
    // Evaluated provider blocks (a host from a variable default is resolved; an unknown one is no host).
    const providerList = ([] as Record<string, unknown>[]).concat(s.providers?.postgresql ?? s.json.provider?.postgresql ?? []);
    const postgresProviders: PostgresProvider[] = providerList.map((p, i) => ({
      host: str(p.host),
      superuser: bool(p.superuser, true),
      source: { file: s.file, pointer: Array.isArray(s.json.provider?.postgresql) ? `/provider/postgresql/${i}` : '/provider/postgresql',
        constructPath: env?.constructPath ?? ms?.constructPath },
    }));
    const server = ms?.server ?? serverOfHost(manifest.servers ?? [], postgresProviders[0]?.host,
      providerList[0]?.port);
    const stack: Stack = {
      name: s.name, file: s.file, listed: s.listed, manifest: ms, env, server,
      humanGate: ms?.humanGate === true, applyGate: ms?.applyGate, postgresProviders, json: s.json, providers: s.providers ?? {},
    };
    stacks.push(stack);
    dataSources.push(...(s.dataSources ?? []));

    for (const r of s.resources) {
      resources.push(r);
      const a = r.attributes;
      const source: Source = { file: r.file, pointer: r.pointer, resourcePath: r.constructPath, constructPath: env?.constructPath ?? ms?.constructPath };
      switch (r.type) {
        case 'postgresql_role': {
          const name = str(a.name) ?? r.name;
          roles.push({
            name, server, stack, source, resource: r,
            attributes: {
              login: tristate(a.login, false), superuser: tristate(a.superuser, false), createDatabase: tristate(a.create_database, false),
              createRole: tristate(a.create_role, false), replication: tristate(a.replication, false),
              bypassRowLevelSecurity: tristate(a.bypass_row_level_security, false),
            },
          });
          for (const g of strings(a.roles)) memberships.push({ member: name, role: g, admin: false, via: 'roles', source, stack });
          const assumed = str(a.assume_role);
          if (assumed) memberships.push({ member: name, role: assumed, admin: false, via: 'assume_role', source, stack });
          break;
        }
        case 'postgresql_grant_role': {
          const member = str(a.role);
          const granted = str(a.grant_role);
          if (member && granted) {
            memberships.push({ member, role: granted, admin: bool(a.with_admin_option, false), via: 'grant_role', source, stack });
          }
          break;
        }
        case 'postgresql_database':
          databases.push({ name: str(a.name) ?? r.name, server, owner: str(a.owner), stack, source });
          break;
        case 'postgresql_grant': {
          const database = str(a.database);
          if (database) {
            databaseGrants.push({
              database, server, role: str(a.role) ?? '', objectType: str(a.object_type) ?? '',
              privileges: strings(a.privileges).map((p) => p.toUpperCase()), stack, source,
            });
          }
          break;
        }
        case 'vault_database_secret_backend_connection': {
          const pg = ([] as Record<string, unknown>[]).concat((a.postgresql as Record<string, unknown>) ?? [])[0] ?? {};
          vaultConnections.push({
            backend: str(a.backend) ?? '', name: str(a.name) ?? r.name,
            allowedRoles: Array.isArray(a.allowed_roles) ? strings(a.allowed_roles) : undefined,
            username: str(pg.username), connectionUrl: str(pg.connection_url), rootRotationStatements: a.root_rotation_statements, tlsCa: pg.tls_ca, stack, source, resource: r,
          });
          break;
        }
        case 'vault_database_secrets_mount': {
          // The combined resource: one mount (`path`) with its connections as plugin blocks.
          const blocks = a.postgresql;
          ([] as Record<string, unknown>[]).concat((blocks as Record<string, unknown>) ?? []).forEach((pg, i) => {
            vaultConnections.push({
              backend: str(a.path) ?? '', name: str(pg.name) ?? r.name,
              allowedRoles: Array.isArray(pg.allowed_roles) ? strings(pg.allowed_roles) : undefined,
              username: str(pg.username), connectionUrl: str(pg.connection_url), rootRotationStatements: pg.root_rotation_statements, tlsCa: pg.tls_ca, stack, resource: r,
              source: { ...source, pointer: Array.isArray(blocks) ? `${r.pointer}/postgresql/${i}` : `${r.pointer}/postgresql` },
            });
          });
          break;
        }
        case 'vault_database_secret_backend_role':
          dynamicRoles.push({
            backend: str(a.backend) ?? '', name: str(a.name) ?? r.name, dbName: str(a.db_name),
            creationStatements: strings(a.creation_statements), revocationStatements: strings(a.revocation_statements),
            renewStatements: a.renew_statements, rollbackStatements: a.rollback_statements,
            defaultTtl: num(a.default_ttl), maxTtl: num(a.max_ttl), stack, source,
          });
          break;
        case 'vault_kv_secret_v2': {
          let data: Record<string, unknown> | undefined;
          try {
            const parsed = typeof a.data_json === 'string' ? JSON.parse(a.data_json) : undefined;
            data = parsed && typeof parsed === 'object' ? parsed : undefined;
          } catch {
            data = undefined;
          }
          kvSecrets.push({ mount: str(a.mount) ?? '', name: str(a.name) ?? r.name, data, stack, source });
          break;
        }
        case 'vault_policy': {
          // A policy_document reference is rendered as the provider renders it; then one parser reads all text.
          const doc = policyTextOf(a.policy, s.json);
          const parsed = doc.error === undefined ? parseVaultPolicy(doc.text) : { rules: [], error: doc.error };
          vaultPolicies.push({ name: str(a.name) ?? r.name, rules: parsed.rules, parseError: parsed.error, ...(doc.via ? { via: doc.via } : {}), stack, source });
          break;
        }
        case 'vault_kubernetes_auth_backend_role':
          authRoles.push({
            kind: 'kubernetes', backend: str(a.backend) ?? 'kubernetes', name: str(a.role_name) ?? r.name,
            policies: [...strings(a.token_policies), ...strings(a.policies)],
            serviceAccounts: strings(a.bound_service_account_names), namespaces: strings(a.bound_service_account_namespaces),
            ...(a.bound_service_account_namespace_selector !== undefined && a.bound_service_account_namespace_selector !== null && a.bound_service_account_namespace_selector !== ''
              ? { namespaceSelector: a.bound_service_account_namespace_selector } : {}),
            boundClaims: {}, attributes: a, stack, source,
          });
          break;
        case 'vault_jwt_auth_backend_role':
          authRoles.push({
            kind: 'jwt', backend: str(a.backend) ?? 'jwt', name: str(a.role_name) ?? r.name,
            policies: [...strings(a.token_policies), ...strings(a.policies)], serviceAccounts: [], namespaces: [],
            boundClaims: (a.bound_claims as Record<string, unknown>) ?? {}, attributes: a, stack, source,
          });
          break;
        case 'vault_quota_lease_count':
        case 'vault_quota_rate_limit':
          vaultQuotas.push({
            kind: r.type === 'vault_quota_lease_count' ? 'lease-count' : 'rate-limit', name: str(a.name) ?? r.name, path: a.path,
            limit: r.type === 'vault_quota_lease_count' ? a.max_leases : a.rate, attributes: a, stack, source,
          });
          break;
        default:
          break;
      }
    }
  }

  const kubernetes: K8sObject[] = dist.kubernetes.map((k) => {
    const o = k.object ?? {};
    const kind = String(o.kind ?? '');
    const name = String(o.metadata?.name ?? '');
    const namespace = kind === 'Namespace' ? name : (o.metadata?.namespace as string | undefined);
    const env = namespace ? index.byNamespace.get(namespace) : undefined;
    return {
      kind, name, namespace, object: o, listed: k.listed,
      source: { file: k.file, pointer: `/${k.index}`, resourcePath: `${kind}/${namespace ? `${namespace}/` : ''}${name}`, constructPath: k.listed ? env?.constructPath : undefined },
    };
  });

  return {
    dir: dist.dir, manifest, tiers, servers, envs, index, stacks, resources, roles, memberships, databases,
    databaseGrants, vaultConnections, dynamicRoles, kvSecrets, vaultPolicies, authRoles, vaultQuotas, kubernetes,
    rawKubernetes: dist.kubernetes, dataSources, problems: dist.problems ?? [], ...(dist.stateAccess ? { stateAccess: dist.stateAccess } : {}), githubRulesets: dist.githubRulesets ?? [], ...(dist.dataPromote ? { dataPromote: dist.dataPromote } : {}), ...(dist.review ? { review: dist.review } : {}),
  };
}
