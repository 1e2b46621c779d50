import { isUnknown } from './terraform/unknown';

/** One path block of a Vault policy, as Vault matches it. */
export interface PolicyPathRule {
  /** The path as Vault matches it (one leading `/` stripped, as Vault does). */
  readonly path: string;
  /** The path as written, when it differs from `path`. */
  readonly written?: string;
  readonly capabilities: readonly string[];
}

/**
 * Vault ACL policy text, read as Vault reads it — or refused. tierkit accepts a canonical subset whose
 * meaning it knows with certainty and reports everything else (`error`), never a partial reading:
 *
 * - HCL: `path "<literal>" { capabilities = ["read", …] }` blocks (an optional `comment = "…"`, `#` and
 *   `//` line comments); JSON: `{"path": {"<literal>": {"capabilities": […]}}}`.
 * - Printable ASCII, LF (CRLF is read as LF, as hcl/parser.go does), no escape sequence, no `${`/`%{`
 *   (a Terraform expression, unknown until apply), no `{{` (an identity template).
 *
 * Every refusal names the Vault behaviour that makes a naive reading wrong, citing its source
 * (hashicorp/vault vault/policy.go, acl.go, logical_system.go; hashicorp/hcl v1.0.1-vault-7, the HCL
 * v1 fork Vault vendors). Repeated `path` blocks are kept as separate rules: Vault ORs them
 * (acl.go NewACL), so judging each grant alone never reads less than Vault grants. The same parser
 * serves `check` and `diff`.
 */
export interface ParsedPolicy {
  readonly rules: PolicyPathRule[];
  /** Why the text is outside the canonical subset (then `rules` is empty: nothing was judged). */
  readonly error?: string;
}

/** Vault's capability names (policy.go constants; `recover` since 1.21). `root` is output-only. */
export const VAULT_CAPABILITIES: ReadonlySet<string> = new Set(['deny', 'create', 'read', 'update', 'delete', 'list', 'sudo', 'patch', 'subscribe', 'recover']);

class Refusal extends Error {}

function refuse(message: string): never {
  throw new Refusal(message);
}

const NOT_BASE64 = /[^A-Za-z0-9+/=\r\n]/;

/** Go's base64.StdEncoding.DecodeString succeeds (it skips \r and \n; padding required, trailing bits not checked). */
export function isGoStdBase64(text: string): boolean {
  // Any other character stays after \r and \n are dropped, and fails the test below: no copy needed.
  if (NOT_BASE64.test(text)) return false;
  const s = text.replace(/[\r\n]/g, '');
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(s);
}

export function parseVaultPolicy(text: unknown): ParsedPolicy {
  try {
    return { rules: readCanonical(text) };
  } catch (err) {
    if (err instanceof Refusal) return { rules: [], error: err.message };
    throw err;
  }
}

