import { isLiveTier } from '../../contract/tiers';
import type { Env, EstateGraph, Source } from '../graph/types';
import { podTemplates, templatePointer } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv } from './support/rule';

/**
 * Names of an app's instance or encryption key: what ties encrypted columns and sessions to one
 * instance (Dolibarr's `DOLI_INSTANCE_UNIQUE_ID`, Laravel's `APP_KEY`, Rails' `SECRET_KEY_BASE`, …).
 */
const KEY_NAME = /(INSTANCE_UNIQUE_ID|INSTANCE_KEY|ENCRYPTION_KEY|CRYPT(O)?_KEY|SECRET_KEY|APP_KEY|MASTER_KEY)/i;

interface KeyValue { readonly env: Env; readonly name: string; readonly value: string; readonly source: Source }

/** Literal instance-key values of every env: its pods' env vars and its KV config. */
function keyValues(g: EstateGraph): KeyValue[] {
  const out: KeyValue[] = [];
  for (const t of podTemplates(g).templates) {
    const ns = t.object.namespace ?? t.object.object.metadata?.namespace;
    const env = typeof ns === 'string' ? g.index.byNamespace.get(ns) : undefined;
    if (!env) continue;
    for (const list of ['initContainers', 'containers'] as const) {
      const cs: any[] = Array.isArray(t.template.spec?.[list]) ? t.template.spec![list] : [];
      cs.forEach((c, i) => (Array.isArray(c?.env) ? c.env : []).forEach((v: any, j: number) => {
        if (typeof v?.name === 'string' && KEY_NAME.test(v.name) && typeof v.value === 'string' && v.value !== '') {
          out.push({ env, name: v.name, value: v.value, source: templatePointer(t, `/spec/${list}/${i}/env/${j}`) });
        }
      }));
    }
  }
  for (const k of g.kvSecrets) {
    const env = k.stack.env;
    if (!env || !k.data) continue;
    for (const [name, value] of Object.entries(k.data)) {
      if (KEY_NAME.test(name) && typeof value === 'string' && value !== '') out.push({ env, name, value, source: k.source });
    }
  }
  return out;
}

export const rule: Rule = {
  id: 'TK134',
  name: 'instance-key-separation',
  severity: 'error',
  title: "No env of an app shares prod's instance or encryption key",
  explanation:
    "A golden brings prod-shaped data into a sandbox, never prod's keys: with prod's instance key (Dolibarr's "
    + 'DOLI_INSTANCE_UNIQUE_ID, an APP_KEY, a SECRET_KEY_BASE) the sandbox decrypts prod\'s encrypted fields and mints '
    + "sessions or tokens prod accepts. The decision record makes the sandbox's own key the default and prod's an "
    + "opt-in it does not take. Any env var or KV config value named like an instance key that equals prod's is reported.",
  fix: "Give each env its own key (its own KV config or Secret); never copy prod's.",
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const values = keyValues(g);
    // Prod by data class (contract/tiers.ts): every live env's keys are prod's keys. Only the env that
    // holds a key may hold it: another live env sharing it is reported too (a relabel never exempts).
    const prod = new Map<string, KeyValue[]>();
    for (const v of values) if (isLiveTier(g.tiers, v.env.tier) && !v.env.sandbox) prod.set(v.env.app, [...(prod.get(v.env.app) ?? []), v]);
    for (const v of values) {
      const same = (prod.get(v.env.app) ?? []).find((p) => p.value === v.value && p.env.slug !== v.env.slug);
      if (same) {
        out.push({ env: v.env, source: v.source, message: `${describeEnv(v.env)} sets ${v.name} to the value prod ${v.env.app} uses for ${same.name}: the sandbox would hold prod's instance key` });
      }
    }
    return out;
  },
};
