// sslmode=verify-full with a declared CA (issue 21): the server declares its CA, the Vault connection
// carries it (tls_ca), the manifest records its sha256, TK049 holds the connection to it. The
// real-PostgreSQL proof of what verify-full refuses is test/pg/verify-full.test.ts.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, env, findings, freshDir, synthDist } from './helpers';
import { editDist, manifestEdit, rehashManifest } from './rehash';
import { cpSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { POD_PG_CA_FILE, pgCaFile } from '../../contract/pg-ca';
import { Estate, PostgresServer, Tier, validateEstate } from '../../constructs';

/** A throwaway CA certificate (openssl): its PEM. */
function caPem(name: string): string {
  const dir = freshDir(`ca-${name}`);
  execFileSync('mkdir', ['-p', dir]);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.pem'), '-days', '2', '-subj', `/CN=${name}`], { stdio: 'pipe' });
  return readFileSync(join(dir, 'ca.pem'), 'utf8');
}
const CA = caPem('tierkit lab prod-pg CA');
const OTHER = caPem('someone else');
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const stackJson = (dir: string, stack: string) => JSON.parse(readFileSync(join(dir, 'terraform', stack, 'cdk.tf.json'), 'utf8'));
const pgBlock = (j: any) => j.resource.vault_database_secret_backend_connection.vault_connection.postgresql;
/** The example with prod's server on verify-full and its CA declared (the props a server takes). */
const verifyFull = (e: Estate) => Object.assign(e.servers.find((s) => s.serverId === 'prod-pg')!, { sslMode: 'verify-full', caCertificatePem: CA });

describe('TK049 verify-full with the server\'s declared CA', () => {
  it('a verify-full server: its Vault connections carry its CA and verify-full, the manifest its sha256; both renderers agree; check passes', async () => {
    const dir = synthDist((e) => {
      verifyFull(e);
      env(e, 'erp', 'sandbox').addEscapeHatch(() => undefined); // through cdktf; erp (prod) through the plain renderer
    });
    for (const stack of ['erp', 'erp-sandbox']) {
      expect(pgBlock(stackJson(dir, stack)).tls_ca).toBe(CA);
      expect(pgBlock(stackJson(dir, stack)).connection_url).toMatch(/\?sslmode=verify-full$/);
    }
    expect(pgBlock(stackJson(dir, 'erp-dev')).tls_ca).toBeUndefined();
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.servers.find((s: any) => s.id === 'prod-pg')).toMatchObject({ sslMode: 'verify-full', caCertificateSha256: sha(CA) });
    const report = await check(dir);
    for (const id of ['TK049', 'TK045', 'TK042']) expect(findings(report, id)).toEqual([]);
  });

  it('catches hand edits: the CA removed, another CA (an impostor\'s), unsuppressible on prod\'s server', async () => {
    const base = synthDist((e) => {
      verifyFull(e);
      env(e, 'erp', 'sandbox').addSuppression('TK049', 'the sandbox trusts the lab proxy for a week');
    });
    const dir = editDist(base, freshDir('tk049'), {
      'erp-sandbox': (j) => { delete pgBlock(j).tls_ca; },
      erp: (j) => { pgBlock(j).tls_ca = OTHER; },
    });
    const found = findings(await check(dir), 'TK049').map((f) => [f.message, f.suppressed === undefined]).sort();
    expect(found).toEqual([
      ['erp (tier prod): Vault connection "erp" to prod-pg (verify-full) carries a tls_ca (sha256 ' + sha(OTHER).slice(0, 12) + '…) that is not the CA the server declares (sha256 ' + sha(CA).slice(0, 12) + '…)', true],
      ['erp-sandbox (tier dev): Vault connection "erp-sandbox" to prod-pg (verify-full) carries no tls_ca', true],
    ]);
  });

  it('validates the server: verify-full needs a CA, a CA needs verify-full, a key is no certificate', () => {
    const estate = () => new Estate({
      name: 'v', domain: 'v.lab', vault: { address: 'https://vault.v.lab' },
      argocd: { repoUrl: 'https://git.v.lab/estate.git' }, ci: { repository: 'v/estate', repositoryId: '100012' },
    });
    const issues = (props: Record<string, unknown>) => {
      const e = estate();
      new PostgresServer(e, 'pg', { host: 'pg.v.lab', majorVersion: 16, tiers: [Tier.DEV], ...props });
      return validateEstate(e).filter((x) => x.path === 'v/pg').map((x) => `${x.property}: ${x.message}`);
    };
    expect(issues({ sslMode: 'verify-full' })).toEqual(['caCertificatePem: is required with sslMode verify-full: Vault verifies the server against it']);
    expect(issues({ caCertificatePem: CA })).toEqual(['sslMode: declares a CA but does not verify the server with it']);
    expect(issues({ sslMode: 'verify-full', caCertificatePem: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }))
      .toEqual(['caCertificatePem: is not one PEM certificate (-----BEGIN CERTIFICATE----- … -----END CERTIFICATE-----)']);
    expect(issues({ sslMode: 'verify-full', caCertificatePem: CA })).toEqual([]);
  });

  it('validation: a server holding live data must be verify-full (the example\'s prod server is)', () => {
    const e = new Estate({
      name: 'v', domain: 'v.lab', vault: { address: 'https://vault.v.lab' },
      argocd: { repoUrl: 'https://git.v.lab/estate.git' }, ci: { repository: 'v/estate', repositoryId: '100012' },
    });
    new PostgresServer(e, 'pg', { host: 'pg.v.lab', majorVersion: 16, tiers: [Tier.PROD] });
    expect(validateEstate(e).filter((x) => x.path === 'v/pg').map((x) => `${x.property} = ${JSON.stringify(x.value)}: ${x.message}`)).toEqual([
      'sslMode = "require": holds live data (tier prod): with sslmode require Vault and CI send its passwords to whoever answers at pg.v.lab',
    ]);
  });
});

