/**
 * One shape for every input error: where (construct path), what (property and value) and how
 * to fix it. The CLI prints these without a stack trace; tests assert on the fields.
 */
export interface ValidationIssue {
  readonly path: string;
  readonly property: string;
  readonly value: unknown;
  readonly message: string;
  readonly fix: string;
}

export class TierkitValidationError extends Error {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'TierkitValidationError';
    this.issues = issues;
  }
}

export function formatIssue(issue: ValidationIssue): string {
  return `${issue.path}: ${issue.property} = ${JSON.stringify(issue.value)}: ${issue.message}\n  fix: ${issue.fix}`;
}

export function isValidationError(err: unknown): err is TierkitValidationError {
  return err instanceof TierkitValidationError;
}
