import { DynamicRole, Env, EstateGraph, VaultConnection } from '../../graph/types';

/** Connections by `<backend>/<name>`, built once per graph. */
const connectionIndex = new WeakMap<EstateGraph, Map<string, VaultConnection>>();

export function connectionByName(g: EstateGraph, backend: string, name: string | undefined): VaultConnection | undefined {
  let idx = connectionIndex.get(g);
  if (!idx) {
    idx = new Map(g.vaultConnections.map((c) => [`${c.backend}/${c.name}`, c]));
    connectionIndex.set(g, idx);
  }
  return name === undefined ? undefined : idx.get(`${backend}/${name}`);
}

/** The env a Vault connection serves: by its derived name, else the env whose stack declares it. */
export function connectionEnv(g: EstateGraph, c: VaultConnection): Env | undefined {
  return g.index.byVaultConnection.get(c.name) ?? c.stack.env;
}

/**
 * The env a dynamic role creates users for: the env of the connection it runs on (that decides
 * which database and group role the statements touch), else its derived name, else its stack.
 */
export function dynamicRoleEnv(g: EstateGraph, r: DynamicRole): Env | undefined {
  const conn = connectionByName(g, r.backend, r.dbName);
  return (conn && connectionEnv(g, conn)) ?? g.index.byVaultRole.get(r.name) ?? r.stack.env;
}
