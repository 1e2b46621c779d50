import { canonicalJson } from '../../constructs/synth/serialize';
import type { CheckReport } from './finding';

/** Machine report: the CheckReport itself, with sorted keys. */
export function renderJson(report: CheckReport): string {
  return canonicalJson(report);
}
