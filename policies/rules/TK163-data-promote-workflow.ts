import {
  DATA_PROMOTE_MAX_REHEARSAL_AGE_SECONDS, DATA_PROMOTE_PLAN_FILE, REHEARSE_PERMISSIONS, REPLAY_PERMISSIONS, dataPromotePlan,
} from '../../contract/data-promote-workflow';
import { canonicalJson } from '../../contract/order';
import { isLiveTier } from '../../contract/tiers';
import type { EstateGraph } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';

const isObj = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);

/** What the written plan's jobs must be, whatever the manifest says: derived from the envs themselves. */
function invariants(g: EstateGraph, doc: Record<string, any>): { pointer: string; message: string }[] {
  const out: { pointer: string; message: string }[] = [];
  const apps = Array.isArray(doc.apps) ? doc.apps : [];
  apps.forEach((a: unknown, i: number) => {
    const at = `/apps/${i}`;
    if (!isObj(a) || !isObj(a.rehearse) || !isObj(a.replay)) { out.push({ pointer: at, message: 'is not an app entry with rehearse and replay jobs' }); return; }
    const prod = g.envs.find((e) => e.promote !== undefined && e.app === a.app);
    if (!prod) { out.push({ pointer: `${at}/app`, message: `app ${JSON.stringify(a.app)} has no promote credential in dist: no data promote may run for it` }); return; }
    const { rehearse, replay } = a;
    const sandbox = g.envs.find((e) => e.slug === rehearse.target);
    if (!sandbox || sandbox.kind !== 'sandbox' || sandbox.app !== prod.app || isLiveTier(g.tiers, sandbox.tier, true)) {
      out.push({ pointer: `${at}/rehearse/target`, message: `the rehearse job writes ${JSON.stringify(rehearse.target)}, which is not a sandbox of ${prod.app} on a tier without live data` });
    } else {
      if (rehearse.environment !== sandbox.tier) out.push({ pointer: `${at}/rehearse/environment`, message: `the rehearse job runs in environment ${JSON.stringify(rehearse.environment)}, not its sandbox's tier "${sandbox.tier}"` });
      if (rehearse.credsPath !== sandbox.names.vaultCredsPath) out.push({ pointer: `${at}/rehearse/credsPath`, message: `the rehearse job reads ${JSON.stringify(rehearse.credsPath)}, not its sandbox's credential ${sandbox.names.vaultCredsPath}` });
    }
    if (rehearse.environment === prod.tier || isLiveTier(g.tiers, rehearse.environment, true)) {
      out.push({ pointer: `${at}/rehearse/environment`, message: `the rehearse job runs in live environment ${JSON.stringify(rehearse.environment)}: before any approval, it would hold what only the approved replay may` });
    }
    if (rehearse.vaultRole !== prod.promote!.rehearse?.name || rehearse.vaultRole === prod.promote!.name) {
      out.push({ pointer: `${at}/rehearse/vaultRole`, message: `the rehearse job logs in as ${JSON.stringify(rehearse.vaultRole)}, not the rehearse identity ${JSON.stringify(prod.promote!.rehearse?.name)}` });
    }
    if (canonicalJson(rehearse.permissions) !== canonicalJson(REHEARSE_PERMISSIONS)) out.push({ pointer: `${at}/rehearse/permissions`, message: `the rehearse job's token permissions are ${JSON.stringify(rehearse.permissions)}, not ${JSON.stringify(REHEARSE_PERMISSIONS)}` });
    if (replay.environment !== prod.tier) out.push({ pointer: `${at}/replay/environment`, message: `the replay runs in environment ${JSON.stringify(replay.environment)}, not prod's "${prod.tier}" (whose reviewers approve it)` });
    if (replay.vaultRole !== prod.promote!.name || replay.credsPath !== prod.promote!.credsPath || replay.target !== prod.slug) {
      out.push({ pointer: `${at}/replay`, message: `the replay logs in as ${JSON.stringify(replay.vaultRole)}, reads ${JSON.stringify(replay.credsPath)} and writes ${JSON.stringify(replay.target)}: it must be ${prod.promote!.name}, ${prod.promote!.credsPath}, ${prod.slug}` });
    }
    if (!Array.isArray(replay.needs) || !replay.needs.includes(rehearse.job)) out.push({ pointer: `${at}/replay/needs`, message: `the replay does not need the rehearse job ${JSON.stringify(rehearse.job)}: it could run without a rehearsal` });
    if (canonicalJson(replay.permissions) !== canonicalJson(REPLAY_PERMISSIONS)) out.push({ pointer: `${at}/replay/permissions`, message: `the replay's token permissions are ${JSON.stringify(replay.permissions)}, not ${JSON.stringify(REPLAY_PERMISSIONS)}` });
    if (!Number.isSafeInteger(a.maxRehearsalAgeSeconds) || a.maxRehearsalAgeSeconds <= 0 || a.maxRehearsalAgeSeconds > DATA_PROMOTE_MAX_REHEARSAL_AGE_SECONDS) {
      out.push({ pointer: `${at}/maxRehearsalAgeSeconds`, message: `a rehearsal may be ${JSON.stringify(a.maxRehearsalAgeSeconds)} s old: at most ${DATA_PROMOTE_MAX_REHEARSAL_AGE_SECONDS}` });
    }
  });
  return out;
}

