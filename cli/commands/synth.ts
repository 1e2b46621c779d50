import { performance } from 'node:perf_hooks';
import { environmentsOf } from '../../constructs/query';
import { SynthOutput, platformArtifacts, synthesize } from '../../constructs/synth/synthesize';
import { assertValid } from '../../constructs/validation';
import { assertOutDirOwnable, writeDist } from '../../constructs/synth/write';
import { parse } from '../args';
import { Command, EXIT, UsageError } from '../command';
import { DEFAULT_ENTRY, loadEstate } from '../estate-entry';
import { configuredEntry, projectRoot, resolveFrom } from '../project';
import { PARALLEL_MIN_ENVIRONMENTS, startParallelRender, threadCount } from '../synth-workers';

export const synthCommand: Command = {
  name: 'synth',
  summary: 'Synthesize the estate into dist/ (Terraform JSON, Kubernetes manifests, manifest.json)',
  help: `Usage: tierkit synth [--app <file>] [--out <dir>] [--jobs <n>] [--quiet]

Validates the estate, then writes every artifact atomically: the previous output stays
untouched when anything fails, and files no longer produced are removed. The output directory
must be new, empty, or a previous tierkit dist (it holds tierkit's manifest.json); only the
files that manifest lists are replaced, anything else in it is kept.

Options:
  --app <file>   estate program (default: the --app of cdktf.json's "app" command, else
                 ${DEFAULT_ENTRY}, in the project root: the nearest directory holding
                 cdktf.json). A .ts program is loaded with tsx.
  --out <dir>    output directory (default: dist in the project root)
  --jobs <n>     threads rendering the app-environments (default: the cores, up to 4, from
                 ${PARALLEL_MIN_ENVIRONMENTS} app-environments on; 1 below). The output is the same.
  --quiet        print nothing on success
  --verbose      print stack traces of unexpected errors
  -h, --help     show this help

Exit codes: 0 written, 1 invalid estate or an output directory tierkit does not own (nothing
written), 2 usage error.`,

  async run(argv, io) {
    const { values } = parse(argv, {
      app: { type: 'string' }, out: { type: 'string' }, quiet: { type: 'boolean' }, verbose: { type: 'boolean' }, jobs: { type: 'string' },
    });
    const jobs = values.jobs === undefined ? undefined : Number(values.jobs);
    if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1 && jobs <= 64)) {
      throw new UsageError(`--jobs must be an integer from 1 to 64 (got "${values.jobs}")`);
    }
    const root = projectRoot(io.cwd);
    const entry = values.app ? resolveFrom(io.cwd, values.app) : configuredEntry(root);
    const outDir = values.out ? resolveFrom(io.cwd, values.out) : resolveFrom(root, 'dist');
    // Before the estate runs: a directory tierkit does not own is refused up front.
    assertOutDirOwnable(outDir);
    const started = performance.now();
    const estate = loadEstate(entry);
    const threads = threadCount(jobs, environmentsOf(estate).length);
    let output: SynthOutput;
    if (threads > 1) {
      // The workers load their modules while this thread validates and renders the platform.
      const parallel = startParallelRender(entry, threads);
      try {
        assertValid(estate);
        const platform = platformArtifacts(estate);
        const rendered = await parallel.render(estate);
        // synthesize validates again: the estate program may have changed the tree while the workers ran.
        output = synthesize(estate, { rendered, platform });
      } finally {
        await parallel.stop();
      }
    } else {
      output = synthesize(estate);
    }
    const { files, manifest } = output;
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
