import { Rule, RuleFinding } from './support/rule';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|::1|\[::1\])$/i;

export const rule: Rule = {
  id: 'TK009',
  name: 'superuser-provider-gate',
  severity: 'error',
  title: 'A superuser-capable Postgres provider appears only in human-gated stacks',
  explanation:
    "The provider's credential can do anything on its server, prod included when the server holds prod. A stack "
    + 'that applies automatically hands that credential to a standing CI identity of a lower tier. Note the provider\'s '
    + '`superuser` defaults to true: leaving it out is superuser. One case is exempt and listed in the report: a '
    + 'loopback host in a stack whose gate is `none` (applied by a developer on their own machine; no CI credential exists).',
  fix: 'Gate the stack like the strictest tier on its server (a human approval), or use a managed, non-superuser admin (`superuser = false`).',
  suppressible: false,
  evaluate(g, ctx) {
    const out: RuleFinding[] = [];
    for (const s of g.stacks) {
      for (const p of s.postgresProviders) {
        if (!p.superuser || s.humanGate) continue;
        if (s.listed && s.applyGate === 'none' && p.host !== undefined && LOOPBACK.test(p.host)) {
          ctx.exempt({
            subject: `stack ${s.name}: superuser provider on ${p.host}`, source: p.source, env: s.env,
            reason: 'loopback host applied by a developer on their own machine (apply gate "none"): no standing CI credential reaches it',
          });
          continue;
        }
        out.push({
          env: s.env, source: p.source,
          message: `stack "${s.name}" configures a superuser${p.host ? ` provider for ${p.host}` : ' provider'} but applies ${s.listed ? `with gate "${s.applyGate ?? 'unknown'}"` : 'outside the manifest (no gate at all)'}`,
        });
      }
    }
    return out;
  },
};
