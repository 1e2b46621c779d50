// Server-level runtime rules (issue 21, second part): the server's own databases, …
// Each failing fixture is a change a PR author can make — an escape hatch, a suppression, a hand
// edit of dist/ with the manifest re-hashed — and each passing one is the example estate.
import { describe, expect, it } from 'vitest';
import { check, cleanDist, env, findings, freshDir, synthDist } from './helpers';
import { Estate, Tier, validateEstate } from '../../constructs';
import { PostgresqlGrantRole } from '../../constructs/cdktf';
import { DistEdit } from './dist-edit';
import { editDist } from './rehash';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_ROTATION_STATEMENTS } from '../../constructs/statements';

const messages = (report: Awaited<ReturnType<typeof check>>, id: string) => findings(report, id).map((f) => f.message).sort();

describe('TK041 the server\'s postgres and template1 databases', () => {
  it('passes on the example estate: every env stack revokes PUBLIC on both', async () => {
    const report = await check(cleanDist());
    expect(findings(report, 'TK041')).toEqual([]);
    expect(report.rules.map((r) => r.id)).toContain('TK041');
  });

  it('catches an escape hatch dropping the revoke (unsuppressible on prod\'s server) and one on a dev server (suppressible)', async () => {
    const dir = synthDist((e) => {
      env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.maintenanceRevokes.postgres.addOverride('privileges', ['CONNECT']))
        .addSuppression('TK041', 'the sandbox migration tool lists databases from postgres');
      env(e, 'crm', 'alice').addEscapeHatch((r) => r.maintenanceRevokes.template1.addOverride('count', 0))
        .addSuppression('TK041', 'alice clones template1 by hand for a week');
    });
    const found = findings(await check(dir), 'TK041');
    expect(found.map((f) => [f.message, f.suppressed === undefined]).sort()).toEqual([
      ['crm-alice (tier dev): stack crm-alice does not revoke PUBLIC on database "template1" of server nonprod-pg: every login on the server connects there', false],
      ['erp-sandbox (tier dev): stack erp-sandbox does not revoke PUBLIC on database "postgres" of server prod-pg: every login on the server connects there', true],
      ['stack erp-sandbox grants CONNECT (database) in the server\'s own database "postgres" to PUBLIC', true],
    ]);
    expect(found.find((f) => f.env === 'erp-sandbox')?.severity).toBe('error');
  });

  it('catches a hand edit: the revoke retargeted, a CONNECT grant to the sandbox group on postgres, a second provider block', async () => {
    const dir = editDist(cleanDist(), freshDir('tk041-edit'), {
      'erp-sandbox': (j) => {
        j.resource.postgresql_grant.maintenance_template1_public_revoke.database = 'template0';
        j.resource.postgresql_grant.sandbox_maintenance = {
          database: 'postgres', role: 'erp_sandbox_role', object_type: 'database', privileges: ['CONNECT', 'TEMPORARY'],
        };
      },
      'shop-dev': (j) => {
        const blocks = ([] as any[]).concat(j.provider.postgresql);
        j.provider.postgresql = [...blocks, { ...blocks[0], alias: 'elsewhere', host: 'pg-other.arcodange.lab' }];
      },
    });
    const report = await check(dir);
    expect(messages(report, 'TK041')).toEqual([
      'erp-sandbox (tier dev): stack erp-sandbox does not revoke PUBLIC on database "template1" of server prod-pg: every login on the server connects there',
      'shop-dev (tier dev): stack shop-dev does not revoke PUBLIC on database "postgres" of server nonprod-pg (2 postgresql provider blocks: the revoke\'s server cannot be told): every login on the server connects there',
      'shop-dev (tier dev): stack shop-dev does not revoke PUBLIC on database "template1" of server nonprod-pg (2 postgresql provider blocks: the revoke\'s server cannot be told): every login on the server connects there',
      'stack erp-sandbox grants CONNECT, TEMPORARY (database) in the server\'s own database "postgres" to "erp_sandbox_role"',
    ]);
    expect(findings(report, 'TK041').every((f) => f.suppressed === undefined)).toBe(true);
  });
});

