import * as naming from '../../constructs/naming';
import { goldenLoadPodProblems, resetPodProblems } from './support/lifecycle-pods';
import { podTemplates, templatePointer } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { templateResetSource as at } from './support/template-reset';

/**
 * TK135 compares a pod whole only where it mounts a seed claim; a template reset's pod without the
 * seed still logs in as the template role's login (the reset's service account: TK117 holds who it is).
 */
export const rule: Rule = {
  id: 'TK184',
  name: 'template-reset-pods',
  severity: 'error',
  title: 'Every pod that runs as a template-reset sandbox\'s reset service account is exactly tierkit\'s reset or golden-load CronJob',
  explanation:
    'The reset\'s service account is the one identity Vault hands the template reset login to (TK117): a session of it may '
    + 'SET ROLE to a CREATEDB role that drops and clones the sandbox\'s database. The scripts (constructs/lifecycle/template-reset.ts) '
    + 'are what make that harmless — they refuse a golden whose marker is not the seed\'s hash (and load it from the verified '
    + 'seed), a golden that is shared or a template, and on PostgreSQL 16+ a Vault connection user that still inherits or may SET '
    + 'the template role. A pod of that account running anything else, or those scripts with other inputs (another connection '
    + 'user, no seed dump), clones what no one verified; a pod that mounts no seed escapes TK135\'s comparison, so it is compared here. '
    + 'Every step is compared (the scale steps run after the reset in the pod where its login is rendered), and so is the pod spec: '
    + 'hostAliases or a DNS override would send the login to a relay (a `require` connection does not verify the server).',
  fix: 'Keep the reset and golden-load CronJobs tierkit renders for `reset: SandboxReset.TEMPLATE`; run nothing else as the reset\'s service account.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const env of g.envs) {
      if (env.sandbox?.reset !== 'template') continue;
      const c = { app: env.app, env: env.env };
      const sa = naming.resetName(c);
      const ns = env.names.namespace;
      const seed = env.sandbox?.seed;
      if (typeof seed !== 'string' || seed === '') {
        out.push({ env, source: at(g, env), message: `template reset of ${describeEnv(env)}: the manifest names no seed; its reset pods cannot be judged` });
        continue;
      }
      const jobs = new Map([[naming.resetName(c), 'reset'], [naming.goldenLoadName(c), 'golden-load']]);
      for (const t of podTemplates(g).templates) {
        const spec = t.template.spec ?? {};
        const tns = t.object.namespace ?? t.object.object.metadata?.namespace;
        if (tns !== ns || (spec.serviceAccountName !== sa && spec.serviceAccount !== sa)) continue;
        const where = `${t.object.kind} "${ns}/${t.object.name}"`;
        const job = t.object.kind === 'CronJob' ? jobs.get(t.object.name) : undefined;
        const problems = job === undefined
          ? [`it is neither ${[...jobs.keys()].map((n) => `CronJob "${n}"`).join(' nor ')}`]
          : job === 'reset' ? resetPodProblems(g, t, env, seed) : goldenLoadPodProblems(g, t, env, seed);
        if (problems.length > 0) {
          out.push({ env, source: templatePointer(t, ''), message: `${where} runs as "${sa}", the service account that gets the template reset login of ${describeEnv(env)}, but ${problems.join('; ')}` });
        }
      }
    }
    return out;
  },
};