export const rule: Rule = {
  id: 'TK163',
  name: 'data-promote-workflow',
  severity: 'error',
  title: "The data-promote workflow's jobs, environments, token permissions and Vault roles are exactly those the estate derives",
  explanation:
    'Synth writes the data-promote workflow\'s plan to dist/ci/data-promote.json and `tierkit ci github` renders '
    + '`tierkit-data-promote.yml` from the same derivation (`--check` fails on a workflow that differs). Per app it has two '
    + 'jobs: the rehearsal, in its golden sandbox\'s tier environment, logging in as `<app>-rehearse` and writing only that '
    + 'sandbox; and the replay, in prod\'s environment (whose reviewers approve it), needing the rehearsal, logging in as '
    + '`<app>-promote`. The rule reads the plan as written: missing (while an app has a promote credential), unreadable, '
    + 'different from the derivation, or a rehearse job in a live environment, reading another credential, with other token '
    + 'permissions, or a replay that does not need its rehearsal, is a finding.',
  fix: 'Re-run `tierkit synth` and `tierkit ci github`; never edit dist/ci/data-promote.json or .github/workflows/tierkit-data-promote.yml by hand.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const want = dataPromotePlan(g.manifest);
    const got = g.dataPromote;
    const at = (pointer: string) => ({ file: DATA_PROMOTE_PLAN_FILE, pointer });
    if (!got) {
      if (want) out.push({ source: at(''), message: `${DATA_PROMOTE_PLAN_FILE} is missing while ${want.apps.map((a) => a.app).join(', ')} ${want.apps.length === 1 ? 'has' : 'have'} a promote credential: the data-promote workflow cannot be judged` });
      return out;
    }
    if (got.error !== undefined || !isObj(got.document)) return [{ source: at(''), message: `${DATA_PROMOTE_PLAN_FILE} cannot be read (${got.error ?? 'not a JSON object'}): the data-promote workflow cannot be judged` }];
    if (!want) return [{ source: at(''), message: `${DATA_PROMOTE_PLAN_FILE} plans a data promote, but no app in dist has a promote credential` }];
    for (const v of invariants(g, got.document)) out.push({ source: at(v.pointer), message: `data-promote workflow: ${v.message}` });
    if (canonicalJson(got.document) !== canonicalJson(want)) {
      out.push({ source: at(''), message: `${DATA_PROMOTE_PLAN_FILE} is not the plan the manifest derives (jobs, environments, permissions, roles or targets differ): it was edited by hand` });
    }
    return out;
  },
};
