// Server-level runtime rules (issue 21, second part): the server's own databases, …
// Each failing fixture is a change a PR author can make — an escape hatch, a suppression, a hand
// edit of dist/ with the manifest re-hashed — and each passing one is the example estate.
import { describe, expect, it } from 'vitest';
import { check, cleanDist, env, findings, freshDir, synthDist } from './helpers';
import { editDist } from './rehash';

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

  it('catches a dev stack pointed at prod\'s server, at prod\'s address, and at another port (unsuppressible)', async () => {
    const base = synthDist((e) => env(e, 'erp', 'dev').addSuppression('TK042', 'the migration rehearsal runs against the big server'));
    const dir = editDist(base, freshDir('tk042'), {
      'erp-dev': (j) => { provider(j).host = 'pg-prod.arcodange.lab'; },
      'shop-dev': (j) => { provider(j).host = '10.20.5.10'; },
      'crm-dev': (j) => { provider(j).port = '5433'; },
    });
    const report = await check(dir);
    expect(messages(report, 'TK042')).toEqual([
      'stack crm-dev: provider block 0 logs in to "pg-nonprod.arcodange.lab":"5433", which is no spelling of a declared server (its own is pg-nonprod.arcodange.lab:5432): it could be any server, prod\'s included',
      'stack erp-dev: provider block 0 logs in to "pg-prod.arcodange.lab":5432, server prod-pg (tiers prod), not the stack\'s server nonprod-pg',
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
