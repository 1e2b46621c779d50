// tierkit sandbox create|extend|delete|list and tierkit gc, run as the CLI (a child process) in a
// project of their own: the example estate's apps, templates and owners, loading the project's
// sandboxes/ directory. Every refusal leaves the directory byte-identical.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { testTmp } from '../setup/tmpdir';

const ROOT = resolve(__dirname, '..', '..');
let project: string;
let counter = 0;

function newProject(): string {
  const dir = join(testTmp('sandbox-cli'), `project-${process.pid}-${counter++}`);
  mkdirSync(join(dir, 'environments'), { recursive: true });
  writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ app: 'npx tierkit synth --app environments/index.ts' }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', target: 'es2022', paths: { tierkit: [join(ROOT, 'constructs/index.ts')] } } }));
  writeFileSync(join(dir, 'environments', 'index.ts'), `import { join } from 'node:path';
import { loadSandboxFiles } from ${JSON.stringify(join(ROOT, 'constructs'))};
import { defineEstate } from ${JSON.stringify(join(ROOT, 'environments/estate'))};
import { crm } from ${JSON.stringify(join(ROOT, 'apps/crm'))};
import { erp } from ${JSON.stringify(join(ROOT, 'apps/erp'))};
import { shop } from ${JSON.stringify(join(ROOT, 'apps/shop'))};
export default function estate() {
  const e = defineEstate();
  erp(e); crm(e); shop(e);
  loadSandboxFiles(e, join(__dirname, '..', 'sandboxes'));
  return e;
}
`);
  mkdirSync(join(dir, 'sandboxes'));
  return dir;
}

