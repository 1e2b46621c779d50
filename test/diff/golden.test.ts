import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Estate, Sandbox, SandboxKind, Tier } from '../../constructs';
import { PostgresqlGrant } from '../../constructs/cdktf';
import { computeChangeSet } from '../../diff/changeset';
import { GITHUB_COMMENT_LIMIT, renderMarkdown } from '../../diff/markdown';
import { checkDist } from '../../policies/engine';
import { server } from '../../environments/estate';
import { app, estateWithTiers, estateWithoutShop, pairDirs, read, retiring, writeEstate } from './fixtures';
import { estateWithApps } from './many-apps';

/**
 * Golden PR comments: reviewed as a reviewer reads them, committed, compared byte for byte. Apart
 * from the golden file, each scenario asserts the phrases a reviewer must see in lines 1–25.
 * `UPDATE_GOLDEN=1 npx vitest run test/diff/golden.test.ts` rewrites them (then review the diff).
 */

const GOLDEN = join(__dirname, 'golden');
/** Sandbox expiry is judged at a fixed instant, as CI's `--now` does: no example sandbox has expired. */
const NOW = new Date('2026-11-22T00:00:00Z');

let baseDir: string;
beforeAll(() => {
  baseDir = writeEstate(pairDirs('golden-base').base);
});

async function comment(name: string, mutate: Parameters<typeof writeEstate>[1], make?: () => Estate, base = () => baseDir) {
  const head = writeEstate(pairDirs(`golden-${name}`).head, mutate, make);
  const b = read(base());
  const h = read(head);
  const report = await checkDist(head, { now: NOW });
  const md = renderMarkdown(computeChangeSet(b, h), b.manifest, h.manifest, { check: { report }, reportHint: 'the `tierkit-diff` artifact' });
  if (process.env.DUMP_GOLDEN) writeFileSync(join(process.env.DUMP_GOLDEN, `${name}.md`), md);
  return { md, first: md.split('\n').slice(0, 25).join('\n') };
}

function golden(name: string, md: string): void {
  const file = join(GOLDEN, `${name}.md`);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, md);
  }
  expect(md, `${file} differs: review the change, then UPDATE_GOLDEN=1`).toBe(readFileSync(file, 'utf8'));
}

function expectFirstScreen(first: string, phrases: readonly string[]): void {
  for (const p of phrases) expect(first, p).toContain(p);
}

