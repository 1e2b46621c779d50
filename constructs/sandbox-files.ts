/**
 * Sandboxes as data: `sandboxes/<app>/<name>.json`, one file per sandbox, loaded by the estate
 * program beside its TypeScript (`loadSandboxFiles(estate, dir)`), written and edited by
 * `tierkit sandbox create|extend|delete` and reviewed as pull requests.
 *
 * JSON, not YAML: no new dependency in the library, no implicit typing (`no` → false, `1e3` → a
 * number, `2026-11-21` → a Date), no anchors or merge keys; the strict reader refuses repeated
 * keys (JSON.parse would keep the last) and unknown keys, each as one issue naming the file, the
 * JSON pointer, the value and the fix.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { repeatedJsonKey } from '../contract/json';
import type { App } from './app';
import { SandboxKind, SandboxReset, SeedProfile } from './enums';
import { TierkitValidationError, ValidationIssue } from './errors';
import type { Estate } from './estate';
import { recordIssues } from './props';
import { appsOf } from './query';
import { Sandbox } from './sandbox';

/** The value of `managedBy` in files tierkit writes: `tierkit gc` removes only those. */
export const MANAGED_BY = 'tierkit';
export const SANDBOX_FILE_EXTENSION = '.json';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A full UTC instant, to the second: a bare date or a local time would make expiry machine-dependent. */
export const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const FILE_KINDS = ['engineer', 'team', 'branch'] as const;

/** One sandbox data file, as read (names are the file's: `<app>/<name>.json`). */
export interface SandboxFileData {
  readonly managedBy?: string;
  readonly kind: (typeof FILE_KINDS)[number];
  readonly owner: string;
  readonly template: string;
  readonly createdAt: string;
  readonly ttlHours?: number;
  readonly seed?: string;
  readonly flags?: readonly string[];
  readonly egress?: boolean;
  readonly reason?: string;
  readonly reset?: 'restore' | 'template';
}

type Check = { readonly describe: string; readonly ok: (v: unknown) => boolean; readonly fix: string };
const KEYS: Readonly<Record<keyof SandboxFileData, Check & { required?: boolean }>> = {
  managedBy: { describe: `"${MANAGED_BY}"`, ok: (v) => v === MANAGED_BY, fix: `set "managedBy": "${MANAGED_BY}", or remove the key (then tierkit gc never removes the file)` },
  kind: { describe: `one of ${FILE_KINDS.join(', ')}`, ok: (v) => (FILE_KINDS as readonly unknown[]).includes(v), fix: 'set "kind": "engineer" (or "team", "branch")', required: true },
  owner: { describe: 'a non-empty string', ok: (v) => typeof v === 'string' && v.trim() !== '' && v.trim() === v, fix: 'set "owner" to a declared owner or group (Estate sandboxOwners)', required: true },
  template: { describe: 'a template name', ok: (v) => typeof v === 'string' && DNS_LABEL.test(v), fix: 'set "template" to a SandboxTemplate declared in the estate', required: true },
  createdAt: { describe: 'a UTC instant like 2026-11-21T10:00:00Z', ok: (v) => typeof v === 'string' && INSTANT.test(v) && !Number.isNaN(Date.parse(v)), fix: 'write e.g. "createdAt": "2026-11-21T10:00:00Z"', required: true },
  ttlHours: { describe: 'a whole number of hours, at least 1', ok: (v) => Number.isInteger(v) && (v as number) >= 1, fix: 'write e.g. "ttlHours": 72, or remove it for the template default' },
  seed: { describe: 'synthetic:<version>, sanitized:<dataset> or golden', ok: (v) => typeof v === 'string' && seedOf(v) !== undefined, fix: 'write e.g. "seed": "synthetic:v1"' },
  flags: {
    describe: 'a list of distinct flag names', fix: 'write e.g. "flags": ["onboarding", "async-billing"]',
    ok: (v) => Array.isArray(v) && v.every((f) => typeof f === 'string' && /^[a-z0-9][a-z0-9._-]*$/.test(f)) && new Set(v).size === v.length,
  },
  egress: { describe: 'a boolean', ok: (v) => typeof v === 'boolean', fix: 'write "egress": false (true only if the template allows egress)' },
  reason: { describe: 'a string', ok: (v) => typeof v === 'string', fix: 'say why, in at least 10 characters' },
  reset: { describe: '"restore" or "template"', ok: (v) => v === 'restore' || v === 'template', fix: 'write "reset": "template" (clone a golden template database), or remove it for the pg_restore reset' },
};

