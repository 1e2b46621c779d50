// attack7: TK137 holds a template reset to a sandbox of a non-live tier, but never asks which server
// the sandbox sits on. A sandbox may name the prod server (validation: "if it must sit on the prod
// server, give it server: <prod server>"), so `reset: SandboxReset.TEMPLATE` there puts a lower
// tier's NOLOGIN CREATEDB role on the server holding live data: check passes with 0 errors. CREATEDB
// cannot be scoped by name (docs/sandboxes.md, section 9): its holder creates databases without bound
// on prod's server (disk, catalog, connection slots) and clones any database marked a template there.
// Previews refuse exactly this server ("a server that also holds live data (defence in depth)").
import { describe, expect, it } from 'vitest';
import { type PostgresServer, Sandbox, SandboxKind, SandboxReset, Tier, type Estate } from '../../constructs';
import { check, synthDist } from '../policies/helpers';

describe('attack7: a template-reset sandbox on the server holding live data', () => {
  it('refuses the CREATEDB template role on prod-pg (a dev sandbox that names the prod server)', async () => {
    let dir: string;
    try {
      dir = synthDist((e: Estate) => {
        const crm = e.node.tryFindChild('crm') as ConstructorParameters<typeof Sandbox>[0];
        const prod = e.servers.find((s: PostgresServer) => s.serverId === 'prod-pg')!;
        new Sandbox(crm, 'fast', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2026-11-21', ttlHours: 72, reset: SandboxReset.TEMPLATE, server: prod });
      }, 'attack7-template-live-server');
    } catch {
      return; // refused at synth: secure
    }
    const report = await check(dir);
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).toEqual(expect.arrayContaining([expect.stringMatching(/crm-fast|crm_fast_template/)]));
  }, 120_000);
});
