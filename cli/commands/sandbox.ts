import { Command, EXIT, UsageError } from '../command';
import { sandboxCreateCommand } from './sandbox-create';
import { sandboxDeleteCommand } from './sandbox-delete';
import { sandboxExtendCommand } from './sandbox-extend';
import { sandboxListCommand } from './sandbox-list';

/** `tierkit sandbox <create|extend|delete|list>`: each subcommand is a module of its own. */
const SUBCOMMANDS: Record<string, Command> = {
  create: sandboxCreateCommand, extend: sandboxExtendCommand, delete: sandboxDeleteCommand, list: sandboxListCommand,
};

export const sandboxCommand: Command = {
  name: 'sandbox',
  summary: 'Create, extend, delete or list sandboxes (data files reviewed as pull requests)',
  help: `Usage: tierkit sandbox <create|extend|delete|list> [options]

${Object.entries(SUBCOMMANDS).map(([n, c]) => `  ${n.padEnd(8)} ${c.summary}`).join('\n')}

Run 'tierkit sandbox <subcommand> --help' for its options.`,

  helpFor: (argv) => (argv[0] !== undefined ? SUBCOMMANDS[argv[0]]?.help : undefined),

  async run(argv, io) {
    const [sub, ...rest] = argv;
    const command = sub === undefined ? undefined : SUBCOMMANDS[sub];
    if (!command) throw new UsageError(sub === undefined ? 'a subcommand is required: create, extend, delete or list' : `unknown subcommand "${sub}" (create, extend, delete or list)`);
    return command.run(rest, io);
  },
};

export { EXIT };
