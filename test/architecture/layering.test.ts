import { describe, expect, it } from 'vitest';
import { EXCEPTIONS, REPOSITORY_ROOT, importCycles, layeringViolations, repositorySources } from './layering';

/**
 * The layering cannot rot (issue 20): constructs/ never imports the estate, policies/, diff/ or
 * ci/; policies/, diff/ and ci/ read dist/ only through contract/; contract/ imports nothing of
 * the repository. The README's layout table says the same.
 */
describe('imports between folders', () => {
  it('the repository keeps the layering', () => {
    const files = repositorySources(REPOSITORY_ROOT);
    expect(files.length).toBeGreaterThan(100);
    expect(layeringViolations(files)).toEqual([]);
  });

  it('a deliberately wrong import is caught, in every import form', () => {
    const wrong = [
      { path: 'constructs/estate.ts', text: "import { checkDist } from '../policies/engine';\n" },
      { path: 'constructs/synth/write.ts', text: "import type { X } from '../../environments/index';\n" },
      { path: 'policies/rules/TK999-x.ts', text: "export { Estate } from '../../constructs/estate';\n" },
      { path: 'diff/x.ts', text: "const m = require('../policies/engine');\n" },
      { path: 'ci/x.ts', text: "async function f() { return import('../diff/markdown'); }\n" },
      { path: 'contract/x.ts', text: "import { slug } from '../constructs/naming';\n" },
      { path: 'constructs/naming.ts', text: "import { Estate } from './estate';\n" },
      { path: 'diff/y.ts', text: "import { join } from 'node:path';\nconst engine = require(join(__dirname, '..', 'policies', 'engine'));\n" },
    ];
    expect(layeringViolations(wrong)).toEqual([
      'ci/x.ts: imports diff/markdown (ci/ may import ci/, contract/ and the documented exceptions only)',
      'constructs/estate.ts: imports policies/engine (constructs/ may import constructs/, contract/ and the documented exceptions only)',
      'constructs/naming.ts: imports constructs/estate (a vocabulary module imports only contract/ and constructs/naming.ts, constructs/tier.ts, constructs/enums.ts, constructs/lifecycle/scripts.ts, constructs/lifecycle/seed-verify.ts, constructs/lifecycle/images.ts, constructs/lifecycle/preview-scripts.ts, constructs/statements.ts, constructs/lifecycle/preview-collector.ts, constructs/lifecycle/template-reset.ts, constructs/lifecycle/seed-scripts.ts)',
      'constructs/synth/write.ts: imports environments/index (constructs/ may import constructs/, contract/ and the documented exceptions only)',
      'contract/x.ts: imports constructs/naming (contract/ may import contract/ and the documented exceptions only)',
      'diff/x.ts: imports policies/engine (diff/ may import diff/, contract/ and the documented exceptions only)',
      'diff/y.ts: loads a module by a computed path (the layering cannot judge it; only constructs/synth/worker.ts, policies/user-rules.ts may)',
      'policies/rules/TK999-x.ts: imports constructs/estate (policies/ may import policies/, contract/ and the documented exceptions only)',
    ]);
    // …while what the layering allows passes.
    expect(layeringViolations([
      { path: 'policies/rules/TK999-x.ts', text: "import { slug } from '../../constructs/naming';\nimport { readDist } from '../../contract/read';\nimport { yaml } from 'yaml';\n" },
      { path: 'constructs/synth/x.ts', text: "import { compareStrings } from '../../contract/order';\n" },
    ])).toEqual([]);
  });

  it('every exception says why', () => {
    for (const list of Object.values(EXCEPTIONS)) for (const x of list) expect(x.why.length, x.file).toBeGreaterThan(20);
  });
});

describe('import cycles', () => {
  const files = repositorySources(REPOSITORY_ROOT);

  it('no module loads itself back at run time', () => {
    expect(importCycles(files, 'runtime')).toEqual([]);
  });

  it('the model names no synthesizer type: the only type-level cycle is an app and its environments naming each other', () => {
    // (Was app-environment ↔ app ↔ sandbox ↔ lifecycle/plan ↔ synth/terraform-app-environment:
    // the escape hatch's resource type lived in synth/; it is the model's, in escape-hatch.ts.)
    expect(importCycles(files)).toEqual([['constructs/app-environment.ts', 'constructs/app.ts', 'constructs/sandbox.ts']]);
    // The model: constructs/*.ts but the public index (which re-exports synthesize), and the lifecycle plan.
    const model = files.filter((f) => (/^constructs\/[^/]+\.ts$/.test(f.path) && f.path !== 'constructs/index.ts') || f.path === 'constructs/lifecycle/plan.ts');
    expect(model.length).toBeGreaterThan(15);
    const intoSynth = model.filter((f) => /from '(\.\/|\.\.\/)synth\//.test(f.text));
    expect(intoSynth.map((f) => f.path)).toEqual([]);
  });

  it('a cycle is found, type-only imports included', () => {
    const cyclic = [
      { path: 'constructs/a.ts', text: "import type { B } from './b';\n" },
      { path: 'constructs/b.ts', text: "import { C } from './synth/c';\n" },
      { path: 'constructs/synth/c.ts', text: "import { A } from '../a';\n" },
    ];
    expect(importCycles(cyclic)).toEqual([['constructs/a.ts', 'constructs/b.ts', 'constructs/synth/c.ts']]);
    expect(importCycles(cyclic, 'runtime')).toEqual([]);
  });
});
