import { createHash } from 'node:crypto';
import { EstateGraph } from '../graph/types';
import { isUnknown } from '../../contract/terraform/unknown';
import { pgCaFile } from '../../contract/pg-ca';
import { isLiveTier } from '../../contract/tiers';
import { Rule, RuleFinding } from './support/rule';

export const rule: Rule = {
  id: 'TK061',
  name: 'live-server-verify-full',
  severity: 'error',
  title: 'A server holding live data is declared verify-full with its CA, and every stack\'s provider checks it against that CA',
  explanation:
    'With sslmode require, libpq encrypts to whoever answers at the server\'s address: an impostor on the path receives the '
    + 'admin credential of CI\'s provider and the Vault connection user\'s password, then every credential made there. '
    + 'verify-full checks the certificate against a CA the client holds: for CI\'s provider, the file its sslrootcert names, '
    + 'which the plan and apply jobs write from the manifest\'s PEM (refused unless its sha256 is the one recorded). '
    + 'Without sslrootcert the provider trusts its host\'s roots.',
  fix: 'Declare the server with sslMode: "verify-full" and caCertificatePem; keep the provider\'s sslrootcert tierkit writes.',
  suppressible: false,
  evaluate(g: EstateGraph) {
    const out: RuleFinding[] = [];
    const live = (t: string | undefined) => t !== undefined && isLiveTier(g.tiers, t);
    for (const s of g.servers.values()) {
      // Live by any account: its declared tiers, its gate, or a live env the manifest places on it
      // (a hand-edited server entry that drops prod from its tiers still hosts prod's env).
      const holdsLive = s.tiers.some(live) || live(s.gatingTier) || g.envs.some((e) => e.server === s.id && live(e.tier));
      const source = { file: 'manifest.json', pointer: '/servers' };
      if (holdsLive && (s.sslMode !== 'verify-full' || typeof s.caCertificateSha256 !== 'string')) {
        out.push({ source, message: `server ${s.id} holds live data but is declared sslMode ${JSON.stringify(s.sslMode ?? null)}${typeof s.caCertificateSha256 === 'string' ? '' : ' with no CA'}, not verify-full with its CA` });
      }
      if (s.sslMode === 'verify-full' && s.caCertificatePem !== undefined
        && (typeof s.caCertificatePem !== 'string' || createHash('sha256').update(s.caCertificatePem).digest('hex') !== s.caCertificateSha256)) {
        out.push({ source, message: `server ${s.id}: the CA PEM the manifest gives CI is not the one whose sha256 it records` });
      }
    }
    for (const stack of g.stacks) {
      const server = stack.manifest?.server === undefined ? undefined : g.servers.get(stack.manifest.server);
      if (!server || server.sslMode !== 'verify-full') continue;
      (stack.providers.postgresql ?? []).forEach((b, i) => {
        const want = pgCaFile(server.id);
        if (b.sslrootcert === want) return;
        const pointer = Array.isArray(stack.json.provider?.postgresql) ? `/provider/postgresql/${i}/sslrootcert` : '/provider/postgresql/sslrootcert';
        out.push({
          env: stack.env, source: { file: stack.file, pointer, constructPath: stack.env?.constructPath ?? stack.manifest?.constructPath },
          reaches: [{ tier: server.gatingTier ?? 'prod', what: `server ${server.id}'s admin credential` }],
          message: `stack ${stack.name}: provider block ${i} checks server ${server.id} against ${isUnknown(b.sslrootcert) || b.sslrootcert === undefined ? 'no CA file of its own' : JSON.stringify(b.sslrootcert)}, not the CA CI writes at ${want}`,
        });
      });
    }
    return out;
  },
};
