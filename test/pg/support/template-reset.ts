// The template reset's server setup (issue 19), shared by test/pg/template-reset*.test.ts and
// test/attack/pg-template-reset-search-path.test.ts: the example estate plus a template-reset
// sandbox erp-fast, applied on one PostgreSQL major with erp prod and shop-alice beside it, the Job's
// login issued as Vault issues it, and a seed (pg_dump -Fc of llx_*, its hashes as the producer
// publishes them). Each file gets its own namespace on the shared server.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { CONTENT_HASH_SCRIPT } from '../../../constructs/lifecycle';
import { Sandbox, SandboxKind, SandboxReset, Tier } from '../../../constructs';
import * as naming from '../../../constructs/naming';
import { TEMPLATE_RESET_NARROW_GRANT_MIN_MAJOR, templateResetConnectionGrant } from '../../../contract/template-reset-login';
import exampleEstate from '../../../environments';
import { synthToDist } from '../../support/synth';
import { createNamespace, ident, pgServer, type Namespace, type Session } from './db';
import { applyEstate, plannerGroup, testPassword, type AppliedEnv, type AppliedEstate } from './estate';
import { findPgTools, runTool, type ToolResult } from './pgtools';
import { currentVault, issueCredential, templateResetLoginPieces } from './vault';

export const SANDBOX = { app: 'erp', env: 'fast' };

