import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
// js-yaml, not `yaml`, for reading: 7× faster on large dists, same YAML 1.2 core schema.
import { loadAll } from 'js-yaml';
import type { Manifest } from '../../constructs/synth/manifest';

/**
 * The one reader of a synthesized `dist/`. Policies, diff, CI and the real-PostgreSQL tests all
 * start here; they never import the constructs (a hand-written stack or an escape-hatch override
 * is read exactly like anything tierkit wrote).
 */
export interface TerraformResource {
  readonly stack: string;
  readonly type: string;
  readonly name: string;
  /** `<type>.<name>`, as Terraform addresses it inside the stack. */
  readonly address: string;
  /** Attributes with `${type.name.attr}` references inside the stack resolved. */
  readonly attributes: Readonly<Record<string, unknown>>;
  /** Attributes as written. */
  readonly raw: Readonly<Record<string, unknown>>;
  readonly file: string;
  /** RFC 6901 pointer to the resource inside `file`. */
  readonly pointer: string;
  /** cdktf's construct path of the resource (`erp-sandbox/group_role`), if cdktf wrote it. */
  readonly constructPath?: string;
}

export interface TerraformStackJson {
  readonly name: string;
  readonly file: string;
  /** False for a stack found in dist/ that the manifest does not list (hand-written or stale). */
  readonly listed: boolean;
  readonly json: Readonly<Record<string, any>>;
  readonly resources: readonly TerraformResource[];
}

export interface KubernetesObject {
  readonly file: string;
  readonly listed: boolean;
  /** Index of the document in its YAML stream. */
  readonly index: number;
  readonly object: Readonly<Record<string, any>>;
}

export interface DistContents {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly stacks: readonly TerraformStackJson[];
  readonly kubernetes: readonly KubernetesObject[];
}

export class DistReadError extends Error {
  constructor(readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
    this.name = 'DistReadError';
  }
}

function readText(dir: string, rel: string): string {
  try {
    return readFileSync(join(dir, rel), 'utf8');
  } catch (err) {
    throw new DistReadError(rel, `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); run \`tierkit synth\` first`);
  }
}

/**
 * The first key that an object of valid JSON `text` repeats, if any. `JSON.parse` keeps the last
 * value of a repeated key; Terraform's JSON syntax (HCL) keeps every definition — two `"resource"`
 * properties are two sets of blocks — so a repeated key would hide the earlier definition from the rules.
 */
export function repeatedJsonKey(text: string): string | undefined {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
      i = j;
    } else if (c === '{') { stack.push(new Set()); expectKey = true; }
    else if (c === '[') { stack.push(null); expectKey = false; }
    else if (c === '}' || c === ']') { stack.pop(); expectKey = false; }
    else if (c === ',') expectKey = stack[stack.length - 1] !== null && stack.length > 0;
  }
  return undefined;
}

function readJson(dir: string, rel: string): any {
  const text = readText(dir, rel);
  let json: any;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DistReadError(rel, `is not valid JSON: ${(err as Error).message}`);
  }
  const repeated = repeatedJsonKey(text);
  if (repeated !== undefined) {
    throw new DistReadError(rel, `repeats the key ${JSON.stringify(repeated)} in one object: JSON.parse keeps only its last value, Terraform (HCL JSON) reads every one`);
  }
  return json;
}

function pointerSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

const REF = /\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}/g;

/** Resolve `${type.name.attr}` against the stack's own resources (one level of Terraform refs). */
export function resolveRefs(value: unknown, lookup: (type: string, name: string, attr: string) => unknown): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    const whole = /^\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z0-9_]+)\}$/.exec(value);
    if (whole) {
      const hit = lookup(whole[1], whole[2], whole[3]);
      return hit === undefined ? value : hit;
    }
    return value.replace(REF, (m, t, n, a) => {
      const hit = lookup(t, n, a);
      return typeof hit === 'string' || typeof hit === 'number' ? String(hit) : m;
    });
  }
  if (Array.isArray(value)) return value.map((v) => resolveRefs(v, lookup));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === '//' ? v : resolveRefs(v, lookup);
    return out;
  }
  return value;
}

export function stackResources(name: string, file: string, json: Record<string, any>): TerraformResource[] {
  const raw: { type: string; name: string; body: Record<string, unknown> }[] = [];
  // HCL's JSON syntax also takes an array of objects at each block level (every element a block);
  // tierkit writes objects only, and an array read as an object would name blocks "0", "1", …
  const isObject = (v: unknown) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (Array.isArray(json) || (json.resource !== undefined && !isObject(json.resource))) {
    throw new DistReadError(file, 'holds a block list where tierkit writes an object (HCL JSON reads an array as repeated blocks): write each block as an object');
  }
  for (const [type, byName] of Object.entries(json.resource ?? {})) {
    if (!isObject(byName) || Object.values(byName as object).some((b) => !isObject(b))) {
      throw new DistReadError(file, `resource type ${type} holds a block list where tierkit writes an object (HCL JSON reads an array as repeated blocks): write each block as an object`);
    }
    for (const [rname, body] of Object.entries(byName as Record<string, Record<string, unknown>>)) {
      raw.push({ type, name: rname, body });
    }
  }
  const byAddress = new Map(raw.map((r) => [`${r.type}.${r.name}`, r.body]));
  const lookup = (type: string, rname: string, attr: string, depth = 0): unknown => {
    const body = byAddress.get(`${type}.${rname}`);
    const v = body?.[attr];
    // Chains (database.name → role.name) resolve up to a small depth; cycles stay unresolved.
    return depth < 8 ? resolveRefs(v, (t, n, a) => lookup(t, n, a, depth + 1)) : v;
  };
  return raw.map((r) => {
    const meta = (r.body['//'] as { metadata?: { path?: string } } | undefined)?.metadata;
    return {
      stack: name, type: r.type, name: r.name, address: `${r.type}.${r.name}`,
      attributes: resolveRefs(r.body, lookup) as Record<string, unknown>,
      raw: r.body, file, pointer: `/resource/${pointerSegment(r.type)}/${pointerSegment(r.name)}`,
      constructPath: meta?.path,
    };
  });
}

