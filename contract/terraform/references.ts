import { Node, ParseError, Part, parseTemplate } from './parse';

/**
 * The references a Terraform JSON string makes, found with the expression parser (never a regex
 * over the text: HCL allows a comment or a newline inside a traversal, `var./*x*\/pg_admin_password`).
 * Terraform resolves a reference statically from a traversal (hashicorp/terraform
 * internal/addrs/parse_ref.go: `var` must be followed by an attribute), so `root.name` and
 * `root["name"]` are the forms; `root[<expression>]` or a bare root is `dynamic` for that root.
 */
export interface References {
  /** `var.x` → { root: 'var', name: 'x' }, in order of appearance (repeats kept). */
  readonly refs: readonly { readonly root: string; readonly name: string }[];
  /** Roots used without a literal name after them (`var[local.k]`, `var` alone). */
  readonly dynamic: readonly string[];
}

function walk(n: Node, out: { refs: { root: string; name: string }[]; dynamic: string[] }): void {
  switch (n.k) {
    case 'lit': case 'splatItem': return;
    case 'tpl': parts(n.parts, out); return;
    case 'ref': out.dynamic.push(n.name); return;
    case 'attr':
      if (n.o.k === 'ref') out.refs.push({ root: n.o.name, name: n.name });
      else walk(n.o, out);
      return;
    case 'index':
      if (n.o.k === 'ref' && n.i.k === 'lit' && typeof n.i.v === 'string') out.refs.push({ root: n.o.name, name: n.i.v });
      else if (n.o.k === 'ref' && n.i.k === 'tpl' && n.i.parts.length === 1 && n.i.parts[0].k === 'str') out.refs.push({ root: n.o.name, name: n.i.parts[0].s });
      else if (n.o.k === 'ref' && !(n.i.k === 'tpl' && n.i.parts.length === 0)) { out.dynamic.push(n.o.name); walk(n.i, out); }
      else { walk(n.o, out); walk(n.i, out); }
      return;
    case 'splat': walk(n.o, out); walk(n.each, out); return;
    case 'call': n.args.forEach((a) => walk(a, out)); return;
    case 'tuple': n.items.forEach((a) => walk(a, out)); return;
    case 'object': n.items.forEach(([k, v]) => { walk(k, out); walk(v, out); }); return;
    case 'cond': walk(n.c, out); walk(n.t, out); walk(n.f, out); return;
    case 'bin': walk(n.l, out); walk(n.r, out); return;
    case 'un': walk(n.e, out); return;
    case 'for':
      walk(n.coll, out);
      for (const x of [n.key, n.val, n.cond]) if (x) walk(x, out);
      return;
  }
}

function parts(ps: readonly Part[], out: { refs: { root: string; name: string }[]; dynamic: string[] }): void {
  for (const p of ps) {
    if (p.k === 'interp') walk(p.e, out);
    else if (p.k === 'if') { walk(p.c, out); parts(p.then, out); parts(p.else, out); }
    else if (p.k === 'for') { walk(p.coll, out); parts(p.body, out); }
  }
}

/**
 * The references in `src`, or a ParseError's message when it is outside the grammar tierkit
 * parses (a comment, a heredoc, a provider function): then no reference can be ruled out.
 */
export function referencesIn(src: string): References | string {
  let node: Node;
  try {
    node = parseTemplate(src);
  } catch (e) {
    if (e instanceof ParseError) return e.message;
    throw e;
  }
  const out = { refs: [] as { root: string; name: string }[], dynamic: [] as string[] };
  walk(node, out);
  return out;
}
