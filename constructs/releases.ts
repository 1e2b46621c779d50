import { IMAGE_BY_DIGEST } from '../contract/images';
import { readFileSync } from 'node:fs';
import { repeatedJsonKey } from '../contract/json';
import { TierkitValidationError, ValidationIssue } from './errors';

/**
 * Releases as data: what runs in each env of an app (image by digest, config values, flags, how a
 * change rolls out), in `apps/<app>.releases.json`. A tool edits it (`tierkit promote`), a reviewer
 * reads it, the library loads it (`App` prop `releases`). The reader is strict: every problem is
 * one issue naming the file, the JSON pointer, the value and the fix; unknown fields are refused.
 */

/** How a change of an env's release reaches its pods. */
export class RolloutStrategy {
  /** The Deployment's own rolling update. */
  static readonly IMMEDIATE = new RolloutStrategy('immediate');
  /** An Argo Rollouts canary in front of the Deployment (weights and pauses per tier). */
  static readonly CANARY = new RolloutStrategy('canary');
  /** An Argo Rollouts blue-green in front of the Deployment, with a preview Service. */
  static readonly BLUE_GREEN = new RolloutStrategy('blue_green');
  static readonly ALL: readonly RolloutStrategy[] = [RolloutStrategy.IMMEDIATE, RolloutStrategy.CANARY, RolloutStrategy.BLUE_GREEN];

  private constructor(readonly name: 'immediate' | 'canary' | 'blue_green') {}

  static of(name: unknown): RolloutStrategy | undefined {
    return RolloutStrategy.ALL.find((s) => s.name === name);
  }

  toString(): string {
    return this.name;
  }
}

/** One env's release. */
export interface EnvRelease {
  /** `<repository>@sha256:<64 hex>` (a tag may precede the digest): the digest decides what runs. */
  readonly image: string;
  /** Rendered as the app container's environment variables. */
  readonly config: Readonly<Record<string, string>>;
  /** Values of flags the app declares. */
  readonly flags: Readonly<Record<string, boolean>>;
  readonly strategy: RolloutStrategy;
}

export const RELEASES_SCHEMA_VERSION = 1;
/** `name[:tag]@sha256:<digest>`: a tag alone can be moved under a running env. */
export { IMAGE_BY_DIGEST };
/** Environment variable names the app container may receive (TIERKIT_* are tierkit's own). */
export const CONFIG_KEY = /^(?!TIERKIT_)[A-Z][A-Z0-9_]{0,127}$/;
const ENV_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** RFC 6901 pointer segment. */
export function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The parsed, validated releases file of one app. */
export class Releases {
  /**
   * Read and validate `file`, for an App's `releases` prop. Never throws: a file that cannot be
   * read or is invalid is a Releases with `problems` and no envs, which validation reports with
   * every other problem of the estate (releases-validation.ts), and synth refuses.
   */
  static fromFile(file: string): Releases {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      return new Releases(file, '', {}, [{ path: file, property: '', value: undefined, message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, fix: 'create it (see docs/promotion.md), or drop the `releases` prop' }]);
    }
    try {
      return Releases.parse(text, file);
    } catch (err) {
      if (err instanceof TierkitValidationError) return new Releases(file, '', {}, err.issues);
      throw err;
    }
  }

  /** Parse the text of a releases file (`file` only names it in errors). */
  static parse(text: string, file: string): Releases {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new TierkitValidationError([{ path: file, property: '', value: undefined, message: `is not JSON (${(err as Error).message})`, fix: 'fix the JSON syntax' }]);
    }
    // JSON.parse keeps the last of a repeated key; a reviewer reads the first. One meaning only.
    const repeated = repeatedJsonKey(text);
    if (repeated !== undefined) {
      throw new TierkitValidationError([{ path: file, property: '', value: repeated, message: `repeats the key "${repeated}": JSON readers keep the last value, a reviewer sees the first`, fix: 'keep one definition of it' }]);
    }
    const issues = releasesIssues(data, file);
    if (issues.length > 0) throw new TierkitValidationError(issues);
    const d = data as { app: string; envs: Record<string, Record<string, unknown>> };
    const envs: Record<string, EnvRelease> = {};
    for (const env of Object.keys(d.envs).sort()) {
      const e = d.envs[env] as { image: string; config?: Record<string, string>; flags?: Record<string, boolean>; strategy?: string };
      envs[env] = { image: e.image, config: sortedRecord(e.config ?? {}), flags: sortedRecord(e.flags ?? {}), strategy: RolloutStrategy.of(e.strategy ?? 'immediate')! };
    }
    return new Releases(file, d.app, envs);
  }

  private constructor(
    /** Where it was read from (errors name it). */
    readonly file: string,
    readonly app: string,
    readonly envs: Readonly<Record<string, EnvRelease>>,
    /** Why the file could not be read (fromFile): then it has no envs. */
    readonly problems: readonly ValidationIssue[] = [],
  ) {}

  env(name: string): EnvRelease | undefined {
    return Object.prototype.hasOwnProperty.call(this.envs, name) ? this.envs[name] : undefined;
  }

  /** The file's canonical text (sorted keys, two-space indent): what `tierkit promote` writes. */
  toJson(): string {
    return serializeReleases(this.app, this.envs);
  }

  /** A copy with `env`'s release replaced (the caller validates the result by re-parsing). */
  with(env: string, release: EnvRelease): Releases {
    return new Releases(this.file, this.app, { ...this.envs, [env]: release });
  }
}

