import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findUserRules } from '../../policies/user-rules';
import type { Finding } from '../../policies/report/finding';
import { cleanDist, env, freshDir, synthDist } from './helpers';

/** The estate repo's own rules run isolated: a hostile one cannot hide a built-in error. */

const ROOT = resolve(__dirname, '..', '..');
const NOW = '2026-11-22T06:00:00Z';

function rulesDir(files: Record<string, string>): string {
  const dir = freshDir('user-rules');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

function check(dist: string, rules: string) {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), 'check', dist, '--rules', rules, '--format', 'json', '--now', NOW], { cwd: ROOT, encoding: 'utf8' });
  const report = r.stdout ? JSON.parse(r.stdout) as { findings: Finding[]; rules: { id: string }[]; summary: { errors: number } } : undefined;
  return { code: r.status, report, stderr: r.stderr };
}

const rule = (id: string, name: string, body: string) => `import type { Rule } from 'tierkit/policies';
export const rule: Rule = {
  id: '${id}', name: '${name}', severity: 'warning', suppressible: true,
  title: 'test rule', explanation: 'a test rule', fix: 'change the estate',
  evaluate(graph, ctx) { ${body} },
};
`;

/** Flags every prod app-environment: a rule that reads the graph and reports like a built-in one. */
const GOOD = rule('ACME001', 'prod-listed', "return graph.envs.filter((e) => e.tier === 'prod').map((e) => ({ message: `prod env ${e.slug}`, env: e, source: { file: 'manifest.json', pointer: '/appEnvironments' } }));");

/** The example estate with a TK004 error: an escape hatch granting the prod group to sandbox logins. */
function brokenDist(): string {
  return synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.vaultRole.addOverride('creation_statements', ['GRANT "erp_role" TO "{{name}}";'])), 'broken');
}

const tk004 = (findings: Finding[]) => findings.filter((f) => f.ruleId === 'TK004' && f.severity === 'error' && !f.suppressed);

