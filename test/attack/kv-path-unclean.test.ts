// attack21: TK072 (and TK071) judge a vault_kv_secret_v2's path as `${mount}/data/${name}` as written. The provider
// joins them the same way (getKVV2Path: fmt.Sprintf("%s/%s/%s", mount, "data", name)), but the Vault API client
// cleans the request path before sending it (api/client.go NewRequest: `Path: path.Join(addr.Path, requestPath)`):
// mount "kvv2/" gives `kvv2//data/erp/config`, name "erp-sandbox/../erp/config" gives
// `kvv2/data/erp-sandbox/../erp/config`, and both are written to `kvv2/data/erp/config` — prod's app config
// (database, database_host, vault_creds_path). In erp-sandbox's stack (a dev sandbox applied behind prod's gate
// with prod's applier, which may write that path) either passes check (exit 0): the sandbox repoints prod's
// workload at the sandbox's database and creds path, and prod's live writes land where the sandbox credential reads.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistEdit } from '../policies/dist-edit';
import { check, cleanDist } from '../policies/helpers';

const DATA = JSON.stringify({ app: 'erp', env: 'prod', tier: 'prod', database: 'erp-sandbox', database_host: 'pg-prod.arcodange.lab', database_port: 5432, host: 'erp.arcodange.lab', vault_creds_path: 'postgres/creds/erp-sandbox' });

async function errorsWith(label: string, mount: string, name: string): Promise<string[]> {
  const e = new DistEdit(label, cleanDist());
  const rel = 'terraform/erp-sandbox/cdk.tf.json';
  const json = JSON.parse(readFileSync(join(e.dir, rel), 'utf8'));
  json.resource.vault_kv_secret_v2.prod_config = { mount, name, data_json: DATA };
  e.write(rel, `${JSON.stringify(json, null, 2)}\n`);
  const report = await check(e.dir);
  return report.findings.filter((f) => f.severity === 'error' && !f.suppressed).map((f) => `${f.ruleId} ${f.message}`);
}

describe('attack21: a KV secret path Vault\'s client cleans into prod\'s', () => {
  it('control: mount "kvv2", name "erp/config" is refused', async () => {
    expect(await errorsWith('attack21-kv-plain', 'kvv2', 'erp/config')).not.toEqual([]);
  }, 240_000);
  it('refuses name "erp-sandbox/../erp/config" (path.Join: kvv2/data/erp/config)', async () => {
    expect(await errorsWith('attack21-kv-dotdot', 'kvv2', 'erp-sandbox/../erp/config')).not.toEqual([]);
  }, 240_000);
  it('refuses mount "kvv2/" (path.Join: kvv2/data/erp/config)', async () => {
    expect(await errorsWith('attack21-kv-slash', 'kvv2/', 'erp/config')).not.toEqual([]);
  }, 240_000);
});
