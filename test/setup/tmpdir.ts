// Vitest global setup: every test process writes temp files under one directory that is
// removed at the end, so cdktf's Testing.app() and our own temp dirs never leak into /tmp.
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

export default function setup(): () => void {
  const root = resolve(__dirname, '..', '..', '.tmp', `test-${process.pid}`);
  mkdirSync(root, { recursive: true });
  process.env.TMPDIR = root;
  process.env.TIERKIT_TEST_TMP = root;
  return () => rmSync(root, { recursive: true, force: true });
}

export function testTmp(...parts: string[]): string {
  const base = process.env.TIERKIT_TEST_TMP ?? resolve(__dirname, '..', '..', '.tmp', 'adhoc');
  const dir = join(base, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}
