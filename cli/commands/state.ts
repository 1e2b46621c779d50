import { resolve } from 'node:path';
import { parse } from '../args';
import { Command, EXIT, UsageError } from '../command';
import { canonicalJson } from '../../contract/order';
import { DistReadError, describeProblems, readDist } from '../../contract/read';
import { stateMigrationPlan, stateMigrationScript } from '../../contract/state-migration';

const HELP = `Usage: tierkit state migrate --from <old dist> [--dist <dir>] [--script]

Computes where every stack's Terraform state must move between two synthesized estates: from
state key layout 1 (<keyPrefix>/<stack>.tfstate) to layout 2 (<keyPrefix>/<gatingTier>/servers/
<server>/<stack>.tfstate), or when a server's gating tier changed (the keys name it). Old and new
keys come from the two manifests, never from a guess: a removed stack moves only to the key of its
retiredStacks entry, and only when the entry claims the tier and server the old dist had it on.
Both dists are read with check's strict reader (any reader problem refuses). A stack's gating tier
must be its server's (platform stacks: the estate's strictest); a stack moving to another server or
a laxer gating tier is refused (retire it and add it anew); a rising gate is allowed and listed.
Prints the plan as JSON; with --script, a bash script that moves each state with
\`terraform init -migrate-state\`, checks lineage and serial, then deletes the old key.

Options:
  --from <dir>   the dist the state was written by (e.g. main's, synthesized before the change)
  --dist <dir>   the new dist (default: dist)
  --script       print the migration script instead of the plan

Exit codes: 0 plan written (also when nothing moves), 1 refused (each reason printed) or unreadable dist, 2 usage error.`;

export const stateCommand: Command = {
  name: 'state',
  summary: 'Move Terraform state to the keys a new dist names (state migrate)',
  help: HELP,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { from: { type: 'string' }, dist: { type: 'string' }, script: { type: 'boolean' }, verbose: { type: 'boolean' } }, 1);
    if (positionals[0] !== 'migrate') throw new UsageError(`expected the subcommand "migrate", got ${positionals[0] === undefined ? 'none' : JSON.stringify(positionals[0])}`);
    if (!values.from) throw new UsageError('--from <old dist> is required: the old keys are read from the dist that wrote the state, never guessed');
    const read = (side: string, dir: string) => {
      let d;
      try {
        d = readDist(resolve(io.cwd, dir));
      } catch (err) {
        throw new Error(`the ${side} dist ${dir} is unreadable: ${err instanceof DistReadError ? err.message : (err as Error).message}`);
      }
      // What check refuses as TK020 (hashes, repeated names, links, unlisted files): a dist that is
      // not what synth wrote decides no key (attack14).
      if (d.problems.length > 0) throw new Error(`the ${side} dist ${dir} is not what tierkit synthesized; synthesize it again (\`tierkit check\` names the same problems):\n${describeProblems(side, d.problems)}`);
      return d.manifest;
    };
    let plan;
    try {
      plan = stateMigrationPlan(read('old', values.from), read('new', values.dist ?? 'dist'));
    } catch (err) {
      io.err(`tierkit state migrate: ${(err as Error).message}`);
      return EXIT.FAILED;
    }
    if (plan.refusals.length > 0) {
      for (const r of plan.refusals) io.err(`tierkit state migrate: refusing: ${r}`);
      return EXIT.FAILED;
    }
    for (const r of plan.gateRises) io.err(`tierkit state migrate: note: ${r.stack}'s gate rises from ${r.fromTier} to ${r.toTier}: its state, written by ${r.fromTier}'s applier, becomes ${r.toTier}'s; review its first ${r.toTier} plan for objects the config does not declare`);
    io.out(values.script ? stateMigrationScript(plan).replace(/\n$/, '') : canonicalJson(plan));
    return EXIT.OK;
  },
};
