import { API_SCALER_JOBS, LABELS } from '../../constructs/naming';
import { EstateGraph } from '../graph/types';
import { podTemplates, sharesNodesWithProd, templatePointer } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv, envOfNamespace } from './support/rule';

const VAULT_AUDIENCE = 'vault';
const TOKEN_VOLUME_ANNOTATION = 'vault.hashicorp.com/agent-service-account-token-volume-name';

export const rule: Rule = {
  id: 'TK055',
  name: 'service-account-tokens',
  severity: 'error',
  title: 'No pod automounts its API token; the Vault agent alone mounts a token bound to audience "vault"',
  explanation:
    'An automounted service-account token is a credential for the API server in every container of the pod, and one any '
    + 'Kubernetes auth role without an audience accepts too: a compromised app container replays it. tierkit pods mount no API '
    + 'token, except the kubectl steps of the reset and TTL-sweep Jobs, which scale their own Deployment; the Vault agent gets a '
    + 'projected token with audience "vault" that no app container mounts (vault-k8s agent-service-account-token-volume-name).',
  fix: 'Set automountServiceAccountToken: false on the pod; give Vault-injected pods a projected serviceAccountToken volume with audience "vault" named by vault.hashicorp.com/agent-service-account-token-volume-name and mounted by no container.',
  suppressible: true,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const accounts = new Map(g.kubernetes.filter((k) => k.kind === 'ServiceAccount').map((k) => [`${k.namespace}/${k.name}`, k]));
    for (const t of podTemplates(g).templates) {
      const o = t.object;
      const env = envOfNamespace(g, o.namespace);
      const unsuppressible = sharesNodesWithProd(g, o.namespace);
      const where = `${o.kind} ${o.namespace ?? ''}/${o.name} (${describeEnv(env)})`;
      const spec = t.template.spec ?? {};
      const sa = accounts.get(`${o.namespace}/${spec.serviceAccountName ?? 'default'}`);
      const automount = spec.automountServiceAccountToken ?? sa?.object.automountServiceAccountToken ?? true;
      if (automount !== false) out.push({ env, unsuppressible, source: templatePointer(t, '/spec/automountServiceAccountToken'), message: `${where} automounts its service-account token into every container` });
      const scaler = API_SCALER_JOBS.includes(t.template.metadata?.labels?.[LABELS.job]);
      const mounted = new Set(([...(spec.initContainers ?? []), ...(spec.containers ?? [])] as any[]).flatMap((c) => (c?.volumeMounts ?? []).map((m: any) => m?.name)));
      const vaultVolumes: string[] = [];
      ((spec.volumes ?? []) as any[]).forEach((v, i) => {
        for (const s of (v?.projected?.sources ?? []) as any[]) {
          const token = s?.serviceAccountToken;
          if (!token) continue;
          if (token.audience === VAULT_AUDIENCE) {
            vaultVolumes.push(v.name);
            if (mounted.has(v.name)) out.push({ env, unsuppressible, source: templatePointer(t, `/spec/volumes/${i}`), message: `${where}: a container mounts the Vault-audience token volume ${v.name}; only the injected agent may` });
          } else if (!scaler || token.audience !== undefined) {
            out.push({ env, unsuppressible, source: templatePointer(t, `/spec/volumes/${i}`),
              message: `${where}: volume ${v.name} projects a token for audience ${token.audience === undefined ? 'of the API server' : JSON.stringify(token.audience)}; only the reset and TTL-sweep kubectl steps may mount an API token` });
          }
        }
      });
      const ann = t.template.metadata?.annotations ?? {};
      if (ann['vault.hashicorp.com/agent-inject'] === 'true' && !vaultVolumes.includes(ann[TOKEN_VOLUME_ANNOTATION])) {
        out.push({ env, unsuppressible, source: templatePointer(t, '/metadata/annotations'),
          message: `${where}: the Vault agent is injected but ${TOKEN_VOLUME_ANNOTATION} names no projected token volume with audience "vault"` });
      }
    }
    return out;
  },
};
