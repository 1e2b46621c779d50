import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDist } from '../../../contract/read';
import { check, cleanDist, findings, freshDir } from '../helpers';
import { addFile, copyDist, editJson, rehashManifest } from '../support/dist-edit';
import { SANDBOX } from './cases';

/** Class 6 of issue #10: dist/ is verified — only tierkit's files, each with its sha256, in tierkit's forms, and never empty. */
function fresh(): string {
  return copyDist(cleanDist(), freshDir('integrity'));
}

const PROD_MEMBERSHIP = { postgresql_role: { group_role: { roles: ['erp_role'] } } };

describe('fail closed: dist integrity (TK020)', () => {
  it('a hand edit without new hashes: TK020 names the file and both hashes, and the content is still judged', async () => {
    const dir = fresh();
    editJson(dir, SANDBOX, (j) => { j.resource.postgresql_role.group_role.roles = ['erp_role']; }, { rehash: false });
    const report = await check(dir);
    const [f] = findings(report, 'TK020');
    expect(f).toMatchObject({ file: SANDBOX, severity: 'error', env: 'erp-sandbox' });
    expect(f.message).toMatch(/^terraform\/erp-sandbox\/cdk\.tf\.json sha256 [0-9a-f]{64} differs from manifest\.json \/artifacts\/\d+\/sha256 \([0-9a-f]{64}\): the file was edited after synthesis$/);
    expect(findings(report, 'TK001').length).toBeGreaterThan(0);
  });

  it('an *_override.tf.json beside the stack: refused, and merged as Terraform merges it (TK001 sees the prod membership, in the override file)', async () => {
    const dir = fresh();
    addFile(dir, 'terraform/erp-sandbox/x_override.tf.json', { resource: PROD_MEMBERSHIP });
    const report = await check(dir);
    expect(findings(report, 'TK020').map((f) => f.message)).toEqual([expect.stringMatching(/^terraform\/erp-sandbox\/x_override\.tf\.json is not a file tierkit writes: Terraform loads every \*\.tf\.json in terraform\/erp-sandbox\/ and merges \*_override\.tf\.json over the stack/)]);
    const tk001 = findings(report, 'TK001').find((f) => f.message.includes('"erp_sandbox_role" of erp-sandbox (tier dev) reaches "erp_role"'));
    expect(tk001).toMatchObject({ file: 'terraform/erp-sandbox/x_override.tf.json', pointer: '/resource/postgresql_role/group_role' });
  });

  it('another *.tf.json in a stack directory adds its blocks to the stack', async () => {
    const dir = fresh();
    addFile(dir, 'terraform/erp-sandbox/extra.tf.json', { resource: { postgresql_grant_role: { sneak: { role: 'erp_sandbox_role', grant_role: 'erp_role' } } } });
    const report = await check(dir);
    expect(findings(report, 'TK020').map((f) => f.file)).toEqual(['terraform/erp-sandbox/extra.tf.json']);
    expect(findings(report, 'TK001').map((f) => f.file)).toContain('terraform/erp-sandbox/extra.tf.json');
  });

  it('files tierkit cannot read — HCL *.tf, *.tfvars, a stray file — and a stray YAML are each refused by name', async () => {
    const dir = fresh();
    addFile(dir, 'terraform/erp-sandbox/main.tf', 'resource "postgresql_grant_role" "x" {\n  role = "erp_sandbox_role"\n  grant_role = "erp_role"\n}\n');
    addFile(dir, 'terraform/erp-sandbox/terraform.tfvars', 'vault_connection_password = "x"\n');
    addFile(dir, 'notes.txt', 'hello');
    addFile(dir, 'k8s/dev/extra.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: extra\n');
    const report = await check(dir);
    const byFile = Object.fromEntries(findings(report, 'TK020').map((f) => [f.file, f.message]));
    expect(Object.keys(byFile).sort()).toEqual(['k8s/dev/extra.yaml', 'notes.txt', 'terraform/erp-sandbox/main.tf', 'terraform/erp-sandbox/terraform.tfvars']);
    expect(byFile['terraform/erp-sandbox/main.tf']).toContain('Terraform loads HCL *.tf files in terraform/erp-sandbox/ with the stack');
    expect(byFile['terraform/erp-sandbox/terraform.tfvars']).toContain('variable values from *.tfvars files');
    expect(report.summary.errors).toBeGreaterThanOrEqual(4);
  });

  it('Terraform JSON\'s array forms (hashes rewritten): refused, and normalized so TK001 judges the membership', async () => {
    const dir = fresh();
    editJson(dir, SANDBOX, (j) => {
      const roles = j.resource.postgresql_role;
      roles.group_role.roles = ['erp_role'];
      j.resource = [{ postgresql_role: [{ group_role: [roles.group_role] }, { vault_connection_role: roles.vault_connection_role }] },
        Object.fromEntries(Object.entries(j.resource).filter(([t]) => t !== 'postgresql_role'))];
      j.locals = [{ a: 'x' }, { b: 'y' }];
    });
    const report = await check(dir);
    const tk020 = findings(report, 'TK020');
    expect(tk020.length).toBeGreaterThanOrEqual(3);
    expect(tk020.every((f) => f.file === SANDBOX && f.message.includes("array form"))).toBe(true);
    expect(tk020.map((f) => f.pointer)).toEqual(expect.arrayContaining(['/resource', '/resource/0/postgresql_role', '/locals']));
    expect(findings(report, 'TK001').find((f) => f.message.includes('reaches "erp_role"'))).toMatchObject({ pointer: '/resource/0/postgresql_role/0/group_role/0' });
  });

  it('a duplicate block in array form is refused as Terraform refuses it, not silently merged', () => {
    const dir = fresh();
    editJson(dir, SANDBOX, (j) => {
      const g = j.resource.postgresql_role.group_role;
      j.resource.postgresql_role = [{ group_role: g }, { group_role: { ...g, roles: ['erp_role'] } }];
    });
    const problems = readDist(dir).problems;
    expect(problems.map((p) => p.reason)).toContainEqual(expect.stringContaining('declares resource postgresql_role.group_role a second time'));
  });

  it('an empty or vacuous estate is refused', async () => {
    const dir = fresh();
    editJson(dir, 'manifest.json', (m) => { m.artifacts = []; m.stacks = []; m.appEnvironments = []; }, { rehash: false });
    for (const sub of ['terraform', 'k8s', 'ci']) rmSync(join(dir, sub), { recursive: true, force: true });
    const report = await check(dir);
    expect(findings(report, 'TK020').map((f) => f.message)).toEqual([expect.stringContaining('declares an empty estate')]);
    // Besides: the GitHub rulesets the estate's tiers need are missing (TK094), and so are the review workflow's plan and
    // main's ruleset that the review rules read (TK018, TK019, TK023–TK026: missing is a finding, never a pass); nothing else.
    expect(findings(report, 'TK094').map((f) => f.message)).toHaveLength(8);
    for (const id of ['TK018', 'TK023', 'TK024', 'TK025']) expect(findings(report, id).map((f) => f.message)).toEqual([expect.stringContaining('ci/review.json is missing')]);
    for (const id of ['TK019', 'TK026']) expect(findings(report, id).map((f) => f.message)).toEqual([expect.stringContaining('ci/rulesets/tierkit-main.json is missing')]);
    expect(report.summary.errors).toBe(15);
  });

  it('a listed artifact that is missing is refused', async () => {
    const dir = fresh();
    rmSync(join(dir, SANDBOX));
    const report = await check(dir);
    expect(findings(report, 'TK020').map((f) => f.message)).toEqual([expect.stringMatching(/^terraform\/erp-sandbox\/cdk\.tf\.json is listed in manifest\.json \(\/artifacts\/\d+\) but missing$/)]);
  });

  it('another schema version cannot be read: one TK020 error naming manifest.json#/schemaVersion, not a crash', async () => {
    const dir = fresh();
    editJson(dir, 'manifest.json', (m) => { m.schemaVersion = 2; }, { rehash: false });
    const report = await check(dir);
    expect(report.findings).toEqual([expect.objectContaining({ ruleId: 'TK020', file: 'manifest.json', pointer: '/schemaVersion', severity: 'error' })]);
    expect(report.findings[0].message).toContain('schemaVersion is 2, but this tierkit reads schema 1');
  });

  it('a suppression of TK020 is itself refused (TK100): integrity is never accepted', async () => {
    const dir = fresh();
    editJson(dir, 'manifest.json', (m) => {
      m.appEnvironments.find((e: { slug: string }) => e.slug === 'erp-sandbox').suppressions.push({ ruleId: 'TK020', reason: 'the override is reviewed by the DBA team' });
    }, { rehash: false });
    addFile(dir, 'terraform/erp-sandbox/x_override.tf.json', { resource: PROD_MEMBERSHIP });
    const report = await check(dir);
    expect(findings(report, 'TK020').every((f) => !f.suppressed)).toBe(true);
    expect(findings(report, 'TK100').map((f) => f.message)).toEqual([expect.stringContaining('suppresses TK020 (dist-integrity), which cannot be suppressed')]);
  });

  it('the clean dist, and the same dist after rehashing without any edit, have no problem', () => {
    const dir = fresh();
    rehashManifest(dir);
    expect(readDist(dir).problems).toEqual([]);
  });
});