function readCanonical(input: unknown): PolicyPathRule[] {
  // The evaluator's Unknown: an expression the stack does not compute on its own.
  if (isUnknown(input)) refuse(`it contains a Terraform expression tierkit cannot evaluate (${input.expression}: ${input.reason}): its text is known only at apply time`);
  if (typeof input !== 'string') refuse(`the policy is ${input === undefined ? 'missing' : `not a string (${JSON.stringify(input)})`}`);
  if (/\$\{|%\{/.test(input)) {
    refuse('it contains a Terraform expression (`${…}` or `%{…}`: file(), a variable, a data source or a template): its text is known only at apply time');
  }
  if (input.trim() === '') refuse('the policy text is empty (Vault refuses an empty policy)');
  if (isGoStdBase64(input)) {
    refuse('the text is valid base64, and Vault parses the decoded bytes instead (logical_system.go handlePoliciesSet: `if polBytes, err := base64.StdEncoding.DecodeString(policy.Raw); err == nil { policy.Raw = string(polBytes) }`)');
  }
  const text = input.replace(/\r\n/g, '\n');
  const odd = /[^\x20-\x7e\n\t]/.exec(text);
  if (odd) {
    refuse(`character U+${odd[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} at offset ${odd.index}: only printable ASCII is read with certainty (a BOM before "{" sends JSON to the HCL parser; Vault does not trim or fold paths)`);
  }
  if (text.includes('{{')) {
    refuse('it uses identity templating (`{{…}}`): Vault renders it per request — an unresolvable value drops the rule, an empty metadata value renders "" and widens the path (`…/{{…secret_name}}*` becomes `…/*`), a value with "/" adds segments (policy.go parsePaths, identitytpl templating.go)');
  }
  // hcl lex.go lexMode: the first non-space rune decides; "{" means JSON.
  return text.trimStart().startsWith('{') ? readJson(text) : readHcl(text);
}

type Tok = { k: 'str' | 'id' | 'p'; v: string; at: number };

/**
 * Tokens by character code, without a string per character or a slice per identifier (with the
 * two fast paths below, the 3,339 policies of the 100× estate parse in ~180 ms cold, not ~400);
 * the same tokens, offsets and refusals as a character-by-character reading
 * (test/contract/vault-policy-fast.test.ts).
 */
function tokenize(text: string, json: boolean): Tok[] {
  const out: Tok[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10) { i++; continue; }
    if (!json && (c === 35 /* # */ || (c === 47 && text.charCodeAt(i + 1) === 47) /* // */)) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? n : nl;
      continue;
    }
    if (c === 34 /* " */) {
      let j = i + 1;
      let d = text.charCodeAt(j);
      while (j < n && d !== 34 && d !== 92 && d !== 10) d = text.charCodeAt(++j);
      if (j < n && d === 92) {
        refuse(`an escape sequence at offset ${j}: Vault unquotes it (hcl strconv.Unquote / Go strconv.Unquote), so "secret/\\u002a" is the glob secret/*`);
      }
      if (j >= n || d !== 34) refuse(`unterminated string at offset ${i}`);
      out.push({ k: 'str', v: text.slice(i + 1, j), at: i });
      i = j + 1;
      continue;
    }
    // { } [ ] , and `=` (HCL) or `:` (JSON)
    if (c === 123 || c === 125 || c === 91 || c === 93 || c === 44 || (json ? c === 58 : c === 61)) { out.push({ k: 'p', v: text[i], at: i }); i++; continue; }
    // An identifier ([A-Za-z_][A-Za-z0-9_]*), at most 64 characters to a token (a longer run is read as several).
    let j = i;
    if (!json && (isLetter(c) || c === 95)) {
      const end = Math.min(n, i + 64);
      j++;
      while (j < end) {
        const d = text.charCodeAt(j);
        if (!(isLetter(d) || d === 95 || (d >= 48 && d <= 57))) break;
        j++;
      }
    }
    if (j === i) {
      refuse(`unexpected "${text[i]}" at offset ${i}: outside the canonical subset (${json ? 'JSON objects, lists and strings only' : 'path blocks with capabilities; no block comments, heredocs, numbers or bare values'})`);
    }
    out.push({ k: 'id', v: text.slice(i, j), at: i });
    i = j;
  }
  return out;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

class Reader {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}
  get done(): boolean { return this.i >= this.toks.length; }
  peek(): Tok | undefined { return this.toks[this.i]; }
  next(what: string): Tok {
    const t = this.toks[this.i++];
    if (!t) refuse(`unexpected end of policy, expected ${what}`);
    return t;
  }
  punct(v: string): void {
    const t = this.next(`"${v}"`);
    if (t.k !== 'p' || t.v !== v) refuse(`expected "${v}" at offset ${t.at}, found "${t.v}"`);
  }
  str(what: string): Tok {
    const t = this.next(what);
    if (t.k !== 'str') refuse(`expected ${what} at offset ${t.at}, found "${t.v}"`);
    return t;
  }
  eat(v: string): boolean {
    const t = this.peek();
    if (t?.k === 'p' && t.v === v) { this.i++; return true; }
    return false;
  }
  /** `[ "a", "b" ]` (a trailing comma allowed, as HCL allows it). */
  list(what: string): Tok[] {
    this.punct('[');
    const items: Tok[] = [];
    while (!this.eat(']')) {
      items.push(this.str(what));
      if (!this.eat(',')) { this.punct(']'); break; }
    }
    return items;
  }
}

const DUPLICATE = 'Vault does not read a repeated key as one value: the HCL v1 decoder appends repeated lists (two `capabilities` become their union), the last string wins, 1.21+ rejects only same-spelled HCL assignments and the JSON parser never checks (hcl decoder.go decodeSlice, parser.go objectList)';

function readHcl(text: string): PolicyPathRule[] {
  const r = new Reader(tokenize(text, false));
  const rules: PolicyPathRule[] = [];
  while (!r.done) {
    const kw = r.next('"path"');
    if (kw.k !== 'id' || kw.v !== 'path') {
      refuse(`top-level "${kw.v}" at offset ${kw.at}: only \`path "<path>" { … }\` blocks are read (Vault also accepts \`name\`, and matches "path" case-insensitively in Filter but case-sensitively in CheckHCLKeys)`);
    }
    const label = r.next('a quoted path');
    if (label.k !== 'str') refuse(`path block at offset ${kw.at} has no quoted path: Vault would read the path as the literal "path" or take another label`);
    if (r.peek()?.k === 'str') refuse(`path block "${label.v}" has two labels: Vault grants on the first and ignores the rest (policy.go parsePaths: item.Keys[0])`);
    r.punct('{');
    const seen = new Set<string>();
    let capabilities: Tok[] | undefined;
    while (!r.eat('}')) {
      const key = r.next('an attribute');
      if (key.k !== 'id') {
        refuse(`path "${label.v}": attribute ${key.k === 'str' ? `"${key.v}" is quoted` : `expected at offset ${key.at}`}: tierkit reads bare attribute names only (a quoted key escapes Vault's duplicate check)`);
      }
      if (seen.has(key.v)) refuse(`path "${label.v}" sets "${key.v}" twice: ${DUPLICATE}`);
      seen.add(key.v);
      r.punct('=');
      if (key.v === 'capabilities') capabilities = r.list('a capability');
      else if (key.v === 'comment') r.str('a comment string');
      else if (key.v === 'policy') {
        refuse(`path "${label.v}" uses the legacy \`policy = …\`: Vault appends its capabilities to \`capabilities\` ("write" adds create, read, update, delete, list; policy.go parsePaths), and "deny" replaces them`);
      } else {
        refuse(`path "${label.v}": attribute "${key.v}" is outside the subset tierkit reads with certainty (capabilities, comment); parameter constraints, wrapping TTLs, MFA and control groups are conditions tierkit cannot bound`);
      }
      r.eat(',');
    }
    rules.push(pathRule(label.v, capabilities));
  }
  return rules;
}

