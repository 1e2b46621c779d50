import type { ManifestServer } from '../contract/manifest';
import { pgCaFile } from '../contract/pg-ca';
import {
  ISSUED_LOGIN_PREFIX, PLANNER_CREDENTIAL_TTL, plannerVaultName, PLANNER_GROUP_ROLE, PLANNER_ISSUER_ROLE, PLANNER_LOGIN_ROLE, UNEXPECTED_PLANNER_MEMBERS_SQL,
} from '../contract/planner';
import type { Step } from './steps';

/** The role names the pre-flight compares with (the tests pass their namespaced copies). */
export interface PlannerMemberNames {
  readonly group: string;
  readonly issuer: string;
  readonly login: string;
  readonly issuedPrefix: string;
}

export const PLANNER_MEMBER_NAMES: PlannerMemberNames = {
  group: PLANNER_GROUP_ROLE, issuer: PLANNER_ISSUER_ROLE, login: PLANNER_LOGIN_ROLE, issuedPrefix: ISSUED_LOGIN_PREFIX,
};

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The pre-flight query with its parameters written in as literals (psql -c takes no bind parameters; every value is tierkit's own). */
export function plannerMembersSql(names: PlannerMemberNames = PLANNER_MEMBER_NAMES): string {
  const values = [lit(names.group), lit(names.issuer), lit(names.login), String(PLANNER_CREDENTIAL_TTL.maxSeconds), lit(names.issuedPrefix)];
  return UNEXPECTED_PLANNER_MEMBERS_SQL.replace(/\$([1-5])(?![0-9])/g, (_m, n: string) => values[Number(n) - 1]);
}

export const PLANNER_PREFLIGHT_SCRIPT = [
  'PGUSER="$(printenv TF_VAR_pg_admin_username)"',
  'PGPASSWORD="$(printenv TF_VAR_pg_admin_password)"',
  'export PGUSER PGPASSWORD',
  'if ! rows="$(psql -X -A -t -F " granted by " -v ON_ERROR_STOP=1 -c "$SQL")"; then',
  '  echo "::error::could not list the members of $GROUP on $SERVER as the issued planner login: refusing to plan"',
  '  exit 1',
  'fi',
  'if [ -n "$rows" ]; then',
  '  echo "::error::$GROUP on $SERVER has members that are no login its issuer made: $(echo "$rows" | paste -sd ";" -). Each inherits CONNECT on every env database there. Revoke each (REVOKE $GROUP FROM <member> GRANTED BY <grantor>), rotate the issuer (vault write -f $ROTATE), then re-run"',
  '  exit 1',
  'fi',
  'echo "$GROUP on $SERVER: no member but its issuer and the logins it issued"',
  '',
].join('\n');

/**
 * A plan job's pre-flight on a PostgreSQL 16+ server, run as the short-lived login Vault just
 * issued (its variables are in the job's env): the planner group has no member but the issuer, the
 * static planner login and logins the issuer created (contract/planner.ts). The issuer's ADMIN OPTION
 * lets it add ANY role; this is where such a member is seen, before any PR Terraform runs.
 */
export function plannerMembersPreflight(server: ManifestServer, databaseMount: string, condition?: string, names: PlannerMemberNames = PLANNER_MEMBER_NAMES): Step {
  // PGUSER/PGPASSWORD: the login the Vault step just exported for Terraform (one lease: both fields).
  const env: Record<string, string> = {
    PGHOST: server.host, PGPORT: String(server.port), PGDATABASE: 'postgres', PGSSLMODE: server.sslMode ?? 'require', PGCONNECT_TIMEOUT: '10',
    ...(server.sslMode === 'verify-full' ? { PGSSLROOTCERT: pgCaFile(server.id) } : {}),
    SERVER: server.id, GROUP: names.group, ROTATE: `${databaseMount}/rotate-root/${plannerVaultName(server.id)}`, SQL: plannerMembersSql(names),
  };
  const step: Step = { name: `Pre-flight: ${names.group} on ${server.id} has no planted member`, env, run: PLANNER_PREFLIGHT_SCRIPT };
  return condition ? { if: condition, ...step } : step;
}
