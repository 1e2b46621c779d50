import { isUnknown } from '../../contract/terraform/unknown';
/**
 * `data.vault_policy_document`, evaluated as the pinned provider renders it — the provider makes no
 * API call, so the `hcl` it outputs is a pure function of the `rule` blocks. The rendering
 * (terraform-provider-vault vault/data_source_policy_document.go, policyRenderPolicyRule and
 * renderPolicy) escapes nothing: values go into `"%s"` verbatim, so a quote, backslash or newline
 * would write different HCL than the block says (a newline in `description` injects a path block).
 * Such values, Terraform expressions and templates are refused; the rendered text then goes through
 * the one canonical policy parser, exactly like a literal `policy`.
 */
export interface PolicyText {
  /** The text (or, when it is no string, the value) as Vault would receive it. */
  readonly text?: unknown;
  /** Why the policy text cannot be known with certainty. */
  readonly error?: string;
  /** `data.vault_policy_document.<name>` when the text was rendered from one. */
  readonly via?: string;
}

const DOCUMENT_REF = /^\$\{data\.vault_policy_document\.([A-Za-z0-9_-]+)\.hcl\}$/;
/** The arguments whose rendering tierkit reproduces; the others (parameters, wrapping TTLs, event types) are conditions the policy parser refuses anyway. */
const RULE_KEYS = new Set(['path', 'capabilities', 'description']);
/** Meta-arguments that change nothing in the rendering; count/for_each/dynamic/lifecycle do. */
const DOCUMENT_KEYS = new Set(['//', 'rule', 'depends_on', 'provider']);

class Refusal extends Error {}

function unsafe(value: string): string | undefined {
  if (/\$\{|%\{/.test(value)) return 'a Terraform expression (known only at apply time)';
  if (value.includes('{{')) return 'an identity template';
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'a newline or control character (the provider escapes nothing: it would inject HCL)';
  if (/["\\]/.test(value)) return 'a quote or backslash (the provider escapes nothing; Vault would unquote it again)';
  return undefined;
}

function literal(v: unknown, where: string): string {
  if (typeof v !== 'string') throw new Refusal(`${where} is not a literal string (${JSON.stringify(v)})`);
  const why = unsafe(v);
  if (why) throw new Refusal(`${where} ${JSON.stringify(v)} contains ${why}`);
  return v;
}

/** The provider's `policyRenderListOfStrings`. */
function list(items: readonly string[]): string {
  return items.length > 0 ? `["${items.join('", "')}"]` : '[]';
}

/** Render one `vault_policy_document` data source body byte for byte as the provider does. */
export function renderPolicyDocument(name: string, body: unknown): string {
  const at = `data.vault_policy_document.${name}`;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Refusal(`${at} is not an object`);
  for (const k of Object.keys(body)) {
    if (!DOCUMENT_KEYS.has(k)) throw new Refusal(`${at} sets "${k}", which changes its rendering in ways tierkit does not evaluate`);
  }
  const rules = ([] as unknown[]).concat((body as Record<string, unknown>).rule ?? []);
  return rules.map((rule, i) => {
    const where = `${at}.rule[${i}]`;
    if (!rule || typeof rule !== 'object' || Array.isArray(rule)) throw new Refusal(`${where} is not an object`);
    const r = rule as Record<string, unknown>;
    for (const k of Object.keys(r)) {
      if (!RULE_KEYS.has(k)) throw new Refusal(`${where} sets "${k}": tierkit evaluates only path, capabilities and description (parameters and wrapping TTLs are conditions it cannot bound)`);
    }
    const path = literal(r.path, `${where}.path`);
    if (!Array.isArray(r.capabilities)) throw new Refusal(`${where}.capabilities is not a literal list`);
    const caps = r.capabilities.map((c, j) => literal(c, `${where}.capabilities[${j}]`));
    const description = r.description === undefined ? '' : literal(r.description, `${where}.description`);
    const block = `path "${path}" {\n  capabilities = ${list(caps)}\n}\n`;
    return description !== '' ? `# ${description}\n${block}` : block;
  }).join('\n');
}

/**
 * The text a `vault_policy` sends to Vault: its literal `policy`, or the rendering of the one
 * `vault_policy_document` of the same stack it names whole. Anything else with an expression is
 * left to the parser, which refuses it.
 */
export function policyTextOf(policy: unknown, stackJson: Readonly<Record<string, any>>): PolicyText {
  // The evaluator leaves a data source's attribute Unknown; a reference to a policy document is
  // rendered here instead, from the stack's own literal data block.
  const written = isUnknown(policy) ? policy.expression : policy;
  if (typeof written !== 'string') return { text: policy };
  const m = DOCUMENT_REF.exec(written);
  if (!m) return { text: policy };
  const via = `data.vault_policy_document.${m[1]}`;
  const body = stackJson.data?.vault_policy_document?.[m[1]];
  if (body === undefined) return { via, error: `${via} is not declared in the stack` };
  try {
    return { via, text: renderPolicyDocument(m[1], body) };
  } catch (err) {
    if (err instanceof Refusal) return { via, error: err.message };
    throw err;
  }
}
