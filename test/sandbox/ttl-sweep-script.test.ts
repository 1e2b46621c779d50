// The TTL sweep's scripts, read back from the synthesized CronJob, run against stand-ins: a kubectl
// that records what it is asked, and a tiny HTTP server standing in for Vault that holds leases of
// several envs, enforces the sweep token's one-path ACL and revoke-prefix's trailing-slash rule
// (vault/expiration.go revokePrefixCommon). The sweep revokes exactly its own env's leases.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as naming from '../../constructs/naming';
import { DistContents } from '../../policies/dist';
import { synthToDist } from '../support/synth';
import { testTmp } from '../setup/tmpdir';

type Obj = Record<string, any>;
let dist: DistContents;
let sweep: Obj;
const SWEEP_TOKEN = 'hvs.sweep-token-of-crm-alice';

beforeAll(() => {
  dist = synthToDist(undefined, 'sweep-script');
  const env = dist.manifest.appEnvironments.find((e) => e.slug === 'crm-alice')!;
  sweep = dist.kubernetes.map((k) => k.object).find((o) => o.kind === 'CronJob' && o.metadata.name === naming.ttlSweepName(env))!;
});

const envOf = (c: Obj): Record<string, string> => Object.fromEntries(c.env.map((v: Obj) => [v.name, v.value]));
const podSpec = () => sweep.spec.jobTemplate.spec.template.spec;

/** A Vault stand-in: leases by id, one token whose ACL is the sweep policy as synthesized. */
class VaultStandIn {
  leases = new Set<string>();
  requests: { method: string; url: string; token?: string }[] = [];
  status?: number;
  server!: Server;
  constructor(readonly allowedPath: string) {}

