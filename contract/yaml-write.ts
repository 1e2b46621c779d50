/**
 * A fast emitter for the subset of YAML tierkit writes, producing exactly the bytes of
 * `yaml`'s `stringify(value, { lineWidth: 0 })` (YAML 1.2 core schema, two-space indent,
 * sequences indented under their key). Anything outside the subset it has been shown to match
 * (tabs, non-ASCII or control characters, block scalars needing an indentation indicator or
 * `+` chomping, document markers, very long keys, non-integer numbers …) makes it give up
 * (`undefined`) and the caller uses `yaml` itself for that document: the output never depends on
 * which path rendered it (test/contract/yaml-write.test.ts compares both on random documents).
 * `yaml` spends most of its time building a node tree and re-checking style options; writing
 * the text directly is ~10× faster on tierkit's manifests.
 */

class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();

/**
 * The core schema's implicit tags other than `str` (null, bool, int ×3, float ×3), as `yaml` 2.9
 * tests plain scalars (`new Document().schema.tags`; test/contract/yaml-write.test.ts holds them
 * equal). Written out so that `check` does not load `yaml` to read a dist.
 */
export const NON_STRING_TESTS: readonly RegExp[] = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^0o[0-7]+$/,
  /^[-+]?[0-9]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];

/** `yaml`'s rule for text that cannot be a plain scalar (stringifyString.js, plainString). */
const NOT_PLAIN = /^[\n\t ,[\]{}#&*!|>'"%@`]|^[?-]$|^[?-][ \t]|[\n:][ \t]|[ \t]\n|[\n\t ]#|[\n\t :]$/;
/** Printable ASCII and newlines only: everything else (tabs, control, non-ASCII) goes to `yaml`. */
const SIMPLE_TEXT = /^[\x20-\x7e\n]*$/;
const DOCUMENT_MARKER = /^(%|---|\.\.\.)/m;

function quoted(value: string): string {
  const hasDouble = value.includes('"');
  const hasSingle = value.includes("'");
  if (hasDouble && !hasSingle) return `'${value}'`;
  // Printable ASCII without newlines: `yaml`'s double-quoted form is exactly JSON's.
  return JSON.stringify(value);
}

function plainOrQuoted(value: string): string {
  if (NOT_PLAIN.test(value) || NON_STRING_TESTS.some((re) => re.test(value))) return quoted(value);
  return value;
}

/**
 * Keys and single-line values repeat across thousands of objects (labels, kinds, names):
 * their styled form is remembered (null: outside the subset). Bounded: cleared when full.
 */
const styled = new Map<string, string | null>();
const STYLED_MAX = 200_000;

function singleLine(value: string): string {
  let s = styled.get(value);
  if (s === undefined) {
    s = !SIMPLE_TEXT.test(value) || DOCUMENT_MARKER.test(value) ? null : plainOrQuoted(value);
    if (styled.size >= STYLED_MAX) styled.clear();
    styled.set(value, s);
  }
  if (s === null) throw UNSUPPORTED;
  return s;
}

/** A single-line mapping key (always an implicit key). */
function key(k: string): string {
  if (k.length > 1000 || k.includes('\n')) throw UNSUPPORTED;
  return singleLine(k);
}

/** A string value in block context; `indent` is the indentation of its block scalar body. */
function text(value: string, indent: string): string {
  if (!value.includes('\n')) return singleLine(value);
  // Document markers (a PEM's `-----BEGIN`) are safe here: every line of a block scalar is indented,
  // so none starts a line of the stream (the reader splits only on a column-0 `---`).
  if (!SIMPLE_TEXT.test(value)) throw UNSUPPORTED;
  // A literal block scalar: no leading space or newline (no indentation indicator), at most one
  // trailing newline after a non-blank character (clip or strip chomping, never keep).
  if (value[0] === ' ' || value[0] === '\n') throw UNSUPPORTED;
  let body = value;
  let chomp = '-';
  if (value.endsWith('\n')) {
    body = value.slice(0, -1);
    chomp = '';
  }
  const last = body[body.length - 1];
  if (last === '\n' || last === ' ') throw UNSUPPORTED;
  return `|${chomp}\n${indent}${body.replace(/\n+/g, `$&${indent}`)}`;
}

function scalar(value: unknown, indent: string): string {
  if (typeof value === 'string') return text(value, indent);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value === null) return 'null';
  if (typeof value === 'number' && Number.isSafeInteger(value) && !Object.is(value, -0)) return String(value);
  throw UNSUPPORTED;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isEmptyCollection(value: unknown): string | undefined {
  if (Array.isArray(value)) return value.length === 0 ? '[]' : undefined;
  if (isPlainObject(value)) return Object.keys(value).length === 0 ? '{}' : undefined;
  if (value !== null && typeof value === 'object') throw UNSUPPORTED;
  return undefined;
}

const SPACES: string[] = [];
function spaces(n: number): string {
  return (SPACES[n] ??= ' '.repeat(n));
}

/** Lines of a non-empty mapping at `indent`; the first line carries no indentation (the caller's). */
function mapping(obj: Record<string, unknown>, indent: number): string {
  let out = '';
  const pad = spaces(indent);
  for (const k of Object.keys(obj)) {
    const v = obj[k];
    if (v === undefined) throw UNSUPPORTED;
    out += `${out === '' ? '' : pad}${key(k)}:${node(v, indent, true)}`;
  }
  return out;
}

function sequence(items: readonly unknown[], indent: number): string {
  let out = '';
  const pad = spaces(indent);
  for (const v of items) {
    if (v === undefined) throw UNSUPPORTED;
    out += `${out === '' ? '' : pad}-${node(v, indent, false)}`;
  }
  return out;
}

/**
 * The value after `key:` (inMap) or `-` at `indent`, ending with a newline. Under a key, nested
 * collections start on the next line, two spaces deeper (sequences too); after `-`, on the same line.
 */
function node(v: unknown, indent: number, inMap: boolean): string {
  const child = indent + 2;
  const empty = isEmptyCollection(v);
  if (empty !== undefined) return ` ${empty}\n`;
  if (Array.isArray(v)) return `${inMap ? `\n${spaces(child)}` : ' '}${sequence(v, child)}`;
  if (isPlainObject(v)) return `${inMap ? `\n${spaces(child)}` : ' '}${mapping(v, child)}`;
  return ` ${scalar(v, spaces(child))}\n`;
}

/** One YAML document (a non-empty mapping, as every Kubernetes object is), or `undefined` outside the subset. */
export function fastYamlDocument(doc: unknown): string | undefined {
  if (!isPlainObject(doc) || Object.keys(doc).length === 0) return undefined;
  try {
    return mapping(doc, 0);
  } catch (e) {
    if (e === UNSUPPORTED) return undefined;
    throw e;
  }
}
