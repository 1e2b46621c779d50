// Invariant 13 and the lifecycle Jobs: the golden dump and reset CronJobs synthesized for the
// example estate validate against the Kubernetes schemas, and the very script text they embed
// runs against the real PostgreSQL 15 server (the client tools are major 15): seed the sandbox
// from golden, write as its dynamic user, reset with only the sandbox credential, hash = golden.
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_HASH_SCRIPT } from '../../constructs/lifecycle';
import { testTmp } from '../setup/tmpdir';
import { validateKubernetesObject } from '../support/k8s-schema';
import { synthToDist } from '../support/synth';
import { createNamespace, expectSqlState, ident, literal, pgServer, type Namespace } from './support/db';
import { applyEstate, testPassword, type AppliedEnv, type AppliedEstate } from './support/estate';
import { findPgTools, runTool, type ToolResult } from './support/pgtools';
import { currentVault, issueCredential } from './support/vault';

const dist = synthToDist(undefined, 'pg-lifecycle');
const objectsOf = (slug: string) => dist.kubernetes.filter((k) => k.object.metadata?.namespace === slug || k.object.metadata?.name === slug).map((k) => k.object);
const cronJob = (name: string) => {
  const found = dist.kubernetes.find((k) => k.object.kind === 'CronJob' && k.object.metadata.name === name);
  if (!found) throw new Error(`dist has no CronJob ${name}`);
  return found.object;
};

