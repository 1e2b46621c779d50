// attack6a: TK135 holds the reset to "its Vault agent renders exactly its seed's hash secret with
// tierkit's template into TIERKIT_SEED_HASH_FILE" by comparing two annotations and one env var. The agent
// injector also honours `vault.hashicorp.com/agent-inject-file-<name>` (the rendered file's name): the
// seed secret is rendered to /vault/secrets/published, and a second, static template (no secret read at
// all) is rendered to /vault/secrets/seed — the file the unchanged reset script trusts. With
// TIERKIT_DUMP_FILE (not judged) pointed at a dump the author ships (here a path on the pod's emptyDir),
// the reset restores a dump no producer published.
import { describe, expect, it } from 'vitest';
import { check, cleanDist } from '../policies/helpers';
import { DistEdit } from '../policies/dist-edit';

const A = 'vault.hashicorp.com/';
const H = 'a'.repeat(64);

describe("attack6a: the reset's hash file swapped through agent-inject-file", () => {
  it('refuses a reset whose /vault/secrets/seed is rendered from another template', async () => {
    const edit = new DistEdit('attack6a-reset-hash-file', cleanDist()).object('k8s/dev/erp-sandbox.k8s.yaml', 'CronJob', 'erp-sandbox-reset', (o) => {
      const t = o.spec.jobTemplate.spec.template;
      t.metadata.annotations[`${A}agent-inject-file-seed`] = 'published';
      t.metadata.annotations[`${A}agent-inject-secret-mine`] = 'kvv2/data/erp-sandbox/config';
      t.metadata.annotations[`${A}agent-inject-template-mine`] = `file_sha256=${H}\ncontent_sha256=${H}\n`;
      t.metadata.annotations[`${A}agent-inject-file-mine`] = 'seed';
      const reset = t.spec.initContainers.find((c: any) => c.name === 'reset');
      reset.env.find((e: any) => e.name === 'TIERKIT_DUMP_FILE').value = '/tmp/seed.dump';
    });
    const report = await check(edit.dir);
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
  }, 120_000);
});
