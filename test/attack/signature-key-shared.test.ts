// attack5: TK098 accepts any 16-hex keyID in a human-gated tier's AppProjects; the manifest records
// no tier's publisher key, and nothing refuses a key another tier's publisher holds. Listing the
// staging publisher's key (C3B8F0A92E6D4157, signing automatically after one approval) in prod's
// two AppProjects — by hand in dist, or as `signatureKeyIds: ['4AEE…', 'C3B8…']` on the prod tier in
// environments/estate.ts, which the report does not show as a loosening — passes check. Argo CD
// holds one GPG keyring, so prod then syncs any rendered commit the staging publisher signed: the
// last guard against a ruleset bypass ("Argo CD syncs only commits the tier publisher signed") is gone.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, cleanDist, freshDir } from '../policies/helpers';
import { rehashManifest } from '../policies/rehash';

const PROD = '4AEE18F83AFDEB23';
const STAGING = 'C3B8F0A92E6D4157';

function prodKeys(edit: (yaml: string) => string): string {
  const dir = freshDir('attack5-signature');
  cpSync(cleanDist(), dir, { recursive: true });
  for (const rel of ['k8s/argocd/prod.k8s.yaml', 'k8s/prod/argocd/applications.k8s.yaml']) {
    const p = join(dir, rel);
    const text = readFileSync(p, 'utf8');
    expect(text).toContain(`keyID: ${PROD}`);
    writeFileSync(p, edit(text));
  }
  rehashManifest(dir);
  return dir;
}

describe("attack5: prod's AppProjects trust the staging publisher's signing key", () => {
  it("refuses prod's signatureKeys replaced by staging's key", async () => {
    const report = await check(prodKeys((t) => t.split(PROD).join(STAGING)));
    const tk098 = report.findings.filter((f) => f.ruleId === 'TK098' && !f.suppressed && f.severity === 'error');
    expect(tk098.map((f) => f.message)).not.toEqual([]);
  }, 120_000);

  it("refuses staging's key added next to prod's", async () => {
    const report = await check(prodKeys((t) => t.split(`    - keyID: ${PROD}`).join(`    - keyID: ${PROD}\n    - keyID: ${STAGING}`)));
    const tk098 = report.findings.filter((f) => f.ruleId === 'TK098' && !f.suppressed && f.severity === 'error');
    expect(tk098.map((f) => f.message)).not.toEqual([]);
  }, 120_000);
});
