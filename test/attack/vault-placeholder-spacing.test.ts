// attack4: the checker reads Vault's placeholders with whitespace tolerance
// (`{{\s*name\s*}}`, policies/graph/sql.ts substituteVaultPlaceholders), but Vault replaces only the
// exact `{{name}}`, `{{username}}`, `{{password}}`, `{{expiration}}` (sdk/database/dbtxn parseQuery:
// strings.ReplaceAll(tpl, "{{"+k+"}}", v); test/pg/support/vault.ts does the same). An escape hatch
// that writes prod's creation statements with `"{{ name }}"` / `'{{ password }}'` makes Vault create
// a login literally named `{{ name }}` with the password `{{ password }}` — published in the repo —
// in prod's owner group (it can DROP DATABASE "erp"). The checker sees the leased user and passes.
import { describe, expect, it } from 'vitest';
import { check, env, findings, synthDist } from '../policies/helpers';

describe('attack4: Vault placeholders the checker substitutes but Vault does not', () => {
  it("refuses prod's dynamic role creating `{{ name }}` with password `{{ password }}` in erp_role", async () => {
    const dir = synthDist((e) => env(e, 'erp', 'prod').addEscapeHatch((r) => {
      // (addOverride on the whole list appends to it: override each element.)
      r.vaultRole.addOverride('creation_statements.0', `CREATE ROLE "{{ name }}" WITH LOGIN PASSWORD '{{ password }}' VALID UNTIL '{{expiration}}' IN ROLE "erp_role";`);
      r.vaultRole.addOverride('creation_statements.1', 'ALTER ROLE "{{ name }}" SET ROLE "erp_role";');
    }), 'attack4-placeholder-spacing');
    const report = await check(dir);
    const errors = report.findings.filter((f) => !f.suppressed && f.severity === 'error');
    // Secure: some rule (TK004 most naturally) refuses statements Vault would run with a literal name/password.
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
    expect(findings(report, 'TK004').length).toBeGreaterThan(0);
  }, 120_000);
});