describe('user rules (policies/<ID>-<name>.ts)', () => {
  it('are loaded from the estate repo and reported like the built-in rules', () => {
    const r = check(cleanDist(), rulesDir({ 'ACME001-prod-listed.ts': GOOD, 'README.md': 'not a rule' }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const mine = r.report!.findings.filter((f) => f.ruleId === 'ACME001');
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((f) => f.severity === 'warning' && f.ruleName === 'prod-listed' && f.env !== undefined && /^prod env /.test(f.message))).toBe(true);
    expect(r.report!.rules.map((x) => x.id)).toContain('ACME001');
  });

  it('process.exit(0) in a user rule: the built-in error stays, exit 1, and the user rules are reported failed', () => {
    const r = check(brokenDist(), rulesDir({
      'ACME001-prod-listed.ts': GOOD,
      'ACME002-quit.ts': rule('ACME002', 'quit', 'process.exit(0);'),
    }));
    expect(r.code).toBe(1);
    expect(tk004(r.report!.findings)).toHaveLength(1);
    const failed = r.report!.findings.filter((f) => f.ruleName === 'user-rule-failed').map((f) => [f.ruleId, f.severity]);
    expect(failed).toEqual([['ACME001', 'error'], ['ACME002', 'error']]);
    expect(r.report!.findings.find((f) => f.ruleId === 'ACME002')!.message).toContain('exited with code 0 before answering');
  });

  it('a forged answer, or a rule breaking the globals of its process: the built-in error stays, the rules it hit are failed', () => {
    for (const [files, failedIds] of [
      // The forged (empty) answer comes first and counts: no user rule passes on it.
      [{ 'ACME001-prod-listed.ts': GOOD, 'ACME005-forge.ts': rule('ACME005', 'forge', "process.send!({ kind: 'tierkit-user-rules', results: [] }); return [];") }, ['ACME001', 'ACME005']],
      // ACME001 ran before the globals broke: its answer stands; ACME003's own is lost, so it failed.
      [{ 'ACME001-prod-listed.ts': GOOD, 'ACME003-globals.ts': rule('ACME003', 'globals', 'Array.prototype.push = () => 0; JSON.stringify = () => "{}"; return [];') }, ['ACME003']],
    ] as const) {
      const r = check(brokenDist(), rulesDir(files));
      expect(r.code).toBe(1);
      expect(tk004(r.report!.findings)).toHaveLength(1);
      for (const id of failedIds) {
        expect(r.report!.findings.filter((f) => f.ruleId === id).map((f) => [f.ruleName, f.severity]), id).toEqual([['user-rule-failed', 'error']]);
      }
    }
  });

  it('a throwing rule and a mutating rule, each judged on its own graph', () => {
    const r = check(brokenDist(), rulesDir({
      'ACME001-prod-listed.ts': GOOD,
      'ACME000-mutate.ts': rule('ACME000', 'mutate', '(graph as any).envs.length = 0; return [];'),
      'ACME004-throws.ts': rule('ACME004', 'throws', "throw new Error('rule bug');"),
    }));
    expect(r.code).toBe(1);
    expect(tk004(r.report!.findings)).toHaveLength(1);
    expect(r.report!.findings.filter((f) => f.ruleId === 'ACME001' && f.ruleName === 'prod-listed').length).toBeGreaterThan(0);
    expect(r.report!.findings.filter((f) => f.ruleId === 'ACME004').map((f) => f.message)).toEqual(['user rule ACME004 failed: rule bug']);
  });

  it('a rule that writes to dist/ (a file changed, one added, one deleted): each change is a TK020 error, and the built-in rules judged dist/ as it was', () => {
    const dist = freshDir('user-rules-writes');
    cpSync(cleanDist(), dist, { recursive: true });
    const writer = (id: string, body: string) => `exports.rule = { id: '${id}', name: 'writer', severity: 'note', suppressible: true,
  title: 't', explanation: 'e', fix: 'f', evaluate() { const fs = require('node:fs'); const d = ${JSON.stringify(dist)}; ${body} return []; } };\n`;
    const r = check(dist, rulesDir({
      'ACME001-a.cjs': writer('ACME001', "fs.appendFileSync(d + '/terraform/crm-ci/cdk.tf.json', ' ');"),
      'ACME002-b.cjs': writer('ACME002', "fs.writeFileSync(d + '/k8s/extra.yaml', 'a: 1\\n'); fs.rmSync(d + '/ci/state-access.json');"),
    }));
    expect(r.code).toBe(1);
    const tk020 = r.report!.findings.filter((f) => f.ruleId === 'TK020');
    expect(tk020.map((f) => [f.file, f.severity, f.suppressed ?? false])).toEqual([
      ['ci/state-access.json', 'error', false], ['k8s/extra.yaml', 'error', false], ['terraform/crm-ci/cdk.tf.json', 'error', false],
    ]);
    expect(tk020.map((f) => f.message.split(' while ')[0])).toEqual([
      expect.stringMatching(/^ci\/state-access\.json was deleted \(it was: sha256 [0-9a-f]{64}\)$/),
      'k8s/extra.yaml was created (sha256 ' + createHash('sha256').update('a: 1\n').digest('hex') + ')',
      expect.stringMatching(/^terraform\/crm-ci\/cdk\.tf\.json changed \(sha256 [0-9a-f]{64} before, sha256 [0-9a-f]{64} after\)$/),
    ]);
    expect(tk020[0].message).toContain("while the repo's own rules (ACME001, ACME002) ran");
    // Judged as read before the rules ran: the deleted file's identities, no unlisted YAML, no hash mismatch.
    expect(r.report!.findings.filter((f) => f.ruleId !== 'TK020' && f.severity === 'error')).toEqual([]);
  });

  it('a rule that changes dist/ and puts it back before it returns leaves nothing to report: what was judged is what is there', () => {
    const dist = freshDir('user-rules-restores');
    cpSync(cleanDist(), dist, { recursive: true });
    const body = `const fs = require('node:fs'); const f = ${JSON.stringify(join(dist, 'terraform/crm-ci/cdk.tf.json'))}; const t = fs.readFileSync(f); fs.writeFileSync(f, '{}'); fs.writeFileSync(f, t); return [];`;
    const r = check(dist, rulesDir({ 'ACME001-restores.cjs': `exports.rule = { id: 'ACME001', name: 'restores', severity: 'note', suppressible: true, title: 't', explanation: 'e', fix: 'f', evaluate() { ${body} } };\n` }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.report!.findings.filter((f) => f.ruleId === 'TK020')).toEqual([]);
  });

  it('refuses the TK prefix and a duplicate id', () => {
    expect(() => findUserRules(rulesDir({ 'TK900-mine.ts': GOOD }))).toThrow(/the id prefix TK is tierkit's own/);
    expect(() => findUserRules(rulesDir({ 'ACME001-a.ts': GOOD, 'ACME001-b.ts': GOOD }))).toThrow(/rule id ACME001 is also/);
  });
});
