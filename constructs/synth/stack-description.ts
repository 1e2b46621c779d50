/*
 * The vocabulary of a stack description (app-environment-stack.ts): resources, variables and
 * providers as data, and the references between them written as Terraform expressions. Its own
 * module so that a part of a stack described elsewhere (terraform-previews.ts) shares it without
 * an import cycle.
 */

/** A Terraform JSON value as tierkit writes it. Object keys are attribute or block names. */
export type TfValue = string | number | boolean | readonly TfValue[] | { readonly [key: string]: TfValue };

/** The resource types an app-environment stack declares; each has a cdktf class (terraform-app-environment.ts). */
export type AppEnvironmentResourceType =
  | 'postgresql_role' | 'postgresql_grant_role' | 'postgresql_database' | 'postgresql_grant'
  | 'vault_database_secret_backend_connection' | 'vault_database_secret_backend_role'
  | 'vault_kv_secret_v2' | 'vault_policy' | 'vault_kubernetes_auth_backend_role';

export interface ResourceDescription {
  readonly type: AppEnvironmentResourceType;
  /** The construct id: the resource's name in Terraform, stable public API (diffs and findings name it). */
  readonly id: string;
  readonly attributes: { readonly [name: string]: TfValue };
  /** Addresses (`type.id`) of resources of this stack, in order. */
  readonly dependsOn?: readonly string[];
}

/** A sensitive, ephemeral string variable (its value is supplied to every plan and apply, never stored). */
export interface VariableDescription {
  readonly id: string;
  readonly description: string;
}

export interface ProviderDescription {
  readonly attributes: { readonly [name: string]: TfValue };
  /** The variables the provider block reads (declared in the stack with it). */
  readonly variables: readonly VariableDescription[];
}

export interface AppEnvironmentStackDescription {
  /** In declaration order (cdktf's construct order; the JSON is canonical, so order only matters to escape hatches' `findAll`). */
  readonly resources: readonly ResourceDescription[];
  /** The stack's own variables; the providers' are with them. */
  readonly variables: readonly VariableDescription[];
  readonly providers: { readonly postgresql: ProviderDescription; readonly vault: ProviderDescription };
}

export const address = (type: string, id: string): string => `${type}.${id}`;
/** A reference to an attribute of another resource of the stack. */
export const ref = (type: AppEnvironmentResourceType, id: string, attr = 'name'): string => `\${${type}.${id}.${attr}}`;
export const variable = (name: string): string => `\${var.${name}}`;

/** Privileges a managed provider grants as the owner's member: they must wait for the membership. */
export const NEEDS_OWNER_PRIVILEGES: ReadonlySet<string> = new Set(['postgresql_database', 'postgresql_grant', 'postgresql_schema', 'postgresql_default_privileges']);
/** The provider's inheriting membership in the env's group (managed servers only). */
export const PROVIDER_MEMBERSHIP_ADDRESS = address('postgresql_grant_role', 'provider_owner_membership');
