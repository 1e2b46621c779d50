#!/usr/bin/env node
import { formatIssue, isValidationError } from '../constructs/errors';
import { Command, EXIT, Io, UsageError } from './command';

/** Command modules load lazily: `tierkit check` never pays for cdktf. */
const commands: Record<string, () => Command> = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  synth: () => require('./commands/synth').synthCommand,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  check: () => require('./commands/check').checkCommand,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  diff: () => require('./commands/diff').diffCommand,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  ci: () => require('./commands/ci').ciCommand,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  init: () => require('./commands/init').initCommand,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  sandbox: () => require('./commands/sandbox').sandboxCommand,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  gc: () => require('./commands/gc').gcCommand,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  promote: () => require('./commands/promote').promoteCommand,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  'env-diff': () => require('./commands/env-diff').envDiffCommand,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  'data-promote': () => require('./commands/data-promote').dataPromoteCommand,
  seed: () => require('./commands/seed').seedCommand,
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  state: () => require('./commands/state').stateCommand,
};

function usage(): string {
  const names = Object.keys(commands).sort();
  return `Usage: tierkit <command> [options]\n\nCommands:\n${names.map((n) => `  ${n.padEnd(9)} ${commands[n]().summary}`).join('\n')}\n\nRun 'tierkit <command> --help' for a command's options.`;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  const verbose = rest.includes('--verbose');
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? EXIT.OK : EXIT.USAGE;
  }
  const load = commands[name];
  if (!load) {
    io.err(`tierkit: unknown command "${name}"\n\n${usage()}`);
    return EXIT.USAGE;
  }
  const command = load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.helpFor?.(rest) ?? command.help);
    return EXIT.OK;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`tierkit ${name}: ${err.message}\n\n${command.help.split('\n')[0]}`);
      return EXIT.USAGE;
    }
    if (isValidationError(err)) {
      const n = err.issues.length;
      io.err(`tierkit ${name}: the estate is invalid (${n} problem${n === 1 ? '' : 's'}); nothing was written.\n`);
      for (const issue of err.issues) io.err(formatIssue(issue));
      return EXIT.FAILED;
    }
    io.err(`tierkit ${name}: ${(err as Error)?.message ?? String(err)}`);
    if (verbose) io.err((err as Error)?.stack ?? '');
    else io.err('(run with --verbose for the stack trace)');
    return EXIT.FAILED;
  }
}

if (require.main === module) {
  const io: Io = { out: (t) => console.log(t), err: (t) => console.error(t), cwd: process.cwd() };
  main(process.argv.slice(2), io).then((code) => { process.exitCode = code; });
}
