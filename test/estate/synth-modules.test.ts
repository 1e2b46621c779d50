import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { sortKeys, yamlStream } from '../../constructs/synth/serialize';
import { fastYamlDocument } from '../../contract/yaml-write';
import { testTmp } from '../setup/tmpdir';

// What `tierkit synth` loads and never uses costs every run its start-up: the `yaml` emitter
// (~0.1–0.2 s) writes only a document the fast emitter leaves to it, and tierkit's own estate
// has none.
const ROOT = resolve(__dirname, '..', '..');

function modulesLoadedBySynth(out: string): string[] {
  const script = `
    const { main } = require(${JSON.stringify(join(ROOT, 'cli', 'main.ts'))});
    main(['synth', '--out', ${JSON.stringify(out)}, '--quiet'], { out: () => {}, err: (t) => console.error(t), cwd: ${JSON.stringify(ROOT)} })
      .then((code) => { console.log(JSON.stringify({ code, modules: Object.keys(require.cache) })); });`;
  const r = spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 180_000 });
  expect(r.status, r.stderr).toBe(0);
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as { code: number; modules: string[] };
  expect(result.code).toBe(0);
  return result.modules.map((m) => m.split('\\').join('/'));
}

describe('tierkit synth loads only what it uses', () => {
  it('synthesizes the example estate without the yaml emitter', () => {
    const modules = modulesLoadedBySynth(join(testTmp('synth-modules'), 'dist'));
    expect(modules.some((m) => m.endsWith('/constructs/synth/serialize.ts'))).toBe(true);
    // cdk8s loads a copy of its own (node_modules/cdk8s/node_modules/yaml); tierkit's is the top-level one.
    expect(modules.filter((m) => m.startsWith(`${ROOT}/node_modules/yaml/`))).toEqual([]);
  }, 240_000);

  it('still writes through yaml a document the fast emitter leaves to it', () => {
    // A tab is outside the fast emitter's subset: the text is yaml's own.
    const doc = { data: { note: 'a\tb', z: 1, a: ['x'] } };
    expect(fastYamlDocument(sortKeys(doc))).toBeUndefined();
    expect(yamlStream([doc])).toBe(stringify(sortKeys(doc), { lineWidth: 0 }));
  });
});
