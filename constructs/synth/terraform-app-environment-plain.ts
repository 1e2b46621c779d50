import { CDKTF_VERSION, Token, Tokenization } from '../cdktf';
import { AppEnvironment } from '../app-environment';
import { NEEDS_OWNER_PRIVILEGES, PROVIDER_MEMBERSHIP_ADDRESS, address, describeAppEnvironmentStack, statePlacement } from './app-environment-stack';

/**
 * The app-environment stack described by `app-environment-stack.ts`, written as plain JSON without
 * cdktf: the same resources, attributes, references, `depends_on` order and cdktf metadata as the
 * cdktf path (`terraform-app-environment.ts`) writes from the same description, for the same
 * canonical bytes (test/estate/fast-synth.test.ts compares both renderers env by env on the
 * example, bench and fixture estates). cdktf's construct tree and token resolution cost
 * ~7 ms per env, ~80 % of a large synth; this costs ~0.1 ms.
 *
 * It renders only what tierkit itself declares. An env with escape hatches, a backend other than
 * tierkit's own, or any value that is a cdktf token goes through cdktf (`undefined` here), so
 * `addEscapeHatch`, `addOverride` and tokens behave exactly as they always did.
 */

type Json = string | number | boolean | null | Json[] | { [key: string]: Json | undefined };
type Block = { [key: string]: Json | undefined };

/**
 * The providers' `required_providers` entries, as the generated provider classes of the pinned
 * @cdktf/provider-postgresql 12.1.1 and @cdktf/provider-vault 15.6.1 declare them (and cdktf.json).
 * A provider upgrade changes them; the comparison test then fails until this follows.
 */
const REQUIRED_PROVIDERS: Block = {
  postgresql: { source: 'cyrilgdn/postgresql', version: '1.26.0' },
  vault: { source: 'hashicorp/vault', version: '5.6.0' },
};

// What a backend writes into a stack rendered without cdktf is the backend's to say (backend.ts).
export type { PlainBackend } from '../backend';

/** Any cdktf token among the values (an estate prop may be one): only cdktf may render those. */
function holdsToken(value: unknown): boolean {
  // cdktf encodes string, list and map tokens as text holding `TfToken[`, numbers as reserved doubles.
  if (typeof value === 'string') return value.includes('TfToken[');
  if (typeof value === 'number') return Token.isUnresolved(value);
  if (Array.isArray(value)) return value.some(holdsToken);
  if (value && typeof value === 'object') return Tokenization.isResolvable(value) || Object.values(value).some(holdsToken);
  return false;
}

/**
 * The canonical JSON object of `env`'s stack, or `undefined` when only cdktf may render it
 * (escape hatches, a backend without a plain form, tokens among the values).
 */
export function plainAppEnvironmentStack(env: AppEnvironment, gatingTier?: string): Block | undefined {
  if (env.escapeHatches.length > 0) return undefined;
  const backend = env.estate.backend.plain(env.stackName, statePlacement(env, gatingTier));
  if (!backend) return undefined;
  const description = describeAppEnvironmentStack(env);
  const managed = description.resources.some((r) => address(r.type, r.id) === PROVIDER_MEMBERSHIP_ADDRESS);

  const resources: Record<string, Record<string, Block>> = {};
  for (const r of description.resources) {
    // What cdktf's afterProviderMembership appends (terraform-app-environment.ts), in the same order.
    const dependsOn = [...(r.dependsOn ?? []), ...(managed && NEEDS_OWNER_PRIVILEGES.has(r.type) ? [PROVIDER_MEMBERSHIP_ADDRESS] : [])];
    (resources[r.type] ??= {})[r.id] = {
      '//': { metadata: { path: `${env.stackName}/${r.id}`, uniqueId: r.id } },
      ...(r.attributes as Block),
      ...(dependsOn.length > 0 ? { depends_on: dependsOn } : {}),
    };
  }
  const variables: Record<string, Block> = {};
  // As `new TerraformVariable(…)` + `addOverride('ephemeral', true)` write them.
  const { postgresql, vault } = description.providers;
  for (const v of [...postgresql.variables, ...vault.variables, ...description.variables]) variables[v.id] = { description: v.description, ephemeral: true, sensitive: true, type: 'string' };

  const json: Block = {
    '//': {
      metadata: {
        backend: backend.name, ...(backend.stackOverride ? { overrides: { stack: ['terraform'] } } : {}),
        stackName: env.stackName, version: CDKTF_VERSION,
      },
      outputs: {},
    },
    provider: { postgresql: [postgresql.attributes as Block], vault: [vault.attributes as Block] },
    resource: resources,
    terraform: { backend: { [backend.name]: backend.config }, required_providers: REQUIRED_PROVIDERS },
    variable: variables,
  };
  return holdsToken(json) ? undefined : json;
}
