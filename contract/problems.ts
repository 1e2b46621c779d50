/** Something the strict reader refuses in a dist/: where (file, JSON pointer), why it could be reach, and the fix. */
export interface DistProblem {
  /** Relative to dist/. */
  readonly file: string;
  /** RFC 6901 pointer inside `file`; '' for the whole file. */
  readonly pointer: string;
  readonly reason: string;
  readonly fix: string;
}

export function pointerSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}
