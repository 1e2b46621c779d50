/** The contract every CLI command module implements (one module per command). */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly cwd: string;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full `--help` text. */
  readonly help: string;
  /** A command with subcommands: the help of the one `argv` names. @default - `help` */
  readonly helpFor?: (argv: readonly string[]) => string | undefined;
  /** Returns the process exit code: 0 ok, 1 findings or invalid estate, 2 usage. */
  run(argv: readonly string[], io: Io): Promise<number>;
}

/** Wrong flags or arguments: exit code 2, printed with the command's usage line. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;
