import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '../args';
import { Command, EXIT } from '../command';
import { environmentsOf } from '../../constructs/query';
import { Sandbox } from '../../constructs/sandbox';
import { compareStrings } from '../../constructs/synth/serialize';
import { ESTATE_OPTION, instant, loadWithSandboxDir, parseNow } from '../sandbox-common';

export interface GcPlan {
  /** Expired files tierkit wrote: removed. */
  readonly remove: readonly { file: string; path: string; sandbox: string; owner: string; expiresAt: string }[];
  /** Expired sandboxes gc leaves alone (hand-written files, TypeScript declarations): their owners remove them. */
  readonly leave: readonly { where: string; sandbox: string; owner: string; expiresAt: string; why: string }[];
}

/** What gc does at `now`: a pure function of the loaded estate and `now` (sorted by sandbox). */
export function gcPlan(sandboxes: readonly Sandbox[], dir: string, now: Date): GcPlan {
  const expired = sandboxes.filter((s) => s.expiresAt !== undefined && Date.parse(s.expiresAt) <= now.getTime())
    .sort((a, b) => compareStrings(a.slug, b.slug));
  return {
    remove: expired.filter((s) => s.declaredIn?.managed).map((s) => ({
      file: s.declaredIn!.file, path: join(dir, s.app.appName, `${s.env}.json`), sandbox: s.slug, owner: s.owner, expiresAt: s.expiresAt!,
    })),
    leave: expired.filter((s) => !s.declaredIn?.managed).map((s) => ({
      where: s.declaredIn?.file ?? s.estate.displayPath(s), sandbox: s.slug, owner: s.owner, expiresAt: s.expiresAt!,
      why: s.declaredIn ? 'a hand-written file (no "managedBy": "tierkit")' : 'declared in TypeScript',
    })),
  };
}

export const gcCommand: Command = {
  name: 'gc',
  summary: 'Remove the data files of expired sandboxes that tierkit wrote, and list what it removed',
  help: `Usage: tierkit gc [--now <instant>] [--dry-run] [--estate <file>]

Removes sandboxes/<app>/<name>.json of every sandbox expired at --now (default: the clock) whose
file tierkit wrote ("managedBy": "tierkit"), and lists them; expired sandboxes declared by hand
(a hand-written file, TypeScript) are listed and left to their owners. The output and the files
removed depend only on the estate and --now. The pull request that lands the removal is the
teardown: its comment names each sandbox deletion, and the gated apply destroys the stacks.

Options:
  --now <instant>  e.g. 2026-11-22T12:00:00Z (default: the clock, to the second)
  --dry-run        list, remove nothing

Exit codes: 0 done (also when nothing expired), 1 invalid estate, 2 usage error.`,

  async run(argv, io) {
    const { values } = parse(argv, { now: { type: 'string' }, 'dry-run': { type: 'boolean' }, verbose: { type: 'boolean' }, ...ESTATE_OPTION });
    const now = parseNow(values.now, () => new Date());
    const loaded = loadWithSandboxDir(io.cwd, values.estate);
    const plan = gcPlan(environmentsOf(loaded.estate).filter((e): e is Sandbox => e instanceof Sandbox), loaded.dir, now);
    const verb = values['dry-run'] ? 'would remove' : 'removed';
    for (const r of plan.remove) {
      if (!values['dry-run']) unlinkSync(r.path);
      io.out(`${verb} ${r.file}: sandbox ${r.sandbox} of ${r.owner}, expired at ${r.expiresAt}`);
    }
    for (const l of plan.leave) io.out(`left ${l.where}: sandbox ${l.sandbox} of ${l.owner}, expired at ${l.expiresAt} (${l.why}; remove it by hand)`);
    io.out(`tierkit gc at ${instant(now)}: ${plan.remove.length} ${verb}, ${plan.leave.length} expired left to their owners`
      + `${plan.remove.length > 0 && !values['dry-run'] ? '; run tierkit ci github (the apply workflow has a job per stack), then open a pull request' : ''}`);
    return EXIT.OK;
  },
};
