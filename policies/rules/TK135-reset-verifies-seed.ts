import { RESET_SCRIPT, SEED_HASH_FILE, seedHashTemplate } from '../../constructs/lifecycle/scripts';
import { SANITIZE_SCRIPT } from '../../constructs/lifecycle/seed-scripts';
import { previewSeedScript } from '../../constructs/lifecycle/preview-scripts';
import * as naming from '../../constructs/naming';
import { podTemplates, templatePointer } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { seedVolumes } from './support/seed-store';
import { goldenLoadPodProblems, resetPodProblems } from './support/lifecycle-pods';
// A template-reset sandbox's reset runs the template script; resetPodProblems then expects exactly it for that env.
import { GOLDEN_TEMPLATE_LOAD_SCRIPT, TEMPLATE_RESET_SCRIPT } from '../../constructs/lifecycle/template-reset';

const A = 'vault.hashicorp.com/';
const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;

export const rule: Rule = {
  id: 'TK135',
  name: 'reset-verifies-seed',
  severity: 'error',
  title: "Only tierkit's reset reads a seed, and it checks the dump against the hashes its producer published",
  explanation:
    'A seed dump is run by pg_restore: what it holds executes as the env\'s group. The reset refuses a dump whose sha256 '
    + "differs from the one in the seed's KV secret, which only the producer writes (TK132) — but only if the reset is "
    + "tierkit's script and its Vault agent renders that very secret; so the reset's pod is compared whole with what tierkit "
    + 'renders from the manifest (every Vault agent annotation, no `agent-inject-file-*`, every env var, mount and image). '
    + "A container that mounts a seed claim without being "
    + "tierkit's reset, or a reset whose hashes come from another path or template, restores what it cannot verify.",
  fix: "Let only tierkit's reset Job mount the seed; keep its seed annotations as tierkit renders them.",
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const kv = g.manifest.estate?.vault?.kvMount ?? 'kvv2';
    const bySeedClaim = new Map(seedVolumes(g).filter((v) => v.seed && v.namespace)
      .map((v) => [`${v.namespace}/${v.pv.object.spec?.claimRef?.name}`, v]));
    for (const t of podTemplates(g).templates) {
      const ns = t.object.namespace ?? t.object.object.metadata?.namespace;
      const spec = t.template.spec ?? {};
      // The filter, then the map, as before, but nothing allocated for the ~2,500 of 3,000 templates (100×) that mount no seed.
      let matched: any[] | undefined;
      for (const v of (Array.isArray(spec.volumes) ? spec.volumes : []) as any[]) {
        if (bySeedClaim.has(`${ns}/${v?.persistentVolumeClaim?.claimName}`)) (matched ??= []).push(v);
      }
      if (matched === undefined) continue;
      const seeds = new Map(matched.map((v: any) => [v.name, bySeedClaim.get(`${ns}/${v.persistentVolumeClaim.claimName}`)!]));
      const env = typeof ns === 'string' ? g.index.byNamespace.get(ns) : undefined;
      const ann: Record<string, unknown> = t.template.metadata?.annotations ?? {};
      for (const list of CONTAINER_LISTS) {
        (Array.isArray(spec[list]) ? spec[list] : []).forEach((c: any, i: number) => {
          const mounted = (Array.isArray(c?.volumeMounts) ? c.volumeMounts : []).map((m: any) => seeds.get(m?.name)).filter(Boolean);
          if (mounted.length === 0) return;
          const v = mounted[0]!;
          if (v.writable) return; // the golden's writer: TK131, TK133
          const where = `${t.object.kind} "${ns}/${t.object.name}" container "${c?.name}"`;
          const source = templatePointer(t, `/spec/${list}/${i}`);
          const command = Array.isArray(c?.command) ? c.command : [];
          // The sanitized producer reads the golden: TK138 compares its pod whole (and refuses it anywhere but its producer's).
          if (command.length === 3 && command[2] === SANITIZE_SCRIPT) return;
          // The preview Jobs' seed step (previewSeedScript) verifies the same hashes; TK179 compares its Job whole.
          const previewSeed = ns === naming.PREVIEW_JOBS_NAMESPACE && command.length === 3 && command[0] === 'bash' && command[1] === '-c'
            && command[2] === previewSeedScript(v.seed!.app) && (c?.args ?? []).length === 0;
          const reset = command.length === 3 && command[0] === '/bin/bash' && command[1] === '-c'
            && [RESET_SCRIPT, TEMPLATE_RESET_SCRIPT, GOLDEN_TEMPLATE_LOAD_SCRIPT].includes(command[2]) && (c?.args ?? []).length === 0;
          if (!previewSeed && !reset) {
            out.push({ env, source, message: `${where} mounts seed "${v.seed!.seed}" but is not tierkit's reset: what it does with the dump is not verified against the published hashes` });
            return;
          }
          const path = `${kv}/data/${naming.seedHashKvSecretName(v.seed!.app, v.seed!.seed)}`;
          const hashFile = (Array.isArray(c?.env) ? c.env : []).filter((e: any) => e?.name === 'TIERKIT_SEED_HASH_FILE');
          const problems = [
            ann[`${A}agent-inject-secret-seed`] !== path ? `its seed hashes come from ${JSON.stringify(ann[`${A}agent-inject-secret-seed`] ?? null)}, not ${JSON.stringify(path)}` : '',
            ann[`${A}agent-inject-template-seed`] !== seedHashTemplate(path) ? 'its seed hash template is not the one tierkit renders' : '',
            hashFile.length !== 1 || hashFile[0].value !== SEED_HASH_FILE ? `TIERKIT_SEED_HASH_FILE is not ${SEED_HASH_FILE}` : '',
          ].filter(Boolean);
          // The script trusts its pod: the hash file the agent renders, the dump path, the credentials.
          if (problems.length === 0 && !previewSeed) {
            problems.push(...(command[2] === GOLDEN_TEMPLATE_LOAD_SCRIPT ? goldenLoadPodProblems(g, t, env, v.seed!.seed) : resetPodProblems(g, t, env, v.seed!.seed)));
          }
          if (problems.length > 0) out.push({ env, source, message: `${where}${env ? ` (${describeEnv(env)})` : ''} restores seed "${v.seed!.seed}" but ${problems.join('; ')}` });
        });
      }
    }
    return out;
  },
};
