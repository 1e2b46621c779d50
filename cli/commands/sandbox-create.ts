import { existsSync } from 'node:fs';
import { parse } from '../args';
import { Command, EXIT, UsageError } from '../command';
import { MIN_REASON_LENGTH, isReason } from '../../contract/tiers';
import { SandboxFileData } from '../../constructs/sandbox-files';
import {
  ESTATE_OPTION, appOf, checkCandidate, fileSandbox, instant, loadWithSandboxDir, parseHours, parseNow, renderSandboxFile, requireName, writeFileAtomic,
} from '../sandbox-common';

const KINDS = ['engineer', 'team', 'branch'] as const;

export interface SandboxCreateOptions {
  readonly app: string;
  readonly name: string;
  readonly owner: string;
  readonly kind: (typeof KINDS)[number];
  readonly template: string;
  readonly ttlHours?: number;
  readonly seed?: string;
  readonly flags?: readonly string[];
  readonly egress?: boolean;
  readonly reason?: string;
  readonly now: Date;
  readonly estate?: string;
}

/** Every flag validated before the estate is loaded or anything is written. */
export function parseCreateArgs(argv: readonly string[], clock: () => Date = () => new Date()): SandboxCreateOptions {
  const { values } = parse(argv, {
    app: { type: 'string' }, name: { type: 'string' }, owner: { type: 'string' }, kind: { type: 'string' }, template: { type: 'string' },
    ttl: { type: 'string' }, seed: { type: 'string' }, flags: { type: 'string' }, egress: { type: 'boolean' }, reason: { type: 'string' },
    now: { type: 'string' }, verbose: { type: 'boolean' }, ...ESTATE_OPTION,
  });
  const app = requireName('app', values.app);
  if (values.owner === undefined || values.owner.trim() === '' || values.owner.trim() !== values.owner) {
    throw new UsageError('--owner is required: a declared sandbox owner or group (e.g. --owner alice)');
  }
  const kind = values.kind ?? 'engineer';
  if (!(KINDS as readonly string[]).includes(kind)) throw new UsageError(`--kind must be one of ${KINDS.join(', ')} (got "${kind}")`);
  const template = requireName('template', values.template);
  const name = requireName('name', values.name ?? values.owner.toLowerCase());
  const flags = values.flags === undefined ? undefined : values.flags.split(',').map((f) => f.trim());
  if (flags && (flags.some((f) => !/^[a-z0-9][a-z0-9._-]*$/.test(f)) || new Set(flags).size !== flags.length)) {
    throw new UsageError(`--flags must be distinct flag names separated by commas, e.g. onboarding,async-billing (got "${values.flags}")`);
  }
  if (values.seed !== undefined && !/^(golden|(synthetic|sanitized):[a-z0-9][a-z0-9._-]*)$/.test(values.seed)) {
    throw new UsageError(`--seed must be synthetic:<version>, sanitized:<dataset> or golden (got "${values.seed}")`);
  }
  if (values.reason !== undefined && !isReason(values.reason)) throw new UsageError(`--reason must say why in at least ${MIN_REASON_LENGTH} characters`);
  return {
    app, name, owner: values.owner, kind: kind as SandboxCreateOptions['kind'], template, ttlHours: parseHours('ttl', values.ttl),
    seed: values.seed, flags, egress: values.egress, reason: values.reason, now: parseNow(values.now, clock), estate: values.estate,
  };
}

export const sandboxCreateCommand: Command = {
  name: 'sandbox create',
  summary: 'Write a new sandbox data file (sandboxes/<app>/<name>.json) after the pre-create checks',
  help: `Usage: tierkit sandbox create --app <app> --owner <owner> --template <template> [--kind engineer|team|branch]
       [--name <name>] [--ttl <72h|3d>] [--seed synthetic:<version>|sanitized:<dataset>|golden] [--flags a,b]
       [--egress] [--reason <why>] [--now <instant>] [--estate <file>]

Writes sandboxes/<app>/<name>.json (marked "managedBy": "tierkit") only if synth would accept the
estate with it: the template is declared, the owner is a declared owner or group within quota, the
TTL within the template's maximum (past 7 days only with --reason), the seed one the template
allows, egress only if the template allows it, the flags the app's. On refusal nothing is written.
Open a pull request with the file: its comment names the sandbox creation.

Options:
  --name <name>       env name of the sandbox (default: the owner)
  --kind <kind>       engineer (default), team or branch
  --ttl <n>h|<n>d     lifetime from now (default: the template's)
  --seed <profile>    default: the template's first seed
  --flags <a,b>       flags turned on, over the template's and the app's defaults
  --egress            follow the tier's egress allow list (only if the template allows it)
  --reason <why>      needed past 7 days, or for a golden seed
  --now <instant>     creation time, e.g. 2026-11-22T12:00:00Z (default: the clock)
  --estate <file>     estate program (default: as tierkit synth finds it)

Exit codes: 0 written, 1 refused by a check (nothing written), 2 usage error (nothing written).`,

  async run(argv, io) {
    const o = parseCreateArgs(argv);
    const loaded = loadWithSandboxDir(io.cwd, o.estate);
    const app = appOf(loaded.estate, o.app);
    const { path, file, sandbox } = fileSandbox(loaded, app, o.name);
    if (existsSync(path) || sandbox || app.environments.some((e) => e.env === o.name)) {
      throw new UsageError(`${o.app} already has an env or sandbox named "${o.name}" (${file}): choose another --name`);
    }
    const data: SandboxFileData = {
      kind: o.kind, owner: o.owner, template: o.template, createdAt: instant(o.now), ttlHours: o.ttlHours, seed: o.seed,
      flags: o.flags, egress: o.egress, reason: o.reason,
    };
    const text = renderSandboxFile(data);
    checkCandidate(loaded, app, o.name, text, false);
    writeFileAtomic(path, text);
    const sb = app.sandboxes.find((s) => s.env === o.name)!;
    io.out(`created ${file}: sandbox ${app.appName}-${o.name} of ${o.owner}, template ${o.template}, tier ${sb.tier.name}, `
      + `TTL ${sb.ttlHours} h (expires ${sb.expiresAt}), seed ${sb.seed.name}. Run \`tierkit ci github\` (the apply workflow has a job per stack), then open a pull request with both.`);
    return EXIT.OK;
  },
};
