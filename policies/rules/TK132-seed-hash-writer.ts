import * as naming from '../../constructs/naming';
import { isProdTier } from '../../contract/tiers';
import { overlapWitness } from '../graph/vault-paths';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { declaredProducers } from './support/seed-producers';

const WRITE = new Set(['create', 'update', 'patch', 'sudo']);

export const rule: Rule = {
  id: 'TK132',
  name: 'seed-hash-writer',
  severity: 'error',
  title: "Only a seed's producer may write the seed's published hashes",
  explanation:
    "A reset checks the seed dump against the hashes in the seed's KV secret (`<kv>/data/tierkit-seeds/<app>/<seed>`) "
    + 'before restoring it. Whoever can write both the dump and those hashes can swap the seed unnoticed, so no Vault '
    + "policy may write there except the golden dump's own policy (prod env of the app), on its app's golden only; no "
    + 'Terraform stack may declare such a secret (the applier would write it). A synthetic or sanitized seed\'s hashes are '
    + 'written only by the policy of its producer as the manifest declares it (create/update on exactly that path).',
  fix: 'Remove the write capability (or the KV secret) on the seed hash path; read access is enough for a reset.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const kv = g.manifest.estate?.vault?.kvMount ?? 'kvv2';
    const seedsGlob = `${kv}/data/${naming.SEED_HASH_KV_ROOT}/*`;
    for (const p of g.vaultPolicies) {
      if (p.parseError) continue; // TK070 reports what cannot be read
      const env = p.stack.env;
      for (const r of p.rules) {
        if (r.capabilities.includes('deny') || !r.capabilities.some((c) => WRITE.has(c))) continue;
        const witness = overlapWitness(r.path, seedsGlob);
        if (witness === undefined) continue;
        const producer = env && isProdTier(g.tiers, env.tier) && !env.sandbox && p.name === naming.goldenDumpName({ app: env.app, env: env.env })
          && r.path === `${kv}/data/${naming.seedHashKvSecretName(env.app, 'golden')}`;
        // A declared seed producer (TK139 judges where it runs): its own seed's hashes, nothing else.
        const seedProducer = env && declaredProducers(g).valid.some((q) => q.env.slug === env.slug && q.name === p.name
          && r.path === `${kv}/data/${naming.seedHashKvSecretName(env.app, q.seed)}` && r.capabilities.every((c) => c === 'create' || c === 'update'));
        if (producer || seedProducer) continue;
        out.push({
          env, source: p.source,
          message: `Vault policy "${p.name}"${env ? ` (${describeEnv(env)})` : ''} grants ${r.capabilities.filter((c) => WRITE.has(c)).join(', ')} on "${r.written ?? r.path}", which reaches the seed hash "${witness}": only the golden dump of the app's prod env may write its golden's hashes`,
        });
      }
    }
    for (const s of g.kvSecrets) {
      if (s.mount !== kv || !s.name.replace(/^\/+/, '').startsWith(`${naming.SEED_HASH_KV_ROOT}/`)) continue;
      out.push({ env: s.stack.env, source: s.source, message: `stack "${s.stack.name}" declares KV secret "${s.mount}/${s.name}", a seed's published hashes: its applier would write them` });
    }
    return out;
  },
};
