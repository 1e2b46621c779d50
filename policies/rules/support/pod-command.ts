/**
 * `JSON.stringify(value) === JSON.stringify(expected)` for an expected list of strings (a container's
 * command), without serializing the multi-kilobyte scripts on every comparison. For a list of strings
 * the two texts are equal exactly when the lists are (JSON text reads back to one value); anything
 * else (a non-list, an element that is no string) takes the serializing comparison itself.
 */
export function sameCommand(value: unknown, expected: readonly string[]): boolean {
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) {
    return value.length === expected.length && value.every((v, i) => v === expected[i]);
  }
  return JSON.stringify(value) === JSON.stringify(expected);
}