export function readStack(dir: string, name: string, rel: string, listed = true): TerraformStackJson {
  const json = readJson(dir, rel);
  return { name, file: rel, listed, json, resources: stackResources(name, rel, json) };
}

/** The documents of one YAML stream. */
function parseYamlStream(rel: string, text: string): unknown[] {
  try {
    // tierkit never writes anchors; a hand-written file with alias bombs must not hang check or diff.
    return loadAll(text, { maxAliases: 0 });
  } catch (error) {
    throw new DistReadError(rel, `invalid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
}

function kubernetesObjects(rel: string, docs: readonly unknown[], listed: boolean): KubernetesObject[] {
  return docs.flatMap((object, index) => {
    if (object === null || object === undefined) return [];
    if (typeof object !== 'object' || Array.isArray(object)) throw new DistReadError(rel, `YAML document ${index} is not a Kubernetes object (a mapping)`);
    return [{ file: rel, listed, index, object: object as Record<string, any> }];
  });
}

export function readKubernetes(dir: string, rel: string, listed = true): KubernetesObject[] {
  return kubernetesObjects(rel, parseYamlStream(rel, readText(dir, rel)), listed);
}

/** Every file under `dir/sub`, as paths relative to `dir`, sorted. */
function walk(dir: string, sub: string): string[] {
  const root = join(dir, sub);
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as any).path, e.name).slice(dir.length + 1).split('\\').join('/'))
    .sort();
}

/** The artifact files of a dist (Terraform stacks and Kubernetes manifests), relative, sorted. */
export function artifactFiles(distDir: string): string[] {
  const dir = resolve(distDir);
  return [...walk(dir, 'terraform'), ...walk(dir, 'k8s')].sort();
}

export interface ReadDistOptions {
  /**
   * Relative paths not to read: `diff` passes the files that are byte-identical in both dists,
   * whose contents cannot differ. @default - read every file
   */
  readonly skip?: ReadonlySet<string>;
}

/** What a dist holds to be read, in reading order: listed artifacts first, then unlisted files. */
interface DistPlan {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly stacks: readonly { readonly name: string; readonly rel: string; readonly listed: boolean }[];
  readonly manifests: readonly { readonly rel: string; readonly listed: boolean }[];
}

/**
 * Everything the manifest lists, and every other stack or manifest file found in dist/ (marked
 * `listed: false`): a hand-written file must not escape the rules.
 */
function planDist(distDir: string, options: ReadDistOptions = {}): DistPlan {
  const dir = resolve(distDir);
  const skip = options.skip ?? new Set<string>();
  const manifest = readJson(dir, 'manifest.json') as Manifest;
  if (!manifest || typeof manifest !== 'object' || !Array.isArray(manifest.artifacts)) {
    throw new DistReadError('manifest.json', 'is not a tierkit manifest (no artifacts list)');
  }
  const stacks: DistPlan['stacks'][number][] = [];
  const manifests: DistPlan['manifests'][number][] = [];
  for (const a of manifest.artifacts) {
    if (skip.has(a.path)) continue;
    if (a.kind === 'terraform-stack') stacks.push({ name: a.stack ?? a.path, rel: a.path, listed: true });
    else if (a.kind === 'kubernetes-manifests') manifests.push({ rel: a.path, listed: true });
  }
  const listed = new Set(manifest.artifacts.map((a) => a.path));
  for (const rel of walk(dir, 'terraform')) {
    if (listed.has(rel) || skip.has(rel) || !rel.endsWith('.tf.json')) continue;
    stacks.push({ name: rel.split('/')[1], rel, listed: false });
  }
  for (const rel of walk(dir, 'k8s')) {
    if (listed.has(rel) || skip.has(rel)) continue;
    // Argo CD's directory source (the app of apps reads `<tier>/argocd` whole) applies .json and
    // evaluates .jsonnet files as well as YAML: none of them may escape the rules.
    if (!/\.(ya?ml|json)$/.test(rel)) {
      throw new DistReadError(rel, 'is a file under k8s/ that is neither YAML nor JSON: Argo CD may still read it (a directory source evaluates .jsonnet), no rule can judge it; remove it');
    }
    manifests.push({ rel, listed: false });
  }
  return { dir, manifest, stacks, manifests };
}

/** Read a dist: the manifest, then every stack and manifest file in reading order. */
export function readDist(distDir: string, options: ReadDistOptions = {}): DistContents {
  const plan = planDist(distDir, options);
  return {
    dir: plan.dir,
    manifest: plan.manifest,
    stacks: plan.stacks.map((s) => readStack(plan.dir, s.name, s.rel, s.listed)),
    kubernetes: plan.manifests.flatMap((m) => readKubernetes(plan.dir, m.rel, m.listed)),
  };
}
