import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistReadError, readDist, readKubernetes } from '../../policies/dist/read';
import { readDistParallel } from '../../policies/dist/read-parallel';
import { distWithFiles, freshDir } from './helpers';

/** The dist reader on hand-written YAML: it never hangs, never guesses, and names the file. */
function yamlFile(text: string): string {
  const dir = freshDir('yaml');
  mkdirSync(join(dir, 'k8s'), { recursive: true });
  writeFileSync(join(dir, 'k8s', 'hand.k8s.yaml'), text);
  return dir;
}

describe('reading Kubernetes YAML from dist/', () => {
  it('refuses aliases (tierkit writes none): an alias bomb cannot make check or diff run away', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: [*c,*c,*c,*c,*c,*c,*c,*c,*c]'].join('\n');
    const dir = yamlFile(bomb);
    expect(() => readKubernetes(dir, 'k8s/hand.k8s.yaml')).toThrow(DistReadError);
    expect(() => readKubernetes(dir, 'k8s/hand.k8s.yaml')).toThrow(/k8s\/hand\.k8s\.yaml.*invalid YAML/);
  });

  it('reads a plain multi-document stream, and refuses a document that is not a mapping', () => {
    const ok = yamlFile('apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: b\n');
    expect(readKubernetes(ok, 'k8s/hand.k8s.yaml').map((o) => o.object.metadata.name)).toEqual(['a', 'b']);
    const list = yamlFile('- a\n- b\n');
    expect(() => readKubernetes(list, 'k8s/hand.k8s.yaml')).toThrow(/YAML document 0 is not a Kubernetes object/);
  });
});

describe('reading a dist on worker threads', () => {
  it('returns exactly what the one-thread reader returns, listed and hand-written files alike, whatever the thread count', async () => {
    const dir = distWithFiles({ 'k8s/dev/zz-hand.k8s.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hand\ndata:\n  big: .inf\n' });
    const serial = readDist(dir);
    expect(serial.kubernetes.some((k) => k.file === 'k8s/dev/zz-hand.k8s.yaml' && !k.listed && k.object.data.big === Infinity)).toBe(true);
    for (const threads of [1, 2, 3]) expect(await readDistParallel(dir, { threads })).toEqual(serial);
  });

  it('names the first unreadable manifest in reading order, as the one-thread reader does', async () => {
    const dir = distWithFiles({
      'k8s/dev/zz-broken-1.k8s.yaml': 'a: [unclosed\n',
      'k8s/dev/zz-broken-2.k8s.yaml': '- not\n- a mapping\n',
    });
    const serialError = (() => { try { readDist(dir); return undefined; } catch (e) { return e as DistReadError; } })();
    expect(serialError).toBeInstanceOf(DistReadError);
    expect(serialError!.file).toBe('k8s/dev/zz-broken-1.k8s.yaml');
    for (const threads of [2, 3]) {
      const err = await readDistParallel(dir, { threads }).catch((e) => e);
      expect(err).toBeInstanceOf(DistReadError);
      expect(err.message).toBe(serialError!.message);
    }
  });
});