function tierkit(...args: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), ...args], { cwd: project, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under sandboxes/, path → content. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(project, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(join(project, 'sandboxes'));
  return out;
}

const NOW = '2026-11-22T06:00:00Z';
const create = (...extra: string[]) => tierkit('sandbox', 'create', '--app', 'shop', '--template', 'feature-default', '--now', NOW, ...extra);
const readJson = (rel: string) => JSON.parse(readFileSync(join(project, rel), 'utf8'));

beforeEach(() => {
  project = newProject();
});

describe('tierkit sandbox create', () => {
  it('writes sandboxes/<app>/<name>.json, marked as tierkit\'s, with seed 002\'s shape; list shows it', () => {
    const r = create('--owner', 'bob', '--kind', 'engineer', '--ttl', '72h', '--seed', 'synthetic:v1', '--flags', 'one-click-checkout');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('created sandboxes/shop/bob.json: sandbox shop-bob of bob, template feature-default, tier dev, TTL 72 h (expires 2026-11-25T06:00:00.000Z)');
    expect(readJson('sandboxes/shop/bob.json')).toEqual({
      managedBy: 'tierkit', kind: 'engineer', owner: 'bob', template: 'feature-default', createdAt: NOW, ttlHours: 72, seed: 'synthetic:v1', flags: ['one-click-checkout'],
    });
    const list = tierkit('sandbox', 'list', '--app', 'shop', '--now', '2026-11-25T07:00:00Z', '--format', 'json');
    expect(list.code, list.stderr).toBe(0);
    const row = JSON.parse(list.stdout).find((x: { sandbox: string }) => x.sandbox === 'shop-bob');
    expect(row).toEqual({ sandbox: 'shop-bob', owner: 'bob', kind: 'engineer', template: 'feature-default', seed: 'synthetic:v1',
      expiresAt: '2026-11-25T06:00:00.000Z', state: 'expired 1 h ago', declaredIn: 'sandboxes/shop/bob.json' });
  }, 120_000);

  it.each([
    ['an undeclared template', ['--owner', 'bob', '--template', 'yolo'], 'sandboxes/shop/bob.json: /template = "yolo": is not a sandbox template declared in the estate', 'use one of feature-default, integration'],
    ['an owner nobody declared', ['--owner', 'mallory'], 'sandboxes/shop/mallory.json: /owner = "mallory": is not among the estate\'s declared sandbox owners and groups', 'use one of alice, arcodange, bob, team-growth'],
    ['a third sandbox of alice (quota 2)', ['--owner', 'alice', '--name', 'alice-2'], 'sandboxes/shop/alice-2.json: /owner = "alice": owner holds 3 sandboxes; the estate quota is 2', 'remove an expired sandbox'],
    ['a TTL over the template maximum', ['--owner', 'bob', '--ttl', '15d', '--reason', 'a long investigation of a billing bug'], '/ttlHours = 360: exceeds template feature-default\'s maximum of 336 hours', 'lower the TTL'],
    // The dev tier's own sandbox maximum is 7 days too: its message (the first rule's) is the one shown.
    ['a TTL past 7 days without a reason', ['--owner', 'bob', '--ttl', '200h'], 'sandboxes/shop/bob.json: /ttlHours = 200: exceeds the dev maximum of 168 hours', 'add reason'],
    ['a seed the template does not allow', ['--owner', 'bob', '--seed', 'sanitized:customers-2026q3'], '/seed = "sanitized:customers-2026q3": is not a seed template feature-default allows', 'use synthetic:v1'],
    ['egress the template denies', ['--owner', 'bob', '--egress'], '/egress = true: template feature-default denies egress', 'remove "egress"'],
    ['a flag the app does not declare', ['--owner', 'bob', '--flags', 'onboarding'], '/flags = ["onboarding"]: names flags app shop does not declare', 'use only one-click-checkout'],
  ])('refuses %s: exit 1, one clear error naming file, pointer, value and fix; nothing written', (_what, args, message, fix) => {
    const before = snapshot();
    const r = create(...args);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toMatch(new RegExp(`fix: .*${fix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(r.stderr).toContain('nothing was written');
    expect(snapshot()).toEqual(before);
  });

  it.each([
    [['--owner', 'bob', '--ttl', '3 days'], '--ttl must be whole hours or days'],
    [['--ttl', '72h'], '--owner is required'],
    [['--owner', 'bob', '--now', '2026-11-22'], '--now must be a UTC instant'],
    [['--owner', 'bob', '--kind', 'app'], '--kind must be one of engineer, team, branch'],
    [['--owner', 'bob', '--flags', 'a,,b'], '--flags must be distinct flag names'],
    [['--owner', 'bob', '--name', 'Bob_1'], '--name must be a DNS-1123 label'],
    [['--owner', 'alice'], 'shop already has an env or sandbox named "alice"'],
    [['--owner', 'bob', '--bogus'], "Unknown option '--bogus'"],
  ])('refuses bad flags %j with exit 2 before writing anything', (args, message) => {
    const r = create(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(snapshot()).toEqual({});
  });
});

describe('tierkit sandbox extend and delete', () => {
  // Each CLI run is a child process (a few seconds on a loaded machine): the cases are split to stay within the timeout.
  it('extends by --ttl; past 7 days only with --reason (stored, flagged)', () => {
    expect(create('--owner', 'bob').code).toBe(0);
    const ext = tierkit('sandbox', 'extend', 'bob', '--app', 'shop', '--ttl', '48h', '--now', '2026-11-23T06:00:00Z');
    expect(ext.code, ext.stderr).toBe(0);
    expect(ext.stdout).toContain('TTL 72 h → 120 h (expires 2026-11-27T06:00:00.000Z)');
    expect(readJson('sandboxes/shop/bob.json').ttlHours).toBe(120);

    const before = snapshot();
    const noReason = tierkit('sandbox', 'extend', 'bob', '--app', 'shop', '--ttl', '3d', '--now', '2026-11-23T06:00:00Z');
    expect(noReason.code).toBe(1);
    expect(noReason.stderr).toContain('sandboxes/shop/bob.json: /ttlHours = 192: exceeds the dev maximum of 168 hours');
    expect(noReason.stderr).toContain('add reason');
    expect(snapshot()).toEqual(before);

    const reasoned = tierkit('sandbox', 'extend', 'bob', '--app', 'shop', '--ttl', '3d', '--reason', 'reproducing the month-end billing run', '--now', '2026-11-23T06:00:00Z');
    expect(reasoned.code, reasoned.stderr).toBe(0);
    expect(reasoned.stdout).toContain('past 7 days: the PR comment asks for approval');
    expect(readJson('sandboxes/shop/bob.json')).toMatchObject({ ttlHours: 192, reason: 'reproducing the month-end billing run' });
  }, 180_000);

  it('refuses to extend an expired sandbox; nothing written', () => {
    expect(create('--owner', 'bob').code).toBe(0);
    const before = snapshot();
    const expired = tierkit('sandbox', 'extend', 'bob', '--app', 'shop', '--ttl', '1h', '--now', '2026-12-01T00:00:00Z');
    expect(expired.code).toBe(1);
    expect(expired.stderr).toContain('/ttlHours = 72: expired at 2026-11-25T06:00:00.000Z');
    expect(snapshot()).toEqual(before);
  }, 180_000);

  it('refuses hand-written and missing files (exit 2, nothing touched); deletes a file it wrote', () => {
    expect(create('--owner', 'bob').code).toBe(0);
    writeFileSync(join(project, 'sandboxes/shop/hand.json'), JSON.stringify({ kind: 'team', owner: 'team-growth', template: 'feature-default', createdAt: NOW }));
    const hand = snapshot();
    for (const args of [['extend', 'hand', '--app', 'shop', '--ttl', '1h'], ['delete', 'hand', '--app', 'shop'], ['delete', 'nope', '--app', 'shop']]) {
      const r = tierkit('sandbox', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/was not written by tierkit|does not exist/);
    }
    expect(snapshot()).toEqual(hand);

    const del = tierkit('sandbox', 'delete', 'bob', '--app', 'shop');
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toContain('deleted sandboxes/shop/bob.json: sandbox shop-bob of bob');
    expect(Object.keys(snapshot())).toEqual(['sandboxes/shop/hand.json']);
  }, 180_000);
});

describe('strict data files', () => {
  it.each([
    ['an unknown key', '{"kind":"engineer","owner":"bob","template":"feature-default","createdAt":"2026-11-22T06:00:00Z","ttl":72}', 'sandboxes/shop/x.json: /ttl = 72: is not a sandbox file key', 'remove it; the keys are'],
    ['a repeated key', '{"kind":"engineer","owner":"bob","owner":"alice","template":"feature-default","createdAt":"2026-11-22T06:00:00Z"}', 'sandboxes/shop/x.json: /owner = "owner": is a repeated key', 'keep one definition'],
    ['a bare date', '{"kind":"engineer","owner":"bob","template":"feature-default","createdAt":"2026-11-22"}', '/createdAt = "2026-11-22": must be a UTC instant', '2026-11-21T10:00:00Z'],
    ['a string TTL', '{"kind":"engineer","owner":"bob","template":"feature-default","createdAt":"2026-11-22T06:00:00Z","ttlHours":"72"}', '/ttlHours = "72": must be a whole number of hours', '"ttlHours": 72'],
  ])('a file with %s fails every command that loads the estate, naming file, pointer, value and fix', (_what, text, message, fix) => {
    mkdirSync(join(project, 'sandboxes/shop'), { recursive: true });
    writeFileSync(join(project, 'sandboxes/shop/x.json'), text);
    const r = tierkit('sandbox', 'list');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain(fix);
  });

  it('a YAML file is refused, not skipped', () => {
    mkdirSync(join(project, 'sandboxes/shop'), { recursive: true });
    writeFileSync(join(project, 'sandboxes/shop/x.yaml'), 'owner: bob\n');
    const r = tierkit('gc', '--now', NOW);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('sandboxes/shop/x.yaml:  = "shop/x.yaml": is not a sandbox data file');
  });
});

describe('tierkit gc', () => {
  it('removes only expired files tierkit wrote, lists the rest, and is deterministic for a given --now', () => {
    expect(create('--owner', 'bob', '--ttl', '24h').code).toBe(0);
    expect(create('--owner', 'team-growth', '--name', 'growth-2', '--kind', 'team', '--ttl', '24h').code).toBe(0);
    expect(create('--owner', 'arcodange', '--ttl', '96h').code).toBe(0);
    writeFileSync(join(project, 'sandboxes/shop/hand.json'), JSON.stringify({ kind: 'team', owner: 'team-growth', template: 'feature-default', createdAt: NOW, ttlHours: 1 }));
    const copy = `${project}-copy`;
    cpSync(project, copy, { recursive: true });
    const now = '2026-11-24T00:00:00Z';
    const r = tierkit('gc', '--now', now);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('removed'))).toEqual([
      'removed sandboxes/shop/bob.json: sandbox shop-bob of bob, expired at 2026-11-23T06:00:00.000Z',
      'removed sandboxes/shop/growth-2.json: sandbox shop-growth-2 of team-growth, expired at 2026-11-23T06:00:00.000Z',
    ]);
    expect(r.stdout).toContain('left sandboxes/shop/hand.json: sandbox shop-hand of team-growth, expired at 2026-11-22T07:00:00.000Z (a hand-written file');
    expect(r.stdout).toContain('left arcodange/crm/alice: sandbox crm-alice of alice');
    expect(Object.keys(snapshot()).sort()).toEqual(['sandboxes/shop/arcodange.json', 'sandboxes/shop/hand.json']);
    // The same estate and --now elsewhere: the same output, the same files removed.
    const first = r.stdout;
    project = copy;
    const again = tierkit('gc', '--now', now);
    expect(again.stdout).toBe(first);
    expect(Object.keys(snapshot()).sort()).toEqual(['sandboxes/shop/arcodange.json', 'sandboxes/shop/hand.json']);
    expect(existsSync(join(copy, 'sandboxes/shop/bob.json'))).toBe(false);
  }, 180_000);
});
