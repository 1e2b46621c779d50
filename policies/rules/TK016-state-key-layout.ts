import { CURRENT_STATE_KEY_LAYOUT, stateKeyLayoutOf } from '../../contract/ci-names';
import { EstateGraph } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';

export const rule: Rule = {
  id: 'TK016',
  name: 'state-key-layout',
  severity: 'error',
  title: "A retired stack's state key names the tier and server it claims (state key layout 2)",
  explanation:
    'A removed stack keeps its state key for the applier of the tier its `retiredStacks` entry names (TK150). Under state key '
    + 'layout 1 (`<keyPrefix>/<stack>.tfstate`, manifests without `estate.backend.stateKeyLayout`) the key is the same '
    + 'whatever tier and server the entry claims: retiring prod\'s `shop` as a dev stack on the dev server hands the dev '
    + 'applier — applied automatically on merge — read and write on prod\'s state, and one dist cannot tell the claim is '
    + 'false. Layout 2 (`<keyPrefix>/<gatingTier>/servers/<server>/<stack>.tfstate`) puts the claim in the key, so a false '
    + 'claim names another, empty key. The rule reads manifest.json as written: an S3 estate on layout 1 with retired '
    + 'stacks, or on a layout this tierkit does not know, is a finding.',
  fix: 'Move the state to layout 2: drop `stateKeyLayout: StateKeyLayout.STACK_NAME` from `Backend.s3`, synthesize, and run '
    + '`tierkit state migrate --from <the old dist> --dist dist` (docs/pr-flow.md, "Moving state keys") before the change is applied.',
  suppressible: false,
  evaluate(g: EstateGraph) {
    const backend = g.manifest.estate.backend;
    if (!backend || backend.type !== 's3') return []; // TK092 judges a missing backend; a local one has no shared keys
    const at = { file: 'manifest.json', pointer: '/estate/backend/stateKeyLayout' };
    const layout = stateKeyLayoutOf(backend);
    if (layout === undefined) {
      return [{ source: at, message: `manifest.json records state key layout ${JSON.stringify(backend.stateKeyLayout)}, which this tierkit does not know: whose state a retired entry keeps cannot be judged` }];
    }
    const retired: unknown = (g.manifest.estate as Record<string, unknown>).retiredStacks;
    if (layout >= CURRENT_STATE_KEY_LAYOUT || !Array.isArray(retired) || retired.length === 0) return [];
    const names = retired.map((r) => (r && typeof r === 'object' ? String((r as Record<string, unknown>).stack) : String(r)));
    const out: RuleFinding[] = [{
      source: at,
      message: `the estate keeps state under layout ${layout} (<keyPrefix>/<stack>.tfstate) and retires ${names.join(', ')}: each keeps the key of whatever stack had that name, whatever tier and server its entry claims, so a false claim hands a laxer tier's applier a stricter tier's state`,
    }];
    return out;
  },
};
