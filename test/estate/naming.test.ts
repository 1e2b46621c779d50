import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { App, Sandbox, SandboxKind, Tier, validateEstate } from '../../constructs';
import * as naming from '../../constructs/naming';
import { smallEstate } from '../support/estates';

// A tiny alphabet so that colliding coordinates (app a-b env c vs app a env b-c) are common.
const label = fc.stringMatching(/^[ab]{1,2}(-[ab]{1,2})?$/);

describe('naming', () => {
  it('follows the decision record’s table', () => {
    const n = { domain: 'arcodange.lab', databaseMount: 'postgres', kvMount: 'kvv2', kubernetesAuthPath: 'kubernetes' };
    const prod = { app: 'erp', env: 'prod' };
    const sandbox = { app: 'erp', env: 'sandbox' };
    expect([naming.databaseName(prod), naming.groupRoleName(prod), naming.vaultCredsPath(prod, n), naming.kvConfigPath(prod, n), naming.host(prod, n)])
      .toEqual(['erp', 'erp_role', 'postgres/creds/erp', 'kvv2/erp/config', 'erp.arcodange.lab']);
    expect([naming.databaseName(sandbox), naming.groupRoleName(sandbox), naming.vaultCredsPath(sandbox, n), naming.kvConfigPath(sandbox, n), naming.host(sandbox, n)])
      .toEqual(['erp-sandbox', 'erp_sandbox_role', 'postgres/creds/erp-sandbox', 'kvv2/erp-sandbox/config', 'erp-sandbox.arcodange.lab']);
    expect(naming.kvApiPaths(sandbox, n)).toEqual({ data: 'kvv2/data/erp-sandbox/config', metadata: 'kvv2/metadata/erp-sandbox/config' });
  });

  it('refuses an env whose name takes over another env’s lifecycle names (golden dump, reset)', () => {
    for (const env of ['golden-dump', 'sandbox-reset']) {
      const estate = smallEstate();
      const app = new App(estate, 'erp', { tiers: [Tier.PROD], objectPrefix: 'llx_', image: 'x:1@sha256:' + 'e'.repeat(64) });
      new Sandbox(app, 'sandbox', { tier: Tier.DEV, kind: SandboxKind.APP, owner: 'o', createdAt: '2026-11-20' });
      new Sandbox(app, env, { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'o', createdAt: '2026-11-20' });
      const issues = validateEstate(estate).filter((i) => i.property === 'coordinate');
      expect(issues, env).toHaveLength(1);
      expect(issues[0].message).toMatch(/Vault (policy|Kubernetes auth role) "erp-(golden-dump|sandbox-reset)"/);
    }
  });

  it('for any estate, either validation reports a collision or every derived name is unique', () => {
    let collisions = 0;
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(label, label), { minLength: 1, maxLength: 6 }), (pairs) => {
      const estate = smallEstate({ sandboxQuotaPerOwner: 100 });
      const apps = new Map<string, App>();
      for (const [app, env] of pairs) {
        if (!apps.has(app)) apps.set(app, new App(estate, app, { tiers: [Tier.PROD], objectPrefix: 'x_', image: 'x:1@sha256:' + 'e'.repeat(64) }));
        if (env === 'prod') continue;
        if (apps.get(app)!.node.tryFindChild(env)) continue;
        new Sandbox(apps.get(app)!, env, { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'o', createdAt: '2026-11-20' });
      }
      const issues = validateEstate(estate);
      const envs = [...apps.values()].flatMap((a) => a.environments);
      const collides = issues.some((i) => i.property === 'coordinate');
      const claims = envs.flatMap((e) => naming.claimedNames(e.coordinate).map((n) => `${n.kind}: ${n.name}`));
      // Either every claimed name of every env is unique, or validation said which two envs clash.
      expect(new Set(claims).size < claims.length).toBe(collides);
      if (collides) collisions++;
    }), { numRuns: 300, seed: 42 });
    expect(collisions, 'the generator must produce colliding coordinates').toBeGreaterThan(0);
  });
});
