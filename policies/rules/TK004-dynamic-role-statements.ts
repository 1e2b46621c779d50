import { randomBytes } from 'node:crypto';
import { PLACEHOLDER, parseVaultStatement } from '../graph/sql';
import { Rule, RuleFinding, describeEnv } from './support/rule';
import { dynamicRoleEnv } from './support/vault-env';
import { promoteOf } from './support/promote-common';
import { isTemplateResetVaultRole } from './support/template-reset';
import { plannerIssuerOfRole } from './support/planner-issuer';
import { expiryGuardInputsOk, sandboxExpiryGuard, sandboxRenewStatements } from '../../contract/vault-statements';

type Node = Record<string, any>;

const rolename = (spec: Node | undefined): string | undefined => (spec?.RoleSpec ?? spec)?.rolename;
const roleNames = (list: Node[] | undefined): string[] => (list ?? []).map((r) => rolename(r) ?? '?');
const stmtType = (s: Node): string => Object.keys(s)[0];
const NAME = PLACEHOLDER.name;

/** Options of CREATE ROLE a dynamic user may carry; anything else (SUPERUSER, CREATEDB, ADMIN, ROLE…) is refused. */
const ALLOWED_CREATE_OPTIONS = new Set(['canlogin', 'password', 'validUntil', 'addroleto', 'inherit', 'connectionlimit']);

/** Session settings a creation statement may default for the leased user: timeouts it could SET itself. */
const SESSION_DEFAULTS = new Set(['statement_timeout', 'idle_in_transaction_session_timeout', 'lock_timeout']);
/** Limits a creation statement may put on the leased user that it cannot SET away (TK043 judges the value). */
const USER_CAPS = new Set(['temp_file_limit']);

/** Problems of the creation statements, as sentences. */
export function creationProblems(statements: readonly string[], group: string | undefined): string[] {
  const problems: string[] = [];
  let creates = 0;
  for (const [i, text] of statements.entries()) {
    const parsed = parseVaultStatement(text);
    if (!parsed.ok) {
      problems.push(`creation statement ${i + 1} does not parse: ${parsed.error}`);
      continue;
    }
    for (const s of parsed.stmts) {
      const type = stmtType(s);
      const body = s[type];
      if (type === 'CreateRoleStmt') {
        creates++;
        if (body.role !== NAME) problems.push(`creates role "${body.role}" instead of the leased user "{{name}}"`);
        const opts = new Map<string, Node>((body.options ?? []).map((o: Node) => [o.DefElem.defname, o.DefElem.arg]));
        const login = body.stmt_type === 'ROLESTMT_USER' || opts.get('canlogin')?.Boolean?.boolval === true;
        if (!login) problems.push('the created role is not LOGIN');
        const until = opts.get('validUntil')?.String?.sval;
        if (until !== PLACEHOLDER.expiration) {
          problems.push(until === undefined ? "has no VALID UNTIL '{{expiration}}': the login outlives its lease" : `VALID UNTIL is '${until}', not '{{expiration}}'`);
        }
        const pw = opts.get('password')?.String?.sval;
        if (pw !== undefined && pw !== PLACEHOLDER.password) problems.push('sets a literal PASSWORD instead of \'{{password}}\'');
        for (const [name] of opts) {
          if (!ALLOWED_CREATE_OPTIONS.has(name)) problems.push(`uses CREATE ROLE option ${name.toUpperCase()}`);
        }
        const inRole = roleNames(opts.get('addroleto')?.List?.items);
        if (group === undefined) problems.push(`IN ROLE ${inRole.join(', ') || '(none)'} — the dynamic role belongs to no declared app-environment`);
        else if (inRole.length !== 1 || inRole[0] !== group) {
          problems.push(`IN ROLE ${inRole.map((r) => `"${r}"`).join(', ') || '(none)'}; it must be exactly its env's group "${group}"`);
        }
      } else if (type === 'AlterRoleSetStmt' && rolename(body.role) === NAME && body.setstmt?.name === 'role'
        && body.setstmt.kind === 'VAR_SET_VALUE') {
        const target = body.setstmt.args?.[0]?.A_Const?.sval?.sval;
        if (target !== group) problems.push(`ALTER ROLE … SET ROLE "${target}", not its env's group${group ? ` "${group}"` : ''}`);
      } else if (type === 'AlterRoleSetStmt' && rolename(body.role) === NAME && (SESSION_DEFAULTS.has(body.setstmt?.name) || USER_CAPS.has(body.setstmt?.name))
        && body.setstmt.kind === 'VAR_SET_VALUE' && body.database === undefined) {
        // A per-user default of a session timeout (TK057's caps): the user may SET it itself anyway;
        // or temp_file_limit, a cap it may not.
      } else if (type === 'GrantRoleStmt') {
        problems.push(`GRANTs ${(body.granted_roles ?? []).map((r: Node) => `"${r.AccessPriv?.priv_name}"`).join(', ')} to ${roleNames(body.grantee_roles).join(', ')}: no grant besides IN ROLE is allowed`);
      } else {
        problems.push(`runs ${type.replace(/Stmt$/, '')}: only CREATE ROLE, ALTER ROLE … SET ROLE timeout defaults and temp_file_limit are allowed`);
      }
    }
  }
  if (statements.length > 0 && creates !== 1) problems.push(`creates ${creates} roles; exactly one CREATE ROLE "{{name}}" is expected`);
  if (statements.length === 0) problems.push('has no creation statements');
  return problems;
}

