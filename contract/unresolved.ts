import { PROVIDER_CREDENTIALS, PROVIDER_SOURCES, SECRET_INPUTS, isKnownType, providerOfType } from './known-types';
import type { TerraformResource, TerraformStackJson } from './read';
import { Unknown, isUnknown, unknownsIn } from './terraform/unknown';

/**
 * What a stack leaves unresolved where it can matter: the one definition that TK021 judges and
 * `diff` lists, so the two never disagree.
 */
export interface Unresolved {
  readonly stack: string;
  readonly file: string;
  /** Pointer to the value (`/resource/postgresql_role/r/roles/0`) or to the block for an unknown count/for_each. */
  readonly pointer: string;
  /** `roles.0 of resource postgresql_role.r`, `host of the postgresql provider`. */
  readonly what: string;
  readonly unknown: Unknown;
  readonly provider: string;
  readonly resource?: TerraformResource;
}

/** Meta-arguments Terraform does not read as values (their references are ordering, not reach). */
const META = new Set(['//', 'depends_on', 'lifecycle', 'provider']);

function relevant(pointer: string, allowed: ReadonlySet<string>): boolean {
  const segments = pointer.split('/').slice(1);
  return !META.has(segments[0]) && !segments.some((s) => allowed.has(s));
}

const dotted = (pointer: string) => pointer.slice(1).replace(/\//g, '.');

/**
 * `vault_policy.policy = "${data.vault_policy_document.<name>.hcl}"` naming a data block of the
 * same stack: the provider renders that document locally, without an API call (a pure function of
 * its literal `rule` blocks), and the policy graph renders it the same way — refusing what it
 * cannot render exactly (TK070). So it is judged, not unknown.
 */
const POLICY_DOCUMENT = /^\$\{data\.vault_policy_document\.([A-Za-z0-9_-]+)\.hcl\}$/;
function renderedPolicyDocument(stack: UnresolvedInput, r: TerraformResource, pointer: string, u: Unknown): boolean {
  if (r.type !== 'vault_policy' || r.kind === 'data' || pointer !== '/policy') return false;
  const m = POLICY_DOCUMENT.exec(u.expression);
  return m !== null && stack.json.data?.vault_policy_document?.[m[1]] !== undefined;
}

/** What `unresolvedIn` reads of a stack (TK021 passes the graph's stack with its blocks, uncopied). */
export type UnresolvedInput = Pick<TerraformStackJson, 'name' | 'file' | 'json' | 'resources' | 'dataSources' | 'providers'>;

function blockUnresolved(stack: UnresolvedInput, r: TerraformResource, out: Unresolved[]): void {
  const provider = providerOfType(r.type);
  if (!(provider in PROVIDER_SOURCES)) return; // refused whole (TK022)
  // Attributes are the block as written when it holds no template: nothing there can be unknown.
  if (r.hasUnknown === false) return;
  const label = `${r.kind === 'data' ? 'data source' : 'resource'} ${r.address}`;
  if (isUnknown(r.key)) out.push({ stack: stack.name, file: r.file, pointer: r.pointer, what: `the ${'count' in r.raw ? 'count' : 'for_each'} of ${label}`, unknown: r.key, provider, resource: r });
  for (const u of unknownsIn(r.attributes)) {
    if (renderedPolicyDocument(stack, r, u.pointer, u.unknown)) continue;
    if (relevant(u.pointer, SECRET_INPUTS)) out.push({ stack: stack.name, file: r.file, pointer: `${r.pointer}${u.pointer}`, what: `${dotted(u.pointer)} of ${label}`, unknown: u.unknown, provider, resource: r });
  }
}

/** Unknowns in arguments that can decide reach (all but secrets given at apply time), in modelled providers' blocks. */
export function unresolvedIn(stack: UnresolvedInput): Unresolved[] {
  const out: Unresolved[] = [];
  // Resources, then data sources: the order findings are reported in.
  for (const r of stack.resources) blockUnresolved(stack, r, out);
  for (const r of stack.dataSources) blockUnresolved(stack, r, out);
  for (const [name, blocks] of Object.entries(stack.providers)) {
    if (!(name in PROVIDER_SOURCES)) continue;
    blocks.forEach((b, i) => {
      const at = Array.isArray(stack.json.provider?.[name]) ? `/provider/${name}/${i}` : `/provider/${name}`;
      for (const u of unknownsIn(b)) {
        if (relevant(u.pointer, PROVIDER_CREDENTIALS)) out.push({ stack: stack.name, file: stack.file, pointer: `${at}${u.pointer}`, what: `${dotted(u.pointer)} of the ${name} provider`, unknown: u.unknown, provider: name });
      }
    });
  }
  return out;
}

/** Blocks tierkit does not model: every type outside the known registry, of any provider. */
export function unmodelledIn(stack: TerraformStackJson): TerraformResource[] {
  return [...stack.resources, ...stack.dataSources].filter((r) => !isKnownType(r.kind ?? 'resource', r.type));
}