export function serializeReleases(app: string, envs: Readonly<Record<string, EnvRelease>>): string {
  const out = {
    schemaVersion: RELEASES_SCHEMA_VERSION,
    app,
    envs: Object.fromEntries(Object.keys(envs).sort().map((k) => [k, releaseJson(envs[k])])),
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

/** One release as the file holds it (immediate, the default, is still written: the reader sees it). */
export function releaseJson(r: EnvRelease): Record<string, unknown> {
  return { config: sortedRecord(r.config), flags: sortedRecord(r.flags), image: r.image, strategy: r.strategy.name };
}

function sortedRecord<T>(r: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]]));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every problem of a releases document, each with its JSON pointer. */
export function releasesIssues(data: unknown, file: string): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  const add = (pointer: string, value: unknown, message: string, fix: string) => out.push({ path: file, property: pointer || '/', value, message, fix });
  if (!isObject(data)) {
    add('', data, 'is not a JSON object', 'write { "schemaVersion": 1, "app": "<app>", "envs": { "<env>": { "image": "<repo>@sha256:<digest>" } } }');
    return out;
  }
  for (const k of Object.keys(data)) {
    if (!['schemaVersion', 'app', 'envs'].includes(k)) add(`/${pointerSegment(k)}`, data[k], 'is not a field of a releases file', 'remove it (fields: schemaVersion, app, envs)');
  }
  if (data.schemaVersion !== RELEASES_SCHEMA_VERSION) add('/schemaVersion', data.schemaVersion, `is not a schema version this tierkit reads`, `set it to ${RELEASES_SCHEMA_VERSION}`);
  if (typeof data.app !== 'string' || !ENV_NAME.test(data.app)) add('/app', data.app, 'is not an app name (a DNS-1123 label)', 'set it to the name of the App this file belongs to');
  if (!isObject(data.envs)) {
    add('/envs', data.envs, 'is not an object of env name → release', 'write "envs": { "dev": { "image": "<repo>@sha256:<digest>" } }');
    return out;
  }
  for (const [env, rel] of Object.entries(data.envs)) {
    const at = `/envs/${pointerSegment(env)}`;
    if (!ENV_NAME.test(env)) add(at, env, 'is not an env name (a DNS-1123 label)', 'use the env name of the app (the tier name, or a sandbox id)');
    if (!isObject(rel)) {
      add(at, rel, 'is not an object', 'write { "image": "<repo>@sha256:<digest>", "config": {}, "flags": {}, "strategy": "immediate" }');
      continue;
    }
    for (const k of Object.keys(rel)) {
      if (!['image', 'config', 'flags', 'strategy'].includes(k)) add(`${at}/${pointerSegment(k)}`, rel[k], 'is not a field of a release', 'remove it (fields: image, config, flags, strategy)');
    }
    if (typeof rel.image !== 'string' || !IMAGE_BY_DIGEST.test(rel.image)) {
      add(`${at}/image`, rel.image, 'is not an image pinned by digest', 'write "<registry>/<repo>[:<tag>]@sha256:<64 lowercase hex>" (`docker buildx imagetools inspect <image>` prints the digest)');
    }
    if (rel.config !== undefined) {
      if (!isObject(rel.config)) add(`${at}/config`, rel.config, 'is not an object of NAME → string', 'write "config": { "LOG_LEVEL": "info" }');
      else {
        for (const [k, v] of Object.entries(rel.config)) {
          const p = `${at}/config/${pointerSegment(k)}`;
          if (!CONFIG_KEY.test(k)) add(p, k, 'is not a config name (an environment variable name: A-Z, 0-9, _, starting with a letter; TIERKIT_* is reserved)', `rename it, e.g. "${k.toUpperCase().replace(/[^A-Z0-9_]/g, '_').replace(/^TIERKIT_/, '').replace(/^[^A-Z]+/, '') || 'SETTING'}"`);
          if (typeof v !== 'string') add(p, v, 'is not a string (config values are environment variables)', `quote it: "${String(v)}"`);
        }
      }
    }
    if (rel.flags !== undefined) {
      if (!isObject(rel.flags)) add(`${at}/flags`, rel.flags, 'is not an object of flag → boolean', 'write "flags": { "<flag>": true }');
      else {
        for (const [k, v] of Object.entries(rel.flags)) {
          if (typeof v !== 'boolean') add(`${at}/flags/${pointerSegment(k)}`, v, 'is not a boolean', 'write true or false');
        }
      }
    }
    if (rel.strategy !== undefined && !RolloutStrategy.of(rel.strategy)) {
      add(`${at}/strategy`, rel.strategy, 'is not a rollout strategy', `use one of ${RolloutStrategy.ALL.map((s) => `"${s.name}"`).join(', ')}`);
    }
  }
  return out;
}

