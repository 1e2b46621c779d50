import { Rule, RuleFinding, describeEnv } from './support/rule';
import { templateResetNames, templateResetStack } from './support/template-reset';

/** The only sources a golden may be created from: empty system templates (the golden is loaded by its own Job). */
const SYSTEM_TEMPLATES = new Set(['template0', 'template1']);

export const rule: Rule = {
  id: 'TK129',
  name: 'golden-template-database',
  severity: 'error',
  title: 'A template-reset sandbox\'s golden is owned by its template role, closed to connections, no template, and the object of no grant',
  explanation:
    'The golden holds the seed every reset clones (sanitized or iso-prod data). Cloning a database needs its ownership unless '
    + 'it is marked a template, when any CREATEDB role of the server (a preview admin, another sandbox\'s template role) may '
    + 'copy it; connecting to it needs CONNECT, which PUBLIC holds by default. So the golden must be its template role\'s, '
    + 'is_template false, allow_connections false (the reset revokes PUBLIC\'s default, then opens it to its owner for the clone '
    + 'only and closes it again), and no grant resource names it: a grant to a role lets it read the seed or write what every '
    + 'reset restores, and the provider applies any database grant from inside the database, which a closed golden refuses.',
  fix: 'Keep what tierkit writes for the golden (synth/terraform-template-reset.ts): no escape hatch on golden_database or its grants, no grant on it elsewhere.',
  suppressible: false,
  evaluate(g) {
    const out: RuleFinding[] = [];
    g.envs.forEach((env, i) => {
      if (env.sandbox?.reset !== 'template') return;
      const stack = templateResetStack(g.stacks, env);
      if (!stack) return; // TK128 reports the missing stack
      const n = templateResetNames(env);
      const where = { file: 'manifest.json', pointer: `/appEnvironments/${i}/sandbox/reset`, constructPath: env.constructPath };
      const sameServer = (s: string | undefined) => s === undefined || stack.server === undefined || s === stack.server;
      const declared = g.resources.filter((r) => r.type === 'postgresql_database' && r.attributes.name === n.golden);
      const own = declared.filter((r) => r.stack === stack.name);
      if (own.length !== 1) out.push({ env, source: where, message: `template reset of ${describeEnv(env)}: stack ${stack.name} declares ${own.length} databases "${n.golden}"; exactly one is its golden` });
      for (const r of declared.filter((x) => x.stack !== stack.name)) {
        out.push({ env, source: { file: r.file, pointer: r.pointer }, message: `database "${n.golden}" (the golden of ${env.slug}) is declared again in stack ${r.stack}` });
      }
      for (const r of own) {
        const a = r.attributes;
        const src = { file: r.file, pointer: r.pointer };
        if (a.owner !== n.role) out.push({ env, source: src, message: `golden "${n.golden}" is owned by ${JSON.stringify(a.owner ?? null)}; it must be the template role "${n.role}" (an owner's members may clone, alter and drop it)` });
        if (a.allow_connections !== false) out.push({ env, source: src, message: `golden "${n.golden}" sets allow_connections = ${JSON.stringify(a.allow_connections ?? null)}; it must be exactly false` });
        if (a.is_template !== undefined && a.is_template !== false) out.push({ env, source: src, message: `golden "${n.golden}" sets is_template = ${JSON.stringify(a.is_template)}: any CREATEDB role of the server could clone the seed` });
        if (a.template !== undefined && !(typeof a.template === 'string' && SYSTEM_TEMPLATES.has(a.template))) out.push({ env, source: src, message: `golden "${n.golden}" is created from template ${JSON.stringify(a.template)}: it starts empty (template0) and its Job loads the seed` });
      }
      for (const gr of g.databaseGrants) {
        if (gr.database !== n.golden || !sameServer(gr.server)) continue;
        out.push({ env, source: gr.source, message: `stack ${gr.stack.name} grants ${gr.privileges.join(', ') || '(nothing)'} (${gr.objectType || 'no object type'}) on the golden "${n.golden}" to "${gr.role}": no grant names the golden (its reset Job revokes PUBLIC; the provider could not apply a grant on a closed database)` });
      }
    });
    return out;
  },
};
