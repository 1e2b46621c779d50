import * as naming from '../../constructs/naming';
import type { K8sObject } from '../graph/types';
import { at, fileScope } from './support/k8s-scope';
import { podSecurityViolations } from './support/pod-security-standards';
import { differences, expectedPreviewCollector, isPreviewCollectorObject, previewHostsOfTier, withoutRuntimeFields } from './support/preview-collector';
import { Rule, RuleFinding } from './support/rule';

const show = (v: unknown) => {
  const s = JSON.stringify(v ?? null);
  return s.length > 160 ? `${s.slice(0, 160)}…` : s;
};

export const rule: Rule = {
  id: 'TK180',
  name: 'preview-collector',
  severity: 'error',
  title: "Each app with previews has exactly tierkit's orphan collector CronJob <app>-previews-collect in tierkit-previews, in its tier's bootstrap",
  explanation:
    'The collector runs every hour as the preview Jobs\' service account and Vault role, with the preview admin\'s password '
    + '(CREATEDB CREATEROLE on the previews\' server): a changed script, image, env, schedule, agent template, service account, '
    + 'container or volume there runs something else as that identity, or drops previews sooner than the declared window. So it '
    + 'is compared whole with what tierkit renders from the manifest (the script verbatim, with the manifest\'s '
    + 'previews.orphanAfterHours). Its pod must meet the restricted Pod Security profile; its placement (TK058) and agent '
    + 'sizing are the pod-security rules\'. A missing collector leaves orphaned preview databases on the server (docs/previews.md).',
  fix: 'Declare previews with `App.previews` (the window with `previews.orphanAfterHours`) and re-run `tierkit synth`; never edit the bootstrap by hand.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const byTier = new Map<string, K8sObject[]>();
    for (const k of g.kubernetes) {
      if (!isPreviewCollectorObject(g, k)) continue;
      const scope = fileScope(g, k.source.file);
      if (scope.kind === 'bootstrap') byTier.set(scope.tier, [...(byTier.get(scope.tier) ?? []), k]);
    }
    for (const tier of [...new Set(g.envs.map((e) => e.tier))].sort()) {
      const file = naming.dist.k8sAppOfApps(tier);
      for (const env of previewHostsOfTier(g, tier)) {
        const name = naming.previewCollectorName(env.app);
        const found = (byTier.get(tier) ?? []).filter((k) => k.name === name);
        const want = expectedPreviewCollector(g, env);
        if (typeof want === 'string') {
          out.push({ env, source: found[0] ? at(found[0], '') : { file, pointer: '' }, message: `${file}: CronJob ${naming.PREVIEW_JOBS_NAMESPACE}/${name} cannot be modelled: ${want}` });
          continue;
        }
        if (found.length === 0) {
          out.push({ env, source: { file, pointer: '' }, message: `${file}: lacks CronJob ${naming.PREVIEW_JOBS_NAMESPACE}/${name}, app ${env.app}'s preview orphan collector: orphaned preview databases stay on the server` });
          continue;
        }
        found.slice(1).forEach((k) => out.push({ env, source: at(k, ''), message: `${file}: declares CronJob ${naming.PREVIEW_JOBS_NAMESPACE}/${name} twice; tierkit writes one` }));
        const k = found[0];
        for (const [pointer, got, exp] of differences(withoutRuntimeFields(k.object), want)) {
          const what = pointer === '/spec/jobTemplate/spec/template/spec/containers/0/command/2'
            ? "does not run tierkit's collector script verbatim (with the manifest's previews.orphanAfterHours)"
            : `is ${show(got)}; exactly ${show(exp)}`;
          out.push({ env, source: at(k, pointer), message: `${file}: CronJob ${naming.PREVIEW_JOBS_NAMESPACE}/${name} ${pointer || '/'} ${what}` });
        }
        for (const v of podSecurityViolations(k.object?.spec?.jobTemplate?.spec?.template, 'restricted')) {
          out.push({ env, source: at(k, `/spec/jobTemplate/spec/template${v.pointer}`), message: `${file}: CronJob ${naming.PREVIEW_JOBS_NAMESPACE}/${name} breaks the restricted Pod Security profile (${v.control}): ${v.message}` });
        }
      }
    }
    return out;
  },
};
