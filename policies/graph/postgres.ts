import { POSTGRESQL_DATA_TYPES, POSTGRESQL_TYPES } from '../../contract/known-types';
import { isUnknown } from '../../contract/terraform/unknown';
import { stackResources, type TerraformResource } from '../dist/read';
import { serverAt } from '../../contract/hosts';
import type { EstateGraph, Source, Stack } from './types';
import { isLiveTier } from '../../contract/tiers';
import { PLANNER_GROUP_ROLE } from '../../contract/planner';

/**
 * The PostgreSQL provider as tierkit models it: every resource and data source type of the pinned
 * cyrilgdn/postgresql v1.26.0 (`postgresql/provider.go` `Provider()`: 15 resources, 3 data
 * sources; ../shared/notes/provider-resources.md §1.1), each judged by a TK03x rule. A type outside
 * these lists is unmodelled (TK030/TK031). The lists are the contract's registry of known types
 * (contract/known-types.ts): one list for check, diff and the unresolved-expression rule.
 */
export const MODELLED_POSTGRES_TYPES = { resources: POSTGRESQL_TYPES, dataSources: POSTGRESQL_DATA_TYPES } as const;

const MODELLED_RESOURCES = new Set<string>(MODELLED_POSTGRES_TYPES.resources);
const MODELLED_DATA = new Set<string>(MODELLED_POSTGRES_TYPES.dataSources);

/** Where a resource's SQL runs: the server its provider block logs in to, or why that is unknown. */
export interface PgTarget {
  /** Manifest server id; undefined when it cannot be resolved (then: assume the strictest). */
  readonly server?: string;
  readonly unresolved?: string;
  readonly provider?: Readonly<Record<string, unknown>>;
  readonly providerPointer?: string;
}

export interface PgItem {
  readonly kind: 'resource' | 'data';
  readonly type: string;
  readonly name: string;
  /** `<type>.<name>`, or `data.<type>.<name>`. */
  readonly address: string;
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly modelled: boolean;
  readonly stack: Stack;
  readonly source: Source;
  readonly target: PgTarget;
  readonly resource: TerraformResource;
}

/** A `module` call in a stack with a postgresql provider: the module inherits it, its resources are unseen. */
export interface PgModule {
  readonly name: string;
  /** A module call, or an `import` block (adopts an existing object into the stack's state). @default 'module' */
  readonly kind?: 'module' | 'import';
  readonly stack: Stack;
  readonly source: Source;
  readonly target: PgTarget;
}

export interface PostgresView {
  /** Every `postgresql_*` resource and data source of every stack, in dist order. */
  readonly items: readonly PgItem[];
  readonly modules: readonly PgModule[];
  /** Role names declared per server (postgresql_role names, the server's admin role). */
  readonly declaredRoles: ReadonlyMap<string, ReadonlySet<string>>;
}

/** A value tierkit cannot read as a literal: a Terraform interpolation or directive left in it. */
export function isUnresolved(v: unknown): boolean {
  // The evaluator's Unknown (contract/terraform/unknown.ts); `${`/`%{` left in a string stays unknown too.
  if (isUnknown(v)) return true;
  if (typeof v === 'string') return v.includes('${') || v.includes('%{');
  if (Array.isArray(v)) return v.some(isUnresolved);
  if (v && typeof v === 'object') return Object.values(v).some(isUnresolved);
  return false;
}

function providerBlocks(stack: Stack): { block: Record<string, unknown>; pointer: string }[] {
  const raw = stack.json.provider?.postgresql;
  if (raw === undefined) return [];
  return Array.isArray(raw)
    ? raw.map((block, i) => ({ block: block as Record<string, unknown>, pointer: `/provider/postgresql/${i}` }))
    : [{ block: raw as Record<string, unknown>, pointer: '/provider/postgresql' }];
}

/**
 * The server a resource's provider block logs in to. Terraform picks the block by the resource's
 * `provider` ("postgresql.<alias>", else the block without alias); host and port must be literals
 * naming a manifest server — an address tierkit does not know could be any server, prod included.
 */
