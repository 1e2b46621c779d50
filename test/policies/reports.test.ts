import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { XMLParser } from 'fast-xml-parser';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { check, cleanDist, env, freshDir, synthDist } from './helpers';
import { renderJunit } from '../../policies/report/junit';
import { renderSarif } from '../../policies/report/sarif';
import { evaluateGraph } from '../../policies/engine';
import { buildGraph } from '../../policies/graph/build';
import { loadSqlParser } from '../../policies/graph/sql';
import { readDist } from '../../policies/dist/read';
import type { Rule } from '../../policies/rules/support/rule';

/** The vendored SARIF 2.1.0 schema is draft-04; ajv 8 reads it once `id` becomes `$id` (no other draft-04-only keyword is used). */
function sarifValidator() {
  const schema = JSON.parse(readFileSync(join(__dirname, '../fixtures/sarif-schema-2.1.0.json'), 'utf8'));
  expect(JSON.stringify(schema)).not.toMatch(/exclusiveM(in|ax)imum/);
  const { id, $schema, ...rest } = schema;
  void $schema;
  // unicodeRegExp: false — the schema's `language` pattern has a stray `]` that only non-unicode regexps accept.
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  return ajv.compile({ $id: id, ...rest });
}

const ROOT = join(__dirname, '..', '..');

