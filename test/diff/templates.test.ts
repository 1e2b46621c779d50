import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { synthesize } from '../../constructs/synth/synthesize';
import type { Manifest } from '../../constructs/synth/manifest';
import estate from '../../environments';

/**
 * The PR comment's messages are templates over the change set: no name of the example estate — an
 * app, env, owner, server, host, image or artifact file — appears in diff/ code, comments included.
 * Tier names and mount names are the library's own vocabulary (built-in tiers, default mounts).
 */

const DIFF = join(__dirname, '..', '..', 'diff');

function exampleNames(m: Manifest): Set<string> {
  const tiers = new Set(m.tiers.map((t) => t.name));
  const generic = (s: string) => tiers.has(s) || s === 'sandbox';
  const names = new Set<string>([m.estate.name, m.estate.domain, m.estate.ci.repository]);
  for (const e of m.appEnvironments) {
    for (const n of [e.app, e.slug, e.image, ...Object.values(e.names)]) names.add(n);
    if (!generic(e.env)) names.add(e.env);
    if (e.sandbox) names.add(e.sandbox.owner);
  }
  for (const s of m.servers) names.add(s.id).add(s.host);
  for (const a of m.artifacts) names.add(a.path);
  return new Set([...names].filter((n) => n.length > 1 && !generic(n)));
}

function occurrences(source: string, name: string): number {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return (source.match(new RegExp(`(?<![A-Za-z0-9_-])${escaped}(?![A-Za-z0-9_-])`, 'g')) ?? []).length;
}

describe('diff/ holds no name of the example estate', () => {
  const manifest = JSON.parse(synthesize(estate()).files.get('manifest.json')!) as Manifest;
  const names = exampleNames(manifest);

  it('knows the names it looks for (the check itself can fail)', () => {
    for (const n of ['crm', 'erp-sandbox', 'crm_role', 'prod-pg', 'alice', 'terraform/crm-ci/cdk.tf.json']) expect(names.has(n), n).toBe(true);
    expect(occurrences('owned by "crm_role" of crm-ci', 'crm_role')).toBe(1);
    expect(occurrences('crm-ci', 'crm')).toBe(0);
  });

  it('in any file under diff/', () => {
    const files = readdirSync(DIFF).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const found = files.flatMap((f) => {
      const source = readFileSync(join(DIFF, f), 'utf8');
      return [...names].filter((n) => occurrences(source, n) > 0).map((n) => `${f}: ${n}`);
    });
    expect(found).toEqual([]);
  });
});