function targetOf(g: EstateGraph, stack: Stack, attributes: Readonly<Record<string, unknown>>): PgTarget {
  const wanted = attributes.provider;
  if (wanted !== undefined && (typeof wanted !== 'string' || isUnresolved(wanted))) {
    return { unresolved: `its provider ${JSON.stringify(wanted)} is not a literal provider reference` };
  }
  const alias = typeof wanted === 'string' ? /^postgresql(?:\.(.+))?$/.exec(wanted) : null;
  if (typeof wanted === 'string' && !alias) return { unresolved: `its provider "${wanted}" is not a postgresql provider` };
  const name = alias?.[1];
  const found = providerBlocks(stack).find(({ block }) => (name === undefined ? block.alias === undefined : block.alias === name));
  if (!found) {
    return { unresolved: `the stack has no postgresql provider block${name ? ` with alias "${name}"` : ' without alias'}: Terraform then connects with PGHOST/PGUSER from the applier's environment` };
  }
  const { block, pointer } = found;
  const host = block.host;
  const port = block.port ?? 5432;
  if (typeof host !== 'string' || isUnresolved(host) || isUnresolved(port)) {
    return { unresolved: `its provider host ${JSON.stringify(host ?? null)} is not a literal host (unset means PGHOST)`, provider: block, providerPointer: pointer };
  }
  const p = typeof port === 'number' ? port : /^\d+$/.test(String(port)) ? Number(port) : NaN;
  const server = serverAt(g.servers.values(), host, p);
  if (!server) {
    return { unresolved: `its provider host ${host}:${String(port)} is no server of the manifest (an alias or address of any server, prod included)`, provider: block, providerPointer: pointer };
  }
  return { server: server.id, provider: block, providerPointer: pointer };
}

/**
 * Names no estate role may take: declaring `postgresql_role { name = "postgres" }` must not make
 * membership in the server's superuser "declared" (its CREATE ROLE fails while Terraform applies
 * the grant beside it). PostgreSQL reserves pg_*; the rest are the usual superuser logins and
 * cloud admin roles. PUBLIC, NONE, CURRENT_USER, SESSION_USER and CURRENT_ROLE, in any case: the
 * provider quotes them into ordinary roles a reader takes for the keywords (`FROM "PUBLIC"`).
 */
export const RESERVED_ROLE = /^(pg_|postgres$|rdsadmin$|rds_|cloudsql|azure_|alloydb|(public|none|current_user|session_user|current_role)$)/i;

const cache = new WeakMap<EstateGraph, PostgresView>();

