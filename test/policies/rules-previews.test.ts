import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckReport } from '../../policies/report/finding';
import { vaultGlobMatches } from '../../policies/rules/support/previews';
import { check, cleanDist, env, findings, freshDir, synthDist } from './helpers';
import { editDist, rehashManifest } from './rehash';

// TK170–TK172 against a hostile author: escape hatches, suppressions, hand-edited stacks and a
// hand-edited manifest. The example estate's erp has previews on dev (docs/previews.md).

const ids = (r: CheckReport) => [...new Set(r.findings.filter((f) => f.severity === 'error').map((f) => f.ruleId))].sort();
const messages = (r: CheckReport, id: string) => findings(r, id).map((f) => f.message);

function editManifest(edit: (m: any) => void): string {
  const dir = editDist(cleanDist(), freshDir('previews-manifest'), {});
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8'));
  edit(m);
  writeFileSync(path, JSON.stringify(m, null, 2));
  return dir;
}

describe('previews in check (TK170–TK172)', () => {
  it('the example estate\'s previews pass every rule, and its manifest names them on erp-dev', async () => {
    const report = await check(cleanDist());
    expect(report.summary.errors).toBe(0);
    const m = JSON.parse(readFileSync(join(cleanDist(), 'manifest.json'), 'utf8'));
    expect(m.appEnvironments.filter((e: any) => e.previews).map((e: any) => [e.slug, e.previews.names.rolePattern])).toEqual([['erp-dev', 'erp-pr-*']]);
  });

  it('TK170: an escape hatch making the admin SUPERUSER or a member of dev\'s group is an error, suppressed or not', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'dev')
      .addSuppression('TK170', 'the preview admin needs a little more for a while')
      .addEscapeHatch((r) => {
        r.previews!.adminRole.addOverride('superuser', true);
        r.previews!.adminRole.addOverride('roles', ['erp_dev_role']);
      }));
    const report = await check(dir);
    expect(messages(report, 'TK170')).toEqual(expect.arrayContaining([
      'preview admin "erp_preview_admin" has superuser = true; it must be exactly false',
      expect.stringMatching(/^preview admin "erp_preview_admin" sets roles = \["erp_dev_role"\]/),
      expect.stringMatching(/^"erp_preview_admin" is made a member of "erp_dev_role" \(via roles\)/),
    ]));
    expect(findings(report, 'TK170').every((f) => f.severity === 'error' && f.suppressed === undefined)).toBe(true);
  });

  it('TK170: a grant on the home database from another stack, and a database owned by the admin, are errors', async () => {
    const dir = editDist(cleanDist(), freshDir('previews-grant'), {
      'shop-dev': (j) => {
        j.resource.postgresql_grant.sneak = { database: 'erp-previews', role: 'shop_dev_role', object_type: 'database', privileges: ['CONNECT'] };
        j.resource.postgresql_database.loot = { name: 'loot', owner: 'erp_preview_admin' };
      },
    });
    const found = messages(await check(dir), 'TK170');
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/^stack shop-dev grants CONNECT \(database\) on "erp-previews" to "shop_dev_role"/),
      expect.stringMatching(/^database "loot" is owned by the preview admin "erp_preview_admin"/),
    ]));
  });

  it('TK171: allowed_roles widened to "*" (which TK005 leaves to it) or to prod\'s role is an error', async () => {
    for (const allowed of [['*'], ['erp-pr-*', 'erp'], ['erp-*']]) {
      const dir = synthDist((e) => env(e, 'erp', 'dev').addEscapeHatch((r) => r.previews!.connection.addOverride('allowed_roles', allowed)));
      const found = messages(await check(dir), 'TK171');
      // (cdktf's addOverride appends to a list attribute: the stack allows ["erp-pr-*", …added].)
      expect(found, JSON.stringify(allowed)).toHaveLength(1);
      expect(found[0]).toMatch(/^preview connection "postgres\/config\/erp-previews" of erp-dev \(tier dev\) allows \[.*\]; exactly \["erp-pr-\*"\]$/);
      for (const a of allowed) expect(found[0]).toContain(JSON.stringify(a));
    }
  });

  it('TK171: the connection logging in as dev\'s connection user, or to prod\'s database, is an error', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'dev').addEscapeHatch((r) => {
      r.previews!.connection.addOverride('postgresql.username', 'erp_dev_vault');
      r.previews!.connection.addOverride('postgresql.connection_url', 'postgresql://{{username}}:{{password}}@pg-prod.arcodange.lab:5432/erp?sslmode=require');
    }));
    const found = messages(await check(dir), 'TK171');
    expect(found).toEqual(expect.arrayContaining([
      'preview connection "postgres/config/erp-previews" of erp-dev (tier dev) logs in as "erp_dev_vault", not as the preview admin "erp_preview_admin"',
      'preview connection "postgres/config/erp-previews" of erp-dev (tier dev): its connection_url\'s host is "pg-prod.arcodange.lab", not "pg-nonprod.arcodange.lab"',
      'preview connection "postgres/config/erp-previews" of erp-dev (tier dev): its connection_url\'s database is "erp", not "erp-previews"',
    ]));
  });

  it('TK172: an extra path in the Jobs\' policy (which TK014 leaves to it), a preview namespace binding, or another policy reading the admin\'s credential is an error', async () => {
    const dir = synthDist((e) => {
      env(e, 'erp', 'dev').addEscapeHatch((r) => {
        r.previews!.policy.addOverride('policy', `${r.previews!.policy.policyInput}\npath "postgres/creds/erp" {\n  capabilities = ["read"]\n}\n`);
        r.previews!.authRole.addOverride('bound_service_account_namespaces', ['erp-pr-7']);
      });
      env(e, 'shop', 'dev').addEscapeHatch((r) => r.vaultPolicy.addOverride('policy',
        `${r.vaultPolicy.policyInput}\npath "kvv2/data/erp-previews/*" {\n  capabilities = ["read"]\n}\npath "postgres/roles/erp-*" {\n  capabilities = ["update"]\n}\n`));
    });
    const found = messages(await check(dir), 'TK172');
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/^preview Jobs' policy "erp-previews" grants \[read\] on "postgres\/creds\/erp"/),
      'preview Jobs\' auth role "auth/kubernetes/role/erp-previews" binds namespaces ["tierkit-previews","erp-pr-7"]; exactly ["tierkit-previews"], never a preview\'s',
      expect.stringMatching(/^Vault policy "shop-dev" of stack shop-dev reads "kvv2\/data\/erp-previews\/admin"/),
      'Vault policy "shop-dev" of stack shop-dev writes "postgres/roles/erp-pr-*" via "postgres/roles/erp-*": whatever it writes there runs as app erp\'s preview admin',
    ]));
  });

  it('a hand-edited manifest cannot launder: previews removed, the pieces are judged as any role and connection; previews claimed on prod, TK170 refuses', async () => {
    const removed = await check(editManifest((m) => {
      delete m.appEnvironments.find((e: any) => e.slug === 'erp-dev').previews;
    }));
    expect(ids(removed)).toEqual(expect.arrayContaining(['TK001', 'TK002', 'TK003', 'TK005', 'TK008', 'TK014', 'TK045']));
    const onProd = await check(editManifest((m) => {
      const prod = m.appEnvironments.find((e: any) => e.slug === 'erp');
      prod.previews = m.appEnvironments.find((e: any) => e.slug === 'erp-dev').previews;
    }));
    expect(messages(onProd, 'TK170')).toEqual(expect.arrayContaining([
      expect.stringMatching(/^previews of app erp \(on erp \(tier prod\)\): tier prod is not a synthetic-data tier/),
      expect.stringMatching(/^previews of app erp \(on erp \(tier prod\)\): stack erp declares 0 roles "erp_preview_admin"/),
    ]));
  });

  it('TK170: a hand-edited manifest putting the previews\' server before PostgreSQL 16, or on a sandbox, is an error', async () => {
    const report = await check(editManifest((m) => {
      m.servers.find((s: any) => s.id === 'nonprod-pg').majorVersion = 15;
    }));
    expect(messages(report, 'TK170')).toEqual([
      expect.stringMatching(/^previews of app erp \(on erp-dev \(tier dev\)\): server nonprod-pg is PostgreSQL 15; before 16/),
    ]);
    const onProdServer = await check(editManifest((m) => {
      m.servers.find((s: any) => s.id === 'nonprod-pg').gatingTier = 'prod';
    }));
    expect(messages(onProdServer, 'TK170')).toEqual([
      expect.stringMatching(/^previews of app erp \(on erp-dev \(tier dev\)\): server nonprod-pg holds live data \(gated by tier prod\)/),
    ]);
    const onSandbox = await check(editManifest((m) => {
      const sb = m.appEnvironments.find((e: any) => e.slug === 'erp-sandbox');
      sb.previews = m.appEnvironments.find((e: any) => e.slug === 'erp-dev').previews;
    }));
    expect(messages(onSandbox, 'TK170')).toEqual(expect.arrayContaining([
      expect.stringMatching(/^previews of app erp \(on erp-sandbox \(tier dev\)\): declared on a sandbox/),
    ]));
  });

  it('TK171: a declared Vault role under the preview pattern (a hand-written stack) is an error', async () => {
    const dir = editDist(cleanDist(), freshDir('previews-role'), {
      'shop-dev': (j) => {
        const role = Object.values(j.resource.vault_database_secret_backend_role)[0] as any;
        j.resource.vault_database_secret_backend_role.twin = { ...role, name: 'erp-pr-42' };
      },
    });
    rehashManifest(dir);
    expect(messages(await check(dir), 'TK171')).toEqual([
      expect.stringMatching(/^Vault role "postgres\/roles\/erp-pr-42" of stack shop-dev matches app erp's preview pattern "erp-pr-\*"/),
    ]);
  });

  it('matches names as Vault\'s StrListContainsGlob does', () => {
    expect(vaultGlobMatches('erp-pr-*', 'erp-pr-7')).toBe(true);
    expect(vaultGlobMatches('erp-pr-*', 'erp-pr-')).toBe(true);
    expect(vaultGlobMatches('erp-pr-*', 'erp')).toBe(false);
    expect(vaultGlobMatches('*', 'anything')).toBe(true);
    expect(vaultGlobMatches('*-pr-*', 'shop-pr-3')).toBe(true);
    expect(vaultGlobMatches('a*b*c', 'abc')).toBe(true);
    expect(vaultGlobMatches('a*b*c', 'acb')).toBe(false);
    expect(vaultGlobMatches('erp', 'erp')).toBe(true);
  });
});
