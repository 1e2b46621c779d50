import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGoStdBase64, parseVaultPolicy } from '../../policies/graph/vault-policy';
import { policyTextOf, renderPolicyDocument } from '../../policies/graph/vault-policy-document';

/**
 * Each case quotes the Vault behaviour it relies on (hashicorp/vault vault/policy.go and
 * logical_system.go, hashicorp/hcl v1.0.1-vault-7, terraform-provider-vault
 * data_source_policy_document.go; summarized with line references in shared/notes/vault-policy.md).
 * A refusal is the only safe answer where tierkit would otherwise read less than Vault grants.
 */
const refused = (text: unknown) => {
  const p = parseVaultPolicy(text);
  expect(p.rules).toEqual([]);
  expect(p.error).toBeDefined();
  return p.error!;
};

describe('the canonical subset is read exactly', () => {
  it('reads tierkit\'s own rendering: literal paths, capabilities, # comments, trailing commas, CRLF as LF', () => {
    const text = '# tierkit: workload of erp-sandbox\r\npath "kvv2/data/erp-sandbox/config" {\r\n  capabilities = ["read", "list",]\r\n}\r\n\r\n// other\r\npath "postgres/creds/+" { capabilities = ["deny"] comment = "why" }\n';
    expect(parseVaultPolicy(text)).toEqual({ rules: [
      { path: 'kvv2/data/erp-sandbox/config', capabilities: ['read', 'list'] },
      { path: 'postgres/creds/+', capabilities: ['deny'] },
    ] });
  });

  it('keeps repeated path blocks as separate rules: Vault ORs them (acl.go NewACL), so each grant is judged on its own', () => {
    expect(parseVaultPolicy('path "a" { capabilities = ["deny"] }\npath "/a" { capabilities = ["read"] }').rules)
      .toEqual([{ path: 'a', capabilities: ['deny'] }, { path: 'a', written: '/a', capabilities: ['read'] }]);
  });

  it('reads the JSON form Vault also accepts (hcl lex.go lexMode: a first non-space rune "{" means JSON)', () => {
    expect(parseVaultPolicy('  {"path": {"c/*": {"capabilities": ["list"]}, "/d": {"capabilities": ["read"]}}}').rules)
      .toEqual([{ path: 'c/*', capabilities: ['list'] }, { path: 'd', written: '/d', capabilities: ['read'] }]);
  });

  it('HCL and JSON of the same blocks read the same (property)', () => {
    const seg = fc.stringMatching(/^[a-z0-9_-]{1,6}$/);
    const path = fc.tuple(fc.array(fc.oneof(seg, fc.constant('+')), { minLength: 1, maxLength: 4 }), fc.boolean())
      .map(([s, glob]) => `${s.join('/')}${glob && s[s.length - 1] !== '+' ? '*' : ''}`);
    const caps = fc.oneof(fc.constant(['deny']), fc.uniqueArray(fc.constantFrom('create', 'read', 'update', 'delete', 'list', 'patch'), { minLength: 1 }));
    fc.assert(fc.property(fc.uniqueArray(fc.tuple(path, caps), { selector: ([p]) => p, minLength: 1, maxLength: 5 }), (blocks) => {
      const hcl = blocks.map(([p, c]) => `path "${p}" {\n  capabilities = ${JSON.stringify(c)}\n}\n`).join('\n');
      // Written by hand: an object literal would move integer-like keys first.
      const json = `{"path": {${blocks.map(([p, c]) => `${JSON.stringify(p)}: {"capabilities": ${JSON.stringify(c)}}`).join(', ')}}}`;
      const expected = blocks.map(([p, c]) => ({ path: p, capabilities: c }));
      expect(parseVaultPolicy(hcl)).toEqual({ rules: expected });
      expect(parseVaultPolicy(json)).toEqual({ rules: expected });
      // A policy document with the same rules renders to text that reads the same.
      expect(parseVaultPolicy(renderPolicyDocument('d', { rule: blocks.map(([p, c]) => ({ path: p, capabilities: c })) }))).toEqual({ rules: expected });
    }), { numRuns: 300 });
  });
});

