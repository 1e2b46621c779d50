// attack21: TK002 (and TK041) accept a PUBLIC revoke whose role is any case of "public" (isPublic lowercases).
// The provider quotes the role (pq.QuoteIdentifier): `REVOKE ALL PRIVILEGES ON DATABASE "erp" FROM "PUBLIC"`
// names an ordinary role called "PUBLIC" — PostgreSQL maps only the identifier spelled `public` to PUBLIC —
// and a stack may create that role (`CREATE ROLE "PUBLIC"` succeeds; PostgreSQL reserves only lowercase
// "public"). So prod's erp stack with revoke role "PUBLIC" plus postgresql_role "PUBLIC" passes check (exit 0),
// applies cleanly, and leaves PUBLIC's default CONNECT and TEMPORARY on prod's database: every login on
// prod-pg — erp-sandbox's leased sandbox credential included — connects to prod (measured on PostgreSQL
// 15.18: has_database_privilege(sandbox_login, 'erp', 'CONNECT') = t after the "PUBLIC" revoke).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistEdit } from '../policies/dist-edit';
import { check, cleanDist } from '../policies/helpers';

async function errorsWith(label: string, edit: (json: any) => void, stack = 'erp'): Promise<string[]> {
  const e = new DistEdit(label, cleanDist());
  const rel = `terraform/${stack}/cdk.tf.json`;
  const json = JSON.parse(readFileSync(join(e.dir, rel), 'utf8'));
  edit(json);
  e.write(rel, `${JSON.stringify(json, null, 2)}\n`);
  const report = await check(e.dir);
  return report.findings.filter((f) => f.severity === 'error' && !f.suppressed).map((f) => `${f.ruleId} ${f.message}`);
}

describe('attack21: a revoke FROM "PUBLIC" (quoted, uppercase) is no revoke from PUBLIC', () => {
  it('control: removing prod\'s PUBLIC revoke is refused', async () => {
    expect(await errorsWith('attack21-public-none', (j) => { delete j.resource.postgresql_grant.database_public_revoke; })).not.toEqual([]);
  }, 240_000);
  it('refuses prod\'s revoke written for role "PUBLIC" beside a role named "PUBLIC"', async () => {
    expect(await errorsWith('attack21-public-upper', (j) => {
      j.resource.postgresql_grant.database_public_revoke.role = 'PUBLIC';
      j.resource.postgresql_role.public_shadow = { login: false, name: 'PUBLIC' };
    })).not.toEqual([]);
  }, 240_000);
  it('refuses erp-sandbox\'s maintenance-database revoke (TK041) written for role "Public" beside a role named "Public"', async () => {
    expect(await errorsWith('attack21-public-maint', (j) => {
      j.resource.postgresql_grant.maintenance_postgres_public_revoke.role = 'Public';
      j.resource.postgresql_role.public_shadow = { login: false, name: 'Public' };
    }, 'erp-sandbox')).not.toEqual([]);
  }, 240_000);
});
