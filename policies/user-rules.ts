/**
 * The estate repo's own rules: `policies/<ID>-<name>.ts` (or .js), one Rule per file, exported as
 * `rule` (or default), with an id of the repo's own prefix (never `TK`). They run in a child
 * process, never beside the built-in rules: what a user rule does there — process.exit(0),
 * mutating what it can reach, throwing, looping — can only make its own findings wrong or
 * missing. The parent gets plain data back, checks it, and reports it through proxy rules, so a
 * user rule's findings, suppressions and failures read like the built-in ones, while the
 * built-in rules run in the parent, untouched.
 */
import { fork } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Env, EstateGraph, Source } from './graph/types';
import type { Rule, RuleContext, RuleFinding, Severity } from './rules/support/rule';

/** `ACME001-image-pinned.ts`: the id, a dash, a kebab-case name. */
export const USER_RULE_FILE = /^([A-Z][A-Z0-9]*[0-9]{3})-[a-z0-9][a-z0-9-]*\.(ts|js|cts|cjs)$/;
const SEVERITIES: readonly Severity[] = ['error', 'warning', 'note'];
/** A user rule that has not answered by then is a failed rule, not a passed one. */
export const USER_RULES_TIMEOUT_MS = 120_000;

export interface UserRuleFile {
  readonly id: string;
  readonly file: string;
}

/** The rule files in `dir` (sorted). Files that look like rules but are misnamed are refused. */
export function findUserRules(dir: string): UserRuleFile[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const out: UserRuleFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    const m = USER_RULE_FILE.exec(name);
    if (!m || name.endsWith('.d.ts')) continue;
    if (m[1].startsWith('TK')) {
      throw new Error(`${join(dir, name)}: the id prefix TK is tierkit's own; give the rule your repo's own prefix (e.g. ACME001-${name.slice(m[1].length + 1)})`);
    }
    const twin = out.find((r) => r.id === m[1]);
    if (twin) throw new Error(`${join(dir, name)}: rule id ${m[1]} is also ${twin.file}; give each rule its own id`);
    out.push({ id: m[1], file: join(dir, name) });
  }
  return out;
}

interface SerializedFinding {
  readonly message: string;
  readonly source?: Source;
  readonly env?: string;
  readonly fix?: string;
  readonly unsuppressible?: string;
}
interface RuleResult {
  readonly id: string;
  readonly summary?: Omit<Rule, 'evaluate'>;
  readonly findings?: readonly SerializedFinding[];
  readonly exemptions?: readonly { subject: string; reason: string; source?: Source; env?: string }[];
  readonly error?: string;
}
interface Job {
  readonly dist: string;
  readonly now: string;
  readonly rules: readonly UserRuleFile[];
}
const MESSAGE = 'tierkit-user-rules';

const isStr = (v: unknown): v is string => typeof v === 'string';
const optStr = (v: unknown) => v === undefined || isStr(v);
function isSource(v: unknown): v is Source {
  const s = v as Source;
  return !!s && typeof s === 'object' && isStr(s.file) && isStr(s.pointer) && optStr(s.resourcePath) && optStr(s.constructPath);
}

/** The one result of rule `id` in the child's answer, checked field by field; an error string otherwise. */
function checkResult(id: string, results: unknown): RuleResult {
  const all = Array.isArray(results) ? results.filter((r) => r?.id === id) : [];
  if (all.length !== 1) return { id, error: `the user-rules process answered ${all.length} results for ${id}` };
  const r = all[0] as RuleResult;
  if (r.error !== undefined) return { id, error: isStr(r.error) ? r.error : 'failed' };
  const s = r.summary;
  if (!s || s.id !== id || !isStr(s.name) || !SEVERITIES.includes(s.severity) || !isStr(s.title) || !isStr(s.explanation) || !isStr(s.fix) || typeof s.suppressible !== 'boolean') {
    return { id, error: `its export is no Rule with id ${id} (id, name, severity error|warning|note, title, explanation, fix, suppressible, evaluate)` };
  }
  const findings = r.findings;
  if (!Array.isArray(findings) || !findings.every((f) => f && isStr(f.message) && (f.source === undefined || isSource(f.source)) && optStr(f.env) && optStr(f.fix) && optStr(f.unsuppressible))) {
    return { id, error: 'evaluate() returned something other than a list of findings ({ message, source?, env?, fix?, unsuppressible? })' };
  }
  const exemptions = Array.isArray(r.exemptions) ? r.exemptions.filter((e) => e && isStr(e.subject) && isStr(e.reason)) : [];
  return { id, summary: { id, name: s.name, severity: s.severity, title: s.title, explanation: s.explanation, fix: s.fix, suppressible: s.suppressible }, findings, exemptions };
}

