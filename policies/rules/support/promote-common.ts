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
