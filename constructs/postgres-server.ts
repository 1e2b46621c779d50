import { Construct } from 'constructs';
import { Tier } from './tier';

/** How Terraform's postgresql provider authenticates on a server. */
export class AdminKind {
  /** A real superuser (self-hosted): the provider runs with `superuser = true`. */
  static readonly SUPERUSER = new AdminKind('superuser', true);
  /** A managed-service admin (RDS-like): LOGIN CREATEDB CREATEROLE, not superuser. */
  static readonly MANAGED = new AdminKind('managed', false);

  private constructor(readonly name: string, readonly superuser: boolean) {}

  toString(): string {
    return this.name;
  }
}

export interface PostgresServerProps {
  /** Host name the provider and Vault connect to. */
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  /** PostgreSQL major version (15 and older let CREATEROLE grant any role; 16+ need ADMIN OPTION). */
  readonly majorVersion: number;
  /** Tiers whose environments live on this server unless a sandbox names another. */
  readonly tiers: readonly Tier[];
  /** @default AdminKind.SUPERUSER */
  readonly adminKind?: AdminKind;
  /** @default 'require' */
  readonly sslMode?: 'disable' | 'require' | 'verify-full';
}

/**
 * A PostgreSQL server of the estate. Its admin credential never appears in the artifacts: the
 * gated apply job reads it into `TF_VAR_pg_admin_username` / `TF_VAR_pg_admin_password`.
 */
export class PostgresServer extends Construct {
  readonly serverId: string;
  readonly host: string;
  readonly port: number;
  readonly majorVersion: number;
  readonly tiers: readonly Tier[];
  readonly adminKind: AdminKind;
  readonly sslMode: string;

  constructor(scope: Construct, id: string, props: PostgresServerProps) {
    super(scope, id);
    this.serverId = id;
    this.host = props.host;
    this.port = props.port ?? 5432;
    this.majorVersion = props.majorVersion;
    this.tiers = props.tiers;
    this.adminKind = props.adminKind ?? AdminKind.SUPERUSER;
    this.sslMode = props.sslMode ?? 'require';
  }
}
