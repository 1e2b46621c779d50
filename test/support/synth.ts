import { join } from 'node:path';
import { Estate } from '../../constructs';
import { synthesize } from '../../constructs/synth/synthesize';
import { writeDist } from '../../constructs/synth/write';
import exampleEstate from '../../environments';
import { DistContents, readDist } from '../../policies/dist';
import { testTmp } from '../setup/tmpdir';

let counter = 0;

/** Synthesize an estate into a fresh temp dir and read it back the way every consumer does. */
export function synthToDist(estate: Estate = exampleEstate(), label = 'dist'): DistContents {
  const dir = join(testTmp('synth'), `${label}-${process.pid}-${counter++}`);
  writeDist(dir, synthesize(estate).files);
  return readDist(dir);
}