/** The real CLI in a child process: exit codes and stdout exactly as a user sees them. */
async function run(argv: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), ...argv], {
    cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const NOW = '2026-11-22T06:00:00Z';
let violating: string | undefined;
/** One error (TK003), one suppressed finding (TK006) and one warning (unused suppression TK101). */
function violatingDist(): string {
  violating ??= synthDist((e) => {
    env(e, 'shop', 'dev').addEscapeHatch((r) => r.groupRole.addOverride('create_database', true));
    env(e, 'erp', 'dev').addSuppression('TK006', 'Load tests need a day-long lease until OPS-42')
      .addEscapeHatch((r) => r.vaultRole.addOverride('max_ttl', 86400));
    env(e, 'crm', 'dev').addSuppression('TK012', 'Left over from the sanitized seed trial');
  }, 'violating');
  return violating;
}

describe('tierkit check', () => {
  it('exits 0 on the example estate and 1 on an unsuppressed error, grouping text by rule with construct path and fix', async () => {
    const clean = await run(['check', synthDist(), '--now', NOW]);
    expect(clean.code).toBe(0);
    expect(clean.out).toMatch(/tierkit check passed: 0 errors, 0 warnings, 0 suppressed, 10 reasoned exceptions/);
    const bad = await run(['check', violatingDist(), '--now', NOW]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain([
      'TK003 privileged-role-attributes — No role is SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS (or a member of a superuser-equivalent predefined role) outside the declared exceptions',
      '  ERROR: role "shop_dev_role" of shop-dev (tier dev) is CREATEDB in a stack that applies without a human gate (automatic-on-merge)',
      '    at terraform/shop-dev/cdk.tf.json#/resource/postgresql_role/group_role · construct arcodange/shop/dev · resource shop-dev/group_role',
      '    fix: set create_database = false',
    ].join('\n'));
    expect(bad.out).toContain('  SUPPRESSED ERROR: Vault role "postgres/roles/erp-dev" of erp-dev (tier dev) has max_ttl 86400s, over the dev limit of 14400s\n');
    expect(bad.out).toContain('    suppressed: Load tests need a day-long lease until OPS-42');
    expect(bad.out).toContain('  WARNING: crm-dev suppresses TK012, but the rule finds nothing there');
  });

  it('rejects bad flags with exit 2 before writing anything', async () => {
    const output = join(freshDir('out'), 'report.sarif');
    for (const argv of [
      ['check', '--format', 'xml', '--output', output],
      ['check', '--now', 'tomorrow', '--output', output],
      ['check', '--now', '2026-11-22', '--output', output],
      ['check', '--bogus', '--output', output],
      ['check', 'a', 'b', '--output', output],
    ]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err).toMatch(/^tierkit check: /);
    }
    const missing = await run(['check', freshDir('empty'), '--output', output]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('holds no manifest.json');
    expect(existsSync(output)).toBe(false);
  });

  it('writes SARIF 2.1.0 that validates against the schema, pointing at the artifact with the construct path in properties', async () => {
    const output = join(freshDir('sarif'), 'check.sarif');
    const r = await run(['check', violatingDist(), '--format', 'sarif', '--output', output, '--now', NOW]);
    expect(r.code).toBe(1);
    const log = JSON.parse(readFileSync(output, 'utf8'));
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    // The validator does reject what is not SARIF 2.1.0.
    expect(validate({ ...log, version: '2.0.0' })).toBe(false);
    expect(validate({ ...log, runs: [{ ...log.runs[0], results: [{ ...log.runs[0].results[0], level: 'fatal' }] }] })).toBe(false);
    const results = log.runs[0].results;
    const tk003 = results.find((x: any) => x.ruleId === 'TK003');
    expect(tk003.level).toBe('error');
    expect(tk003.locations[0].physicalLocation.artifactLocation.uri).toMatch(/terraform\/shop-dev\/cdk\.tf\.json$/);
    const line = tk003.locations[0].physicalLocation.region.startLine;
    const text = readFileSync(join(violatingDist(), 'terraform/shop-dev/cdk.tf.json'), 'utf8').split('\n');
    expect(text[line - 1]).toContain('"group_role": {');
    expect(tk003.properties).toMatchObject({ constructPath: 'arcodange/shop/dev', jsonPointer: '/resource/postgresql_role/group_role' });
    const tk006 = results.find((x: any) => x.ruleId === 'TK006');
    expect(tk006.suppressions).toEqual([{ kind: 'inSource', status: 'accepted', justification: 'Load tests need a day-long lease until OPS-42' }]);
    expect(log.runs[0].tool.driver.rules.map((x: any) => x.id)).toContain('TK013');
  });

  it('gives two findings of one rule on one resource two SARIF identities, stable from one --now to the next', async () => {
    const dir = synthDist((e) => env(e, 'erp', 'sandbox').addEscapeHatch((r) => r.vaultPolicy.addOverride('policy',
      'path "postgres/creds/erp" { capabilities = ["read"] }\npath "kvv2/data/erp/config" { capabilities = ["read"] }')));
    const log = JSON.parse(renderSarif(await check(dir)));
    expect(sarifValidator()(log)).toBe(true);
    const tk007 = log.runs[0].results.filter((x: any) => x.ruleId === 'TK007');
    expect(tk007).toHaveLength(2);
    expect(tk007[0].properties.jsonPointer).toBe(tk007[1].properties.jsonPointer);
    expect(tk007[0].partialFingerprints['tierkitFinding/v2']).not.toBe(tk007[1].partialFingerprints['tierkitFinding/v2']);
    // TK015 names the evaluation time in its message; the identity leaves it out.
    const expired = async (now: string) => JSON.parse(renderSarif(await check(cleanDist(), new Date(now))))
      .runs[0].results.find((x: any) => x.ruleId === 'TK015' && x.message.text.includes('crm-br-lead-scoring')).partialFingerprints['tierkitFinding/v2'];
    expect(await expired('2026-11-22T10:00:00Z')).toBe(await expired('2026-11-23T10:00:00Z'));
  });

  it('gives a finding without a file the manifest as its location (GitHub rejects a result without one)', async () => {
    await loadSqlParser();
    const broken: Rule = { id: 'TK999', name: 'broken', severity: 'error', title: 't', explanation: 'e', fix: 'f', suppressible: false,
      evaluate: () => { throw new Error('boom'); } };
    const report = evaluateGraph(buildGraph(readDist(cleanDist())), { now: new Date(NOW), rules: [broken] });
    const log = JSON.parse(renderSarif(report, { uriPrefix: 'dist/' }));
    const validate = sarifValidator();
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    const [result] = log.runs[0].results;
    expect(result.message.text).toContain('rule TK999 failed while evaluating: boom');
    expect(result.locations).toEqual([{ physicalLocation: { artifactLocation: { uri: 'dist/manifest.json' } } }]);
    expect(result.properties.estateLevel).toBe(true);
  });

  it('writes JUnit XML that parses: a failure per unsuppressed error, skipped for suppressed findings', async () => {
    const report = await check(violatingDist());
    const xml = renderJunit(report);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
    expect(parsed.testsuites).toMatchObject({ failures: '1', skipped: '1' });
    const suites = ([] as any[]).concat(parsed.testsuites.testsuite);
    const tk003 = suites.find((s) => s.name === 'TK003 privileged-role-attributes');
    expect(tk003.testcase.failure.type).toBe('TK003');
    expect(tk003.testcase.failure['#text']).toContain('fix: set create_database = false');
    const tk006 = suites.find((s) => s.name === 'TK006 credential-ttl');
    expect(tk006.testcase.skipped.message).toBe('suppressed: Load tests need a day-long lease until OPS-42');
  });

  it('writes byte-identical JSON for the same dist and --now', async () => {
    const a = await run(['check', violatingDist(), '--format', 'json', '--now', NOW]);
    const b = await run(['check', violatingDist(), '--format', 'json', '--now', NOW]);
    expect(a.out).toBe(b.out);
    const json = JSON.parse(a.out);
    expect(json.now).toBe('2026-11-22T06:00:00.000Z');
    expect(json.summary).toEqual({ errors: 1, warnings: 1, notes: 0, suppressed: 1 });
    expect(a.out).not.toContain(process.cwd());
  });
});
