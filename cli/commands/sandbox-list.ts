import { parse, oneOf } from '../args';
import { Command, EXIT } from '../command';
import { environmentsOf } from '../../constructs/query';
import { Sandbox } from '../../constructs/sandbox';
import { compareStrings } from '../../constructs/synth/serialize';
import { ESTATE_OPTION, parseNow, refuseSandboxFileProblems, stateAt } from '../sandbox-common';
import { loadEstate } from '../estate-entry';
import { configuredEntry, projectRoot, resolveFrom } from '../project';

export interface SandboxRow {
  readonly sandbox: string;
  readonly owner: string;
  readonly kind: string;
  readonly template?: string;
  readonly seed: string;
  readonly expiresAt?: string;
  readonly state: string;
  readonly declaredIn: string;
}

export function sandboxRows(sandboxes: readonly Sandbox[], now: Date): SandboxRow[] {
  return sandboxes.map((s) => ({
    sandbox: s.slug, owner: s.owner, kind: s.kind.name, template: s.template?.templateName, seed: s.seed.name, expiresAt: s.expiresAt,
    state: stateAt(s.expiresAt, now), declaredIn: s.declaredIn ? `${s.declaredIn.file}${s.declaredIn.managed ? '' : ' (hand-written)'}` : s.estate.displayPath(s),
  })).sort((a, b) => compareStrings(a.sandbox, b.sandbox));
}

export const sandboxListCommand: Command = {
  name: 'sandbox list',
  summary: 'List every sandbox: owner, expiry, seed, state',
  help: `Usage: tierkit sandbox list [--app <app>] [--now <instant>] [--format text|json] [--estate <file>]

Lists every sandbox of the estate (TypeScript and data files): owner, kind, template, seed, expiry
and state at --now (default: the clock), sorted by name.`,

  async run(argv, io) {
    const { values } = parse(argv, { app: { type: 'string' }, now: { type: 'string' }, format: { type: 'string' }, verbose: { type: 'boolean' }, ...ESTATE_OPTION });
    const format = oneOf('format', values.format, ['text', 'json'] as const, 'text');
    const now = parseNow(values.now, () => new Date());
    const entry = values.estate !== undefined ? resolveFrom(io.cwd, values.estate) : configuredEntry(projectRoot(io.cwd));
    const estate = loadEstate(entry);
    refuseSandboxFileProblems(estate);
    const sandboxes = environmentsOf(estate).filter((e): e is Sandbox => e instanceof Sandbox && (values.app === undefined || e.app.appName === values.app));
    const rows = sandboxRows(sandboxes, now);
    if (format === 'json') {
      io.out(JSON.stringify(rows, null, 2));
      return EXIT.OK;
    }
    const cols: (keyof SandboxRow)[] = ['sandbox', 'owner', 'kind', 'template', 'seed', 'expiresAt', 'state', 'declaredIn'];
    const table = [cols.map(String), ...rows.map((r) => cols.map((c) => r[c] ?? '-'))];
    const widths = cols.map((_, i) => Math.max(...table.map((row) => row[i].length)));
    io.out(table.map((row) => row.map((v, i) => v.padEnd(widths[i])).join('  ').trimEnd()).join('\n'));
    return EXIT.OK;
  },
};
