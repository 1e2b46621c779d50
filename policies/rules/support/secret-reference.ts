import { StackEvaluator, Unknown, referencesIn } from '../../../contract';
import { isLiteralValue } from './secret-names';

/** The values TK010 used to take as references and stop at (a Terraform part of secret-names' REFERENCE). */
const REFERENCE_LIKE = /^\$\{(var|data|ephemeral|local|module)\.[^}]+\}$/;
const SIMPLE = /^\$\{\s*(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}$/;
/** A traversal and nothing else: `${data.x.y["k"]}`, `${local.m.pass}`. */
const TRAVERSAL = /^\$\{\s*[A-Za-z_][A-Za-z0-9_-]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_-]*|\s*\[\s*(?:"[^"\\]*"|[0-9]+)\s*\])+\s*\}$/;
const MAX_DEPTH = 16;

function literal(v: unknown): boolean {
  if (typeof v === 'number') return true;
  return typeof v === 'string' && isLiteralValue(v);
}

/**
 * Where a secret-named attribute's `${var.x}` / `${local.x}` leads, in one stack: a literal there is a
 * literal here (a password one local or one non-sensitive default away is still in git). Returns why
 * it is a literal, or undefined when the chain ends at a value given at plan time (a variable without
 * default, a data source, a resource's computed attribute) — a reference, as before.
 */
export class SecretReferences {
  #evaluator?: StackEvaluator;

  constructor(private readonly json: Readonly<Record<string, any>>) {}

  private get evaluator(): StackEvaluator {
    return (this.#evaluator ??= new StackEvaluator(this.json as Record<string, any>));
  }

  judge(v: string, depth = 0): string | undefined {
    const text = v.trim();
    if (!REFERENCE_LIKE.test(text)) return undefined;
    if (depth > MAX_DEPTH) return 'leads through more references than tierkit follows';
    const simple = SIMPLE.exec(text);
    if (simple && simple[1] === 'var') {
      const decl = (this.json.variable ?? {})[simple[2]];
      // Not declared: Terraform refuses the plan. Sensitive: its default is TK010's own finding.
      if (!decl || typeof decl !== 'object' || decl.sensitive === true) return undefined;
      const d = decl.default;
      if (d === undefined || d === null || d === '' || typeof d === 'boolean') return undefined;
      return `takes var.${simple[2]}'s default, a literal (the variable is not sensitive and its default is written in the stack)`;
    }
    if (simple) {
      const locals = this.json.locals ?? {};
      if (!Object.prototype.hasOwnProperty.call(locals, simple[2])) return undefined;
      const raw = locals[simple[2]];
      if (typeof raw === 'string') {
        if (REFERENCE_LIKE.test(raw.trim())) {
          const further = this.judge(raw, depth + 1);
          return further && `takes local.${simple[2]}, which ${further}`;
        }
        // Judged as if written in place: any text that is not a reference holds a literal.
        return isLiteralValue(raw) ? `takes local.${simple[2]}, a literal` : undefined;
      }
      return literal(raw) ? `takes local.${simple[2]}, a literal` : undefined;
    }
    const refs = referencesIn(text);
    if (typeof refs === 'string') return `is an expression tierkit cannot parse (${refs})`;
    const value = this.evaluator.value(text);
    if (literal(value)) return `evaluates to a literal in the stack (${text.slice(0, 80)})`;
    if (value instanceof Unknown && TRAVERSAL.test(text)) return undefined;
    if (value instanceof Unknown) return `is an expression, not a plain reference, that tierkit cannot resolve (${value.reason})`;
    return undefined;
  }
}
