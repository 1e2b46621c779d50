// reset7 (self-review of issue 19's template reset): TK135 compares a lifecycle pod whole only where
// it mounts a seed claim. A template-reset sandbox's reset CronJob, hand-edited in dist/ (re-hashed)
// to drop the seed volume, ran an edited TEMPLATE_RESET_SCRIPT — here without the 16+ check of the
// Vault connection user's grant; it could as well skip the golden's marker — as the reset's service
// account, the one identity that gets the template role's login, and check passed with 0 errors.
// A copy of the golden load under another name, as that account, passed too. TK184 compares every pod
// of that account whole, seed or not.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { Sandbox, SandboxKind, SandboxReset, Tier, type Estate } from '../../constructs';
import type { CheckReport } from '../../policies/report/finding';
import { check, findings, freshDir, synthDist } from '../policies/helpers';
import { editDist, rehashManifest } from '../policies/rehash';

const messages = (r: CheckReport, id: string) => findings(r, id).map((f) => f.message);
function withFast(e: Estate): Sandbox {
  const crm = e.node.tryFindChild('crm') as ConstructorParameters<typeof Sandbox>[0];
  return new Sandbox(crm, 'fast', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2026-11-21', ttlHours: 72, reset: SandboxReset.TEMPLATE });
}
function editResetPod(dir: string, edit: (pod: any) => void): string {
  const file = join(dir, 'k8s', 'dev', 'crm-fast.k8s.yaml');
  const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
  edit(docs.find((d: any) => d?.kind === 'CronJob' && d.metadata?.name === 'crm-fast-reset').spec.jobTemplate.spec.template);
  writeFileSync(file, docs.map((d) => stringify(d)).join('---\n'));
  rehashManifest(dir);
  return dir;
}

describe('reset7: a template reset pod that mounts no seed', () => {
  it('TK184: a reset pod that mounts no seed (TK135 does not look at it) running an edited script, or another pod as the reset\'s service account, is an error — suppressed or not', async () => {
    const base = synthDist((e) => { withFast(e).addSuppression('TK184', 'the reset runs a patched script for a while'); }, 'tk184');
    const edited = editResetPod(editDist(base, freshDir('tk184-noseed'), {}), (pod) => {
      const c = pod.spec.initContainers.find((x: any) => x.name === 'reset');
      c.command[2] = c.command[2].replace('if [[ "$wide" != "f" ]]; then', 'if false; then');
      c.volumeMounts = c.volumeMounts.filter((m: any) => m.name !== 'seeds');
      pod.spec.volumes = pod.spec.volumes.filter((v: any) => v.name !== 'seeds');
    });
    const report = await check(edited);
    expect(messages(report, 'TK135')).toEqual([]);
    expect(messages(report, 'TK184')).toEqual([expect.stringContaining('CronJob "crm-fast/crm-fast-reset" runs as "crm-fast-reset"')]);
    expect(findings(report, 'TK184').every((f) => f.severity === 'error')).toBe(true);
    // A copy of the golden load under another name, as the reset's service account.
    const dir = editDist(base, freshDir('tk184-copy'), {});
    const file = join(dir, 'k8s', 'dev', 'crm-fast.k8s.yaml');
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
    const copy = JSON.parse(JSON.stringify(docs.find((d: any) => d?.kind === 'CronJob' && d.metadata?.name === 'crm-fast-golden-load')));
    copy.metadata.name = 'crm-fast-golden-load-2';
    copy.spec.jobTemplate.spec.template.spec.containers[0].command[2] = 'psql -c "ALTER DATABASE crm_fast_golden IS_TEMPLATE true"';
    writeFileSync(file, [...docs, copy].map((d) => stringify(d)).join('---\n'));
    rehashManifest(dir);
    expect(messages(await check(dir), 'TK184')).toEqual([expect.stringContaining('CronJob "crm-fast/crm-fast-golden-load-2" runs as "crm-fast-reset"')]);
  });

});