/** `GRANT "{{name}}" TO CURRENT_USER` (or to the connection role by name), without ADMIN OPTION. */
function grantsOnlyUserToConnection(body: Node, connectionRole: string | undefined): boolean {
  const granted = (body.granted_roles ?? []).map((r: Node) => r.AccessPriv?.priv_name);
  const grantees: Node[] = (body.grantee_roles ?? []).map((r: Node) => r.RoleSpec ?? r);
  const toConnection = grantees.length === 1 && (grantees[0].roletype === 'ROLESPEC_CURRENT_USER'
    || (connectionRole !== undefined && grantees[0].rolename === connectionRole));
  const admin = (body.opt ?? []).some((o: Node) => o.DefElem?.defname === 'admin');
  return granted.length === 1 && granted[0] === NAME && toConnection && !admin;
}

/** Problems of the revocation statements: they must drop what the user owns, then the user, and touch nobody else. */
export function revocationProblems(statements: readonly string[], group: string | undefined, connectionRole?: string): string[] {
  if (statements.length === 0) {
    return ["has no revocation statements: Vault's default fails on an IN ROLE member that owns objects, leaving the login behind"];
  }
  const problems: string[] = [];
  let droppedOwned = false;
  let droppedRole = false;
  for (const [i, text] of statements.entries()) {
    const parsed = parseVaultStatement(text);
    if (!parsed.ok) {
      problems.push(`revocation statement ${i + 1} does not parse: ${parsed.error}`);
      continue;
    }
    for (const s of parsed.stmts) {
      const type = stmtType(s);
      const body = s[type];
      const others = (names: string[]) => names.filter((n) => n !== NAME);
      if (type === 'ReassignOwnedStmt') {
        if (others(roleNames(body.roles)).length > 0) problems.push(`REASSIGN OWNED BY ${roleNames(body.roles).join(', ')} touches roles other than the user`);
        const to = rolename(body.newrole);
        if (to !== group) problems.push(`REASSIGN OWNED … TO "${to}", not its env's group${group ? ` "${group}"` : ''}`);
      } else if (type === 'DropOwnedStmt') {
        if (others(roleNames(body.roles)).length > 0) problems.push(`DROP OWNED BY ${others(roleNames(body.roles)).join(', ')}: drops objects of roles other than the user`);
        if (roleNames(body.roles).includes(NAME)) droppedOwned = true;
      } else if (type === 'DropRoleStmt') {
        if (others(roleNames(body.roles)).length > 0) problems.push(`DROP ROLE ${others(roleNames(body.roles)).join(', ')}: drops roles other than the user`);
        if (roleNames(body.roles).includes(NAME)) {
          if (!droppedOwned) problems.push('drops the user before DROP OWNED BY "{{name}}": the drop fails while it owns objects or holds privileges');
          droppedRole = true;
        }
      } else if (type === 'GrantRoleStmt' && body.is_grant === true && grantsOnlyUserToConnection(body, connectionRole)) {
        // PostgreSQL 16+: the CREATEROLE connection user needs the user's privileges to REASSIGN/DROP OWNED.
      } else if ((type === 'GrantRoleStmt' || type === 'GrantStmt') && body.is_grant !== true) {
        const grantees = roleNames(type === 'GrantRoleStmt' ? body.grantee_roles : body.grantees);
        if (others(grantees).length > 0) problems.push(`REVOKE … FROM ${others(grantees).join(', ')}: revokes from roles other than the user`);
      } else {
        problems.push(`runs ${type.replace(/Stmt$/, '')} on revocation`);
      }
    }
  }
  if (!droppedRole) problems.push('never drops the user (DROP ROLE "{{name}}")');
  return problems;
}

