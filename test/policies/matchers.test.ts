import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tierkitMatchers } from '../../policies/testing/matchers';
import { NOW, cleanDist, env, synthDist } from './helpers';

expect.extend(tierkitMatchers);

describe('vitest matchers for estates', () => {
  it('toHaveResourceWithProperties matches a stack JSON (resolved references) and a dist dir', () => {
    const stack = JSON.parse(readFileSync(join(cleanDist(), 'terraform/erp-sandbox/cdk.tf.json'), 'utf8'));
    expect(stack).toHaveResourceWithProperties('postgresql_database', { name: 'erp-sandbox', owner: 'erp_sandbox_role' });
    expect(stack).not.toHaveResourceWithProperties('postgresql_role', { superuser: true });
    expect(cleanDist()).toHaveResourceWithProperties('vault_database_secret_backend_connection', { allowed_roles: ['erp-sandbox'] });
    expect(() => expect(stack).toHaveResourceWithProperties('postgresql_role', { name: 'erp_role' }))
      .toThrow(/expected a postgresql_role with \{"name":"erp_role"\}; found 2 postgresql_role/);
  });

  it('toPassPolicy passes the example estate and fails, naming the finding, when a rule is violated', async () => {
    await expect(cleanDist()).toPassPolicy(undefined, { now: NOW });
    const dir = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.groupRole.addOverride('roles', ['erp_role'])));
    await expect(dir).toPassPolicy('TK004', { now: NOW });
    await expect(dir).not.toPassPolicy('TK001', { now: NOW });
    await expect(expect(dir).toPassPolicy(undefined, { now: NOW })).rejects.toThrow(/TK001 error: role "erp_sandbox_role" of erp-sandbox/);
  });
});
