// Issue 17: the data promote's script text (constructs/lifecycle/data-promote.ts) end to end on
// one real PostgreSQL 15 server holding erp-sandbox and a "prod" erp, applied from the example
// dist: the rehearsal (host guard, from golden, hashes), a refused DDL, a refused changed
// script, a refused stale rehearsal, and the replay with the promote credential Vault would issue.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_HASH_SCRIPT } from '../../constructs/lifecycle';
import { DATA_PROMOTE_EXIT, DATA_PROMOTE_REHEARSE_SCRIPT, DATA_PROMOTE_REPLAY_SCRIPT } from '../../constructs/lifecycle/data-promote';
import { readDataRecord } from '../../contract/promotion-record';
import { testTmp } from '../setup/tmpdir';
import { synthToDist } from '../support/synth';
import { createNamespace, pgServer, type Namespace } from './support/db';
import { applyEstate, envStack, type AppliedEnv, type AppliedEstate } from './support/estate';
import { findPgTools, runTool, type ToolResult } from './support/pgtools';
import { issueCredential, promoteRolePieces, type VaultPieces } from './support/vault';

const dist = synthToDist(undefined, 'pg-data-promote');
const TIERKIT_BIN = resolve(__dirname, '..', '..', 'bin', 'tierkit');

describe('the data promote end to end on PostgreSQL 15 (sandbox and prod on one server)', () => {
  const dir = testTmp('pg-data-promote');
  const shimDir = join(dir, 'shim');
  const changes = join(dir, 'changes');
  const rehearsalFile = join(dir, 'rehearsal');
  const recordFile = join(dir, 'promotion.json');
  let ns: Namespace;
  let applied: AppliedEstate;
  let prod: AppliedEnv;
  let sandbox: AppliedEnv;
  let promote: VaultPieces;
  let binDir: string;
  let sandboxLogin: { user: string; password: string };
  let golden: string;
  const m = (n: string) => applied.names.map(n);
  const prodTables = () => JSON.parse(readFileSync(join(dist.dir, 'manifest.json'), 'utf8')).appEnvironments
    .find((e: { slug: string }) => e.slug === 'erp').promote.grants.map((g: { table: string }) => g.table).join(' ');

  async function login(e: AppliedEnv | VaultPieces, connectionPassword: string): Promise<{ user: string; password: string }> {
    const pieces = 'vault' in e ? e.vault : e;
    const issued = await issueCredential(ns.server, pieces, applied.names, connectionPassword, 900);
    if (!issued.ok) throw new Error(`${pieces.roleName}: ${issued.code} ${issued.message} ${issued.sql}`);
    return { user: issued.credential.username, password: issued.credential.password };
  }

  async function run(script: string, who: { user: string; password: string }, database: string, env: Record<string, string>): Promise<ToolResult> {
    const creds = join(dir, `creds-${who.user}`);
    writeFileSync(creds, `export PGUSER='${who.user}'\nexport PGPASSWORD='${who.password}'\n`, { mode: 0o600 });
    return runTool('/bin/bash', ['-c', script], {
      PATH: `${shimDir}:${binDir}:${process.env.PATH}`, HOME: dir,
      PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGSSLMODE: 'disable', PGDATABASE: database,
      TIERKIT_CREDENTIALS_FILE: creds, TIERKIT_OBJECT_PREFIX: 'llx_', TIERKIT_REHEARSAL_FILE: rehearsalFile, ...env,
    });
  }

  const rehearse = (file: string, database = m('erp-sandbox'), extra: Record<string, string> = {}) => run(DATA_PROMOTE_REHEARSE_SCRIPT, sandboxLogin, database, {
    TIERKIT_CHANGE_SCRIPT: file, TIERKIT_GROUP_ROLE: m('erp_sandbox_role'), TIERKIT_SANDBOX_HOST: ns.server.host,
    TIERKIT_SANDBOX_DATABASE: m('erp-sandbox'), TIERKIT_SEED_CONTENT_SHA256: golden, ...extra,
  });
  const replay = async (file: string, extra: Record<string, string> = {}) => run(DATA_PROMOTE_REPLAY_SCRIPT, await login(promote, prod.connectionPassword), m('erp'), {
    TIERKIT_CHANGE_SCRIPT: file, TIERKIT_GROUP_ROLE: m('erp_role'), TIERKIT_PROD_HOST: ns.server.host, TIERKIT_PROD_DATABASE: m('erp'),
    TIERKIT_PROMOTE_TABLES: prodTables(), TIERKIT_MAX_REHEARSAL_AGE_SECONDS: '3600', TIERKIT_APPROVERS: 'alice,bob-ops',
    TIERKIT_APP: 'erp', TIERKIT_PROMOTION_RECORD: recordFile, ...extra,
  });
  const change = (name: string, sql: string) => {
    writeFileSync(join(changes, name), sql);
    return join(changes, name);
  };
  const rows = async (database: string, table: string) => (await ns.admin(database)).query(`SELECT rowid, note FROM ${table} ORDER BY rowid`);

  beforeAll(async () => {
    binDir = (await findPgTools(15)).binDir;
    mkdirSync(shimDir, { recursive: true });
    mkdirSync(changes, { recursive: true });
    // The workflow runs tierkit from the estate's own node_modules; here, this checkout's.
    writeFileSync(join(shimDir, 'tierkit'), `#!/bin/sh\nexec ${TIERKIT_BIN} "$@"\n`, { mode: 0o755 });
    ns = await createNamespace(pgServer(15), 'datapromote');
    applied = await applyEstate(ns, dist, { kind: 'declared', only: (e) => e.slug === 'erp' || e.slug === 'erp-sandbox' });
    prod = applied.envs.find((e) => e.env.slug === 'erp')!;
    sandbox = applied.envs.find((e) => e.env.slug === 'erp-sandbox')!;
    // The promote role's statements name the app's tables, which live inside the test's own databases: unprefixed.
    const pieces = promoteRolePieces(envStack(dist, prod.env), applied.names);
    promote = { ...pieces, creation: pieces.creation.map((s) => s.replaceAll(`"${applied.names.prefix}llx_`, '"llx_')) };
    // The same app data on both sides (the sandbox as its reset leaves it: equal to its golden).
    for (const e of [prod, sandbox]) {
      const who = await login(e, e.connectionPassword);
      const s = await ns.connect({ ...who, database: m(e.env.names.database) });
      await s.exec(`CREATE TABLE llx_facture (rowid int PRIMARY KEY, note text);
        CREATE TABLE llx_facturedet (rowid int PRIMARY KEY, note text);
        CREATE TABLE llx_societe (rowid int PRIMARY KEY, note text);
        CREATE TABLE llx_user (rowid int PRIMARY KEY, note text);
        INSERT INTO llx_facture VALUES (1, 'open'), (2, 'open');
        INSERT INTO llx_facturedet VALUES (1, 'line one'), (2, 'line two');
        INSERT INTO llx_societe VALUES (1, 'acme');
        INSERT INTO llx_user VALUES (1, 'admin')`);
      await s.end();
    }
    sandboxLogin = await login(sandbox, sandbox.connectionPassword);
    const hashed = await run(CONTENT_HASH_SCRIPT, sandboxLogin, m('erp-sandbox'), {});
    expect(hashed.code).toBe(0);
    golden = hashed.stdout.trim();
  }, 120_000);

  afterAll(async () => {
    await ns?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const FIX = `UPDATE llx_facture SET note = 'paid' WHERE rowid = 1;
INSERT INTO llx_facturedet VALUES (3, 'line three');
DELETE FROM llx_facturedet WHERE rowid = 2;
`;

  it('the host guard refuses any rehearsal target but the sandbox: nothing runs, no rehearsal is recorded', async () => {
    const fix = change('0001-pay-invoice.sql', FIX);
    const onProd = await rehearse(fix, m('erp'));
    expect(onProd.code).toBe(DATA_PROMOTE_EXIT.TARGET);
    expect(onProd.stderr).toContain('is not the sandbox');
    const otherHost = await rehearse(fix, m('erp-sandbox'), { TIERKIT_SANDBOX_HOST: 'erp-sandbox.db.example' });
    expect(otherHost.code).toBe(DATA_PROMOTE_EXIT.TARGET);
    expect(() => readFileSync(rehearsalFile)).toThrow();
    expect(await rows(m('erp'), 'llx_facture')).toEqual([{ rowid: 1, note: 'open' }, { rowid: 2, note: 'open' }]);
  });

  it('refuses DDL (and transaction control) by the SQL parser, before touching anything', async () => {
    const ddl = change('0002-ddl.sql', `UPDATE llx_facture SET note = 'x';\nALTER TABLE llx_facture ADD COLUMN evil text;\n`);
    const r = await rehearse(ddl);
    expect(r.code).toBe(DATA_PROMOTE_EXIT.SCRIPT);
    expect(r.stderr).toContain('statement 2 is AlterTable');
    const commit = await rehearse(change('0003-commit.sql', `UPDATE llx_facture SET note = 'x';\nCOMMIT;\nDROP TABLE llx_user;\n`));
    expect(commit.code).toBe(DATA_PROMOTE_EXIT.SCRIPT);
    expect(await rows(m('erp-sandbox'), 'llx_facture')).toEqual([{ rowid: 1, note: 'open' }, { rowid: 2, note: 'open' }]);
  });

  it('rehearses on the sandbox from its golden and records the script hash and content hashes before and after', async () => {
    const r = await rehearse(join(changes, '0001-pay-invoice.sql'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rec = Object.fromEntries(readFileSync(rehearsalFile, 'utf8').trim().split('\n').map((l) => l.split('=')));
    expect(rec.sandbox_before_sha256).toBe(golden);
    expect(rec.sandbox_after_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.sandbox_after_sha256).not.toBe(golden);
    expect(Math.abs(Number(rec.rehearsed_at_epoch) - Date.now() / 1000)).toBeLessThan(120);
    expect(await rows(m('erp-sandbox'), 'llx_facturedet')).toEqual([{ rowid: 1, note: 'line one' }, { rowid: 3, note: 'line three' }]);
    // A second rehearsal without a reset is refused: the sandbox is no longer at its golden.
    const again = await run(DATA_PROMOTE_REHEARSE_SCRIPT, sandboxLogin, m('erp-sandbox'), {
      TIERKIT_CHANGE_SCRIPT: join(changes, '0001-pay-invoice.sql'), TIERKIT_GROUP_ROLE: m('erp_sandbox_role'), TIERKIT_SANDBOX_HOST: ns.server.host,
      TIERKIT_SANDBOX_DATABASE: m('erp-sandbox'), TIERKIT_SEED_CONTENT_SHA256: golden, TIERKIT_REHEARSAL_FILE: join(dir, 'second'),
    });
    expect(again.code).toBe(DATA_PROMOTE_EXIT.NOT_AT_GOLDEN);
  });

  it('refuses to replay a script changed since the rehearsal, a DDL script whatever the record says, and a stale rehearsal', async () => {
    const original = readFileSync(join(changes, '0001-pay-invoice.sql'), 'utf8');
    const record = readFileSync(rehearsalFile, 'utf8');
    writeFileSync(join(changes, '0001-pay-invoice.sql'), `${original}DELETE FROM llx_facturedet;\n`);
    const changed = await replay(join(changes, '0001-pay-invoice.sql'));
    expect(changed.code).toBe(DATA_PROMOTE_EXIT.CHANGED);
    expect(changed.stderr).toContain('rehearse it again');
    writeFileSync(join(changes, '0001-pay-invoice.sql'), original);
    // A forged record naming the DDL script's hash: the replay inspects the script itself.
    const ddlSha = (await runTool(TIERKIT_BIN, ['data-promote', 'inspect', join(changes, '0001-pay-invoice.sql')])).stdout.trim();
    expect(ddlSha).toMatch(/^script_sha256=[0-9a-f]{64}$/);
    const ddl = change('0004-ddl.sql', 'DROP TABLE llx_facture;\n');
    const forged = await replay(ddl);
    expect(forged.code).toBe(DATA_PROMOTE_EXIT.SCRIPT);
    const stale = Math.floor(Date.now() / 1000) - 7200;
    writeFileSync(rehearsalFile, record.replace(/^rehearsed_at_epoch=\d+$/m, `rehearsed_at_epoch=${stale}`));
    const old = await replay(join(changes, '0001-pay-invoice.sql'));
    expect(old.code).toBe(DATA_PROMOTE_EXIT.STALE);
    writeFileSync(rehearsalFile, record);
    const unapproved = await replay(join(changes, '0001-pay-invoice.sql'), { TIERKIT_APPROVERS: '' });
    expect(unapproved.code).not.toBe(0);
    expect(await rows(m('erp'), 'llx_facture')).toEqual([{ rowid: 1, note: 'open' }, { rowid: 2, note: 'open' }]);
    expect(() => readFileSync(recordFile)).toThrow();
  });

  it('the sandbox credential cannot replay on prod; the promote credential can, and the promotion record holds hashes and approvers', async () => {
    const asSandbox = await run(DATA_PROMOTE_REPLAY_SCRIPT, sandboxLogin, m('erp'), {
      TIERKIT_CHANGE_SCRIPT: join(changes, '0001-pay-invoice.sql'), TIERKIT_GROUP_ROLE: m('erp_role'), TIERKIT_PROD_HOST: ns.server.host,
      TIERKIT_PROD_DATABASE: m('erp'), TIERKIT_PROMOTE_TABLES: prodTables(), TIERKIT_MAX_REHEARSAL_AGE_SECONDS: '3600',
      TIERKIT_APPROVERS: 'alice', TIERKIT_APP: 'erp', TIERKIT_PROMOTION_RECORD: recordFile,
    });
    expect(asSandbox.code).not.toBe(0);
    expect(asSandbox.stderr).toMatch(/permission denied for database|CONNECT/);
    const r = await replay(join(changes, '0001-pay-invoice.sql'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await rows(m('erp'), 'llx_facture')).toEqual([{ rowid: 1, note: 'paid' }, { rowid: 2, note: 'open' }]);
    expect(await rows(m('erp'), 'llx_facturedet')).toEqual([{ rowid: 1, note: 'line one' }, { rowid: 3, note: 'line three' }]);
    const record = JSON.parse(readFileSync(recordFile, 'utf8'));
    const rehearsal = Object.fromEntries(readFileSync(rehearsalFile, 'utf8').trim().split('\n').map((l) => l.split('=')));
    expect(record).toMatchObject({
      app: 'erp', approvers: ['alice', 'bob-ops'], script: join(changes, '0001-pay-invoice.sql'), script_sha256: rehearsal.script_sha256,
      rehearsal: { sandbox_before_sha256: golden, sandbox_after_sha256: rehearsal.sandbox_after_sha256, rehearsed_at_epoch: Number(rehearsal.rehearsed_at_epoch) },
      prod: { database: m('erp') },
    });
    expect(record.prod.before_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(record.prod.after_sha256).not.toBe(record.prod.before_sha256);
    // The workflow's record step: approvers from GitHub's approvals of the run (its API's shape), the
    // rest from this replay's output, written in contract/promotion-record.ts form and read back strictly.
    const approval = (login: string, state: string, env = 'prod') => ({ environments: [{ id: 1, name: env }], state, user: { login }, comment: '' });
    const approvals = join(dir, 'approvals.json');
    writeFileSync(approvals, JSON.stringify([approval('bob-ops', 'approved'), approval('alice', 'approved'), approval('mallory', 'approved', 'dev')]));
    const out = join(dir, 'records');
    const args = ['data-promote', 'record', recordFile, '--approvals', approvals, '--environment', 'prod', '--repository', 'arcodange/estate', '--run-id', '4242', '--run-attempt', '1', '--out', out];
    const written = await runTool(TIERKIT_BIN, args);
    expect(written.stderr).toBe('');
    const file = written.stdout.trim();
    expect(file).toMatch(new RegExp(`/promotions/erp/data/[0-9a-f]{16}\\.json$`));
    const read = readDataRecord(file);
    expect(read).toMatchObject({
      kind: 'data', app: 'erp', approvers: ['alice', 'bob-ops'], environment: 'prod', run: { repository: 'arcodange/estate', id: '4242', attempt: '1' },
      script: { sha256: rehearsal.script_sha256 }, rehearsal: { sandboxBeforeSha256: golden }, prod: { afterSha256: record.prod.after_sha256 },
    });
    // GitHub lists only alice: the replay ran naming bob-ops too, so no record is written.
    writeFileSync(approvals, JSON.stringify([approval('alice', 'approved')]));
    const mismatch = await runTool(TIERKIT_BIN, args);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr).toContain('the record names only those GitHub lists');
  });
});
