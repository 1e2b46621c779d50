// Data-file sandboxes in process: the loader, the template checks, and what the template decides
// in the synthesized artifacts (egress).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Estate, Sandbox, SandboxKind, SandboxTemplate, SeedProfile, Tier, TierkitValidationError, loadSandboxFiles } from '../../constructs';
import { sandboxFileProblems } from '../../constructs/sandbox-files';
import { synthesize } from '../../constructs/synth/synthesize';
import { validateEstate } from '../../constructs/validation';
import { environmentsOf } from '../../constructs/query';
import { smallApp, smallEstate } from '../support/estates';
import { testTmp } from '../setup/tmpdir';

let n = 0;
function estateWith(files: Record<string, unknown>, appTiers: Tier[] = [Tier.DEV, Tier.PROD]): { estate: Estate; error?: TierkitValidationError } {
  const dir = join(testTmp('sandbox-data'), `case-${process.pid}-${n++}`, 'sandboxes');
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), typeof content === 'string' ? content : JSON.stringify(content));
  }
  const estate = smallEstate({ sandboxOwners: ['bob'] });
  smallApp(estate, 'erp', appTiers);
  new SandboxTemplate(estate, 'closed', { tier: Tier.DEV });
  new SandboxTemplate(estate, 'open', { tier: Tier.DEV, egress: true, seeds: [SeedProfile.SYNTHETIC_V1, SeedProfile.GOLDEN] });
  // The loader never throws (issue 20: one run reports every problem): it records each file's
  // problems on the estate, which validation reports and the sandbox CLI refuses.
  loadSandboxFiles(estate, dir);
  const problems = sandboxFileProblems(estate);
  return { estate, error: problems.length > 0 ? new TierkitValidationError([...problems]) : undefined };
}

const sb = (extra: Record<string, unknown> = {}) => ({ managedBy: 'tierkit', kind: 'engineer', owner: 'bob', template: 'closed', createdAt: '2026-11-21T08:00:00Z', ...extra });
const issues = (e: Estate) => validateEstate(e).map((i) => `${i.path} ${i.property} ${JSON.stringify(i.value)}: ${i.message}`);

describe('the loader', () => {
  it('refuses a directory of no declared app, a non-DNS file name and a non-object, each naming the file', () => {
    const { error } = estateWith({ 'nope/a.json': sb(), 'erp/Bad_Name.json': sb(), 'erp/list.json': '[1]' });
    expect(error?.issues.map((i) => `${i.path} ${i.message}`)).toEqual([
      'sandboxes/erp/Bad_Name.json is not named after a DNS-1123 label',
      'sandboxes/erp/list.json must be a JSON object',
      'sandboxes/nope/a.json is in the directory of no declared app',
    ]);
  });

  it('a bad file hides nothing: its problems are validation issues beside the estate\'s others, and synth refuses them all in one error', () => {
    const { estate } = estateWith({ 'erp/list.json': '[1]', 'nope/a.json': sb(), 'erp/ok.json': sb() });
    smallApp(estate, 'Bad_Name');
    const all = validateEstate(estate).map((i) => `${i.path} ${i.property}: ${i.message}`);
    expect(all).toEqual(expect.arrayContaining([
      'sandboxes/erp/list.json : must be a JSON object',
      'sandboxes/nope/a.json : is in the directory of no declared app',
      expect.stringMatching(/^test\/Bad_Name name: /),
    ]));
    // The good file beside them is loaded (its own checks run with the rest).
    expect(environmentsOf(estate).map((e) => e.slug)).toContain('erp-ok');
    expect(() => synthesize(estate)).toThrow(TierkitValidationError);
    try { synthesize(estate); } catch (err) { expect((err as TierkitValidationError).issues.length).toBe(validateEstate(estate).length); }
  });

  it('a file sandbox whose name a tier already uses is refused naming the file', () => {
    const { error } = estateWith({ 'erp/dev.json': sb() });
    expect(error?.issues.map((i) => `${i.path} ${i.property}: ${i.message}`)).toEqual(['sandboxes/erp/dev.json env: duplicate env "dev"']);
  });
});

describe('"reset" in a data file', () => {
  it('"template" declares the template reset (its role and golden in the stack, the manifest says so); another value is refused naming the file', () => {
    const { estate, error } = estateWith({ 'erp/fast.json': sb({ reset: 'template' }), 'erp/slow.json': sb({ reset: 'restore' }) });
    expect(error).toBeUndefined();
    const files = synthesize(estate).files;
    const manifest = JSON.parse(files.get('manifest.json')!);
    expect(manifest.appEnvironments.filter((e: { sandbox?: { reset?: string } }) => e.sandbox?.reset).map((e: { slug: string }) => e.slug)).toEqual(['erp-fast']);
    const stack = JSON.parse(files.get('terraform/erp-fast/cdk.tf.json')!);
    expect(stack.resource.postgresql_role.template_reset_role).toMatchObject({ name: 'erp_fast_template', create_database: true, login: false });
    expect(JSON.parse(files.get('terraform/erp-slow/cdk.tf.json')!).resource.postgresql_role.template_reset_role).toBeUndefined();
    const bad = estateWith({ 'erp/odd.json': sb({ reset: 'clone' }) });
    expect(bad.error?.issues.map((i) => `${i.path} ${i.property} ${JSON.stringify(i.value)}`)).toEqual(['sandboxes/erp/odd.json /reset "clone"']);
  });
});

