import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { canonicalJson, yamlStream } from '../../constructs/synth/serialize';
import { cleanDist, freshDir } from './helpers';

/**
 * Hand edits of a synthesized dist, as an adversarial PR author would make them: the file is
 * changed and the manifest's sha256 of it rewritten to match, so only the rules can catch it.
 */
export class DistEdit {
  readonly dir: string;

  constructor(label: string, from: string = cleanDist()) {
    this.dir = freshDir(label);
    cpSync(from, this.dir, { recursive: true });
  }

  /** Edit the documents of a Kubernetes manifest file (in place, or return a new list). */
  k8s(rel: string, edit: (docs: any[]) => any[] | void): this {
    const path = join(this.dir, rel);
    const docs = loadAll(readFileSync(path, 'utf8')).filter((d) => d !== null) as any[];
    this.write(rel, yamlStream(edit(docs) ?? docs));
    return this;
  }

  /** Edit one object of a Kubernetes manifest file, found by kind and name. */
  object(rel: string, kind: string, name: string, edit: (o: any) => void): this {
    return this.k8s(rel, (docs) => {
      const o = docs.find((d) => d.kind === kind && d.metadata?.name === name);
      if (!o) throw new Error(`${rel} has no ${kind} ${name}`);
      edit(o);
    });
  }

  manifest(edit: (m: any) => void): this {
    const path = join(this.dir, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    edit(m);
    writeFileSync(path, canonicalJson(m));
    return this;
  }

  /**
   * Add a Kubernetes file and list it in the manifest as an artifact of `tier` with its sha256: what
   * an author must do to get a file past a reader that accepts only the files the manifest lists.
   */
  addListed(rel: string, docs: unknown[], tier: string): this {
    this.manifest((m) => {
      m.artifacts.push({ path: rel, kind: 'kubernetes-manifests', tier, constructPaths: [], sha256: '' });
      m.artifacts.sort((a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    });
    return this.write(rel, yamlStream(docs));
  }

  /** Write a file and, if the manifest lists it, the sha256 the manifest records for it. */
  write(rel: string, text: string): this {
    writeFileSync(join(this.dir, rel), text);
    const sha = createHash('sha256').update(text).digest('hex');
    return this.manifest((m) => {
      for (const a of m.artifacts) if (a.path === rel) a.sha256 = sha;
    });
  }
}