describe('TK042 a stack\'s provider and its server; host aliases are the same server', () => {
  const provider = (j: any) => ([] as any[]).concat(j.provider.postgresql)[0];

  it('catches a dev stack pointed at prod\'s server, at prod\'s address, at another port, and prod\'s provider without TLS (unsuppressible)', async () => {
    const base = synthDist((e) => env(e, 'erp', 'dev').addSuppression('TK042', 'the migration rehearsal runs against the big server'));
    const dir = editDist(base, freshDir('tk042'), {
      'erp-dev': (j) => { provider(j).host = 'pg-prod.arcodange.lab'; },
      'shop-dev': (j) => { provider(j).host = '10.20.5.10'; },
      'crm-dev': (j) => { provider(j).port = '5433'; },
      erp: (j) => { provider(j).sslmode = 'disable'; },
    });
    const report = await check(dir);
    expect(messages(report, 'TK042')).toEqual([
      'stack crm-dev: provider block 0 logs in to "pg-nonprod.arcodange.lab":"5433", which is no spelling of a declared server (its own is pg-nonprod.arcodange.lab:5432): it could be any server, prod\'s included',
      'stack erp-dev: provider block 0 logs in to "pg-prod.arcodange.lab":5432, server prod-pg (tiers prod), not the stack\'s server nonprod-pg',
      'stack erp: provider block 0 logs in to server prod-pg with sslmode "disable", weaker than (or not) its declared "verify-full": the admin credential crosses it',
      'stack shop-dev: provider block 0 logs in to "10.20.5.10":5432, which is no spelling of a declared server (its own is pg-nonprod.arcodange.lab:5432): it could be any server, prod\'s included',
    ]);
    expect(findings(report, 'TK042').every((f) => f.suppressed === undefined && f.severity === 'error')).toBe(true);
  });

  it('reads a case or trailing-dot spelling of a server\'s name as that server: prod\'s stack passes, a dev stack on prod is prod', async () => {
    const dir = editDist(cleanDist(), freshDir('tk042-alias'), {
      erp: (j) => { provider(j).host = 'PG-Prod.Arcodange.LAB.'; },
      'erp-dev': (j) => { provider(j).host = 'PG-PROD.arcodange.lab.'; },
    });
    const report = await check(dir);
    // Prod's own stack under another spelling of its host: nothing to report (before, every
    // role and grant of it was "cannot be checked: no server of the manifest").
    expect(report.findings.filter((f) => f.env === 'erp').map((f) => `${f.ruleId} ${f.message}`)).toEqual([]);
    expect(messages(report, 'TK042')).toEqual([
      'stack erp-dev: provider block 0 logs in to "PG-PROD.arcodange.lab.":5432, server prod-pg (tiers prod), not the stack\'s server nonprod-pg',
    ]);
  });
});

describe('TK043 session caps of a lower tier on a server holding live data', () => {
  it('passes on the example estate (erp-sandbox on prod-pg carries all three)', async () => {
    expect(findings(await check(cleanDist()), 'TK043')).toEqual([]);
  });

  it('catches escape hatches lifting the cap (a RESET, a 0 timeout) and handing the group the parameter role; unsuppressible', async () => {
    const dir = synthDist((e) => {
      env(e, 'erp', 'sandbox').addEscapeHatch((r) => {
        r.vaultRole.creationStatements = [
          `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' CONNECTION LIMIT 10 IN ROLE "erp_sandbox_role";`,
          'ALTER ROLE "{{name}}" SET ROLE "erp_sandbox_role";',
          'ALTER ROLE "{{name}}" SET statement_timeout = 0;',
          `ALTER ROLE "{{name}}" SET idle_in_transaction_session_timeout = '300s';`,
          `ALTER ROLE "{{name}}" SET temp_file_limit = '1048576kB';`,
          'ALTER ROLE "{{name}}" RESET temp_file_limit;',
        ];
        new PostgresqlGrantRole(r.stack, 'lift', { role: 'erp_sandbox_role', grantRole: 'tierkit_temp_file_limit' });
      }).addSuppression('TK043', 'the sandbox rebuilds its indexes nightly and needs the disk');
    });
    const found = findings(await check(dir), 'TK043');
    expect(found.map((f) => f.message).sort()).toEqual([
      'erp-sandbox (tier dev): Vault role "erp-sandbox" on prod-pg (live data) creates credentials with statement_timeout 0, which is no default (a session may SET it; it ends forgotten queries)',
      'erp-sandbox (tier dev): Vault role "erp-sandbox" on prod-pg (live data) creates credentials with temp_file_limit "reset", which is no cap (superuser-only: the credential cannot SET it)',
      'stack erp-sandbox makes "erp_sandbox_role" a member of "tierkit_temp_file_limit" (SET on temp_file_limit) on prod-pg: only its own env\'s Vault connection user may be, without admin option',
    ]);
    expect(found.every((f) => f.suppressed === undefined && f.severity === 'error')).toBe(true);
  });

  it('catches a hand-edited manifest dropping the server\'s tempFileLimitRole and a creation statement with -1', async () => {
    const dir = editDist(cleanDist(), freshDir('tk043'), {
      'erp-sandbox': (j) => {
        const role = j.resource.vault_database_secret_backend_role.vault_role;
        role.creation_statements = role.creation_statements.map((s: string) => s.replace("'1048576kB'", '-1'));
      },
    });
    const edited = new DistEdit('tk043-manifest', dir).manifest((m) => { delete m.servers.find((s: any) => s.id === 'prod-pg').tempFileLimitRole; });
    const report = await check(edited.dir);
    expect(messages(report, 'TK043')).toEqual([
      'erp-sandbox (tier dev): Vault role "erp-sandbox" on prod-pg (live data) creates credentials with temp_file_limit -1, which is no cap (superuser-only: the credential cannot SET it)',
      'erp-sandbox (tier dev): its server prod-pg holds live data and declares no tempFileLimitRole: its credentials cannot be given a temp_file_limit',
    ]);
  });
});

