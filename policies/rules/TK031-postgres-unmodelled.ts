import { postgresView, upwardServer } from '../graph/postgres';
import { Rule, RuleFinding } from './support/rule';

export const rule: Rule = {
  id: 'TK031',
  name: 'postgres-unmodelled',
  severity: 'warning',
  title: 'A PostgreSQL resource or data source tierkit does not model, on a server of the stack\'s own tier or lower',
  explanation:
    'The same unknown as TK030, where the provider\'s server holds no live data and no tier stricter than the stack\'s own: '
    + 'the reach is bounded by the server, so it is a warning a reviewer must read (and may suppress with a reason), '
    + 'never a silent pass.',
  fix: 'Remove the resource, or use the provider\'s modelled types (docs/policies.md lists them).',
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const it of postgresView(g).items) {
      if (it.modelled || upwardServer(g, it.stack, it.target)) continue;
      out.push({
        env: it.stack.env, source: it.source,
        message: `${it.address} in stack ${it.stack.name} is a ${it.kind === 'data' ? 'data source' : 'resource'} type tierkit does not model (server ${it.target.server}): its SQL is unjudged`,
      });
    }
    for (const mod of postgresView(g).modules) {
      if (upwardServer(g, mod.stack, mod.target)) continue;
      out.push({
        env: mod.stack.env, source: mod.source,
        message: mod.kind === 'import'
          ? `${mod.name} in stack ${mod.stack.name} adopts an existing object on server ${mod.target.server} into the stack's state: which object is unjudged`
          : `module "${mod.name}" in stack ${mod.stack.name} inherits the stack's postgresql provider (server ${mod.target.server}); its resources are not in dist/ and go unjudged`,
      });
    }
    return out;
  },
};
