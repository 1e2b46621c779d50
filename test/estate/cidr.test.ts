import { describe, expect, it } from 'vitest';
import { canonicalCidr, cidrWithin, parseCidr } from '../../constructs/cidr';

describe('CIDR blocks (one parser for validation and the egress rules)', () => {
  it.each([
    ['10.20.5.10/32', '10.20.5.10/32'],
    ['10.20.5.7/16', '10.20.0.0/16'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['fd00:20::5/128', 'fd00:20::5/128'],
    ['fd00:20::5/48', 'fd00:20:0:0:0:0:0:0/48'],
  ])('%s canonically is %s', (text, canonical) => {
    expect(canonicalCidr(text)).toBe(canonical);
  });

  it.each(['10.20.5.10', '10.20.5.10/33', '256.1.1.1/32', '::ffff:10.0.0.1/128', 'fd00::/129', 'x/8', ''])('%s is no CIDR', (text) => {
    expect(parseCidr(text)).toBeUndefined();
    expect(canonicalCidr(text)).toBeUndefined();
  });

  it.each([
    ['10.20.5.10/32', '10.20.0.0/16', true],
    ['10.20.0.0/16', '10.20.0.0/16', true],
    ['10.20.0.0/16', '10.20.5.0/24', false], // wider than the allowed block
    ['10.21.5.10/32', '10.20.0.0/16', false],
    ['10.20.5.10/32', '0.0.0.0/0', true],
    ['fd00:20::5/128', 'fd00:20::/48', true],
    ['fd00:21::5/128', 'fd00:20::/48', false],
    ['10.20.5.10/32', '::/0', false], // families never contain each other
    ['not-a-cidr', 'not-a-cidr', true], // unparsable text only equals itself
    ['not-a-cidr', '0.0.0.0/0', false],
  ])('%s within %s: %s', (inner, outer, expected) => {
    expect(cidrWithin(inner, outer)).toBe(expected);
  });
});
