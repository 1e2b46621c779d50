import { compareStrings } from '../contract/order';
import { parseVaultPolicy } from '../contract/vault-policy';

/**
 * Vault policy text, read by the same canonical parser as `check` (policies/graph/vault-policy.ts),
 * so the diff sees the paths Vault sees — in HCL and JSON alike — and says so when the text is
 * outside what tierkit reads with certainty instead of showing no path.
 */
export interface PolicyBlock {
  readonly path: string;
  readonly capabilities: readonly string[];
  /** What a change compares: the capabilities as Vault merges them for this path. */
  readonly body: string;
}

export interface PolicyReading {
  readonly blocks: PolicyBlock[];
  /** Why the text is outside what tierkit reads (then `blocks` is empty). */
  readonly error?: string;
}

/** Blocks per path as Vault's NewACL merges rules on one path: capabilities OR-ed, deny winning. */
export function readPolicy(text: string | undefined): PolicyReading {
  if (text === undefined) return { blocks: [] };
  const parsed = parseVaultPolicy(text);
  if (parsed.error !== undefined) return { blocks: [], error: parsed.error };
  const byPath = new Map<string, Set<string>>();
  for (const r of parsed.rules) {
    const caps = byPath.get(r.path) ?? new Set<string>();
    for (const c of r.capabilities) caps.add(c);
    byPath.set(r.path, caps);
  }
  const blocks = [...byPath].map(([path, set]) => {
    const capabilities = set.has('deny') ? ['deny'] : [...set]; // as written: the text decides the order
    return { path, capabilities, body: capabilities.join(',') };
  });
  return { blocks: blocks.sort((a, b) => compareStrings(a.path, b.path)) };
}

export function parsePolicy(text: string): PolicyBlock[] {
  return readPolicy(text).blocks;
}

function describe(b: PolicyBlock): string {
  return `path "${b.path}" [${b.capabilities.join(', ')}]`;
}

/** Lines like `+ path "kvv2/data/x" [read]`, `- path …`, `~ path … [read] → [read, update]`, `! …` for unreadable text. */
export function diffPolicies(before: string | undefined, after: string | undefined): string[] {
  const was = readPolicy(before);
  const now = readPolicy(after);
  const lines: string[] = [];
  if (now.error !== undefined) lines.push(`! the new policy text is outside what tierkit reads as Vault does (check reports TK070): ${now.error}`);
  if (was.error !== undefined && now.error === undefined) lines.push(`! the old policy text was outside what tierkit reads; every path below is shown as added`);
  const b = new Map(was.blocks.map((x) => [x.path, x]));
  const a = new Map(now.blocks.map((x) => [x.path, x]));
  for (const path of [...new Set([...b.keys(), ...a.keys()])].sort(compareStrings)) {
    const o = b.get(path);
    const n = a.get(path);
    if (!o && n) lines.push(`+ ${describe(n)}`);
    else if (o && !n) lines.push(`- ${describe(o)}`);
    else if (o && n && o.body !== n.body) lines.push(`~ path "${path}" [${o.capabilities.join(', ')}] → [${n.capabilities.join(', ')}]`);
  }
  return lines;
}
