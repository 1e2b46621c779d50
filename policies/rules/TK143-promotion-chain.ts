import { chainProblems, readPromotionChain } from '../../contract/promotion-chain';
import { Rule, RuleFinding } from './support/rule';

export const rule: Rule = {
  id: 'TK143',
  name: 'promotion-chain',
  severity: 'error',
  title: 'The promotion chain in the manifest is one a release can only climb through human-gated tiers',
  explanation:
    'tierkit promote and the PR diff decide chain_ok from the chain synth writes to manifest.json (estate.promotion): the main '
    + 'line of tiers and the tiers fed from a source (demo from staging). A chain with a cycle, a tier reached twice, a tier '
    + 'the estate does not have, a tier hosting app-environments left off it, or an edge into prod from a tier whose apply '
    + 'gate needs no human (manifest tiers[].applyGate.human, the one place gates are stated) lets a release reach prod that '
    + 'no human approved on the way. A manifest without a readable chain is judged as such, never as the default.',
  fix: 'Declare the chain through the Estate prop `promotion` (docs/promotion.md) and run `tierkit synth`; never edit manifest.json by hand.',
  suppressible: false,
  evaluate(g) {
    const read = readPromotionChain(g.manifest);
    if ('error' in read) return [{ source: { file: 'manifest.json', pointer: read.pointer }, message: `manifest.json ${read.error}` }];
    return chainProblems(read.chain, g.manifest).map((p): RuleFinding => ({
      source: { file: 'manifest.json', pointer: p.pointer }, message: `the promotion chain (${read.chain.chain.join(' → ')}${read.chain.feeds.map((f) => `; ${f.from} → ${f.tier}`).join('')}) ${p.message}`, fix: p.fix,
    }));
  },
};
