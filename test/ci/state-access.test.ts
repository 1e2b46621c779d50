import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { StateAccessDocument } from '../../contract/state-access';
import { check, cleanDist, env, findings, freshDir, synthDist } from '../policies/helpers';
import { rehashManifest } from '../policies/rehash';
import { cpSync } from 'node:fs';

/**
 * Terraform state identities (dist/ci/state-access.json, TK092/TK093): one role per planner and
 * applier per tier plus platform-admin, each reaching exactly its stacks' keys, trusted only by
 * its own runs; every stack's backend key is the one naming derives. Attacks: an escape hatch on
 * a stack's backend, a hand-edited state-access file (rehashed, so only the rule can catch it).
 */

let clean: string;
let doc: StateAccessDocument;
beforeAll(() => {
  clean = cleanDist();
  doc = JSON.parse(readFileSync(join(clean, 'ci/state-access.json'), 'utf8'));
});

const id = (d: StateAccessDocument, name: string) => d.identities.find((i) => i.name === name)!;
const resources = (d: StateAccessDocument, name: string, sid: string) =>
  (id(d, name).permissionsPolicy.Statement.find((s) => s.Sid === sid)!.Resource as string[]);

/** A copy of the clean dist with state-access.json edited and the manifest re-hashed. */
function editedAccess(edit: (d: any) => void): string {
  const dir = freshDir('state-access');
  cpSync(clean, dir, { recursive: true });
  const path = join(dir, 'ci/state-access.json');
  const d = JSON.parse(readFileSync(path, 'utf8'));
  edit(d);
  writeFileSync(path, JSON.stringify(d));
  rehashManifest(dir);
  return dir;
}