describe('the template checks', () => {
  it('a template is itself checked: TTLs, seeds and a tier that allows sandboxes', () => {
    const { estate } = estateWith({});
    new SandboxTemplate(estate, 'bad', { tier: Tier.PROD, defaultTtlHours: 96, maxTtlHours: 48, seeds: [] });
    expect(issues(estate)).toEqual([
      'test/bad maxTtlHours 48: is below defaultTtlHours (96)',
      'test/bad seeds []: a template must allow at least one seed',
      'test/bad tier "prod": sandboxes may not live on tier prod',
    ]);
  });

  it('a sandbox named "prod" of an app without a prod tier would take the app\'s prod names: refused', () => {
    const { estate, error } = estateWith({ 'erp/prod.json': sb() }, [Tier.DEV]);
    expect(error).toBeUndefined();
    expect(issues(estate)).toContain('sandboxes/erp/prod.json  "prod": names a sandbox "prod": its database, roles and Vault paths would be the app\'s prod names');
  });

  it('a golden seed needs both the template\'s leave and a reason; egress only where the template allows', () => {
    const { estate } = estateWith({
      'erp/a.json': sb({ template: 'open', seed: 'golden' }),
      'erp/b.json': sb({ template: 'closed', seed: 'golden', reason: 'an iso-prod rehearsal of the migration' }),
      'erp/c.json': sb({ template: 'closed', egress: true }),
    });
    expect(issues(estate)).toEqual([
      'sandboxes/erp/a.json /seed "golden": a golden (iso-prod) seed brings prod data into a sandbox and needs a reason',
      'sandboxes/erp/b.json /seed "golden": is not a seed template closed allows',
      'sandboxes/erp/c.json /egress true: template closed denies egress beyond the platform\'s destinations',
    ]);
  });

  it('a synthetic version other than v1 in a file needs the app\'s generator of that version (a reason does not replace it)', () => {
    const { estate } = estateWith({ 'erp/d.json': sb({ seed: 'synthetic:v2', reason: 'trying the next generator on a branch' }) });
    expect(issues(estate)).toEqual([
      'sandboxes/erp/d.json /seed "synthetic:v2": app erp declares no synthetic generator, so nothing produces synthetic:v2',
    ]);
    expect(estateWith({ 'erp/e.json': sb({ seed: 'synthetic:' }) }).error?.issues.map((i) => `${i.path} ${i.property} ${i.message}`)).toEqual([
      'sandboxes/erp/e.json /seed must be synthetic:<version>, sanitized:<dataset> or golden',
    ]);
  });

  it('a template\'s egress decides the sandbox namespace\'s allow-listed egress; the manifest records it', () => {
    const { estate } = estateWith({ 'erp/closed-one.json': sb(), 'erp/open-one.json': sb({ template: 'open' }) });
    (estate as unknown as { tierSettings: unknown[] }).tierSettings = [{ tier: Tier.DEV, egressAllowList: ['10.10.0.0/16'], reason: 'the non-prod mirrors and mocks' }];
    const files = synthesize(estate).files;
    const k8s = (slug: string) => files.get(`k8s/dev/${slug}.k8s.yaml`)!;
    expect(k8s('erp-open-one')).toContain('name: allow-egress-listed');
    expect(k8s('erp-closed-one')).not.toContain('name: allow-egress-listed');
    expect(k8s('erp-closed-one')).toContain('name: allow-dns');
    const manifest = JSON.parse(files.get('manifest.json')!);
    expect(manifest.appEnvironments.find((e: { slug: string }) => e.slug === 'erp-closed-one').sandbox).toMatchObject({
      template: 'closed', file: 'sandboxes/erp/closed-one.json', managed: true, egress: false,
    });
  });
});

describe('the owner list holds TypeScript sandboxes too (issue 18)', () => {
  const typed = (owner: string, sandboxOwners?: string[]) => {
    const estate = smallEstate(sandboxOwners ? { sandboxOwners } : {});
    const app = smallApp(estate, 'erp');
    new Sandbox(app, 'hand', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner, createdAt: '2026-11-21' });
    return validateEstate(estate).filter((i) => i.property === 'owner');
  };

  it('a TypeScript sandbox without a template whose owner is not declared: one issue naming its construct path, prop, value and fix', () => {
    const [i, ...rest] = typed('mallory', ['bob', 'team-growth']);
    expect(rest).toEqual([]);
    expect([i.path, i.property, i.value]).toEqual(['test/erp/hand', 'owner', 'mallory']);
    expect(i.message).toBe('is not among the estate\'s declared sandbox owners and groups');
    expect(i.fix).toBe('use one of bob, team-growth, or add the owner to sandboxOwners');
  });

  it('a declared owner passes; without an owner list a TypeScript sandbox is not refused', () => {
    expect(typed('bob', ['bob'])).toEqual([]);
    expect(typed('mallory')).toEqual([]);
  });
});
