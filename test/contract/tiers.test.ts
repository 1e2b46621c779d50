import { describe, expect, it } from 'vitest';
import { BUILTIN_TIERS, MIN_REASON_LENGTH, isLiveTier, isReason } from '../../contract/tiers';
import { DataClass } from '../../constructs/enums';
import { Tier } from '../../constructs/tier';
import { MIN_REASON_LENGTH as VALIDATION_MIN } from '../../constructs/validation';

describe('what tiers mean to the readers of dist/', () => {
  it("the contract's built-in tiers are the constructs' (name, rank, live data)", () => {
    expect(BUILTIN_TIERS).toEqual(Tier.ALL.map((t) => ({ name: t.name, rank: t.rank, live: t.defaults.data.includes(DataClass.LIVE), data: t.defaults.data.map(String) })));
  });

  it('live is the stricter of the manifest and the built-in tier: a tier with live data is prod whatever its name; prod stays prod', () => {
    const tiers = [{ name: 'prod', data: ['sanitized'] }, { name: 'dev', data: ['live'] }];
    expect(isLiveTier(tiers, 'prod')).toBe(true); // a (hand-edited) manifest cannot demote prod
    expect(isLiveTier(tiers, 'dev')).toBe(true);
    expect(isLiveTier(new Map(tiers.map((t) => [t.name, t])), 'dev')).toBe(true);
    expect(isLiveTier([{ name: 'staging', data: ['sanitized'] }], 'staging')).toBe(false);
    expect(isLiveTier([], 'prod')).toBe(true);
    expect(isLiveTier([], 'staging')).toBe(false);
    expect(isLiveTier([], 'galaxy')).toBe(false);
    expect(isLiveTier([], 'galaxy', true)).toBe(true);
    expect(isLiveTier([], undefined)).toBe(false);
  });

  it('one reason length for the constructs and the rules', () => {
    expect(VALIDATION_MIN).toBe(MIN_REASON_LENGTH);
    expect(isReason('x'.repeat(MIN_REASON_LENGTH))).toBe(true);
    expect(isReason(` ${'x'.repeat(MIN_REASON_LENGTH - 1)}         `)).toBe(false);
    expect(isReason(42)).toBe(false);
  });
});
