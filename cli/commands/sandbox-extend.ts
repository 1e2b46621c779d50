import { existsSync, readFileSync } from 'node:fs';
import { parse } from '../args';
import { Command, EXIT, UsageError } from '../command';
import { MIN_REASON_LENGTH, isReason } from '../../contract/tiers';
import { parseSandboxFile } from '../../constructs/sandbox-files';
import { TierkitValidationError } from '../../constructs/errors';
import {
  ESTATE_OPTION, appOf, checkCandidate, fileSandbox, loadWithSandboxDir, parseHours, parseNow, renderSandboxFile, requireName, writeFileAtomic,
} from '../sandbox-common';

export interface SandboxExtendOptions {
  readonly app: string;
  readonly name: string;
  readonly byHours: number;
  readonly reason?: string;
  readonly now: Date;
  readonly estate?: string;
}

export function parseExtendArgs(argv: readonly string[], clock: () => Date = () => new Date()): SandboxExtendOptions {
  const { values, positionals } = parse(argv, {
    app: { type: 'string' }, ttl: { type: 'string' }, reason: { type: 'string' }, now: { type: 'string' }, verbose: { type: 'boolean' }, ...ESTATE_OPTION,
  }, 1);
  const name = requireName('name (the sandbox, as the argument)', positionals[0]);
  const byHours = parseHours('ttl', values.ttl);
  if (byHours === undefined) throw new UsageError('--ttl is required: how much longer, e.g. --ttl 48h');
  if (values.reason !== undefined && !isReason(values.reason)) throw new UsageError(`--reason must say why in at least ${MIN_REASON_LENGTH} characters`);
  return { app: requireName('app', values.app), name, byHours, reason: values.reason, now: parseNow(values.now, clock), estate: values.estate };
}

export const sandboxExtendCommand: Command = {
  name: 'sandbox extend',
  summary: 'Lengthen a sandbox\'s TTL in its data file (past 7 days only with --reason, flagged for approval)',
  help: `Usage: tierkit sandbox extend <name> --app <app> --ttl <48h|2d> [--reason <why>] [--now <instant>] [--estate <file>]

Adds --ttl to the TTL of sandboxes/<app>/<name>.json, a file tierkit wrote, after the same checks
as create: the template's maximum holds, and a lifetime past 7 days needs --reason (the PR comment
flags it for approval). An expired sandbox is not extended (its leases are revoked): create a new
one. On refusal nothing is written.

Exit codes: 0 written, 1 refused by a check (nothing written), 2 usage error (nothing written).`,

  async run(argv, io) {
    const o = parseExtendArgs(argv);
    const loaded = loadWithSandboxDir(io.cwd, o.estate);
    const app = appOf(loaded.estate, o.app);
    const { path, file, sandbox } = fileSandbox(loaded, app, o.name);
    if (!existsSync(path) || !sandbox?.declaredIn) throw new UsageError(`${file} does not exist: no data-file sandbox ${o.app}-${o.name}`);
    if (!sandbox.declaredIn.managed) throw new UsageError(`${file} was not written by tierkit (no "managedBy": "tierkit"): edit it by hand in a pull request`);
    if (sandbox.expiresAt !== undefined && Date.parse(sandbox.expiresAt) <= o.now.getTime()) {
      throw new TierkitValidationError([{ path: file, property: '/ttlHours', value: sandbox.ttlHours, message: `expired at ${sandbox.expiresAt}; its leases are revoked`, fix: 'create a new sandbox (tierkit sandbox create), and let tierkit gc remove this one' }]);
    }
    const current = parseSandboxFile(file, readFileSync(path, 'utf8')).data!;
    const ttlHours = sandbox.ttlHours + o.byHours;
    const text = renderSandboxFile({ ...current, ttlHours, reason: o.reason ?? current.reason });
    checkCandidate(loaded, app, o.name, text, true);
    writeFileAtomic(path, text);
    const sb = app.sandboxes.find((s) => s.env === o.name)!;
    io.out(`extended ${file}: TTL ${sandbox.ttlHours} h → ${ttlHours} h (expires ${sb.expiresAt})${ttlHours > 7 * 24 ? ', past 7 days: the PR comment asks for approval' : ''}.`);
    return EXIT.OK;
  },
};
