import { describe, expect, it } from 'vitest';
import type { EstateGraph } from '../../policies/graph/types';
import { authRolesOfEnv, envsUnderPath, envsWithSlugText, k8sNamed, quotasOfStack } from '../../policies/rules/support/graph-index';

// The indexes must answer exactly what the scans they replace answered: same items, same order.
function lcg(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
}

function graph(seed: number) {
  const rnd = lcg(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const paths = ['db/creds/a', 'db/creds/a/b', 'db/creds/ab', 'db/creds', 'db', 'db//x', 'db/creds/a/', '/lead', 'x'];
  const envs = Array.from({ length: 40 }, (_, i) => ({
    slug: pick(['a', 'b', 'a-b', 'c', 7, null]), stack: pick(['s1', 's2', 's3']),
    names: { vaultCredsPath: pick(paths), namespace: pick(['n1', 'n2']) }, i,
  }));
  const stack = () => ({ name: pick(['s1', 's2', 's3', 's4']), env: pick([...envs, undefined]) });
  const kubernetes = Array.from({ length: 200 }, () => ({ kind: pick(['CronJob', 'ConfigMap', 'Secret']), namespace: pick(['n1', 'n2', undefined]), name: pick(['r', 'f', 'r-1', '']) }));
  const authRoles = Array.from({ length: 60 }, (_, i) => ({ stack: stack(), name: pick(['r', 'q']), i }));
  const vaultQuotas = Array.from({ length: 60 }, (_, i) => ({ stack: stack(), i }));
  return { envs, kubernetes, authRoles, vaultQuotas, paths } as unknown as EstateGraph & { paths: string[] };
}

describe('graph indexes (policies/rules/support/graph-index.ts)', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`answer as the scans do (seed ${seed})`, () => {
      const g = graph(seed);
      for (const kind of ['CronJob', 'ConfigMap', 'Secret', 'Pod']) {
        for (const ns of ['n1', 'n2', undefined]) {
          for (const name of ['r', 'f', 'r-1', '', 'zz']) {
            expect(k8sNamed(g, kind, ns, name)).toEqual(g.kubernetes.filter((o) => o.kind === kind && o.namespace === ns && o.name === name));
          }
        }
      }
      for (const env of g.envs) expect(authRolesOfEnv(g, env)).toEqual(g.authRoles.filter((a) => a.stack.env === env));
      for (const s of ['s1', 's2', 's3', 's4', 's5']) expect(quotasOfStack(g, s)).toEqual(g.vaultQuotas.filter((q) => q.stack.name === s));
      for (const slug of ['a', 'b', 'a-b', 'c', '7', 'null', 'd']) expect(envsWithSlugText(g, slug)).toEqual(g.envs.filter((e) => `${e.slug}` === slug));
      for (const path of [...g.paths, 'db/cr', 'db/creds/a/b/c', 'db/']) {
        expect(envsUnderPath(g, path)).toEqual(g.envs.filter((e) => e.names.vaultCredsPath === path || e.names.vaultCredsPath.startsWith(`${path}/`)));
      }
    });
  }

  it('gives no creds-path index when a creds path is not a string (the caller scans, and fails as the scan does)', () => {
    const g = graph(9);
    (g.envs[3].names as { vaultCredsPath: unknown }).vaultCredsPath = 42;
    expect(envsUnderPath(g, 'db')).toBeUndefined();
  });
});
