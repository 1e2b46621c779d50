// The preview's synthetic seed as its producer publishes it (issue 19): a table dumped by pg_dump 15
// (`--format=custom --no-owner --no-acl --table=<prefix>*`) and its hashes file, the content hash
// computed by the same shell function the seed step verifies with. Shared by test/pg/previews.test.ts
// and the attack15/attack18 seed tests.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { LIFECYCLE_SHELL_FUNCTIONS } from '../../../constructs/lifecycle/scripts';
import { createNamespace, ident, pgServer } from './db';
import { findPgTools, runTool } from './pgtools';

export interface PreviewSeed {
  /** The PostgreSQL 15 client tools (pg_restore for the seed step). */
  readonly binDir: string;
  readonly file: string;
  readonly hashes: string;
  readonly fileSha: string;
  readonly content: string;
  /** Rewrite the hashes file (a tampered hash). */
  publish(fileSha: string, content: string): void;
  /** Drop the source server's namespace. */
  cleanup(): Promise<void>;
}

/** Dumps a 50-row `llx_societe` from a fresh PostgreSQL 15 namespace `label` into `dir`. */
export async function makePreviewSeed(dir: string, label: string): Promise<PreviewSeed> {
  const { binDir } = await findPgTools(15);
  const src = await createNamespace(pgServer(15), label);
  const db = src.name('seed_src');
  await (await src.admin()).exec(`CREATE DATABASE ${ident(db)}`);
  const s = await src.connect({ user: src.server.user, password: src.server.password, database: db });
  await s.exec("CREATE TABLE llx_societe (rowid serial PRIMARY KEY, nom text NOT NULL); INSERT INTO llx_societe (nom) SELECT 'client ' || g FROM generate_series(1, 50) g");
  await s.end();
  const file = join(dir, `seed-${Math.random().toString(36).slice(2)}.dump`);
  const srcEnv = { PATH: `${binDir}:${process.env.PATH}`, PGHOST: src.server.host, PGPORT: String(src.server.port), PGUSER: src.server.user, PGPASSWORD: src.server.password, PGSSLMODE: 'disable', PGDATABASE: db };
  const dump = await runTool(join(binDir, 'pg_dump'), ['--format=custom', '--no-owner', '--no-acl', '--table=llx_*', `--file=${file}`, db], srcEnv);
  expect(dump.code, dump.stderr).toBe(0);
  const content = await runTool('/bin/bash', ['-c', `${LIFECYCLE_SHELL_FUNCTIONS}tk_content_hash`], { ...srcEnv, TIERKIT_OBJECT_PREFIX: 'llx_' });
  expect(content.code, content.stderr).toBe(0);
  const fileSha = createHash('sha256').update(readFileSync(file)).digest('hex');
  const hashes = `${file}.hashes`;
  const publish = (f: string, c: string) => writeFileSync(hashes, `file_sha256=${f}\ncontent_sha256=${c}\n`);
  publish(fileSha, content.stdout.trim());
  return { binDir, file, hashes, fileSha, content: content.stdout.trim(), publish, cleanup: () => src.cleanup() };
}
