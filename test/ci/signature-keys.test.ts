import { describe, expect, it } from 'vitest';
import { Tier } from '../../constructs';
import { validateEstate } from '../../constructs/validation';
import { check, cleanDist, findings, synthDist } from '../policies/helpers';
import { DistEdit } from '../policies/dist-edit';
import estate from '../../environments';

/**
 * Argo CD syncs a human-gated tier only from commits its publisher signed: the tier's AppProjects
 * carry the declared key ids as signatureKeys (synth), TK098 refuses a human-gated tier's project
 * without them — an estate that declares none, or a hand-edited dist (re-hashed) — and the
 * estate's key ids are validated.
 */

describe('signatureKeys in the AppProjects', () => {
  it('the example declares a key per human-gated tier; both projects of each carry it; TK098 passes', async () => {
    const dir = cleanDist();
    const r = await check(dir);
    expect(findings(r, 'TK098')).toEqual([]);
    expect(findings(r, 'TK112')).toEqual([]);
  });

  it('a human-gated tier that declares no key: both its projects are TK098 errors', async () => {
    const dir = synthDist((e: any) => {
      const prod = e.tierSettings.find((s: any) => s.tier === Tier.PROD);
      delete prod.signatureKeyIds;
    }, 'no-signature-keys');
    const f = findings(await check(dir), 'TK098');
    expect(f.map((x) => x.message).sort()).toEqual([
      'AppProject "tierkit-prod" of human-gated tier prod has no signatureKeys: Argo CD syncs any commit of the rendered branch, signed or not',
      'AppProject "tierkit-prod-apps" of human-gated tier prod has no signatureKeys: Argo CD syncs any commit of the rendered branch, signed or not',
    ]);
    expect(f.every((x) => x.severity === 'error')).toBe(true);
  });

  it('a hand-edited project (keys removed, or not key ids) is an error', async () => {
    const removed = new DistEdit('sigkeys-removed').object('k8s/prod/argocd/applications.k8s.yaml', 'AppProject', 'tierkit-prod', (o) => { delete o.spec.signatureKeys; });
    expect(findings(await check(removed.dir), 'TK098').map((x) => x.message)).toEqual([expect.stringContaining('"tierkit-prod" of human-gated tier prod has no signatureKeys')]);
    const bad = new DistEdit('sigkeys-bad').object('k8s/argocd/staging.k8s.yaml', 'AppProject', 'tierkit-staging-apps', (o) => { o.spec.signatureKeys = [{ keyID: '*' }]; });
    expect(findings(await check(bad.dir), 'TK098').map((x) => x.message)).toEqual([expect.stringContaining('lists signatureKeys [{"keyID":"*"}]: each must be { keyID: <16 hex digits> }')]);
  });

  it('a key id that is not 16 hex digits is refused at synth, naming the tier entry and the fix', () => {
    const e = estate();
    (e.tierSettings.find((s) => s.tier === Tier.STAGING) as any).signatureKeyIds = ['C3B8F0A92E6D4157', 'my-key'];
    const issues = validateEstate(e).filter((i) => i.property.includes('signatureKeyIds'));
    expect(issues.map((i) => [i.property, i.value, i.message])).toEqual([
      [expect.stringMatching(/^tiers\[\d+\]\.signatureKeyIds\[1\]$/), 'my-key', "is not a GPG long key id (16 hex digits), which Argo CD's signatureKeys expect"],
    ]);
    expect(issues[0].fix).toContain('gpg --list-secret-keys --keyid-format long');
  });
});
