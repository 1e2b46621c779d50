import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutDirError, writeDist } from '../../constructs/synth/write';
import { testTmp } from '../setup/tmpdir';

/** The data-loss case of issue 14: `synth --out .` in an estate repo emptied the repo. */

const ROOT = resolve(__dirname, '..', '..');
const FIXTURES = join(ROOT, 'test/fixtures/estates');

function tierkit(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A user's estate repo: sources, a .git dir, node_modules. */
let repos = 0;
function estateRepo(): string {
  const repo = join(testTmp('out-ownership', `${process.pid}-${repos++}`), 'repo');
  mkdirSync(join(repo, '.git'), { recursive: true });
  mkdirSync(join(repo, 'node_modules/x'), { recursive: true });
  mkdirSync(join(repo, 'environments'), { recursive: true });
  writeFileSync(join(repo, '.git/HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(join(repo, 'node_modules/x/index.js'), '');
  writeFileSync(join(repo, 'environments/index.ts'), '// the estate\n');
  writeFileSync(join(repo, 'cdktf.json'), '{}');
  return repo;
}

const snapshot = (dir: string) => readdirSync(dir, { recursive: true }).map(String).sort();

describe('synth --out owns only a tierkit dist', () => {
  it('refuses --out . in an estate repo: exit 1, a clear message, and every file still there', () => {
    const repo = estateRepo();
    const before = snapshot(repo);
    const r = tierkit(['synth', '--app', join(FIXTURES, 'small.ts'), '--out', '.'], repo);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`refusing to write to ${repo}: it is not empty and holds no manifest.json written by tierkit`);
    expect(r.stderr).toContain('--out <dir>');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
    expect(snapshot(repo)).toEqual(before);
    expect(readdirSync(join(repo, '..'))).toEqual(['repo']);
  });

  it('refuses a non-empty directory whose manifest.json is not tierkit\'s, and a file as --out', () => {
    const dir = join(testTmp('out-ownership'), 'foreign');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ name: 'someone else', artifacts: [] }));
    expect(() => writeDist(dir, new Map([['manifest.json', '{}']]))).toThrow(OutDirError);
    expect(readFileSync(join(dir, 'manifest.json'), 'utf8')).toContain('someone else');
    const file = join(testTmp('out-ownership'), 'a-file');
    writeFileSync(file, 'x');
    expect(() => writeDist(file, new Map([['manifest.json', '{}']]))).toThrow(/is not a directory/);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('writes into a new or empty directory', () => {
    const empty = join(testTmp('out-ownership'), 'empty');
    mkdirSync(empty);
    writeDist(empty, new Map([['manifest.json', '{"generator":{"name":"tierkit"},"artifacts":[]}'], ['a/b.json', '{}']]));
    expect(snapshot(empty)).toEqual(['a', join('a', 'b.json'), 'manifest.json']);
  });

  it('in a tierkit dist, replaces only the files the previous manifest lists; the user\'s files, dirs and symlinks survive', () => {
    const dist = join(testTmp('out-ownership'), 'dist');
    const manifest = (paths: string[]) => JSON.stringify({ generator: { name: 'tierkit', version: '0' }, artifacts: paths.map((path) => ({ path })) });
    writeDist(dist, new Map([['manifest.json', manifest(['t/old.json', 't/same.json'])], ['t/old.json', 'old'], ['t/same.json', 'v1']]));
    writeFileSync(join(dist, 't/mine.txt'), 'user file');
    mkdirSync(join(dist, 'notes/empty'), { recursive: true });
    symlinkSync('/etc/hostname', join(dist, 'link'));
    writeDist(dist, new Map([['manifest.json', manifest(['t/same.json'])], ['t/same.json', 'v2']]));
    expect(existsSync(join(dist, 't/old.json'))).toBe(false);
    expect(readFileSync(join(dist, 't/same.json'), 'utf8')).toBe('v2');
    expect(readFileSync(join(dist, 't/mine.txt'), 'utf8')).toBe('user file');
    expect(existsSync(join(dist, 'notes/empty'))).toBe(true);
    expect(snapshot(dist)).toContain('link');
    expect(readdirSync(join(dist, '..')).filter((n) => n.includes('tierkit-'))).toEqual([]);
  });

  it('refuses (writing nothing) when a user file sits where the new output goes', () => {
    const dist = join(testTmp('out-ownership'), 'clash');
    const manifest = JSON.stringify({ generator: { name: 'tierkit', version: '0' }, artifacts: [] });
    writeDist(dist, new Map([['manifest.json', manifest]]));
    writeFileSync(join(dist, 'stack.json'), 'user file');
    expect(() => writeDist(dist, new Map([['manifest.json', manifest], ['stack.json', '{}']]))).toThrow(/stack.json is not listed in the previous manifest.json/);
    expect(readFileSync(join(dist, 'stack.json'), 'utf8')).toBe('user file');
  });
});

describe('ci github never overwrites a workflow it did not generate', () => {
  it('refuses a hand-written tierkit-pr.yml, writes nothing, exit 1', () => {
    const repo = estateRepo();
    const workflows = join(repo, '.github/workflows');
    mkdirSync(workflows, { recursive: true });
    writeFileSync(join(workflows, 'tierkit-pr.yml'), 'name: mine\n');
    writeFileSync(join(repo, 'cdktf.json'), JSON.stringify({ app: `npx tierkit synth --app ${join(FIXTURES, 'small.ts')}` }));
    const r = tierkit(['ci', 'github'], repo);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`refusing to overwrite ${join(workflows, 'tierkit-pr.yml')}: not generated by tierkit`);
    expect(readdirSync(workflows)).toEqual(['tierkit-pr.yml']);
    expect(readFileSync(join(workflows, 'tierkit-pr.yml'), 'utf8')).toBe('name: mine\n');
  });

  it('refuses --app naming another program than the one the workflows synthesize (cdktf.json)', () => {
    const repo = estateRepo();
    const r = tierkit(['ci', 'github', '--app', join(FIXTURES, 'small.ts')], repo);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`set "app": "npx tierkit synth --app`);
    expect(existsSync(join(repo, '.github'))).toBe(false);
  });
});
