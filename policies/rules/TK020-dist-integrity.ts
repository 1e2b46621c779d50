import { Rule } from './support/rule';

/**
 * The strict reader's refusals (contract/read.ts), as findings. A dist/ that cannot be read at all
 * (no manifest, another schema version) is reported under this id by the engine too.
 */
export const rule: Rule = {
  id: 'TK020',
  name: 'dist-integrity',
  severity: 'error',
  title: 'dist/ holds exactly the files tierkit writes, each with the manifest\'s sha256, in the forms tierkit writes',
  explanation:
    'Terraform applies every *.tf.json and *.tf in a stack directory (and merges *_override.tf.json over the stack), reads '
    + 'variable values from *.tfvars, and accepts resource blocks as JSON arrays; Argo CD applies every manifest it finds. '
    + 'A file tierkit did not write, an edited file, or an alternative form is configuration nobody declared in the estate. '
    + 'A manifest list that repeats a name (a second tier "prod") would show the rules one entry and hide the other; a dist '
    + 'changed while the repo\'s own rules ran is not the dist the built-in rules judged. '
    + 'Files tierkit can read are still judged by every rule; the hashes are integrity against stray edits, not authenticity.',
  fix: 'Declare the change in the estate (environments/, apps/, or an escape hatch) and re-run `tierkit synth`; never edit dist/ by hand.',
  suppressible: false,
  evaluate(g) {
    return g.problems.map((p) => ({
      source: { file: p.file, pointer: p.pointer },
      message: `${p.file}${p.pointer ? ` at ${p.pointer}` : ''} ${p.reason}`,
      fix: p.fix,
    }));
  },
};
