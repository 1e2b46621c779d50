import { PgItem, postgresView, upwardServer } from '../../graph/postgres';
import type { EstateGraph, Source } from '../../graph/types';
import type { RuleFinding } from './rule';

/** The postgresql items of the given types, in dist order. */
export function itemsOf(g: EstateGraph, ...types: string[]): PgItem[] {
  const wanted = new Set(types);
  return postgresView(g).items.filter((i) => wanted.has(i.type));
}

/**
 * A finding about what the provider does with `item`. It names the resource and where its SQL
 * runs; it is unsuppressible when the provider's server holds a live-data or stricter tier, or
 * cannot be resolved.
 */
export function pgFinding(g: EstateGraph, item: PgItem, source: Source, message: string, fix?: string): RuleFinding {
  const upward = upwardServer(g, item.stack, item.target);
  const where = item.target.server ? `on server ${item.target.server}` : 'on an unresolved server';
  return {
    env: item.stack.env, source,
    message: `${item.address} (stack ${item.stack.name}, ${where}): ${message}`,
    ...(fix ? { fix } : {}),
    ...(upward ? { unsuppressible: upward } : {}),
  };
}
