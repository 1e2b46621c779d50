import type { ManifestPromote } from '../../../contract/manifest';
import type { DynamicRole, Env, EstateGraph } from '../../graph/types';
import { dynamicRoleEnv } from './vault-env';

/**
 * The promote credential a dynamic role is, if its env's manifest entry declares it by that name
 * (issue 17). TK160 judges exactly these roles; TK004 every other. A role the manifest does not
 * declare (or a manifest entry deleted by hand) is judged by TK004, which refuses its GRANTs.
 */
export function promoteOf(g: EstateGraph, r: DynamicRole): { env: Env; promote: ManifestPromote } | undefined {
  const env = dynamicRoleEnv(g, r);
  const promote = env?.promote;
  return env && promote && promote.name === r.name ? { env, promote } : undefined;
}

/**
 * The data promote's rehearse identity named `name` (issue 17): the prod env whose manifest entry
 * declares it, and the golden sandbox it is declared to reach (undefined when the manifest names no
 * env of that slug: TK162 reports that, nothing may reach it then).
 */
export function rehearseOf(g: EstateGraph, name: string): { env: Env; promote: ManifestPromote; sandbox?: Env } | undefined {
  const env = g.envs.find((e) => e.promote?.rehearse?.name === name);
  if (!env) return undefined;
  const promote = env.promote!;
  return { env, promote, sandbox: g.envs.find((e) => e.slug === promote.rehearse.sandbox) };
}
