import { canonicalJson } from '../../contract/order';
import { isUnknown } from '../../contract/terraform/unknown';
import { ROOT_ROTATION_STATEMENTS } from '../../contract/vault-statements';
import type { TerraformResource } from '../../contract';
import { Rule, RuleFinding } from './support/rule';
import {
  CONNECTION_ATTRIBUTES, CONNECTION_PLUGIN, MOUNT_CONNECTION_ATTRIBUTES, PLUGIN_BLOCKS, POSTGRESQL_BLOCK_ATTRIBUTES, USERNAME_SHAPE,
} from './support/vault-connection-attributes';

type Bag = Record<string, unknown>;

const isBag = (v: unknown): v is Bag => typeof v === 'object' && v !== null && !Array.isArray(v) && !isUnknown(v);

/** The one `postgresql` block (an object, or a list of exactly one, as Terraform JSON allows), or why it is not one. */
function oneBlock(v: unknown): Bag | string {
  const list = Array.isArray(v) ? v : [v];
  if (list.length !== 1) return `has ${list.length} postgresql blocks; exactly one`;
  return isBag(list[0]) ? list[0] : `has a postgresql block tierkit cannot read (${isUnknown(list[0]) ? 'an expression' : JSON.stringify(list[0] ?? null)})`;
}

/** What of one connection's settings (the resource's, or one block of a secrets mount) is not what tierkit writes. */
function settingsProblems(top: Bag, pg: Bag, allowedTop: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(top).sort()) {
    if (!allowedTop.has(k)) out.push(`sets ${k}${PLUGIN_BLOCKS.has(k) ? ' (another database plugin)' : ''}, which tierkit never writes on a connection`);
  }
  if (top.plugin_name !== CONNECTION_PLUGIN) out.push(`has plugin_name ${JSON.stringify(top.plugin_name ?? null)}, not "${CONNECTION_PLUGIN}"`);
  if (top.verify_connection !== true) out.push(`has verify_connection ${JSON.stringify(top.verify_connection ?? null)}, not true`);
  const rotation = top.root_rotation_statements;
  if (rotation !== undefined && canonicalJson(rotation) !== canonicalJson(ROOT_ROTATION_STATEMENTS)) {
    out.push(`has root_rotation_statements ${JSON.stringify(isUnknown(rotation) ? '(an expression)' : rotation)}, not tierkit's ${JSON.stringify(ROOT_ROTATION_STATEMENTS)} (or none)`);
  }
  for (const k of Object.keys(pg).sort()) {
    if (!POSTGRESQL_BLOCK_ATTRIBUTES.has(k)) out.push(`sets postgresql.${k}, which tierkit never writes${k === 'username_template' ? ': Vault substitutes the username it renders into the creation statements verbatim' : ''}`);
  }
  const user = pg.username;
  if (typeof user !== 'string' || !USERNAME_SHAPE.test(user)) {
    out.push(`logs in as ${isUnknown(user) ? 'an expression tierkit cannot read' : JSON.stringify(user ?? null)}: not a plain role name (Vault puts it into the root rotation statement as {{name}})`);
  }
  return out;
}

function findings(r: TerraformResource, where: string, problems: readonly string[], env: RuleFinding['env'], pointer = r.pointer): RuleFinding[] {
  return problems.map((p) => ({ env, source: { file: r.file, pointer, resourcePath: r.constructPath, constructPath: env?.constructPath }, message: `${where} ${p}` }));
}

export const rule: Rule = {
  id: 'TK151',
  name: 'vault-connection-attributes',
  severity: 'error',
  title: 'A Vault database connection sets exactly the attributes tierkit writes: no username_template, no other plugin, no setting that feeds text into SQL',
  explanation:
    'Vault\'s postgresql plugin renders the new login\'s name from the connection\'s username_template, then replaces '
    + '{{name}} in the creation statements by plain string replacement (hashicorp/vault sdk/helper/dbtxn/dbtxn.go: parseQuery, '
    + 'strings.ReplaceAll; ExecuteTxQueryDirect runs the result unprepared, tx.ExecContext). A template holding a quote therefore '
    + 'rewrites the statements TK004/TK145 prove, e.g. a never-expiring planner or prod login with the PR author\'s password. '
    + 'The rules that judge a connection read its allowed roles, login, URL and rotation; any attribute they do not model '
    + '(username_template, password_authentication, disable_escaping, data, another plugin block, count, lifecycle…) is '
    + 'unjudged, so it is refused: the connection is an allowlist of what tierkit writes (plugin postgresql-database-plugin, '
    + 'verify_connection true, tierkit\'s root rotation statement or none, a plain role name as login).',
  fix: 'Remove the attribute (escape hatch or hand edit): keep the connection tierkit writes (constructs/synth/app-environment-stack.ts, terraform-platform.ts, terraform-previews.ts).',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    const envOf = new Map(g.stacks.map((s) => [s.name, s.env]));
    for (const r of g.resources) {
      if (r.kind === 'data' || (r.type !== 'vault_database_secret_backend_connection' && r.type !== 'vault_database_secrets_mount')) continue;
      const env = envOf.get(r.stack);
      if (r.type === 'vault_database_secret_backend_connection') {
        const where = `Vault connection ${r.address} of stack ${r.stack}`;
        const top = { ...r.raw, ...r.attributes };
        const pg = oneBlock(r.attributes.postgresql);
        out.push(...findings(r, where, typeof pg === 'string' ? [pg] : settingsProblems(top, pg, CONNECTION_ATTRIBUTES), env));
      } else if (r.type === 'vault_database_secrets_mount') {
        // One connection per plugin block: each postgresql block is held to the same allowlist; any other plugin is refused.
        for (const k of Object.keys(r.attributes).sort()) {
          if (PLUGIN_BLOCKS.has(k) && k !== 'postgresql') out.push(...findings(r, `Vault database mount ${r.address} of stack ${r.stack}`, [`sets ${k} (another database plugin), which tierkit never writes`], env));
        }
        const blocks = r.attributes.postgresql;
        if (blocks === undefined) continue;
        const list = Array.isArray(blocks) ? blocks : [blocks];
        list.forEach((b, i) => {
          const pointer = Array.isArray(blocks) ? `${r.pointer}/postgresql/${i}` : `${r.pointer}/postgresql`;
          const where = `Vault connection ${r.address} (postgresql block ${i}) of stack ${r.stack}`;
          if (!isBag(b)) {
            out.push(...findings(r, where, ['is a block tierkit cannot read'], env, pointer));
            return;
          }
          // In a mount, a block's own keys hold both the connection's settings and the plugin's.
          const top = Object.fromEntries(Object.entries(b).filter(([k]) => !POSTGRESQL_BLOCK_ATTRIBUTES.has(k)));
          const pg = Object.fromEntries(Object.entries(b).filter(([k]) => POSTGRESQL_BLOCK_ATTRIBUTES.has(k)));
          out.push(...findings(r, where, settingsProblems(top, pg, MOUNT_CONNECTION_ATTRIBUTES), env, pointer));
        });
      }
    }
    return out;
  },
};
