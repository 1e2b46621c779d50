import { PROD_ENV, promoteName } from '../../constructs/naming';
import { PLACEHOLDER, parseVaultStatement } from '../graph/sql';
import type { Env } from '../graph/types';
import { promoteOf } from './support/promote-common';
import { Rule, RuleFinding } from './support/rule';
import { renewAndRollbackProblems, revocationProblems } from './TK004-dynamic-role-statements';

type Node = Record<string, any>;

const NAME = PLACEHOLDER.name;
const DML = new Set(['select', 'insert', 'update', 'delete']);
const IDENT = /^[a-z_][a-z0-9_$]*$/;
/** Options of the promote login's CREATE ROLE: no IN ROLE, no ROLE/ADMIN, no attribute beyond LOGIN. */
const CREATE_OPTIONS = new Set(['canlogin', 'password', 'validUntil', 'connectionlimit']);
/** One replay: the promote login lives an hour at most. */
export const PROMOTE_MAX_TTL_SECONDS = 3600;

const roleNames = (list: Node[] | undefined): string[] => (list ?? []).map((r) => (r.RoleSpec ?? r).rolename ?? `(${(r.RoleSpec ?? r).roletype})`);
const show = (n: string) => (n === NAME ? '"{{name}}"' : `"${n}"`);

/** Problems of the declared grants themselves (the manifest is an input like any other). */
function declaredProblems(env: Env, grants: readonly { table: string; privileges: readonly string[] }[]): string[] {
  const out: string[] = [];
  if (!Array.isArray(grants) || grants.length === 0) return ['declares no table grants: a promote credential that may write nothing has no reason to exist'];
  for (const g of grants) {
    if (typeof g?.table !== 'string' || !IDENT.test(g.table) || !g.table.startsWith(env.objectPrefix)) {
      out.push(`declares table ${JSON.stringify(g?.table)}, not a table of the app (prefix "${env.objectPrefix}")`);
    }
    const privs = Array.isArray(g?.privileges) ? g.privileges : [];
    if (privs.length === 0) out.push(`declares no privilege on ${JSON.stringify(g?.table)}`);
    for (const p of privs) if (typeof p !== 'string' || !DML.has(p.toLowerCase())) out.push(`declares ${JSON.stringify(p)} on ${JSON.stringify(g?.table)}: only SELECT, INSERT, UPDATE, DELETE`);
  }
  return out;
}

