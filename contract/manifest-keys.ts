import type { Manifest } from './manifest';
import type { DistProblem } from './problems';

/**
 * The names each manifest list is looked up by. The readers key these lists by name (the graph's
 * tiers, servers and stacks, its env index, the reader's artifact hashes, CI's jq), so of two
 * entries with one name each reader sees one — most the last, some the first — and the other
 * escapes the rules. Synth never writes one twice (validation refuses colliding names): a repeat
 * is a hand edit, refused here whatever the order.
 */
interface KeyedList {
  readonly list: 'tiers' | 'servers' | 'stacks' | 'artifacts' | 'appEnvironments';
  /** What the name is, in messages; entries of one `space` share one namespace. */
  readonly space: string;
  /** The entry's names in that space, each with its pointer below the entry. */
  readonly keys: (entry: any) => readonly (readonly [unknown, string])[];
}

const ENV_NAMES = (field: string) => (e: any): [unknown, string][] => [[e?.names?.[field], `/names/${field}`]];

const KEYED: readonly KeyedList[] = [
  { list: 'tiers', space: 'tier name', keys: (t) => [[t?.name, '/name']] },
  { list: 'servers', space: 'server id', keys: (s) => [[s?.id, '/id']] },
  { list: 'stacks', space: 'stack name', keys: (s) => [[s?.name, '/name']] },
  { list: 'artifacts', space: 'artifact path', keys: (a) => [[a?.path, '/path']] },
  // The reader names a stack directory's stack after its listed artifact's `stack`.
  { list: 'artifacts', space: 'stack of a Terraform artifact', keys: (a) => (a?.kind === 'terraform-stack' ? [[a.stack, '/stack']] : []) },
  { list: 'appEnvironments', space: 'app-environment slug', keys: (e) => [[e?.slug, '/slug']] },
  { list: 'appEnvironments', space: 'app-environment stack', keys: (e) => [[e?.stack, '/stack']] },
  // The env index files the group, Vault connection and golden dump roles under one key space.
  { list: 'appEnvironments', space: 'Postgres role', keys: (e) => [...ENV_NAMES('groupRole')(e), ...ENV_NAMES('vaultConnectionRole')(e), ...ENV_NAMES('goldenDumpRole')(e)] },
  { list: 'appEnvironments', space: 'database', keys: ENV_NAMES('database') },
  { list: 'appEnvironments', space: 'Vault database connection', keys: ENV_NAMES('vaultConnection') },
  { list: 'appEnvironments', space: 'Vault database role', keys: ENV_NAMES('vaultRole') },
  { list: 'appEnvironments', space: 'Vault policy', keys: ENV_NAMES('vaultPolicy') },
  { list: 'appEnvironments', space: 'namespace', keys: ENV_NAMES('namespace') },
  // The engine attributes a finding in a file to the one env listing it.
  { list: 'appEnvironments', space: 'artifact of an app-environment', keys: (e) => (Array.isArray(e?.artifacts) ? e.artifacts : []).map((a: unknown, i: number) => [a, `/artifacts/${i}`] as const) },
];

/**
 * Every name a manifest list repeats: one problem per repeat, at the later entry, naming the
 * first. A missing name (undefined or null) is not a repeat: what lacks it is judged elsewhere.
 */
export function repeatedManifestKeys(m: Manifest): DistProblem[] {
  const out: DistProblem[] = [];
  for (const { list, space, keys } of KEYED) {
    const entries: unknown[] = Array.isArray(m[list]) ? m[list] : [];
    const first = new Map<unknown, string>();
    entries.forEach((entry, i) => {
      for (const [key, sub] of keys(entry)) {
        if (key === undefined || key === null) continue;
        const at = `/${list}/${i}${sub}`;
        const seen = first.get(key);
        if (seen === undefined) { first.set(key, at); continue; }
        out.push({
          file: 'manifest.json', pointer: at,
          reason: `repeats the ${space} ${JSON.stringify(key)} of ${seen}: readers look ${list} up by that name, so one of the two entries would escape the rules`,
          fix: 'run `tierkit synth` (it never writes a name twice) and commit the whole dist/; never edit manifest.json by hand',
        });
      }
    });
  }
  return out;
}
