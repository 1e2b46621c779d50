import { rulesetFile } from '../../contract/github-rulesets';
import { REVIEW_STATUS_CONTEXT } from '../../contract/review-workflow';
import { Rule, RuleFinding } from './support/rule';

const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

export const rule: Rule = {
  id: 'TK026',
  name: 'main-required-review-check',
  severity: 'error',
  title: "Main requires the review workflow's `tierkit review` status, on an up-to-date branch, and no check a PR workflow reports",
  explanation:
    'A required check named after a job of the PR workflow is satisfied by whatever that job — the PR\'s own file — reports. '
    + 'Main\'s ruleset must require the `tierkit review` commit status (posted by the review workflow from main\'s file), with '
    + 'the strict policy (the PR is judged on top of main). The rule reads dist/ci/rulesets/tierkit-main.json as written: '
    + 'missing, unreadable, without that check, not strict, or requiring any other check (a PR job\'s) is a finding. '
    + 'Which App the check is bound to (`integration_id`: the review App) is TK019\'s.',
  fix: 'Re-run `tierkit synth`; apply dist/ci/rulesets/tierkit-main.json (`gh api --method PUT repos/<owner>/<repo>/rulesets/<id> --input <file>`); never edit it by hand.',
  suppressible: false,
  evaluate(g) {
    const file = rulesetFile('tierkit-main');
    const at = (pointer: string) => ({ file, pointer });
    const got = (g.githubRulesets ?? []).find((d) => d.file === file);
    if (!got) return [{ source: at(''), message: `${file} is missing: main's required checks cannot be judged` }];
    if (got.error !== undefined || !isObj(got.document)) return [{ source: at(''), message: `${file} cannot be read (${got.error ?? 'not a JSON object'}): main's required checks cannot be judged` }];
    const rules: unknown[] = Array.isArray(got.document.rules) ? got.document.rules : [];
    const i = rules.findIndex((r) => isObj(r) && r.type === 'required_status_checks');
    if (i < 0) return [{ source: at('/rules'), message: `main's ruleset requires no status check: a PR merges without the review of main's tierkit` }];
    const p = (rules[i] as Record<string, any>).parameters;
    const out: RuleFinding[] = [];
    if (!isObj(p) || p.strict_required_status_checks_policy !== true) out.push({ source: at(`/rules/${i}/parameters`), message: "main's required checks are not strict: a PR judged on an older main merges on top of changes its review never saw" });
    const checks: unknown[] = isObj(p) && Array.isArray(p.required_status_checks) ? p.required_status_checks : [];
    const bound = checks.some((c) => isObj(c) && c.context === REVIEW_STATUS_CONTEXT);
    if (!bound) out.push({ source: at(`/rules/${i}/parameters/required_status_checks`), message: `main does not require "${REVIEW_STATUS_CONTEXT}": the review workflow's verdict does not gate the merge` });
    checks.forEach((c, k) => {
      if (isObj(c) && c.context === REVIEW_STATUS_CONTEXT) return;
      out.push({ source: at(`/rules/${i}/parameters/required_status_checks/${k}`), message: `main requires ${JSON.stringify(c)}: only "${REVIEW_STATUS_CONTEXT}" — a PR workflow's job reports what the PR author wrote` });
    });
    return out;
  },
};
