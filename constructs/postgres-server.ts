import { Construct } from 'constructs';
import { canonicalCidr } from './cidr';
import type { ValidationIssue } from './errors';
import { Tier } from './tier';
import { claimId } from './duplicates';
import { propTypes, Types } from './prop-types';
import { checkProps, childPath, recordIssues, recordProps } from './props';

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
  /**
   * The role the provider logs in as. Required for `AdminKind.MANAGED`: that role is no
   * superuser, so each env's stack makes it an inheriting member of the env's group before the
   * database grants (otherwise `REVOKE … FROM PUBLIC` is a silent no-op). Not a secret: the
   * password stays `TF_VAR_pg_admin_password`.
   * @default - the provider logs in as TF_VAR_pg_admin_username (superuser servers)
   */
  readonly adminRole?: string;
  /**
   * Accepts a server older than PostgreSQL 16, where every CREATEROLE role (each env's Vault
   * connection user) may grant itself any non-superuser role, other envs' groups included.
   * @default - none: a server before 16 that hosts an env is refused
   */
  readonly legacyCreateRoleReason?: string;
  /**
   * Where pods reach this server: its addresses as a CIDR (e.g. `10.20.5.10/32`). Every env whose
   * database lives here gets an egress NetworkPolicy to it on `port`, whatever its tier.
   * @default - not declared: no egress to the server is written, so pods whose tier denies egress cannot reach their database
   */
  readonly cidr?: string;
  /**
   * A role the platform created on the server and granted `SET ON PARAMETER temp_file_limit`
   * (PostgreSQL 15+, as a superuser: `CREATE ROLE tierkit_temp_file_limit NOLOGIN; GRANT SET ON
   * PARAMETER temp_file_limit TO tierkit_temp_file_limit`). The postgresql provider has no
   * resource for parameter grants, so tierkit cannot write it. Each env's Vault connection user
   * on this server becomes a member, and the credentials it creates carry the tier's
   * temp_file_limit (DatabaseCaps.tempFileLimitKilobytes), which they cannot SET away. On a
   * managed server the provider's login also needs ADMIN OPTION on it (16+) to grant it.
   * @default - none: no temp_file_limit is written on this server (TK043 refuses that for a lower tier's env on a server holding live data)
   */
  readonly tempFileLimitRole?: string;
  /**
   * The PEM certificate of the CA that signs the server's certificate. Required with
   * `sslMode: 'verify-full'`: the Vault connection carries it (`tls_ca`), so Vault refuses a
   * server whose certificate that CA did not sign for `host` (test/pg/verify-full.test.ts).
   * @default - none: connections encrypt (require) without authenticating the server
   */
  readonly caCertificatePem?: string;
}

export const SERVER_PROPS = propTypes<PostgresServerProps>()({
  host: Types.string, port: Types.integer, majorVersion: Types.integer, tiers: Types.listOf('tiers (e.g. [Tier.PROD])'),
  adminKind: Types.instance(AdminKind, 'AdminKind.MANAGED'), sslMode: Types.oneOf(['disable', 'require', 'verify-full']),
  adminRole: Types.string, legacyCreateRoleReason: Types.string, cidr: Types.string, tempFileLimitRole: Types.string,
  caCertificatePem: Types.string,
});

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
  readonly adminRole?: string;
  readonly legacyCreateRoleReason?: string;
  readonly cidr?: string;
  readonly tempFileLimitRole?: string;
  readonly caCertificatePem?: string;

  constructor(scope: Construct, id: string, declared: PostgresServerProps) {
    const { props, issues } = checkProps<PostgresServerProps>(childPath(scope, id), declared, SERVER_PROPS, ['host', 'majorVersion', 'tiers']);
    super(claimId(scope, id, 'server', 'give every PostgresServer a unique id'), id);
    recordIssues(this, issues);
    recordProps(this, props, SERVER_PROPS, true);
    this.serverId = id;
    this.host = props.host;
    this.port = props.port ?? 5432;
    this.majorVersion = props.majorVersion;
    this.tiers = props.tiers;
    this.adminKind = props.adminKind ?? AdminKind.SUPERUSER;
    this.sslMode = props.sslMode ?? 'require';
    this.adminRole = props.adminRole;
    this.legacyCreateRoleReason = props.legacyCreateRoleReason;
    this.cidr = props.cidr;
    this.tempFileLimitRole = props.tempFileLimitRole;
    this.caCertificatePem = props.caCertificatePem;
  }
}

export function portIssues(path: string, property: string, port: unknown): ValidationIssue[] {
  if (Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65535) return [];
  return [{ path, property, value: port, message: 'is not a TCP port', fix: 'use an integer from 1 to 65535, e.g. 5432' }];
}

/** The widest platform endpoint a declaration may name (a /16 is a whole cluster network already). */
const MIN_PREFIX_IPV4 = 16;
const MIN_PREFIX_IPV6 = 48;

/**
 * Issues of a declared network destination (`<prefix>.cidr`, `<prefix>.port`): a CIDR in canonical
 * form (no host bits, as Kubernetes validates an ipBlock) and a TCP port.
 */
export function endpointIssues(path: string, prefix: string, endpoint: { cidr: unknown; port: unknown }): ValidationIssue[] {
  const prop = (p: string) => (prefix ? `${prefix}.${p}` : p);
  const out = portIssues(path, prop('port'), endpoint.port);
  const { cidr } = endpoint;
  const canonical = typeof cidr === 'string' ? canonicalCidr(cidr) : undefined;
  if (canonical === undefined) {
    out.unshift({ path, property: prop('cidr'), value: cidr, message: 'is not a CIDR; egress NetworkPolicies need the addresses pods reach it on',
      fix: 'give its addresses as a CIDR, e.g. "10.20.5.10/32" for one address' });
  } else if (Number(canonical.split('/')[1]) < (canonical.includes(':') ? MIN_PREFIX_IPV6 : MIN_PREFIX_IPV4)) {
    // Every pod of every tier gets egress to this range on that port, deny tiers included.
    const min = canonical.includes(':') ? MIN_PREFIX_IPV6 : MIN_PREFIX_IPV4;
    out.unshift({ path, property: prop('cidr'), value: cidr,
      message: `is wider than /${min}: every pod of every tier, deny tiers included, would reach that whole range on the port`,
      fix: 'give only the addresses of the service, e.g. "10.20.5.10/32"' });
  } else if (canonical !== cidr) {
    const address = String(cidr).split('/')[0];
    out.unshift({ path, property: prop('cidr'), value: cidr, message: 'has host bits set beyond its prefix length',
      fix: `use "${canonical}", or "${address}/${address.includes(':') ? 128 : 32}" for that one address` });
  }
  return out;
}
