import { describe, expect, it } from 'vitest';
import { check, env, findings, synthDist } from './helpers';

describe('TK004 judges renew_statements and rollback_statements (SQL Vault runs as the connection user)', () => {
  it('catches renew statements lifting erp-sandbox\'s session caps on prod\'s server, and any rollback statements; unsuppressible', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => {
      r.vaultRole.addOverride('renew_statements', [
        `ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';`,
        'ALTER ROLE "{{name}}" SET statement_timeout = 0;',
        'ALTER ROLE "{{name}}" SET temp_file_limit = -1;',
      ]);
      r.vaultRole.addOverride('rollback_statements', ['GRANT "erp_sandbox_role" TO "{{name}}";']);
    }));
    const report = await check(dir);
    const found = findings(report, 'TK004').map((f) => f.message);
    expect(found).toHaveLength(2);
    expect(found[0]).toContain('sets renew_statements');
    expect(found[1]).toContain('sets rollback_statements');
    expect(report.summary.errors).toBeGreaterThanOrEqual(2);
  });

  // A sandbox renews with its expiry guard (TK126), so Vault's default is judged on an env that is no sandbox.
  it('accepts Vault\'s default renewal written out (prod erp)', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'prod').addEscapeHatch((r) => {
      r.vaultRole.addOverride('renew_statements', [`ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';`]);
    }));
    expect(findings(await check(dir), 'TK004')).toEqual([]);
  });
});
