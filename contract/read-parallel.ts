import { DistContents, DistSource, ReadDistOptions, diskSource, startReading } from './read';
import { YamlVerifier, startYamlVerifier } from './yaml-verify';

/** Where a worker starts paying for itself: below this much YAML (the example estate), none is started. */
export const PARALLEL_YAML_MIN_CHARS = 2_000_000;

/**
 * `readDist`, with the fast YAML reader's write-back check on a second thread (`yaml-verify.ts`)
 * while this one reads the Terraform stacks: the same contents, whatever the worker does. The
 * worker starts once `minChars` of YAML have been read (earlier files are checked here). `source`
 * (@default the disk) lets `check` pass each text on to its rules worker as it is read.
 */
export async function readDistInParallel(distDir: string, options: ReadDistOptions = {},
  start: () => YamlVerifier | undefined = startYamlVerifier, minChars = PARALLEL_YAML_MIN_CHARS, source: DistSource = diskSource(distDir)): Promise<DistContents> {
  let verifier: YamlVerifier | undefined;
  let read = 0;
  let asked = false;
  const verifierFor = (chars: number): YamlVerifier | undefined => {
    read += chars;
    if (!asked && read >= minChars) {
      asked = true;
      verifier = start();
    }
    return verifier;
  };
  try {
    const reading = startReading(source, options, verifierFor);
    let verdicts: readonly boolean[] | undefined;
    try {
      verdicts = verifier ? await verifier.verdicts() : undefined;
    } catch {
      verdicts = undefined; // the worker failed: every text it had is checked in this thread instead
    }
    return reading.finish(verdicts);
  } finally {
    verifier?.close();
  }
}
