// attack4: Vault's PostgreSQL plugin splits each creation statement on every ';' (unless it holds
// END outside quotes; plugins/database/postgresql, mirrored by test/pg/support/vault.ts
// renderStatements), even inside a `--` comment. The checker parses each statement whole with
// libpg-query, where everything after `--` is a comment. So `... IN ROLE "erp_role" -- ;CREATE ROLE
// "tk_backdoor" ...` is, to check, one allowed CREATE ROLE; to Vault, two statements: every prod
// credential issued also creates a permanent login in prod's owner group with the PR author's
// password (revocation drops only {{name}}). Same trick on the promote role joins it to erp_role.
import { describe, expect, it } from 'vitest';
import { renderStatements } from '../pg/support/vault';
import { check, env, synthDist } from '../policies/helpers';

const HIDDEN = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "erp_role" -- ;CREATE ROLE "tk_backdoor" WITH LOGIN PASSWORD 'hunter2' IN ROLE "erp_role"`;
const PROMOTE_HIDDEN = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' CONNECTION LIMIT 1 -- ;GRANT "erp_role" TO "{{name}}"`;

describe('attack4: a statement hidden from the checker behind `--` that Vault still runs', () => {
  it('Vault runs the hidden statement (as the project\'s own Vault stand-in splits it)', () => {
    const run = renderStatements([HIDDEN], { name: 'v-erp-x', password: 'p', expiration: '2026-11-22 07:00:00+0000' });
    expect(run[1]).toBe(`CREATE ROLE "tk_backdoor" WITH LOGIN PASSWORD 'hunter2' IN ROLE "erp_role"`);
  });

  it("refuses prod's dynamic role whose creation statement hides a second CREATE ROLE after `--`", async () => {
    const dir = synthDist((e) => env(e, 'erp', 'prod').addEscapeHatch((r) => {
      r.vaultRole.addOverride('creation_statements.0', HIDDEN);
    }), 'attack4-split-vault-role');
    const report = await check(dir);
    // Secure: an unsuppressed error (TK004 naturally). Today: none, `tierkit check` exits 0.
    expect(report.findings.filter((f) => !f.suppressed && f.severity === 'error').map((f) => f.ruleId)).toContain('TK004');
  }, 120_000);

  it('refuses the promote role whose creation statement hides GRANT "erp_role" after `--`', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'prod').addEscapeHatch((r) => {
      r.promote!.role.addOverride('creation_statements.0', PROMOTE_HIDDEN);
    }), 'attack4-split-promote-role');
    const report = await check(dir);
    expect(report.findings.filter((f) => !f.suppressed && f.severity === 'error').map((f) => f.ruleId)).toContain('TK160');
  }, 120_000);
});
