import { Construct } from 'constructs';
import type { App } from './app';
import { Estate } from './estate';
import * as naming from './naming';
import { PostgresServer } from './postgres-server';
import { Tier } from './tier';
import { claimId } from './duplicates';
import type { AppEnvironmentResources } from './escape-hatch';
import { EnvRelease, RolloutStrategy } from './releases';

export interface AppEnvironmentProps {
  readonly tier: Tier;
  /** @default - the server that hosts `tier` */
  readonly server?: PostgresServer;
}

/** A role in PostgreSQL, as other pieces reference it. */
export interface PostgresRoleRef {
  readonly name: string;
}

export interface PostgresDatabaseRef {
  readonly name: string;
  readonly ownerRole: PostgresRoleRef;
}

export interface Suppression {
  readonly ruleId: string;
  /** Why the finding is accepted; at least 10 characters. */
  readonly reason: string;
}

export type EscapeHatch = (resources: AppEnvironmentResources) => void;

/**
 * The `<app>-<env>` coordinate: its database and owner role, its Vault connection, dynamic role,
 * KV config and policy, its namespace and Argo CD Application.
 */
export class AppEnvironment extends Construct {
  readonly app: App;
  readonly env: string;
  readonly tier: Tier;
  private readonly explicitServer?: PostgresServer;
  private resolvedServer?: PostgresServer;
  private readonly _suppressions: Suppression[] = [];
  private readonly _escapeHatches: EscapeHatch[] = [];

  constructor(scope: App, id: string, props: AppEnvironmentProps) {
    // A second env of the same name is built detached and reported by validation.
    super(claimId(scope, id, 'env', 'give the sandbox an env name no tier or other sandbox of this app uses'), id);
    this.app = scope;
    this.env = id;
    this.tier = props.tier;
    this.explicitServer = props.server;
  }

  get coordinate(): naming.Coordinate {
    return { app: this.app.appName, env: this.env };
  }

  get slug(): string {
    return naming.slug(this.coordinate);
  }

  get estate(): Estate {
    return Estate.of(this);
  }

  /** The server holding this env's database. Undefined only on invalid input (reported by validation). */
  get server(): PostgresServer | undefined {
    // Cached once found: a tier's server cannot change afterwards without a validation error.
    return this.explicitServer ?? (this.resolvedServer ??= this.estate.serverForTier(this.tier));
  }

  get groupRole(): PostgresRoleRef {
    return { name: naming.groupRoleName(this.coordinate) };
  }

  get vaultConnectionRole(): PostgresRoleRef {
    return { name: naming.vaultConnectionRoleName(this.coordinate) };
  }

  get database(): PostgresDatabaseRef {
    return { name: naming.databaseName(this.coordinate), ownerRole: this.groupRole };
  }

  get host(): string {
    return naming.host(this.coordinate, this.estate.naming);
  }

  get stackName(): string {
    return naming.appEnvironmentStackName(this.coordinate);
  }

  get isSandbox(): boolean {
    return false;
  }

  /** The seed a reset restores: a sandbox's profile; the demo tier's curated data (named after the tier) otherwise. */
  get resetSeedName(): string {
    return this.tier.name;
  }

  /** Whether its namespace follows the tier's egress allow list (a sandbox's template may deny it). */
  get egressAllowed(): boolean {
    return true;
  }

  /** This env's entry in the app's releases file, if the app has one. */
  get release(): EnvRelease | undefined {
    return this.app.releases?.env(this.env);
  }

  /** The image the workload runs: the release's digest, else the app's image. */
  get image(): string {
    return this.release?.image ?? this.app.image;
  }

  /** The app container's config values (environment variables), sorted by name. */
  get config(): Readonly<Record<string, string>> {
    return this.release?.config ?? {};
  }

  /** How a change of this env's release reaches its pods. */
  get strategy(): RolloutStrategy {
    return this.release?.strategy ?? RolloutStrategy.IMMEDIATE;
  }

  /** Accept a policy finding on this environment, with a reason the reports show. */
  addSuppression(ruleId: string, reason: string): this {
    this._suppressions.push({ ruleId, reason });
    return this;
  }

  get suppressions(): readonly Suppression[] {
    return this._suppressions;
  }

  /**
   * Change the synthesized Terraform resources directly (cdk's escape hatch). The policy rules read
   * the final artifacts, so whatever this does is still checked.
   */
  addEscapeHatch(fn: EscapeHatch): this {
    this._escapeHatches.push(fn);
    return this;
  }

  get escapeHatches(): readonly EscapeHatch[] {
    return this._escapeHatches;
  }
}
