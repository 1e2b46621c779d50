import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDist } from '../../../policies/engine';
import { RULES } from '../../../policies/rules';
import { NOW, cleanDist, freshDir } from '../helpers';
import { copyDist, editJson } from '../support/dist-edit';
import { SANDBOX } from './cases';

/**
 * Property: a failing case stays failing when any reach-relevant literal of it is written as an
 * equivalent expression — a local, a variable default, a function, a directive, nested. It is
 * caught by the case's own rule (tierkit evaluated it) or by TK021 (it could not).
 */

/** An HCL expression with the stack declarations it needs (locals, variables). */
interface Wrapped {
  readonly expr: string;
  readonly locals: Record<string, string>;
  readonly variables: Record<string, { default: string }>;
}

/** An HCL quoted string holding exactly `s`. */
function quoted(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t').replace(/\$\{/g, '$${').replace(/%\{/g, '%%{')}"`;
}

/** A JSON string that Terraform reads as a template yielding exactly `s`. */
function templateLiteral(s: string): string {
  return s.replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');
}

let counter = 0;
const lit = (s: string): Wrapped => ({ expr: quoted(s), locals: {}, variables: {} });
const merge = (outer: string, inner: Wrapped, more: Partial<Wrapped> = {}): Wrapped => ({
  expr: outer, locals: { ...inner.locals, ...more.locals }, variables: { ...inner.variables, ...more.variables },
});

/** Each maps a value to an equivalent expression of it (all but the last two are evaluated by tierkit). */
const WRAPPERS: readonly ((s: string, inner: (s: string) => Wrapped) => Wrapped)[] = [
  (s) => { const n = `w${counter++}`; return { expr: `local.${n}`, locals: { [n]: templateLiteral(s) }, variables: {} }; },
  (s) => { const n = `v${counter++}`; return { expr: `var.${n}`, locals: {}, variables: { [n]: { default: s } } }; },
  (s, i) => { const w = i(s); return merge(`join("", [${w.expr}])`, w); },
  (s, i) => { const w = i(s); return merge(`format("%s", ${w.expr})`, w); },
  (s, i) => { const w = i(s); return merge(`element([${w.expr}], 0)`, w); },
  (s, i) => { const w = i(s); return merge(`lookup({ k = ${w.expr} }, "k", "zz")`, w); },
  (s, i) => { const w = i(s); return merge(`try(${w.expr}, "zz")`, w); },
  (s, i) => { const w = i(s); return merge(`(1 == 1 ? ${w.expr} : "zz")`, w); },
  (s, i) => { const w = i(s); return merge(`jsondecode(jsonencode(${w.expr}))`, w); },
  (s, i) => { const w = i(s); return merge(`replace(${w.expr}, "@@never@@", "@@x@@")`, w); },
  (s, i) => { const w = i(s); return merge(`[for x in [${w.expr}] : x][0]`, w); },
  (s, i) => { const w = i(s); return merge(`"%{ if true }\${${w.expr}}%{ else }zz%{ endif }"`, w); },
  (s, i) => { const w = i(s); return merge(`"%{ for p in [${w.expr}] }\${p}%{ endfor }"`, w); },
  (s, i) => {
    // Split in two halves, each wrapped on its own, joined by a template.
    const k = Math.floor(s.length / 2);
    const a = i(s.slice(0, k));
    const b = i(s.slice(k));
    return { expr: `"\${${a.expr}}\${${b.expr}}"`, locals: { ...a.locals, ...b.locals }, variables: { ...a.variables, ...b.variables } };
  },
  // Outside the evaluated subset: tierkit must report it unresolved, not read it as a literal.
  (s, i) => { const w = i(s); return merge(`base64decode(base64encode(${w.expr}))`, w); },
  (s, i) => { const w = i(s); return merge(`templatestring(${w.expr}, {})`, w); },
];

/** A random nesting of wrappers (depth ≤ 3), as a function of the literal. */
const wrapperArb: fc.Arbitrary<(s: string) => Wrapped> = fc.array(fc.nat({ max: WRAPPERS.length - 1 }), { minLength: 0, maxLength: 3 })
  .map((path) => (s: string) => {
    const build = (depth: number) => (v: string): Wrapped => (depth >= path.length ? lit(v) : WRAPPERS[path[depth]](v, build(depth + 1)));
    return build(0)(s);
  });

interface FailingCase {
  readonly name: string;
  readonly stack: string;
  readonly rule: string;
  /** Set the literal (already a JSON template string) where the attack puts it. */
  readonly put: (j: any, value: string) => void;
  readonly literal: string;
}

const CASES: readonly FailingCase[] = [
  { name: 'sandbox group member of the prod group', stack: SANDBOX, rule: 'TK001', literal: 'erp_role',
    put: (j, v) => { j.resource.postgresql_role.group_role.roles = [v]; } },
  { name: 'sandbox database owned by the prod group', stack: SANDBOX, rule: 'TK001', literal: 'erp_role',
    put: (j, v) => { j.resource.postgresql_database.database.owner = v; } },
  { name: 'connection role with ADMIN OPTION on the prod group', stack: SANDBOX, rule: 'TK003', literal: 'erp_role',
    put: (j, v) => { j.resource.postgresql_grant_role.vault_connection_admin.grant_role = v; } },
  { name: 'workload auth role holding a stricter tier\'s policy', stack: 'terraform/shop-alice/cdk.tf.json', rule: 'TK008', literal: 'shop-staging',
    put: (j, v) => { j.resource.vault_kubernetes_auth_backend_role.kubernetes_auth_role.token_policies = ['${vault_policy.vault_policy.name}', v]; } },
  { name: 'sandbox policy reading prod\'s database credentials', stack: SANDBOX, rule: 'TK007', literal: 'path "postgres/creds/erp" {\n  capabilities = ["read"]\n}\n',
    put: (j, v) => { j.resource.vault_policy.vault_policy.policy = v; } },
  { name: 'dynamic role created IN ROLE the prod group', stack: SANDBOX, rule: 'TK004',
    literal: 'CREATE ROLE "{{name}}" WITH LOGIN PASSWORD \'{{password}}\' VALID UNTIL \'{{expiration}}\' IN ROLE "erp_role";',
    put: (j, v) => { j.resource.vault_database_secret_backend_role.vault_role.creation_statements[0] = v; } },
  { name: 'prod database granting CONNECT to PUBLIC', stack: 'terraform/erp/cdk.tf.json', rule: 'TK002', literal: 'CONNECT',
    put: (j, v) => { j.resource.postgresql_grant.database_public_revoke.privileges = [v]; } },
];

describe('property: an equivalent expression of a failing case still fails (same rule, or TK021)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const dir = copyDist(cleanDist(), freshDir('property'));
      const rules = RULES.filter((r) => r.id === c.rule || r.id === 'TK021');
      const original = JSON.parse(readFileSync(`${dir}/${c.stack}`, 'utf8'));
      await fc.assert(fc.asyncProperty(wrapperArb, async (wrap) => {
        const w = wrap(c.literal);
        editJson(dir, c.stack, () => {
          const j = structuredClone(original);
          j.locals = { ...(j.locals ?? {}), ...w.locals };
          j.variable = { ...(j.variable ?? {}), ...Object.fromEntries(Object.entries(w.variables).map(([k, v]) => [k, { type: 'string', ...v }])) };
          c.put(j, `\${${w.expr}}`);
          return j;
        });
        const report = await checkDist(dir, { now: NOW, rules });
        const caught = report.findings.filter((f) => f.file === c.stack && (f.ruleId === c.rule || f.ruleId === 'TK021'));
        expect(caught.length, `${w.expr} was not caught`).toBeGreaterThan(0);
      }), { numRuns: 12 });
    });
  }

  it('the wrappers are equivalences: wrapped around an own name, tierkit still reads the own name (no false positive)', async () => {
    const dir = copyDist(cleanDist(), freshDir('property-own'));
    const rules = RULES.filter((r) => r.id === 'TK001');
    const original = JSON.parse(readFileSync(`${dir}/${SANDBOX}`, 'utf8'));
    // Only the evaluated wrappers: the last two are deliberately outside the subset.
    const evaluated = fc.array(fc.nat({ max: WRAPPERS.length - 3 }), { maxLength: 3 });
    await fc.assert(fc.asyncProperty(evaluated, async (path) => {
      const build = (depth: number) => (v: string): Wrapped => (depth >= path.length ? lit(v) : WRAPPERS[path[depth]](v, build(depth + 1)));
      const w = build(0)('erp_sandbox_role');
      editJson(dir, SANDBOX, () => {
        const j = structuredClone(original);
        j.locals = w.locals;
        j.variable = { ...j.variable, ...Object.fromEntries(Object.entries(w.variables).map(([k, v]) => [k, { type: 'string', ...v }])) };
        j.resource.postgresql_database.database.owner = `\${${w.expr}}`;
        return j;
      });
      const report = await checkDist(dir, { now: NOW, rules: [...rules, RULES.find((r) => r.id === 'TK021')!] });
      expect(report.findings, w.expr).toEqual([]);
    }), { numRuns: 12 });
  });
});