  async start(): Promise<string> {
    this.server = createServer((req: IncomingMessage, res) => {
      const token = req.headers['x-vault-token'] as string | undefined;
      this.requests.push({ method: req.method!, url: req.url!, token });
      const path = decodeURIComponent(req.url!.replace(/^\/v1\//, ''));
      if (this.status) { res.writeHead(this.status); res.end('{"errors":["stand-in failure"]}'); return; }
      // ACL: the sweep token may PUT (update) on exactly its one literal path, nothing else.
      if (token !== SWEEP_TOKEN || req.method !== 'PUT' || path !== this.allowedPath) {
        res.writeHead(403); res.end('{"errors":["permission denied"]}'); return;
      }
      let prefix = path.slice('sys/leases/revoke-prefix/'.length);
      if (!prefix.endsWith('/')) prefix += '/';
      for (const id of [...this.leases]) if (id.startsWith(prefix)) this.leases.delete(id);
      res.writeHead(204); res.end();
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

function run(command: string[], env: Record<string, string>, dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, TMPDIR: dir, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function workdir(label: string): string {
  const dir = join(testTmp('sweep'), `${label}-${Date.now()}-${Math.random().toString(16).slice(2)}`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  // kubectl stand-in: records its arguments.
  writeFileSync(join(dir, 'bin', 'kubectl'), `#!/bin/bash\nprintf '%s\\n' "$*" >> "${join(dir, 'kubectl.log')}"\n`);
  chmodSync(join(dir, 'bin', 'kubectl'), 0o755);
  writeFileSync(join(dir, 'token'), SWEEP_TOKEN);
  return dir;
}

const hourFromNow = (sign: 1 | -1) => String(Math.floor(Date.now() / 1000) + sign * 3600);

describe('the TTL sweep against stand-ins', () => {
  let vault: VaultStandIn;
  let address: string;
  const revokePath = 'sys/leases/revoke-prefix/postgres/creds/crm-alice';
  beforeAll(async () => {
    vault = new VaultStandIn(revokePath);
    address = await vault.start();
  });
  afterAll(() => vault.stop());
  const seed = () => {
    vault.leases = new Set(['postgres/creds/crm-alice/a1', 'postgres/creds/crm-alice/b2', 'postgres/creds/crm-alice2/c3',
      'postgres/creds/crm/prod1', 'postgres/creds/crm-dev/d4']);
    vault.requests = [];
    vault.status = undefined;
  };

  it('the CronJob scales down first (kubectl step), then revokes with its own token from the agent, at its one path', () => {
    const [scale, ...moreInit] = podSpec().initContainers;
    const [revoke, ...more] = podSpec().containers;
    expect([moreInit, more]).toEqual([[], []]);
    expect(envOf(scale).TIERKIT_ONLY_WHEN_EXPIRED).toBe('true');
    expect(envOf(revoke)).toMatchObject({ TIERKIT_VAULT_REVOKE_PATH: revokePath, VAULT_ADDR: dist.manifest.estate.vault.address, TIERKIT_VAULT_TOKEN_FILE: '/vault/secrets/token' });
    expect(sweep.spec.jobTemplate.spec.template.metadata.annotations).toMatchObject({
      'vault.hashicorp.com/role': 'crm-alice-ttl-sweep', 'vault.hashicorp.com/agent-inject-token': 'true', 'vault.hashicorp.com/agent-pre-populate-only': 'true',
    });
    expect(Object.keys(sweep.spec.jobTemplate.spec.template.metadata.annotations).filter((k) => k.includes('agent-inject-secret'))).toEqual([]);
  });

  it('after expiry: scales the workload to 0 and revokes exactly crm-alice\'s leases (not crm-alice2\'s, not prod\'s)', async () => {
    seed();
    const dir = workdir('expired');
    const [scale] = podSpec().initContainers;
    const [revoke] = podSpec().containers;
    const past = hourFromNow(-1);
    const s = await run(scale.command, { ...envOf(scale), TIERKIT_EXPIRES_AT_EPOCH: past }, dir);
    expect(s.code, s.stderr).toBe(0);
    expect(readFileSync(join(dir, 'kubectl.log'), 'utf8')).toBe(
      'patch deployment/crm --namespace crm-alice --subresource=scale --type=merge --patch {"spec":{"replicas":0}}\n');
    const r = await run(revoke.command, { ...envOf(revoke), TIERKIT_EXPIRES_AT_EPOCH: past, VAULT_ADDR: address, TIERKIT_VAULT_TOKEN_FILE: join(dir, 'token') }, dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('revoked every lease under postgres/creds/crm-alice');
    expect(vault.requests).toEqual([{ method: 'PUT', url: `/v1/${revokePath}`, token: SWEEP_TOKEN }]);
    expect([...vault.leases].sort()).toEqual(['postgres/creds/crm-alice2/c3', 'postgres/creds/crm-dev/d4', 'postgres/creds/crm/prod1']);
    expect(existsSync(join(dir, 'vault-token-header')), 'the token header file is removed').toBe(false);
  });

  it('before expiry: neither step touches anything', async () => {
    seed();
    const dir = workdir('alive');
    const [scale] = podSpec().initContainers;
    const [revoke] = podSpec().containers;
    const future = hourFromNow(1);
    expect((await run(scale.command, { ...envOf(scale), TIERKIT_EXPIRES_AT_EPOCH: future }, dir)).code).toBe(0);
    const r = await run(revoke.command, { ...envOf(revoke), TIERKIT_EXPIRES_AT_EPOCH: future, VAULT_ADDR: address, TIERKIT_VAULT_TOKEN_FILE: join(dir, 'token') }, dir);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'kubectl.log'))).toBe(false);
    expect(vault.requests).toEqual([]);
    expect(vault.leases.size).toBe(5);
  });

  it.each([
    ['a glob', 'sys/leases/revoke-prefix/postgres/creds/crm*'],
    ['a shorter prefix', 'sys/leases/revoke-prefix/postgres/creds'],
    ['a trailing slash', 'sys/leases/revoke-prefix/postgres/creds/'],
    ['a traversal', 'sys/leases/revoke-prefix/postgres/creds/crm-alice/../../creds'],
    ['another endpoint', 'sys/leases/revoke-force/postgres/creds/crm-alice'],
    ['a query string', 'sys/leases/revoke-prefix/postgres/creds/crm-alice?x=1'],
  ])('a widened revoke path (%s) is refused before any request', async (_what, path) => {
    seed();
    const dir = workdir('refused');
    const [revoke] = podSpec().containers;
    const r = await run(revoke.command, { ...envOf(revoke), TIERKIT_VAULT_REVOKE_PATH: path, TIERKIT_EXPIRES_AT_EPOCH: hourFromNow(-1), VAULT_ADDR: address, TIERKIT_VAULT_TOKEN_FILE: join(dir, 'token') }, dir);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('revoke refused');
    expect(vault.requests).toEqual([]);
  });

  it('acts from the expiry second on, not a second before (a stand-in clock)', async () => {
    const [revoke] = podSpec().containers;
    const expiry = envOf(revoke).TIERKIT_EXPIRES_AT_EPOCH;
    expect(expiry).toBe(String(Date.parse(dist.manifest.appEnvironments.find((e) => e.slug === 'crm-alice')!.sandbox!.expiresAt) / 1000));
    for (const [at, revoked] of [[Number(expiry) - 1, false], [Number(expiry), true]] as const) {
      seed();
      const dir = workdir(`clock-${at}`);
      writeFileSync(join(dir, 'bin', 'date'), `#!/bin/sh\n[ "$*" = "-u +%s" ] && echo ${at}\n`, { mode: 0o755 });
      const r = await run(revoke.command, { ...envOf(revoke), VAULT_ADDR: address, TIERKIT_VAULT_TOKEN_FILE: join(dir, 'token') }, dir);
      expect(r.code, r.stderr).toBe(0);
      expect(vault.requests.length, String(at)).toBe(revoked ? 1 : 0);
    }
  });

  it('a Vault refusal fails the Job (exit 5), so the failure shows', async () => {
    seed();
    vault.status = 403;
    const dir = workdir('denied');
    const [revoke] = podSpec().containers;
    const r = await run(revoke.command, { ...envOf(revoke), TIERKIT_EXPIRES_AT_EPOCH: hourFromNow(-1), VAULT_ADDR: address, TIERKIT_VAULT_TOKEN_FILE: join(dir, 'token') }, dir);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('HTTP 403');
    expect(vault.leases.size).toBe(5);
  });
});