describe('Vault quirks are refused, each for the behaviour Vault has', () => {
  it('legacy `policy = "write"` next to `capabilities = []`: Vault APPENDS (policy.go parsePaths: `case OldWritePathPolicy: pc.Capabilities = append(pc.Capabilities, []string{CreateCapability, ReadCapability, UpdateCapability, DeleteCapability, ListCapability}...)`)', () => {
    expect(refused('path "postgres/creds/erp" {\n  capabilities = []\n  policy = "write"\n}')).toMatch(/legacy `policy = …`: Vault appends/);
    expect(refused('path "a" { policy = "deny" }')).toMatch(/legacy/);
  });

  it('duplicate keys: the HCL v1 decoder appends a repeated list (decoder.go decodeSlice), 1.21+ rejects only same-spelled HCL assignments (parser.go objectList: seenKeys[key.Token.Text]) and the JSON parser never checks', () => {
    expect(refused('path "a" {\n  capabilities = ["deny"]\n  capabilities = ["read"]\n}')).toMatch(/sets "capabilities" twice/);
    // A quoted key is a different token text, so Vault's own duplicate check misses it: tierkit reads bare keys only.
    expect(refused('path "a" {\n  capabilities = ["deny"]\n  "capabilities" = ["read"]\n}')).toMatch(/is quoted/);
    expect(refused('{"path": {"a": {"capabilities": ["deny"], "capabilities": ["read"]}}}')).toMatch(/repeats the key "capabilities"/);
    expect(refused('{"path": {"a": {"capabilities": ["deny"]}, "a": {"capabilities": ["read"]}}}')).toMatch(/repeats the key "a"/);
    expect(refused('{"path": {"a": {"capabilities": ["read"]}}, "path": {"b": {"capabilities": ["read"]}}}')).toMatch(/repeats the key "path"/);
  });

  it('JSON and HCL escapes: Vault unquotes them (hcl token.go Value → strconv.Unquote), so "\\u002a" is the glob "*"', () => {
    expect(refused('{"path": {"postgres/creds/\\u002a": {"capabilities": ["read"]}}}')).toMatch(/escape sequence .*\\u002a/);
    expect(refused('path "postgres/creds/erp\\x2a" { capabilities = ["read"] }')).toMatch(/escape sequence/);
    expect(refused('{"path": {"a\\/b": {"capabilities": ["read"]}}}')).toMatch(/escape sequence/);
  });

  it('base64 text: Vault decodes it and parses the result (logical_system.go handlePoliciesSet: `if polBytes, err := base64.StdEncoding.DecodeString(policy.Raw); err == nil { policy.Raw = string(polBytes) }`)', () => {
    const hidden = Buffer.from('path "postgres/creds/erp" { capabilities = ["read"] }').toString('base64');
    expect(refused(hidden)).toMatch(/valid base64, and Vault parses the decoded bytes/);
    // Go's decoder skips \r and \n, so a wrapped encoding is decoded too.
    expect(isGoStdBase64(`${hidden.slice(0, 20)}\n${hidden.slice(20)}`)).toBe(true);
    expect(isGoStdBase64('path "a" { capabilities = ["read"] }')).toBe(false);
  });

  it('path templating: rendered per request; an empty metadata value renders "" and widens `…/{{…}}*` to `…/*` (policy.go parsePaths with identitytpl.PopulateString)', () => {
    expect(refused('path "kvv2/data/{{identity.entity.aliases.auth_kubernetes_1.metadata.service_account_secret_name}}*" { capabilities = ["read"] }'))
      .toMatch(/identity templating/);
  });

  it('JSON flattening: an object whose members are all objects becomes labels, and Vault grants on the first (flatten.go; policy.go uses item.Keys[0])', () => {
    expect(refused('{"path": {"s/x": {"denied_parameters": {"capabilities": ["read"]}}}}')).toMatch(/flattened into labels/);
  });

  it('labels: Vault takes only the first (`path "a" "b"` grants on a), and an unlabelled block governs the literal path "path"', () => {
    expect(refused('path "a" "b" { capabilities = ["read"] }')).toMatch(/two labels/);
    expect(refused('path { capabilities = ["read"] }')).toMatch(/no quoted path/);
  });

  it('capabilities: Vault stops at the first deny (`goto PathFinished`), an empty list still wins the match, names are case-sensitive and `root` is output-only', () => {
    expect(refused('path "a" { capabilities = ["deny", "read"] }')).toMatch(/mixes deny/);
    expect(refused('path "a" { capabilities = [] }')).toMatch(/no capabilities/);
    expect(refused('path "a" { }')).toMatch(/no capabilities/);
    expect(refused('path "a" { capabilities = ["Read"] }')).toMatch(/"Read" is no Vault capability/);
    expect(refused('path "a" { capabilities = ["root"] }')).toMatch(/"root" is no Vault capability/);
    expect(refused('PATH "a" { capabilities = ["read"] }')).toMatch(/top-level "PATH"/);
    expect(refused('path "a" { Capabilities = ["read"] }')).toMatch(/attribute "Capabilities" is outside the subset/);
  });

  it('paths: Vault strips exactly one leading "/", never trims, reads a "*" before the end and a partial "+" as literals, and rejects "+*"', () => {
    expect(parseVaultPolicy('path "/a/b" { capabilities = ["read"] }').rules).toEqual([{ path: 'a/b', written: '/a/b', capabilities: ['read'] }]);
    expect(refused('path "//a" { capabilities = ["read"] }')).toMatch(/only one leading/);
    expect(refused('path "secret/foo " { capabilities = ["deny"] }')).toMatch(/whitespace/);
    expect(refused('path "a/*/b" { capabilities = ["read"] }')).toMatch(/"\*" before the end/);
    expect(refused('path "a/b+/c" { capabilities = ["read"] }')).toMatch(/"\+" inside a segment/);
    expect(refused('path "a/+*" { capabilities = ["read"] }')).toBe('path "a/+*": invalid use of wildcards (\'+*\' is forbidden)');
  });

  it('conditions tierkit cannot bound (parameters, wrapping TTLs) and everything else outside the subset', () => {
    expect(refused('path "a" { capabilities = ["update"]\n allowed_parameters = { "x" = [] } }')).toMatch(/"allowed_parameters" is outside/);
    expect(refused('name = "x"\npath "a" { capabilities = ["read"] }')).toMatch(/top-level "name"/);
    expect(refused('/* c */ path "a" { capabilities = ["read"] }')).toMatch(/unexpected "\/"/);
    expect(refused('\ufeff{"path": {"a": {"capabilities": ["read"]}}}')).toMatch(/U\+FEFF/);
    expect(refused('path "é" { capabilities = ["read"] }')).toMatch(/U\+00E9/);
    expect(refused('')).toMatch(/empty/);
    expect(refused(42)).toMatch(/not a string/);
  });

  it('Terraform expressions: file(), variables and templates are known only at apply time', () => {
    expect(refused('${file("policies/ops.hcl")}')).toMatch(/Terraform expression/);
    expect(refused('path "kvv2/data/${var.env}/*" { capabilities = ["read"] }')).toMatch(/Terraform expression/);
    expect(refused('%{ for p in var.paths }path "${p}" { capabilities = ["read"] }%{ endfor }')).toMatch(/Terraform expression/);
  });
});

