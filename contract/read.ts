import { repeatedJsonKey } from './json';
import { holdsNoRepeatedKey } from './read-json';
import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, existsSync, fstatSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MANIFEST_SCHEMA_VERSION, Manifest } from './manifest';
import { repeatedManifestKeys } from './manifest-keys';
import { DistProblem, pointerSegment } from './problems';
import { normalizeStack } from './terraform/normalize';
import { StackEvaluator } from './terraform/stack';
import { mergeStackFiles } from './terraform/merge';
import { hasGoYamlOnlyBreak } from './yaml-breaks';
import { parseTierkitYaml, writesBack } from './yaml-read';
import type { YamlVerifier } from './yaml-verify';

export type { DistProblem } from './problems';
export type { CiDocument, DistContents, KubernetesObject, TerraformResource, TerraformStackJson } from './dist-types';
export { DistReadError } from './dist-types';
export { refuseGoLineBreaks } from './read-yaml';
import { DistReadError } from './dist-types';
import { parseYamlStream } from './read-yaml';
import type { CiDocument, DistContents, KubernetesObject, TerraformResource, TerraformStackJson } from './dist-types';

/**
 * A dist/ file's bytes, never through a symbolic link (O_NOFOLLOW) and only from a regular file: synth
 * writes neither links nor special files, and a link's target can change after check read it while the
 * link itself (and a fingerprint of it) does not (attack11).
 */
export function readRegularFile(path: string): Buffer {
  // O_NONBLOCK: a FIFO swapped in after the listing opens without waiting for a writer, then is refused.
  const fd = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  try {
    if (!fstatSync(fd).isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'ENOTREG' });
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

function readText(dir: string, rel: string): string {
  try {
    return readRegularFile(join(dir, rel)).toString('utf8');
  } catch (err) {
    throw new DistReadError(rel, `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); run \`tierkit synth\` first`);
  }
}

function parseJson(rel: string, text: string): any {
  let json: any;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DistReadError(rel, `is not valid JSON: ${(err as Error).message}; run \`tierkit synth\` to rewrite it`);
  }
  // As many keys in the text as properties in the value: no key repeated (read-json.ts), without
  // the slower key-by-key scan, which names the key otherwise.
  const repeated = holdsNoRepeatedKey(text, json) ? undefined : repeatedJsonKey(text);
  if (repeated !== undefined) {
    throw new DistReadError(rel, `repeats the key ${JSON.stringify(repeated)} in one object: JSON.parse keeps only its last value, Terraform (HCL JSON) reads every one, so a definition would escape the rules; run \`tierkit synth\` to rewrite it`);
  }
  return json;
}

/**
 * The resources of one stack's configuration, evaluated. `origins` maps `resource/<type>/<name>`
 * to where the block was written (file#pointer) when it differs from `file` / the plain pointer.
 */
export function stackResources(name: string, file: string, json: Record<string, any>, origins: ReadonlyMap<string, { file: string; pointer: string }> = new Map()): TerraformResource[] {
  return evaluateStack(name, file, json, origins).resources;
}

function evaluateStack(name: string, file: string, json: Record<string, any>, origins: ReadonlyMap<string, { file: string; pointer: string }>) {
  const evaluator = new StackEvaluator(json);
  const resources: TerraformResource[] = [];
  const dataSources: TerraformResource[] = [];
  for (const i of evaluator.all()) {
    const section = i.kind === 'data' ? 'data' : 'resource';
    const at = origins.get(`${section}/${i.type}/${i.name}`)
      ?? { file, pointer: `/${section}/${pointerSegment(i.type)}/${pointerSegment(i.name)}` };
    // The instance is the resource rules see: its attributes are evaluated on first read.
    i.stack = name;
    i.file = at.file;
    i.pointer = at.pointer;
    (i.kind === 'data' ? dataSources : resources).push(i);
  }
  const providers: Record<string, Record<string, unknown>[]> = {};
  for (const [p, blocks] of Object.entries((json.provider ?? {}) as Record<string, unknown>)) {
    providers[p] = ([] as unknown[]).concat(blocks ?? []).map((b) => evaluator.value(b) as Record<string, unknown>);
  }
  return { resources, dataSources, providers };
}

