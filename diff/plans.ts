import type { Manifest } from '../contract/manifest';
import type { PlanSummary as StackPlanSummary } from '../contract/plan-summary';
import { compareStrings } from '../contract/order';
import { code, text } from './markdown-text';
import type { ChangeSet } from './model';
import type { DetailSection, ReviewItem } from './review-model';
import { isProdTier } from './summary';

/**
 * The slot for plan summaries: per stack, the resource addresses `terraform show -json` says the
 * plan creates, updates, deletes or replaces. The diff says what the configuration changes; a plan
 * also sees drift and unapplied merges, so a plan that deletes prod data is severity 3 even when
 * the diff does not show it. CI fills the slot (`tierkit diff --plans <file>`) once plans exist.
 */
export type PlanSummary = Pick<StackPlanSummary, 'stack' | 'create' | 'update' | 'delete' | 'replace'>;

export interface PlanSummaries {
  readonly schemaVersion: 1;
  readonly plans: readonly PlanSummary[];
}

const ACTIONS = ['create', 'update', 'delete', 'replace'] as const;

/** Resource types whose deletion loses data (the database, a mount and every secret under it). */
const DATA_TYPES: Readonly<Record<string, string>> = {
  postgresql_database: 'database', postgresql_schema: 'schema', vault_mount: 'Vault mount', vault_kv_secret_v2: 'Vault KV secret',
};

export class PlanSummaryError extends Error {}

/** Strict: anything but the documented shape is refused, never half-read. */
export function parsePlanSummaries(json: string, source: string): PlanSummaries {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch (err) {
    throw new PlanSummaryError(`${source}: not JSON (${(err as Error).message})`);
  }
  const o = v as { schemaVersion?: unknown; plans?: unknown };
  if (!o || typeof o !== 'object' || o.schemaVersion !== 1 || !Array.isArray(o.plans)) {
    throw new PlanSummaryError(`${source}: expected { "schemaVersion": 1, "plans": [ … ] }`);
  }
  const plans = o.plans.map((p: any, i: number) => {
    const ok = p && typeof p.stack === 'string' && ACTIONS.every((a) => Array.isArray(p[a]) && p[a].every((x: unknown) => typeof x === 'string'));
    if (!ok) throw new PlanSummaryError(`${source}: plans[${i}] needs "stack" and string lists ${ACTIONS.map((a) => `"${a}"`).join(', ')}`);
    return { stack: p.stack, create: p.create, update: p.update, delete: p.delete, replace: p.replace } as PlanSummary;
  });
  return { schemaVersion: 1, plans: plans.sort((a, b) => compareStrings(a.stack, b.stack)) };
}

export function planItems(plans: PlanSummaries | undefined, set: ChangeSet, manifests: readonly Manifest[]): ReviewItem[] {
  if (!plans) return [];
  const out: ReviewItem[] = [];
  for (const p of plans.plans) {
    const stack = set.affectedStacks.find((s) => s.name === p.stack);
    const tier = stack?.tier ?? manifests.flatMap((m) => m.stacks).find((s) => s.name === p.stack)?.tier;
    for (const [verb, addresses] of [['deletes', p.delete], ['replaces (deletes, then creates)', p.replace]] as const) {
      for (const address of addresses) {
        const what = DATA_TYPES[address.split('.')[0]];
        if (!what || !isProdTier(manifests, tier)) continue;
        out.push({ severity: 3, kind: 'plan', subject: `${p.stack}: ${address}`, details: [], group: `the plan ${verb} prod ${what}`, name: `${p.stack}: ${address}`,
          line: `the plan of stack ${code(p.stack)} ${verb} prod ${what} ${code(address)}` });
      }
    }
    if (!stack && ACTIONS.some((a) => p[a].length > 0)) {
      out.push({ severity: 5, kind: 'plan', subject: `plan ${p.stack}`, details: ACTIONS.flatMap((a) => p[a].map((x) => `${a} ${x}`)),
        line: `the plan of stack ${code(p.stack)} changes resources although this diff changes nothing there (drift, or an unapplied merge)` });
    }
  }
  return out;
}

export function planSection(plans: PlanSummaries | undefined): DetailSection | undefined {
  if (!plans) return undefined;
  const rows = plans.plans.map((p) => `| ${text(p.stack)} | ${ACTIONS.map((a) => p[a].length).join(' | ')} |`);
  const full = ['| stack | create | update | delete | replace |', '|---|---|---|---|---|', ...rows,
    ...plans.plans.flatMap((p) => ACTIONS.flatMap((a) => p[a].map((x) => `- ${text(p.stack)}: ${a} ${code(x)}`)))];
  return { role: 'summary', title: `Plans (${plans.plans.length})`, full, short: full.slice(0, rows.length + 2) };
}
