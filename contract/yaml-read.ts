import { NON_STRING_TESTS, fastYamlDocument } from './yaml-write';

/**
 * A fast reader for YAML streams exactly as tierkit writes them, for `check` and `diff` on large
 * dists (js-yaml spends ~3 s on the reference estate's 24,000 objects; this ~0.4 s).
 *
 * It never has to be trusted on its own: each document it reads is written back with the
 * emitter (`yaml-write.ts`, held byte for byte to `yaml`'s output by a property test) and must give
 * back the very same text. When the emitter, given these objects, writes exactly this text, the
 * text means these objects. Anything else — a hand edit that changes layout, comments, anchors or
 * aliases, a repeated key, flow collections, tags, a value the emitter would quote differently,
 * a document `yaml` wrote outside the fast subset — returns `undefined`, and the caller parses
 * the file with the strict full parser, which accepts and refuses exactly what it did before.
 */

class Deviation extends Error {}
const DEVIATION = new Deviation();

/** Plain scalars the fast path types itself; any other core-schema look-alike goes to the full parser. */
const INT = /^[-+]?[0-9]+$/;

/** First characters of every core-schema look-alike (null, bool, int, float): others are strings. */
const MAY_NOT_BE_STRING = new Set([...'~nNtTfF0123456789+-.']);

function plainScalar(text: string): unknown {
  if (!MAY_NOT_BE_STRING.has(text[0])) return text;
  if (text === 'null') return null;
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (INT.test(text)) {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw DEVIATION;
    return n;
  }
  if (NON_STRING_TESTS.some((re) => re.test(text))) throw DEVIATION;
  return text;
}

/** A quoted scalar at `at` of `line`: [value, index after the closing quote]. */
function quotedScalar(line: string, at: number): [string, number] {
  if (line[at] === '"') {
    let j = at + 1;
    while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
    if (j >= line.length) throw DEVIATION;
    try {
      return [JSON.parse(line.slice(at, j + 1)) as string, j + 1];
    } catch {
      throw DEVIATION;
    }
  }
  // Single-quoted: '' is a quote; the emitter writes it only for text holding " and no '.
  const end = line.indexOf("'", at + 1);
  if (end < 0) throw DEVIATION;
  return [line.slice(at + 1, end), end + 1];
}

const SPACES: string[] = [];
function spaces(n: number): string {
  return (SPACES[n] ??= ' '.repeat(n));
}

/**
 * One string for each distinct plain value (labels, kinds, names repeat thousands of times at the
 * reference estate: 725,000 values, 17,000 distinct): fewer strings for the young-generation GC to
 * copy, ~10 MB less heap. Keyed on the whole value, so two different texts never share an entry;
 * equal strings are indistinguishable. Bounded: cleared when full (like yaml-write.ts `styled`).
 */
const INTERNED = new Map<string, string>();
const INTERNED_MAX = 100_000;
function intern(v: string): string {
  const known = INTERNED.get(v);
  if (known !== undefined) return known;
  if (INTERNED.size >= INTERNED_MAX) INTERNED.clear();
  INTERNED.set(v, v);
  return v;
}

class Reader {
  /** Reads `lines[pos]` up to (not including) `lines[end]`: one document of a stream's lines. */
  constructor(private readonly lines: readonly string[], private pos = 0, private readonly end = lines.length) {}

  done(): boolean {
    return this.pos >= this.end;
  }

  /** A mapping whose keys sit at column `indent`; the first entry may start mid-line at `col`. */
  mapping(indent: number, col = indent): Record<string, unknown> {
    const obj: Record<string, unknown> = {};
    const pad = spaces(indent);
    let first = true;
    while (this.pos < this.end) {
      const line = this.lines[this.pos];
      const start = first ? col : indent;
      if (!first && (line.length <= indent || line.charCodeAt(indent) === 32 || !line.startsWith(pad)
        || (line.charCodeAt(indent) === 45 /* - */ && line.charCodeAt(indent + 1) === 32))) break;
      first = false;
      let key: string;
      let at: number;
      const c = line.charCodeAt(start);
      if (c === 34 /* " */ || c === 39 /* ' */) {
        [key, at] = quotedScalar(line, start);
        if (line.charCodeAt(at) !== 58 /* : */) throw DEVIATION;
      } else {
        at = line.indexOf(':', start);
        while (at >= 0 && at + 1 < line.length && line.charCodeAt(at + 1) !== 32) at = line.indexOf(':', at + 1);
        if (at < 0) throw DEVIATION;
        key = line.slice(start, at);
      }
      // `<<` is a merge key to Kubernetes' and Argo CD's YAML readers (go-yaml), a plain key to
      // YAML 1.2: the full reader refuses it, with its pointer.
      if (key === '__proto__' || key === '<<' || Object.prototype.hasOwnProperty.call(obj, key)) throw DEVIATION;
      obj[key] = this.value(line, at + 1, indent);
    }
    return obj;
  }

  /** A sequence whose `-` sit at column `indent`; the first item may start mid-line at `col`. */
  sequence(indent: number, col = indent): unknown[] {
    const items: unknown[] = [];
    let first = true;
    while (!this.done()) {
      const line = this.lines[this.pos];
      const start = first ? col : indent;
      if (!first && (line.length <= indent || line[indent] !== '-' || !line.startsWith(spaces(indent)))) break;
      first = false;
      if (line[start] !== '-') throw DEVIATION;
      items.push(this.item(line, start, indent));
    }
    return items;
  }