describe('state identities (synthesized)', () => {
  it('the prod applier writes exactly the keys (and lock objects) of the app-environment stacks prod gates', () => {
    expect(id(doc, 'tierkit-state-apply-prod').stacks).toEqual(['crm', 'erp', 'erp-sandbox', 'shop']);
    expect(resources(doc, 'tierkit-state-apply-prod', 'ReadWriteState')).toEqual(
      ['crm', 'erp', 'erp-sandbox', 'shop'].map((s) => `arn:aws:s3:::arcodange-tfstate/estate/prod/servers/prod-pg/${s}.tfstate`).sort());
    expect(resources(doc, 'tierkit-state-apply-prod', 'StateLock')).toEqual(
      ['crm', 'erp', 'erp-sandbox', 'shop'].map((s) => `arn:aws:s3:::arcodange-tfstate/estate/prod/servers/prod-pg/${s}.tfstate.tflock`).sort());
  });

  it("no dev identity reaches a key of a stack prod gates; planners only read", () => {
    const prodKeys = [
      ...['crm', 'erp', 'erp-sandbox', 'shop'].map((s) => `estate/prod/servers/prod-pg/${s}.tfstate`),
      ...['platform', 'platform-prod'].map((s) => `estate/prod/platform/${s}.tfstate`),
    ];
    for (const i of doc.identities.filter((x) => x.tier === 'dev' || x.tier === 'preprod')) {
      const all = JSON.stringify(i.permissionsPolicy);
      for (const k of prodKeys) expect(all.includes(`/${k}"`), `${i.name} reaches ${k}`).toBe(false);
    }
    for (const i of doc.identities.filter((x) => x.access === 'read')) {
      const actions = i.permissionsPolicy.Statement.flatMap((s) => [s.Action].flat());
      expect(actions.sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    }
  });

  it('platform stacks are written by platform-admin only, in its environment, from the apply workflow at main', () => {
    const pa = id(doc, 'tierkit-state-platform-admin');
    expect(pa.stacks).toEqual(['platform', 'platform-dev', 'platform-preprod', 'platform-prod']);
    expect(pa.subjects).toEqual(['repository_id:812347795:environment:platform-admin:job_workflow_ref:arcodange/estate/.github/workflows/tierkit-apply.yml@refs/heads/main']);
    expect(JSON.stringify(id(doc, 'tierkit-state-apply-prod').permissionsPolicy)).not.toContain('platform');
  });

  it("trust: the OIDC provider of the backend's account, sts audience, and the identity's own subject; a PR subject never matches an applier", () => {
    const t = id(doc, 'tierkit-state-apply-prod').trustPolicy.Statement[0] as any;
    expect(t.Principal).toEqual({ Federated: 'arn:aws:iam::318462750923:oidc-provider/token.actions.githubusercontent.com' });
    expect(t.Condition.StringEquals).toEqual({ 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' });
    const prSub = 'repository_id:812347795:environment:prod:job_workflow_ref:arcodange/estate/.github/workflows/tierkit-pr.yml@refs/pull/7/merge';
    // IAM StringLike: `*` any run of characters, `?` one.
    const like = (p: string, v: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(v);
    for (const i of doc.identities.filter((x) => x.access === 'write')) {
      for (const s of i.subjects) expect(like(s, prSub), `${i.name} admits a PR run`).toBe(false);
    }
    expect(like(id(doc, 'tierkit-state-plan-prod').subjects[0], 'repository_id:812347795:environment:prod-plan:job_workflow_ref:arcodange/estate/.github/workflows/tierkit-pr.yml@refs/pull/7/merge')).toBe(true);
    expect(like(id(doc, 'tierkit-state-plan-prod').subjects[0], 'repository_id:812347795:pull_request:job_workflow_ref:arcodange/estate/.github/workflows/tierkit-pr.yml@refs/pull/7/merge')).toBe(false);
    expect(doc.githubOidcSubjectTemplate).toEqual({ use_default: false, include_claim_keys: ['repository_id', 'context', 'job_workflow_ref'] });
  });

  it('the example estate passes TK092 and TK093', async () => {
    const r = await check(clean);
    expect(findings(r, 'TK092')).toEqual([]);
    expect(findings(r, 'TK093')).toEqual([]);
  });
});

describe('TK092: a stack keeps its state under its own key, in the estate backend', () => {
  it("an escape hatch pointing a dev stack's backend at prod's key is an error", async () => {
    const dir = synthDist((e) => env(e, 'crm', 'dev').addEscapeHatch((r) => r.stack.addOverride('terraform.backend.s3.key', 'estate/prod/servers/prod-pg/crm.tfstate')));
    const f = findings(await check(dir), 'TK092');
    expect(f.map((x) => x.message)).toEqual([expect.stringContaining('stack crm-dev keeps its state under key "estate/prod/servers/prod-pg/crm.tfstate", not its own "estate/dev/servers/nonprod-pg/crm-dev.tfstate"')]);
    expect(f[0].severity).toBe('error');
  });

  it('backend credentials of its own (role_arn) are an error', async () => {
    const dir = synthDist((e) => env(e, 'crm', 'dev').addEscapeHatch((r) => r.stack.addOverride('terraform.backend.s3.role_arn', 'arn:aws:iam::318462750923:role/tierkit-state-apply-prod')));
    expect(findings(await check(dir), 'TK092').map((x) => x.message)).toEqual([expect.stringContaining('backend setting "role_arn"')]);
  });

  it('a second backend type is an error', async () => {
    const dir = synthDist((e) => env(e, 'crm', 'dev').addEscapeHatch((r) => r.stack.addOverride('terraform.backend.local', { path: 'x' })));
    expect(findings(await check(dir), 'TK092').map((x) => x.message)).toEqual([expect.stringContaining('declares backend "local" and "s3"')]);
  });
});

describe('TK093: a hand-edited state-access file', () => {
  it("a dev applier granted prod's state key is an error that names prod", async () => {
    const dir = editedAccess((d) => {
      const dev = d.identities.find((i: any) => i.name === 'tierkit-state-apply-dev');
      dev.permissionsPolicy.Statement.find((s: any) => s.Sid === 'ReadWriteState').Resource.push('arn:aws:s3:::arcodange-tfstate/estate/prod/servers/prod-pg/crm.tfstate');
    });
    const f = findings(await check(dir), 'TK093');
    expect(f.map((x) => x.message)).toEqual([expect.stringContaining('reaches arn:aws:s3:::arcodange-tfstate/estate/prod/servers/prod-pg/crm.tfstate — the state of stack crm, gated by prod')]);
  });

  it('a wildcard key is an error', async () => {
    const dir = editedAccess((d) => { d.identities.find((i: any) => i.name === 'tierkit-state-apply-dev').permissionsPolicy.Statement[1].Resource = ['arn:aws:s3:::arcodange-tfstate/estate/*']; });
    expect(findings(await check(dir), 'TK093').map((x) => x.message)).toEqual([expect.stringContaining('reaches arn:aws:s3:::arcodange-tfstate/estate/*')]);
  });

  it('a planner granted PutObject is an error', async () => {
    const dir = editedAccess((d) => { d.identities.find((i: any) => i.name === 'tierkit-state-plan-prod').permissionsPolicy.Statement[1].Action = ['s3:GetObject', 's3:PutObject']; });
    expect(findings(await check(dir), 'TK093').map((x) => x.message)).toEqual([expect.stringContaining('is allowed s3:PutObject')]);
  });

  it("an applier trusting pull request runs is an error", async () => {
    const dir = editedAccess((d) => {
      d.identities.find((i: any) => i.name === 'tierkit-state-apply-prod').trustPolicy.Statement[0].Condition.StringLike['token.actions.githubusercontent.com:sub'] = 'repository_id:812347795:*';
    });
    expect(findings(await check(dir), 'TK093').map((x) => x.message)).toEqual([expect.stringContaining('"tierkit-state-apply-prod" trusts more than its own runs: subjects')]);
  });

  it('a removed identity, an unreadable file, or a missing file is an error (fail closed)', async () => {
    const removed = editedAccess((d) => { d.identities = d.identities.filter((i: any) => i.name !== 'tierkit-state-plan-dev'); });
    expect(findings(await check(removed), 'TK093').map((x) => x.message)).toEqual([expect.stringContaining('lacks state identity "tierkit-state-plan-dev"')]);
    const broken = freshDir('state-access-broken');
    cpSync(clean, broken, { recursive: true });
    writeFileSync(join(broken, 'ci/state-access.json'), '{ not json');
    rehashManifest(broken);
    expect(findings(await check(broken), 'TK093').map((x) => x.message)).toEqual([expect.stringContaining('cannot be read')]);
  });

  it('a name written twice is an error even when both copies are exact; every copy is judged, wherever it stands', async () => {
    const twin = editedAccess((d) => { d.identities.push(JSON.parse(JSON.stringify(d.identities.find((i: any) => i.name === 'tierkit-state-apply-prod')))); });
    const n = doc.identities.length;
    expect(findings(await check(twin), 'TK093').map((x) => [x.pointer, x.message])).toEqual([
      [`/identities/${n}`, expect.stringContaining(`declares state identity "tierkit-state-apply-prod" 2 times (/identities/${doc.identities.findIndex((i) => i.name === 'tierkit-state-apply-prod')}, /identities/${n})`)],
    ]);
    // A widened copy after the genuine one (the one a last-wins Map judged) and one before it: both found.
    for (const at of ['after', 'before'] as const) {
      const dir = editedAccess((d) => {
        const wide = JSON.parse(JSON.stringify(d.identities.find((i: any) => i.name === 'tierkit-state-plan-dev')));
        wide.permissionsPolicy.Statement[1].Action = ['s3:GetObject', 's3:PutObject'];
        if (at === 'after') d.identities.push(wide); else d.identities.unshift(wide);
      });
      const messages = findings(await check(dir), 'TK093').map((x) => x.message);
      expect(messages, at).toEqual(expect.arrayContaining([expect.stringContaining('"tierkit-state-plan-dev" 2 times'), expect.stringContaining('is allowed s3:PutObject')]));
      expect(messages, at).toHaveLength(2);
    }
  });
});

describe('the workflows assume the state identity whose trust admits their own token', () => {
  it('every job assuming a state role: the role is declared, and its subject matches the job (environment, workflow, ref)', async () => {
    const { synthesize } = await import('../../constructs/synth/synthesize');
    const { default: estate } = await import('../../environments');
    const { workflows } = await import('./support');
    const m = synthesize(estate()).manifest;
    const { pr, apply } = workflows(m);
    const like = (p: string, v: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(v);
    const tiers = m.tiers.map((t) => t.name);
    let judged = 0;
    for (const [file, wf, ref] of [['tierkit-pr.yml', pr, 'refs/pull/7/merge'], ['tierkit-apply.yml', apply, 'refs/heads/main']] as const) {
      for (const [jobId, job] of Object.entries(wf.jobs)) {
        for (const s of job.steps.filter((x: any) => x.with?.['role-to-assume'])) {
          // A matrix job's tier placeholder: every tier it could be.
          const arns = /\$\{\{ matrix\.gatingTier \}\}/.test(s.with['role-to-assume']) ? tiers.map((t) => [t, s.with['role-to-assume'].replace('${{ matrix.gatingTier }}', t)]) : [[undefined, s.with['role-to-assume']]];
          for (const [tier, arn] of arns) {
            const name = String(arn).replace(/^arn:aws:iam::318462750923:role\//, '');
            const identity = doc.identities.find((i) => i.name === name);
            if (!identity) continue; // a tier with no stacks CI plans or applies has no identity (nor matrix entry)
            const environment = String(job.environment ?? '').replace('${{ matrix.gatingTier }}', tier ?? '');
            // The ungated plan job's matrix holds only automatically gated tiers (plan-gates.test.ts).
            if (!environment && tier && m.tiers.find((t) => t.name === tier)!.applyGate.human) continue;
            const sub = `repository_id:812347795:${environment ? `environment:${environment}` : 'pull_request'}:job_workflow_ref:arcodange/estate/.github/workflows/${file}@${ref}`;
            expect(identity.subjects.some((p) => like(p, sub)), `${file} ${jobId} (${sub}) cannot assume ${name}`).toBe(true);
            judged++;
          }
        }
      }
    }
    expect(judged).toBeGreaterThan(20);
  });
});

describe('estate props cannot widen the state grants', () => {
  // Validation reports these (never a throw from Backend.s3: one mechanism, every problem in one run; test/estate/one-run.test.ts).
  it('Backend.s3 refuses a wildcard key prefix or bucket, naming the prop and the fix', async () => {
    const { Backend } = await import('../../constructs/backend');
    const issues = (props: Parameters<typeof Backend.s3>[0]) => Backend.s3(props).issues('estate').map((i) => `${i.property} ${JSON.stringify(i.value)}: ${i.message}; ${i.fix}`);
    expect(issues({ bucket: 'arcodange-tfstate', region: 'eu-west-3', keyPrefix: '*', accountId: '318462750923' })).toEqual([expect.stringMatching(/^backend\.keyPrefix "\*": must be path segments.*keyPrefix: 'estate'$/)]);
    expect(issues({ bucket: 'arcodange-tfstate', region: 'eu-west-3', keyPrefix: 'estate/', accountId: '318462750923' })).toEqual([expect.stringMatching(/no leading or trailing/)]);
    expect(issues({ bucket: 'arcodange-*', region: 'eu-west-3', accountId: '318462750923' })).toEqual([expect.stringMatching(/^backend\.bucket "arcodange-\*": is not an S3 bucket name/)]);
    expect(issues({ bucket: 'arcodange-tfstate', region: 'eu-west-3', accountId: '3184' })).toEqual([expect.stringMatching(/^backend\.accountId "3184": is not a 12-digit AWS account id/)]);
    expect(issues({ bucket: 'arcodange-tfstate', region: 'eu-west-3', keyPrefix: 'estate', accountId: '318462750923' })).toEqual([]);
  });

  it('TK093 refuses a pattern in a resource even when the manifest derives it (a hand-edited manifest and file)', async () => {
    const dir = freshDir('state-wild');
    cpSync(clean, dir, { recursive: true });
    const mp = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(mp, 'utf8'));
    m.estate.backend.keyPrefix = '*';
    writeFileSync(mp, JSON.stringify(m));
    const { stateAccess } = await import('../../contract/state-access');
    writeFileSync(join(dir, 'ci/state-access.json'), JSON.stringify(stateAccess(m)));
    rehashManifest(dir);
    const f = findings(await check(dir), 'TK093');
    expect(f.length).toBeGreaterThan(0);
    expect(f.every((x) => /a pattern \(IAM reads/.test(x.message))).toBe(true);
  });
});
