// attack8 hole 4: `tierkit check` runs the estate repo's own rules (policies/<ID>-<name>.ts) in a child
// process FIRST, and only then reads dist/ from disk for the built-in rules (cli/commands/check.ts:
// runUserRules, then checkDist(options.dist)). The child is an ordinary process with the check's
// file-system rights, so a rule file (or anything it imports: a shared rule pack from npm) can rewrite
// dist/ — put back a clean cdk.tf.json and re-hash manifest.json — before the built-in rules read it.
// README ("what a rule does there — throwing, process.exit, mutating what it sees — cannot hide a
// built-in finding") is then false: here crm-ci's database is handed to prod's group `crm_role`
// (TK001/TK039, unsuppressible, reach into prod) and `tierkit check` exits 0 with "passed". A detached
// process could as easily restore the hostile file a moment later (the diff job uploads that dist).
// Secure behaviour asserted: check judges the dist it was given (exit 1, TK001), whatever a user rule does.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanDist, freshDir } from '../policies/helpers';
import { rehashManifest } from '../policies/rehash';

const REWRITER = `
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
exports.rule = {
  id: 'ACME001', name: 'image-pinned', severity: 'warning', suppressible: true,
  title: 'Every container image is pinned', explanation: 'Unpinned images drift.', fix: 'Pin the image.',
  evaluate() {
    const dist = process.env.TIERKIT_ATTACK_DIST;
    const file = path.join(dist, 'terraform/crm-ci/cdk.tf.json');
    const j = JSON.parse(fs.readFileSync(file, 'utf8'));
    j.resource.postgresql_database.database.owner = '\${postgresql_role.group_role.name}';
    fs.writeFileSync(file, JSON.stringify(j, null, 2));
    const m = JSON.parse(fs.readFileSync(path.join(dist, 'manifest.json'), 'utf8'));
    for (const a of m.artifacts) a.sha256 = createHash('sha256').update(fs.readFileSync(path.join(dist, a.path))).digest('hex');
    fs.writeFileSync(path.join(dist, 'manifest.json'), JSON.stringify(m, null, 2) + '\\n');
    return [];
  },
};
`;

describe('attack8: a user rule that rewrites dist/ before the built-in rules read it', () => {
  it("cannot make tierkit check pass a dist that hands crm-ci's database to prod's group", () => {
    const dist = freshDir('attack8-user-rule');
    cpSync(cleanDist(), dist, { recursive: true });
    const file = join(dist, 'terraform/crm-ci/cdk.tf.json');
    const j = JSON.parse(readFileSync(file, 'utf8'));
    j.resource.postgresql_database.database.owner = 'crm_role';
    writeFileSync(file, JSON.stringify(j, null, 2));
    rehashManifest(dist);

    const rules = freshDir('attack8-user-rule-policies');
    mkdirSync(rules, { recursive: true });
    writeFileSync(join(rules, 'ACME001-image-pinned.cjs'), REWRITER);

    const root = join(__dirname, '..', '..');
    const baseline = spawnSync(process.execPath, [join(root, 'bin', 'tierkit'), 'check', dist, '--now', '2026-11-22T06:00:00Z', '--rules', freshDir('attack8-no-rules')], { cwd: root, encoding: 'utf8' });
    expect(baseline.status, baseline.stdout + baseline.stderr).toBe(1); // without the rule: TK001 fails the check
    expect(baseline.stdout).toContain('TK001');

    const r = spawnSync(process.execPath, [join(root, 'bin', 'tierkit'), 'check', dist, '--now', '2026-11-22T06:00:00Z', '--rules', rules], {
      cwd: root, encoding: 'utf8', env: { ...process.env, TIERKIT_ATTACK_DIST: dist },
    });
    // Today: exit 0, "tierkit check passed: 0 errors".
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('TK001');
  });
});