describe('data.vault_policy_document, rendered as the provider renders it', () => {
  const stack = (rule: unknown, extra: Record<string, unknown> = {}) => ({ data: { vault_policy_document: { doc: { rule, ...extra } } } });
  const ref = '${data.vault_policy_document.doc.hcl}';

  it('renders byte for byte as policyRenderPolicyRule/renderPolicy do (`# <description>` first, rules joined by a blank line)', () => {
    const got = policyTextOf(ref, stack([
      { path: 'kvv2/data/erp-dev/config', capabilities: ['read', 'list'], description: 'config' },
      { path: 'postgres/creds/erp-dev', capabilities: ['read'] },
    ]));
    expect(got).toEqual({ via: 'data.vault_policy_document.doc', text:
      '# config\npath "kvv2/data/erp-dev/config" {\n  capabilities = ["read", "list"]\n}\n\npath "postgres/creds/erp-dev" {\n  capabilities = ["read"]\n}\n' });
    expect(parseVaultPolicy(got.text).rules).toEqual([
      { path: 'kvv2/data/erp-dev/config', capabilities: ['read', 'list'] }, { path: 'postgres/creds/erp-dev', capabilities: ['read'] },
    ]);
  });

  it('refuses values the provider would drop into `"%s"` unescaped: a newline injecting a block, quotes, backslashes, expressions, templates', () => {
    const err = (rule: unknown) => policyTextOf(ref, stack([rule])).error;
    expect(err({ path: 'kvv2/data/x', capabilities: ['read'], description: 'x\npath "postgres/creds/erp" {\n  capabilities = ["read"]\n}' }))
      .toMatch(/description .* newline or control character/);
    expect(err({ path: 'a" {} path "postgres/creds/erp', capabilities: ['read'] })).toMatch(/quote or backslash/);
    expect(err({ path: 'postgres/creds/\\u002a', capabilities: ['read'] })).toMatch(/quote or backslash/);
    expect(err({ path: 'kvv2/data/${var.env}', capabilities: ['read'] })).toMatch(/Terraform expression/);
    expect(err({ path: 'kvv2/data/{{identity.entity.name}}', capabilities: ['read'] })).toMatch(/identity template/);
    expect(err({ path: 'a', capabilities: ['read'], allowed_parameter: [{ key: 'k', value: [] }] })).toMatch(/sets "allowed_parameter"/);
    expect(policyTextOf(ref, stack([], { for_each: '${var.x}' })).error).toMatch(/sets "for_each"/);
    expect(policyTextOf(ref, {}).error).toBe('data.vault_policy_document.doc is not declared in the stack');
  });
});