function readJson(text: string): PolicyPathRule[] {
  const r = new Reader(tokenize(text, true));
  const keys = (what: string, each: (key: Tok) => void) => {
    r.punct('{');
    const seen = new Set<string>();
    while (!r.eat('}')) {
      const key = r.str(`a key of ${what}`);
      if (seen.has(key.v)) refuse(`${what} repeats the key "${key.v}": ${DUPLICATE}`);
      seen.add(key.v);
      r.punct(':');
      each(key);
      if (!r.eat(',')) { r.punct('}'); break; }
    }
  };
  const rules: PolicyPathRule[] = [];
  keys('the policy', (top) => {
    if (top.v !== 'path') refuse(`top-level key "${top.v}" at offset ${top.at}: only "path" is read`);
    keys('"path"', (p) => {
      let capabilities: Tok[] | undefined;
      if (r.peek()?.v !== '{') refuse(`path "${p.v}" is not an object: only {"capabilities": […]} is read`);
      keys(`path "${p.v}"`, (k) => {
        // Only a list-valued member keeps json/parser flatten.go from turning the body into more labels.
        if (k.v !== 'capabilities') refuse(`path "${p.v}": key "${k.v}" is outside the subset tierkit reads (capabilities only in JSON; an object-valued member is flattened into labels and can become a grant, flatten.go)`);
        capabilities = r.list('a capability');
      });
      rules.push(pathRule(p.v, capabilities));
    });
  });
  if (!r.done) refuse(`text after the JSON document at offset ${r.peek()!.at}`);
  return rules;
}

function pathRule(written: string, caps: Tok[] | undefined): PolicyPathRule {
  const path = normalizePolicyPath(written);
  if (!caps || caps.length === 0) {
    refuse(`path "${written}" has no capabilities: an empty rule still wins Vault's match and shadows broader grants, yet unlike deny it is overridden when merged (acl.go)`);
  }
  const capabilities = caps.map((c) => c.v);
  for (const c of capabilities) {
    if (!VAULT_CAPABILITIES.has(c)) refuse(`path "${written}": "${c}" is no Vault capability (${[...VAULT_CAPABILITIES].join(', ')}; matched case-sensitively)`);
  }
  if (new Set(capabilities).size !== capabilities.length) refuse(`path "${written}" repeats a capability`);
  if (capabilities.includes('deny') && capabilities.length > 1) {
    refuse(`path "${written}" mixes deny with other capabilities: Vault stops at the first deny and skips validating the rest (policy.go: goto PathFinished), so the meaning depends on order`);
  }
  return { path, capabilities, ...(path !== written ? { written } : {}) };
}

const PLAIN_PATH = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*(?:\/\*?|\*)?$/;

/**
 * The path as Vault stores it, for the canonical subset: Vault strips exactly one leading `/`
 * (policy.go parsePaths); anything whose matching is not a literal, a trailing `*` or whole `+`
 * segments is refused (Vault reads a `*` elsewhere and a partial `+` as literal characters, never
 * trims whitespace, and rejects `+*`).
 */
export function normalizePolicyPath(written: string): string {
  const p = written.startsWith('/') ? written.slice(1) : written;
  // Segments of [A-Za-z0-9_.-] not starting with ".", one "/" apart, an optional "/", "*" or "/*"
  // at the end: every check below holds, so the answer is `p` (the usual path, read at once).
  if (PLAIN_PATH.test(p)) return p;
  const why = (reason: string): never => refuse(`path "${written}": ${reason}`);
  if (p.includes('+*')) why("invalid use of wildcards ('+*' is forbidden)");
  if (written === '' || p === '') why('an empty path');
  if (/\s/.test(p)) why('whitespace in a path: Vault does not trim it, so the rule governs a different literal than it reads');
  if (p.startsWith('/')) why('Vault strips only one leading "/", so this rule can never match');
  const segments = p.split('/');
  if (segments.slice(1, -1).some((s) => s === '')) why('an empty segment ("//")');
  if (segments.some((s) => s === '.' || s === '..')) why('a "." or ".." segment');
  if (p.slice(0, -1).includes('*')) why('"*" before the end: Vault reads it as a literal character, not a glob');
  if (segments.some((s) => s.includes('+') && s !== '+')) why('"+" inside a segment: Vault reads it as a literal character, not a segment wildcard');
  return p;
}
