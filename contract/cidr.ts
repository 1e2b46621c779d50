/**
 * CIDR blocks, IPv4 and IPv6: the one parser behind endpoint validation (constructs) and the
 * egress judgement of TK011 and the diff (policies), so both sides agree on what a block covers.
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  readonly family: 4 | 6;
  readonly bits: number;
  /** The address as written, as an integer (host bits included). */
  readonly address: bigint;
  /** The address with the host bits cleared. */
  readonly network: bigint;
}

const WIDTH = { 4: 32, 6: 128 } as const;

/** Parse `a.b.c.d/n` or `x:y::z/n`; undefined for anything else (IPv4-mapped IPv6 text included). */
export function parseCidr(text: string): Cidr | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const [addr, bits] = [m[1], Number(m[2])];
  let family: 4 | 6;
  let groups: string[];
  if (isIPv4(addr)) {
    [family, groups] = [4, addr.split('.').map((o) => Number(o).toString(16))];
  } else if (isIPv6(addr) && !addr.includes('.')) {
    const [head, tail] = addr.split('::').map((x) => (x ? x.split(':') : []));
    family = 6;
    groups = tail === undefined ? head : [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail];
  } else {
    return undefined;
  }
  const width = WIDTH[family];
  if (bits > width) return undefined;
  const step = BigInt(width / groups.length);
  const address = groups.reduce((a, g) => (a << step) | BigInt(`0x${g}`), 0n);
  return { family, bits, address, network: address & mask(width, bits) };
}

function mask(width: number, bits: number): bigint {
  return ((1n << BigInt(bits)) - 1n) << BigInt(width - bits);
}

/** `text` itself when it has no host bits set, else its network (`10.20.5.7/16` → `10.20.0.0/16`); undefined when it is no CIDR. */
export function canonicalCidr(text: string): string | undefined {
  const c = parseCidr(text);
  if (!c) return undefined;
  if (c.network === c.address) return text;
  if (c.family === 4) return `${[24n, 16n, 8n, 0n].map((s) => (c.network >> s) & 0xffn).join('.')}/${c.bits}`;
  return `${Array.from({ length: 8 }, (_, i) => ((c.network >> BigInt(16 * (7 - i))) & 0xffffn).toString(16)).join(':')}/${c.bits}`;
}

/** Whether every address of `inner` lies inside `outer` (same family); text that is no CIDR only equals itself. */
export function cidrWithin(inner: string, outer: string): boolean {
  if (inner === outer) return true;
  const [i, o] = [parseCidr(inner), parseCidr(outer)];
  if (!i || !o || i.family !== o.family || i.bits < o.bits) return false;
  return (i.network & mask(WIDTH[o.family], o.bits)) === o.network;
}

/** An IPv4 block as the IPv4-mapped IPv6 block it is (`::ffff:a.b.c.d/(96+n)`), so both families compare in one space. */
function as128(c: Cidr): { network: bigint; bits: number } {
  return c.family === 6 ? { network: c.network, bits: c.bits } : { network: (0xffffn << 32n) | c.network, bits: 96 + c.bits };
}

/**
 * Whether two blocks share an address; undefined when either is no CIDR (the caller must treat
 * that as a possible overlap). An IPv4-mapped IPv6 block (`::ffff:a14:50a/128`) overlaps the IPv4
 * block it maps: a dual-stack path may carry it, and nothing proves it does not.
 */
export function cidrsOverlap(a: string, b: string): boolean | undefined {
  const [x, y] = [parseCidr(a), parseCidr(b)];
  if (!x || !y) return undefined;
  const [p, q] = [as128(x), as128(y)];
  const bits = Math.min(p.bits, q.bits);
  const m = mask(128, bits);
  return (p.network & m) === (q.network & m);
}