/** The example estate with erp's template-reset sandbox `fast`. */
export function templateResetEstate() {
  const e = exampleEstate();
  const erp = e.node.tryFindChild('erp') as ConstructorParameters<typeof Sandbox>[0];
  new Sandbox(erp, 'fast', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2026-11-21', ttlHours: 72, reset: SandboxReset.TEMPLATE });
  return e;
}

export interface Who { user: string; password: string }
export type Issued = { ok: true; login: Who } | { ok: false; code: string; message: string };

export interface TemplateResetFixture {
  readonly major: 15 | 18;
  readonly ns: Namespace;
  readonly applied: AppliedEstate;
  readonly sandbox: AppliedEnv;
  readonly admin: Session;
  readonly dir: string;
  /** The Job's login (replace its fields to run as another). */
  readonly login: Who;
  readonly seedContent: string;
  m(name: string): string;
  db(): string;
  golden(): string;
  template(): string;
  group(): string;
  /** A script as the Job runs it, with the reset's environment (`extra` overrides), as `who`. */
  run(script: string, extra?: Record<string, string>, who?: Who): Promise<ToolResult>;
  /** What a reset must give back: the database's catalog rows, read by the superuser. */
  catalog(name: string): Promise<any>;
  /** A credential of the sandbox's app, as Vault issues it. */
  appUser(): Promise<Who>;
  /** The reset login's Vault role of the synthesized stack (expiry guard retimed if the fixed date has passed). */
  loginVault(): ReturnType<typeof currentVault>;
  issueLogin(): Promise<Issued>;
  /** A session of the Job's login after SET ROLE to the template role. */
  asTemplate(database?: string): Promise<Session>;
  /**
   * The operator's one statement on 16+ (contract/template-reset-login.ts), as the grant's grantor
   * (the provider login): the connection user's ADMIN OPTION on the template role, neither
   * inherited nor settable. `options` replaces the narrowed clause (to put the provider's back).
   */
  narrowConnectionGrant(options?: string): Promise<void>;
  /**
   * A seed as its producer publishes it: `<name>.dump` (pg_dump -Fc of llx_*, `societeRows` rows in
   * llx_societe) and `<name>-hash` (its file and content hashes) in `dir`.
   */
  makeSeed(name: string, societeRows: number): Promise<{ dumpFile: string; hashFile: string; content: string }>;
}

/** Registers beforeAll/afterAll in the calling describe; the fields are valid inside its tests. */
export function templateResetFixture(major: 15 | 18, label: string): TemplateResetFixture {
  const dist = synthToDist(templateResetEstate(), `pg-${label}`);
  const state: any = { major, login: { user: '', password: testPassword() }, seedContent: '' };
  let srcNs: Namespace | undefined;
  let binDir = '';
  let sandboxLimit = -1;
  const f: TemplateResetFixture = Object.assign(state, {
    m: (n: string) => f.applied.names.map(n),
    db: () => f.m(naming.databaseName(SANDBOX)),
    golden: () => f.m(naming.goldenTemplateDatabaseName(SANDBOX)),
    template: () => f.m(naming.templateResetRoleName(SANDBOX)),
    group: () => f.m(naming.groupRoleName(SANDBOX)),
    run(script: string, extra: Record<string, string> = {}, who: Who = f.login): Promise<ToolResult> {
      const creds = join(f.dir, `creds-${who.user}`);
      writeFileSync(creds, `export PGUSER='${who.user}'\nexport PGPASSWORD='${who.password}'\n`, { mode: 0o600 });
      return runTool('/bin/bash', ['-c', script], {
        PATH: `${binDir}:${process.env.PATH}`, HOME: f.dir, PGHOST: f.ns.server.host, PGPORT: String(f.ns.server.port), PGSSLMODE: 'disable',
        PGDATABASE: f.db(), TIERKIT_CREDENTIALS_FILE: creds, TIERKIT_OBJECT_PREFIX: 'llx_', TIERKIT_SEED_HASH_FILE: join(f.dir, 'seed-hash'),
        TIERKIT_DUMP_FILE: join(f.dir, 'seed.dump'), TIERKIT_TEMPLATE_ROLE: f.template(), TIERKIT_GROUP_ROLE: f.group(), TIERKIT_DATABASE: f.db(),
        TIERKIT_GOLDEN_DATABASE: f.golden(), TIERKIT_CONNECT_ROLES: `${f.group()} ${plannerGroup(f.applied.names)}`,
        TIERKIT_VAULT_CONNECTION_ROLE: f.sandbox.vault.connectionUser,
        TIERKIT_CONNECTION_LIMIT: String(sandboxLimit), TIERKIT_DRAIN_TIMEOUT_SECONDS: '4', ...extra,
      });
    },
    async catalog(name: string) {
      const [row] = await f.admin.query(`SELECT r.rolname AS owner, d.datconnlimit, d.datallowconn, d.datistemplate,
          (SELECT coalesce(json_agg(json_build_array(g.rolname, x.privilege_type, x.is_grantable, o.rolname) ORDER BY g.rolname, x.privilege_type), '[]')
             FROM aclexplode(d.datacl) x LEFT JOIN pg_roles g ON g.oid = x.grantee LEFT JOIN pg_roles o ON o.oid = x.grantor) AS acl,
          (SELECT coalesce(json_agg(json_build_array(s.setrole, s.setconfig) ORDER BY s.setrole), '[]') FROM pg_db_role_setting s WHERE s.setdatabase = d.oid) AS settings
        FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE d.datname = $1`, [name]);
      return row;
    },
    async appUser(): Promise<Who> {
      const issued = await issueCredential(f.ns.server, currentVault(f.sandbox), f.applied.names, f.sandbox.connectionPassword);
      if (!issued.ok) throw new Error(`${issued.code} ${issued.message}`);
      return { user: issued.credential.username, password: issued.credential.password };
    },
    loginVault: () => currentVault({ env: f.sandbox.env, vault: templateResetLoginPieces(f.sandbox.stack, f.applied.names) }),
    async issueLogin(): Promise<Issued> {
      const r = await issueCredential(f.ns.server, f.loginVault(), f.applied.names, f.sandbox.connectionPassword);
      return r.ok ? { ok: true, login: { user: r.credential.username, password: r.credential.password } } : { ok: false, code: r.code, message: r.message };
    },
    async narrowConnectionGrant(options?: string): Promise<void> {
      const conn = f.sandbox.vault.connectionUser;
      const [{ grantor }] = await f.admin.query(`SELECT pg_get_userbyid(grantor) AS grantor FROM pg_auth_members
        WHERE roleid = (SELECT oid FROM pg_roles WHERE rolname = $1) AND member = (SELECT oid FROM pg_roles WHERE rolname = $2)`, [f.template(), conn]);
      const sql = templateResetConnectionGrant(f.template(), conn);
      await f.admin.exec(`${options === undefined ? sql : sql.replace(/ WITH .*$/, ` WITH ${options}`)} GRANTED BY ${ident(grantor)}`);
    },
    async makeSeed(name: string, societeRows: number) {
      const src = srcNs!.name(`${name}_src`);
      await (await srcNs!.admin()).exec(`CREATE DATABASE ${ident(src)}`);
      const s = await srcNs!.connect({ user: srcNs!.server.user, password: srcNs!.server.password, database: src });
      await s.exec(`CREATE TABLE llx_societe (rowid serial PRIMARY KEY, nom text NOT NULL, note numeric(10,2));
        INSERT INTO llx_societe (nom, note) SELECT 'client ' || g, g * 1.5 FROM generate_series(1, ${societeRows}) g;
        CREATE TABLE llx_facture (rowid serial PRIMARY KEY, fk_soc int REFERENCES llx_societe, total numeric(12,2));
        INSERT INTO llx_facture (fk_soc, total) SELECT 1 + g % ${societeRows}, g * 10 FROM generate_series(1, 900) g`);
      await s.end();
      const superCreds = { user: srcNs!.server.user, password: srcNs!.server.password };
      const srcEnv = { PGHOST: srcNs!.server.host, PGPORT: String(srcNs!.server.port) };
      const dumpFile = join(f.dir, `${name}.dump`);
      const dump = await runTool(join(binDir, 'pg_dump'), ['--format=custom', '--no-owner', '--no-acl', '--table=llx_*', `--file=${dumpFile}`, src], {
        PATH: process.env.PATH, ...srcEnv, PGUSER: superCreds.user, PGPASSWORD: superCreds.password, PGSSLMODE: 'disable',
      });
      if (dump.code !== 0) throw new Error(`pg_dump: ${dump.stderr}`);
      const hash = await f.run(CONTENT_HASH_SCRIPT, { PGDATABASE: src, ...srcEnv }, superCreds);
      expect(hash.code, hash.stderr).toBe(0);
      const content = hash.stdout.trim();
      const file = (await runTool('/usr/bin/sha256sum', [dumpFile])).stdout.split(' ')[0];
      const hashFile = join(f.dir, `${name}-hash`);
      writeFileSync(hashFile, `file_sha256=${file}\ncontent_sha256=${content}\n`);
      return { dumpFile, hashFile, content };
    },
    async asTemplate(database = f.db()): Promise<Session> {
      const s = await f.ns.connect({ user: f.login.user, password: f.login.password, database });
      await s.query(`SET ROLE ${ident(f.template())}`);
      return s;
    },
  });

  beforeAll(async () => {
    binDir = (await findPgTools(15)).binDir;
    state.dir = mkdtempSync(join(tmpdir(), 'tierkit-template-reset-'));
    state.ns = await createNamespace(pgServer(major), `${label}${major}`);
    state.applied = await applyEstate(f.ns, dist, {
      kind: 'declared', only: (e) => e.slug === 'erp' || e.slug === 'erp-fast' || e.slug === 'shop-alice',
    });
    state.sandbox = f.applied.envs.find((e) => e.env.slug === 'erp-fast')!;
    state.admin = await f.ns.admin();
    // What the operator runs once per template-reset env on 16+, after the apply.
    if (major >= TEMPLATE_RESET_NARROW_GRANT_MIN_MAJOR) await f.narrowConnectionGrant();
    sandboxLimit = (await f.admin.query(`SELECT datconnlimit FROM pg_database WHERE datname = $1`, [f.db()]))[0].datconnlimit;
    // The apply made the role and its golden (the stack's template_reset_role, template_reset_membership,
    // golden_database); the Job's login is issued as Vault would: the stack's template_reset_vault_role
    // statements, run by the connection user on its connection's database.
    expect(await f.catalog(f.golden())).toMatchObject({ owner: f.template(), datallowconn: false, datistemplate: false });
    const issued = await f.issueLogin();
    if (!issued.ok) throw new Error(`the reset login was not issued: ${issued.code} ${issued.message}`);
    Object.assign(f.login, issued.login);
    // The seed, dumped by the superuser from a 15 server (the client tools are 15: pg_dump refuses a newer server).
    srcNs = await createNamespace(pgServer(15), `${label}src${major}`);
    state.seedContent = (await f.makeSeed('seed', 300)).content;
  }, 120_000);
  afterAll(async () => {
    await f.ns?.cleanup();
    await srcNs?.cleanup();
    if (f.dir) rmSync(f.dir, { recursive: true, force: true });
  });
  return f;
}
