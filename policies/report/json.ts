import { canonicalJson } from '../../contract/order';
import type { CheckReport } from './finding';

/** Machine report: the CheckReport itself, with sorted keys. */
export function renderJson(report: CheckReport): string {
  return canonicalJson(report);
}
