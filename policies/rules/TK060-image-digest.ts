import { EstateGraph } from '../graph/types';
import { IMAGE_BY_DIGEST } from '../../contract/images';
import { isLiveTier } from '../../contract/tiers';
import { FoundTemplate, podTemplates, templatePointer } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv, envOfNamespace } from './support/rule';
import { ownersOfPath } from './support/vault-reach';

const AGENT = 'vault.hashicorp.com/';

/**
 * Why a pod template's images must be pinned: it runs in a live tier's namespace, or its Vault
 * agent fetches a secret of a live env (the golden dump's read-all credential, a promote
 * credential) — or a path no env owns, which cannot be shown not to be one. Undefined: neither.
 */
function holdsLive(g: EstateGraph, t: FoundTemplate): string | undefined {
  const env = envOfNamespace(g, t.object.namespace);
  if (isLiveTier(g.tiers, env?.tier)) return `namespace ${t.object.namespace} is of live tier ${env!.tier}`;
  const annotations: Record<string, unknown> = t.template.metadata?.annotations ?? {};
  for (const k of Object.keys(annotations)) {
    const path = annotations[k];
    if (!k.startsWith(`${AGENT}agent-inject-secret-`)) continue;
    if (typeof path !== 'string') return `its Vault agent annotation ${k} is not a path`;
    const owners = ownersOfPath(g, path);
    if (owners.length === 0) return `its Vault agent reads ${path}, which no env owns`;
    const live = owners.find((o) => o.owner.kind === 'env' && isLiveTier(g.tiers, o.owner.env.tier));
    if (live && live.owner.kind === 'env') return `its Vault agent reads ${path}, a secret of live env ${live.owner.env.slug}`;
  }
  return undefined;
}

export const rule: Rule = {
  id: 'TK060',
  name: 'image-digest',
  severity: 'error',
  title: 'Every container that runs on live data, or holds a live credential, names its image by digest',
  explanation:
    'A tag is a pointer its registry owner can move: the next pull of `postgres:16` or `app:1.2` runs whatever was pushed '
    + 'last, with the pod\'s credentials — on prod, the app\'s; in the golden dump, a read-all credential on prod. Only a '
    + 'digest (`repo:tag@sha256:…`) names the bytes that were reviewed. Kept out of dist, the injected Vault agent\'s image '
    + 'comes from the injector\'s configuration, unless the pod names one (vault.hashicorp.com/agent-image): then it is judged too.',
  fix: 'Pin the image: `<repo>:<tag>@sha256:<digest>` (an app\'s image or its release on live tiers; tierkit\'s own Job images are pinned in constructs/lifecycle/images.ts).',
  suppressible: false,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    for (const t of podTemplates(g).templates) {
      const why = holdsLive(g, t);
      if (why === undefined) continue;
      const o = t.object;
      const env = envOfNamespace(g, o.namespace);
      const where = `${o.kind} ${o.namespace ?? ''}/${o.name} (${describeEnv(env)})`;
      for (const list of ['initContainers', 'containers', 'ephemeralContainers'] as const) {
        const containers: unknown = t.template.spec?.[list as 'containers'];
        if (containers === undefined) continue;
        if (!Array.isArray(containers)) {
          out.push({ env, source: templatePointer(t, `/spec/${list}`), message: `${where}: spec.${list} is not a list, so its images cannot be read (${why})` });
          continue;
        }
        containers.forEach((c: any, i: number) => {
          const image: unknown = c?.image;
          if (typeof image === 'string' && IMAGE_BY_DIGEST.test(image)) return;
          out.push({
            env, source: templatePointer(t, `/spec/${list}/${i}/image`),
            message: `${where}: container ${c?.name ?? i} runs ${JSON.stringify(image ?? null)}, not an image by digest (${why})`,
          });
        });
      }
      const agentImage = t.template.metadata?.annotations?.[`${AGENT}agent-image`];
      if (agentImage !== undefined && !(typeof agentImage === 'string' && IMAGE_BY_DIGEST.test(agentImage))) {
        out.push({ env, source: templatePointer(t, '/metadata/annotations'), message: `${where}: the injected Vault agent runs ${JSON.stringify(agentImage)} (${AGENT}agent-image), not an image by digest (${why})` });
      }
    }
    return out;
  },
};
