import type { PolicyPathRule } from './types';

/**
 * A small parser for Vault ACL policies: HCL `path "…" { capabilities = [...] }` blocks (and the
 * legacy `policy = "read|write|sudo|deny"` form), or the same document in JSON, which Vault also
 * accepts. Other attributes (allowed_parameters, min_wrapping_ttl, …) are read and ignored: they
 * narrow a grant, they never widen the set of paths it reaches.
 */
export interface ParsedPolicy {
  readonly rules: PolicyPathRule[];
  readonly error?: string;
}

const LEGACY: Record<string, string[]> = {
  deny: ['deny'],
  read: ['read', 'list'],
  write: ['create', 'read', 'update', 'delete', 'list'],
  sudo: ['create', 'read', 'update', 'delete', 'list', 'sudo'],
};

type Token = { t: 'str' | 'id' | 'num' | 'p'; v: string; at: number };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) { while (i < text.length && text[i] !== '\n') i++; continue; }
    if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new Error(`unterminated comment at offset ${i}`);
      i = end + 2;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') { s += text[j + 1] ?? ''; j += 2; } else s += text[j++];
      }
      if (j >= text.length) throw new Error(`unterminated string at offset ${i}`);
      out.push({ t: 'str', v: s, at: i });
      i = j + 1;
      continue;
    }
    if ('{}[]=,:'.includes(c)) { out.push({ t: 'p', v: c, at: i }); i++; continue; }
    const m = /^[A-Za-z_][A-Za-z0-9_-]*|^-?\d+(\.\d+)?[a-z]*/.exec(text.slice(i));
    if (!m) throw new Error(`unexpected "${c}" at offset ${i}`);
    out.push({ t: /^[A-Za-z_]/.test(m[0]) ? 'id' : 'num', v: m[0], at: i });
    i += m[0].length;
  }
  return out;
}

class HclReader {
  private i = 0;
  constructor(private readonly tokens: Token[]) {}

  get done(): boolean {
    return this.i >= this.tokens.length;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  next(what: string): Token {
    const t = this.tokens[this.i++];
    if (!t) throw new Error(`unexpected end of policy, expected ${what}`);
    return t;
  }

  expect(v: string): void {
    const t = this.next(`"${v}"`);
    if (t.v !== v || t.t !== 'p') throw new Error(`expected "${v}" at offset ${t.at}, found "${t.v}"`);
  }

  /** A value: string, number, identifier (true/false), list, or object/block. */
  value(): unknown {
    const t = this.next('a value');
    if (t.t === 'p' && t.v === '[') {
      const items: unknown[] = [];
      while (this.peek()?.v !== ']') {
        items.push(this.value());
        if (this.peek()?.v === ',') this.i++;
      }
      this.expect(']');
      return items;
    }
    if (t.t === 'p' && t.v === '{') return this.body();
    if (t.t === 'p') throw new Error(`unexpected "${t.v}" at offset ${t.at}`);
    return t.v;
  }

  /** The inside of `{ … }` (consumes the closing brace). */
  body(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.peek()?.v !== '}') {
      const key = this.next('an attribute name');
      if (key.t !== 'id' && key.t !== 'str') throw new Error(`expected an attribute name at offset ${key.at}, found "${key.v}"`);
      if (this.peek()?.v === '=' || this.peek()?.v === ':') this.i++;
      out[key.v] = this.value();
      if (this.peek()?.v === ',') this.i++;
    }
    this.expect('}');
    return out;
  }
}

function capabilitiesOf(block: Record<string, unknown>, path: string): string[] {
  if (Array.isArray(block.capabilities)) return block.capabilities.map(String);
  if (typeof block.policy === 'string') {
    const legacy = LEGACY[block.policy];
    if (!legacy) throw new Error(`path "${path}": unknown legacy policy "${block.policy}"`);
    return legacy;
  }
  return [];
}

/**
 * The path as Vault stores it: Vault strips one leading `/` ("paths in Vault start after the / in the
 * API path"), so `path "/postgres/creds/erp"` governs `postgres/creds/erp`. `+*` is rejected by Vault.
 */
export function normalizePolicyPath(path: string): string {
  const p = path.startsWith('/') ? path.slice(1) : path;
  if (p.includes('+*')) throw new Error(`path "${path}": invalid use of wildcards ('+*' is forbidden)`);
  return p;
}

function rule(path: string, block: Record<string, unknown>): PolicyPathRule {
  const normalized = normalizePolicyPath(path);
  return { path: normalized, capabilities: capabilitiesOf(block, path), ...(normalized !== path ? { written: path } : {}) };
}

function fromJson(doc: any): PolicyPathRule[] {
  const paths = doc?.path;
  if (!paths || typeof paths !== 'object') return [];
  const entries: [string, any][] = Array.isArray(paths)
    ? paths.flatMap((p: Record<string, any>) => Object.entries(p))
    : Object.entries(paths);
  return entries.map(([path, block]) => rule(path, block ?? {}));
}

export function parseVaultPolicy(text: string): ParsedPolicy {
  try {
    const trimmed = text.trim();
    if (trimmed.startsWith('{')) return { rules: fromJson(JSON.parse(trimmed)) };
    const reader = new HclReader(tokenize(text));
    const rules: PolicyPathRule[] = [];
    while (!reader.done) {
      const kw = reader.next('"path"');
      if (kw.t !== 'id' || kw.v !== 'path') throw new Error(`expected "path" at offset ${kw.at}, found "${kw.v}"`);
      const path = reader.next('a quoted path');
      if (path.t !== 'str') throw new Error(`expected a quoted path at offset ${path.at}`);
      reader.expect('{');
      rules.push(rule(path.v, reader.body()));
    }
    return { rules };
  } catch (err) {
    return { rules: [], error: (err as Error).message };
  }
}
