// The matrix can fail: deliberately broken estates (escape hatches on the example estate, then
// synth, translated apply, matrix) are each reported with the precise violation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Estate } from '../../constructs';
import { appsOf } from '../../constructs/query';
import exampleEstate from '../../environments';
import { synthToDist } from '../support/synth';
import { createNamespace, pgServer, type Namespace, type PgMajor } from './support/db';
import { applyEstate } from './support/estate';
import { runMatrix } from './support/matrix';

function broken(mutate: (estate: Estate) => void) {
  const estate = exampleEstate();
  mutate(estate);
  return synthToDist(estate, 'pg-broken');
}
const env = (estate: Estate, app: string, name: string) => appsOf(estate).find((a) => a.appName === app)!.environment(name)!;

const VARIANTS = {
  // The sandbox's creation statements also put the user IN ROLE the prod group.
  // (The property setter, not addOverride: cdktf's addOverride appends to a list.)
  inRoleProd: broken((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => { r.vaultRole.creationStatements = [
    `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "erp_sandbox_role", "erp_role";`,
    `ALTER ROLE "{{name}}" SET ROLE "erp_sandbox_role";`,
  ]; })),
  // The prod database keeps PUBLIC's CONNECT/TEMPORARY.
  noPublicRevoke: broken((e) => env(e, 'erp', 'prod').addEscapeHatch((r) => r.databasePublicRevoke.addOverride('count', 0))),
  // The sandbox's Vault connection user is a superuser.
  superuserConnection: broken((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.vaultConnectionRole.addOverride('superuser', true))),
};
const only = (x: { app: string }) => x.app === 'erp';

describe.each([15, 18] as PgMajor[])('broken estates are caught on PostgreSQL %i', (major) => {
  let ns: Namespace;
  beforeAll(async () => { ns = await createNamespace(pgServer(major), `broken${major}`); });
  afterAll(async () => ns?.cleanup());

  async function violations(variant: keyof typeof VARIANTS, label: string): Promise<string[]> {
    const applied = await applyEstate(ns, VARIANTS[variant], { kind: 'superuser', label, only });
    const admin = await ns.admin();
    return [...(await runMatrix({ server: ns.server, admin, applied }, (e) => e.env.slug === 'erp-sandbox')).violations];
  }

  it('creation statements IN ROLE the prod group', async () => {
    const v = await violations('inRoleProd', 'a');
    if (major >= 16) {
      // The connection user holds ADMIN OPTION on its own group only: Vault cannot mint the credential.
      expect(v).toEqual([expect.stringMatching(/^invariant 7 .*env erp-sandbox, credential erp-sandbox Vault connection user, target Vault role erp-sandbox: creation statements \(CREATE ROLE .* IN ROLE .*"tk_\w+_a_erp_role"\) — expected success, got SQLSTATE 42501 \(permission denied to grant role/)]);
    } else {
      // Before 16 CREATEROLE may grant any role: the credential is minted and reaches prod.
      expect(v.every((x) => /^invariant [13] /.test(x)), v.join('\n')).toBe(true);
      expect(v).toContainEqual(expect.stringMatching(/^invariant 1 .*env erp-sandbox, credential erp-sandbox dynamic user, target database erp: connect — expected SQLSTATE 42501, got success/));
      expect(v).toContainEqual(expect.stringMatching(/^invariant 3 .*credential erp-sandbox dynamic user, target role erp_role: SET ROLE .* — expected SQLSTATE 42501, got success/));
      expect(v).toContainEqual(expect.stringMatching(/^invariant 3 .*pg_has_role.* — expected false, got true/));
    }
  });

  it('prod database without the PUBLIC revoke', async () => {
    const v = await violations('noPublicRevoke', 'b');
    expect(v).toEqual([expect.stringMatching(/^invariant 1 .*env erp-sandbox, credential erp-sandbox dynamic user, target database erp: connect — expected SQLSTATE 42501, got success/)]);
  });

  it('Vault connection user with SUPERUSER', async () => {
    const v = await violations('superuserConnection', 'c');
    expect(v).toContainEqual(expect.stringMatching(/^invariant 7 .*env erp-sandbox, credential erp-sandbox Vault connection user, target its role attributes: rolsuper — expected false, got true/));
    if (major >= 16) expect(v).toContainEqual(expect.stringMatching(/^invariant 7 .*target role erp_role: GRANT .* — expected SQLSTATE 42501, got success/));
  });
});
