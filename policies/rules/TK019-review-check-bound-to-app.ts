import { rulesetFile } from '../../contract/github-rulesets';
import { GITHUB_ACTIONS_APP_ID, REVIEW_STATUS_CONTEXT } from '../../contract/review-workflow';
import { Rule, RuleFinding } from './support/rule';

const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

export const rule: Rule = {
  id: 'TK019',
  name: 'review-check-bound-to-app',
  severity: 'error',
  title: "Main's required `tierkit review` status is bound to the estate's review App, which nothing else is",
  explanation:
    'GitHub binds a required status to an App (`integration_id`), never to a workflow file. Bound to GitHub Actions (15368), '
    + 'it is satisfied by a status ANY workflow of the repository posts — a collaborator\'s own branch workflow given '
    + '`statuses: write` included. Bound to the review App (`ci.reviewAppId`), whose key only main\'s review workflow reads '
    + '(TK018), a branch cannot post it. The rule reads dist/ci/rulesets/tierkit-main.json as written and the manifest: no '
    + 'review App declared, the App being GitHub Actions or a tier\'s publisher, or a `tierkit review` check bound to anything '
    + 'else (or to nothing) is a finding.',
  fix: 'Create a GitHub App for the review (Commit statuses and Pull requests: read and write), declare its id in `ci.reviewAppId`, re-run `tierkit synth`, and apply dist/ci/rulesets/tierkit-main.json; never edit it by hand.',
  suppressible: false,
  evaluate(g) {
    const ci = g.manifest.estate.ci;
    const app = ci.reviewAppId;
    const out: RuleFinding[] = [];
    const declared = { file: 'manifest.json', pointer: '/estate/ci/reviewAppId' };
    if (app === undefined) out.push({ source: { file: 'manifest.json', pointer: '/estate/ci' }, message: 'no review App is declared (ci.reviewAppId): main\'s `tierkit review` check can only be bound to GitHub Actions, which any workflow of the repository posts as' });
    else if (!Number.isSafeInteger(app) || app < 1) out.push({ source: declared, message: `the review App id ${JSON.stringify(app)} is not a GitHub App's numeric id` });
    else if (app === GITHUB_ACTIONS_APP_ID) out.push({ source: declared, message: `the review App is GitHub Actions (${GITHUB_ACTIONS_APP_ID}): every workflow of the repository posts as it` });
    else {
      const tier = Object.entries(ci.publisherAppIds ?? {}).find(([, id]) => id === app)?.[0];
      if (tier !== undefined) out.push({ source: declared, message: `the review App ${app} is also tier ${tier}'s publisher: its publish job could post the review's status` });
    }
    const file = rulesetFile('tierkit-main');
    const got = (g.githubRulesets ?? []).find((d) => d.file === file);
    if (!got) return [...out, { source: { file, pointer: '' }, message: `${file} is missing: which App main's required check accepts cannot be judged` }];
    if (got.error !== undefined || !isObj(got.document)) return [...out, { source: { file, pointer: '' }, message: `${file} cannot be read (${got.error ?? 'not a JSON object'}): which App main's required check accepts cannot be judged` }];
    const rules: unknown[] = Array.isArray(got.document.rules) ? got.document.rules : [];
    rules.forEach((r, i) => {
      if (!isObj(r) || r.type !== 'required_status_checks') return;
      const checks: unknown[] = isObj(r.parameters) && Array.isArray(r.parameters.required_status_checks) ? r.parameters.required_status_checks : [];
      checks.forEach((c, k) => {
        if (!isObj(c) || c.context !== REVIEW_STATUS_CONTEXT) return; // TK026's
        if (app !== undefined && c.integration_id === app && app !== GITHUB_ACTIONS_APP_ID) return;
        const bound = c.integration_id === undefined ? 'to no App (any actor with write access can post it)'
          : c.integration_id === GITHUB_ACTIONS_APP_ID ? `to GitHub Actions (${GITHUB_ACTIONS_APP_ID}), which any workflow of the repository posts as`
            : `to App ${JSON.stringify(c.integration_id)}`;
        out.push({ source: { file, pointer: `/rules/${i}/parameters/required_status_checks/${k}` }, message: `main's "${REVIEW_STATUS_CONTEXT}" check is bound ${bound}, not to the review App ${app ?? '(none declared)'}: a branch's own workflow could satisfy it` });
      });
    });
    return out;
  },
};
