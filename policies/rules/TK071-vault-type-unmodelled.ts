import { isUnknown } from '../../contract/terraform/unknown';
import { EstateGraph, Stack } from '../graph/types';
import { VaultBlock, knownVaultType } from '../graph/vault-types';
import { Rule, RuleFinding } from './support/rule';
import { isLiveTier } from '../../contract/tiers';

const BLOCKS: readonly VaultBlock[] = ['resource', 'data', 'ephemeral'];
/** Secret values (write-only passwords, KV payloads) legitimately come from variables; every other string names a Vault path, role or policy. */
const VALUE_KEYS = /password|_wo$|^data_json/;
/** Mounts and auth methods: each allowed attribute; anything else (audit keys, passthrough headers, plugin versions, tuning) is refused. */
const PLATFORM: Record<string, { keys: readonly string[]; expect: (g: EstateGraph, a: Record<string, unknown>) => string | undefined }> = {
  vault_mount: {
    keys: ['path', 'type', 'description', 'options', 'default_lease_ttl_seconds', 'max_lease_ttl_seconds'],
    expect: (g, a) => {
      const v = g.manifest.estate.vault;
      const ok = (a.path === v.databaseMount && a.type === 'database') || (a.path === v.kvMount && a.type === 'kv'
        && JSON.stringify(a.options ?? {}) === '{"version":"2"}');
      return ok ? undefined : `only the estate's database mount "${v.databaseMount}" (type database) and KV v2 mount "${v.kvMount}" are modelled`;
    },
  },
  vault_database_secrets_mount: {
    keys: ['path', 'description', 'postgresql', 'default_lease_ttl_seconds', 'max_lease_ttl_seconds'],
    expect: (g, a) => (a.path === g.manifest.estate.vault.databaseMount ? undefined : `its path must be the estate's database mount "${g.manifest.estate.vault.databaseMount}"`),
  },
  vault_auth_backend: {
    keys: ['path', 'type', 'description'],
    expect: (g, a) => (a.path === g.manifest.estate.vault.kubernetesAuthPath && a.type === 'kubernetes' ? undefined
      : `only the estate's Kubernetes auth method at "${g.manifest.estate.vault.kubernetesAuthPath}" is modelled`),
  },
  vault_jwt_auth_backend: {
    keys: ['path', 'description', 'bound_issuer', 'oidc_discovery_url'],
    expect: (g, a) => {
      const { jwtAuthPath } = g.manifest.estate.vault;
      const issuer = g.manifest.estate.ci.oidcIssuer;
      return a.path === jwtAuthPath && a.bound_issuer === issuer && a.oidc_discovery_url === issuer ? undefined
        : `only the estate's JWT auth method at "${jwtAuthPath}" trusting the CI issuer ${issuer} is modelled`;
    },
  },
};

/** Path segments are kept on a stack and joined only on a hit (almost no value is unresolved): `at` is `/a/0/b`. */
function unresolved(v: unknown, segments: string[], out: string[]): void {
  if (isUnknown(v)) {
    out.push(`${atOf(segments)} = ${JSON.stringify(v.expression)}`);
  } else if (typeof v === 'string') {
    if (v.includes('${') || v.includes('%{')) out.push(`${atOf(segments)} = ${JSON.stringify(v)}`);
  } else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      segments.push(String(i));
      unresolved(v[i], segments, out);
      segments.pop();
    }
  } else if (v && typeof v === 'object') {
    // Object.keys: the own enumerable keys, in the order Object.entries gives them.
    for (const k of Object.keys(v)) {
      if (k === '//' || VALUE_KEYS.test(k)) continue;
      segments.push(k);
      unresolved((v as Record<string, unknown>)[k], segments, out);
      segments.pop();
    }
  }
}
const atOf = (segments: readonly string[]) => segments.map((x) => `/${x}`).join('');

/** A vault_policy's attributes but its text: copied only for that type (the copy was made for every Vault resource). */
function withoutText(attrs: Record<string, unknown>): Record<string, unknown> {
  const { policy: _text, ...named } = attrs;
  return named;
}

/** The shared platform stack, behind the live-data tier's human gate: the only home of mounts and auth methods. */
function isSharedPlatform(g: EstateGraph, s: Stack): boolean {
  const gate = s.manifest?.gatingTier;
  return s.listed && s.manifest?.kind === 'shared-platform' && s.humanGate && gate !== undefined && isLiveTier(g.tiers, gate);
}

