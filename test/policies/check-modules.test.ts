import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanDist } from './helpers';

// What `tierkit check` loads and never uses costs every run its start-up: libpg-query's proto.js
// (protobufjs, deparse only: ~0.15 s), the `yaml` emitter (synth only: ~60 ms), js-yaml (only for a
// text the fast YAML reader refuses). A check of tierkit's own dist loads none of them.
const ROOT = resolve(__dirname, '..', '..');
const UNUSED = [/node_modules\/libpg-query\/proto\.js$/, /node_modules\/libpg-query\/wasm\/index\.c?js$/, /node_modules\/yaml\//, /node_modules\/js-yaml\//];

function modulesLoadedByCheck(dist: string): string[] {
  const script = `
    const { main } = require(${JSON.stringify(join(ROOT, 'cli', 'main.ts'))});
    main(['check', ${JSON.stringify(dist)}, '--now', '2026-11-22T06:00:00Z'], { out: () => {}, err: (t) => console.error(t), cwd: ${JSON.stringify(ROOT)} })
      .then((code) => { console.log(JSON.stringify({ code, modules: Object.keys(require.cache) })); });`;
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { code: number; modules: string[] };
  expect(out.code).toBe(0);
  return out.modules.map((m) => m.split('\\').join('/'));
}

describe('tierkit check loads only what it uses', () => {
  it('judges the example dist without protobufjs, the YAML emitter or js-yaml', () => {
    const modules = modulesLoadedByCheck(cleanDist());
    // It did check: the rules, the reader and the real SQL parser's WASM module are loaded.
    expect(modules.some((m) => m.endsWith('/policies/rules/index.ts'))).toBe(true);
    expect(modules.some((m) => m.endsWith('/contract/yaml-read.ts'))).toBe(true);
    expect(modules.some((m) => m.endsWith('/node_modules/libpg-query/wasm/libpg-query.js'))).toBe(true);
    for (const unused of UNUSED) expect(modules.filter((m) => unused.test(m)), String(unused)).toEqual([]);
  }, 180_000);
});