/** seed 001's diff shape: dotted paths of what was added, removed and modified from `a` to `b`. */
export interface EnvDiff {
  readonly added: Readonly<Record<string, unknown>>;
  readonly removed: Readonly<Record<string, unknown>>;
  readonly modified: Readonly<Record<string, { readonly old: unknown; readonly new: unknown }>>;
}

/** Leaves of a release under dotted paths (`image`, `config.LOG_LEVEL`, `flags.x`, `strategy`). */
export function flattenRelease(r: EnvRelease): Record<string, unknown> {
  const out: Record<string, unknown> = { image: r.image, strategy: r.strategy.name };
  for (const [k, v] of Object.entries(r.config)) out[`config.${k}`] = v;
  for (const [k, v] of Object.entries(r.flags)) out[`flags.${k}`] = v;
  return out;
}

export function diffReleases(a: EnvRelease, b: EnvRelease): EnvDiff {
  const fa = flattenRelease(a);
  const fb = flattenRelease(b);
  const added: Record<string, unknown> = {};
  const removed: Record<string, unknown> = {};
  const modified: Record<string, { old: unknown; new: unknown }> = {};
  for (const k of [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort()) {
    if (!(k in fa)) added[k] = fb[k];
    else if (!(k in fb)) removed[k] = fa[k];
    else if (fa[k] !== fb[k]) modified[k] = { old: fa[k], new: fb[k] };
  }
  return { added, removed, modified };
}
