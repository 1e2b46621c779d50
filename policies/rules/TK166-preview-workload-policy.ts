import type { Env, EstateGraph, VaultPolicy } from '../graph/types';
import { previewHost } from './support/previews';
import { expectedWorkloadLogin, policyText } from './support/preview-workload';
import { Rule, RuleFinding } from './support/rule';

const TEMPLATE = /\{\{\s*([^}]*?)\s*\}\}/g;

/**
 * Why a workload policy that is not tierkit's text could reach another PR's credential: each
 * `path` judged against the one tierkit writes (read on `<db>/creds/` + the alias's namespace).
 */
function templateProblems(text: string, exp: { credsPath: string; accessor: string }, db: string): string[] {
  const out: string[] = [];
  const paths = [...text.matchAll(/path\s+"([^"]*)"/g)].map((m) => m[1]);
  if (paths.length !== 1) out.push(`holds ${paths.length} paths; exactly one, "${exp.credsPath}"`);
  const key = `identity.entity.aliases.${exp.accessor}.metadata.service_account_namespace`;
  for (const path of paths) {
    const templates = [...path.matchAll(TEMPLATE)].map((m) => m[1]);
    if (templates.length === 0) out.push(`path "${path}" is not templated: the same path for every PR`);
    for (const t of templates) {
      if (t === key) continue;
      if (/\.metadata\.service_account_name$/.test(t) || /service_account_(uid|secret_name)$/.test(t)) out.push(`path "${path}" is templated on "${t}": not the namespace, so it does not follow which PR the pod belongs to`);
      else if (t.startsWith('identity.entity.aliases.') && !t.startsWith(`identity.entity.aliases.${exp.accessor}.`)) out.push(`path "${path}" names mount accessor "${t.split('.')[3]}", not the Kubernetes auth mount's "${exp.accessor}" from the manifest: another mount's alias metadata is not a Kubernetes namespace`);
      else out.push(`path "${path}" is templated on "${t}"; exactly "${key}"`);
    }
    const rest = path.replace(TEMPLATE, '');
    if (rest !== `${db}/creds/`) out.push(`path "${path}" is "${db}/creds/" + the namespace and nothing else: around the template, "${rest}" could reach another PR's creds (a "*" or "+" after it widens it, and an empty value renders "${rest}")`);
  }
  const caps = [...text.matchAll(/capabilities\s*=\s*\[([^\]]*)\]/g)].map((m) => m[1].replace(/\s/g, ''));
  if (caps.some((c) => c !== '"read"')) out.push(`grants capabilities ${caps.map((c) => `[${c}]`).join(', ')}; exactly ["read"]`);
  return out;
}

function policiesNamed(g: EstateGraph, name: string): VaultPolicy[] {
  return g.vaultPolicies.filter((p) => p.name === name);
}

export const rule: Rule = {
  id: 'TK166',
  name: 'preview-workload-policy',
  severity: 'error',
  title: 'The preview workload policy `<app>-pr-workload` is exactly tierkit\'s template: read on `<db>/creds/` + the Kubernetes auth alias\'s namespace, nothing else',
  explanation:
    'The policy is templated (Vault renders it per request): `<db>/creds/{{identity.entity.aliases.<accessor>.metadata.service_account_namespace}}`. '
    + 'The Kubernetes auth method sets that metadata from the token review (vault-plugin-auth-kubernetes path_login.go), the '
    + 'auth role admits only namespaces `<app>-pr-*` (TK164), and a namespace name is unique in the cluster: the pod of PR 7 '
    + 'reads `<app>-pr-7`\'s credential and no other. Any other template breaks that: the service account name is not the PR, '
    + 'another mount\'s accessor is not a Kubernetes namespace, a glob or `+` after the template widens it (and an empty '
    + 'value renders the bare prefix), a second path or capability reaches more. tierkit cannot read a templated policy as '
    + 'Vault does in general (TK070), so only its own text, byte for byte, is accepted.',
  fix: 'Keep what tierkit writes for `App.previews` (policy "<app>-pr-workload"); never edit it or declare it elsewhere.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const db = g.manifest.estate.vault.databaseMount;
    g.envs.forEach((env: Env, i) => {
      if (env.previews === undefined || env.previews === null || typeof env.app !== 'string') return;
      const exp = expectedWorkloadLogin(g, env);
      const name = exp?.name ?? `${env.app}-pr-workload`;
      const named = policiesNamed(g, name);
      if (!exp) {
        for (const p of named) out.push({ env, source: p.source, message: `Vault policy "${p.name}" (stack ${p.stack.name}) is app ${env.app}'s preview workload policy, but the manifest gives no Kubernetes auth accessor: tierkit renders none` });
        return;
      }
      const own = named.filter((p) => previewHost(p.stack) === env);
      if (own.length !== 1) {
        out.push({ env, source: { file: 'manifest.json', pointer: `/appEnvironments/${i}/previews`, constructPath: env.constructPath }, message: `previews of app ${env.app}: stack ${env.stack} declares ${own.length} Vault policies "${name}"; exactly one is the preview workload's` });
      }
      for (const p of named.filter((x) => !own.includes(x))) out.push({ env, source: p.source, message: `Vault policy "${p.name}" (app ${env.app}'s preview workload policy) is declared again in stack ${p.stack.name}` });
      for (const p of own) {
        const text = policyText(g, p);
        if (p.via !== undefined || text === undefined) {
          out.push({ env, source: p.source, message: `preview workload policy "${p.name}" is ${p.via ? `rendered from ${p.via}` : 'not one literal text'}; exactly tierkit's text` });
          continue;
        }
        if (text === exp.policyText) continue;
        const why = templateProblems(text, exp, db);
        out.push({ env, source: { ...p.source, pointer: `${p.source.pointer}/policy` }, message: `preview workload policy "${p.name}" is not tierkit's text${why.length ? `: ${why.join('; ')}` : ' (it reads the same path, in other words: only tierkit\'s text is read with certainty)'}` });
      }
    });
    return out;
  },
};
