import { createHash } from 'node:crypto';
import { serverAt } from '../../contract/hosts';
import { POD_PG_CA_FILE } from '../../contract/pg-ca';
import { EstateGraph } from '../graph/types';
import { podTemplates, templatePointer } from './support/pod-templates';
import { Rule, RuleFinding, describeEnv } from './support/rule';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * A lifecycle pod's libpq connection (PGHOST/PGPORT in its env) to a verify-full server: libpq trusts
 * what PGSSLROOTCERT names, else ~/.postgresql/root.crt. tierkit writes the declared CA (base64) and
 * the file the pod's shell functions write it to (constructs/lifecycle/scripts.ts); any other value,
 * or one from `valueFrom` (not readable here), is a finding.
 */
function podProblems(g: EstateGraph): RuleFinding[] {
  const out: RuleFinding[] = [];
  for (const t of podTemplates(g).templates) {
    const spec = t.template.spec ?? {};
    for (const list of ['initContainers', 'containers'] as const) {
      (Array.isArray(spec[list]) ? spec[list] : []).forEach((c: any, i: number) => {
        const vars = new Map<string, { value?: unknown; from: boolean; at: number }>();
        (Array.isArray(c?.env) ? c.env : []).forEach((e: any, j: number) => { if (typeof e?.name === 'string') vars.set(e.name, { value: e.value, from: e.valueFrom !== undefined, at: j }); });
        const hostVar = vars.get('PGHOST');
        if (hostVar === undefined) return;
        const host = hostVar.from ? undefined : hostVar.value;
        const portVar = vars.get('PGPORT');
        const portText = portVar === undefined ? '5432' : portVar.from ? undefined : portVar.value;
        const server = typeof host === 'string' && typeof portText === 'string' && /^\d+$/.test(portText) ? serverAt(g.servers.values(), host, Number(portText)) : undefined;
        const env = t.object.namespace ? g.index.byNamespace.get(t.object.namespace) : undefined;
        if (!server) {
          // An address or a valueFrom may still reach a verify-full server (its egress allows the IP): fail closed.
          out.push({ env, source: templatePointer(t, `/spec/${list}/${i}/env/${hostVar.at}`),
            message: `${describeEnv(env)}: ${t.object.kind} ${t.object.namespace}/${t.object.name} container "${c.name}" connects to PGHOST ${hostVar.from ? '(valueFrom)' : JSON.stringify(host ?? null)}:${JSON.stringify(portText ?? '(valueFrom)')}, no spelling of a declared server: whether it must verify the server cannot be told` });
          return;
        }
        if (server.sslMode !== 'verify-full') return;
        const where = `${describeEnv(env)}: ${t.object.kind} ${t.object.namespace}/${t.object.name} container "${c.name}" connects to ${server.id} (verify-full)`;
        const reaches = [{ tier: server.gatingTier ?? 'prod', what: `server ${server.id}'s credentials the pod holds` }];
        const push = (name: string, why: string) => {
          const v = vars.get(name);
          out.push({ env, reaches, source: templatePointer(t, `/spec/${list}/${i}/env${v ? `/${v.at}` : ''}`), message: `${where} ${why}` });
        };
        const mode = vars.get('PGSSLMODE');
        if (mode?.from || mode?.value !== 'verify-full') push('PGSSLMODE', `with PGSSLMODE ${mode?.from ? 'from valueFrom' : JSON.stringify(mode?.value ?? null)}, not verify-full`);
        const file = vars.get('PGSSLROOTCERT');
        if (file?.from || file?.value !== POD_PG_CA_FILE) push('PGSSLROOTCERT', `with PGSSLROOTCERT ${file?.from ? 'from valueFrom' : JSON.stringify(file?.value ?? null)}, not ${POD_PG_CA_FILE} (where its scripts write the declared CA): libpq trusts another file, or ~/.postgresql/root.crt`);
        const ca = vars.get('TIERKIT_PG_CA_BASE64');
        const text = typeof ca?.value === 'string' && !ca.from ? Buffer.from(ca.value, 'base64').toString('utf8') : undefined;
        if (text === undefined || server.caCertificateSha256 === undefined || sha256(text) !== server.caCertificateSha256) {
          push('TIERKIT_PG_CA_BASE64', `carries ${text === undefined ? 'no readable CA (TIERKIT_PG_CA_BASE64)' : `a CA (sha256 ${sha256(text).slice(0, 12)}…)`} that is not the CA the server declares`);
        }
      });
    }
  }
  return out;
}

export const rule: Rule = {
  id: 'TK049',
  name: 'verify-full-ca',
  severity: 'error',
  title: 'A Vault connection (tls_ca) or a lifecycle pod (PGSSLROOTCERT) to a server that declares verify-full trusts the server\'s declared CA',
  explanation:
    'sslmode=verify-full authenticates the server only against a CA the client holds: Vault\'s connection without tls_ca '
    + 'verifies against whatever roots the Vault host trusts (or fails), and one with another CA trusts whoever that CA '
    + 'certifies — an impostor on the path then receives the connection user\'s password, and every credential Vault '
    + 'creates there. The manifest records the sha256 of the CA the server declares; the connection must carry exactly it. '
    + 'A lifecycle pod (golden dump, reset) connecting with libpq trusts PGSSLROOTCERT, else ~/.postgresql/root.crt: it must '
    + 'point at the file its scripts write from TIERKIT_PG_CA_BASE64, and that must be the declared CA.',
  fix: 'Keep the tls_ca and the pods\' PGSSLROOTCERT/TIERKIT_PG_CA_BASE64 tierkit writes from PostgresServer.caCertificatePem; change the CA there, never in the stack or the manifests.',
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
    out.push(...podProblems(g));
    return out;
  },
};
