import { githubRulesets, publishedTierNames, rulesetFile } from '../../contract/github-rulesets';
import { EstateGraph } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';

const isRecord = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

/** JSON with sorted keys: two rulesets are the same when this is. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isRecord(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

export const rule: Rule = {
  id: 'TK094',
  name: 'rendered-branch-rulesets',
  severity: 'error',
  title: "Only a tier's own publisher may write its paths of the rendered branch; main changes only through checked, up-to-date pull requests",
  explanation:
    'Argo CD syncs each tier from the rendered branch. A ruleset that lets "GitHub Actions" (any workflow\'s token, a '
    + "same-repository PR's included), a role, a team, a deploy key or another tier's publisher write a tier's paths lets "
    + "that actor change the tier's pods — and their Vault and database reach — with no approval. Synth writes the "
    + 'rulesets to dist/ci/rulesets/ from the estate (`ci.publisherAppIds`): the rendered branch only by publishers, each '
    + "tier's paths only by its own publisher App, main only by pull requests whose required checks passed on an up-to-date "
    + 'branch. The rule reads each ruleset as written (a hand-edited copy included): a missing, unreadable or different '
    + 'ruleset, or a bypass actor that is not the tier\'s publisher, is a finding.',
  fix: 'Declare each tier\'s publisher App in `ci.publisherAppIds` and re-run `tierkit synth`; never edit dist/ci/rulesets/ by hand; apply them with `gh api --method POST repos/<owner>/<repo>/rulesets --input <file>`.',
  suppressible: false,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const written = new Map((g.githubRulesets ?? []).map((d) => [d.file, d]));
    const ids = g.manifest.estate.ci.publisherAppIds ?? {};
    const tiers = publishedTierNames(g.manifest);
    const publisherOf = new Map(Object.entries(ids).map(([t, id]) => [id, t]));
    for (const want of githubRulesets(g.manifest)) {
      const file = rulesetFile(want.name);
      const got = written.get(file);
      const at = (pointer: string) => ({ file, pointer });
      if (!got) { out.push({ source: at(''), message: `ruleset ${want.name} is missing from dist/: ${want.name === 'tierkit-main' ? 'main' : `the rendered branch${want.target === 'push' ? `'s ${want.name.replace('tierkit-rendered-', '')} paths` : ''}`} would be guarded by nothing tierkit judged` }); continue; }
      if (got.error !== undefined || !isRecord(got.document)) { out.push({ source: at(''), message: `ruleset ${want.name} cannot be read (${got.error ?? 'not a JSON object'}): it cannot be judged` }); continue; }
      const doc = got.document;
      const tier = want.target === 'push' ? want.name.replace(/^tierkit-rendered-/, '') : undefined;
      const allowed = new Set(want.bypass_actors.map((a) => a.actor_id));
      const actors = Array.isArray(doc.bypass_actors) ? doc.bypass_actors : [];
      actors.forEach((a: unknown, i: number) => {
        const ok = isRecord(a) && a.actor_type === 'Integration' && allowed.has(a.actor_id);
        if (ok) return;
        const who = isRecord(a) ? `${a.actor_type} ${a.actor_id ?? ''}`.trim() : JSON.stringify(a);
        const whose = isRecord(a) && a.actor_type === 'Integration' && publisherOf.has(a.actor_id) ? ` (the ${publisherOf.get(a.actor_id)} publisher)` : '';
        const scope = tier ? `tier ${tier}'s paths of the rendered branch` : want.name === 'tierkit-main' ? 'main' : 'the rendered branch';
        out.push({
          source: at(`/bypass_actors/${i}`),
          message: `ruleset ${want.name} lets ${who}${whose} bypass it: only ${tier ? `tier ${tier}'s publisher` : want.name === 'tierkit-main' ? 'nobody' : "the tiers' publishers"} may write ${scope}`,
          ...(tier ? { reaches: [{ tier, what: `tier ${tier}'s manifests on the rendered branch` }] } : {}),
        });
      });
      if (canonical({ ...doc, bypass_actors: [] }) !== canonical({ ...want, bypass_actors: [] })) {
        out.push({ source: at(''), message: `ruleset ${want.name} is not the one the estate derives (rules, target, conditions or enforcement differ): ${canonical({ ...doc, bypass_actors: undefined })}` });
      }
    }
    for (const t of tiers) {
      if (ids[t] === undefined) continue;
      if (Object.entries(ids).some(([o, id]) => o !== t && id === ids[t])) {
        out.push({ source: { file: 'manifest.json', pointer: `/estate/ci/publisherAppIds/${t}` }, message: `tier ${t}'s publisher App ${ids[t]} also publishes another tier: one identity per tier, or one tier's job can write the other's paths` });
      }
    }
    return out;
  },
};
