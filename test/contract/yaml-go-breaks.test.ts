import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { yamlStream } from '../../constructs/synth/serialize';
import { DistReadError, readKubernetes } from '../../contract/read';

// go-yaml (kubectl, kustomize, Argo CD) ends a line at NEL, LS and PS (yamlprivateh.go is_break);
// js-yaml (YAML 1.2) does not. The strict reader refuses them raw; the writer escapes them.

function readText(text: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'go-breaks-'));
  writeFileSync(join(dir, 'x.k8s.yaml'), text);
  try {
    return readKubernetes(dir, 'x.k8s.yaml').map((k) => k.object);
  } catch (error) {
    return error;
  }
}

describe('YAML line breaks only go-yaml sees', () => {
  for (const [name, ch] of [['NEL', '\u0085'], ['LS', '\u2028'], ['PS', '\u2029']] as const) {
    it(`refuses ${name} anywhere (comment or value), naming file, line, column and fix`, () => {
      const inComment = readText(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  # x${ch}  namespace: prod\n`);
      expect(inComment).toBeInstanceOf(DistReadError);
      expect((inComment as Error).message).toMatch(new RegExp(`^x\\.k8s\\.yaml: line 5 column 6 holds U\\+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}, which Kubernetes, kustomize and Argo CD \\(go-yaml\\) read as a line break.*run \`tierkit synth\``));
      expect(readText(`apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: "a${ch}b"\n`)).toBeInstanceOf(DistReadError);
    });
  }

  it('reads the same text with the escapes (the same value to every parser)', () => {
    expect(readText('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: "a\\Lb\\Pc\\Nd"\n')).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { k: 'a\u2028b\u2029c\u0085d' } },
    ]);
  });

  it('synth writes such a value (or key) escaped in double quotes, read back to the same value', () => {
    const doc = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { 'k\u2028': 'x: \u2028 y', plain: 'a\u2029b', nel: '\u0085', n: '1', multi: 'l1\nl2\u2028' } };
    const text = yamlStream([doc]);
    expect(text).not.toMatch(/[\u0085\u2028\u2029]/);
    expect(load(text)).toEqual(doc);
    expect(readText(text)).toEqual([doc]);
    // Documents without them keep tierkit's usual form.
    expect(yamlStream([{ a: 'b' }])).toBe('a: b\n');
  });
});

describe('the generated workflows', () => {
  it('write a manifest value holding LS escaped in double quotes: the same value to every parser', async () => {
    const { githubWorkflows } = await import('../../ci/github');
    const { readManifest } = await import('../../contract/read');
    const { cleanDist } = await import('../policies/helpers');
    const manifest = JSON.parse(JSON.stringify(readManifest(cleanDist())));
    const plain = githubWorkflows(manifest);
    manifest.estate.vault.address = `${manifest.estate.vault.address}\u2028x`;
    const hostile = githubWorkflows(manifest);
    const touched = [...hostile].filter(([name, text]) => text !== plain.get(name));
    expect(touched.length).toBeGreaterThan(0);
    for (const [name, text] of touched) {
      expect(text, name).not.toMatch(/[\u0085\u2028\u2029]/);
      expect(JSON.stringify(load(text)), name).toContain('\u2028x');
    }
  }, 120_000);
});
