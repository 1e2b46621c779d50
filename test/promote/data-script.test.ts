// The data promote's change-script inspection (promote/data-script.ts) and its CLI: the real
// PostgreSQL parser decides, statement by statement; only INSERT, UPDATE and DELETE pass.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { inspectChangeScript, scriptSha256 } from '../../promote/data-script';
import { testTmp } from '../setup/tmpdir';

describe('inspectChangeScript', () => {
  it('accepts INSERT, UPDATE and DELETE (with data-modifying WITH), and hashes the bytes', async () => {
    const text = `INSERT INTO llx_facture (rowid) VALUES (1);
UPDATE llx_facture SET note = 'a;b' WHERE rowid = 1; -- a comment; with a semicolon
WITH gone AS (DELETE FROM llx_facturedet WHERE rowid = 2 RETURNING rowid) UPDATE llx_facture SET note = 'x' WHERE rowid IN (SELECT rowid FROM gone);
`;
    expect(await inspectChangeScript(text)).toEqual({ ok: true, sha256: scriptSha256(text), statements: 3 });
  });

  it.each([
    ['DDL', 'ALTER TABLE llx_facture ADD COLUMN x int;', 'is AlterTable'],
    ['DROP', 'DROP TABLE llx_facture;', 'is Drop'],
    ['TRUNCATE', 'TRUNCATE llx_facture;', 'is Truncate'],
    ['transaction control', "UPDATE llx_facture SET note = 'x';\nCOMMIT;", 'statement 2 is Transaction'],
    ['SET ROLE', 'SET ROLE erp_role;', 'is VariableSet'],
    ['COPY', "COPY llx_facture FROM PROGRAM 'id';", 'is Copy'],
    ['DO', "DO $$ BEGIN EXECUTE 'DROP TABLE llx_facture'; END $$;", 'is Do'],
    ['CALL', 'CALL do_things();', 'is Call'],
    ['a psql meta-command', '\\! rm -rf /', 'does not parse'],
    ['SELECT', 'SELECT 1;', 'is Select'],
    ['nothing', '-- only a comment\n', 'holds no statement'],
  ])('refuses %s', async (_label, text, problem) => {
    const v = await inspectChangeScript(text);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.problems.join('\n')).toContain(problem);
  });

  it('refuses bytes that are not UTF-8', async () => {
    const v = await inspectChangeScript(Buffer.from([0x55, 0x50, 0xff, 0x3b]));
    expect(v).toMatchObject({ ok: false, problems: ['is not UTF-8 text'] });
  });
});

describe('tierkit data-promote inspect', () => {
  const dir = testTmp('data-script');
  mkdirSync(dir, { recursive: true });
  // As the workflow runs it: the bin, a child process, in the repository's directory.
  const run = async (...argv: string[]) => {
    const r = spawnSync(join(__dirname, '..', '..', 'bin', 'tierkit'), argv, { cwd: dir, encoding: 'utf8' });
    return { code: r.status, out: r.stdout.trim(), err: r.stderr.trim() };
  };

  it('prints the sha256 of an accepted script, names each refused statement with exit 1, and 2 on usage errors', async () => {
    writeFileSync(join(dir, 'ok.sql'), "UPDATE llx_facture SET note = 'paid' WHERE rowid = 1;\n");
    writeFileSync(join(dir, 'bad.sql'), "UPDATE llx_facture SET note = 'paid';\nCREATE TABLE llx_evil (a int);\n");
    const ok = await run('data-promote', 'inspect', 'ok.sql');
    expect(ok).toMatchObject({ code: 0, out: `script_sha256=${scriptSha256("UPDATE llx_facture SET note = 'paid' WHERE rowid = 1;\n")}` });
    const bad = await run('data-promote', 'inspect', 'bad.sql');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('bad.sql statement 2 is Create');
    expect((await run('data-promote', 'inspect', 'missing.sql')).code).toBe(1);
    expect((await run('data-promote', 'replay', 'ok.sql')).code).toBe(2);
  });
});
