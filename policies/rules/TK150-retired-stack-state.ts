import { stateLockKey, stateRoleName } from '../../contract/ci-names';
import type { ManifestRetiredStack } from '../../contract/manifest';
import { retiredStateKey } from '../../contract/state-access';
import { isReason, MIN_REASON_LENGTH } from '../../contract/tiers';
import { EstateGraph } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';

const isRecord = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const rule: Rule = {
  id: 'TK150',
  name: 'retired-stack-state',
  severity: 'error',
  title: "A removed stack's state stays reachable only by its own tier's applier until its destroy ran",
  explanation:
    'A pull request that removes an env or app removes its stack, but its reviewed destroy plan is applied after the merge, '
    + 'with the state identities derived from main — which no longer list the stack. The estate\'s `retiredStacks` '
    + '(manifest.json estate.retiredStacks) keep such a key for exactly the identity that applies the destroy: the applier '
    + 'of the tier that gated the stack, or platform-admin for a platform stack. An entry naming a tier laxer than the '
    + 'stack\'s server\'s gating tier hands a lower tier\'s applier state written under a stricter gate (state holds every '
    + 'attribute of every resource, and writing it decides what the next apply changes); an entry naming a stack the estate '
    + 'still has gives its key two owners; a tier applied by hand has no applier to keep it. The rule reads the list and '
    + 'dist/ci/state-access.json as written: a retired key granted to a planner or to any identity but its own is a '
    + 'finding, and what it cannot read is a finding.',
  fix: 'Declare the entry with the Estate prop `retiredStacks: [{ stack, tier, server, reason }]` naming the tier that gated the '
    + 'stack (its server\'s), run `tierkit synth`, never edit dist/ by hand; drop the entry once the destroy ran.',
  suppressible: false,
  evaluate(g: EstateGraph) {
    const m = g.manifest;
    const declared: unknown = (m.estate as Record<string, unknown>).retiredStacks;
    if (declared === undefined) return [];
    const at = (pointer: string) => ({ file: 'manifest.json', pointer });
    if (!Array.isArray(declared)) return [{ source: at('/estate/retiredStacks'), message: 'manifest.json estate.retiredStacks is not a list: which removed stacks keep their state key cannot be judged' }];
    const out: RuleFinding[] = [];
    const tiers = new Map(m.tiers.map((t) => [t.name, t]));
    const live = new Set(m.stacks.map((s) => s.name));
    const seen = new Set<string>();
    // stack → the one identity that may reach its key, and the entry forming that key (a live stack's key is TK093's to judge).
    const owner = new Map<string, { identity: string; entry: ManifestRetiredStack }>();
    declared.forEach((r: unknown, i: number) => {
      const p = `/estate/retiredStacks/${i}`;
      if (!isRecord(r) || typeof r.stack !== 'string' || typeof r.gatingTier !== 'string') {
        out.push({ source: at(p), message: `retired stack ${i} is not an object with a stack and a gatingTier: it cannot be judged` });
        return;
      }
      const label = `retired stack ${r.stack}`;
      const problems: string[] = [];
      if (!DNS_LABEL.test(r.stack)) problems.push('its name is no stack name');
      if (live.has(r.stack)) problems.push('the estate still declares a stack of that name, whose key is its own tier\'s');
      if (seen.has(r.stack)) problems.push('it is retired twice');
      seen.add(r.stack);
      if (!isReason(r.reason)) problems.push(`it has no reason of at least ${MIN_REASON_LENGTH} characters`);
      const tier = tiers.get(r.gatingTier);
      if (!tier) problems.push(`its tier ${r.gatingTier} is not one of the estate's`);
      else if (tier.applyGate.name === 'none') problems.push(`its tier ${r.gatingTier} is applied by hand: no CI applier may keep the key`);
      if (r.kind === 'app-environment') {
        const server = typeof r.server === 'string' ? m.servers.find((s) => s.id === r.server) : undefined;
        const gating = server?.gatingTier === undefined ? undefined : tiers.get(server.gatingTier);
        if (!server) problems.push(`its server ${JSON.stringify(r.server)} is not declared: the tier it needs cannot be bounded`);
        else if (!gating) problems.push(`its server ${server.id} has no gating tier (no env left on it): the tier it needs cannot be bounded; destroy it by hand`);
        else if (tier && tier.rank < gating.rank) {
          problems.push(`tier ${tier.name} is laxer than ${gating.name}, which gates its server ${server.id}: ${tier.name}'s applier would hold the state of a stack on ${gating.name}'s server`);
        }
        if (tier && !live.has(r.stack)) owner.set(r.stack, { identity: stateRoleName({ role: 'apply', tier: tier.name }), entry: r as unknown as ManifestRetiredStack });
      } else if (r.kind === 'platform') {
        if (r.server !== undefined) problems.push('a platform stack names no server');
        if (!live.has(r.stack)) owner.set(r.stack, { identity: stateRoleName('platform-admin'), entry: r as unknown as ManifestRetiredStack });
      } else {
        problems.push(`its kind ${JSON.stringify(r.kind)} is neither app-environment nor platform`);
      }
      if (problems.length > 0) {
        out.push({ source: at(p), message: `${label} (tier ${r.gatingTier}): ${problems.join('; ')}` });
      }
    });
    out.push(...grantedElsewhere(g, owner));
    return out;
  },
};

/** Retired keys (and locks) in state-access.json granted to an identity other than their owner — planners included. */
function grantedElsewhere(g: EstateGraph, owner: Map<string, { identity: string; entry: ManifestRetiredStack }>): RuleFinding[] {
  const backend = g.manifest.estate.backend;
  if (owner.size === 0 || !backend || backend.type !== 's3' || !g.stateAccess) return []; // TK093 judges a missing or foreign file
  const file = g.stateAccess.file;
  const doc = g.stateAccess.document;
  if (g.stateAccess.error !== undefined || !isRecord(doc) || !Array.isArray(doc.identities)) {
    return [{ source: { file, pointer: '' }, message: `${file} cannot be read: who reaches the retired stacks' state cannot be judged` }];
  }
  const keyOf = new Map<string, string>();
  for (const [stack, { entry }] of owner) {
    const k = retiredStateKey(backend, entry);
    if (k === undefined) continue; // TK092 reports a layout it cannot read
    keyOf.set(`arn:aws:s3:::${backend.bucket}/${k}`, stack);
    keyOf.set(`arn:aws:s3:::${backend.bucket}/${stateLockKey(k)}`, stack);
  }
  const out: RuleFinding[] = [];
  doc.identities.forEach((id: unknown, i: number) => {
    if (!isRecord(id)) return; // TK093
    const statements = isRecord(id.permissionsPolicy) ? list(id.permissionsPolicy.Statement) : [];
    statements.forEach((st, j) => {
      if (!isRecord(st) || st.Effect === 'Deny') return;
      for (const r of list(st.Resource).map(String)) {
        const stack = keyOf.get(r);
        if (stack === undefined || id.name === owner.get(stack)!.identity) continue;
        const planner = typeof id.name === 'string' && id.name.startsWith('tierkit-state-plan-');
        out.push({
          source: { file, pointer: `/identities/${i}/permissionsPolicy/Statement/${j}/Resource` },
          message: `state identity ${JSON.stringify(id.name)}${planner ? ' (a planner)' : ''} reaches ${r}, the state of retired stack ${stack}: only ${owner.get(stack)!.identity} may keep it until its destroy ran`,
        });
      }
    });
  });
  return out;
}