// The slots are random per process: a fixed slot name written in a statement (or spelled so the parser
// yields it, U&"…") would be judged as the env's own group or connection role. They never reach output.
const GROUP_SLOT = `tierkit_g_${randomBytes(8).toString('hex')}`;
const CONNECTION_SLOT = `tierkit_c_${randomBytes(8).toString('hex')}`;
type Judged = { creation: string[]; revocation: string[] };

const IDENT_CHAR = /[A-Za-z0-9_$]/;

/** Replace whole-word occurrences of `name` (an identifier) by `slot`; no RegExp per env (V8 compiles each one). */
function replaceWord(text: string, name: string, slot: string): string {
  let out = '';
  let from = 0;
  for (let at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + name.length)) {
    const before = text[at - 1];
    const after = text[at + name.length];
    if ((before !== undefined && IDENT_CHAR.test(before)) || (after !== undefined && IDENT_CHAR.test(after))) continue;
    out += text.slice(from, at) + slot;
    from = at + name.length;
  }
  return out + text.slice(from);
}

/**
 * Every env's statements differ only by its own role names. Replacing those names (wherever they
 * occur: every comparison in the checks is against them) with fixed slots makes the text of all
 * envs built from one template identical, so each distinct shape is parsed and judged once.
 */
function judge(memo: Map<string, Judged>, creation: readonly string[], revocation: readonly string[], group?: string, connection?: string) {
  const norm = (s: string) => {
    let out = s;
    if (group) out = replaceWord(out, group, GROUP_SLOT);
    if (connection) out = replaceWord(out, connection, CONNECTION_SLOT);
    return out;
  };
  const nc = creation.map(norm);
  const nr = revocation.map(norm);
  const key = JSON.stringify([nc, nr, group !== undefined, connection !== undefined]);
  let hit = memo.get(key);
  if (!hit) {
    hit = {
      creation: creationProblems(nc, group && GROUP_SLOT),
      revocation: revocationProblems(nr, group && GROUP_SLOT, connection && CONNECTION_SLOT),
    };
    memo.set(key, hit);
  }
  const back = (m: string) => m.split(GROUP_SLOT).join(group ?? '').split(CONNECTION_SLOT).join(connection ?? '');
  return [...hit.creation, ...hit.revocation].map(back);
}

/** Vault's default renewal for PostgreSQL (what runs when renew_statements is empty). */
const DEFAULT_RENEW = `ALTER ROLE "{{name}}" VALID UNTIL '{{expiration}}';`;

