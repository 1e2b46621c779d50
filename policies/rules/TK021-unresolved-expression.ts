import { PROVIDER_CREDENTIALS, SECRET_INPUTS, isUnknown, providerOfType, unknownsIn } from '../../contract';
import type { TerraformResource } from '../../contract';
import type { Stack } from '../graph/types';
import { Rule, RuleFinding } from './rule';
import { strictReach } from './stack-reach';

/** Meta-arguments Terraform does not read as values (their references are ordering, not reach). */
const META = new Set(['//', 'depends_on', 'lifecycle', 'provider']);
const MODELLED_PROVIDERS = new Set(['postgresql', 'vault']);

function reachRelevant(pointer: string, allowed: ReadonlySet<string>): boolean {
  const segments = pointer.split('/').slice(1);
  return !META.has(segments[0]) && !segments.some((s) => allowed.has(s));
}

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
    + 'given at apply time on purpose (passwords, write-only secrets) may be unknown. A finding on a stack whose provider '
    + 'reaches a live-data or stricter server, or on any Vault resource, cannot be suppressed.',
  fix: 'Write the value as a literal (or a reference to another resource of the stack), as `tierkit synth` does; use a variable only for a secret.',
  suppressible: true,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const byName = new Map(g.stacks.map((s) => [s.name, s]));
    const report = (stack: Stack | undefined, r: TerraformResource | undefined, file: string, pointer: string, what: string, text: string, reason: string, vault: boolean) => {
      out.push({
        env: stack?.env, source: { file, pointer, resourcePath: r?.constructPath, constructPath: stack?.env?.constructPath ?? stack?.manifest?.constructPath },
        message: `${what} is ${JSON.stringify(text)}, which tierkit cannot resolve (${reason})${stack ? ` in stack ${stack.name}` : ''}: it cannot be proven to stay within its env`,
        unsuppressible: stack ? strictReach(g, stack, vault) : 'it is in no stack tierkit knows',
      });
    };
    for (const r of [...g.resources, ...g.dataSources]) {
      const provider = providerOfType(r.type);
      if (!MODELLED_PROVIDERS.has(provider)) continue; // TK022 refuses the whole block
      const stack = byName.get(r.stack);
      const label = `${r.kind === 'data' ? 'data source' : 'resource'} ${r.address}`;
      if (isUnknown(r.key)) report(stack, r, r.file, r.pointer, `the ${'count' in r.raw ? 'count' : 'for_each'} of ${label}`, r.key.expression, r.key.reason, provider === 'vault');
      for (const u of unknownsIn(r.attributes)) {
        if (!reachRelevant(u.pointer, SECRET_INPUTS)) continue;
        report(stack, r, r.file, `${r.pointer}${u.pointer}`, `${u.pointer.slice(1).replace(/\//g, '.')} of ${label}`, u.unknown.expression, u.unknown.reason, provider === 'vault');
      }
    }
    for (const s of g.stacks) {
      for (const [name, blocks] of Object.entries(s.providers)) {
        if (!MODELLED_PROVIDERS.has(name)) continue;
        blocks.forEach((b, i) => {
          const at = Array.isArray(s.json.provider?.[name]) ? `/provider/${name}/${i}` : `/provider/${name}`;
          for (const u of unknownsIn(b)) {
            if (!reachRelevant(u.pointer, PROVIDER_CREDENTIALS)) continue;
            report(s, undefined, s.file, `${at}${u.pointer}`, `${u.pointer.slice(1).replace(/\//g, '.')} of the ${name} provider`, u.unknown.expression, u.unknown.reason, name === 'vault');
          }
        });
      }
    }
    return out;
  },
};