describe('golden PR comments', () => {
  it('a single grant on prod\'s database from the sandbox on the prod server: the failure and the reach, first', async () => {
    const { md, first } = await comment('single-grant', (e) => {
      app(e, 'erp').environment('sandbox')!.addEscapeHatch((r) => {
        new PostgresqlGrant(r.stack, 'prod_connect', { database: 'erp', role: r.groupRole.name, objectType: 'database', privileges: ['CONNECT'] });
      });
    });
    expectFirstScreen(first, ['**Policy check FAILED**', '**fix:**', "`erp-sandbox`'s grant would give `erp_sandbox_role` CONNECT on prod's database `erp`"]);
    expect(first).not.toContain('same-named');
    golden('single-grant', md);
  });

  it('the same grant from a dev env on another server: reach by name, and the server said', async () => {
    const { first } = await comment('grant-elsewhere', (e) => {
      app(e, 'crm').environment('dev')!.addEscapeHatch((r) => {
        new PostgresqlGrant(r.stack, 'prod_connect', { database: 'crm', role: r.groupRole.name, objectType: 'database', privileges: ['CONNECT'] });
      });
    });
    expectFirstScreen(first, ["`crm-dev`'s grant would give `crm_dev_role` CONNECT on prod's database `crm` (a same-named object on server `nonprod-pg`; prod's lives on `prod-pg`)"]);
  });

  it('an owner change to a prod group: the check failure with its fix, worded in tiers', async () => {
    const { md, first } = await comment('owner-prod-group', (e) => {
      app(e, 'crm').environment('ci')!.addEscapeHatch((r) => r.database.addOverride('owner', 'crm_role'));
    });
    expectFirstScreen(first, ['**Policy check FAILED**', '`TK001`', '**fix:**', "`crm-ci`'s database would be owned by prod's group `crm_role`"]);
    golden('owner-prod-group', md);
  });

  it('an app removed: prod data dropped by name; its namespaces one line each', async () => {
    // The pull request retires shop's stacks, as a removal must (their destroys need the state keys).
    const { md, first } = await comment('app-removed', retiring(read(baseDir).manifest, (n) => n.startsWith('shop')), estateWithoutShop);
    expectFirstScreen(first, ['### 3 · Prod data destroyed', 'DROPS prod database `shop`', 'removed stack `shop` (tier prod)']);
    expect(md).toContain('state key kept for the applier of tier prod until its destroy ran (app-environment of tier prod on server prod-pg');
    expect(md).toContain('- − namespace `shop-team-growth` and its 23 objects');
    expect(md).not.toContain('NetworkPolicy');
    golden('app-removed', md);
  });

  it('a sandbox added: the sandbox and the applier policy it widens, nothing to review first', async () => {
    const { md, first } = await comment('sandbox-added', (e) => {
      new Sandbox(app(e, 'crm'), 'carol', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'team-growth', createdAt: '2026-11-21', ttlHours: 48 });
    });
    expectFirstScreen(first, ['**Policy check passed**', '**0 items to review first**', '**sandbox create** · `sandbox crm-carol`: owner team-growth']);
    golden('sandbox-added', md);
  });

  it('a tier loosened with a reason: the loosening and its reason', async () => {
    const { md, first } = await comment('tier-loosened', () => {}, estateWithTiers((tiers) => tiers.map((t) => (t.tier === Tier.DEV
      ? { ...t, secretTtl: { defaultSeconds: 1800, maxSeconds: 12 * 3600 }, reason: 'Nightly ETL holds one lease through the batch window' } : t))));
    expectFirstScreen(first, ['tier dev loosened: secretTtl.maxSeconds 28800 (built-in default) → 43200', 'Nightly ETL holds one lease through the batch window']);
    golden('tier-loosened', md);
  });

  it('a sandbox moved to the prod server: now gated like prod, and why', async () => {
    const { md, first } = await comment('server-moved', (e) => {
      const crm = app(e, 'crm');
      const was = crm.environment('alice') as Sandbox;
      crm.node.tryRemoveChild('alice');
      new Sandbox(crm, 'alice', {
        tier: was.tier, kind: was.kind, owner: was.owner, createdAt: was.createdAt, ttlHours: was.ttlHours, seed: was.seed,
        flags: was.flagOverrides, server: server(e, 'prod-pg'),
      });
    });
    expectFirstScreen(first, ['`crm-alice`', "gated like prod: its server `prod-pg` also holds prod's databases", 'before this change: gated like dev, applied automatically (`automatic-on-merge`), on server `nonprod-pg`']);
    golden('server-moved', md);
  });

  it('an image bump only: the prod rollout Argo CD syncs without a plan, nothing to review first', async () => {
    const { md, first } = await comment('image-bump', (e) => {
      // erp has no releases file: its App image is what its envs run (crm's and shop's come from apps/<app>.releases.json).
      (app(e, 'erp') as { image: string }).image = `ghcr.io/arcodange/dolibarr:20.0.5@sha256:${'5'.repeat(64)}`;
    });
    expectFirstScreen(first, ['**0 items to review first**', '**synced without a plan** · `k8s/prod/erp.k8s.yaml` (tier prod): +0 ~1 −0 Kubernetes objects']);
    // A digest-pinned image is too long to quote inline: the line says which field changed.
    expect(md).toContain('- ~ `Deployment erp/erp` (prod): `spec.template.spec.containers[0].image` changed');
    golden('image-bump', md);
  });

  it('300 apps removed: over the limit, shortened, and every prod database dropped still named', async () => {
    const dirs = pairDirs('golden-300');
    writeEstate(dirs.base, () => {}, () => estateWithApps(300));
    const { md, first } = await comment('300-apps', retiring(read(dirs.base).manifest, (n) => n.startsWith('bulk-')), undefined, () => dirs.base);
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(md).toContain('left out to stay under GitHub\'s comment limit');
    for (let i = 0; i < 300; i++) expect(md).toContain(`bulk-${String(i).padStart(3, '0')}`);
    expectFirstScreen(first, ['**600 items to review first**', '### 3 · Prod data destroyed (600)', '**prod data** · DROPS prod database (300): `bulk-000`, `bulk-001`']);
    golden('300-apps', md);
  }, 240_000);
});

describe('docs/pr-flow.md', () => {
  it('shows the reviewed golden comment as its sample, not an older format', () => {
    const sample = readFileSync(join(GOLDEN, 'owner-prod-group.md'), 'utf8').split('\n<details>')[0].trimEnd();
    expect(readFileSync(join(__dirname, '..', '..', 'docs', 'pr-flow.md'), 'utf8')).toContain(`\`\`\`\`markdown\n${sample}\n`);
  });
});