  /** What follows `-` at `dash`: a nested sequence or mapping on the same line, or a value. */
  private item(line: string, dash: number, indent: number): unknown {
    const c = dash + 2;
    if (line[dash + 1] !== ' ') throw DEVIATION;
    if (line[c] === '-' && line[c + 1] === ' ') return this.sequence(indent + 2, c);
    if (this.startsEntry(line, c)) return this.mapping(indent + 2, c);
    return this.value(line, dash + 1, indent);
  }

  /** Whether `line` holds `key:` at `at` (a mapping entry), not a lone scalar. */
  private startsEntry(line: string, at: number): boolean {
    if (line[at] === '"' || line[at] === "'") {
      try {
        return line[quotedScalar(line, at)[1]] === ':';
      } catch {
        return false;
      }
    }
    if (line[at] === '|' || line[at] === '{' || line[at] === '[') return false;
    const colon = line.indexOf(': ', at);
    return colon >= 0 || line.endsWith(':');
  }

  /**
   * The value after `key:` or `-` (`at` is just past the indicator) of a node at `indent`: a
   * scalar or empty collection on this line, a block scalar, or a collection on the next lines.
   */
  private value(line: string, at: number, indent: number): unknown {
    this.pos++;
    if (at === line.length) {
      if (this.done()) throw DEVIATION;
      const next = this.lines[this.pos];
      const child = indent + 2;
      return next[child] === '-' ? this.sequence(child) : this.mapping(child);
    }
    if (line[at] !== ' ') throw DEVIATION;
    const rest = line.slice(at + 1);
    if (rest === '{}') return {};
    if (rest === '[]') return [];
    if (rest === '|' || rest === '|-') return this.block(indent + 2, rest === '|');
    if (rest[0] === '"' || rest[0] === "'") {
      const [text, end] = quotedScalar(rest, 0);
      if (end !== rest.length) throw DEVIATION;
      return text;
    }
    const v = plainScalar(rest);
    return typeof v === 'string' ? intern(v) : v;
  }

  /** A literal block scalar's body: following lines indented by `indent`, and empty lines. */
  private block(indent: number, clip: boolean): string {
    const prefix = spaces(indent);
    const body: string[] = [];
    while (!this.done()) {
      const line = this.lines[this.pos];
      if (line === '') body.push('');
      else if (line.startsWith(prefix)) body.push(line.slice(indent));
      else break;
      this.pos++;
    }
    return body.join('\n') + (clip ? '\n' : '');
  }
}

function parseDocument(text: string): Record<string, unknown> {
  const reader = new Reader(text.slice(0, -1).split('\n'));
  const doc = reader.mapping(0);
  if (!reader.done()) throw DEVIATION;
  return doc;
}

/**
 * The documents of a stream, read from one split of the whole text: the lines between `---` lines,
 * as `documentTexts` cuts them, without a copy of each document's text (with the value table below:
 * the 100× manifests parse in ~600 ms CPU, not ~690, and hold 85 MB of heap, not 120).
 */
function streamDocuments(text: string): Record<string, unknown>[] {
  const lines = text.split('\n');
  lines.pop(); // the text ends with a newline: the last element is ''
  if (lines.length === 0) throw DEVIATION;
  const docs: Record<string, unknown>[] = [];
  let start = 0;
  // A `---` line ends a document; the stream's first line never does (`\n---\n` needs a newline before it).
  for (let i = 1; i <= lines.length; i++) {
    if (i < lines.length && lines[i] !== '---') continue;
    if (i === start) throw DEVIATION; // an empty document
    const reader = new Reader(lines, start, i);
    docs.push(reader.mapping(0));
    if (!reader.done()) throw DEVIATION;
    start = i + 1;
  }
  return docs;
}

/** A stream's documents, as written between `---` lines (each with its final newline). */
function documentTexts(text: string): string[] {
  const parts = text.split('\n---\n');
  return parts.map((p, i) => (i < parts.length - 1 ? `${p}\n` : p));
}

/**
 * The documents the fast reader makes of `text`, NOT verified: `undefined` when the text leaves
 * the subset it reads. Only `readTierkitYaml`, or `writesBack` on these very documents, makes them
 * trustworthy; `contract/yaml-verify.ts` runs that check on another thread.
 */
export function parseTierkitYaml(text: string): Record<string, unknown>[] | undefined {
  if (!text.endsWith('\n')) return undefined;
  try {
    return streamDocuments(text);
  } catch {
    // A deviation, or anything else (a nesting too deep for the stack): the caller reads the
    // file with `readTierkitYaml` and the full parser, which succeed or fail as they always did.
    return undefined;
  }
}

/** Whether the emitter writes `docs` (the fast reader's documents of `text`) back to exactly `text`. */
export function writesBack(text: string, docs: readonly Record<string, unknown>[]): boolean {
  const parts = documentTexts(text);
  try {
    return parts.length === docs.length && parts.every((part, i) => fastYamlDocument(docs[i]) === part);
  } catch {
    return false; // the caller reads the file the full way, which fails as it always did
  }
}

/**
 * The documents of a YAML stream tierkit wrote, or `undefined` when the text is anything else
 * (then parse it with the full parser). Each document is verified by writing it back.
 */
export function readTierkitYaml(text: string): Record<string, unknown>[] | undefined {
  if (!text.endsWith('\n')) return undefined;
  const parts = documentTexts(text);
  const docs: Record<string, unknown>[] = [];
  for (const part of parts) {
    let doc: Record<string, unknown>;
    try {
      doc = parseDocument(part);
    } catch (e) {
      if (e === DEVIATION) return undefined;
      throw e;
    }
    if (fastYamlDocument(doc) !== part) return undefined;
    docs.push(doc);
  }
  return docs;
}