describe('TK043/TK039 a hand-edited manifest naming a predefined role as the server\'s temp_file_limit role', () => {
  it('still refuses the sandbox connection user joining pg_read_all_data on prod\'s server', async () => {
    const dir = editDist(cleanDist(), freshDir('tk043-predefined'), {
      'erp-sandbox': (j) => { j.resource.postgresql_role.vault_connection_role.roles = ['pg_read_all_data']; },
    });
    const edited = new DistEdit('tk043-predefined-manifest', dir).manifest((m) => { m.servers.find((s: any) => s.id === 'prod-pg').tempFileLimitRole = 'pg_read_all_data'; });
    const report = await check(edited.dir);
    expect(messages(report, 'TK039')).toEqual([
      'postgresql_role.vault_connection_role (stack erp-sandbox) makes a role a member of roles.0 = "pg_read_all_data" is a PostgreSQL predefined role (allowed only as the golden dump role\'s own membership)',
    ]);
  });
});

describe('TK044 tiers sharing a cluster', () => {
  it('accepts the example estate\'s one cluster as declared (listed as a reasoned exception)', async () => {
    const report = await check(cleanDist());
    expect(findings(report, 'TK044')).toEqual([]);
    expect(report.exceptions.map((e) => e.subject)).toContain('TK044 cluster https://kubernetes.default.svc shared by tiers local, ci, dev, demo, staging, preprod, prod');
  });

  it('catches a hand-edited manifest putting dev on prod\'s own cluster under another spelling, and a declaration missing a tier', async () => {
    const dir = new DistEdit('tk044').manifest((m) => {
      m.tiers.find((t: any) => t.name === 'prod').argocdDestinationServer = 'https://prod.k8s.lab:6443';
      m.tiers.find((t: any) => t.name === 'dev').argocdDestinationServer = 'https://PROD.k8s.lab.:6443/';
      m.estate.sharedClusters[0].tiers = m.estate.sharedClusters[0].tiers.filter((t: string) => t !== 'staging');
    }).dir;
    const report = await check(dir);
    expect(messages(report, 'TK044')).toEqual([
      'tiers dev, prod deploy to one cluster https://PROD.k8s.lab.:6443/ / https://prod.k8s.lab:6443, which the estate does not declare shared: the lower tiers share prod\'s nodes, admission and cluster-scoped objects',
      'tiers local, ci, demo, staging, preprod deploy to one cluster https://kubernetes.default.svc, but its sharedClusters entry does not list staging: the lower tiers share preprod\'s nodes, admission and cluster-scoped objects',
    ]);
    expect(report.rules.find((r) => r.id === 'TK044')!.suppressible).toBe(false);
  });

  it('refuses an estate whose shared cluster has no reason, one tier, or no URL, naming the property and the fix', () => {
    const e = new Estate({
      name: 'bad', domain: 'bad.lab', vault: { address: 'https://vault.bad.lab' },
      argocd: { repoUrl: 'https://git.bad.lab/estate.git' }, ci: { repository: 'bad/estate', repositoryId: '100009' },
      sharedClusters: [{ server: 'kubernetes.default.svc', tiers: [Tier.PROD], reason: 'ok' }],
    });
    // Construction records; validation reports every problem of the declaration in one run.
    expect(validateEstate(e).map((x) => `${x.path}: ${x.property} = ${JSON.stringify(x.value)}: ${x.message}`)).toEqual([
      'bad: sharedClusters[0].server = "kubernetes.default.svc": is not an https URL of a Kubernetes API server',
      'bad: sharedClusters[0].tiers = ["prod"]: is not a list of at least two tiers',
      'bad: sharedClusters[0].reason = "ok": needs a reason of at least 10 characters',
    ]);
  });
});

