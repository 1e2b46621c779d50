import { describe, expect, it } from 'vitest';
import { BUILTIN_TIERS, MIN_REASON_LENGTH, isLiveTier, isReason } from '../../contract/tiers';
import { DataClass } from '../../constructs/enums';
import { Tier } from '../../constructs/tier';
import { MIN_REASON_LENGTH as VALIDATION_MIN } from '../../constructs/validation';

describe('what tiers mean to the readers of dist/', () => {
  it("the contract's built-in tiers are the constructs' (name, rank, live data)", () => {
    expect(BUILTIN_TIERS).toEqual(Tier.ALL.map((t) => ({ name: t.name, rank: t.rank, live: t.defaults.data.includes(DataClass.LIVE) })));
  });

  it('prod is decided by data class: a manifest tier wins over the name, a built-in name over the fallback', () => {
    const tiers = [{ name: 'prod', data: ['sanitized'] }, { name: 'dev', data: ['live'] }];
    expect(isLiveTier(tiers, 'prod')).toBe(false);
    expect(isLiveTier(tiers, 'dev')).toBe(true);
    expect(isLiveTier(new Map(tiers.map((t) => [t.name, t])), 'dev')).toBe(true);
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
