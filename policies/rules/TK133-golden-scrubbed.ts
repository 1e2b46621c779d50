import { GOLDEN_DUMP_SCRIPT } from '../../constructs/lifecycle/scripts';
import { isReason } from '../../contract/tiers';
import { podTemplates, templatePointer } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { predicateProblem } from '../../contract/sql-predicate';
import { seedVolumes } from './support/seed-store';
import { goldenPodProblems } from './support/lifecycle-pods';

/** A literal as constructs/scrub.ts writes it. */
const LIT = "'((?:[^']|'')*)'";
const COLUMN_CALL = new RegExp(`^SELECT pg_temp\\.tk_scrub_column\\(${LIT}, ${LIT}, ${LIT}, (?:NULL|${LIT})\\);$`);
const DELETE_CALL = new RegExp(`^SELECT pg_temp\\.tk_scrub_delete\\(${LIT}, ${LIT}\\);$`);

/**
 * Why the scrub SQL is not only tierkit's scrub calls (at least one, constructs/scrub.ts) with
 * predicates tierkit reads (contract/sql-predicate.ts: the predicate runs in a pod holding prod's
 * credential, as a role without superuser on the throwaway server, and must stay reviewable);
 * undefined when it is.
 */
function scrubSqlProblem(sql: string): string | undefined {
  const lines = sql.split('\n');
  for (const line of lines) {
    if (COLUMN_CALL.test(line)) continue;
    const del = DELETE_CALL.exec(line);
    if (!del) return JSON.stringify(line.slice(0, 80));
    const problem = predicateProblem(del[2].replace(/''/g, "'"));
    if (problem) return `the delete predicate on ${del[1]} ${problem}`;
  }
  return lines.length > 0 ? undefined : 'it is empty';
}
const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

export const rule: Rule = {
  id: 'TK133',
  name: 'golden-scrubbed',
  severity: 'error',
  title: "The golden is written only by tierkit's golden dump, which scrubs it (or a reason says why it need not)",
  explanation:
    "The golden leaves prod's namespace for a sandbox of a lower tier. The decision record accepts prod-shaped data "
    + "there, never prod credentials: password hashes, API keys and tokens log in to prod or act on real customers. So "
    + "every container that can write a golden seed volume must be tierkit's golden dump script, whose scrub rules "
    + "(TIERKIT_SCRUB_SQL, rendered from the app's `scrub`) run before the dump reaches the volume; an app without scrub "
    + 'rules needs a reasoned `scrubReason`, which the report lists as an exception. A volume or command tierkit cannot '
    + 'tie to that script is a finding. The script trusts its pod, so the pod is compared whole with what tierkit renders '
    + 'from the manifest: every Vault agent annotation (the credentials file it sources), env var, mount, image and '
    + 'container, the publish step included.',
  fix: "Declare the app's credential tables and columns in `scrub` (or `scrubReason`), and let only tierkit's golden dump write the golden.",
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const golden = seedVolumes(g).filter((v) => v.seed?.seed === 'golden' && v.writable && v.namespace);
    const claims = new Set(golden.map((v) => `${v.namespace}/${v.pv.object.spec?.claimRef?.name}`));
    if (claims.size === 0) return out;
    for (const t of podTemplates(g).templates) {
      const ns = t.object.namespace ?? t.object.object.metadata?.namespace;
      const spec = t.template.spec ?? {};
      const volumes: any[] = Array.isArray(spec.volumes) ? spec.volumes : [];
      const goldenVolumes = new Map(volumes.filter((v) => claims.has(`${ns}/${v?.persistentVolumeClaim?.claimName}`)).map((v) => [v.name, v]));
      if (goldenVolumes.size === 0) continue;
      const env = typeof ns === 'string' ? g.index.byNamespace.get(ns) : undefined;
      let writer = false;
      const before = out.length;
      for (const list of CONTAINER_LISTS) {
        (Array.isArray(spec[list]) ? spec[list] : []).forEach((c: any, i: number) => {
          const mounts = (Array.isArray(c?.volumeMounts) ? c.volumeMounts : []).filter((m: any) => goldenVolumes.has(m?.name));
          const writes = mounts.some((m: any) => m.readOnly !== true && goldenVolumes.get(m.name)?.persistentVolumeClaim?.readOnly !== true);
          if (!writes) return;
          writer = true;
          const source = templatePointer(t, `/spec/${list}/${i}`);
          const where = `${t.object.kind} "${ns}/${t.object.name}" container "${c?.name}"`;
          const command = Array.isArray(c?.command) ? c.command : [];
          const args = Array.isArray(c?.args) ? c.args : [];
          if (command.length !== 3 || command[0] !== '/bin/bash' || command[1] !== '-c' || command[2] !== GOLDEN_DUMP_SCRIPT || args.length > 0) {
            out.push({ env, source, message: `${where} can write the golden seed but does not run tierkit's golden dump script: nothing says it scrubs what it writes` });
            return;
          }
          const vars: any[] = Array.isArray(c?.env) ? c.env : [];
          const scrub = vars.filter((v) => v?.name === 'TIERKIT_SCRUB_SQL');
          const sql = scrub.length === 1 && scrub[0].valueFrom === undefined ? scrub[0].value : undefined;
          const problem = typeof sql === 'string' && sql !== '' ? scrubSqlProblem(sql) : undefined;
          if (typeof sql === 'string' && sql !== '' && !problem) return;
          const reason = env?.exceptions.find((e) => e.kind === 'scrub' && isReason(e.reason));
          if ((sql === undefined || sql === '') && scrub.length <= 1 && reason) return;
          out.push({
            env, source,
            message: `${where} writes the golden ${sql ? `with TIERKIT_SCRUB_SQL that is not tierkit's scrub calls (${problem})` : 'without scrub rules'}`
              + `${env ? ` and ${describeEnv(env)} declares no reasoned scrubReason` : ''}: prod's credentials would reach the sandboxes it seeds`,
          });
        });
      }
      // The script trusts its pod: the credentials file it sources, its paths, the publish step.
      // Once per pod, and only when no writer was already refused (a swapped script is named once).
      const pod = writer && out.length === before ? goldenPodProblems(g, t, env) : [];
      if (pod.length > 0) {
        out.push({
          env, source: templatePointer(t, ''),
          message: `${t.object.kind} "${ns}/${t.object.name}" writes the golden but is not tierkit's golden dump pod: ${pod.join('; ')}`,
        });
      }
    }
    return out;
  },
};
