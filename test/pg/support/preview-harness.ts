// One applied preview estate on PostgreSQL 18 as the preview admin sees it (issue 19): the server, the
// applied estate, an admin session, the scripts run as the PreSync / PostDelete / collector containers
// run them (the admin's credentials file, libpq env), and PR credentials as Vault issues them. Shared by
// the collector, retire and attack18 tests so each states only what it proves.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { App, Estate, Tier } from '../../../constructs';
import { previewCreateScript } from '../../../constructs/lifecycle/preview-scripts';
import * as naming from '../../../constructs/naming';
import { creationStatements } from '../../../constructs/statements';
import type { DistContents } from '../../../contract/read';
import { smallEstate } from '../../support/estates';
import { createNamespace, pgServer, type Namespace, type Session } from './db';
import { applyEstate, type AppliedEnv, type AppliedEstate } from './estate';
import { runTool, type ToolResult } from './pgtools';
import { issueCredential, type DynamicCredential, type VaultPieces } from './vault';

/** The small estate with erp's previews on dev (at most 9 open). */
export function previewEstate(): Estate {
  const e = smallEstate();
  new App(e, 'erp', { tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'llx_', image: 'example/erp:1.0.0@sha256:' + 'e'.repeat(64), previews: { tier: Tier.DEV, maxOpen: 9 } });
  return e;
}

export interface PreviewHarness {
  /** Set by the harness's beforeAll; read them inside hooks and tests only. */
  ns: Namespace;
  applied: AppliedEstate;
  dev: AppliedEnv;
  dir: string;
  admin: Session;
  m(name: string): string;
  app(): string;
  /** A script run with bash as the preview Jobs run it: the admin's credentials file, libpq env, `extra` on top. */
  run(script: string, extra?: Record<string, string>): Promise<ToolResult>;
  create(pr: string): Promise<ToolResult>;
  group(pr: string): string;
  db(pr: string): string;
  exists(database: string): Promise<boolean>;
  /** A PR credential as Vault issues it (the preview connection's creation statements, as the admin), valid for `ttlSeconds` (negative: lapsed). */
  credential(pr: string, ttlSeconds: number): Promise<DynamicCredential>;
}

/** Registers beforeAll/afterAll in the calling describe: a PostgreSQL 18 namespace with `dist` applied. */
export function usePreviewServer(dist: DistContents): PreviewHarness {
  const h = {} as PreviewHarness;
  beforeAll(async () => {
    h.ns = await createNamespace(pgServer(18), 'pcollect');
    h.applied = await applyEstate(h.ns, dist, { kind: 'declared' });
    h.dev = h.applied.envs.find((e) => e.env.slug === 'erp-dev')!;
    h.dir = mkdtempSync(join(tmpdir(), 'tierkit-preview-collector-'));
    h.admin = await h.ns.connect({ user: h.m('erp_preview_admin'), password: h.dev.variables.preview_admin_password, database: h.m('erp-previews') });
  });
  afterAll(async () => {
    await h.ns?.cleanup();
    if (h.dir) rmSync(h.dir, { recursive: true, force: true });
  });
  h.m = (name) => h.applied.names.map(name);
  h.app = () => h.m('erp');
  h.run = (script, extra = {}) => {
    const creds = join(h.dir, 'admin-creds');
    writeFileSync(creds, `export PGUSER='${h.m('erp_preview_admin')}'\nexport PGPASSWORD='${h.dev.variables.preview_admin_password}'\n`, { mode: 0o600 });
    return runTool('/bin/bash', ['-c', script], {
      PATH: process.env.PATH, HOME: h.dir, PGHOST: h.ns.server.host, PGPORT: String(h.ns.server.port), PGSSLMODE: 'disable',
      PGDATABASE: h.m('erp-previews'), TIERKIT_CREDENTIALS_FILE: creds, TIERKIT_MAX_OPEN: '9', ...extra,
    });
  };
  h.create = (pr) => h.run(previewCreateScript(h.app()), { TIERKIT_PR_NUMBER: pr });
  h.group = (pr) => naming.previewGroupRoleName(h.app(), pr);
  h.db = (pr) => naming.previewSlug(h.app(), pr);
  h.exists = async (database) => (await h.admin.query('SELECT FROM pg_database WHERE datname = $1', [database])).length === 1;
  h.credential = async (pr, ttlSeconds) => {
    const conn = h.dev.stack.resources.find((r) => r.name === 'preview_connection')!.attributes as Record<string, any>;
    const role = naming.previewSlug('erp', pr);
    const pieces: VaultPieces = {
      stack: h.dev.stack.name, connectionName: String(conn.name), connectionUser: h.m(String(conn.postgresql.username)),
      database: h.m('erp-previews'), allowedRoles: [role], roleName: role,
      creation: creationStatements(naming.previewCoordinate('erp', pr)).map((s) => h.applied.names.mapQuotedIdentifiers(s)), revocation: [],
    };
    const issued = await issueCredential(h.ns.server, pieces, h.applied.names, h.dev.variables.preview_admin_password, ttlSeconds);
    if (!issued.ok) throw new Error(`${issued.code} ${issued.message}`);
    return issued.credential;
  };
  return h;
}
