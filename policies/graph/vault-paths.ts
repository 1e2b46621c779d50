/**
 * Vault's ACL path semantics: a `*` at the very end of a pattern matches any suffix (including
 * `/`), a `+` that is a whole path segment matches exactly one non-empty segment; every other
 * character is literal (a `*` elsewhere is a literal `*`, as in Vault).
 *
 * `overlap(p, q)` answers "is there one concrete path that both patterns match?" by walking the
 * product of the two patterns' automata, so `kvv2/data/+/config` and `kvv2/data/erp*` overlap
 * while `kvv2/data/erp/*` and `kvv2/data/erp-sandbox/*` do not — string prefixes get both wrong.
 */
type Tok =
  | { k: 'lit'; c: string }
  /** one non-`/` character (the first of a `+` segment) */
  | { k: 'seg1' }
  /** zero or more non-`/` characters (the rest of a `+` segment) */
  | { k: 'segN' }
  /** zero or more characters (a trailing `*`) */
  | { k: 'any' };

const cache = new Map<string, Tok[]>();

export function compilePattern(pattern: string): Tok[] {
  const hit = cache.get(pattern);
  if (hit) return hit;
  let body = pattern;
  let glob = false;
  if (body.endsWith('*')) {
    body = body.slice(0, -1);
    glob = true;
  }
  const toks: Tok[] = [];
  body.split('/').forEach((seg, i) => {
    if (i > 0) toks.push({ k: 'lit', c: '/' });
    if (seg === '+') toks.push({ k: 'seg1' }, { k: 'segN' });
    else for (const c of seg) toks.push({ k: 'lit', c });
  });
  if (glob) toks.push({ k: 'any' });
  cache.set(pattern, toks);
  return toks;
}

/**
 * A pattern without a `+` segment is a literal or a literal prefix followed by `*`: most policy
 * and owned paths are, and they are judged by string comparison without building an automaton.
 */
interface Simple {
  readonly prefix: string;
  readonly glob: boolean;
}

function simple(pattern: string): Simple | undefined {
  const glob = pattern.endsWith('*');
  const body = glob ? pattern.slice(0, -1) : pattern;
  if (body === '+' || body.startsWith('+/') || body.endsWith('/+') || body.includes('/+/')) return undefined;
  return { prefix: body, glob };
}

export function matches(pattern: string, path: string): boolean {
  const s = simple(pattern);
  if (s) return s.glob ? path.startsWith(s.prefix) : path === s.prefix;
  return automatonMatches(pattern, path);
}

/** `matches` by the automaton alone (exported so tests can hold the fast paths to it). */
export function automatonMatches(pattern: string, path: string): boolean {
  const toks = compilePattern(pattern);
  // Thompson-style simulation: the set of token positions reachable after each character.
  let states = closure(toks, new Set([0]));
  for (const ch of path) {
    const next = new Set<number>();
    for (const s of states) {
      const t = toks[s];
      if (!t) continue;
      if (accepts(t, ch)) next.add(loops(t) ? s : s + 1);
    }
    states = closure(toks, next);
    if (states.size === 0) return false;
  }
  return states.has(toks.length);
}

function loops(t: Tok): boolean {
  return t.k === 'segN' || t.k === 'any';
}

function accepts(t: Tok, ch: string): boolean {
  switch (t.k) {
    case 'lit': return t.c === ch;
    case 'seg1': case 'segN': return ch !== '/';
    case 'any': return true;
  }
}

/** Positions reachable without consuming a character (skipping zero-width loops). */
function closure(toks: Tok[], states: Set<number>): Set<number> {
  const out = new Set(states);
  const stack = [...states];
  while (stack.length > 0) {
    const s = stack.pop()!;
    const t = toks[s];
    if (t && loops(t) && !out.has(s + 1)) {
      out.add(s + 1);
      stack.push(s + 1);
    }
  }
  return out;
}

type CharClass = { k: 'lit'; c: string } | { k: 'noslash' } | { k: 'any' };

