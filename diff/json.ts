import { canonicalJson } from '../contract/order';
import type { ChangeSet } from './model';

/** The machine report: the full change set (nothing left out), canonical and deterministic. */
export function renderJson(set: ChangeSet): string {
  return canonicalJson(set);
}