/** The PostgreSQL provider's resources of the estate, with their targets (computed once per graph). */
export function postgresView(g: EstateGraph): PostgresView {
  const hit = cache.get(g);
  if (hit) return hit;
  const items: PgItem[] = [];
  const modules: PgModule[] = [];
  const resourcesByStack = new Map<string, TerraformResource[]>();
  for (const r of g.resources) {
    const key = `${r.file}`;
    const list = resourcesByStack.get(key);
    if (list) list.push(r);
    else resourcesByStack.set(key, [r]);
  }
  for (const stack of g.stacks) {
    const constructPath = stack.env?.constructPath ?? stack.manifest?.constructPath;
    const add = (kind: PgItem['kind'], r: TerraformResource, pointer: string) => {
      if (!r.type.startsWith('postgresql_')) return;
      const source: Source = { file: r.file, pointer, resourcePath: r.constructPath, constructPath };
      items.push({
        kind, type: r.type, name: r.name, address: kind === 'data' ? `data.${r.address}` : r.address, attributes: r.attributes,
        modelled: (kind === 'data' ? MODELLED_DATA : MODELLED_RESOURCES).has(r.type),
        stack, source, target: targetOf(g, stack, r.attributes), resource: r,
      });
    };
    for (const r of resourcesByStack.get(stack.file) ?? []) add('resource', r, r.pointer);
    // A module gets the stack's default providers without being passed them (Terraform's implicit
    // inheritance): whatever postgresql resources it holds run with this admin login.
    const calls = stack.json.module;
    if (calls && typeof calls === 'object' && providerBlocks(stack).length > 0) {
      for (const name of Object.keys(calls)) {
        modules.push({ name, stack, target: targetOf(g, stack, {}),
          source: { file: stack.file, pointer: `/module/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, constructPath } });
      }
    }
    // An `import` block adopts an object that already exists (prod's database or connection role,
    // on a server the stack reaches) into this stack's state: its next plans alter it, and its
    // teardown drops it. tierkit writes none; which object it adopts is not judged from dist/.
    const imports = stack.json.import;
    if (imports !== undefined && providerBlocks(stack).length > 0) {
      ([] as unknown[]).concat(imports).forEach((imp, i) => {
        const to = (imp as { to?: unknown } | null)?.to;
        modules.push({ name: `import ${typeof to === 'string' ? to : '(unreadable)'}`, stack, target: targetOf(g, stack, {}), kind: 'import',
          source: { file: stack.file, pointer: Array.isArray(imports) ? `/import/${i}` : '/import', constructPath } });
      });
    }
    // Data sources run at plan time (notes §1.3: the three PG ones are SQL-injectable then).
    const data = stack.json.data;
    if (data && typeof data === 'object') {
      for (const r of stackResources(stack.name, stack.file, { resource: data })) add('data', r, `/data${r.pointer.slice('/resource'.length)}`);
    }
  }
  const declaredRoles = new Map<string, Set<string>>();
  const declare = (server: string, name: string) => {
    const set = declaredRoles.get(server) ?? new Set<string>();
    set.add(name);
    declaredRoles.set(server, set);
  };
  for (const s of g.servers.values()) if (s.adminRole) declare(s.id, s.adminRole);
  // The platform's role holding SET on temp_file_limit (TK043): declared by the estate, made outside Terraform.
  // Never a reserved or predefined name: a manifest naming pg_read_all_data here would otherwise declare it.
  for (const s of g.servers.values()) if (s.tempFileLimitRole && !RESERVED_ROLE.test(s.tempFileLimitRole)) declare(s.id, s.tempFileLimitRole);
  // The CI planners' read-only group, made by each server's bootstrap (contract/planner.ts).
  for (const s of g.servers.values()) declare(s.id, PLANNER_GROUP_ROLE);
  for (const it of items) {
    const name = it.attributes.name;
    if (it.type === 'postgresql_role' && it.kind === 'resource' && it.target.server && typeof name === 'string' && !isUnresolved(name) && !RESERVED_ROLE.test(name)) {
      declare(it.target.server, name);
    }
  }
  const view = { items, modules, declaredRoles };
  cache.set(g, view);
  return view;
}

/**
 * Why a finding about something the provider does there is never suppressible: the provider's
 * server holds a live-data tier or a tier stricter than the stack's own, or cannot be resolved
 * (fail closed: it may be the prod server). Undefined when a reasoned suppression may accept it.
 */
export function upwardServer(g: EstateGraph, stack: Stack, target: PgTarget): string | undefined {
  if (!target.server) return `the provider's server cannot be resolved (${target.unresolved ?? 'unknown'}), so it may hold prod`;
  const server = g.servers.get(target.server);
  const own = stack.env?.tier ?? stack.manifest?.tier;
  const ownRank = own === undefined ? -1 : g.tiers.get(own)?.rank ?? -1;
  for (const t of server?.tiers ?? []) {
    const tier = g.tiers.get(t);
    if (isLiveTier(g.tiers, t)) return `its provider logs in to server ${target.server}, which holds the live-data tier ${t}`;
    if (tier && tier.rank > ownRank) return `its provider logs in to server ${target.server}, which holds tier ${t}, stricter than ${own === undefined ? 'a stack of no tier' : `tier ${own}`}`;
  }
  return undefined;
}

/** The env a database name belongs to on `server`, when it is the stack's own env's database. */
export function isOwnDatabase(stack: Stack, name: unknown): boolean {
  return typeof name === 'string' && !isUnresolved(name) && stack.env !== undefined && stack.env.names.database === name;
}

/** A role of the stack's own env: its derived names, or a role the stack itself declares under no env's name. */
export function isOwnRole(g: EstateGraph, stack: Stack, name: unknown): boolean {
  if (typeof name !== 'string' || isUnresolved(name) || stack.env === undefined) return false;
  const home = g.index.byRole.get(name);
  if (home) return home === stack.env;
  return g.roles.some((r) => r.stack === stack && r.name === name);
}

/** JSON pointer of an attribute of an item. */
export function at(item: PgItem, ...path: (string | number)[]): Source {
  return { ...item.source, pointer: `${item.source.pointer}/${path.map((p) => String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}` };
}

export function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? 'unset' : s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** A nested block (cdktf writes one block as an object, several as an array). */
export function blocks(v: unknown): Record<string, unknown>[] {
  if (Array.isArray(v)) return v.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object');
  return v && typeof v === 'object' ? [v as Record<string, unknown>] : [];
}

/** True, or unknown (an expression): what cannot be proven false is not false. */
export function maybeTrue(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 'false') return false;
  return true;
}
