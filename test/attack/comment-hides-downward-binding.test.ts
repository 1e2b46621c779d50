// attack22: the PR comment (tierkit diff) does not show a reviewer these widenings of reach:
//  (a) diff/reach.ts reads an auth role only for what it ISSUES (token_policies) — never for whom it
//      ADMITS (bound_service_account_namespaces / _names). crm-preprod's auth role rebound to the dev
//      sandbox crm-alice, the CI branch sandbox crm-br-lead-scoring, crm-dev and crm-staging (with a
//      TK008 suppression, which check accepts: see auth-role-binds-lower-tiers.test.ts) renders as
//      "0 items to review first" and, under "5 · Also needs attention", "changed auth role crm-preprod":
//      nothing under "2 · Reach into a stricter tier", the lower-tier namespaces only inside a collapsed
//      <details>.
//  (b) diff/attention-network.ts makes a new NetworkPolicy an item only for an ipBlock or a bare
//      `namespaceSelector` leaf, and reads no other kind: erp-dev gaining `allow-ingress-all`
//      (`ingress: [{}]`: every pod of every tier's namespace) and Service `pg` with externalIPs on
//      prod-pg's and Vault's addresses (service-external-ips.test.ts) renders as "Nothing needs
//      attention: no policy failure, privilege, network, gate or destroy change."
// Secure: (a) is an item of severity 2 naming the lower-tier namespaces; (b) is at least an item
// (the comment never says "no … network … change" over them).
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanDist, env, freshDir, synthDist } from '../policies/helpers';
import { editDist, rehashManifest } from '../policies/rehash';

const ROOT = resolvePath(__dirname, '../..');

function comment(head: string, label: string): string {
  const out = join(head, '..', `${label}-${process.pid}.md`);
  const r = spawnSync(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'cli/main.ts'), 'diff', cleanDist(), head, '--now', '2026-11-22T06:00:00Z', '--output', out], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(out, 'utf8');
}

/** The body of one severity section (`### 2 · …`) of the comment, '' when absent. */
function section(md: string, severity: number): string {
  const m = new RegExp(`### ${severity} · [^\\n]*\\n([\\s\\S]*?)(?=\\n### |\\n<details>|$)`).exec(md);
  return m ? m[1] : '';
}

describe('attack22: the PR comment hides widenings of reach', () => {
  it('(a) a stricter env\'s auth role admitting lower tiers\' namespaces is a "reach into a stricter tier" item', () => {
    const head = synthDist((e) => {
      env(e, 'crm', 'preprod')
        .addSuppression('TK008', 'Release rehearsal harness reads preprod volumes (REL-12)')
        .addEscapeHatch((r) => {
          const lower = ['crm-alice', 'crm-br-lead-scoring', 'crm-dev', 'crm-staging'];
          r.kubernetesAuthRole.boundServiceAccountNamespaces = ['crm-preprod', ...lower];
          r.kubernetesAuthRole.boundServiceAccountNames = ['crm-preprod', ...lower];
        });
    }, 'a22-comment-auth');
    const md = comment(head, 'a22-comment-auth');
    expect(md).toContain('changed auth role'); // the diff sees the change (today: severity 5 only)
    // fix22b: TK008 now refuses the suppression, so the reach item merges into that check failure's
    // line (one resource, one line: docs/pr-flow.md) — severity 1 instead of 2; it must still say reach.
    expect(`${section(md, 1)}\n${section(md, 2)}`).toMatch(/reach into preprod[^\n]*(crm-alice|crm-br-lead-scoring)/);
  }, 180_000);

  it('(b) an ingress-from-everywhere NetworkPolicy and a Service on prod-pg\'s address are items', () => {
    const head = editDist(cleanDist(), freshDir('a22-comment-net'), {});
    const file = join(head, 'k8s', 'dev', 'erp-dev.k8s.yaml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}---
apiVersion: v1
kind: Service
metadata:
  name: pg
  namespace: erp-dev
spec:
  externalIPs:
    - 10.20.5.10
  ports:
    - name: pg
      port: 5432
      targetPort: 8080
  selector:
    tierkit.io/app: erp
    tierkit.io/component: workload
    tierkit.io/env: dev
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-ingress-all
  namespace: erp-dev
spec:
  ingress:
    - {}
  podSelector: {}
  policyTypes:
    - Ingress
`);
    rehashManifest(head);
    const md = comment(head, 'a22-comment-net');
    expect(md).toContain('NetworkPolicy erp-dev/allow-ingress-all'); // listed in the collapsed change list
    expect(md).not.toContain('Nothing needs attention');
    const items = [1, 2, 3, 4, 5].map((s) => section(md, s)).join('\n');
    expect(items).toContain('allow-ingress-all');
    expect(items).toMatch(/erp-dev\/pg|`pg`/);
  }, 180_000);
});