/** One stack, from its files (the first is the stack's own `cdk.tf.json`; overrides are merged as Terraform does). */
function readStackFiles(dir: string, name: string, files: readonly string[], listed: boolean, problems: DistProblem[], load: (rel: string) => string = (rel) => readText(dir, rel)): TerraformStackJson {
  const parsed = files.map((rel) => {
    const n = normalizeStack(parseJson(rel, load(rel)));
    for (const p of n.problems) problems.push({ file: rel, pointer: p.pointer, reason: p.reason, fix: p.fix });
    return { rel, json: n.json, origins: n.origins };
  });
  const merged = mergeStackFiles(parsed, problems);
  const { resources, dataSources, providers } = evaluateStack(name, files[0], merged.json, merged.origins);
  return { name, file: files[0], listed, json: merged.json, resources, dataSources, providers };
}

export function readStack(dir: string, name: string, rel: string, listed = true): TerraformStackJson {
  const problems: DistProblem[] = [];
  return readStackFiles(dir, name, [rel], listed, problems);
}

function kubernetesObjects(rel: string, docs: readonly unknown[], listed: boolean): KubernetesObject[] {
  return docs.flatMap((object, index) => {
    if (object === null || object === undefined) return [];
    if (typeof object !== 'object' || Array.isArray(object)) throw new DistReadError(rel, `YAML document ${index} is not a Kubernetes object (a mapping)`, `/${index}`);
    return [{ file: rel, listed, index, object: object as Record<string, any> }];
  });
}

export function readKubernetes(dir: string, rel: string, listed = true): KubernetesObject[] {
  return kubernetesObjects(rel, parseYamlStream(rel, readText(dir, rel)), listed);
}

/** Every regular file under `dir/sub` (all of dir when `sub` is ''), as paths relative to `dir`, sorted (links and special files: notRegular). */
function walk(dir: string, sub: string): string[] {
  return entries(dir, sub).filter((e) => e.isFile()).map((e) => relativeTo(dir, e)).sort();
}

