import { BUILTIN_TIERS } from '../../contract/tiers';
import { compareStrings } from '../../contract/order';
import { EstateGraph } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';

const sameSet = (a: readonly unknown[], b: readonly string[]) => {
  const x = a.map(String).sort(compareStrings);
  const y = [...b].sort(compareStrings);
  return x.length === y.length && new Set(x).size === x.length && x.every((v, i) => v === y[i]);
};

const shown = (v: unknown) => JSON.stringify(v) ?? String(v);

export const rule: Rule = {
  id: 'TK017',
  name: 'builtin-tier-definitions',
  severity: 'error',
  title: 'The manifest\'s tiers are tierkit\'s seven built-in tiers, with their own ranks and data classes',
  explanation:
    'Every rule decides "prod" and "stricter than" from the manifest\'s tiers: a tier whose data classes include `live` is '
    + 'prod\'s, and rank orders the rest. An estate cannot define a tier or change a tier\'s rank or data classes '
    + '(`Tier` has a private constructor; `TierSettings` has neither), so a manifest whose tiers differ from the built-in '
    + 'ones was edited by hand — a relabel such as prod without `live`, or dev at prod\'s rank, would otherwise reach each '
    + 'rule as a different estate and be absorbed one predicate at a time. Nothing in the estate can ask for it, so '
    + 'nothing may suppress it.',
  fix: 'Re-run `tierkit synth` instead of editing dist/manifest.json; tier behaviour is set with Estate `tiers` (TierSettings), which tighten a built-in tier.',
  suppressible: false,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const seen = new Set<string>();
    const tiers: readonly unknown[] = Array.isArray(g.manifest.tiers) ? g.manifest.tiers : [];
    if (!Array.isArray(g.manifest.tiers)) out.push({ source: { file: 'manifest.json', pointer: '/tiers' }, message: `the manifest's tiers are ${shown(g.manifest.tiers)}, not a list of the built-in tiers` });
    tiers.forEach((raw, i) => {
      const t = (raw ?? {}) as { name?: unknown; rank?: unknown; data?: unknown };
      const at = (field: string) => ({ file: 'manifest.json', pointer: `/tiers/${i}${field}` });
      const builtin = BUILTIN_TIERS.find((b) => b.name === t.name);
      if (!builtin) {
        out.push({ source: at('/name'), message: `tier ${shown(t.name)} is not a built-in tier (${BUILTIN_TIERS.map((b) => b.name).join(', ')})` });
        return;
      }
      if (seen.has(builtin.name)) out.push({ source: at('/name'), message: `tier ${builtin.name} is declared twice; a reader would judge by whichever it finds` });
      seen.add(builtin.name);
      if (t.rank !== builtin.rank) out.push({ source: at('/rank'), message: `tier ${builtin.name} has rank ${shown(t.rank)}; the built-in tier's is ${builtin.rank}` });
      if (!Array.isArray(t.data) || !sameSet(t.data, builtin.data)) {
        out.push({ source: at('/data'), message: `tier ${builtin.name} holds data classes ${shown(t.data)}; the built-in tier's are ${shown(builtin.data)}` });
      }
    });
    return out;
  },
};
