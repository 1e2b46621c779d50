import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DistReadError, readKubernetes } from '../../policies/dist/read';
import { freshDir } from './helpers';

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
