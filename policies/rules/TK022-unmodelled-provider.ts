import { PROVIDER_SOURCES, providerOfType } from '../../contract';
import type { Stack } from '../graph/types';
import { Rule, RuleFinding } from './support/rule';

/**
 * The top-level blocks tierkit writes; `module`, `ephemeral`, `check`, `import`, … are not, nor
 * `output`: tierkit writes none, and an output prints its value in the apply log and state (a
 * `nonsensitive(base64encode(var.pg_admin_password))` is shown unmasked).
 */
const SECTIONS = new Set(['//', 'terraform', 'provider', 'variable', 'locals', 'resource', 'data']);

function seg(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Text Terraform reads otherwise than as written: not NFC (cty makes every string NFC, cty/value_init.go StringVal). */
function notNfc(s: string): boolean {
  return /[^\x00-\x7f]/.test(s) && s !== s.normalize('NFC');
}

/**
 * Strings Terraform reads otherwise than the rules do. HCL's JSON syntax evaluates a property name
 * inside an expression as a template (hashicorp/hcl json/spec.md, "Object Values"): `{"${local.k}": "x"}`
 * has the key local.k holds — `password`, an option name — while every rule reads keys as written;
 * tierkit writes no such key, escapes included. And cty normalizes every string to NFC: U+212A
 * (Kelvin) is `K`, U+037E is `;` to Terraform, not to a rule.
 */
function unreadText(v: unknown, path: string[], found: [string, string][]): void {
  if (typeof v === 'string') {
    if (notNfc(v)) found.push([`/${path.map(seg).join('/')}`, 'a string that is not in Unicode NFC (Terraform normalizes it, tierkit reads it as written)']);
    return;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) { path.push(String(i)); unreadText(v[i], path, found); path.pop(); }
    return;
  }
  if (!v || typeof v !== 'object') return;
  for (const k of Object.keys(v)) {
    path.push(k);
    if (k.includes('${') || k.includes('%{')) found.push([`/${path.map(seg).join('/')}`, 'a property name that is a template: Terraform evaluates it, tierkit reads it as written']);
    else if (notNfc(k)) found.push([`/${path.map(seg).join('/')}`, 'a property name that is not in Unicode NFC (Terraform normalizes it, tierkit reads it as written)']);
    unreadText((v as Record<string, unknown>)[k], path, found);
    path.pop();
  }
}

/** `registry.terraform.io/hashicorp/vault` and `hashicorp/vault` are one source; case does not matter to Terraform. */
function sameSource(written: unknown, pinned: string): boolean {
  return typeof written === 'string' && written.toLowerCase().replace(/^registry\.(terraform|opentofu)\.io\//, '') === pinned;
}

export const rule: Rule = {
  id: 'TK022',
  name: 'unmodelled-provider',
  severity: 'error',
  title: 'A stack uses only the PostgreSQL and Vault providers, from their pinned sources, and no block tierkit does not model',
  explanation:
    'tierkit judges what the postgresql and vault providers do. Anything else runs with the stack\'s credentials and '
    + 'escapes every rule: a `null_resource` or `terraform_data` provisioner (`local-exec`) runs commands on the CI runner '
    + 'that holds the admin password; an `external` or `http` data source runs a program or calls out at plan time, even '
    + 'on a pull request; a `kubernetes` or other provider writes where no rule looks; a `module` brings in configuration '
    + 'tierkit never reads; an `output` prints a value (a credential, base64-encoded past log masking) into the apply log and '
    + 'the state; a property name written as a template (`"${local.k}"`) is computed at plan time while every rule reads it '
    + 'as written, and so is a string not in Unicode NFC (Terraform normalizes it: U+037E is `;`); a provider from another registry source is other code under a trusted name.',
  fix: 'Remove the block; declare the infrastructure through the estate (or propose the resource type to tierkit so a rule can judge it).',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const push = (s: Stack, pointer: string, message: string) => out.push({
      env: s.env, message: `stack ${s.name}: ${message}`,
      source: { file: s.file, pointer, constructPath: s.env?.constructPath ?? s.manifest?.constructPath },
    });
    for (const s of g.stacks) {
      for (const section of Object.keys(s.json)) {
        if (!SECTIONS.has(section)) push(s, `/${seg(section)}`, `has a top-level "${section}" block, which tierkit does not model`);
      }
      const unread: [string, string][] = [];
      unreadText(s.json, [], unread);
      for (const [pointer, what] of unread) push(s, pointer, `has ${what} at ${pointer}`);
      for (const name of Object.keys(s.json.provider ?? {})) {
        if (!(name in PROVIDER_SOURCES)) push(s, `/provider/${seg(name)}`, `configures the provider "${name}"; only ${Object.keys(PROVIDER_SOURCES).join(' and ')} are modelled`);
      }
      for (const [name, req] of Object.entries((s.json.terraform?.required_providers ?? {}) as Record<string, unknown>)) {
        const pinned = PROVIDER_SOURCES[name];
        const source = req && typeof req === 'object' ? (req as { source?: unknown }).source : undefined;
        if (!pinned) push(s, `/terraform/required_providers/${seg(name)}`, `requires the provider "${name}"; only ${Object.keys(PROVIDER_SOURCES).join(' and ')} are modelled`);
        else if (!sameSource(source, pinned)) push(s, `/terraform/required_providers/${seg(name)}`, `takes the provider "${name}" from ${JSON.stringify(source ?? 'an unstated source')}, not from ${pinned}`);
      }
    }
    const byName = new Map(g.stacks.map((s) => [s.name, s]));
    for (const r of [...g.resources, ...g.dataSources]) {
      const s = byName.get(r.stack);
      if (!s) continue;
      const what = `${r.kind === 'data' ? 'data source' : 'resource'} ${r.address}`;
      const provider = providerOfType(r.type);
      if (!(provider in PROVIDER_SOURCES)) {
        out.push({ env: s.env, source: { file: r.file, pointer: r.pointer, resourcePath: r.constructPath, constructPath: s.env?.constructPath },
          message: `stack ${s.name}: ${what} is of the provider "${provider}", which tierkit does not model: nothing it does is judged` });
      }
      for (const key of ['provisioner', 'connection'] as const) {
        if (r.raw[key] !== undefined) {
          out.push({ env: s.env, source: { file: r.file, pointer: `${r.pointer}/${key}`, resourcePath: r.constructPath, constructPath: s.env?.constructPath },
            message: `stack ${s.name}: ${what} has a ${key} block: a provisioner runs commands with the stack's credentials, outside every rule` });
        }
      }
      if (r.raw.dynamic !== undefined) {
        out.push({ env: s.env, source: { file: r.file, pointer: `${r.pointer}/dynamic`, resourcePath: r.constructPath, constructPath: s.env?.constructPath },
          message: `stack ${s.name}: ${what} generates nested blocks with "dynamic", which tierkit does not evaluate` });
      }
    }
    return out;
  },
};
