import { DATA_PROMOTE_PLAN_FILE, RECORD_PERMISSIONS, recordBranchPrefix, recordJobId, replayJobId } from '../../contract/data-promote-workflow';
import { canonicalJson } from '../../contract/order';
import type { EstateGraph } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';

const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

/** The record job's keys: anything else (an environment, a Vault role, a creds path, secrets) would hand it more than its push. */
const KEYS = ['branchPrefix', 'job', 'needs', 'permissions'];

/** What is wrong with one app's record job as written, judged against constants (not against the manifest: it derives nothing from it). */
function problems(a: Record<string, any>): { pointer: string; message: string }[] {
  const out: { pointer: string; message: string }[] = [];
  const at = (p: string) => `/record${p}`;
  const app = typeof a.app === 'string' ? a.app : '';
  const r = a.record;
  if (!isObj(r)) return [{ pointer: at(''), message: `app ${JSON.stringify(app)} has no record job: its data promote's record would never be committed` }];
  const keys = Object.keys(r).sort();
  const extra = keys.filter((k) => !KEYS.includes(k));
  if (extra.length > 0) {
    out.push({ pointer: at(''), message: `the record job carries ${extra.map((k) => JSON.stringify(k)).join(', ')}: it runs in no GitHub environment (whose secrets would reach it), logs into no Vault role and reads no secret` });
  }
  const missing = KEYS.filter((k) => !(k in r));
  if (missing.length > 0) out.push({ pointer: at(''), message: `the record job has no ${missing.join(', ')}` });
  if (r.job !== recordJobId(app)) out.push({ pointer: at('/job'), message: `the record job is named ${JSON.stringify(r.job)}, not ${JSON.stringify(recordJobId(app))}` });
  if (!Array.isArray(r.needs) || r.needs.length !== 1 || r.needs[0] !== replayJobId(app)) {
    out.push({ pointer: at('/needs'), message: `the record job needs ${JSON.stringify(r.needs)}, not exactly ["${replayJobId(app)}"]: it commits the record the replay wrote, only after it` });
  }
  if (canonicalJson(r.permissions ?? null) !== canonicalJson(RECORD_PERMISSIONS)) {
    out.push({ pointer: at('/permissions'), message: `the record job's token permissions are ${JSON.stringify(r.permissions)}, not exactly ${JSON.stringify(RECORD_PERMISSIONS)} (no id-token: it logs into nothing; no pull-requests: write)` });
  }
  if (r.branchPrefix !== recordBranchPrefix(app)) {
    out.push({ pointer: at('/branchPrefix'), message: `the record job pushes under ${JSON.stringify(r.branchPrefix)}, not ${JSON.stringify(recordBranchPrefix(app))} (its own new branches)` });
  }
  return out;
}

export const rule: Rule = {
  id: 'TK167',
  name: 'data-promote-record-job',
  severity: 'error',
  title: "The data promote's record job has exactly its push: `contents: write`, after the replay, no environment, no Vault, no secret",
  explanation:
    'After the replay, `tierkit-data-promote.yml` commits the promotion record: a job that downloads the record the replay '
    + 'uploaded, reads it strictly, holds it to this run (id, repository, run id and attempt, app, environment, script path '
    + 'and bytes) and pushes it on a new branch `tierkit/promotions/<app>/<id>`, refusing a branch that exists. It holds a token '
    + 'that can push, so it must hold nothing else: no GitHub environment (an environment\'s secrets would reach it), no Vault '
    + 'role or OIDC token, no `pull-requests: write`; and it runs only after the replay. The rule reads each app\'s record job '
    + 'in dist/ci/data-promote.json (the plan the workflow is rendered from): missing, a key other than job, needs, '
    + 'permissions and branchPrefix, needs other than exactly the replay, permissions other than `contents: write`, or '
    + 'another branch prefix is a finding.',
  fix: 'Re-run `tierkit synth` and `tierkit ci github`; never edit dist/ci/data-promote.json or .github/workflows/tierkit-data-promote.yml by hand.',
  suppressible: false,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const got = g.dataPromote;
    // A missing or unreadable plan is TK163's finding; here only what a readable plan says.
    if (!got || got.error !== undefined || !isObj(got.document)) return out;
    const apps: unknown = got.document.apps;
    if (!Array.isArray(apps)) return [{ source: { file: DATA_PROMOTE_PLAN_FILE, pointer: '/apps' }, message: 'data-promote record job: the plan has no list of apps: no record job can be judged' }];
    apps.forEach((a, i) => {
      if (!isObj(a)) { out.push({ source: { file: DATA_PROMOTE_PLAN_FILE, pointer: `/apps/${i}` }, message: 'data-promote record job: not an app entry' }); return; }
      for (const p of problems(a)) out.push({ source: { file: DATA_PROMOTE_PLAN_FILE, pointer: `/apps/${i}${p.pointer}` }, message: `data-promote record job of ${JSON.stringify(a.app)}: ${p.message}` });
    });
    return out;
  },
};
