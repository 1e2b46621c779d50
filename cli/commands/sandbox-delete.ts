import { existsSync, unlinkSync } from 'node:fs';
import { parse } from '../args';
import { Command, EXIT, UsageError } from '../command';
import { ESTATE_OPTION, appOf, fileSandbox, loadWithSandboxDir, requireName } from '../sandbox-common';

export function parseDeleteArgs(argv: readonly string[]): { app: string; name: string; estate?: string } {
  const { values, positionals } = parse(argv, { app: { type: 'string' }, verbose: { type: 'boolean' }, ...ESTATE_OPTION }, 1);
  return { app: requireName('app', values.app), name: requireName('name (the sandbox, as the argument)', positionals[0]), estate: values.estate };
}

export const sandboxDeleteCommand: Command = {
  name: 'sandbox delete',
  summary: 'Remove a sandbox data file tierkit wrote (the PR that lands it is the teardown)',
  help: `Usage: tierkit sandbox delete <name> --app <app> [--estate <file>]

Removes sandboxes/<app>/<name>.json, a file tierkit wrote. The pull request that lands the removal
is the teardown: its comment names the sandbox deletion, and the gated apply destroys its stacks.

Exit codes: 0 removed, 2 usage error or no such tierkit-written file (nothing removed).`,

  async run(argv, io) {
    const o = parseDeleteArgs(argv);
    const loaded = loadWithSandboxDir(io.cwd, o.estate);
    const app = appOf(loaded.estate, o.app);
    const { path, file, sandbox } = fileSandbox(loaded, app, o.name);
    if (!existsSync(path) || !sandbox?.declaredIn) throw new UsageError(`${file} does not exist: no data-file sandbox ${o.app}-${o.name}`);
    if (!sandbox.declaredIn.managed) throw new UsageError(`${file} was not written by tierkit (no "managedBy": "tierkit"): remove it by hand in a pull request`);
    unlinkSync(path);
    io.out(`deleted ${file}: sandbox ${app.appName}-${o.name} of ${sandbox.owner}. Run \`tierkit ci github\` (the apply workflow has a job per stack), then open a pull request: the gated apply destroys its stacks.`);
    return EXIT.OK;
  },
};
