// fix10 (attack11 holes 1 and 3): `check --digest-out` binds the verdict to dist/ as judged, and
// `check --verify-digest` (run by tierkit-pr.yml before "Upload head dist") refuses any other dist/:
// a changed byte, a file replaced by a link to the same bytes, a new file. The reader refuses links.
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/command';
import { readDist } from '../../contract/read';
import { cleanDist, freshDir as fresh } from './helpers';

const freshDir = (label: string) => { const d = fresh(label); mkdirSync(d, { recursive: true }); return d; };

const ROOT = resolve(__dirname, '..', '..');

/** The real CLI, as CI runs it (check loads its modules with require, so not in-process under vitest). */
async function cli(argv: string[]) {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, 'cli/main.ts'), 'check', ...argv], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('check --digest-out / --verify-digest', () => {
  it('accepts the dist/ check judged and refuses an edited byte, a link to the same bytes, an added file', async () => {
    const dist = freshDir('digest');
    cpSync(cleanDist(), dist, { recursive: true });
    const digestFile = join(freshDir('digest-out'), 'd.sha256');
    const judged = await cli([dist, '--format', 'json', '--now', '2026-11-22T06:00:00Z', '--digest-out', digestFile]);
    expect(judged.code, judged.err).toBe(EXIT.OK);
    const digest = readFileSync(digestFile, 'utf8').trim();
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect((await cli([dist, '--verify-digest', digest])).code).toBe(EXIT.OK);

    const manifest = join(dist, 'manifest.json');
    const text = readFileSync(manifest, 'utf8');
    writeFileSync(manifest, `${text} `);
    const edited = await cli([dist, '--verify-digest', digest]);
    expect(edited.code).toBe(EXIT.FAILED);
    expect(edited.err).toContain(`but check judged ${digest}`);
    writeFileSync(manifest, text);
    expect((await cli([dist, '--verify-digest', digest])).code).toBe(EXIT.OK);

    // The same bytes behind a link: the link's target could change after the check (hole 3).
    const outside = join(freshDir('digest-outside'), 'manifest.json');
    writeFileSync(outside, text);
    rmSync(manifest);
    symlinkSync(outside, manifest);
    expect((await cli([dist, '--verify-digest', digest])).code).toBe(EXIT.FAILED);
    rmSync(manifest);
    writeFileSync(manifest, text);

    mkdirSync(join(dist, 'terraform', 'extra'), { recursive: true });
    writeFileSync(join(dist, 'terraform', 'extra', 'cdk.tf.json'), '{}');
    expect((await cli([dist, '--verify-digest', digest])).code).toBe(EXIT.FAILED);
  }, 120_000);

  it('refuses a malformed digest as a usage error', async () => {
    const r = await cli([cleanDist(), '--verify-digest', 'abc']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toContain('--verify-digest must be the 64 lowercase hex digits');
  });

  it('the reader refuses a linked artifact (never reads through it) and a linked manifest', () => {
    const dist = freshDir('digest-links');
    cpSync(cleanDist(), dist, { recursive: true });
    const stack = readDist(dist).manifest.artifacts.find((a) => a.kind === 'terraform-stack')!.path;
    const outside = join(freshDir('digest-links-outside'), 'x.json');
    writeFileSync(outside, readFileSync(join(dist, stack)));
    rmSync(join(dist, stack));
    symlinkSync(outside, join(dist, stack));
    const problems = readDist(dist).problems.filter((p) => p.file === stack);
    expect(problems.map((p) => p.reason).join('\n')).toContain('is a symbolic link or special file');
    const manifest = join(dist, 'manifest.json');
    writeFileSync(join(outside, '..', 'm.json'), readFileSync(manifest));
    rmSync(manifest);
    symlinkSync(join(outside, '..', 'm.json'), manifest);
    expect(() => readDist(dist)).toThrow(/manifest\.json.*ELOOP/);
  });

  it('a FIFO in dist/ is refused without being opened (no reader waits on it)', () => {
    const dist = freshDir('digest-fifo');
    cpSync(cleanDist(), dist, { recursive: true });
    const made = spawnSync('mkfifo', [join(dist, 'terraform', 'pipe.tf.json')]);
    expect(made.status).toBe(0);
    const problems = readDist(dist).problems.filter((p) => p.file === 'terraform/pipe.tf.json');
    expect(problems.map((p) => p.reason).join('\n')).toContain('is a symbolic link or special file');
  });
});
