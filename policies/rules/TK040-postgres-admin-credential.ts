import type { Source } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';

/** A reference to the admin credential's variables in a Terraform expression (`var.pg_admin_x`, `var["pg_admin_x"]`). */
const ADMIN_VAR = /\bvar\s*(?:\.\s*|\[\s*"?\s*)pg_admin_/;
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
          if (!v.includes('pg_admin_') || !ADMIN_VAR.test(v)) return;
          const inProvider = path[0] === 'provider' && path[1] === 'postgresql';
          const allowed = inProvider && PROVIDER_CREDENTIAL.has(String(path[path.length - 1]))
            && (path.length === 3 || (path.length === 4 && typeof path[2] === 'number'));
          if (allowed) return;
          const source: Source = { file: stack.file, pointer: `/${path.map(pointerSegment).join('/')}`, constructPath };
          out.push({ env: stack.env, source, message: `stack ${stack.name} uses the Postgres admin credential at /${path.join('/')} (${JSON.stringify(v).slice(0, 100)}), outside the postgresql provider's username/password` });
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
