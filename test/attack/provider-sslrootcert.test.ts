// attack6b: verify-full on a live server protects the Vault connection (TK049: tls_ca must be the
// declared CA) but not the stack's own postgresql provider, which logs in with the server's ADMIN
// credential (prod-pg: a superuser). TK042 holds its host, port and sslmode, never `sslrootcert`:
// an escape hatch (or a hand edit) pointing it at the runner's system bundle, at a CA file the PR
// commits, or dropping it, passes `check`. The apply job still writes /tmp/tierkit-pg-ca/prod-pg.pem,
// but the provider no longer reads it: an impostor on the path (DNS, ARP, proxy) holding a cert from
// any CA the provider now trusts receives the prod superuser's password.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, env, synthDist } from '../policies/helpers';

const unsuppressedErrors = (r: Awaited<ReturnType<typeof check>>) => r.findings.filter((f) => f.severity === 'error' && !f.suppressed);

describe("attack6b: the admin provider's sslrootcert on a verify-full live server", () => {
  const cases: Record<string, string | null> = {
    'the runner\'s system CA bundle': '/etc/ssl/certs/ca-certificates.crt',
    'a CA file the pull request commits': '/home/runner/work/estate/estate/apps/erp-ca.pem',
    'another server\'s CA file': '/tmp/tierkit-pg-ca/nonprod-pg.pem',
    'nothing (removed)': null,
  };
  for (const [what, path] of Object.entries(cases)) {
    for (const [app, name] of [['erp', 'prod'], ['erp', 'sandbox']] as const) {
      it(`refuses ${app}-${name}'s provider to prod-pg trusting ${what}`, async () => {
        const dir = synthDist((e) => {
          env(e, app, name).addEscapeHatch((r) => {
            if (path === null) r.stack.addOverride('provider.postgresql.0.sslrootcert', null);
            else r.stack.addOverride('provider.postgresql.0.sslrootcert', path);
          });
        }, 'attack6b-sslrootcert');
        const provider = JSON.parse(readFileSync(join(dir, 'terraform', `${app}-${name}`.replace(/-prod$/, ''), 'cdk.tf.json'), 'utf8')).provider.postgresql[0];
        expect(provider.sslmode).toBe('verify-full'); // the reviewer sees verify-full
        expect(provider.sslrootcert ?? null).toBe(path); // the escape hatch took effect
        const report = await check(dir);
        expect(unsuppressedErrors(report).map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
      }, 120_000);
    }
  }
});
