import { Construct } from 'constructs';
import { childPath, recordIssues } from './props';

/**
 * Construct ids are names here. A name already taken under `scope` is an issue recorded on the
 * scope (validation reports it with every other problem: two duplicates, two issues), and the
 * duplicate is built detached — outside the estate's tree, so nothing else trips over it — rather
 * than the constructs library's throw on the first.
 */
export function claimId(scope: Construct, id: string, property: string, fix: string): Construct {
  if (!scope.node.tryFindChild(id)) return scope;
  recordIssues(scope, [{ path: childPath(scope, id), property, value: id, message: `duplicate ${property} "${id}"`, fix }]);
  return new Construct(undefined as unknown as Construct, '');
}

/** Whether `id` is taken under `scope` (recording the duplicate issue as `claimId` does). */
export function isDuplicate(scope: Construct, id: string, property: string, fix: string): boolean {
  return claimId(scope, id, property, fix) !== scope;
}
