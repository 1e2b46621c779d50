// attack7: TK172 says "whoever writes a `<app>-pr-*` Vault role, or the preview connection's config,
// runs SQL as the preview admin" and refuses any other policy writing `<db>/roles/<app>-pr-*`,
// `<db>/config|rotate-root|reset/<app>-previews`. It forgets Vault's *static* roles. The preview
// connection `erp-previews` has allowed_roles ["erp-pr-*"], a glob Vault also applies to static
// roles, so a static role named `erp-pr-0` on it is served: `username = "erp_preview_admin"` makes
// Vault rotate the admin's own password through the connection (logged in as the admin) and hand it
// out at `<db>/static-creds/erp-pr-0`; `rotation_statements` run any SQL as the admin. TK007 does not
// see it either (`erp-pr-0` is no declared env). So a dev sandbox's workload policy (shop-alice, held
// by any pod of the sandbox's namespace) that gains both paths passes check with 0 errors, and its
// holder gets CREATEDB CREATEROLE on the previews' server — what TK173 exists to prevent.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, cleanDist, env, freshDir, synthDist } from '../policies/helpers';
import { editDist } from '../policies/rehash';

const STATIC = '\npath "postgres/static-roles/erp-pr-0" {\n  capabilities = ["create", "update"]\n}\n\npath "postgres/static-creds/erp-pr-0" {\n  capabilities = ["read"]\n}\n';

describe('attack7: a static role on the preview connection', () => {
  for (const [stack, resource] of [['shop-alice', 'vault_policy'], ['erp-dev', 'vault_policy']] as const) {
    it(`refuses ${stack}'s policy writing postgres/static-roles/erp-pr-0 (SQL and the password of the preview admin)`, async () => {
      const dir = editDist(cleanDist(), freshDir('attack7-static-role'), { [stack]: (j: any) => { j.resource.vault_policy[resource].policy += STATIC; } });
      const report = await check(dir);
      const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
      expect(errors.map((f) => `${f.ruleId} ${f.message}`)).toEqual(expect.arrayContaining([expect.stringContaining('static-roles/erp-pr-0')]));
    }, 120_000);
  }

  it('refuses the same two paths added to shop-alice\'s policy by an escape hatch (apps/shop.ts, no dist edit)', async () => {
    const dir = synthDist((e) => {
      env(e, 'shop', 'alice').addEscapeHatch((r: any) => {
        r.vaultPolicy.addOverride('policy', `path "postgres/creds/shop-alice" {\n  capabilities = ["read"]\n}\n${STATIC}`);
      });
    }, 'attack7-static-role-hatch');
    expect(readFileSync(join(dir, 'terraform', 'shop-alice', 'cdk.tf.json'), 'utf8')).toContain('static-roles/erp-pr-0');
    const report = await check(dir);
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).toEqual(expect.arrayContaining([expect.stringContaining('static-roles/erp-pr-0')]));
  }, 120_000);
});
