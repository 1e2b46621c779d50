/**
 * What `tierkit sandbox create|extend|delete|list` and `tierkit gc` share: flag parsing for hours
 * and instants, loading the estate with its data-file sandboxes, checking a candidate file with the
 * same validation synth runs, and writing a file atomically. Nothing is written on refusal.
 */
import { existsSync, mkdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { App } from '../constructs/app';
import type { Estate } from '../constructs/estate';
import { TierkitValidationError } from '../constructs/errors';
import { appsOf } from '../constructs/query';
import { Sandbox } from '../constructs/sandbox';
import { MANAGED_BY, SandboxFileData, parseSandboxFile, sandboxFileName, sandboxFileProblems, sandboxFromData } from '../constructs/sandbox-files';
import { validateEstate } from '../constructs/validation';
import { UsageError } from './command';
import { loadEstate } from './estate-entry';
import { configuredEntry, projectRoot, resolveFrom } from './project';

export const ESTATE_OPTION = { estate: { type: 'string' } } as const;

/** `72h` or `3d` → hours; anything else is a usage error naming the flag. */
export function parseHours(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^([1-9][0-9]{0,4})(h|d)$/.exec(value);
  if (!m) throw new UsageError(`--${flag} must be whole hours or days, e.g. 72h or 3d (got "${value}")`);
  return Number(m[1]) * (m[2] === 'd' ? 24 : 1);
}

/** `--now`: a UTC instant to the second (createdAt is written from it). Default: the clock, to the second. */
export function parseNow(value: string | undefined, clock: () => Date): Date {
  if (value === undefined) return new Date(Math.floor(clock().getTime() / 1000) * 1000);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new UsageError(`--now must be a UTC instant to the second, e.g. 2026-11-22T12:00:00Z (got "${value}")`);
  }
  return new Date(value);
}

export const instant = (d: Date): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function requireName(flag: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`--${flag} is required`);
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value)) {
    throw new UsageError(`--${flag} must be a DNS-1123 label: lowercase letters, digits and "-" (got "${value}")`);
  }
  return value;
}

export interface LoadedEstate {
  readonly estate: Estate;
  readonly dir: string;
}

/**
 * The sandbox commands act on the data files only when every file reads (exit 1 listing each
 * problem, as before loadSandboxFiles stopped throwing): gc never removes beside a file it cannot read.
 */
export function refuseSandboxFileProblems(estate: Estate): void {
  const problems = sandboxFileProblems(estate);
  if (problems.length > 0) throw new TierkitValidationError([...problems]);
}

/** Load the estate program; it must load data-file sandboxes (else there is nowhere to write). */
export function loadWithSandboxDir(cwd: string, entryFlag: string | undefined): LoadedEstate {
  const entry = entryFlag !== undefined ? resolveFrom(cwd, entryFlag) : configuredEntry(projectRoot(cwd));
  const estate = loadEstate(entry);
  refuseSandboxFileProblems(estate);
  if (!estate.sandboxFilesDir) {
    throw new UsageError(`${entry} loads no sandbox data files: call loadSandboxFiles(estate, join(__dirname, '..', 'sandboxes')) in it`);
  }
  return { estate, dir: estate.sandboxFilesDir };
}

export function appOf(estate: Estate, name: string): App {
  const app = appsOf(estate).find((a) => a.appName === name);
  if (!app) throw new UsageError(`--app ${name} is not an app of the estate (apps: ${appsOf(estate).map((a) => a.appName).sort().join(', ')})`);
  return app;
}

/** The data file of sandbox `name` of `app`, and the loaded Sandbox it declares (undefined if none). */
export function fileSandbox(loaded: LoadedEstate, app: App, name: string): { path: string; file: string; sandbox?: Sandbox } {
  const path = join(loaded.dir, app.appName, `${name}.json`);
  const sandbox = app.sandboxes.find((s) => s.env === name);
  return { path, file: sandboxFileName(loaded.dir, app.appName, name), sandbox };
}

/** The file text tierkit writes: fixed key order, two-space indent, a final newline. */
export function renderSandboxFile(data: SandboxFileData): string {
  const ordered: Record<string, unknown> = {};
  for (const k of ['managedBy', 'kind', 'owner', 'template', 'createdAt', 'ttlHours', 'seed', 'flags', 'egress', 'reason'] as const) {
    if (data[k] !== undefined) ordered[k] = data[k];
  }
  return `${JSON.stringify({ ...ordered, managedBy: MANAGED_BY }, null, 2)}\n`;
}

/**
 * Check `text` as the file of sandbox `name`: the strict reader, then the estate's whole validation
 * with it in place of the current declaration (the same checks synth runs). Throws a validation
 * error (exit 1) listing every problem; returns normally only when synth would accept it.
 */
export function checkCandidate(loaded: LoadedEstate, app: App, name: string, text: string, replace: boolean): void {
  const file = sandboxFileName(loaded.dir, app.appName, name);
  const parsed = parseSandboxFile(file, text);
  if (!parsed.data) throw new TierkitValidationError(parsed.issues);
  // extend replaces the current declaration; create must collide with an existing env of that name.
  if (replace) app.node.tryRemoveChild(name);
  const sb = sandboxFromData(loaded.estate, app, name, file, parsed.data);
  if (!(sb instanceof Sandbox)) throw new TierkitValidationError([sb]);
  const issues = validateEstate(loaded.estate);
  if (issues.length > 0) throw new TierkitValidationError(issues);
}

/** Write atomically (temp file + rename in the same directory). */
export function writeFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { flag: 'wx' });
  try {
    renameSync(tmp, path);
  } finally {
    if (existsSync(tmp)) unlinkSync(tmp);
  }
}

/** `alive, 46 h left` / `expired 3 h ago`, at `now`. */
export function stateAt(expiresAt: string | undefined, now: Date): string {
  if (!expiresAt) return 'invalid expiry';
  const hours = Math.round((Date.parse(expiresAt) - now.getTime()) / 3_600_000);
  return Date.parse(expiresAt) > now.getTime() ? `alive, ${hours} h left` : `expired ${-hours} h ago`;
}
