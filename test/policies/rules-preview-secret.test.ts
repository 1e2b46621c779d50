import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseVaultPolicy } from '../../contract/vault-policy';
import { matches } from '../../policies/graph/vault-paths';
import { check, cleanDist, env, findings, freshDir, synthDist } from './helpers';
import { editDist } from './rehash';

// TK173: the preview admin's password out of every CI identity's reach. The hole (stop 11, attack5):
// the dev planner's policy read `kvv2/data/erp-previews/admin`, and the ungated plan job runs a PR's code.

const SECRET = 'kvv2/data/erp-previews/admin';
const stackJson = (dir: string, stack: string) => JSON.parse(readFileSync(join(dir, 'terraform', stack, 'cdk.tf.json'), 'utf8'));
const messages = (r: Awaited<ReturnType<typeof check>>) => findings(r, 'TK173').map((f) => f.message);

describe('the preview admin\'s password (TK173)', () => {
  it('no planner or applier policy of any tier reaches the secret; the Jobs\' policy does; the KV resource is never refreshed', async () => {
    const dir = cleanDist();
    const reads = (policy: string) => parseVaultPolicy(policy).rules
      .filter((r) => r.capabilities.some((c) => ['read', 'list', 'sudo'].includes(c)) && matches(r.path, SECRET));
    for (const tier of ['dev', 'preprod', 'prod']) {
      const p = stackJson(dir, `platform-${tier}`).resource.vault_policy;
      expect(reads(p.planner_policy.policy), `planner of ${tier}`).toEqual([]);
      expect(reads(p.applier_policy.policy), `applier of ${tier}`).toEqual([]);
    }
    const dev = stackJson(dir, 'platform-dev').resource.vault_policy.applier_policy.policy;
    // The applier still writes it (create on the first apply, update when the version is bumped).
    expect(parseVaultPolicy(dev).rules.find((r) => r.path === SECRET)?.capabilities).toEqual(['create', 'update', 'delete']);
    const erpDev = stackJson(dir, 'erp-dev').resource;
    expect(reads(erpDev.vault_policy.preview_jobs_policy.policy).map((r) => r.path)).toEqual([SECRET]);
    const kv = erpDev.vault_kv_secret_v2.preview_admin_credential;
    expect([kv.disable_read, kv.data_json, typeof kv.data_json_wo]).toEqual([true, undefined, 'string']);
    const report = await check(dir);
    expect(messages(report)).toEqual([]);
  });

  it('a hand-edited planner policy reading the secret (or a glob over it) is an error, whatever is suppressed', async () => {
    const dir = editDist(cleanDist(), freshDir('tk173-planner'), {
      'platform-dev': (j) => {
        const p = j.resource.vault_policy.planner_policy;
        p.policy = `${p.policy}\npath "kvv2/data/erp-previews/*" {\n  capabilities = ["read"]\n}\n`;
      },
      'platform-prod': (j) => {
        const p = j.resource.vault_policy.applier_policy;
        p.policy = `${p.policy}\npath "kvv2/+/erp-previews/admin" {\n  capabilities = ["list"]\n}\n`;
      },
    });
    const report = await check(dir);
    expect(messages(report)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^CI policy "tierkit-plan-dev" of stack platform-dev grants \[read\] on "kvv2\/data\/erp-previews\/\*", which reaches "kvv2\/data\/erp-previews\/admin"/),
      expect.stringMatching(/^CI policy "tierkit-apply-prod" of stack platform-prod grants \[list\] on "kvv2\/\+\/erp-previews\/admin"/),
    ]));
    expect(findings(report, 'TK173').every((f) => f.severity === 'error')).toBe(true);
  });

  it('a manifest edited to drop the previews does not launder the planner\'s read', async () => {
    const dir = editDist(cleanDist(), freshDir('tk173-launder'), {
      'platform-dev': (j) => {
        const p = j.resource.vault_policy.planner_policy;
        p.policy = `${p.policy}\npath "kvv2/data/erp-previews/admin" {\n  capabilities = ["read"]\n}\n`;
      },
    });
    const path = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    delete m.appEnvironments.find((e: any) => e.slug === 'erp-dev').previews;
    writeFileSync(path, JSON.stringify(m, null, 2));
    expect(messages(await check(dir)).sort()).toEqual([
      expect.stringMatching(/^CI policy "tierkit-plan-dev" of stack platform-dev grants \[read\] on "kvv2\/data\/erp-previews\/admin"/),
      expect.stringMatching(/^jwt auth role "auth\/jwt\/role\/tierkit-plan-dev" \(a CI identity\) hands out policy "tierkit-plan-dev", which reads/),
    ]);
  });

  it('a CI role handed the Jobs\' own policy (or any policy reading the secret) is an error', async () => {
    const dir = editDist(cleanDist(), freshDir('tk173-jwt'), {
      'platform-dev': (j) => { j.resource.vault_jwt_auth_backend_role.planner_role.token_policies.push('erp-previews'); },
    });
    expect(messages(await check(dir))).toEqual(expect.arrayContaining([
      'jwt auth role "auth/jwt/role/tierkit-plan-dev" (a CI identity) hands out policy "erp-previews", which reads "kvv2/data/erp-previews/admin", app erp\'s preview admin\'s password; only the preview Jobs\' Kubernetes identity may',
    ]));
  });

  it('an escape hatch re-enabling the refresh or putting the password in state is an error, suppressed or not', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'dev')
      .addSuppression('TK173', 'we want drift detection on the admin secret')
      .addEscapeHatch((r) => {
        r.previews!.credential.addOverride('disable_read', false);
        r.previews!.credential.addOverride('data_json', '{"username":"erp_preview_admin","password":"hunter2"}');
        r.previews!.adminRole.addOverride('password', 'hunter2');
        r.previews!.connection.addOverride('postgresql.password', 'hunter2');
      }), 'tk173-hatch');
    const report = await check(dir);
    const found = findings(report, 'TK173');
    expect(found.map((f) => f.message)).toEqual(expect.arrayContaining([
      expect.stringMatching(/sets data_json, which Terraform state keeps/),
      expect.stringMatching(/has disable_read = false; without exactly true every refresh reads the password/),
      expect.stringMatching(/^preview admin postgresql_role.preview_admin sets password/),
      expect.stringMatching(/^preview connection vault_database_secret_backend_connection.preview_connection sets postgresql.password/),
    ]));
    expect(found.every((f) => f.severity === 'error' && f.suppressed === undefined)).toBe(true);
  });

  it('a second KV secret at the admin\'s path, from another stack, is an error', async () => {
    const dir = editDist(cleanDist(), freshDir('tk173-second'), {
      'shop-dev': (j) => {
        j.resource.vault_kv_secret_v2.shadow = { mount: 'kvv2', name: 'erp-previews/admin', data_json: '{"password":"known"}' };
      },
    });
    expect(messages(await check(dir))).toEqual(expect.arrayContaining([
      'KV secret vault_kv_secret_v2.shadow ("kvv2/erp-previews/admin") of stack shop-dev writes the preview admin\'s password from a stack other than erp-dev',
      expect.stringMatching(/^KV secret vault_kv_secret_v2.shadow .* sets data_json/),
    ]));
  });
});
