import * as naming from '../../constructs/naming';
import { Rule, RuleFinding } from './support/rule';

const KEY_ID = /^[0-9A-F]{16}$/i;

export const rule: Rule = {
  id: 'TK098',
  name: 'argocd-signature-keys',
  severity: 'error',
  title: "A human-gated tier's Argo CD AppProjects accept only commits signed by the tier's publisher (signatureKeys)",
  explanation:
    'Argo CD syncs a tier from the rendered branch. The rulesets admit only the tier\'s publisher App, but a ruleset is '
    + 'a setting of GitHub (an admin bypass, a misconfigured actor, a mirror): with `signatureKeys`, Argo CD itself refuses '
    + 'to sync a commit that the publisher\'s GPG key did not sign. For a tier whose changes need a human approval, both '
    + 'of its AppProjects (`tierkit-<tier>`, and `tierkit-<tier>-apps`, whose app of apps could otherwise rewrite the '
    + 'first) must list at least one GPG long key id, and no key another tier\'s projects list (Argo CD has one keyring: '
    + 'a shared key lets the other tier\'s publisher sign for this one). A project it cannot find or read is a finding.',
  fix: 'Declare the tier publisher\'s key ids in the estate (`tiers: [{ tier, signatureKeyIds: ["<16 hex>"] }]`) and synthesize again; sign with that key (secret TIERKIT_PUBLISHER_GPG_PRIVATE_KEY of publish-<tier>).',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    // Argo CD has one GPG keyring: a key listed by two tiers' projects lets either tier's publisher
    // sign for the other (staging's publisher, one approval, signing prod's commits).
    const keyTiers = new Map<string, Set<string>>();
    // The AppProjects once, in the graph's order: each lookup below filters them, not all ~26,000 objects (100×).
    const projects = g.kubernetes.filter((x) => x.kind === 'AppProject');
    for (const t of g.manifest.tiers) {
      for (const file of [naming.dist.k8sTierApplications(t.name), naming.dist.k8sAppOfApps(t.name)]) {
        for (const k of projects.filter((x) => x.source.file === file)) {
          const keys = k.object.spec?.signatureKeys;
          for (const x of Array.isArray(keys) ? keys : []) {
            if (typeof x?.keyID !== 'string') continue;
            const id = x.keyID.toUpperCase();
            if (!keyTiers.has(id)) keyTiers.set(id, new Set());
            keyTiers.get(id)!.add(t.name);
          }
        }
      }
    }
    for (const t of g.manifest.tiers) {
      if (!t.applyGate.human || t.applyGate.name === 'none') continue;
      // A tier without envs has no projects (TK112 expects none either).
      if (!g.envs.some((e) => e.tier === t.name)) continue;
      const expected = [
        { name: naming.argoProjectName(t.name), file: naming.dist.k8sTierApplications(t.name) },
        { name: naming.argoAppsProjectName(t.name), file: naming.dist.k8sAppOfApps(t.name) },
      ];
      for (const exp of expected) {
        const found = projects.filter((k) => k.name === exp.name && k.source.file === exp.file);
        if (found.length === 0) {
          out.push({ source: { file: exp.file, pointer: '' }, message: `AppProject "${exp.name}" of human-gated tier ${t.name} is not in ${exp.file}: whether Argo CD requires signed commits cannot be read` });
          continue;
        }
        for (const k of found) {
          const keys = k.object.spec?.signatureKeys;
          const ids = Array.isArray(keys) ? keys.map((x: any) => x?.keyID) : [];
          if (ids.length === 0) {
            out.push({ source: { file: k.source.file, pointer: `${k.source.pointer ?? ''}/spec/signatureKeys` }, message: `AppProject "${exp.name}" of human-gated tier ${t.name} has no signatureKeys: Argo CD syncs any commit of the rendered branch, signed or not` });
          } else if (ids.some((id: unknown) => typeof id !== 'string' || !KEY_ID.test(id))) {
            out.push({ source: { file: k.source.file, pointer: `${k.source.pointer ?? ''}/spec/signatureKeys` }, message: `AppProject "${exp.name}" of human-gated tier ${t.name} lists signatureKeys ${JSON.stringify(keys)}: each must be { keyID: <16 hex digits> }` });
          }
          for (const id of ids) {
            const shared = typeof id === 'string' ? [...(keyTiers.get(id.toUpperCase()) ?? [])].filter((x) => x !== t.name).sort() : [];
            if (shared.length > 0) {
              out.push({ source: { file: k.source.file, pointer: `${k.source.pointer ?? ''}/spec/signatureKeys` }, message: `AppProject "${exp.name}" of human-gated tier ${t.name} trusts key ${id}, which tier ${shared.join(', ')} also trusts: that tier's publisher could sign ${t.name}'s commits` });
            }
          }
        }
      }
    }
    return out;
  },
};