describe('lifecycle Jobs in the synthesized manifests', () => {
  it('golden dump, reset and TTL-sweep objects validate against the kubernetes-models schemas', () => {
    const lifecycle = dist.kubernetes.map((k) => k.object)
      .filter((o) => ['CronJob', 'Role', 'RoleBinding', 'PersistentVolume', 'PersistentVolumeClaim'].includes(o.kind) || (o.kind === 'ServiceAccount' && /-(reset|ttl-sweep|golden-dump)$/.test(o.metadata.name)));
    expect(lifecycle.filter((o) => o.kind === 'CronJob').map((o) => o.metadata.name).sort()).toEqual([
      'crm-alice-reset', 'crm-alice-ttl-sweep', 'crm-br-lead-scoring-reset', 'crm-br-lead-scoring-ttl-sweep', 'crm-ci-seed-synthetic-v1', 'erp-golden-dump',
      'erp-previews-collect', 'erp-sandbox-reset', 'erp-sandbox-ttl-sweep', 'shop-alice-reset', 'shop-alice-ttl-sweep', 'shop-bob-checkout-reset', 'shop-bob-checkout-ttl-sweep', 'shop-demo-reset',
      'shop-team-growth-reset', 'shop-team-growth-ttl-sweep',
    ]);
    for (const o of lifecycle) expect(() => validateKubernetesObject(o), `${o.kind} ${o.metadata.name}`).not.toThrow();
    // One seed volume per consuming namespace, read-only; each store's producer alone writes (the golden's in prod erp,
    // crm's synthetic v1 in crm-ci).
    const volumes = lifecycle.filter((o) => o.kind === 'PersistentVolume')
      .map((o) => `${o.spec.claimRef.namespace} ${o.spec.nfs.path} ${o.spec.nfs.readOnly ? 'ro' : 'rw'}`).sort();
    expect(volumes).toEqual([
      'crm-alice /tierkit-seeds/crm/synthetic-v1 ro', 'crm-br-lead-scoring /tierkit-seeds/crm/synthetic-v1 ro', 'crm-ci /tierkit-seeds/crm/synthetic-v1 rw', 'erp /tierkit-seeds/erp/golden rw',
      'erp-sandbox /tierkit-seeds/erp/golden ro', 'shop-alice /tierkit-seeds/shop/synthetic-v1 ro',
      'shop-bob-checkout /tierkit-seeds/shop/synthetic-v1 ro', 'shop-demo /tierkit-seeds/shop/demo ro',
      'shop-team-growth /tierkit-seeds/shop/sanitized-customers-2026q3 ro',
    ]);
  });

  it('the demo tier resets on its tier schedule; other resets and the golden dump run on demand only', () => {
    const demoSchedule = dist.manifest.tiers.find((t) => t.name === 'demo')!.resetSchedule;
    expect(demoSchedule).toBeTruthy();
    expect(cronJob('shop-demo-reset').spec).toMatchObject({ schedule: demoSchedule, suspend: false });
    for (const name of ['erp-sandbox-reset', 'erp-golden-dump']) expect(cronJob(name).spec.suspend, name).toBe(true);
  });

  it('credentials come from Vault (env auth roles), the reset may only scale its own Deployment', () => {
    const reset = cronJob('erp-sandbox-reset').spec.jobTemplate.spec.template;
    expect(reset.metadata.annotations['vault.hashicorp.com/role']).toBe('erp-sandbox-reset');
    expect(reset.metadata.annotations['vault.hashicorp.com/agent-inject-secret-database']).toBe('postgres/creds/erp-sandbox');
    const golden = cronJob('erp-golden-dump').spec.jobTemplate.spec.template;
    expect(golden.metadata.annotations['vault.hashicorp.com/agent-inject-secret-database']).toBe('kvv2/data/erp/golden-dump');
    for (const c of [...reset.spec.initContainers, ...reset.spec.containers, ...golden.spec.containers]) {
      expect(JSON.stringify(c.env ?? []), c.name).not.toMatch(/PASSWORD/);
    }
    const role = objectsOf('erp-sandbox').find((o) => o.kind === 'Role')!;
    expect(role.rules).toEqual([{ apiGroups: ['apps'], resources: ['deployments/scale'], resourceNames: ['erp'], verbs: ['get', 'patch'] }]);
    // Auth roles exist in the env's stack, bound to those service accounts only.
    const stack = (n: string) => dist.stacks.find((s) => s.name === n)!;
    const auth = (n: string, r: string) => stack(n).resources.find((x) => x.address === `vault_kubernetes_auth_backend_role.${r}`)!.attributes;
    expect(auth('erp-sandbox', 'reset_auth_role')).toMatchObject({ role_name: 'erp-sandbox-reset', bound_service_account_names: ['erp-sandbox-reset'], token_policies: ['erp-sandbox', 'erp-sandbox-reset'] });
    // The reset's own policy reads its seed's published hashes and nothing else; only the golden dump's writes them.
    const policy = (n: string, r: string) => stack(n).resources.find((x) => x.address === `vault_policy.${r}`)!.attributes.policy as string;
    expect(policy('erp-sandbox', 'reset_policy')).toMatch(/path "kvv2\/data\/tierkit-seeds\/erp\.golden" \{\s*capabilities = \["read"\]\s*\}/);
    expect(policy('erp', 'golden_dump_policy')).toMatch(/path "kvv2\/data\/tierkit-seeds\/erp\.golden" \{\s*capabilities = \["create", "update"\]\s*\}/);
    expect(reset.metadata.annotations['vault.hashicorp.com/agent-inject-secret-seed']).toBe('kvv2/data/tierkit-seeds/erp.golden');
    expect(golden.metadata.annotations['vault.hashicorp.com/agent-inject-token']).toBe('true');
    expect(auth('erp', 'golden_dump_auth_role')).toMatchObject({ role_name: 'erp-golden-dump', bound_service_account_names: ['erp-golden-dump'] });
  });
});

