// attack6a: TK136 calls the seed store "tierkit's default" when it is `seeds.<estate.domain>:/tierkit-seeds`,
// reading `domain` from the manifest — and no other rule reads `estate.domain` (every Ingress host, the
// Vault and Postgres hosts are judged without it). A hand edit of manifest.json's `estate.domain` to a
// domain the author registers, with `seedStore.server` and every seed PV's `nfs.server` moved to
// `seeds.<that domain>`, is a "default" store: no reason, no reasoned exception in the report, check
// exits 0 — and prod erp's golden dump writes prod's scrubbed rows (and every reset reads its seed)
// from the author's NFS server. Only `tierkit diff`'s review item stands in the way.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, cleanDist } from '../policies/helpers';
import { DistEdit } from '../policies/dist-edit';


describe("attack6a: the seed store's 'default' follows a hand-edited estate.domain", () => {
  it('refuses (or lists as a reasoned exception) a store moved to seeds.<another domain> with the manifest domain', async () => {
    const edit = new DistEdit('attack6a-seed-store-domain', cleanDist());
    edit.manifest((m) => {
      m.estate.domain = 'arcodange-lab.net';
      m.estate.seedStore.server = 'seeds.arcodange-lab.net';
    });
    const files = readdirSync(join(edit.dir, 'k8s'), { recursive: true }).map(String).filter((f) => /^[a-z]+\/[^/]+\.k8s\.yaml$/.test(f));
    for (const rel of files.map((f) => `k8s/${f}`)) {
      edit.k8s(rel, (docs) => {
        for (const d of docs) if (d?.kind === 'PersistentVolume') d.spec.nfs.server = 'seeds.arcodange-lab.net';
      });
    }
    const report = await check(edit.dir);
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    const storeExempt = JSON.stringify(report).includes('seed store seeds.arcodange-lab.net');
    expect(errors.length > 0 || storeExempt).toBe(true);
  }, 120_000);
});
