import { EgressPolicy } from '../../constructs/enums';
import { Tier } from '../../constructs/tier';
import { Rule, RuleFinding } from './support/rule';
import { isReason } from '../../contract/tiers';


export const rule: Rule = {
  id: 'TK116',
  name: 'egress-widening-reasoned',
  severity: 'error',
  title: "A tier's egress wider than its built-in default is a declared, reasoned loosening",
  explanation:
    'No built-in tier lists an egress destination, and deny tiers open none: an allow list (on a tier whose egress is not deny), '
    + 'or an egress policy looser than the tier\'s default, widens what every pod of the tier may reach. The synthesizer records '
    + 'each as a tier exception with its reason, which every report shows; a manifest whose tier egress is wider than its '
    + 'exceptions say was edited by hand or by another tool, and its widening was never reviewed as one.',
  fix: 'Declare the allow list (or egress policy) in the estate\'s tier settings with reason: "<why>", and synthesize again.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    g.manifest.tiers.forEach((t, i) => {
      const source = { file: 'manifest.json', pointer: `/tiers/${i}` };
      const builtin = Tier.of(t.name);
      const egress = EgressPolicy.of(t.egress);
      if (!builtin || !egress) {
        out.push({ source, message: `tier "${t.name}" with egress "${t.egress}" is no built-in tier or egress policy: its egress cannot be judged` });
        return;
      }
      const declared = (property: string, value: string) => (t.exceptions ?? []).some((x) => x.property === property && x.value === value
        && isReason(x.reason));
      if (egress.rank < builtin.defaults.egress.rank && !declared('egress', egress.name)) {
        out.push({ source: { ...source, pointer: `${source.pointer}/egress` }, message: `tier ${t.name}'s egress "${egress.name}" is looser than its default "${builtin.defaults.egress.name}" without a reasoned exception` });
      }
      const list = [...(t.egressAllowList ?? [])].sort().join(', ');
      if (egress !== EgressPolicy.DENY && list !== '' && !declared('egressAllowList', list)) {
        out.push({ source: { ...source, pointer: `${source.pointer}/egressAllowList` }, message: `tier ${t.name}'s egress allow list [${list}] widens its egress without a reasoned exception for exactly that list` });
      }
    });
    return out;
  },
};