describe('golden dump → reset round trip on PostgreSQL 15 (invariant 13)', () => {
  const dir = testTmp('pg-lifecycle');
  let ns: Namespace;
  let applied: AppliedEstate;
  let prod: AppliedEnv;
  let sandbox: AppliedEnv;
  let binDir: string;
  const dumpFile = join(dir, 'golden.dump');
  const hashesFile = join(dir, 'hashes');
  const seedHashFile = join(dir, 'seed-hash');
  const m = (n: string) => applied.names.map(n);

  /**
   * The Vault side of the seed's hashes, without a Vault server: a `vault` on PATH that records
   * what the publish step writes (its argv) into the KV secret it names, and the reset's agent
   * template rendered from that secret as consul-template would (`{{- … -}}` trims whitespace).
   */
  const kvDir = join(dir, 'kv');
  const scratchDir = join(dir, 'scratch');
  const shimDir = join(dir, 'shim');
  function renderSeedTemplate(): void {
    const annotations = cronJob('erp-sandbox-reset').spec.jobTemplate.spec.template.metadata.annotations;
    const path = annotations['vault.hashicorp.com/agent-inject-secret-seed'] as string;
    const kvFile = join(kvDir, path.replace(/\//g, '_'));
    if (!existsSync(kvFile)) throw new Error(`no KV secret published at ${path}`);
    const data = Object.fromEntries(readFileSync(kvFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split('=') as [string, string]));
    const template = annotations['vault.hashicorp.com/agent-inject-template-seed'] as string;
    const rendered = template.replace(/^\{\{- with secret "[^"]+" -\}\}\s*/, '').replace(/\s*\{\{- end \}\}/, '')
      .replace(/\{\{ \.Data\.data\.(\w+) \}\}/g, (_, k: string) => data[k] ?? '');
    writeFileSync(seedHashFile, rendered);
  }

  const container = (job: string, name: string) => {
    const spec = cronJob(job).spec.jobTemplate.spec.template.spec;
    return [...(spec.initContainers ?? []), ...spec.containers].find((c: { name: string }) => c.name === name);
  };

  /** Run a script as its Job would: its env (names mapped to the test namespace), our credentials. */
  async function runScript(script: string, jobEnv: { name: string; value: string }[], user: string, password: string, database: string,
    overrides: Record<string, string> = {}, asPostgres = false): Promise<ToolResult> {
    const creds = join(dir, `creds-${user}`);
    writeFileSync(creds, `export PGUSER='${user}'\nexport PGPASSWORD='${password}'\n`, { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { PATH: `${binDir}:${process.env.PATH}`, HOME: dir };
    for (const { name, value } of jobEnv) env[name] = value;
    Object.assign(env, {
      PGHOST: ns.server.host, PGPORT: String(ns.server.port), PGSSLMODE: 'disable', PGDATABASE: database,
      TIERKIT_CREDENTIALS_FILE: creds, TIERKIT_DUMP_FILE: dumpFile, TIERKIT_DRAIN_TIMEOUT_SECONDS: '10',
      TIERKIT_HASHES_FILE: hashesFile, TIERKIT_SEED_HASH_FILE: seedHashFile, ...overrides,
    });
    for (const role of ['TIERKIT_GROUP_ROLE', 'TIERKIT_VAULT_CONNECTION_ROLE']) if (env[role]) env[role] = m(env[role]!);
    // The golden dump's scrub starts a throwaway server, which refuses root: run as the image's `postgres`.
    if (asPostgres && process.getuid?.() === 0) {
      execFileSync('chown', ['-R', 'postgres:postgres', dir]);
      return runTool('/usr/bin/setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', '/bin/bash', '-c', script], env);
    }
    return runTool('/bin/bash', ['-c', script], env);
  }

  async function dynamicCredential(e: AppliedEnv): Promise<{ user: string; password: string }> {
    const issued = await issueCredential(ns.server, currentVault(e), applied.names, e.connectionPassword);
    if (!issued.ok) throw new Error(`${e.env.slug}: ${issued.code} ${issued.message}`);
    return { user: issued.credential.username, password: issued.credential.password };
  }

  async function contentHash(e: AppliedEnv, who: { user: string; password: string }): Promise<string> {
    const r = await runScript(CONTENT_HASH_SCRIPT, [{ name: 'TIERKIT_OBJECT_PREFIX', value: e.env.objectPrefix }], who.user, who.password, m(e.env.names.database));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return r.stdout.trim();
  }

  const resetScript = () => container('erp-sandbox-reset', 'reset');

  beforeAll(async () => {
    binDir = (await findPgTools(15)).binDir;
    mkdirSync(kvDir, { recursive: true });
    mkdirSync(scratchDir, { recursive: true });
    for (const tool of ['initdb', 'pg_ctl', 'postgres']) {
      if (!existsSync(join(binDir, tool))) throw new Error(`${join(binDir, tool)} is missing: the golden dump's scrub runs a throwaway PostgreSQL 15 server (apt-get install postgresql-15; .ci/run does)`);
    }
    mkdirSync(shimDir, { recursive: true });
    // `vault kv put -mount=<m> <name> k=v…`: the secret's data lands in kv/<m>_data_<name>.
    writeFileSync(join(shimDir, 'vault'), `#!/bin/sh
[ "$1 $2" = "kv put" ] || exit 64
[ -n "$VAULT_TOKEN" ] || { echo "no token" >&2; exit 65; }
mount="\${3#-mount=}"; name="$4"; shift 4
f="${kvDir}/\${mount}_data_$(printf %s "$name" | tr / _)"
: > "$f"; for kv in "$@"; do printf '%s\\n' "$kv" >> "$f"; done
`);
    chmodSync(join(shimDir, 'vault'), 0o755);
    ns = await createNamespace(pgServer(15), 'lifecycle');
    applied = await applyEstate(ns, dist, { kind: 'superuser', only: (e) => e.app === 'erp' && (e.env === 'prod' || e.env === 'sandbox') });
    prod = applied.envs.find((e) => e.env.env === 'prod')!;
    sandbox = applied.envs.find((e) => e.env.env === 'sandbox')!;
    // Prod data, written by a prod dynamic user (objects owned by erp_role).
    const p = await dynamicCredential(prod);
    const s = await ns.connect({ user: p.user, password: p.password, database: m('erp') });
    await s.exec(`CREATE TABLE llx_societe (rowid serial PRIMARY KEY, nom text NOT NULL, note numeric(10,2));
      INSERT INTO llx_societe (nom, note) SELECT 'client ' || g, g * 1.5 FROM generate_series(1, 200) g;
      CREATE TABLE llx_facture (rowid serial PRIMARY KEY, fk_soc int REFERENCES llx_societe, total numeric(12,2));
      INSERT INTO llx_facture (fk_soc, total) SELECT 1 + g % 200, g * 10 FROM generate_series(1, 500) g;
      CREATE TABLE other_app_secrets (secret text); INSERT INTO other_app_secrets VALUES ('not for the sandbox');
      CREATE TABLE llx_user (rowid serial PRIMARY KEY, login varchar(50) NOT NULL, pass varchar(128), pass_crypted varchar(128),
        pass_temp varchar(128), api_key varchar(128), email varchar(255));
      INSERT INTO llx_user (login, pass, pass_crypted, pass_temp, api_key, email) VALUES
        ('admin', 'SECRET-hunter2', 'SECRET-$2y$10$adminhash', NULL, 'SECRET-api-admin', 'admin@corp.example'),
        ('bob', NULL, 'SECRET-$2y$10$bobhash', 'SECRET-reset-bob', 'SECRET-api-bob', 'bob@corp.example');
      CREATE TABLE llx_societe_account (rowid serial PRIMARY KEY, login varchar(128) NOT NULL, pass_crypted varchar(128), pass_temp varchar(128),
        fk_soc int REFERENCES llx_societe);
      INSERT INTO llx_societe_account (login, pass_crypted, pass_temp, fk_soc) VALUES ('portal', 'SECRET-portal-hash', 'SECRET-portal-tmp', 1);
      CREATE TABLE llx_oauth_token (rowid serial PRIMARY KEY, service varchar(36), token text, tokenstring text, fk_user int REFERENCES llx_user);
      INSERT INTO llx_oauth_token (service, token, tokenstring, fk_user) VALUES ('Stripe', 'SECRET-sk_live', '{"access_token": "SECRET-sk_live"}', 1);
      CREATE TABLE llx_const (rowid serial PRIMARY KEY, name varchar(180) NOT NULL, value text NOT NULL);
      INSERT INTO llx_const (name, value) VALUES ('MAIN_MAIL_SMTPS_PW', 'SECRET-smtp'), ('STRIPE_LIVE_SECRET_KEY', 'SECRET-stripe'),
        ('OAUTH_GOOGLE_SECRET', 'SECRET-google'), ('MAIN_SECURITY_SALT', 'SECRET-salt'), ('MAIN_INFO_SOCIETE_NOM', 'Arcodange')`);
    await s.end();
  });
  afterAll(async () => {
    await ns?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The golden dump Job: dump step, then publish step (its Vault CLI replaced by the shim), then the reset's agent renders the hashes. */
  async function goldenDump(): Promise<{ file: string; content: string }> {
    const golden = container('erp-golden-dump', 'golden-dump');
    const dump = await runScript(golden.command[2], golden.env, m(prod.env.names.goldenDumpRole), prod.variables.golden_dump_password, m('erp'),
      { TIERKIT_SCRATCH_DIR: scratchDir }, true);
    expect(dump.stderr).toBe('');
    expect(dump.code).toBe(0);
    const publish = container('erp-golden-dump', 'publish-seed-hash');
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, 'hvs.test-token');
    const env: NodeJS.ProcessEnv = { PATH: `${shimDir}:${process.env.PATH}` };
    for (const { name, value } of publish.env) env[name] = value;
    Object.assign(env, { TIERKIT_HASHES_FILE: hashesFile, TIERKIT_VAULT_TOKEN_FILE: tokenFile });
    const published = await runTool('/bin/sh', ['-c', publish.command[2]], env);
    expect(published.stderr).toBe('');
    expect(published.code).toBe(0);
    renderSeedTemplate();
    const hashes = Object.fromEntries(readFileSync(hashesFile, 'utf8').trim().split('\n').map((l) => l.split('=')));
    return { file: hashes.file_sha256, content: hashes.content_sha256 };
  }

  it('golden dump as the read-only role, then seed, write, reset with only the sandbox credential: hash equals golden', async () => {
    const { file, content: goldenHash } = await goldenDump();
    expect(goldenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(file).toBe((await runTool('/usr/bin/sha256sum', [dumpFile])).stdout.split(' ')[0]);
    // Nothing beside the dump: consumers' volumes carry no hash to trust.
    expect(existsSync(`${dumpFile}.sha256`)).toBe(false);
    // The dump holds the app's objects only.
    const list = await runTool(join(binDir, 'pg_restore'), ['--list', dumpFile]);
    expect(list.stdout).toMatch(/TABLE public llx_societe/);
    expect(list.stdout).not.toMatch(/other_app_secrets/);

    // Seed the sandbox from golden (the first reset).
    const sb1 = await dynamicCredential(sandbox);
    const seed = await runScript(resetScript().command[2], resetScript().env, sb1.user, sb1.password, m('erp-sandbox'));
    expect(seed.stderr).toBe('');
    expect(seed.code).toBe(0);
    expect(await contentHash(sandbox, sb1)).toBe(goldenHash);

    // Write as the dynamic user: a new table, a dropped row, a changed row.
    const w = await ns.connect({ user: sb1.user, password: sb1.password, database: m('erp-sandbox') });
    await w.exec(`CREATE TABLE llx_scratch (x int); INSERT INTO llx_scratch VALUES (1);
      DELETE FROM llx_facture WHERE rowid = 7; UPDATE llx_societe SET nom = 'renamed' WHERE rowid = 3`);
    const [{ owner }] = await w.query<{ owner: string }>(`SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = 'llx_scratch'`);
    expect(owner).toBe(m('erp_sandbox_role'));
    await w.end();
    expect(await contentHash(sandbox, sb1)).not.toBe(goldenHash);

    // Reset with a fresh sandbox credential only (no superuser, no CREATEDB).
    const sb2 = await dynamicCredential(sandbox);
    const admin = await ns.admin();
    const [attrs] = await admin.query<{ rolsuper: boolean; rolcreatedb: boolean }>('SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = $1', [sb2.user]);
    expect(attrs).toEqual({ rolsuper: false, rolcreatedb: false });
    const reset = await runScript(resetScript().command[2], resetScript().env, sb2.user, sb2.password, m('erp-sandbox'));
    expect(reset.stderr).toBe('');
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain(`content sha256 ${goldenHash}`);
    expect(await contentHash(sandbox, sb2)).toBe(goldenHash);
    const sdb = await ns.admin(m('erp-sandbox'));
    const tables = await sdb.query<{ relname: string; owner: string }>(
      `SELECT relname, pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace ORDER BY 1`);
    expect(tables).toEqual(['llx_const', 'llx_facture', 'llx_oauth_token', 'llx_societe', 'llx_societe_account', 'llx_user']
      .map((relname) => ({ relname, owner: m('erp_sandbox_role') })));
    // The golden was scrubbed before it left prod: no credential reached the sandbox (every row of
    // every table, as text), yet the data is prod-shaped (users, accounts and settings are there).
    const everything = await sdb.query<{ r: string }>(
      `SELECT string_agg(t, E'\\n') AS r FROM (SELECT x::text AS t FROM llx_user x UNION ALL SELECT x::text FROM llx_societe_account x
        UNION ALL SELECT x::text FROM llx_oauth_token x UNION ALL SELECT x::text FROM llx_const x) q`);
    expect(everything[0].r).not.toContain('SECRET-');
    expect(await sdb.query(`SELECT login, pass, pass_crypted, pass_temp, api_key, email FROM llx_user ORDER BY rowid`)).toEqual([
      { login: 'admin', pass: null, pass_crypted: null, pass_temp: null, api_key: null, email: 'admin@corp.example' },
      { login: 'bob', pass: null, pass_crypted: null, pass_temp: null, api_key: null, email: 'bob@corp.example' },
    ]);
    expect(await sdb.query(`SELECT name, value FROM llx_const`)).toEqual([{ name: 'MAIN_INFO_SOCIETE_NOM', value: 'Arcodange' }]);
    await sdb.end();
    // Nor is any credential in the seed file itself (its SQL as pg_restore prints it).
    const text = await runTool(join(binDir, 'pg_restore'), ['--file=-', dumpFile]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/COPY public\.llx_user/);
    expect(text.stdout).not.toContain('SECRET-');
  });

  it('a reset refuses a tampered seed (dump replaced, or hashes that do not match it) before it drops anything', async () => {
    await goldenDump();
    const good = join(dir, 'good.dump');
    copyFileSync(dumpFile, good);
    const sb = await dynamicCredential(sandbox);
    const w = await ns.connect({ user: sb.user, password: sb.password, database: m('erp-sandbox') });
    await w.exec('CREATE TABLE IF NOT EXISTS llx_marker (x int)');
    await w.end();
    const markerSurvives = async () => {
      const a = await ns.admin(m('erp-sandbox'));
      const rows = await a.query(`SELECT 1 FROM pg_class WHERE relname = 'llx_marker'`);
      await a.end();
      return rows.length === 1;
    };
    const reset = () => runScript(resetScript().command[2], resetScript().env, sb.user, sb.password, m('erp-sandbox'));

    // 1. The dump's content changed (a byte appended), published hashes untouched.
    appendFileSync(dumpFile, 'x');
    let r = await reset();
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/reset refused: .* has sha256 [0-9a-f]{64}, the seed's producer published [0-9a-f]{64}; nothing was dropped or restored/);
    expect(await markerSurvives()).toBe(true);

    // 2. An attacker's own valid dump, with a matching hash beside it: the reset never reads hashes from the volume.
    const evil = await runTool(join(binDir, 'pg_dump'), ['--format=custom', `--file=${dumpFile}`, '-h', ns.server.host, '-p', String(ns.server.port), '-U', ns.server.user, m('erp-sandbox')],
      { PGPASSWORD: ns.server.password, PATH: process.env.PATH });
    expect(evil.code).toBe(0);
    writeFileSync(`${dumpFile}.sha256`, (await runTool('/usr/bin/sha256sum', [dumpFile])).stdout.split(' ')[0]);
    r = await reset();
    expect(r.code).toBe(6);
    expect(await markerSurvives()).toBe(true);
    rmSync(`${dumpFile}.sha256`);

    // 3. The good dump, but published hashes that are not its own (file hash) or are missing / malformed.
    copyFileSync(good, dumpFile);
    const rendered = readFileSync(seedHashFile, 'utf8');
    writeFileSync(seedHashFile, rendered.replace(/file_sha256=([0-9a-f])/, (_, c: string) => `file_sha256=${c === '0' ? '1' : '0'}`));
    r = await reset();
    expect(r.code).toBe(6);
    expect(await markerSurvives()).toBe(true);
    // Values are parsed, never sourced: a quote or command substitution in them is just malformed.
    const marker = join(dir, 'injected');
    for (const bad of ['', 'file_sha256=\ncontent_sha256=\n', rendered.replace(/content_sha256=[0-9a-f]+/, `content_sha256='; touch ${marker}; '`),
      rendered.replace(/content_sha256=[0-9a-f]+/, `content_sha256=$(touch ${marker})`)]) {
      writeFileSync(seedHashFile, bad);
      r = await reset();
      expect(r.code, JSON.stringify(bad)).toBe(6);
      expect(r.stderr).toMatch(/published hashes are missing or malformed/);
      expect(existsSync(marker)).toBe(false);
    }
    expect(await markerSurvives()).toBe(true);

    // 4. Content hash tampered, file hash right: the restore runs and the verification fails (the app stays at 0).
    writeFileSync(seedHashFile, rendered.replace(/content_sha256=([0-9a-f])/, (_, c: string) => `content_sha256=${c === '0' ? '1' : '0'}`));
    r = await reset();
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/reset verification failed/);

    // The genuine seed and hashes reset again.
    writeFileSync(seedHashFile, rendered);
    r = await reset();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(await markerSurvives()).toBe(false);
  });

  it('a reset that needs superuser or CREATEDB fails: the sandbox credential cannot create a database, and the script refuses a stronger credential', async () => {
    const sb = await dynamicCredential(sandbox);
    const s = await ns.connect({ user: sb.user, password: sb.password, database: m('erp-sandbox') });
    await expectSqlState(s.run(`CREATE DATABASE "${m('erp-sandbox-new')}"`), '42501', 'sandbox credential: CREATE DATABASE (a drop-and-recreate reset)');
    await s.end();
    const r = await runScript(resetScript().command[2], resetScript().env, ns.server.user, ns.server.password, m('erp-sandbox'));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/reset refused: .* has SUPERUSER or CREATEDB/);
  });

  it('the drain ignores the Vault connection user\'s pooled session and a managed admin role\'s: the reset succeeds while they stay open', async () => {
    const job = resetScript();
    expect(job.env).toContainEqual({ name: 'TIERKIT_VAULT_CONNECTION_ROLE', value: sandbox.env.names.vaultConnectionRole });
    const pool = await ns.connect({ user: m(sandbox.env.names.vaultConnectionRole), password: sandbox.connectionPassword, database: m('erp-sandbox') });
    // A managed server's provider role is an inheriting member of every group (CREATEROLE, no superuser).
    const su = await ns.admin();
    const managedAdmin = ns.name('drain_managed_admin');
    const adminPassword = testPassword();
    await su.exec(`CREATE ROLE ${ident(managedAdmin)} LOGIN CREATEROLE PASSWORD ${literal(adminPassword)}`);
    await su.exec(`GRANT ${ident(m('erp_sandbox_role'))} TO ${ident(managedAdmin)}`);
    const applying = await ns.connect({ user: managedAdmin, password: adminPassword, database: m('erp-sandbox') });
    try {
      await pool.query('SELECT 1');
      await applying.query('SELECT 1');
      const sb = await dynamicCredential(sandbox);
      const reset = await runScript(job.command[2], job.env, sb.user, sb.password, m('erp-sandbox'));
      expect(reset.stderr).toBe('');
      expect(reset.code).toBe(0);
      expect(reset.stdout).toMatch(/reset done/);
    } finally {
      await pool.end();
      await applying.end();
    }
  });

  it('the drain waits for the app\'s own sessions: it aborts (exit 4) while one lingers, and proceeds once it ends', async () => {
    const job = resetScript();
    const app = await dynamicCredential(sandbox);
    const lingering = await ns.connect({ user: app.user, password: app.password, database: m('erp-sandbox') });
    const sb = await dynamicCredential(sandbox);
    const aborted = await runScript(job.command[2], job.env, sb.user, sb.password, m('erp-sandbox'), { TIERKIT_DRAIN_TIMEOUT_SECONDS: '1' });
    expect(aborted.code).toBe(4);
    expect(aborted.stderr).toMatch(new RegExp(`reset aborted: 1 session\\(s\\) of ${m('erp_sandbox_role')} still connected`));

    const session = await ns.connect({ user: app.user, password: app.password, database: m('erp-sandbox') });
    await lingering.end();
    const started = Date.now();
    const waiting = runScript(job.command[2], job.env, sb.user, sb.password, m('erp-sandbox'), { TIERKIT_DRAIN_TIMEOUT_SECONDS: '30' });
    await new Promise((r) => setTimeout(r, 3000));
    await session.end();
    const done = await waiting;
    expect(done.stderr).toBe('');
    expect(done.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
  });
});
