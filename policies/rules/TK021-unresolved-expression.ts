import { unresolvedIn } from '../../contract';
import type { TerraformResource } from '../../contract';
import { Rule, RuleFinding } from './support/rule';
import { strictReach } from './support/stack-reach';

export const rule: Rule = {
  id: 'TK021',
  name: 'unresolved-expression',
  severity: 'error',
  title: 'Every argument that can decide reach resolves to a literal',
  explanation:
    'tierkit evaluates what a stack computes on its own — references, locals, variables with defaults, the common '
    + 'functions, %{if}/%{for} directives, count and for_each — and judges the result. What it cannot compute (a variable '
    + 'without a default, a data source, a computed attribute, a function or syntax outside its subset) could be any role, '
    + 'grant, owner, database, Vault path or policy, bound claim or provider host, so it cannot be proven safe. Only values '
    + 'given at apply time on purpose (passwords, write-only secrets, the provider login) may be unknown. A finding on a '
    + 'stack whose provider reaches a live-data or stricter server, or on any Vault block, cannot be suppressed.',
  fix: 'Write the value as a literal (or a reference to another resource of the stack), as `tierkit synth` does; use a variable only for a secret.',
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const blocks = new Map(g.stacks.map((s) => [s.name, { resources: [] as TerraformResource[], dataSources: [] as TerraformResource[] }]));
    for (const r of g.resources) blocks.get(r.stack)?.resources.push(r);
    for (const r of g.dataSources) blocks.get(r.stack)?.dataSources.push(r);
    for (const s of g.stacks) {
      const b = blocks.get(s.name)!;
      for (const u of unresolvedIn({ name: s.name, file: s.file, json: s.json, providers: s.providers, resources: b.resources, dataSources: b.dataSources })) {
        out.push({
          env: s.env,
          source: { file: u.file, pointer: u.pointer, resourcePath: u.resource?.constructPath, constructPath: s.env?.constructPath ?? s.manifest?.constructPath },
          message: `stack ${s.name}: ${u.what} is ${JSON.stringify(u.unknown.expression)}, which tierkit cannot resolve (${u.unknown.reason}): it cannot be proven to stay within its env`,
          unsuppressible: strictReach(g, s, u.provider === 'vault'),
        });
      }
    }
    return out;
  },
};
