import * as naming from '../../constructs/naming';
import { applicationSets, isRecord, previewEnvOf } from './support/preview-applicationset';
import { Rule, RuleFinding } from './support/rule';

/** The generator fields tierkit writes (Argo CD's pull-request generator, GitHub). Anything else is read as unknown. */
const GITHUB_FIELDS = new Set(['owner', 'repo', 'labels', 'appSecretName']);
const PULL_REQUEST_FIELDS = new Set(['github', 'requeueAfterSeconds']);
const REQUEUE_MIN_SECONDS = 30;
const REQUEUE_MAX_SECONDS = 3600;

export const rule: Rule = {
  id: 'TK175',
  name: 'preview-appset-generator',
  severity: 'error',
  title: 'A preview ApplicationSet has exactly one generator: GitHub pull requests of the estate\'s repository carrying exactly the app\'s preview label, polled every 30–3600 s',
  explanation:
    'Argo CD\'s pull-request generator has no fork filter and no cap (argo-cd 2.x schema: github has owner, repo, api, labels, '
    + 'tokenRef, appSecretName). The label is the gate: only a user with triage or write access can label a pull request, so a '
    + 'fork\'s author cannot start a preview; without a label every open PR (forks included) gets one. Another repository, '
    + 'another provider or a second generator (list, git, matrix, merge, scmProvider) makes Applications out of someone '
    + 'else\'s parameters. `requeueAfterSeconds` belongs on the generator (argoproj/argo-cd#10643): too short spends GitHub\'s '
    + 'rate limit, too long leaves a closed PR\'s database alive; the cap on open previews is enforced by the PreSync Job on the server.',
  fix: 'Keep what tierkit writes for `App.previews` (label and requeueAfterSeconds are props).',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const [owner, repo] = g.manifest.estate.ci.repository.split('/');
    for (const k of applicationSets(g)) {
      const env = previewEnvOf(g, k);
      if (!env) continue; // TK176 reports an ApplicationSet no app's previews own
      const at = (message: string) => out.push({ env, source: k.source, message: `ApplicationSet "${k.name}" ${message}` });
      const generators = isRecord(k.object.spec) ? k.object.spec.generators : undefined;
      if (!Array.isArray(generators) || generators.length !== 1) {
        at(`has ${Array.isArray(generators) ? generators.length : 'no'} generators; exactly one pullRequest generator`);
        continue;
      }
      const gen = generators[0];
      const keys = isRecord(gen) ? Object.keys(gen).sort() : [];
      if (!isRecord(gen) || keys.length !== 1 || keys[0] !== 'pullRequest' || !isRecord(gen.pullRequest)) {
        at(`generator is ${JSON.stringify(keys)}; exactly one "pullRequest"`);
        continue;
      }
      const pr = gen.pullRequest;
      for (const f of Object.keys(pr).sort()) if (!PULL_REQUEST_FIELDS.has(f)) at(`pullRequest generator sets "${f}"; it holds only github and requeueAfterSeconds`);
      const gh = pr.github;
      if (!isRecord(gh)) {
        at('pullRequest generator has no github block; previews poll the estate\'s GitHub repository only');
      } else {
        for (const f of Object.keys(gh).sort()) if (!GITHUB_FIELDS.has(f)) at(`github generator sets "${f}"; tierkit reads only ${[...GITHUB_FIELDS].join(', ')}`);
        if (gh.owner !== owner || gh.repo !== repo) at(`polls ${JSON.stringify(gh.owner)}/${JSON.stringify(gh.repo)}; only the estate's repository ${owner}/${repo}`);
        const label = env.previews?.label;
        const labels = gh.labels;
        if (typeof label !== 'string' || label === '') at('belongs to an app whose manifest previews have no label');
        else if (!Array.isArray(labels) || labels.length !== 1 || labels[0] !== label) {
          at(`selects labels ${JSON.stringify(labels ?? null)}; exactly ["${label}"] (without it every open PR, forks included, gets a preview)`);
        }
        if (gh.appSecretName !== naming.PREVIEW_GITHUB_APP_SECRET) at(`authenticates with appSecretName ${JSON.stringify(gh.appSecretName ?? null)}; exactly "${naming.PREVIEW_GITHUB_APP_SECRET}"`);
      }
      const requeue = pr.requeueAfterSeconds;
      const declared = env.previews?.requeueAfterSeconds;
      if (typeof requeue !== 'number' || !Number.isInteger(requeue) || requeue < REQUEUE_MIN_SECONDS || requeue > REQUEUE_MAX_SECONDS) {
        at(`polls every ${JSON.stringify(requeue ?? null)} s; a whole number from ${REQUEUE_MIN_SECONDS} to ${REQUEUE_MAX_SECONDS} on the generator (Argo CD's default is 30 min)`);
      } else if (requeue !== declared) {
        at(`polls every ${requeue} s; the manifest declares ${JSON.stringify(declared ?? null)}`);
      }
    }
    return out;
  },
};