describe('TK045 the Vault connection\'s URL', () => {
  const url = (j: any) => j.resource.vault_database_secret_backend_connection.vault_connection.postgresql;

  it('passes on the example estate', async () => {
    expect(findings(await check(cleanDist()), 'TK045')).toEqual([]);
  });

  it('catches a hand-edited URL to prod under another spelling (unsuppressible), a sslmode downgrade, a host parameter, another database', async () => {
    const base = synthDist((e) => env(e, 'erp', 'dev').addSuppression('TK045', 'the dev connection reads prod for a week of debugging'));
    const dir = editDist(base, freshDir('tk045'), {
      'erp-dev': (j) => { url(j).connection_url = 'postgresql://{{username}}:{{password}}@PG-PROD.arcodange.lab.:5432/erp?sslmode=require'; },
      'crm-dev': (j) => { url(j).connection_url = url(j).connection_url.replace('sslmode=require', 'sslmode=disable'); },
      'shop-dev': (j) => { url(j).connection_url = `${url(j).connection_url}&host=pg-prod.arcodange.lab`; },
      'crm-alice': (j) => { url(j).connection_url = url(j).connection_url.replace('/crm-alice?', '/crm?'); },
    });
    const report = await check(dir);
    expect(findings(report, 'TK045').map((f) => [f.message, f.suppressed === undefined]).sort()).toEqual([
      ['crm-alice (tier dev): Vault connection "crm-alice" its connection_url names database "crm", not its env\'s "crm-alice"', true],
      ['crm-dev (tier dev): Vault connection "crm-dev" its connection_url sslmode "disable" is weaker than its server\'s declared "require"', true],
      ['erp-dev (tier dev): Vault connection "erp-dev" its connection_url names server prod-pg (tiers prod), not its env\'s server nonprod-pg', true],
      ['shop-dev (tier dev): Vault connection "shop-dev" its connection_url parameter "host" can move the connection (host, port, dbname, service…) and is not modelled', true],
    ]);
  });

  it('judges root_rotation_statements: only tierkit\'s own (or Vault\'s default) runs as the connection user at rotate-root', async () => {
    const conn = (j: any) => j.resource.vault_database_secret_backend_connection.vault_connection;
    expect(conn(JSON.parse(readFileSync(join(cleanDist(), 'terraform/erp-sandbox/cdk.tf.json'), 'utf8'))).root_rotation_statements).toEqual([...ROOT_ROTATION_STATEMENTS]);
    const dir = editDist(cleanDist(), freshDir('tk045-rotation'), {
      // erp-sandbox is on prod's server: its connection user may SET temp_file_limit; at rotate-root this lifts the cap.
      'erp-sandbox': (j) => { conn(j).root_rotation_statements = ['ALTER ROLE "{{name}}" WITH PASSWORD \'{{password}}\';', 'ALTER ROLE erp_sandbox_group SET temp_file_limit = -1;'] ; },
      'crm-dev': (j) => { conn(j).root_rotation_statements = []; },
      'shop-dev': (j) => { conn(j).root_rotation_statements = ['ALTER  ROLE "{{name}}"   WITH PASSWORD \'{{password}}\';']; },
    });
    const messages = findings(await check(dir), 'TK045').map((f) => f.message);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/^erp-sandbox \(tier dev\): Vault connection "erp-sandbox" sets root_rotation_statements .*temp_file_limit = -1/);
  });
});