export const rule: Rule = {
  id: 'TK071',
  name: 'vault-type-unmodelled',
  severity: 'error',
  title: 'Every Vault resource and data source is one tierkit models, with literal paths, in the estate\'s one Vault',
  explanation:
    'One Vault holds every tier, prod included. A Vault type tierkit does not model can create reach from any tier: '
    + 'identity groups and entities attach policies, `vault_generic_endpoint` writes any path, a token or auth role '
    + 'mints policies, a data source reads (or mints) a secret at plan time, a remounted mount moves another env\'s '
    + 'secrets. So is a Vault path, role or policy name that is a Terraform expression, a resource aimed at another '
    + 'Vault namespace or address, and a mount or auth method outside the shared platform stack. Each is an error no '
    + 'suppression accepts; policies/graph/vault-types.ts lists what is modelled and the few inert types.',
  fix: 'Use the constructs (or the modelled resource types) with literal names; manage anything else outside the estate\'s stacks.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const vault = g.manifest.estate.vault;
    // Only a vault_ resource is ever looked up (its pointer is /resource/vault_…): the rest need no key.
    // By file, then pointer: the exact pair, with no joined key to build per resource.
    const resolved = new Map<string, Map<string, Record<string, unknown>>>();
    for (const r of g.resources) {
      if (!r.pointer.startsWith('/resource/vault_')) continue;
      let byPointer = resolved.get(r.file);
      if (!byPointer) resolved.set(r.file, (byPointer = new Map()));
      byPointer.set(r.pointer, r.attributes);
    }
    for (const s of g.stacks) {
      const at = (pointer: string) => ({ file: s.file, pointer, constructPath: s.env?.constructPath ?? s.manifest?.constructPath });
      ([] as Record<string, unknown>[]).concat(s.json.provider?.vault ?? []).forEach((p, i) => {
        const pointer = Array.isArray(s.json.provider?.vault) ? `/provider/vault/${i}` : '/provider/vault';
        if (p.address !== vault.address || p.namespace !== undefined) {
          out.push({ env: s.env, source: at(pointer), message: `stack ${s.name}: a Vault provider with address ${JSON.stringify(p.address)}${p.namespace !== undefined ? ` and namespace ${JSON.stringify(p.namespace)}` : ''} is not the estate's Vault (${vault.address}, root namespace)` });
        }
      });
      const usesVault = BLOCKS.some((b) => Object.keys(s.json[b] ?? {}).some((t) => t.startsWith('vault_')));
      if (usesVault && s.json.provider?.vault === undefined) {
        out.push({ env: s.env, source: at('/provider'), message: `stack ${s.name} declares Vault objects without a Vault provider block: the address and namespace would come from the applier's environment (VAULT_ADDR, VAULT_NAMESPACE)` });
      }
      for (const block of BLOCKS) {
        for (const [type, byName] of Object.entries((s.json[block] ?? {}) as Record<string, Record<string, Record<string, unknown>>>)) {
          if (!type.startsWith('vault_')) continue;
          for (const [name, body] of Object.entries(byName ?? {})) {
            const address = `${block === 'resource' ? '' : `${block}.`}${type}.${name}`;
            const source = at(`/${block}/${type}/${name}`);
            if (!knownVaultType(block, type)) {
              out.push({ env: s.env, source, message: `stack ${s.name} declares ${address}, a Vault ${block === 'resource' ? 'resource' : `${block} source`} type tierkit does not model` });
              continue;
            }
            // Resources with in-stack references resolved (as every rule reads them); data sources as written.
            const attrs = ((block === 'resource' ? resolved.get(s.file)?.get(source.pointer) : undefined) ?? body ?? {}) as Record<string, unknown>;
            if (attrs.namespace !== undefined) out.push({ env: s.env, source, message: `${address} in stack ${s.name} targets Vault namespace ${JSON.stringify(attrs.namespace)}, outside the estate's modelled root namespace` });
            const exprs: string[] = [];
            // A policy's text is TK070's to judge; its name, like every other path-bearing value, is judged here.
            unresolved(type === 'vault_policy' ? withoutText(attrs) : attrs, [], exprs);
            if (exprs.length > 0) {
              out.push({ env: s.env, source, message: `${address} in stack ${s.name} names Vault paths, roles or policies by Terraform expressions tierkit cannot resolve: ${exprs.slice(0, 3).join(', ')}` });
            }
            const platform = block === 'resource' ? PLATFORM[type] : undefined;
            if (!platform) continue;
            if (!isSharedPlatform(g, s)) {
              out.push({ env: s.env, source, message: `${address} is in stack ${s.name}: mounts and auth methods belong only to the shared platform stack, gated by the live-data tier` });
              continue;
            }
            const extra = Object.keys(attrs).filter((k) => k !== '//' && !platform.keys.includes(k));
            const wrong = platform.expect(g, attrs);
            if (extra.length > 0 || wrong) {
              out.push({ env: s.env, source, message: `${address} in stack ${s.name}: ${[wrong, extra.length > 0 ? `sets ${extra.join(', ')}, which tierkit does not model (remounts, audit keys and headers can move or leak another env's secrets)` : undefined].filter(Boolean).join('; ')}` });
            }
          }
        }
      }
    }
    return out;
  },
};
