import { EstateGraph, Source } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';
import { SecretReferences } from './support/secret-reference';
import { isLiteralValue, isSecretName, literalAssignments } from './support/secret-names';

const URL_PASSWORD = /\/\/[^/:@\s]+:([^@/\s]+)@/;
/**
 * `PASSWORD <string constant>`, every spelling PostgreSQL's lexer reads as one (scan.l): '…' (with
 * ''), E'…' (with \' too), U&'…', N'…', and $$…$$ / $tag$…$tag$ (tags case-sensitive). Between the
 * keyword and the value: whitespace and comments, or nothing before a quote (an identifier ends at
 * `'`, so `PASSWORD'x'` sets x). N'…' is read although PostgreSQL's grammar refuses NCHAR after
 * PASSWORD (Sconst only): a literal all the same. B'…'/X'…' are bit strings (BCONST/XCONST), never
 * Sconst: a syntax error after PASSWORD, no password. `PASSWORD$$x$$` lexes as one identifier ($ is
 * an identifier character) but is flagged anyway: fail closed. See
 * https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-CONSTANTS
 */
const SQL_GAP = String.raw`(?:(?:\s|/\*[\s\S]*?\*/|--[^\n]*(?:\n|$))+|(?=['$]))`;
const SQL_PASSWORD = new RegExp(String.raw`\b[Pp][Aa][Ss][Ss][Ww][Oo][Rr][Dd]${SQL_GAP}(?:[Ee]'((?:[^'\\]|''|\\[\s\S])*)'|(?:[Uu]&|[Nn])?'((?:[^']|'')*)'|\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$([\s\S]*?)\$\3\$)`, 'g');

/**
 * Vault agent annotations configure injection: their values are Vault paths, templates, file names
 * or flags, never a secret by their key (a template's text is still scanned for literal assignments).
 */
const VAULT_AGENT_ANNOTATION = /^vault\.hashicorp\.com\//;

/**
 * Whether a key names a secret value (and is no agent annotation): a pure function of the key, read
 * for every string of the estate, so judged once per key. Keyed on the whole key: two keys never share a verdict.
 */
const secretKeys = new Map<string, boolean>();

function isSecretKey(key: string): boolean {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    secret = !VAULT_AGENT_ANNOTATION.test(key) && isSecretName(key);
    if (secretKeys.size > 50_000) secretKeys.clear();
    secretKeys.set(key, secret);
  }
  return secret;
}

function isLiteralSecret(key: string, value: unknown): boolean {
  return typeof value === 'string' && isSecretKey(key) && isLiteralValue(value);
}

/**
 * The regular expressions below are module constants, not literals in the functions: a literal is a
 * new RegExp object each time it is evaluated, and textFinding runs for every string of the estate
 * (~860,000 at 100×). None has the g or y flag, so `test` neither reads nor writes lastIndex.
 */
const VAULT_PASSWORD = /^\{\{\s*password\s*\}\}$/;
const TERRAFORM_REFERENCE = /^\$\{[^}]+\}$/;
const PASSWORD_WORD = /password/i;
const JSON_KEY = /data_json|_json$/;

function literalIn(value: string): string | undefined {
  const url = URL_PASSWORD.exec(value)?.[1];
  if (url !== undefined && !VAULT_PASSWORD.test(url) && !TERRAFORM_REFERENCE.test(url)) return 'a password inside a URL';
  for (const m of value.matchAll(SQL_PASSWORD)) {
    const sql = m[1] ?? m[2] ?? m[4] ?? '';
    if (!VAULT_PASSWORD.test(sql)) return 'a literal PASSWORD in SQL';
  }
  return undefined;
}

/**
 * What a text holds (a password in a URL or in SQL, a literal secret assignment): the same scripts
 * and templates recur in every env of an estate, so each distinct text is read once per process.
 * Module-level on purpose: the verdict is a pure function of the whole text (no graph, key or env
 * enters it), so a memo shared across graphs can never merge two different inputs; bounded by the clear.
 */
const textFindings = new Map<string, string | null>();

function textFinding(value: string): string | undefined {
  // A password in a URL needs `@`, one in SQL a quote, an assignment `=`: most strings have none.
  // A dollar-quoted PASSWORD has no quote: the word itself keeps such a text in.
  if (!value.includes('=') && !value.includes('@') && !value.includes("'") && !PASSWORD_WORD.test(value)) return undefined;
  // `null` is a text read and found clean: one lookup answers both.
  const known = textFindings.get(value);
  if (known !== undefined) return known ?? undefined;
  const inside = literalIn(value);
  const assigned = inside ? [] : literalAssignments(value);
  const found = inside ?? (assigned.length > 0 ? `a literal ${assigned.map((n) => `"${n}"`).join(', ')} assigned in the text` : undefined);
  if (textFindings.size > 50_000) textFindings.clear();
  textFindings.set(value, found ?? null);
  return found;
}

function pointerSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** One scan's state: the pointer it starts at, the segments below it, where hits go. */
interface Walk {
  readonly pointer: string;
  readonly segments: string[];
  readonly hit: (pointer: string, what: string) => void;
  /** In a stack: follows a secret-named attribute's `${local.x}` / `${var.x}` to what it reaches. */
  readonly refs?: SecretReferences;
}

function at(w: Walk, ...more: string[]): string {
  return `${w.pointer}${[...w.segments, ...more].map((x) => `/${pointerSegment(x)}`).join('')}`;
}

/**
 * Walk a JSON value; report every literal secret with its own pointer. The pointer's segments are
 * kept on a stack and joined only on a hit: almost no string is one, and the walk sees them all.
 * Module-level functions over a state object: no closure is made per stack or manifest.
 */
function scan(value: unknown, pointer: string, key: string, hit: (pointer: string, what: string) => void, refs?: SecretReferences): void {
  walk({ pointer, segments: [], hit, refs }, value, key);
}

function walk(w: Walk, v: unknown, k: string): void {
  if (typeof v === 'string') {
    if (isLiteralSecret(k, v)) w.hit(at(w), `literal value for "${k}"`);
    else if (w.refs && v.startsWith('${') && isSecretKey(k) && reached(w, v, k)) return;
    else {
      const found = textFinding(v);
      if (found) w.hit(at(w), found);
      else if (v.startsWith('{') && JSON_KEY.test(k)) {
        try {
          const parsed = JSON.parse(v);
          const here = at(w);
          scan(parsed, here, k, (_, what) => w.hit(here, `${what} inside ${k}`), w.refs);
        } catch { /* not JSON: nothing more to read */ }
      }
    }
    return;
  }
  const segments = w.segments;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      segments.push(String(i));
      walk(w, v[i], k);
      segments.pop();
    }
  } else if (v && typeof v === 'object') {
    // `{name, value}` pairs (container env, Helm and plugin parameters) are judged by the name;
    // `valueFrom` (a secretKeyRef) carries no value and passes.
    const pair = v as Record<string, unknown>;
    if (typeof pair.name === 'string' && typeof pair.value === 'string' && isSecretName(pair.name) && isLiteralValue(pair.value)) {
      w.hit(at(w, 'value'), `literal value for "${pair.name}"`);
    }
    for (const ck of Object.keys(v)) {
      if (ck === '//') continue;
      segments.push(ck);
      walk(w, pair[ck], ck);
      segments.pop();
    }
  }
}

/** A reference that reaches a literal is reported as one. */
function reached(w: Walk, v: string, k: string): boolean {
  const why = w.refs!.judge(v);
  if (why) w.hit(at(w), `value for "${k}" ${why}`);
  return why !== undefined;
}

function kubernetesFindings(g: EstateGraph, out: RuleFinding[]): void {
  for (const k of g.kubernetes) {
    const env = k.namespace ? g.index.byNamespace.get(k.namespace) : undefined;
    if (k.kind === 'Secret' && (Object.keys(k.object.data ?? {}).length > 0 || Object.keys(k.object.stringData ?? {}).length > 0)) {
      out.push({ env, source: k.source, message: `Secret ${k.namespace}/${k.name} carries its values in the manifest`, fix: 'deliver it from Vault (agent injection) instead of a Secret in git' });
      continue;
    }
    scan(k.object, '', '', (pointer, what) => {
      out.push({ env, source: { ...k.source, pointer: `${k.source.pointer}${pointer}` }, message: `${k.kind} ${k.namespace ? `${k.namespace}/` : ''}${k.name}: ${what}` });
    });
  }
}

export const rule: Rule = {
  id: 'TK010',
  name: 'literal-secrets',
  severity: 'error',
  title: 'No literal secret or password anywhere in the artifacts',
  explanation:
    'dist/ is committed, diffed in pull requests and rendered to a branch Argo CD reads: a password written there is '
    + "published. Credentials come from sensitive variables, write-only attributes, Vault's {{password}} or Vault "
    + 'agent injection — never from the artifact text.',
  fix: 'Use a sensitive variable (`${var.x}`), a write-only attribute, or a Vault dynamic credential.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const s of g.stacks) {
      const refs = new SecretReferences(s.json);
      scan(s.json, '', '', (pointer, what) => {
        const res = /^\/resource\/([^/]+)\/([^/]+)/.exec(pointer);
        const r = res ? g.resources.find((x) => x.file === s.file && x.pointer === res[0]) : undefined;
        const source: Source = { file: s.file, pointer, resourcePath: r?.constructPath, constructPath: s.env?.constructPath };
        out.push({ env: s.env, source, message: `${s.file}${pointer}: ${what}` });
      }, refs);
      for (const [name, v] of Object.entries((s.json.variable ?? {}) as Record<string, any>)) {
        if (v?.sensitive === true && v.default !== undefined && v.default !== null && v.default !== '') {
          out.push({ env: s.env, source: { file: s.file, pointer: `/variable/${pointerSegment(name)}/default`, constructPath: s.env?.constructPath },
            message: `sensitive variable "${name}" has a literal default` });
        }
      }
    }
    kubernetesFindings(g, out);
    return out;
  },
};
