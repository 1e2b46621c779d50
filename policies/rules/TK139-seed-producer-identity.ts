import * as naming from '../../constructs/naming';
import type { EstateGraph } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';
import { DeclaredProducer, declaredProducers } from './support/seed-producers';

/** What the producer's own policy grants, exactly (constructs/lifecycle/producers.ts, producerPolicyRules). */
function expectedRules(g: EstateGraph, p: DeclaredProducer): string[] {
  const kv = g.manifest.estate?.vault?.kvMount ?? 'kvv2';
  return [
    ...(p.kind === 'sanitized' ? [`${kv}/data/${naming.seedHashKvSecretName(p.env.app, 'golden')} [read]`] : []),
    `${kv}/data/${naming.seedHashKvSecretName(p.env.app, p.seed)} [create, update]`,
  ].sort();
}

function identityProblems(g: EstateGraph, p: DeclaredProducer): string[] {
  const problems: string[] = [];
  const v = g.manifest.estate?.vault;
  const ns = p.env.names.namespace;
  const policies = g.vaultPolicies.filter((x) => x.name === p.name);
  if (policies.length !== 1) problems.push(`Vault policy "${p.name}" is declared ${policies.length} times, not once`);
  for (const x of policies) {
    if (x.stack.env?.slug !== p.env.slug) problems.push(`Vault policy "${p.name}" is declared by stack ${x.stack.name}, not by ${p.env.slug}'s own stack`);
    if (x.parseError !== undefined) { problems.push(`Vault policy "${p.name}" cannot be read (${x.parseError})`); continue; }
    const got = x.rules.map((r) => `${r.written ?? r.path} [${[...r.capabilities].sort().join(', ')}]`).sort();
    const want = expectedRules(g, p);
    if (got.join('\n') !== want.join('\n')) problems.push(`Vault policy "${p.name}" grants ${JSON.stringify(got)}: exactly ${JSON.stringify(want)}`);
  }
  let held = 0;
  for (const r of g.authRoles) {
    if (!r.policies.includes(p.name) && r.name !== p.name) continue;
    held++;
    const who = `${r.kind} auth role "auth/${r.backend}/role/${r.name}"`;
    if (r.kind !== 'kubernetes' || r.name !== p.name || r.backend !== v?.kubernetesAuthPath || r.stack.env?.slug !== p.env.slug) {
      problems.push(`${who} (stack ${r.stack.name}) hands out or takes the producer's name: only "auth/${v?.kubernetesAuthPath}/role/${p.name}" of ${p.env.slug}'s stack may`);
      continue;
    }
    if (r.policies.length !== 1 || r.policies[0] !== p.name) problems.push(`${who} hands out ${JSON.stringify(r.policies)}: the producer's role hands out "${p.name}" alone`);
    if (r.serviceAccounts.length !== 1 || r.serviceAccounts[0] !== p.name) problems.push(`${who} admits service accounts ${JSON.stringify(r.serviceAccounts)}, not exactly ["${p.name}"]`);
    if (r.namespaces.length !== 1 || r.namespaces[0] !== ns || r.namespaceSelector !== undefined) {
      problems.push(`${who} admits namespaces ${JSON.stringify(r.namespaces)}${r.namespaceSelector !== undefined ? ' and a namespace selector' : ''}, not exactly ["${ns}"]`);
    }
  }
  if (held === 0) problems.push(`no Kubernetes auth role "${p.name}" is declared: the producer could not publish, and who holds its policy cannot be judged`);
  return problems;
}

export const rule: Rule = {
  id: 'TK139',
  name: 'seed-producer-identity',
  severity: 'error',
  title: 'A seed producer runs where its data class allows, and its Vault identity writes only its own seed\'s hashes',
  explanation:
    "A producer's published hashes are what every reset of its seed trusts. So the manifest's producers are held to their "
    + 'place — a synthetic producer in a tier env of a non-live tier (it is made from nothing live), a sanitized producer in '
    + "its app's prod env beside the golden dump (the golden never leaves prod's namespace unsanitized), never a sandbox, one "
    + 'producer per seed, named as tierkit derives — and to their identity: its Vault policy, declared by its own env\'s '
    + 'stack, grants exactly create/update on its own seed\'s hash secret (and, for a sanitized producer, read on the '
    + "golden's), so it reaches no credential, no live env and no other seed; exactly one Kubernetes auth role, its own, "
    + 'hands that policy out, to its own service account in its own namespace.',
  fix: 'Let tierkit render the producer and its identity (App.synthetic, App.sanitized); never widen its policy or hand it out from another role.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const index = declaredProducers(g);
    const at = (slug: string) => ({ file: 'manifest.json', pointer: `/appEnvironments/${(g.manifest.appEnvironments ?? []).findIndex((e) => e.slug === slug)}/seedProducers` });
    for (const p of index.problems) out.push({ env: p.env, source: at(p.env.slug), message: `seed producer: ${p.message}` });
    for (const p of index.valid) {
      for (const message of identityProblems(g, p)) out.push({ env: p.env, source: at(p.env.slug), message: `seed producer "${p.name}" (${p.seed}): ${message}` });
    }
    return out;
  },
};
