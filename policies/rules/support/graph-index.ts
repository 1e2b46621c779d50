/**
 * Lookups that several rules made by scanning a whole graph list once per env (quadratic at the
 * reference estate's 2,300 envs): built once per graph, shared, and answering exactly what the scan
 * did — the same items, in the list's order, matched by the same `===` comparisons (string keys).
 */
import { groupBy } from '../../graph/group';
import type { AuthRole, Env, EstateGraph, K8sObject, VaultQuota } from '../../graph/types';

const caches = new WeakMap<EstateGraph, Map<string, unknown>>();

function perGraph<T>(g: EstateGraph, name: string, build: () => T): T {
  let c = caches.get(g);
  if (!c) caches.set(g, (c = new Map()));
  if (!c.has(name)) c.set(name, build());
  return c.get(name) as T;
}

/**
 * `g.kubernetes.filter((o) => o.kind === kind && o.namespace === namespace && o.name === name)`.
 * Keys are the values themselves (a Map compares strings as `===` does), one level per field.
 */
export function k8sNamed(g: EstateGraph, kind: string, namespace: string | undefined, name: string): readonly K8sObject[] {
  // Objects by kind once; namespace and name only for the kinds asked for (two of ~15 at 26,000 objects).
  const byKind = perGraph(g, 'k8sByKind', () => {
    const m = new Map<unknown, K8sObject[]>();
    for (const o of g.kubernetes) {
      const list = m.get(o.kind);
      if (list) list.push(o);
      else m.set(o.kind, [o]);
    }
    return m;
  });
  const index = perGraph(g, 'k8sNamed', () => new Map<unknown, Map<unknown, Map<unknown, K8sObject[]>>>());
  let byNs = index.get(kind);
  if (!byNs) {
    index.set(kind, (byNs = new Map()));
    for (const o of byKind.get(kind) ?? []) {
      let byName = byNs.get(o.namespace);
      if (!byName) byNs.set(o.namespace, (byName = new Map()));
      const list = byName.get(o.name);
      if (list) list.push(o);
      else byName.set(o.name, [o]);
    }
  }
  // NaN is the one value a Map finds that `===` does not; no name or kind looked up here is one.
  return byNs.get(namespace)?.get(name) ?? [];
}

/** `g.authRoles.filter((a) => a.stack.env === env)`. */
export function authRolesOfEnv(g: EstateGraph, env: Env): readonly AuthRole[] {
  return perGraph(g, 'authRoles', () => groupBy(g.authRoles, (a) => a.stack.env)).get(env) ?? [];
}

/** `g.vaultQuotas.filter((q) => q.stack.name === stack)`. */
export function quotasOfStack(g: EstateGraph, stack: string): readonly VaultQuota[] {
  return perGraph(g, 'quotasByStack', () => groupBy(g.vaultQuotas, (q) => q.stack.name)).get(stack) ?? [];
}

/** The envs whose slug, written into a template string, is `text` (in env order). */
export function envsWithSlugText(g: EstateGraph, text: string): readonly Env[] {
  return perGraph(g, 'envsBySlugText', () => groupBy(g.envs, (e) => `${e.slug}`)).get(text) ?? [];
}

/**
 * `g.envs.filter((e) => e.names.vaultCredsPath === path || e.names.vaultCredsPath.startsWith(`${path}/`))`,
 * or undefined when an env's creds path is not a string (a hand-edited manifest: the caller then
 * scans, and fails as the scan does). `path + '/'` starts a creds path exactly when `path` is that
 * creds path cut just before one of its slashes, so each env is filed under its creds path and
 * under each such cut (all of different lengths, so never twice under one key).
 */
export function envsUnderPath(g: EstateGraph, path: string): readonly Env[] | undefined {
  const index = perGraph(g, 'envsUnderPath', () => {
    const m = new Map<string, Env[]>();
    const add = (k: string, e: Env) => {
      const list = m.get(k);
      if (list) list.push(e);
      else m.set(k, [e]);
    };
    for (const e of g.envs) {
      const creds: unknown = e.names.vaultCredsPath;
      if (typeof creds !== 'string') return undefined;
      add(creds, e);
      for (let i = creds.indexOf('/'); i >= 0; i = creds.indexOf('/', i + 1)) add(creds.slice(0, i), e);
    }
    return m;
  });
  return index === undefined ? undefined : index.get(path) ?? [];
}