describe('TK061 live servers verify-full, and CI\'s provider checks the CA', () => {
  const prodPg = (m: any) => m.servers.find((x: any) => x.id === 'prod-pg');

  it('the example: prod\'s server is verify-full with its CA; each of its stacks\' providers reads the CA file CI writes', async () => {
    const dir = synthDist();
    for (const stack of ['erp', 'erp-sandbox', 'shop', 'crm']) {
      expect(stackJson(dir, stack).provider.postgresql[0]).toMatchObject({ sslmode: 'verify-full', sslrootcert: pgCaFile('prod-pg') });
    }
    expect(stackJson(dir, 'erp-dev').provider.postgresql[0].sslrootcert).toBeUndefined();
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    expect(sha(prodPg(m).caCertificatePem)).toBe(prodPg(m).caCertificateSha256);
    expect(findings(await check(dir), 'TK061')).toEqual([]);
  });

  it('catches hand edits: the manifest downgrading prod\'s server, a provider without the CA file, a PEM that is not the recorded one', async () => {
    const base = synthDist((e) => env(e, 'erp', 'sandbox').addSuppression('TK061', 'the lab proxy terminates TLS for a week'));
    const dir = editDist(base, freshDir('tk061'), {
      'erp-sandbox': (j) => { delete j.provider.postgresql[0].sslrootcert; },
      erp: (j) => { j.provider.postgresql[0].sslrootcert = '/etc/ssl/certs/ca-certificates.crt'; },
    });
    manifestEdit(dir, (m) => { prodPg(m).caCertificatePem = OTHER; });
    expect(findings(await check(dir), 'TK061').map((f) => [f.message, f.severity]).sort()).toEqual([
      ['server prod-pg: the CA PEM the manifest gives CI is not the one whose sha256 it records', 'error'],
      ['stack erp-sandbox: provider block 0 checks server prod-pg against no CA file of its own, not the CA CI writes at /tmp/tierkit-pg-ca/prod-pg.pem', 'error'],
      ['stack erp: provider block 0 checks server prod-pg against "/etc/ssl/certs/ca-certificates.crt", not the CA CI writes at /tmp/tierkit-pg-ca/prod-pg.pem', 'error'],
    ]);
    const downgraded = editDist(base, freshDir('tk061-require'), {});
    // The server entry also claims to hold no live tier: prod's env placed on it still makes it live.
    manifestEdit(downgraded, (m) => { Object.assign(prodPg(m), { sslMode: 'require', tiers: ['staging'], gatingTier: 'staging' }); delete prodPg(m).caCertificateSha256; });
    const report = await check(downgraded);
    expect(findings(report, 'TK061').map((f) => f.message)).toEqual(['server prod-pg holds live data but is declared sslMode "require" with no CA, not verify-full with its CA']);
    expect(findings(report, 'TK100').some((f) => f.message.includes('TK061'))).toBe(true);
  });
});

