import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sandbox, SandboxKind, Tier } from '../../constructs';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { cleanDist, synthDist } from '../policies/helpers';
import { testTmp } from '../setup/tmpdir';
import { step, workflows, type Workflow } from './support';

/**
 * attack17: the review judged an uploaded dist and catch-up re-plans from main, so `locate` runs
 * main's `tierkit check` (repo rules included) on main's own synthesized dist, at the runner's
 * clock, and fails on errors: no apply job runs (each needs locate's success).
 */
const ROOT = resolvePath(__dirname, '../..');
const NAME = "Policy check of main's synthesized dist";
let apply: Workflow;
beforeAll(() => { ({ apply } = workflows(synthesize(estate()).manifest)); });

/** Main's checkout after `Synthesize main`: dist/, policies/ (the repo's own rules), cdktf.json. */
function checkout(dist: string, repoRules: Record<string, string> = {}): string {
  const dir = testTmp('ci', `locate-check-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'npx'), `#!/bin/sh\nshift 2\nexec "${join(ROOT, 'node_modules/.bin/tsx')}" "${join(ROOT, 'cli/main.ts')}" "$@"\n`);
  chmodSync(join(bin, 'npx'), 0o755);
  mkdirSync(join(dir, 'repo/policies'), { recursive: true });
  writeFileSync(join(dir, 'repo/cdktf.json'), '{}\n');
  for (const [name, text] of Object.entries(repoRules)) writeFileSync(join(dir, 'repo/policies', name), text);
  cpSync(dist, join(dir, 'repo/dist'), { recursive: true });
  return dir;
}

function run(dir: string) {
  const s = step(apply.jobs.locate, NAME);
  return spawnSync('bash', ['-e', '-o', 'pipefail', '-c', s.run], {
    cwd: join(dir, 'repo'), encoding: 'utf8', env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}`, HOME: process.env.HOME ?? dir },
  });
}

describe("locate checks main's synthesized dist before anything is planned, applied or caught up", () => {
  it('comes right after main is synthesized, before the reviewed index is read and before catch-up', () => {
    const names = (apply.jobs.locate as any).steps.map((s: any) => s.name);
    const at = names.indexOf(NAME);
    expect(at).toBe(names.indexOf('Synthesize main') + 1);
    expect(at).toBeLessThan(names.indexOf('Download the reviewed plan index'));
    expect(String(step(apply.jobs.locate, NAME).run)).not.toMatch(/git (show|log)|%ct|%cI/);
    // A failed check stops the run: every other job runs only after locate succeeded (directly, or
    // after a publish job that itself required it).
    for (const [id, job] of Object.entries(apply.jobs as Record<string, any>)) {
      if (id === 'locate') continue;
      expect(String(job.if), id).toMatch(/needs\.locate\.result == 'success'|needs\.publish-[a-z-]+\.result == 'success'/);
      const publish = /needs\.(publish-[a-z-]+)\.result == 'success'/.exec(String(job.if))?.[1];
      if (publish) expect(String((apply.jobs as any)[publish].if), id).toContain("needs.locate.result == 'success'");
    }
  });

  it('passes main as synthesized, and fails on a sandbox created in the future whatever a commit says', () => {
    expect(run(checkout(cleanDist())).status).toBe(0);
    const later = synthDist((e) => {
      new Sandbox(e.node.tryFindChild('crm') as any, 'later', { tier: Tier.DEV, kind: SandboxKind.ENGINEER, owner: 'arcodange', createdAt: '2027-11-21', ttlHours: 72 });
    }, 'locate-later');
    const r = run(checkout(later));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('TK123');
  }, 240_000);

  it("runs the repo's own rules: an error from one fails locate", () => {
    const rule = `export const rule = {
  id: 'ACME001', name: 'no-prod', severity: 'error', suppressible: false,
  title: 'test rule', explanation: 'a repo rule', fix: 'change the estate',
  evaluate(graph) { return graph.envs.filter((e) => e.tier === 'prod').map((e) => ({ message: 'prod env ' + e.slug, env: e, source: { file: 'manifest.json', pointer: '/appEnvironments' } })); },
};
`;
    const r = run(checkout(cleanDist(), { 'ACME001-no-prod.ts': rule }));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('ACME001 no-prod');
    expect(r.stdout).toContain('ERROR: prod env crm');
  }, 240_000);
});
