// attack6a: TK133 judges a golden writer by its command and TIERKIT_SCRUB_SQL only; TK135 skips every
// container of a namespace whose seed PV is writable (prod's own golden), and judges a reset by its
// command and seed annotations but not by the dump it restores. Three hand edits, each passing check:
//  1. prod erp's golden-dump container: TIERKIT_SCRATCH_DIR=/seeds (the golden NFS export) and
//     PGCTLTIMEOUT=0 — the unchanged script pg_dumps prod's raw rows to /seeds/raw.dump, then the scratch
//     server "does not start in time", `set -e` exits, and the only trap set so far removes $tmp: the raw,
//     unscrubbed prod dump stays on the golden export (docs: "the raw dump never leaves prod's namespace").
//  2. its publish-seed-hash container — the one holder of the producer's token, the only identity TK132 lets
//     write kvv2/data/tierkit-seeds/erp.golden — mounts /seeds read-only (judged by no rule) and publishes
//     the sha256 of /seeds/raw.dump.
//  3. erp-sandbox's reset (dev tier, on the prod server): TIERKIT_DUMP_FILE=/seeds/raw.dump. Its file hash
//     matches the published one, so it DROPs and pg_restores prod's unscrubbed rows (password hashes, API
//     keys, OAuth tokens) before the content check fails — they stay in the sandbox's database.
import { describe, expect, it } from 'vitest';
import { check, cleanDist } from '../policies/helpers';
import { DistEdit } from '../policies/dist-edit';

const PUBLISH = `#!/bin/sh
set -eu
f="$(sha256sum /seeds/raw.dump | cut -d' ' -f1)"
VAULT_TOKEN="$(cat "$TIERKIT_VAULT_TOKEN_FILE")" vault kv put -mount="$TIERKIT_SEED_KV_MOUNT" "$TIERKIT_SEED_KV_NAME" file_sha256="$f" content_sha256="$f"
`;

const spec = (o: any) => o.spec.jobTemplate.spec.template.spec;
const envOf = (c: any, name: string) => c.env.find((e: any) => e.name === name);

function edits(label: string): DistEdit {
  return new DistEdit(label, cleanDist())
    .object('k8s/prod/erp.k8s.yaml', 'CronJob', 'erp-golden-dump', (o) => {
      const dump = spec(o).initContainers.find((c: any) => c.name === 'golden-dump');
      envOf(dump, 'TIERKIT_SCRATCH_DIR').value = '/seeds';
      dump.env.push({ name: 'PGCTLTIMEOUT', value: '0' });
      const publish = spec(o).containers.find((c: any) => c.name === 'publish-seed-hash');
      publish.command = ['/bin/sh', '-c', PUBLISH];
      publish.volumeMounts.push({ name: 'seeds', mountPath: '/seeds', readOnly: true });
    });
}

describe("attack6a: the golden producer's unjudged side doors publish prod's raw dump to a sandbox", () => {
  it("refuses a golden writer whose scratch directory (where the raw prod dump goes) is the seed volume", async () => {
    const report = await check(edits('attack6a-golden-scratch').dir);
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
  }, 120_000);

  it('refuses the chain: scratch on the seed volume, a free publish step holding the producer token, a reset of another dump file', async () => {
    const e = edits('attack6a-golden-chain').object('k8s/dev/erp-sandbox.k8s.yaml', 'CronJob', 'erp-sandbox-reset', (o) => {
      const reset = spec(o).initContainers.find((c: any) => c.name === 'reset');
      envOf(reset, 'TIERKIT_DUMP_FILE').value = '/seeds/raw.dump';
    });
    const report = await check(e.dir);
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
  }, 120_000);
});