describe('TK042 the admin provider of a verify-full server trusts exactly the CA CI writes for it', () => {
  const provider = (j: any) => ([] as any[]).concat(j.provider.postgresql)[0];
  const messages = (r: Awaited<ReturnType<typeof check>>) => findings(r, 'TK042').map((f) => `${f.pointer} ${f.message}`).sort();

  it('the example\'s prod-pg stacks read /tmp/tierkit-pg-ca/prod-pg.pem and pass; scheme "postgres" spelled out passes too', async () => {
    const base = synthDist(verifyFull);
    expect(provider(stackJson(base, 'erp')).sslrootcert).toBe('/tmp/tierkit-pg-ca/prod-pg.pem');
    expect(provider(stackJson(base, 'erp-dev')).sslrootcert).toBeUndefined(); // nonprod-pg does not verify
    const dir = editDist(base, freshDir('tk042-scheme-ok'), { erp: (j) => { provider(j).scheme = 'postgres'; } });
    expect(findings(await check(dir), 'TK042')).toEqual([]);
  });

  it('refuses another scheme, a client certificate, an attribute tierkit never writes, a CA file on a server that does not verify; unsuppressible', async () => {
    const base = synthDist((e) => {
      verifyFull(e);
      env(e, 'erp', 'sandbox').addSuppression('TK042', 'the sandbox dials through the cloud SDK');
    });
    const dir = editDist(base, freshDir('tk042-attrs'), {
      erp: (j) => { provider(j).scheme = 'awspostgres'; },
      'erp-sandbox': (j) => { Object.assign(provider(j), { sslcert: 'apps/erp/client.pem', sslkey: 'apps/erp/client.key', sslrootcert: '/etc/ssl/certs/ca-certificates.crt' }); },
      'erp-dev': (j) => { Object.assign(provider(j), { sslrootcert: '/tmp/tierkit-pg-ca/prod-pg.pem', connect_timeout: 5 }); },
    });
    const report = await check(dir);
    expect(messages(report)).toEqual([
      '/provider/postgresql/0/connect_timeout stack erp-dev: provider block 0 logs in to server nonprod-pg with attribute connect_timeout = 5, which tierkit never writes (it changes how the admin credential logs in, and no rule models it)',
      '/provider/postgresql/0/scheme stack erp: provider block 0 logs in to server prod-pg with attribute scheme = "awspostgres", which tierkit never writes (only scheme "postgres" dials the declared host itself)',
      '/provider/postgresql/0/sslcert stack erp-sandbox: provider block 0 logs in to server prod-pg with attribute sslcert = "apps/erp/client.pem", which tierkit never writes (it changes how the admin credential logs in, and no rule models it)',
      '/provider/postgresql/0/sslkey stack erp-sandbox: provider block 0 logs in to server prod-pg with attribute sslkey = "apps/erp/client.key", which tierkit never writes (it changes how the admin credential logs in, and no rule models it)',
      '/provider/postgresql/0/sslrootcert stack erp-dev: provider block 0 logs in to server nonprod-pg with attribute sslrootcert = "/tmp/tierkit-pg-ca/prod-pg.pem", which tierkit never writes (the server does not declare verify-full)',
      '/provider/postgresql/0/sslrootcert stack erp-sandbox: provider block 0 logs in to server prod-pg with sslrootcert "/etc/ssl/certs/ca-certificates.crt", not "/tmp/tierkit-pg-ca/prod-pg.pem" (the file CI writes from the server\'s declared CA): whoever that CA certifies — or, without one, any CA the runner trusts — receives the admin credential',
    ]);
    expect(findings(report, 'TK042').every((f) => f.suppressed === undefined && f.severity === 'error')).toBe(true);
  });
});