export function seedOf(name: string): SeedProfile | undefined {
  if (name === SeedProfile.GOLDEN.name) return SeedProfile.GOLDEN;
  const v = /^synthetic:([a-z0-9][a-z0-9._-]*)$/.exec(name);
  if (v) return SeedProfile.synthetic(v[1]);
  const m = /^sanitized:([a-z0-9][a-z0-9._-]*)$/.exec(name);
  return m ? SeedProfile.sanitized(m[1]) : undefined;
}

const pointer = (key: string) => `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;

/** Parse one file's text strictly; `file` names it in every issue. */
export function parseSandboxFile(file: string, text: string): { data?: SandboxFileData; issues: ValidationIssue[] } {
  const at = (property: string, value: unknown, message: string, fix: string): ValidationIssue => ({ path: file, property, value, message, fix });
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { issues: [at('', text.slice(0, 40), `is not valid JSON (${(err as Error).message})`, 'fix the syntax, or recreate it with `tierkit sandbox create`')] };
  }
  const repeated = repeatedJsonKey(text);
  if (repeated !== undefined) {
    return { issues: [at(pointer(repeated), repeated, 'is a repeated key: JSON readers disagree on which value counts', 'keep one definition of the key')] };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { issues: [at('', raw, 'must be a JSON object', 'write {"kind": …, "owner": …, "template": …, "createdAt": …}')] };
  }
  const obj = raw as Record<string, unknown>;
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(obj)) {
    const check = (KEYS as Record<string, Check>)[key];
    if (!check) {
      issues.push(at(pointer(key), value, 'is not a sandbox file key', `remove it; the keys are ${Object.keys(KEYS).join(', ')}`));
    } else if (!check.ok(value)) {
      issues.push(at(pointer(key), value, `must be ${check.describe}`, check.fix));
    }
  }
  for (const [key, check] of Object.entries(KEYS)) {
    if (check.required && !(key in obj)) issues.push(at(pointer(key), undefined, 'is required', check.fix));
  }
  return issues.length > 0 ? { issues } : { data: obj as unknown as SandboxFileData, issues };
}

/** `<dir name>/<app>/<name>.json`: how files are named in errors, the manifest and the PR comment. */
export function sandboxFileName(dir: string, app: string, name: string): string {
  return `${basename(dir)}/${app}/${name}${SANDBOX_FILE_EXTENSION}`;
}

/** Create the Sandbox a file declares under its app (no checks beyond the file's own shape and template). */
export function sandboxFromData(estate: Estate, app: App, name: string, file: string, data: SandboxFileData): Sandbox | ValidationIssue {
  const template = estate.sandboxTemplates.find((t) => t.templateName === data.template);
  if (!template) {
    const declared = estate.sandboxTemplates.map((t) => t.templateName);
    return { path: file, property: '/template', value: data.template, message: 'is not a sandbox template declared in the estate',
      fix: declared.length > 0 ? `use one of ${declared.join(', ')}` : 'declare one: new SandboxTemplate(estate, "feature-default", { tier: Tier.DEV })' };
  }
  // The file is the declaration: a name an env of the app already has is the file's problem, named by its path.
  if (app.node.tryFindChild(name)) {
    return { path: file, property: 'env', value: name, message: `duplicate env "${name}"`, fix: 'rename the file: no tier or other sandbox of this app may use that env name' };
  }
  const kind = { engineer: SandboxKind.ENGINEER, team: SandboxKind.TEAM, branch: SandboxKind.BRANCH }[data.kind];
  const sb = new Sandbox(app, name, {
    tier: template.tier, kind, owner: data.owner, createdAt: data.createdAt, template,
    ...(data.ttlHours !== undefined ? { ttlHours: data.ttlHours } : {}),
    ...(data.seed !== undefined ? { seed: seedOf(data.seed) } : {}),
    ...(data.reason !== undefined ? { reason: data.reason } : {}),
    ...(data.egress !== undefined ? { egress: data.egress } : {}),
    ...(data.reset !== undefined ? { reset: data.reset === 'template' ? SandboxReset.TEMPLATE : SandboxReset.RESTORE } : {}),
    ...(data.flags !== undefined ? { flags: Object.fromEntries(data.flags.map((f) => [f, true])) } : {}),
  });
  sb.declaredIn = { file, managed: data.managedBy === MANAGED_BY };
  return sb;
}

/** Every sandbox data file under `dir`, sorted: `[app, name, path]`. A stray entry is an issue, never skipped. */
export function listSandboxFiles(dir: string): { files: [string, string, string][]; issues: ValidationIssue[] } {
  const files: [string, string, string][] = [];
  const issues: ValidationIssue[] = [];
  if (!existsSync(dir)) return { files, issues };
  const stray = (rel: string, why: string, fix: string) => issues.push({ path: `${basename(dir)}/${rel}`, property: '', value: rel, message: why, fix });
  for (const app of readdirSync(dir).sort()) {
    const appDir = join(dir, app);
    if (!statSync(appDir).isDirectory()) {
      if (app !== 'README.md') stray(app, 'is not an app directory', 'move it to sandboxes/<app>/<name>.json');
      continue;
    }
    for (const entry of readdirSync(appDir).sort()) {
      const name = entry.slice(0, -SANDBOX_FILE_EXTENSION.length);
      if (!entry.endsWith(SANDBOX_FILE_EXTENSION) || !statSync(join(appDir, entry)).isFile()) {
        stray(`${app}/${entry}`, 'is not a sandbox data file (tierkit reads <name>.json only; YAML is not read)', 'rename it <name>.json in JSON, or remove it');
      } else if (!DNS_LABEL.test(name)) {
        stray(`${app}/${entry}`, 'is not named after a DNS-1123 label', 'rename it, e.g. alice-onboarding.json');
      } else {
        files.push([app, name, join(appDir, entry)]);
      }
    }
  }
  return { files, issues };
}

const fileProblems = new WeakMap<Estate, readonly ValidationIssue[]>();

/** The problems loadSandboxFiles found in `estate`'s sandbox data files (the sandbox CLI refuses to act on them). */
export function sandboxFileProblems(estate: Estate): readonly ValidationIssue[] {
  return fileProblems.get(estate) ?? [];
}

/**
 * Load every `<dir>/<app>/<name>.json` into the estate as a Sandbox of that app. Never throws: the
 * problems of every file (each naming its file) are recorded on the estate, and validation reports
 * them with every other problem of the estate in one run (a bad file hides nothing); the estate's
 * checks (owner, quota, TTL, seed, egress, flags) run at synth with the rest of validation.
 */
export function loadSandboxFiles(estate: Estate, dir: string): Sandbox[] {
  estate.sandboxFilesDir = dir;
  const { files, issues } = listSandboxFiles(dir);
  const out: Sandbox[] = [];
  const apps = new Map(appsOf(estate).map((a) => [a.appName, a]));
  for (const [appName, name, path] of files) {
    const file = sandboxFileName(dir, appName, name);
    const app = apps.get(appName);
    if (!app) {
      issues.push({ path: file, property: '', value: appName, message: 'is in the directory of no declared app', fix: `move it under one of ${[...apps.keys()].sort().join(', ')}` });
      continue;
    }
    const parsed = parseSandboxFile(file, readFileSync(path, 'utf8'));
    issues.push(...parsed.issues);
    if (!parsed.data) continue;
    try {
      const sb = sandboxFromData(estate, app, name, file, parsed.data);
      if (sb instanceof Sandbox) out.push(sb);
      else issues.push(sb);
    } catch (err) {
      if (!(err instanceof TierkitValidationError)) throw err;
      issues.push(...err.issues.map((i) => ({ ...i, path: file })));
    }
  }
  recordIssues(estate, issues);
  fileProblems.set(estate, [...(fileProblems.get(estate) ?? []), ...issues]);
  return out;
}
