import { describe, expect, it } from 'vitest';
import { StackEvaluator } from '../../contract/terraform/stack';
import { Unknown } from '../../contract/terraform/unknown';
import { stackResources } from '../../contract/read';

/** The expression evaluator on Terraform's own semantics: each value resolves to literals or to an Unknown, never a guess. */
function ev(src: string, json: Record<string, any> = {}): unknown {
  return new StackEvaluator(json).value(src);
}

const STACK = {
  variable: { g: { default: 'erp_role' }, secret: { type: 'string', sensitive: true }, list: { default: ['a', 'b'] } },
  locals: { r: ['erp_role'], name: '${lower("ERP")}_${local.suffix}', suffix: 'role', m: { k: 'v' } },
};

describe('Terraform expression evaluator', () => {
  it('leaves plain strings alone and honours $${ and %%{ escapes', () => {
    expect(ev('erp_role')).toBe('erp_role');
    expect(ev('$${var.g}')).toBe('${var.g}');
    expect(ev('100%%{x}')).toBe('100%{x}');
  });

  it('resolves locals, variable defaults and chains of them', () => {
    expect(ev('${var.g}', STACK)).toBe('erp_role');
    expect(ev('${local.name}', STACK)).toBe('erp_role');
    expect(ev('${local.r}', STACK)).toEqual(['erp_role']);
    expect(ev('x-${var.list[1]}', STACK)).toBe('x-b');
  });

  it('keeps a whole-string interpolation\'s type (a list stays a list), and interpolates inside text', () => {
    expect(ev('${local.r}', STACK)).toEqual(['erp_role']);
    expect(ev('${1 + 2}')).toBe(3);
    expect(ev('n=${1 + 2}')).toBe('n=3');
  });

  it('evaluates the common functions with Terraform\'s semantics', () => {
    expect(ev('${format("%s_%s", "erp", "role")}')).toBe('erp_role');
    expect(ev('${replace("erp_sandbox_role", "_sandbox", "")}')).toBe('erp_role');
    expect(ev('${replace("erp-x-role", "/-x-/", "_")}')).toBe('erp_role');
    expect(ev('${join(",", ["a", "b"])}')).toBe('a,b');
    expect(ev('${split(",", "a,b")}')).toEqual(['a', 'b']);
    expect(ev('${concat(["a"], ["b"], [])}')).toEqual(['a', 'b']);
    expect(ev('${distinct(["a", "a", "b"])}')).toEqual(['a', 'b']);
    expect(ev('${element(["a", "b"], 3)}')).toBe('b');
    expect(ev('${lookup({ k = "v" }, "k", "d")}')).toBe('v');
    expect(ev('${lookup({ k = "v" }, "x", "d")}')).toBe('d');
    expect(ev('${merge({ a = 1 }, { b = 2 })}')).toEqual({ a: 1, b: 2 });
    expect(ev('${toset(["b", "a", "b"])}')).toEqual(['a', 'b']);
    expect(ev('${jsonencode({ b = "x", a = [1, true] })}')).toBe('{"a":[1,true],"b":"x"}');
    expect(ev('${trimspace("  x ")}${trimprefix("pre_x", "pre_")}${trimsuffix("x_suf", "_suf")}')).toBe('xxx');
    expect(ev('${coalesce("", null, "c")}')).toBe('c');
    expect(ev('${try(local.m.nokey, "fallback")}', STACK)).toBe('fallback');
    // An undeclared local is a configuration error Terraform refuses, not something try() catches.
    expect(ev('${try(local.nope, "fallback")}', STACK)).toBeInstanceOf(Unknown);
    expect(ev('${upper("a")}${lower("B")}')).toBe('Ab');
  });

  it('evaluates conditionals, for expressions and %{if}/%{for} directives', () => {
    expect(ev('${true ? "a" : "b"}')).toBe('a');
    expect(ev('${var.g == "erp_role" ? "yes" : "no"}', STACK)).toBe('yes');
    expect(ev('${[for s in ["a", "b"] : upper(s)]}')).toEqual(['A', 'B']);
    expect(ev('${{for k, v in { x = "1" } : v => k}}')).toEqual({ 1: 'x' });
    expect(ev('%{ if true }erp_role%{ else }other%{ endif }')).toBe('erp_role');
    expect(ev('%{ for c in ["erp", "_role"] }${c}%{ endfor }')).toBe('erp_role');
    expect(ev('a  %{~ if true ~}  b  %{~ endif ~}  c')).toBe('abc');
  });

  it('is Unknown — never a literal — for what the stack does not compute', () => {
    for (const src of ['${var.secret}', '${var.undeclared}', '${data.postgresql_roles.x.names}', '${postgresql_role.r.id}',
      '${base64decode("ZXJwX3JvbGU=")}', '${provider::x::f()}', 'erp_${var.secret}', '${local.nope}', '${path.module}',
      '${var.secret == "x" ? "erp_role" : "a"}', '${try(var.secret, "x")}', '${element([], 0)}', '${', '${"unterminated}',
      '%{ if var.secret }erp_role%{ endif }', '${ # comment\n "x" }']) {
      const v = ev(src, { ...STACK, resource: { postgresql_role: { r: { name: 'r' } } } });
      expect(v, src).toBeInstanceOf(Unknown);
      expect((v as Unknown).expression).toBe(src);
      expect(typeof v).not.toBe('string');
    }
    // A list with one unknown element keeps the known ones and the unknown one.
    const mixed = ev('${concat(["a"], [var.secret])}', STACK) as unknown[];
    expect(mixed[0]).toBe('a');
    expect(mixed[1]).toBeInstanceOf(Unknown);
  });

  it('does not take a variable default that holds template text', () => {
    expect(ev('${var.t}', { variable: { t: { default: '${local.x}' } } })).toBeInstanceOf(Unknown);
  });

  it('resolves references between resources in any order, and a cycle is Unknown', () => {
    const rs = stackResources('s', 'f', {
      resource: {
        postgresql_grant_role: { m: { role: '${postgresql_role.a.name}', grant_role: '${postgresql_role.b.name}' } },
        postgresql_role: { a: { name: 'a_${postgresql_role.b.name}' }, b: { name: 'b' }, c: { name: '${postgresql_role.d.name}' }, d: { name: '${postgresql_role.c.name}' } },
      },
    });
    const m = rs.find((r) => r.address === 'postgresql_grant_role.m')!;
    expect(m.attributes).toMatchObject({ role: 'a_b', grant_role: 'b' });
    expect(rs.find((r) => r.address === 'postgresql_role.c')!.attributes.name).toBeInstanceOf(Unknown);
  });

  it('expands count and for_each into addressed instances with count.index and each.*', () => {
    const rs = stackResources('s', 'f', {
      locals: { groups: { x: 'erp_role', y: 'crm_role' } },
      variable: { n: { type: 'number' } },
      resource: {
        postgresql_grant_role: {
          c: { count: 2, role: 'r${count.index}', grant_role: '${element(["erp_role", "crm_role"], count.index)}' },
          f: { for_each: '${local.groups}', role: 'm_${each.key}', grant_role: '${each.value}' },
          s: { for_each: '${toset(["b", "a"])}', role: '${each.key}', grant_role: '${each.value}' },
          z: { count: 0, role: 'never', grant_role: 'never' },
          u: { count: '${var.n}', role: 'r', grant_role: 'erp_role' },
        },
      },
    });
    const by = Object.fromEntries(rs.map((r) => [r.address, r.attributes]));
    expect(by['postgresql_grant_role.c[1]']).toMatchObject({ role: 'r1', grant_role: 'crm_role' });
    expect(by['postgresql_grant_role.f["y"]']).toMatchObject({ role: 'm_y', grant_role: 'crm_role' });
    expect(by['postgresql_grant_role.s["a"]']).toMatchObject({ role: 'a', grant_role: 'a' });
    expect(Object.keys(by).filter((a) => a.includes('.z'))).toEqual([]);
    const u = rs.find((r) => r.address === 'postgresql_grant_role.u[?]')!;
    expect(u.key).toBeInstanceOf(Unknown);
  });
});