/**
 * renew_statements run as the connection user at every lease renewal (the agent renews), rollback_statements
 * when a creation fails: both are SQL with the connection user's rights (ALTER ROLE … SET temp_file_limit = -1,
 * statement_timeout = 0 lift the caps the creation statements set). Only Vault's default renewal is accepted.
 */
export function renewAndRollbackProblems(r: { renewStatements?: unknown; rollbackStatements?: unknown }, sandboxRenew?: readonly string[]): string[] {
  const problems: string[] = [];
  const list = (v: unknown) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
  const renew = list(r.renewStatements);
  const normal = (x: unknown) => (typeof x === 'string' ? x.trim().replace(/\s+/g, ' ') : x);
  // A sandbox's renewal refused past its expiry (TK126) is Vault's default plus that refusal, exactly.
  const isSandboxRenew = sandboxRenew !== undefined && JSON.stringify(renew) === JSON.stringify(sandboxRenew);
  if (!(isSandboxRenew || renew.length === 0 || (renew.length === 1 && normal(renew[0]) === DEFAULT_RENEW))) {
    problems.push(`sets renew_statements ${JSON.stringify(r.renewStatements)}: they run as the connection user at every renewal; only Vault's default (${DEFAULT_RENEW}) is allowed`);
  }
  if (list(r.rollbackStatements).length > 0) {
    problems.push(`sets rollback_statements ${JSON.stringify(r.rollbackStatements)}: they run as the connection user; tierkit writes none`);
  }
  return problems;
}

export const rule: Rule = {
  id: 'TK004',
  name: 'dynamic-role-statements',
  severity: 'error',
  title: "Dynamic credentials create only an expiring LOGIN member of their env's group, and revocation cleans up",
  explanation:
    'The creation statements are the dynamic credential: whatever they grant, every leased user gets. They must '
    + "create one LOGIN role with VALID UNTIL '{{expiration}}', IN ROLE its own env's group only, optionally SET ROLE "
    + 'to that group (so objects stay owned by the group), and nothing else. Revocation must drop what the user owns '
    + 'before dropping it, or leases leave logins behind.',
  fix: 'Use the statements tierkit generates (constructs/statements.ts); remove the extra grant, option or statement.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    // One memo per evaluation (no cache outlives its graph). The key is the whole normalized text of
    // both lists, never a name, so two different statement sets cannot share an entry.
    const memo = new Map<string, Judged>();
    for (const r of g.dynamicRoles) {
      // A declared promote credential holds table grants by design: TK160 judges it, as strictly.
      if (promoteOf(g, r)) continue;
      // A template-reset sandbox's reset login is IN ROLE its template role by design: TK117 judges it, as strictly.
      if (isTemplateResetVaultRole(r)) continue;
      if (plannerIssuerOfRole(g, r)) continue; // the short-lived planner login: TK145 judges its statements whole
      const env = dynamicRoleEnv(g, r);
      const group = env?.names.groupRole;
      const where = `Vault role "${r.backend}/roles/${r.name}" of ${describeEnv(env)}`;
      // A sandbox's expiry guard is judged by TK126 (exactly tierkit's text for its manifest expiry);
      // any other DO block stays a finding here.
      const guard = env?.sandbox && expiryGuardInputsOk(env.slug, env.sandbox.expiresAt) ? sandboxExpiryGuard(env.slug, env.sandbox.expiresAt) : undefined;
      const creation = r.creationStatements.filter((s) => s !== guard);
      for (const p of judge(memo, creation, r.revocationStatements, group, env?.names.vaultConnectionRole)) {
        out.push({ env, source: r.source, message: `${where}: ${p}` });
      }
      const sandboxRenew = guard !== undefined ? sandboxRenewStatements(env!.slug, env!.sandbox!.expiresAt) : undefined;
      for (const p of renewAndRollbackProblems(r, sandboxRenew)) out.push({ env, source: r.source, message: `${where}: ${p}` });
    }
    return out;
  },
};
