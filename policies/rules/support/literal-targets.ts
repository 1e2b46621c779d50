import { compareStrings } from '../../../contract/order';
import { simplePattern } from '../../graph/vault-paths';

/**
 * Which of a list of Vault paths a policy path may overlap, without running `overlapWitness` on
 * every pair. For a target that is a plain literal (no trailing `*`, no `+` segment),
 * `overlapWitness(p, target)` is `p === target` when `p` is a plain literal and
 * `target.startsWith(prefix)` when `p` is `prefix*` (its fast path): so only those targets, found by
 * binary search in the sorted literals, can overlap. Any other target, or a pattern with a `+`
 * segment, is always a candidate. The caller still runs `overlapWitness` on each candidate, so a
 * candidate too many costs time, never a finding; indexes come back ascending (the list's order).
 */
export class LiteralTargets {
  private readonly sorted: { path: string; i: number }[] = [];
  private readonly always: number[] = [];
  private readonly all: number[];

  constructor(paths: readonly string[]) {
    this.all = paths.map((_, i) => i);
    paths.forEach((path, i) => {
      const s = simplePattern(path);
      if (s && !s.glob) this.sorted.push({ path, i });
      else this.always.push(i);
    });
    this.sorted.sort((a, b) => compareStrings(a.path, b.path) || a.i - b.i);
  }

  /** Indexes of the targets `pattern` may overlap, ascending. */
  candidates(pattern: string): number[] {
    const s = simplePattern(pattern);
    if (!s) return this.all;
    const out = [...this.always];
    // compareStrings orders by code unit, so every string starting with `prefix` sits in one run from its lower bound.
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareStrings(this.sorted[mid].path, s.prefix) < 0) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < this.sorted.length; k++) {
      const t = this.sorted[k].path;
      if (s.glob ? !t.startsWith(s.prefix) : t !== s.prefix) break;
      out.push(this.sorted[k].i);
    }
    return out.sort((a, b) => a - b);
  }
}
