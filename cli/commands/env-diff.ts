import { canonicalJson } from '../../constructs/synth/serialize';
import { diffReleases } from '../../constructs/releases';
import { PromotionRefused, envRelease, readReleases } from '../../promote/plan';
import { parse } from '../args';
import { Command, EXIT, UsageError } from '../command';
import { projectRoot } from '../project';

const show = (v: unknown) => JSON.stringify(v);

export const envDiffCommand: Command = {
  name: 'env-diff',
  summary: 'What differs between two envs of an app (image, config, flags, strategy), from apps/<app>.releases.json',
  help: `Usage: tierkit env-diff <app> <envA> <envB> [--json]

Reads apps/<app>.releases.json and prints what changes from envA's release to envB's, by dotted
path (image, strategy, config.<NAME>, flags.<flag>): { added, removed, modified: { path: { old, new } } }.

Options:
  --json       print the JSON object (sorted keys)
  -h, --help   show this help

Exit codes: 0 printed, 1 unknown app or env / invalid releases file, 2 usage error.`,

  async run(argv, io) {
    const { values, positionals } = parse(argv, { json: { type: 'boolean' }, verbose: { type: 'boolean' } }, 3);
    if (positionals.length !== 3) throw new UsageError('pass <app> <envA> <envB>');
    const [app, a, b] = positionals;
    const root = projectRoot(io.cwd);
    try {
      const releases = readReleases(root, app);
      const diff = diffReleases(envRelease(releases, a, root), envRelease(releases, b, root));
      if (values.json) {
        io.out(canonicalJson(diff).trimEnd());
        return EXIT.OK;
      }
      const lines = [`${app}: ${a} → ${b}`];
      const section = (title: string, entries: [string, string][]) => {
        lines.push(`${title}:${entries.length === 0 ? ' (none)' : ''}`);
        for (const [k, v] of entries) lines.push(`  ${k}: ${v}`);
      };
      section('added', Object.entries(diff.added).map(([k, v]) => [k, show(v)]));
      section('removed', Object.entries(diff.removed).map(([k, v]) => [k, show(v)]));
      section('modified', Object.entries(diff.modified).map(([k, v]) => [k, `${show(v.old)} → ${show(v.new)}`]));
      io.out(lines.join('\n'));
      return EXIT.OK;
    } catch (err) {
      if (err instanceof PromotionRefused) {
        io.err(`tierkit env-diff: ${err.message}`);
        return EXIT.FAILED;
      }
      throw err;
    }
  },
};
