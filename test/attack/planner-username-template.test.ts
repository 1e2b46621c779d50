// attack10 hole 2: no rule reads a Vault database connection's `postgresql.username_template`
// (grep policies/: nothing), yet Vault's postgresql plugin substitutes the generated username into
// the creation statements verbatim (dbtxn.ExecuteTxQueryDirect: plain `{{name}}` replacement, no
// quoting; pgx runs an argument-less Exec with the simple protocol, several statements allowed). So a
// username_template on the planner issuer connection rewrites tierkit's exact creation statement that
// TK145 proves: `CREATE ROLE "x" LOGIN PASSWORD '<the PR author's>' VALID UNTIL 'infinity' IN ROLE
// "tierkit_planner"; CREATE ROLE "<random>" ...` — every plan job's lease leaves a login of the planner
// group that never expires, whose password the PR author chose (and revocation's DROP ROLE misses it).
// TK144–TK147 pass: the statements, TTLs, URL, username and allowed_roles are all tierkit's.
// The same field on an env's connection (prod crm's, whose login has CREATEROLE on prod-pg) makes the next prod
// credential request create `pr_prod`, LOGIN, member of crm_role, VALID UNTIL 'infinity', password the PR author's.
// Secure behaviour asserted: check refuses a username_template on the planner issuer connection and on
// an env connection (an error finding that is not suppressed).
import { describe, expect, it } from 'vitest';
import { check, cleanDist, env, freshDir, synthDist } from '../policies/helpers';
import { editDist } from '../policies/rehash';

// Dollar quoting ($$…$$ is a PostgreSQL string constant) keeps TK010's /PASSWORD\s+'…'/ quiet.
const TEMPLATE = 'pr_forever" LOGIN PASSWORD $$pr-author-knows$$ VALID UNTIL \'infinity\' IN ROLE "tierkit_planner"; CREATE ROLE "{{random 12}}';
// Valid in both of crm's statements (CREATE ROLE … / ALTER ROLE … SET ROLE): a prod login of crm_role,
// never expiring, password known to the PR author; the rest of each tierkit statement is commented out.
const ENV_TEMPLATE = 'pr_prod" LOGIN PASSWORD $$pr-author-knows$$ VALID UNTIL \'infinity\'; GRANT "crm_role" TO "pr_prod" --';

describe('attack10: a Vault connection username_template injects SQL into the creation statements', () => {
  it('refuses it on the planner issuer connection (platform-prod)', async () => {
    const dir = editDist(cleanDist(), freshDir('attack10-planner-template'), {
      'platform-prod': (j: any) => { j.resource.vault_database_secret_backend_connection.planner_login_connection_prod_pg.postgresql.username_template = TEMPLATE; },
    });
    const report = await check(dir);
    const errors = report.findings.filter((f) => !f.suppressed && f.severity === 'error');
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
  }, 120_000);

  it("refuses it on prod crm's env connection", async () => {
    const dir = editDist(cleanDist(), freshDir('attack10-env-template'), {
      crm: (j: any) => { j.resource.vault_database_secret_backend_connection.vault_connection.postgresql.username_template = ENV_TEMPLATE; },
    });
    const report = await check(dir);
    const errors = report.findings.filter((f) => !f.suppressed && f.severity === 'error');
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
  }, 120_000);

  it("refuses it when an app's escape hatch sets it on prod crm's connection (no dist edit)", async () => {
    const dir = synthDist((e) => env(e, 'crm', 'prod').addEscapeHatch((r) => {
      r.vaultConnection.addOverride('postgresql.username_template', ENV_TEMPLATE);
    }), 'attack10-hatch-template');
    const report = await check(dir);
    const errors = report.findings.filter((f) => !f.suppressed && f.severity === 'error');
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
  }, 120_000);
});
