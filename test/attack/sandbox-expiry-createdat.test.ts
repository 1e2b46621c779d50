// attack5: the only binding between a sandbox's TTL and its expiry is TK013's
// `expiresAt <= createdAt + ttlHours`, skipped when createdAt does not parse (and TK123 skips it
// too). A hand-edited dist/manifest.json giving shop-bob-checkout (ttlHours 72) createdAt
// "sometime" and an expiresAt a year later — with the expiry guard, renew statements and TTL-sweep
// CronJob rewritten to the new instant, all consistent with the manifest — passes check: TK126 and
// TK122 compare against the manifest's expiry, which nothing ties to the declared TTL any more.
// The sandbox (and its Vault credentials) then lives 365 days instead of 72 h.
import { readFileSync, writeFileSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, cleanDist, freshDir } from '../policies/helpers';
import { rehashManifest } from '../policies/rehash';

const OLD = '2026-11-24T08:00:00.000Z';
const NEW = '2027-11-24T08:00:00.000Z';
const OLD_EPOCH = String(Date.parse(OLD) / 1000);
const NEW_EPOCH = String(Date.parse(NEW) / 1000);

function extendedDist(createdAt: string): string {
  const dir = freshDir('attack5-expiry');
  cpSync(cleanDist(), dir, { recursive: true });
  const manifestPath = join(dir, 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const sb = manifest.appEnvironments.find((e: any) => e.app === 'shop' && e.env === 'bob-checkout').sandbox;
  expect(sb.ttlHours).toBe(72);
  Object.assign(sb, { createdAt, expiresAt: NEW });
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  for (const rel of ['terraform/shop-bob-checkout/cdk.tf.json', 'k8s/dev/shop-bob-checkout.k8s.yaml']) {
    const p = join(dir, rel);
    writeFileSync(p, readFileSync(p, 'utf8').split(OLD).join(NEW).split(OLD_EPOCH).join(NEW_EPOCH));
  }
  rehashManifest(dir);
  return dir;
}

describe('attack5: a 72 h sandbox made to live a year by an unparseable createdAt in the manifest', () => {
  for (const createdAt of ['sometime', '']) {
    it(`refuses expiresAt one year out with ttlHours 72 and createdAt ${JSON.stringify(createdAt)}`, async () => {
      const report = await check(extendedDist(createdAt));
      const errors = report.findings.filter((f) => !f.suppressed && f.severity === 'error');
      // Secure: an error (TK013 most naturally, or the manifest reader) — the expiry is not createdAt + ttlHours.
      expect(errors.map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
    }, 120_000);
  }
});
