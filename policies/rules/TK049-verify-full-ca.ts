import { createHash } from 'node:crypto';
import { EstateGraph } from '../graph/types';
import { Rule, RuleFinding, describeEnv } from './support/rule';

export const rule: Rule = {
  id: 'TK049',
  name: 'verify-full-ca',
  severity: 'error',
  title: 'A Vault connection to a server that declares verify-full carries the server\'s declared CA (tls_ca)',
  explanation:
    'sslmode=verify-full authenticates the server only against a CA the client holds: Vault\'s connection without tls_ca '
    + 'verifies against whatever roots the Vault host trusts (or fails), and one with another CA trusts whoever that CA '
    + 'certifies — an impostor on the path then receives the connection user\'s password, and every credential Vault '
    + 'creates there. The manifest records the sha256 of the CA the server declares; the connection must carry exactly it.',
  fix: 'Keep the tls_ca tierkit writes from PostgresServer.caCertificatePem; change the CA there, never in the stack.',
  suppressible: true,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    for (const c of g.vaultConnections) {
      const env = c.stack.env;
      const server = env?.server === undefined ? undefined : g.servers.get(env.server);
      if (!server || server.sslMode !== 'verify-full') continue;
      const reaches = [{ tier: server.gatingTier ?? 'prod', what: `server ${server.id}'s connection user` }];
      const where = `${describeEnv(env)}: Vault connection "${c.name}" to ${server.id} (verify-full)`;
      if (typeof c.tlsCa !== 'string' || c.tlsCa === '') {
        out.push({ env, reaches, source: c.source, message: `${where} carries no tls_ca${c.tlsCa === undefined ? '' : ` (${JSON.stringify(c.tlsCa)})`}` });
        continue;
      }
      const sha = createHash('sha256').update(c.tlsCa).digest('hex');
      if (server.caCertificateSha256 === undefined || sha !== server.caCertificateSha256) {
        out.push({ env, reaches, source: c.source,
          message: `${where} carries a tls_ca (sha256 ${sha.slice(0, 12)}…) that is not the CA the server declares (${server.caCertificateSha256 ? `sha256 ${server.caCertificateSha256.slice(0, 12)}…` : 'none'})` });
      }
    }
    return out;
  },
};
