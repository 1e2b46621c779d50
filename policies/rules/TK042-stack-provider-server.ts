import { serverAt } from '../../contract/hosts';
import { pgCaFile } from '../../contract/pg-ca';
import { isUnknown } from '../../contract/terraform/unknown';
import { EstateGraph } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';

/** A port as Terraform reads it: a whole number, or a string of digits; anything else is not one. */
function portOf(v: unknown): number | undefined {
  if (v === undefined || v === null) return 5432;
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** libpq's sslmode values, weakest first (an absent sslmode is the provider's default, not a declared one). */
const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'];

/**
 * What tierkit's provider block holds (constructs/synth/app-environment-stack.ts, postgresProvider);
 * `sslrootcert` only on a verify-full server. Anything else changes where or how the admin logs in —
 * `scheme` (awspostgres/gcppostgres dial through a cloud SDK), `sslcert`/`sslkey`/`clientcert` (a
 * client identity from a file the PR may commit), `alias`, the proxy/timeouts — and is refused.
 */
const WRITTEN = ['expected_version', 'host', 'password', 'port', 'sslmode', 'superuser', 'username'];

/** Problems with the block's other attributes, the CA above all (host, port and sslmode are checked by the caller). */
function attributeProblems(b: Readonly<Record<string, unknown>>, serverId: string, verifyFull: boolean): { attr: string; why: string }[] {
  const out: { attr: string; why: string }[] = [];
  if (verifyFull) {
    // verify-full authenticates the server only against the CA the client holds: it must be the one
    // the apply job writes from the manifest (sha256-checked), nothing the runner or the PR supplies.
    const want = pgCaFile(serverId);
    if (b.sslrootcert !== want) {
      out.push({ attr: 'sslrootcert', why: `sslrootcert ${JSON.stringify(b.sslrootcert ?? null)}, not ${JSON.stringify(want)} (the file CI writes from the server's declared CA): whoever that CA certifies — or, without one, any CA the runner trusts — receives the admin credential` });
    }
  }
  for (const k of Object.keys(b).sort()) {
    if (WRITTEN.includes(k) || (verifyFull && k === 'sslrootcert')) continue;
    if (k === 'scheme' && b.scheme === 'postgres') continue; // the provider's default, spelled out
    out.push({ attr: k, why: `attribute ${k} = ${JSON.stringify(b[k])}, which tierkit never writes (${k === 'scheme' ? 'only scheme "postgres" dials the declared host itself' : k === 'sslrootcert' ? 'the server does not declare verify-full' : 'it changes how the admin credential logs in, and no rule models it'})` });
  }
  return out;
}

export const rule: Rule = {
  id: 'TK042',
  name: 'stack-provider-server',
  severity: 'error',
  title: 'A stack\'s PostgreSQL provider logs in to the server the manifest gives the stack, under any spelling of its name, with its declared sslmode',
  explanation:
    'The manifest says which server a stack applies to; CI picks the apply gate and the admin credential from it, and every '
    + 'rule judges the stack\'s roles and grants on that server. A provider block whose host is another server — or a '
    + 'spelling tierkit cannot map to one (an address, a CNAME) — applies somewhere the gate and the rules never looked. '
    + 'Host names compare as DNS does: case-insensitive, a trailing dot the same name; a port must match too. The admin '
    + 'credential crosses the connection: on a verify-full server sslrootcert must be the CA file CI writes from the '
    + 'server\'s declared CA, and the block holds no attribute tierkit does not write (scheme, client certificates, ...).',
  fix: 'Keep the provider block tierkit writes: host and port those of the stack\'s server (PostgresServer.host/port), its sslmode and, '
    + 'on a verify-full server, sslrootcert the CA file CI writes (contract/pg-ca.ts); move the env to another server instead of editing the provider.',
  suppressible: false,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    for (const stack of g.stacks) {
      if (!stack.listed || !stack.manifest?.server) continue;
      const own = g.servers.get(stack.manifest.server);
      const blocks = stack.providers.postgresql ?? [];
      if (!own) {
        out.push({ env: stack.env, source: { file: stack.file, pointer: '/provider/postgresql', constructPath: stack.manifest.constructPath },
          message: `stack ${stack.name}: the manifest names server "${stack.manifest.server}", which it does not declare` });
        continue;
      }
      blocks.forEach((b, i) => {
        const pointer = Array.isArray(stack.json.provider?.postgresql) ? `/provider/postgresql/${i}` : '/provider/postgresql';
        const source = { file: stack.file, pointer, constructPath: stack.env?.constructPath ?? stack.manifest?.constructPath };
        const host = typeof b.host === 'string' && !isUnknown(b.host) ? b.host : undefined;
        const port = portOf(b.port);
        const at = port === undefined ? undefined : serverAt(g.servers.values(), host, port);
        if (at?.id === own.id) {
          // The admin's password crosses this connection: no weaker TLS than the server declares.
          const want = own.sslMode ?? 'require';
          const mode = typeof b.sslmode === 'string' && !isUnknown(b.sslmode) ? b.sslmode : undefined;
          if (mode === undefined || !SSL_MODES.includes(mode) || SSL_MODES.indexOf(mode) < SSL_MODES.indexOf(want)) {
            out.push({ env: stack.env, source: { ...source, pointer: `${pointer}/sslmode` },
              message: `stack ${stack.name}: provider block ${i} logs in to server ${own.id} with sslmode ${JSON.stringify(b.sslmode ?? null)}, weaker than (or not) its declared "${want}": the admin credential crosses it` });
          }
          for (const p of attributeProblems(b, own.id, own.sslMode === 'verify-full')) {
            out.push({ env: stack.env, source: { ...source, pointer: `${pointer}/${p.attr}` },
              message: `stack ${stack.name}: provider block ${i} logs in to server ${own.id} with ${p.why}` });
          }
          return;
        }
        const said = `${JSON.stringify(host ?? b.host ?? null)}:${JSON.stringify(b.port ?? 5432)}`;
        out.push({
          env: stack.env, source,
          message: at
            ? `stack ${stack.name}: provider block ${i} logs in to ${said}, server ${at.id} (tiers ${at.tiers.join(', ')}), not the stack's server ${own.id}`
            : `stack ${stack.name}: provider block ${i} logs in to ${said}, which is no spelling of a declared server (its own is ${own.host}:${own.port}): it could be any server, prod's included`,
        });
      });
    }
    return out;
  },
};