describe('lifecycle pods on a verify-full server carry its declared CA for libpq', () => {
  it('the golden dump (erp) and the reset (erp-sandbox) on prod-pg: PGSSLROOTCERT and the PEM the server declares; nonprod-pg pods neither', () => {
    const dir = synthDist(verifyFull);
    const containers = (file: string) => parseAllDocuments(readFileSync(join(dir, 'k8s', file), 'utf8')).map((d) => d.toJS())
      .filter((o: any) => o?.kind === 'CronJob')
      .flatMap((o: any) => [...(o.spec.jobTemplate.spec.template.spec.initContainers ?? []), ...o.spec.jobTemplate.spec.template.spec.containers]);
    const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value]));
    const pg = (file: string) => containers(file).filter((c: any) => envOf(c).PGHOST !== undefined).map((c: any) => [c.name, envOf(c)] as const);
    const prod = [...pg('prod/erp.k8s.yaml'), ...pg('dev/erp-sandbox.k8s.yaml')];
    expect(prod.map(([n]) => n).sort()).toEqual(['golden-dump', 'reset']);
    for (const [name, e] of prod) {
      expect(e.PGSSLMODE, name).toBe('verify-full');
      expect(e.PGSSLROOTCERT, name).toBe(POD_PG_CA_FILE);
      expect(sha(Buffer.from(e.TIERKIT_PG_CA_BASE64, 'base64').toString('utf8')), name).toBe(sha(CA));
    }
    const dev = pg('dev/erp-dev.k8s.yaml');
    for (const [name, e] of dev) expect([name, e.PGSSLROOTCERT, e.TIERKIT_PG_CA_BASE64]).toEqual([name, undefined, undefined]);
  });

  it('TK049 catches hand edits of a pod: PGSSLROOTCERT pointed elsewhere, another CA, a server by its address', async () => {
    const base = synthDist(verifyFull);
    const dir = freshDir('tk049-pods');
    cpSync(base, dir, { recursive: true });
    const edit = (file: string, f: (text: string) => string) => writeFileSync(join(dir, 'k8s', file), f(readFileSync(join(dir, 'k8s', file), 'utf8')));
    const b64 = Buffer.from(CA, 'utf8').toString('base64');
    expect(readFileSync(join(dir, 'k8s/prod/erp.k8s.yaml'), 'utf8')).toContain(b64);
    edit('prod/erp.k8s.yaml', (t) => t.replace(b64, Buffer.from(OTHER, 'utf8').toString('base64')));
    edit('dev/erp-sandbox.k8s.yaml', (t) => t.replace(`value: ${POD_PG_CA_FILE}`, 'value: /etc/ssl/certs/ca-certificates.crt'));
    // prod-pg by its address: the reset's egress policy allows it, no server spelling names it.
    edit('dev/crm-alice.k8s.yaml', (t) => t.replace('value: pg-nonprod.arcodange.lab', 'value: 10.20.5.10'));
    rehashManifest(dir);
    const found = findings(await check(dir), 'TK049').map((f) => f.message).sort();
    expect(found).toEqual([
      'crm-alice (tier dev): CronJob crm-alice/crm-alice-reset container "reset" connects to PGHOST "10.20.5.10":"5432", no spelling of a declared server: whether it must verify the server cannot be told',
      `erp (tier prod): CronJob erp/erp-golden-dump container "golden-dump" connects to prod-pg (verify-full) carries a CA (sha256 ${sha(OTHER).slice(0, 12)}…) that is not the CA the server declares`,
      `erp-sandbox (tier dev): CronJob erp-sandbox/erp-sandbox-reset container "reset" connects to prod-pg (verify-full) with PGSSLROOTCERT "/etc/ssl/certs/ca-certificates.crt", not ${POD_PG_CA_FILE} (where its scripts write the declared CA): libpq trusts another file, or ~/.postgresql/root.crt`,
    ]);
  });
});

