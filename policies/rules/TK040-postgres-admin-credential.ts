import { referencesIn } from '../../contract';
import type { Source } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';

/** The text of a reference to the admin credential's variables (`var.pg_admin_x`, `var["pg_admin_x"]`), also outside `${…}`. */
const ADMIN_VAR = /\bvar\s*(?:\.\s*|\[\s*"?\s*)pg_admin_/;
const ADMIN_PREFIX = 'pg_admin_';

/**
 * Why a string may use the admin credential, or undefined. References are found with the expression
 * parser: HCL allows comments and newlines inside a traversal (`var./*x*\/pg_admin_password`), which
 * no regex over the text follows. A template the parser refuses that mentions `var` cannot be cleared.
 */
function adminUse(v: string): string | undefined {
  if (v.includes(ADMIN_PREFIX) && ADMIN_VAR.test(v)) return 'uses';
  if (!v.includes('var') || (!v.includes('${') && !v.includes('%{'))) return undefined;
  const r = referencesIn(v);
  if (typeof r === 'string') return `may use (tierkit cannot parse the expression: ${r})`;
  if (r.refs.some((x) => x.root === 'var' && x.name.startsWith(ADMIN_PREFIX))) return 'uses';
  if (r.dynamic.includes('var')) return 'may use (a variable chosen by an expression)';
  return undefined;
}
/** The two provider arguments the admin credential exists for. */
const PROVIDER_CREDENTIAL = new Set(['username', 'password']);

function pointerSegment(s: string | number): string {
  return String(s).replace(/~/g, '~0').replace(/\//g, '~1');
}

export const rule: Rule = {
  id: 'TK040',
  name: 'postgres-admin-credential',
  severity: 'error',
  title: "The Postgres admin credential (var.pg_admin_*) is used only as the postgresql provider's username and password",
  explanation:
    'The admin credential can do anything on its server, prod included. Used anywhere else — a KV secret\'s data or '
    + 'data_json_wo, a user mapping\'s or subscription\'s password, a Vault connection URL, an output, a local, another '
    + "provider, the provider's own host (a DNS lookup carries it out) — it lands where a lower tier's credential or a "
    + 'reader of state or Vault can take it.',
  fix: 'Use var.pg_admin_* only as `username` / `password` of the postgresql provider block; give every other consumer its own per-env credential.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const stack of g.stacks) {
      const constructPath = stack.env?.constructPath ?? stack.manifest?.constructPath;
      // One mutable path (pushed and popped), a pointer built only on a hit: this walks every stack.
      const path: (string | number)[] = [];
      const visit = (v: unknown) => {
        if (typeof v === 'string') {
          if (!v.includes('var')) return;
          const inProvider = path[0] === 'provider' && path[1] === 'postgresql';
          const allowed = inProvider && PROVIDER_CREDENTIAL.has(String(path[path.length - 1]))
            && (path.length === 3 || (path.length === 4 && typeof path[2] === 'number'));
          if (allowed) return;
          const how = adminUse(v);
          if (!how) return;
          const source: Source = { file: stack.file, pointer: `/${path.map(pointerSegment).join('/')}`, constructPath };
          out.push({ env: stack.env, source, message: `stack ${stack.name} ${how} the Postgres admin credential at /${path.join('/')} (${JSON.stringify(v).slice(0, 100)}), outside the postgresql provider's username/password` });
          return;
        }
        if (Array.isArray(v)) {
          for (let i = 0; i < v.length; i++) { path.push(i); visit(v[i]); path.pop(); }
        } else if (v && typeof v === 'object') {
          for (const k of Object.keys(v)) {
            // Declaring the variables is not using them; cdktf's metadata is not configuration.
            if (path.length === 1 && path[0] === 'variable' && k.startsWith('pg_admin_')) continue;
            if (path.length === 0 && k === '//') continue;
            path.push(k); visit((v as Record<string, unknown>)[k]); path.pop();
          }
        }
      };
      visit(stack.json);
    }
    return out;
  },
};
