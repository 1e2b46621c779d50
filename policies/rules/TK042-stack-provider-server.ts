import { serverAt } from '../../contract/hosts';
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

export const rule: Rule = {
  id: 'TK042',
  name: 'stack-provider-server',
  severity: 'error',
  title: 'A stack\'s PostgreSQL provider logs in to the server the manifest gives the stack, under any spelling of its name, with its declared sslmode',
  explanation:
    'The manifest says which server a stack applies to; CI picks the apply gate and the admin credential from it, and every '
    + 'rule judges the stack\'s roles and grants on that server. A provider block whose host is another server — or a '
    + 'spelling tierkit cannot map to one (an address, a CNAME) — applies somewhere the gate and the rules never looked. '
    + 'Host names compare as DNS does: case-insensitive, a trailing dot the same name; a port must match too.',
  fix: 'Keep the provider\'s host and port those of the stack\'s server (PostgresServer.host/port); move the env to that server instead of editing the provider.',
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
