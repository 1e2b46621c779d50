/**
 * The baseline program: the benchmark estate synthesized with plain cdktf + cdk8s, no tierkit.
 * Usage: tsx bench/baseline/main.ts <outdir>  (size from BENCH_APPS, BENCH_SANDBOXES, BENCH_SEED, …)
 * Writes <outdir>/terraform (cdktf.out layout: stacks/<name>/cdk.tf.json) and <outdir>/k8s.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { generateSpec, optionsFromEnv } from '../spec';
import { synthKubernetes } from './kubernetes';
import { synthTerraform } from './terraform';

const out = process.argv[2];
if (!out) {
  console.error('usage: tsx bench/baseline/main.ts <outdir>');
  process.exit(2);
}
const dir = resolve(out);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const spec = generateSpec(optionsFromEnv());
synthTerraform(spec, join(dir, 'terraform'));
synthKubernetes(spec, join(dir, 'k8s'));
