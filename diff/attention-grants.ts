import { PLANNER_GROUP_ROLE } from '../contract/planner';
import { formatValue } from './attributes';
import { Context, after, changeLines, foreign, ownNames, push, strings, touched } from './attention-context';
import type { TerraformChange } from './model';

/**
 * Privilege grants (`postgresql_grant`, `postgresql_default_privileges`): who may do what on which
 * database. A changed grant is always an item. An added one is an item when it grants something
 * (a revoke, `privileges = []`, grants nothing) to a role or on a database outside its own
 * app-environment — PUBLIC included — or `with_grant_option` (its grantee may pass it on to
 * anyone); in a stack that is no app-environment, always.
 */

export const GRANT_TYPES = ['postgresql_grant', 'postgresql_default_privileges'];
const GRANT_KEYS = ['role', 'database', 'schema', 'object_type', 'objects', 'columns', 'privileges', 'with_grant_option'];

type Attrs = Readonly<Record<string, unknown>>;

/** `CONNECT on database "<db>" to "<role>"`: the grant as a reviewer reads it. */
export function describeGrant(a: Attrs | undefined): string {
  if (!a) return '(none)';
  const privileges = strings(a.privileges);
  const what = privileges.length > 0 ? privileges.join(', ') : 'no privileges (revoke all)';
  const scope = [a.database, a.schema].filter((x) => typeof x === 'string').map((x) => formatValue(x)).join('.');
  const objects = strings(a.objects).length > 0 ? ` ${formatValue(strings(a.objects))}` : '';
  const columns = strings(a.columns).length > 0 ? ` columns ${formatValue(strings(a.columns))}` : '';
  const grantable = a.with_grant_option === true ? ' with grant option' : '';
  return `${what} on ${String(a.object_type ?? '?')} ${scope || '?'}${objects}${columns} to ${formatValue(a.role)}${grantable}`;
}

/** The added grant's attributes, rebuilt from its leaf changes when no lookup is at hand. */
function addedAttrs(r: TerraformChange): Attrs {
  const out: Record<string, unknown> = {};
  for (const k of GRANT_KEYS) {
    const v = after(r, k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export function grantAttention(ctx: Context, r: TerraformChange): void {
  if (!GRANT_TYPES.includes(r.type) || r.action === 'destroy') return;
  const now = ctx.attributes?.('head', r.stack, r.address) ?? addedAttrs(r);
  if (r.action === 'change') {
    if (!GRANT_KEYS.some((k) => touched(r, k))) return;
    const was = ctx.attributes?.('base', r.stack, r.address);
    const message = was ? `grant changed: ${describeGrant(was)} → ${describeGrant(now)}` : `grant changed: now ${describeGrant(now)}`;
    push(ctx, 'grant', r, message, changeLines(r, GRANT_KEYS));
    return;
  }
  const own = ownNames(ctx, r.stack);
  const grants = strings(now.privileges).length > 0;
  // The CI planners' read-only group holds database CONNECT by design (contract/planner.ts; TK002, TK097 judge it).
  const plannerConnect = now.object_type === 'database' && strings(now.privileges).join() === 'CONNECT';
  const outside = foreign([...strings(now.role).filter((x) => !(plannerConnect && x === PLANNER_GROUP_ROLE)), ...strings(now.database)], own);
  const grantable = now.with_grant_option === true;
  if (own && !(grants && (outside.length > 0 || grantable))) return;
  const why = [
    ...outside.map((name) => `outside its app-environment: ${formatValue(name)}`),
    ...(grantable ? ['with_grant_option: the grantee may pass the privileges on to any role'] : []),
    ...(own ? [] : ['in a stack that is no app-environment']),
  ];
  push(ctx, 'grant', r, `new grant: ${describeGrant(now)}`, why);
}