function classOf(t: Tok): CharClass {
  return t.k === 'lit' ? t : t.k === 'any' ? { k: 'any' } : { k: 'noslash' };
}

/** A character both classes admit, or undefined. */
function meet(a: CharClass, b: CharClass): string | undefined {
  if (a.k === 'lit' && b.k === 'lit') return a.c === b.c ? a.c : undefined;
  if (a.k === 'lit') return b.k === 'any' || a.c !== '/' ? a.c : undefined;
  if (b.k === 'lit') return a.k === 'any' || b.c !== '/' ? b.c : undefined;
  return 'x';
}

function isLiteral(toks: Tok[]): boolean {
  return toks.every((t) => t.k === 'lit');
}

/** A concrete path matched by both patterns (shortest first), or undefined when they are disjoint. */
export function overlapWitness(p: string, q: string): string | undefined {
  // Fast paths: most policy paths and most owned paths are plain literals or literal globs, where
  // the shortest common path is the longer prefix (or the literal) when one extends the other.
  const sp = simple(p);
  const sq = simple(q);
  if (sp && sq) {
    if (!sp.glob && !sq.glob) return p === q ? p : undefined;
    if (!sp.glob) return sp.prefix.startsWith(sq.prefix) ? p : undefined;
    if (!sq.glob) return sq.prefix.startsWith(sp.prefix) ? q : undefined;
    if (sp.prefix.startsWith(sq.prefix)) return sp.prefix;
    return sq.prefix.startsWith(sp.prefix) ? sq.prefix : undefined;
  }
  return automatonWitness(p, q);
}

/** `overlapWitness` by the product automaton alone (exported so tests can hold the fast paths to it). */
export function automatonWitness(p: string, q: string): string | undefined {
  const litP = isLiteral(compilePattern(p));
  const litQ = isLiteral(compilePattern(q));
  if (litP && litQ) return p === q ? p : undefined;
  if (litP) return automatonMatches(q, p) ? p : undefined;
  if (litQ) return automatonMatches(p, q) ? q : undefined;
  const a = compilePattern(p);
  const b = compilePattern(q);
  const width = b.length + 1;
  const start: [number, number][] = [];
  for (const i of closure(a, new Set([0]))) for (const j of closure(b, new Set([0]))) start.push([i, j]);
  const seen = new Map<number, { from?: number; ch?: string }>();
  const queue: number[] = [];
  for (const [i, j] of start) {
    const key = i * width + j;
    if (!seen.has(key)) { seen.set(key, {}); queue.push(key); }
  }
  for (let head = 0; head < queue.length; head++) {
    const key = queue[head];
    const i = Math.floor(key / width);
    const j = key % width;
    if (i === a.length && j === b.length) {
      let w = '';
      for (let k: number | undefined = key; k !== undefined && seen.get(k)!.ch !== undefined; k = seen.get(k)!.from) w = seen.get(k)!.ch + w;
      return w;
    }
    const ta = a[i];
    const tb = b[j];
    if (!ta || !tb) continue;
    const ch = meet(classOf(ta), classOf(tb));
    if (ch === undefined) continue;
    const ni = loops(ta) ? i : i + 1;
    const nj = loops(tb) ? j : j + 1;
    for (const x of closure(a, new Set([ni]))) {
      for (const y of closure(b, new Set([nj]))) {
        const nk = x * width + y;
        if (!seen.has(nk)) { seen.set(nk, { from: key, ch }); queue.push(nk); }
      }
    }
  }
  return undefined;
}

export function overlap(p: string, q: string): boolean {
  return overlapWitness(p, q) !== undefined;
}

/** The literal part before the first wildcard: patterns sharing no prefix relation cannot overlap. */
export function literalPrefix(pattern: string): string {
  const s = simple(pattern);
  if (s) return s.prefix;
  const toks = compilePattern(pattern);
  let out = '';
  for (const t of toks) {
    if (t.k !== 'lit') break;
    out += t.c;
  }
  return out;
}

/** A pattern's literal-or-trailing-glob shape (`undefined` when it has a `+` segment), for prefilters held to `overlapWitness`. */
export { simple as simplePattern };