/** Problems of the creation statements against the declared grants. */
export function promoteCreationProblems(statements: readonly string[], env: Env, grants: readonly { table: string; privileges: readonly string[] }[]): string[] {
  const problems: string[] = [];
  const declared = new Map<string, Set<string>>();
  for (const g of Array.isArray(grants) ? grants : []) declared.set(g?.table, new Set((g?.privileges ?? []).map((p: unknown) => String(p).toLowerCase())));
  let creates = 0;
  for (const [i, text] of statements.entries()) {
    const parsed = typeof text === 'string' ? parseVaultStatement(text) : { ok: false as const, error: 'not a string' };
    if (!parsed.ok) {
      problems.push(`creation statement ${i + 1} does not parse: ${parsed.error}`);
      continue;
    }
    for (const s of parsed.stmts) {
      const type = Object.keys(s)[0];
      const body = s[type];
      if (type === 'CreateRoleStmt') {
        creates++;
        if (body.role !== NAME) problems.push(`creates role "${body.role}" instead of the leased user "{{name}}"`);
        const opts = new Map<string, Node>((body.options ?? []).map((o: Node) => [o.DefElem.defname, o.DefElem.arg]));
        if (!(body.stmt_type === 'ROLESTMT_USER' || opts.get('canlogin')?.Boolean?.boolval === true)) problems.push('the created role is not LOGIN');
        if (opts.get('validUntil')?.String?.sval !== PLACEHOLDER.expiration) problems.push("has no VALID UNTIL '{{expiration}}': the login outlives its lease");
        const pw = opts.get('password')?.String?.sval;
        if (pw !== undefined && pw !== PLACEHOLDER.password) problems.push("sets a literal PASSWORD instead of '{{password}}'");
        for (const [name] of opts) {
          if (!CREATE_OPTIONS.has(name)) {
            problems.push(name === 'addroleto' ? `joins ${roleNames(opts.get(name)?.List?.items).map(show).join(', ')} (IN ROLE): the promote login is a member of no role, least of all the owner group`
              : `uses CREATE ROLE option ${name.toUpperCase()}`);
          }
        }
      } else if (type === 'GrantStmt' && body.is_grant === true) {
        const grantees = roleNames(body.grantees);
        if (grantees.length !== 1 || grantees[0] !== NAME) problems.push(`GRANTs to ${grantees.map(show).join(', ')}: only to the leased user "{{name}}"`);
        if (body.grant_option === true) problems.push('GRANTs WITH GRANT OPTION: the promote login could hand its privileges on');
        const privs: Node[] = (body.privileges ?? []).map((p: Node) => p.AccessPriv);
        if (privs.length === 0) problems.push(`GRANTs ALL PRIVILEGES on ${body.objtype}`);
        if (body.targtype !== 'ACL_TARGET_OBJECT') {
          problems.push(`GRANTs on ${body.targtype === 'ACL_TARGET_ALL_IN_SCHEMA' ? 'ALL … IN SCHEMA' : body.targtype}: only named, declared tables`);
          continue;
        }
        if (body.objtype === 'OBJECT_DATABASE') {
          const dbs = (body.objects ?? []).map((o: Node) => o.String?.sval);
          if (dbs.length !== 1 || dbs[0] !== env.names.database) problems.push(`GRANTs on database ${dbs.map((d: string) => `"${d}"`).join(', ')}: only CONNECT on its env's "${env.names.database}"`);
          for (const p of privs) if (p.priv_name !== 'connect') problems.push(`GRANTs ${String(p.priv_name).toUpperCase()} on database "${dbs[0]}": only CONNECT`);
        } else if (body.objtype === 'OBJECT_TABLE') {
          for (const o of (body.objects ?? []) as Node[]) {
            const rv = o.RangeVar ?? {};
            const where = `${rv.schemaname ?? '(search_path)'}.${rv.relname}`;
            if (rv.schemaname !== 'public' || rv.catalogname !== undefined) { problems.push(`GRANTs on table ${where}: name it as "public"."<table>"`); continue; }
            const allowed = declared.get(rv.relname);
            if (!allowed) { problems.push(`GRANTs on table ${where}, which the app's promoteGrants do not declare`); continue; }
            for (const p of privs) {
              if (Array.isArray(p.cols) && p.cols.length > 0) problems.push(`GRANTs column privileges on ${where}: tierkit writes table privileges only`);
              if (!DML.has(p.priv_name) || !allowed.has(p.priv_name)) {
                problems.push(`GRANTs ${String(p.priv_name).toUpperCase()} on ${where}: declared ${[...allowed].map((x) => x.toUpperCase()).join(', ') || 'nothing'}`);
              }
            }
          }
        } else {
          problems.push(`GRANTs on ${String(body.objtype).replace(/^OBJECT_/, '')}: only CONNECT on the database and declared table privileges`);
        }
      } else if (type === 'GrantRoleStmt') {
        problems.push(`GRANTs role(s) ${(body.granted_roles ?? []).map((r: Node) => `"${r.AccessPriv?.priv_name}"`).join(', ')}: the promote login is a member of no role`);
      } else {
        problems.push(`runs ${type.replace(/Stmt$/, '')}: only CREATE ROLE and GRANTs of declared DML are allowed`);
      }
    }
  }
  if (creates !== 1) problems.push(`creates ${creates} roles; exactly one CREATE ROLE "{{name}}" is expected`);
  return problems;
}

export const rule: Rule = {
  id: 'TK160',
  name: 'promote-credential-statements',
  severity: 'error',
  title: "The promote credential is an expiring LOGIN holding only its app's declared DML on prod tables",
  explanation:
    "ADR-0003 §4: prod data is written only by a reviewed replay under a deliberately-scoped credential. A member of the "
    + 'owner group can DROP the database, ALTER any table and grant the group on; so the promote login must join no role '
    + "and hold only what the app declares (App.promoteGrants): CONNECT on prod's database and SELECT/INSERT/UPDATE/DELETE "
    + 'on named tables, no GRANT OPTION, no ALL TABLES IN SCHEMA, nothing else. It lives one replay (max_ttl ≤ 1 h), and '
    + 'revocation drops it as every dynamic user is dropped. It exists on prod only, named `<app>-promote`.',
  fix: 'Use the statements tierkit generates (constructs/promote-credential.ts); declare the table in App.promoteGrants instead of editing the statements.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    for (const r of g.dynamicRoles) {
      const p = promoteOf(g, r);
      if (!p) continue;
      const { env, promote } = p;
      const where = `promote credential "${r.backend}/roles/${r.name}" of ${env.app}`;
      const problems: string[] = [];
      if (env.env !== PROD_ENV || env.kind !== 'tier') problems.push(`is declared on env ${env.slug}: only prod holds its app's promote credential`);
      if (r.name !== promoteName(env.app)) problems.push(`is named "${r.name}", not "${promoteName(env.app)}"`);
      problems.push(...declaredProblems(env, promote.grants));
      problems.push(...promoteCreationProblems(r.creationStatements, env, promote.grants));
      problems.push(...revocationProblems(r.revocationStatements, env.names.groupRole, env.names.vaultConnectionRole));
      problems.push(...renewAndRollbackProblems(r));
      if (r.maxTtl === undefined || !(r.maxTtl > 0) || r.maxTtl > PROMOTE_MAX_TTL_SECONDS) {
        problems.push(`max_ttl is ${r.maxTtl ?? "unset (the mount's, 32 days by default)"}; a promote login lives one replay, at most ${PROMOTE_MAX_TTL_SECONDS} s`);
      }
      for (const m of problems) out.push({ env, source: r.source, message: `${where} ${m}` });
    }
    return out;
  },
};
