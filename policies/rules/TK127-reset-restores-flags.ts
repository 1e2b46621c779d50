// The script text is part of the artifact contract, as naming is: what the reset's flags step runs, verbatim.
import { FLAGS_RESET_SCRIPT, RESET_SCRIPT } from '../../constructs/lifecycle/scripts';
import { TEMPLATE_RESET_SCRIPT } from '../../constructs/lifecycle/template-reset';
import { flagsConfigMapName } from '../../constructs/naming';
import { FLAGS_FILE_KEY, flagdDefinition, flagsResetPatch } from '../../contract/flags';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { needsResetRevoke, resetAuthRoleName } from './support/ttl-sweep';
import { k8sNamed } from './support/graph-index';
import { sameCommand } from './support/pod-command';

type Obj = Record<string, any>;
const envVars = (c: Obj): Record<string, unknown> => Object.fromEntries((Array.isArray(c?.env) ? c.env : []).map((v: Obj) => [v?.name, v?.value]));

export const rule: Rule = {
  id: 'TK127',
  name: 'reset-restores-flags',
  severity: 'error',
  title: "An hourly reset restores the env's flags to the declared defaults",
  explanation:
    'In the demo tier the flags are the presenter\'s for the hour: the env\'s flags ConfigMap (a flagd definition the '
    + 'workload mounts) holds the declared values (the app\'s defaults, its release\'s, a sandbox\'s overrides; '
    + 'manifest.json `flags`), Argo CD ignores changes to its data, and the hourly reset writes the declared values back '
    + 'before the app scales up. A ConfigMap that differs from the declaration, or a reset whose flags step is missing, '
    + 'changed, re-pointed or run after the scale-up, leaves the next prospect on someone else\'s flags — or on flags '
    + 'nobody reviewed.',
  fix: 'Declare flag values in the App (`flags`) or the releases file, and leave the flags ConfigMap and the reset CronJob as tierkit renders them.',
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const env of g.envs) {
      if (!needsResetRevoke(g, env)) continue;
      const ns = env.names.namespace;
      const name = flagsConfigMapName(env);
      const declared = env.flags ?? {};
      const maps = k8sNamed(g, 'ConfigMap', ns, name);
      if (maps.length !== 1) {
        out.push({ env, message: `flags ConfigMap ${ns}/${name} of ${describeEnv(env)} ${maps.length === 0 ? 'is missing: the workload has no flags to read and the reset none to restore' : `is rendered ${maps.length} times`}` });
      } else if (JSON.stringify(maps[0].object.data ?? null) !== JSON.stringify({ [FLAGS_FILE_KEY]: flagdDefinition(declared) }) || maps[0].object.binaryData !== undefined) {
        out.push({ env, source: maps[0].source, message: `flags ConfigMap ${ns}/${name} of ${describeEnv(env)} does not hold exactly the declared flags ${JSON.stringify(declared)} (key ${FLAGS_FILE_KEY})` });
      }
      const jobs = k8sNamed(g, 'CronJob', ns, resetAuthRoleName(env));
      if (jobs.length !== 1) continue; // TK125 reports a missing or repeated reset CronJob
      const where = `reset CronJob ${ns}/${jobs[0].name} of ${describeEnv(env)}`;
      const inits: Obj[] = jobs[0].object.spec?.jobTemplate?.spec?.template?.spec?.initContainers ?? [];
      const mains: Obj[] = jobs[0].object.spec?.jobTemplate?.spec?.template?.spec?.containers ?? [];
      const steps = [...inits, ...mains].filter((c) => envVars(c).TIERKIT_FLAGS_PATCH !== undefined);
      const at = inits.findIndex((c) => envVars(c).TIERKIT_FLAGS_PATCH !== undefined);
      // A template-reset sandbox restores by cloning its golden (template-reset.ts): its restore step runs that script.
      const restore = inits.findIndex((c) => [RESET_SCRIPT, TEMPLATE_RESET_SCRIPT].some((script) => sameCommand(c.command, ['/bin/bash', '-c', script])));
      const problems: string[] = [];
      if (steps.length !== 1) {
        problems.push(steps.length === 0 ? 'has no flags step: the hour\'s flag changes survive the reset' : `has ${steps.length} flags steps`);
      } else {
        const v = envVars(steps[0]);
        if (v.TIERKIT_FLAGS_PATCH !== flagsResetPatch(declared)) problems.push(`its flags step writes ${JSON.stringify(v.TIERKIT_FLAGS_PATCH)}, not the declared flags ${JSON.stringify(declared)}`);
        if (v.TIERKIT_FLAGS_CONFIGMAP !== name || v.TIERKIT_NAMESPACE !== ns) problems.push(`its flags step patches ${JSON.stringify(`${v.TIERKIT_NAMESPACE}/${v.TIERKIT_FLAGS_CONFIGMAP}`)}, not ${ns}/${name}`);
        if (!sameCommand(steps[0].command, ['/bin/bash', '-c', FLAGS_RESET_SCRIPT]) || steps[0].args !== undefined) problems.push(`container ${JSON.stringify(steps[0].name)} does not run tierkit's flags reset script as rendered`);
        if (at < 0 || restore < 0 || at < restore) problems.push('its flags step must be an init container after the restore, before the app scales back up');
      }
      for (const p of problems) out.push({ env, source: jobs[0].source, message: `${where}: ${p}` });
    }
    return out;
  },
};
