import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, cleanDist, findings, freshDir } from './helpers';
import { copyDist, editJson, rehashManifest } from './support/dist-edit';

/**
 * "Prod" is decided by data class (isLiveTier), and a hostile PR author edits dist/ by hand: the
 * manifest's tiers are not a place to demote prod. A prod pod that is not Guaranteed stays a TK052
 * finding when the manifest also relabels prod's data as sanitized (the hashes rewritten too).
 */
describe('a hand-edited manifest cannot demote prod', () => {
  it('TK052 still holds prod pods to Guaranteed with prod relabelled sanitized', async () => {
    const dir = copyDist(cleanDist(), freshDir('relabel'));
    const yaml = join(dir, 'k8s/prod/crm.k8s.yaml');
    const text = readFileSync(yaml, 'utf8');
    const edited = text.replace('            requests:\n              cpu: 500m\n              memory: 512Mi', '            requests:\n              cpu: 100m\n              memory: 512Mi');
    expect(edited).not.toBe(text);
    writeFileSync(yaml, edited);
    rehashManifest(dir);
    const guaranteed = (r: Awaited<ReturnType<typeof check>>) => findings(r, 'TK052').filter((f) => /prod pods are Guaranteed/.test(f.message));
    expect(guaranteed(await check(dir))).toHaveLength(1);

    editJson(dir, 'manifest.json', (m) => {
      for (const t of m.tiers) if (t.name === 'prod') t.data = ['sanitized'];
    });
    expect(guaranteed(await check(dir))).toHaveLength(1);
  });
});