/** A rule that failed to run: an error finding, never a pass. */
function failedRule(id: string, why: string): Rule {
  return {
    id, name: 'user-rule-failed', severity: 'error', suppressible: false,
    title: `User rule ${id} could not judge the estate`,
    explanation: 'A rule that did not run has not passed the estate.',
    fix: `Fix the rule in policies/${id}-*.ts (run it with tierkit check --verbose).`,
    evaluate: () => [{ message: `user rule ${id} failed: ${why}` }],
  };
}

/** Proxies the engine evaluates like built-in rules: they replay the child's checked answer. */
function proxyRule(r: RuleResult): Rule {
  if (!r.summary) return failedRule(r.id, r.error ?? 'no result');
  return {
    ...r.summary,
    evaluate(g: EstateGraph, ctx: RuleContext): RuleFinding[] {
      const env = (slug: string | undefined): Env | undefined => (slug === undefined ? undefined : g.index.bySlug.get(slug));
      for (const e of r.exemptions ?? []) ctx.exempt({ subject: e.subject, reason: e.reason, source: e.source, env: env(e.env) });
      return (r.findings ?? []).map((f) => ({
        message: f.message, source: f.source, env: env(f.env), fix: f.fix, ...(f.unsuppressible ? { unsuppressible: f.unsuppressible } : {}),
      }));
    },
  };
}

/** Run the user rules over `dist` in a child process; one proxy Rule per rule file. */
export async function runUserRules(dist: string, now: Date, rules: readonly UserRuleFile[]): Promise<Rule[]> {
  if (rules.length === 0) return [];
  const job: Job = { dist, now: now.toISOString(), rules };
  const answer = await new Promise<{ results?: unknown; why?: string }>((done) => {
    // tsx's require hook loads TypeScript rules (and this module in tierkit's own sources).
    const child = fork(__filename, [MESSAGE, JSON.stringify(job)], {
      execArgv: ['--require', require.resolve('tsx/cjs')], stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    let results: unknown;
    let answered = false;
    child.stderr?.on('data', (d) => { stderr = (stderr + d).slice(-2000); });
    child.on('message', (m: { kind?: string; results?: unknown }) => {
      // The first answer counts: a rule cannot send a second one over it.
      if (!answered && m?.kind === MESSAGE) { answered = true; results = m.results; }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), USER_RULES_TIMEOUT_MS);
    child.on('error', (err) => { clearTimeout(timer); done({ why: err.message }); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (answered && code === 0) done({ results });
      else done({ why: `the user-rules process ${signal ? `was killed (${signal}${signal === 'SIGKILL' ? `, no answer within ${USER_RULES_TIMEOUT_MS / 1000} s` : ''})` : `exited with code ${code}`}${answered ? '' : ' before answering'}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}` });
    });
  });
  return rules.map(({ id }) => (answer.why !== undefined ? failedRule(id, answer.why) : proxyRule(checkResult(id, answer.results))));
}

/** The child: load the dist and each rule, evaluate, answer once, exit. */
async function child(job: Job): Promise<void> {
  // Captured before any rule loads: a rule cannot replace what answers for it.
  const send = process.send!.bind(process);
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { loadSqlParser } = require('./graph/sql') as typeof import('./graph/sql');
  const { buildGraph } = require('./graph/build') as typeof import('./graph/build');
  const { readDist } = require('./dist/read') as typeof import('./dist/read');
  /* eslint-enable @typescript-eslint/no-require-imports */
  await loadSqlParser();
  const now = new Date(job.now);
  const results: RuleResult[] = [];
  for (const { id, file } of job.rules) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(file);
      const rule = (mod.rule ?? mod.default) as Rule | undefined;
      if (!rule || typeof rule.evaluate !== 'function' || rule.id !== id) {
        results.push({ id, error: `${file} must export \`rule\` (or default): a Rule with id ${id} (found ${rule ? `id ${JSON.stringify(rule.id)}` : 'nothing'})` });
        continue;
      }
      // Each rule gets its own graph: a rule mutating it cannot change what the next one sees.
      const graph = buildGraph(readDist(job.dist));
      const exemptions: RuleResult['exemptions'] & object[] = [];
      const ctx: RuleContext = { now: new Date(now), exempt: (e) => exemptions.push({ subject: e.subject, reason: e.reason, source: e.source, env: e.env?.slug }) };
      const findings = rule.evaluate(graph, ctx).map((f) => ({ message: f.message, source: f.source, env: f.env?.slug, fix: f.fix, unsuppressible: f.unsuppressible }));
      const { evaluate, ...summary } = rule;
      void evaluate;
      results.push(JSON.parse(JSON.stringify({ id, summary, findings, exemptions })));
    } catch (err) {
      results.push({ id, error: `${(err as Error)?.message ?? String(err)}` });
    }
  }
  send({ kind: MESSAGE, results }, () => process.exit(0));
}

if (process.argv[2] === MESSAGE && process.send) {
  child(JSON.parse(process.argv[3]) as Job).catch((err) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
