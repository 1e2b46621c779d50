import { postgresView, upwardServer } from '../graph/postgres';
import { Rule, RuleFinding } from './support/rule';

export const rule: Rule = {
  id: 'TK030',
  name: 'postgres-unmodelled-upward',
  severity: 'error',
  title: 'No PostgreSQL resource, data source or module call tierkit does not model, on a provider that reaches a live-data or stricter server',
  explanation:
    'Every postgresql_* type of the pinned provider (cyrilgdn/postgresql 1.26.0) is modelled with what it can reach. A type '
    + 'tierkit does not know (a newer provider, a typo Terraform would reject later, a fork) runs SQL as the provider\'s admin '
    + 'login with effects no rule judged. Where that login reaches a server holding live data or a stricter tier than the '
    + "stack's own — or a server tierkit cannot resolve — not knowing is refused, not passed. A `module` call inherits the "
    + "stack's provider implicitly and holds resources dist/ does not show: the same unknown.",
  fix: 'Remove the resource, or pin the provider tierkit models and use its modelled types (docs/policies.md lists them).',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const it of postgresView(g).items) {
      if (it.modelled) continue;
      const upward = upwardServer(g, it.stack, it.target);
      if (!upward) continue;
      out.push({
        env: it.stack.env, source: it.source,
        message: `${it.address} in stack ${it.stack.name} is a ${it.kind === 'data' ? 'data source' : 'resource'} type tierkit does not model, and ${upward}`,
      });
    }
    for (const mod of postgresView(g).modules) {
      const upward = upwardServer(g, mod.stack, mod.target);
      if (!upward) continue;
      if (mod.kind === 'import') {
        out.push({
          env: mod.stack.env, source: mod.source,
          message: `${mod.name} in stack ${mod.stack.name} adopts an existing object into the stack's state (its plans then alter it, its teardown drops it), and ${upward}`,
          fix: 'Remove the import block: a stack creates only its own env\'s objects (tierkit writes no import).',
        });
        continue;
      }
      out.push({
        env: mod.stack.env, source: mod.source,
        message: `module "${mod.name}" in stack ${mod.stack.name} inherits the stack's postgresql provider and its resources are not in dist/, and ${upward}`,
        fix: 'Write the resources in the stack itself (tierkit judges only what dist/ holds), or remove the module call.',
      });
    }
    return out;
  },
};