function entries(dir: string, sub: string): import('node:fs').Dirent[] {
  const root = join(dir, sub);
  if (!existsSync(root)) return [];
  // withFileTypes: each entry as lstat sees it; a linked directory is listed, never descended.
  return readdirSync(root, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[];
}

const relativeTo = (dir: string, e: import('node:fs').Dirent) => join(e.parentPath ?? (e as any).path, e.name).slice(dir.length + 1).split('\\').join('/');

/** Entries of a dist/ that are neither a regular file nor a directory, as reader problems (TK020), sorted. */
export function notRegularProblems(distDir: string): DistProblem[] {
  const dir = resolve(distDir);
  return notRegularIn(dir, entries(dir, ''));
}

function notRegularIn(dir: string, listing: readonly import('node:fs').Dirent[]): DistProblem[] {
  return listing.filter((e) => !e.isFile() && !e.isDirectory()).map((e) => relativeTo(dir, e)).sort().map((rel) => ({
    file: rel, pointer: '',
    reason: 'is a symbolic link or special file, not a regular file: synth writes neither, and what CI uploads through a link is whatever its target holds when it is read, not what check judged',
    fix: 'remove it and re-run `tierkit synth`; dist/ holds only the regular files synth writes',
  }));
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

/** The manifest, checked for what every reader relies on: fatal when it fails. */
export function readManifest(distDir: string): Manifest {
  return manifestOf(readText(resolve(distDir), 'manifest.json'));
}

function manifestOf(text: string): Manifest {
  const manifest = parseJson('manifest.json', text) as Manifest;
  if (!manifest || typeof manifest !== 'object' || Array.isArray(manifest)) throw new DistReadError('manifest.json', 'is not a tierkit manifest (not a JSON object); run `tierkit synth`');
  if (manifest.schemaVersion !== MANIFEST_SCHEMA_VERSION) {
    throw new DistReadError('manifest.json', `schemaVersion is ${JSON.stringify(manifest.schemaVersion)}, but this tierkit reads schema ${MANIFEST_SCHEMA_VERSION}: `
      + 'a dist from another tierkit version cannot be judged by these rules; synthesize it with this version (`tierkit synth`)', '/schemaVersion');
  }
  for (const key of ['artifacts', 'stacks', 'appEnvironments', 'tiers', 'servers'] as const) {
    if (!Array.isArray(manifest[key])) throw new DistReadError('manifest.json', `has no ${key} list; run \`tierkit synth\``, `/${key}`);
  }
  return manifest;
}

/** A stack directory's files in load order: `cdk.tf.json` first, then the others, overrides last (Terraform's order). */
function stackFileOrder(files: string[]): string[] {
  if (files.length === 1) return files;
  const override = (f: string) => /(^|\/|_)override\.tf\.json$/.test(f);
  return [...files].sort((a, b) => Number(override(a)) - Number(override(b)) || Number(!a.endsWith('/cdk.tf.json')) - Number(!b.endsWith('/cdk.tf.json')) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Read a dist: the manifest, then every stack and manifest file, listed or not. Only a dist that
 * cannot be read at all throws (DistReadError); everything else it refuses is in `problems`.
 */
export function readDist(distDir: string, options: ReadDistOptions = {}): DistContents {
  return startReading(diskSource(distDir), options, () => undefined).finish(undefined);
}

/**
 * Where a read of dist/ takes its listing and bytes: the disk, or (`policies/share/`) the texts a
 * read of the disk sent on, in the order it read them — never the disk a second time.
 */
export interface DistSource {
  readonly dir: string;
  /** Every regular file, relative, sorted. */
  files(): string[];
  /** Links and special files, as reader problems. */
  notRegular(): DistProblem[];
  /** One file's text (UTF-8); throws when it cannot be read. */
  text(rel: string): string;
}

export function diskSource(distDir: string): DistSource {
  const dir = resolve(distDir);
  // One listing of dist/ for both questions: a second recursive readdir cost ~60 ms at 100×.
  let listing: import('node:fs').Dirent[] | undefined;
  const list = () => (listing ??= entries(dir, ''));
  return {
    dir,
    files: () => list().filter((e) => e.isFile()).map((e) => relativeTo(dir, e)).sort(),
    notRegular: () => notRegularIn(dir, list()),
    text: (rel) => readRegularFile(join(dir, rel)).toString('utf8'),
  };
}

/**
 * A YAML file read ahead of the stacks: its text, the fast reader's unverified documents, and
 * their verdict — known (checked in this thread) or a ticket of the verifier's. A file the fast
 * reader does not take keeps its text for the full path; a read that failed keeps its error, thrown
 * where readDist always threw it (after the stacks).
 */
interface YamlRead {
  readonly rel: string;
  readonly listed: boolean;
  readonly text?: string;
  readonly docs?: readonly Record<string, unknown>[];
  readonly verdict?: boolean;
  readonly ticket?: number;
  readonly error?: unknown;
}

/** A read under way (`startReading`): `verified` lists the YAML files whose fast parse this thread checked and kept. */
export interface DistReading { readonly verified: readonly string[]; finish(verdicts: readonly boolean[] | undefined): DistContents }

/** readDist in two steps: `finish` waits for a verifier's verdicts (read-parallel.ts). */
export function startReading(source: DistSource, options: ReadDistOptions, verifierFor: (chars: number) => YamlVerifier | undefined): DistReading {
  const dir = source.dir;
  const skip = options.skip ?? new Set<string>();
  let manifestText: string;
  try {
    manifestText = source.text('manifest.json');
  } catch (err) {
    throw new DistReadError('manifest.json', `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); run \`tierkit synth\` first`);
  }
  const manifest = manifestOf(manifestText);
  const problems: DistProblem[] = [];
  const listed = new Map(manifest.artifacts.map((a, i) => [a.path, { a, i }]));
  if (manifest.artifacts.length === 0 || manifest.stacks.length === 0 || manifest.appEnvironments.length === 0) {
    problems.push({ file: 'manifest.json', pointer: manifest.artifacts.length === 0 ? '/artifacts' : manifest.stacks.length === 0 ? '/stacks' : '/appEnvironments',
      reason: 'declares an empty estate (no artifacts, stacks or app-environments): an estate with nothing in it proves nothing, and every file beside it would go unjudged',
      fix: 'synthesize the estate (`tierkit synth`) into dist/; an estate declares at least one app-environment' });
  }
  problems.push(...repeatedManifestKeys(manifest), ...source.notRegular());
  // Each file is read once, hashed and parsed, then dropped: a large dist is never held as text.
  const load = (rel: string): string => {
    const text = source.text(rel);
    const entry = listed.get(rel);
    if (entry) {
      // The hash of the UTF-8 text: what synth hashed. (A file that is not valid UTF-8 is not tierkit's, and differs.)
      const sha = createHash('sha256').update(text, 'utf8').digest('hex');
      if (sha !== entry.a.sha256) {
        problems.push({ file: rel, pointer: '', reason: `sha256 ${sha} differs from manifest.json /artifacts/${entry.i}/sha256 (${entry.a.sha256}): the file was edited after synthesis`,
          fix: 'change the estate (environments/, apps/) or an escape hatch and re-run `tierkit synth`; never edit dist/ by hand' });
      }
    }
    return text;
  };
  // Every file in dist/: listed artifacts, or unlisted ones that are still read (a rule must judge a hand-written stack).
  const stackDirs = new Map<string, string[]>();
  const yamls: { rel: string; listed: boolean }[] = [];
  const present = source.files();
  let stateAccess: DistContents['stateAccess'];
  let dataPromote: DistContents['dataPromote'];
  let review: DistContents['review'];
  const rulesets: CiDocument[] = [];
  const presentSet = new Set(present);
  for (const [rel, { i }] of listed) {
    if (!skip.has(rel) && !presentSet.has(rel)) {
      problems.push({ file: rel, pointer: '', reason: `is listed in manifest.json (/artifacts/${i}) but missing`, fix: 'run `tierkit synth` and commit the whole dist/' });
    }
  }
  for (const rel of present) {
    if (rel === 'manifest.json') continue;
    const entry = listed.get(rel);
    if (entry && entry.a.kind === 'kubernetes-manifests') {
      if (!skip.has(rel)) yamls.push({ rel, listed: true });
      continue;
    }
    const stackDir = /^terraform\/([^/]+)\/[^/]+$/.exec(rel)?.[1];
    if (entry && entry.a.kind === 'terraform-stack' && stackDir) {
      if (!skip.has(rel)) stackDirs.set(stackDir, [...(stackDirs.get(stackDir) ?? []), rel]);
      continue;
    }
    if (skip.has(rel)) continue;
    const ciKind = rel === 'ci/state-access.json' ? 'ci-state-access' : /^ci\/rulesets\/[^/]+\.json$/.test(rel) ? 'ci-github-ruleset'
      : rel === 'ci/data-promote.json' ? 'ci-data-promote' : rel === 'ci/review.json' ? 'ci-review' : undefined;
    if (ciKind) {
      // Read whether listed or not: TK093/TK094 judge what CI and GitHub would be given, as written.
      const text = load(rel);
      let document: unknown;
      let error: string | undefined;
      try {
        document = parseJson(rel, text);
      } catch (err) {
        error = err instanceof DistReadError ? err.reason : (err as Error).message;
      }
      const doc: CiDocument = { file: rel, listed: entry?.a.kind === ciKind, ...(error === undefined ? { document } : { error }) };
      if (ciKind === 'ci-state-access') stateAccess = doc;
      else if (ciKind === 'ci-data-promote') dataPromote = doc;
      else if (ciKind === 'ci-review') review = doc;
      else rulesets.push(doc);
      if (entry?.a.kind === ciKind) continue;
    }
    if (stackDir && rel.endsWith('.tf.json')) {
      problems.push({ file: rel, pointer: '', reason: `is not a file tierkit writes: Terraform loads every *.tf.json in terraform/${stackDir}/${/override\.tf\.json$/.test(rel) ? ' and merges *_override.tf.json over the stack' : ''}, so its blocks are applied with the stack`,
        fix: 'declare the change in the estate (or an escape hatch) and re-run `tierkit synth`; delete the file' });
      stackDirs.set(stackDir, [...(stackDirs.get(stackDir) ?? []), rel]);
      continue;
    }
    if (rel.startsWith('k8s/') && /\.ya?ml$/.test(rel)) {
      problems.push({ file: rel, pointer: '', reason: 'is not a file tierkit writes: Argo CD applies every manifest under the rendered path',
        fix: 'declare the object through the estate and re-run `tierkit synth`; delete the file' });
      yamls.push({ rel, listed: false });
      continue;
    }
    problems.push({ file: rel, pointer: '', reason: stackDir
      ? `is not a file tierkit writes, and tierkit cannot read it: Terraform loads ${rel.endsWith('.tf') ? 'HCL *.tf files' : /tfvars/.test(rel) ? 'variable values from *.tfvars files' : 'files'} in terraform/${stackDir}/ with the stack, so nothing it declares would be judged`
      : 'is not a file tierkit writes; nothing in dist/ may escape the rules',
    fix: 'delete the file; declare the change in the estate and re-run `tierkit synth`' });
  }

  // The YAML files first, so that a verifier checks them while this thread reads the stacks. This
  // pass never throws: what it cannot take is read the full way below, in readDist's old order.
  const yamlReads = yamls.map(({ rel, listed: isListed }): YamlRead => {
    let text: string;
    try {
      text = load(rel);
    } catch (error) {
      return { rel, listed: isListed, error };
    }
    // A Go-only line break is refused by parseYamlStream, in order, below: never the fast path.
    if (hasGoYamlOnlyBreak(text)) return { rel, listed: isListed, text };
    const docs = parseTierkitYaml(text);
    if (docs === undefined) return { rel, listed: isListed, text };
    const verifier = verifierFor(text.length);
    if (verifier) return { rel, listed: isListed, text, docs, ticket: verifier.submit(text, rel) };
    // Checked at once, the text dropped: a large dist is never held as text.
    return writesBack(text, docs) ? { rel, listed: isListed, docs, verdict: true } : { rel, listed: isListed, text };
  });

  const stacks: TerraformStackJson[] = [];
  const stackOf = new Map(manifest.artifacts.filter((a) => a.kind === 'terraform-stack').map((a) => [a.path, a.stack ?? a.path]));
  for (const [stackDir, files] of [...stackDirs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const ordered = stackFileOrder(files);
    const main = ordered.find((f) => stackOf.has(f));
    stacks.push(readStackFiles(dir, main ? stackOf.get(main)! : stackDir, ordered, main !== undefined, problems, load));
  }
  return {
    verified: yamlReads.filter((r) => r.verdict === true).map((r) => r.rel),
    finish(verdicts) {
      const kubernetes = yamlReads.flatMap((r) => {
        if (r.error !== undefined) throw r.error;
        // The fast documents only with a true verdict: this thread's own, the worker's, or (no
        // worker answer) the write-back check run here. Else the full path, exactly as before.
        const verified = r.docs !== undefined
          && (r.verdict ?? (verdicts !== undefined && r.ticket !== undefined ? verdicts[r.ticket] === true : writesBack(r.text!, r.docs)));
        return kubernetesObjects(r.rel, verified ? r.docs! : parseYamlStream(r.rel, r.text!), r.listed);
      });
      // Problems in a stable order whatever the reading order: by file, then pointer.
      problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0));
      return { dir, manifest, stacks, kubernetes, problems, ...(stateAccess ? { stateAccess } : {}), githubRulesets: rulesets, ...(dataPromote ? { dataPromote } : {}), ...(review ? { review } : {}) };
    },
  };
}

/** Any problem of a dist as one error naming the side (`base`/`head`), for diff and ci. */
export function describeProblems(side: string, problems: readonly DistProblem[]): string {
  return problems.map((p) => `${side} dist: ${p.file}${p.pointer ? `#${p.pointer}` : ''}: ${p.reason} (fix: ${p.fix})`).join('\n');
}
