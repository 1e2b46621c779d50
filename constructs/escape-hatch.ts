import type {
  DatabaseSecretBackendConnection, DatabaseSecretBackendRole, KubernetesAuthBackendRole, KvSecretV2,
  PostgresqlDatabase, PostgresqlGrant, PostgresqlGrantRole, PostgresqlRole, TerraformStack, VaultPolicy,
} from './cdktf';

/*
 * What an escape hatch (`AppEnvironment.addEscapeHatch`) is handed: the typed resources of one
 * app-environment stack. Declared here, beside the model, not in synth/: the model names this
 * type, and a model that imported the synthesizer made app-environment ↔ app ↔ sandbox ↔
 * lifecycle/plan ↔ synth/terraform-app-environment one import cycle. The synthesizer builds it.
 */

/** The typed resources of one app-environment stack, handed to escape hatches. */
export interface AppEnvironmentResources {
  readonly stack: TerraformStack;
  readonly groupRole: PostgresqlRole;
  readonly vaultConnectionRole: PostgresqlRole;
  readonly vaultConnectionAdmin: PostgresqlGrantRole;
  /** Managed servers only: the provider's role as an inheriting member of the group (see below). */
  readonly providerMembership?: PostgresqlGrantRole;
  readonly database: PostgresqlDatabase;
  readonly databasePublicRevoke: PostgresqlGrant;
  readonly databaseConnect: PostgresqlGrant;
  /** `REVOKE ALL ON DATABASE postgres|template1 FROM PUBLIC` on the env's server, keyed by database. */
  readonly maintenanceRevokes: Readonly<Record<string, PostgresqlGrant>>;
  readonly vaultConnection: DatabaseSecretBackendConnection;
  readonly vaultRole: DatabaseSecretBackendRole;
  readonly kvConfig: KvSecretV2;
  readonly vaultPolicy: VaultPolicy;
  readonly kubernetesAuthRole: KubernetesAuthBackendRole;
  /** Only on a prod env whose app has a `golden` sandbox (see lifecycle/plan.ts). */
  readonly goldenDump?: GoldenDumpResources;
  /** Vault login of the reset Job's own service account (sandboxes, demo tier). */
  readonly resetAuthRole?: KubernetesAuthBackendRole;
  /** The reset's own policy: read its seed's published hashes (sandboxes, demo tier). */
  readonly resetPolicy?: VaultPolicy;
  /** Hourly (demo) resets only: revoke the env's leases after the restore (lifecycle/plan.ts resetRevokesLeases). */
  readonly resetRevokePolicy?: VaultPolicy;
  /** Sandboxes only: the TTL sweep's own Vault identity (revoke its env's leases, nothing else). */
  readonly ttlSweep?: TtlSweepResources;
  /** Prod of an app with a golden sandbox and promoteGrants: the promote credential (promote-credential.ts). */
  readonly promote?: PromoteResources;
  /** Only on the env of an app with `previews` in the previews' tier (synth/terraform-previews.ts). */
  readonly previews?: PreviewResources;
}

/** The promote credential's Vault role; its policy and JWT role live in the tier platform stack. */
export interface PromoteResources {
  readonly role: DatabaseSecretBackendRole;
}

export interface PreviewResources {
  readonly adminRole: PostgresqlRole;
  readonly homeDatabase: PostgresqlDatabase;
  readonly homePublicRevoke: PostgresqlGrant;
  readonly homeConnect: PostgresqlGrant;
  readonly connection: DatabaseSecretBackendConnection;
  readonly credential: KvSecretV2;
  readonly policy: VaultPolicy;
  readonly authRole: KubernetesAuthBackendRole;
  /** The preview workload's templated policy and auth role, only with `previews.vaultKubernetesAuthAccessor` (TK164, TK166). */
  readonly workloadPolicy?: VaultPolicy;
  readonly workloadAuthRole?: KubernetesAuthBackendRole;
}

export interface TtlSweepResources {
  readonly policy: VaultPolicy;
  readonly authRole: KubernetesAuthBackendRole;
}

export interface GoldenDumpResources {
  readonly role: PostgresqlRole;
  readonly connect: PostgresqlGrant;
  readonly credential: KvSecretV2;
  readonly policy: VaultPolicy;
  readonly authRole: KubernetesAuthBackendRole;
}

