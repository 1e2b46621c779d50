import { performance } from 'node:perf_hooks';
import { synthesize } from '../../constructs/synth/synthesize';
import { writeDist } from '../../constructs/synth/write';
import { parse } from '../args';
import { Command, EXIT } from '../command';
import { DEFAULT_ENTRY, loadEstate } from '../estate-entry';
import { projectRoot, resolveFrom } from '../project';

export const synthCommand: Command = {
  name: 'synth',
  summary: 'Synthesize the estate into dist/ (Terraform JSON, Kubernetes manifests, manifest.json)',
  help: `Usage: tierkit synth [--app <file>] [--out <dir>] [--quiet]

Validates the estate, then writes every artifact atomically: the previous output stays
untouched when anything fails, and files no longer produced are removed.

Options:
  --app <file>   estate program (default: ${DEFAULT_ENTRY} in the project root, the
                 nearest directory holding cdktf.json)
  --out <dir>    output directory (default: dist in the project root)
  --quiet        print nothing on success
  --verbose      print stack traces of unexpected errors
  -h, --help     show this help

Exit codes: 0 written, 1 invalid estate (nothing written), 2 usage error.`,

  async run(argv, io) {
    const { values } = parse(argv, {
      app: { type: 'string' }, out: { type: 'string' }, quiet: { type: 'boolean' }, verbose: { type: 'boolean' },
    });
    const root = projectRoot(io.cwd);
    const entry = values.app ? resolveFrom(io.cwd, values.app) : resolveFrom(root, DEFAULT_ENTRY);
    const outDir = values.out ? resolveFrom(io.cwd, values.out) : resolveFrom(root, 'dist');
    const started = performance.now();
    const estate = loadEstate(entry);
    const { files, manifest } = synthesize(estate);
    writeDist(outDir, files);
    if (!values.quiet) {
      const perTier = new Map<string, { stacks: number; k8s: number }>();
      for (const a of manifest.artifacts) {
        const key = a.tier ?? '(estate)';
        const row = perTier.get(key) ?? { stacks: 0, k8s: 0 };
        if (a.kind === 'terraform-stack') row.stacks++;
        else row.k8s++;
        perTier.set(key, row);
      }
      const ms = Math.round(performance.now() - started);
      io.out(`tierkit synth: ${manifest.appEnvironments.length} app-environments, ${files.size} files → ${outDir} (${ms} ms)`);
      for (const [tier, row] of perTier) io.out(`  ${tier.padEnd(10)} ${row.stacks} terraform stacks, ${row.k8s} kubernetes files`);
    }
    return EXIT.OK;
  },
};
