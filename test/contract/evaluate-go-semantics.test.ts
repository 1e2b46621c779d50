import { describe, expect, it } from 'vitest';
import { StackEvaluator } from '../../contract/terraform/stack';
import { Unknown } from '../../contract/terraform/unknown';

/**
 * The evaluator against Terraform's own results (go-cty stdlib, Go's regexp and strings; the expected
 * values follow the Go source cited in contract/terraform/functions.ts and regexp.ts). Where JavaScript's
 * built-in would give another answer, the evaluator must give Terraform's — or an Unknown, never JS's.
 */
function ev(src: string, json: Record<string, any> = {}): unknown {
  return new StackEvaluator(json).value(src);
}

const unknown = (src: string, json?: Record<string, any>) => expect(ev(src, json), src).toBeInstanceOf(Unknown);

describe('evaluator: Go semantics, or unknown', () => {
  it('replace with a regexp expands $name as Go does (the longest name; a missing group is empty; $$ is $)', () => {
    expect(ev('${replace("", "/(a?)/", "erp_role$1_x")}')).toBe('erp_role'); // JS: "erp_role_x"
    expect(ev('${replace("xay", "/(a)/", "[$${1}_x]")}')).toBe('x[a_x]y'); // HCL $${ is a literal ${
    expect(ev('${replace("xay", "/(a)/", "[$1]")}')).toBe('x[a]y');
    expect(ev('${replace("xay", "/a/", "$$-$-$")}')).toBe('x$-$-$y'); // a malformed $ is literal
    expect(ev('${replace("xay", "/(a)/", "$01")}')).toBe('xy'); // a leading zero makes it a name
    expect(ev('${replace("ab", "/(x)|b/", "[$1]")}')).toBe('a[]'); // an unmatched group is empty
  });

  it('an object key "__proto__" is unknown: JavaScript drops it (or reads Object.prototype) where Terraform keeps it (attack23)', () => {
    unknown('${lookup({"__proto__"="crm"}, "__proto__", "crm-alice")}'); // Terraform: "crm"
    unknown('${keys({"__proto__"="x"})}'); // Terraform: ["__proto__"]
    unknown('${{for k, v in {"__proto__"="crm"}: k => v}}');
    unknown('${{for k in ["__proto__"]: k => "crm"}}');
    unknown('${lookup(local.m, "__proto__", "crm-alice")}', { locals: JSON.parse('{"m":{"__proto__":"crm"}}') });
    expect(ev('${lookup({"a"="crm"}, "a", "x")}')).toBe('crm');
  });

  it('a number-like object key is unknown to every function: JavaScript lists it first, Terraform by bytes (attack23)', () => {
    unknown('${jsonencode({"10"="crm/config","9"="crm-alice/config"})}'); // Terraform: {"10":…,"9":…}
    unknown('${replace(jsonencode({"10"="crm/config","9"="crm-alice/config"}), "/^[{]\\"[0-9]+\\":\\"([a-z/-]*)\\".*$/", "$1")}');
    unknown('${values({"10"="a","9"="b"})}');
    expect(ev('${jsonencode({"b"="2","a"="1"})}')).toBe('{"a":"1","b":"2"}');
    expect(ev('${[for k, v in {"10"="a","9"="b"}: v][0]}')).toBe('a'); // for iterates keys in byte order, as Terraform
  });

  it('replace with a regexp skips an empty match right after a match (Go replaceAll)', () => {
    expect(ev('${replace("baaac", "/a*/", "X")}')).toBe('XbXcX'); // JS: "XbXXcX"
    expect(ev('${replace("erp-x-role", "/-x-/", "_")}')).toBe('erp_role');
    expect(ev('${replace("a.b", "/[.]/", "_")}')).toBe('a_b');
    expect(ev('${replace("abc", "/^/", "erp_")}')).toBe('erp_abc');
  });

  it('replace with a regexp outside the subset both engines agree on is unknown', () => {
    for (const re of ['(?:a{9}){9}', '(?i)A', 'a\\\\s', '(a)+', '(?:(a)b)*', '[[:alpha:]]', 'a{,3}', '\\\\bx', '(?P<n>a)', '[]a]', '[a-c-e]', 'a**', '\\\\pL'])
      unknown(`\${replace("abc", "/${re}/", "x")}`);
    unknown('${replace("é", "/./", "x")}');
    unknown('${replace("a\\u000bb", "/./", "x")}');
  });

  it('replace with an empty substring inserts before every character and at the end (strings.Replace)', () => {
    expect(ev('erp_${replace("", "", "role")}')).toBe('erp_role'); // JS split/join: "erp_"
    expect(ev('${replace("ab", "", "X")}')).toBe('XaXbX');
  });

  it('format: %s, %d and %% only; any flag, width, precision, index or other verb is unknown', () => {
    expect(ev('${format("%s_%d%%", "erp", 3)}')).toBe('erp_3%');
    expect(ev('${format("%d", "12")}')).toBe('12');
    for (const f of ['erp_role%+s', '%5s', '%-5s', '%.2s', '%v', '%q', '%[1]s', '%x', '%#v', '% d', '%05d']) unknown(`\${format("${f}", "")}`);
    unknown('${format("%s", "a", "b")}'); // too many arguments: an error in cty
    unknown('${format("%s %s", "a")}');
    unknown('${format("%d", 1.5)}');
  });

  it('strings with characters beyond printable ASCII are unknown (NFC, runes, grapheme clusters, Unicode case)', () => {
    unknown('${sort(["\\uff5e", "\\ud83d\\ude00"])}'); // Go sorts by UTF-8 bytes, JS by UTF-16 units
    unknown('${lower("\\u0130")}');
    unknown('${upper("ß")}');
    unknown('${trimspace("\\u00a0x")}');
    unknown('${title("é")}');
    unknown('${length("e\\u0301")}');
    unknown('${join("", ["e", "\\u0301"])}');
    expect(ev('${sort(["b", "a", "B"])}')).toEqual(['B', 'a', 'b']);
    expect(ev('${upper("erp")}${trimspace(" \\t_role\\n")}')).toBe('ERP_role');
    expect(ev('${title("hello world-x_y")}')).toBe('Hello World-X_y');
    unknown('e${local.a}', { locals: { a: '\u0301' } }); // NFC: "é" to Terraform
  });

  it('CR: chomp removes a lone CR too; substr and length (grapheme clusters: CR LF is one) are unknown', () => {
    expect(ev('${chomp("a\\r")}')).toBe('a');
    expect(ev('${chomp("a\\n\\r\\n")}')).toBe('a');
    unknown('${substr("a\\r\\nb", 0, 2)}');
    unknown('${length("a\\r\\n")}');
    expect(ev('${substr("erp_role", -4, -1)}')).toBe('role');
    unknown('${substr("ab", -5, 1)}');
  });

  it('numbers: only safe integers are exact (cty computes in 512-bit floats and prints them in full)', () => {
    expect(ev('n=${2 + 3}')).toBe('n=5');
    unknown('n=${0.1 + 0.2}');
    unknown('n=${1 / 3}');
    unknown('n=${1e21}');
    unknown('${tostring(9007199254740993)}');
    unknown('${format("%d", 9007199254740993)}');
  });

  it('type unification: a list or arguments of mixed kinds are unknown (Terraform converts them)', () => {
    unknown('${coalesce(1, "x")}');
    unknown('${distinct(["1", 1])}');
    unknown('${tolist(["a", 1])}');
    unknown('${tomap({a = 1, b = "x"})}');
    unknown('${contains(["1"], 1)}');
    unknown('${toset([3, 1])}');
    expect(ev('${toset(["b", "a", "b"])}')).toEqual(['a', 'b']);
    expect(ev('${distinct(["a", "b", "a"])}')).toEqual(['a', 'b']);
  });

  it('calls cty refuses are unknown, not clamped', () => {
    unknown('${slice(["a"], 0, 2)}');
    unknown('${range(3, 1)}');
    unknown('${zipmap(["a", "b"], ["x"])}');
    unknown('${formatlist("%s-%s", ["a", "b"], ["x"])}');
    unknown('${jsondecode("{\\"a\\": 1, \\"a\\": 2}")}');
    unknown('${join(",")}');
    expect(ev('${range(1, 4)}')).toEqual([1, 2, 3]);
  });
});
