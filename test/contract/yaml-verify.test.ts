import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateEstate } from '../../bench/generate';
import { synthesize } from '../../constructs/synth/synthesize';
import { writeDist } from '../../constructs/synth/write';
import { DistContents, readDist } from '../../contract/read';
import { readDistInParallel } from '../../contract/read-parallel';
import { YamlVerifier, startYamlVerifier } from '../../contract/yaml-verify';
import { testTmp } from '../setup/tmpdir';

// check reads dist/ with the fast YAML reader's write-back check on a second thread. The contents
// must be readDist's exactly, whatever the worker answers or however it fails.

let n = 0;
function benchDist(): string {
  const dir = join(testTmp('yaml-verify'), `bench-${process.pid}-${n++}`);
  writeDist(dir, synthesize(generateEstate({ apps: 4, sandboxes: 4, seed: 3 })).files);
  return dir;
}

/** Hand edits of three kinds: inside tierkit's layout (read fast), outside it (full parser), a write-back mismatch. */
function editYaml(dir: string): string[] {
  const files = readDist(dir).manifest.artifacts.filter((a) => a.kind === 'kubernetes-manifests').map((a) => a.path).sort();
  const used: string[] = [];
  /** Edits the first file not edited yet that `f` changes. */
  const edit = (f: (t: string) => string) => {
    for (const rel of files) {
      if (used.includes(rel)) continue;
      const before = readFileSync(join(dir, rel), 'utf8');
      const after = f(before);
      if (after === before) continue;
      writeFileSync(join(dir, rel), after);
      used.push(rel);
      return;
    }
    throw new Error('no manifest to edit');
  };
  edit((t) => t.replace('automountServiceAccountToken: false', 'automountServiceAccountToken: true'));
  edit((t) => t.replace('podSelector: {}', 'podSelector: { }'));
  // The fast reader parses a single-quoted '80' as "80", but tierkit writes "80": only the write-back tells.
  edit((t) => t.replace(/: "([0-9]+)"\n/, ": '$1'\n"));
  // Its unverified parse reads this kind as "ServiceAccount # x"; YAML (and the write-back) say "ServiceAccount".
  edit((t) => t.replace('kind: ServiceAccount\n', 'kind: ServiceAccount # x\n'));
  writeFileSync(join(dir, 'k8s', 'prod', 'extra.k8s.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: y\n');
  return used;
}

/**
 * A dist's contents to compare: everything, with each stack's resources as what rules read (their
 * evaluators hold caches that differ between two reads of the same dist; this change does not touch them).
 */
function comparable(d: DistContents): unknown {
  return {
    ...d,
    stacks: d.stacks.map((s) => ({
      name: s.name, file: s.file, listed: s.listed, json: s.json, providers: s.providers,
      resources: [...s.resources, ...s.dataSources].map((r) => ({ address: r.address, kind: r.kind, file: r.file, pointer: r.pointer, attributes: r.attributes, key: r.key })),
    })),
  };
}

const failing = (how: 'reject' | 'all-false' | 'none'): (() => YamlVerifier | undefined) => () => {
  if (how === 'none') return undefined;
  let count = 0;
  return {
    submit: () => count++,
    verdicts: () => (how === 'reject' ? Promise.reject(new Error('worker died')) : Promise.resolve(Array.from({ length: count }, () => false))),
    close: () => undefined,
  };
};

describe('the YAML write-back check on a second thread (contract/yaml-verify.ts)', () => {
  it('runs in a worker and answers the fast reader\'s verdict per text', async () => {
    const v = startYamlVerifier();
    expect(v).toBeDefined();
    try {
      const good = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  x: "1"\n';
      expect(v!.submit(good)).toBe(0);
      expect(v!.submit(good.replace('"1"', "'1'"))).toBe(1); // parses, but does not write back
      expect(v!.submit(good.replace('data:\n', 'data: {x: 1}\nz:\n'))).toBe(2); // outside the fast subset
      expect(v!.submit(`${good}---\n${good}`)).toBe(3);
      expect(await v!.verdicts()).toEqual([true, false, false, true]);
    } finally {
      v!.close();
    }
  });

  it('gives readDist\'s contents exactly, with hand edits in and out of tierkit\'s layout, however the worker fails', async () => {
    const dir = benchDist();
    const edited = editYaml(dir);
    const expected = readDist(dir);
    // The edits are all there: the hash problems, the unlisted file, and the values as written.
    expect(expected.problems.map((p) => p.file).sort()).toEqual([...edited, 'k8s/prod/extra.k8s.yaml'].sort());
    expect(expected.kubernetes.some((o) => o.file === edited[0] && o.object.automountServiceAccountToken === true)).toBe(true);
    expect(expected.kubernetes.filter((o) => o.file === edited[3]).map((o) => o.object.kind)).toContain('ServiceAccount');
    // The worker from the first file, from the middle of the dist (earlier files checked here), or never.
    for (const minChars of [0, 100_000, Infinity]) {
      expect(comparable(await readDistInParallel(dir, {}, startYamlVerifier, minChars)), String(minChars)).toEqual(comparable(expected));
    }
    for (const how of ['reject', 'all-false', 'none'] as const) {
      expect(comparable(await readDistInParallel(dir, {}, failing(how), 0)), how).toEqual(comparable(expected));
    }
  });

  it('refuses what readDist refuses, with the same error', async () => {
    const dir = benchDist();
    const rel = readDist(dir).manifest.artifacts.find((a) => a.kind === 'kubernetes-manifests' && a.path.startsWith('k8s/prod/'))!.path;
    const original = readFileSync(join(dir, rel), 'utf8');
    for (const hostile of [
      original.replace(/\n {2}name: ([^\n]+)\n/, '\n  name: $1\n  name: other\n'), // repeated key
      original.replace(/\n {6}automountServiceAccountToken: false\n/, '\n      automountServiceAccountToken: false\n      <<:\n        hostNetwork: true\n'), // merge key
    ]) {
      expect(hostile).not.toBe(original);
      writeFileSync(join(dir, rel), hostile);
      let expected: unknown;
      try {
        readDist(dir);
      } catch (err) {
        expected = err;
      }
      expect(expected).toBeInstanceOf(Error);
      await expect(readDistInParallel(dir, {}, startYamlVerifier, 0)).rejects.toThrow((expected as Error).message);
      await expect(readDistInParallel(dir, {}, failing('reject'), 0)).rejects.toThrow((expected as Error).message);
    }
  });

  it('reads a document nested too deep for the fast reader as readDist does (the worker may overflow where this thread would not)', async () => {
    const dir = benchDist();
    const depth = 3000;
    const lines = Array.from({ length: depth }, (_, i) => `${' '.repeat(2 * i)}k${i}:`);
    writeFileSync(join(dir, 'k8s', 'prod', 'deep.k8s.yaml'), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n${lines.map((l) => `  ${l}`).join('\n')} x\n`);
    const outcome = async (read: () => Promise<DistContents> | DistContents) => {
      try {
        return { contents: comparable(await read()) };
      } catch (err) {
        return { error: (err as Error).message };
      }
    };
    const expected = await outcome(() => readDist(dir));
    expect(await outcome(() => readDistInParallel(dir, {}, startYamlVerifier, 0))).toEqual(expected);
    expect(await outcome(() => readDistInParallel(dir, {}, failing('reject'), 0))).toEqual(expected);
  });
});
