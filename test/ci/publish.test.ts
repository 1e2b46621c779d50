import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { publishedTiers } from '../../ci/github-publish';
import { dist } from '../../constructs/naming';
import type { Manifest } from '../../constructs/synth/manifest';
import { synthesize } from '../../constructs/synth/synthesize';
import estate from '../../environments';
import { testTmp } from '../setup/tmpdir';
import { runStep, step, testSigningKey, Workflow, workflows } from './support';

/**
 * The rendered-manifests branch: after the applies, each tier's reviewed manifests land on the
 * branch the Argo CD Applications track. The generated publish step runs here for real, with git,
 * against a bare repository standing in for GitHub.
 */

let manifest: Manifest;
let files: Record<string, string>;
let apply: Workflow;
let origin: string;
let older: string;
let newer: string;
/** The tier publisher's signing key (a test key generated here): armored secret key, its public key and long key id. */
let signing: { secret: string; public: string; keyId: string };

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const BRANCH = () => manifest.estate.argocd.targetRevision;

beforeAll(() => {
  const out = synthesize(estate());
  manifest = out.manifest;
  files = Object.fromEntries([...out.files].map(([rel, text]) => [`dist/${rel}`, text]));
  apply = workflows(manifest).apply;
  // main with two commits, the second a child of the first.
  const root = testTmp('ci', `publish-${process.pid}`);
  origin = join(root, 'origin.git');
  const src = join(root, 'src');
  mkdirSync(src, { recursive: true });
  git(root, 'init', '-q', '--bare', origin);
  git(src, 'init', '-q', '-b', 'main');
  git(src, 'config', 'user.email', 't@example.test');
  git(src, 'config', 'user.name', 't');
  writeFileSync(join(src, 'README.md'), 'one\n');
  git(src, 'add', '.');
  git(src, 'commit', '-qm', 'one');
  older = git(src, 'rev-parse', 'HEAD');
  writeFileSync(join(src, 'README.md'), 'two\n');
  git(src, 'commit', '-qam', 'two');
  newer = git(src, 'rev-parse', 'HEAD');
  git(src, 'push', '-q', origin, 'main');
  signing = testSigningKey(join(root, 'gnupg'));
});

/** `git verify-commit` of the rendered branch's head, with only `publicKey` trusted (none: an empty keyring). */
export function verifyBranchHead(repo: string, ref: string, publicKey?: string): { ok: boolean; output: string } {
  const home = testTmp('ci', `verify-${process.pid}-${Math.random().toString(36).slice(2)}`);
  execFileSync('chmod', ['700', home]);
  if (publicKey) execFileSync('gpg', ['--batch', '--homedir', home, '--import'], { input: publicKey, stdio: ['pipe', 'pipe', 'pipe'] });
  // --raw writes gpg's status lines (GOODSIG <key id> …) to stderr.
  const r = spawnSync('git', ['verify-commit', '--raw', ref], { cwd: repo, env: { ...process.env, GNUPGHOME: home }, encoding: 'utf8' });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** Run the publish step of `tier` as the checkout of `sha`, with `dist` (default: the example's). */
function publish(tier: string, sha: string, dist: Record<string, string> = files, reviewed = sha256(dist['dist/manifest.json']), env: Record<string, string> = {}) {
  const job = apply.jobs[`publish-${tier}`];
  const s = step(job, `Publish k8s/${tier}`);
  return runStep({ ...s, env: { ...s.env, ...env } }, dist, {
    'github.sha': sha, 'needs.locate.outputs.dist-sha256': reviewed, 'steps.publisher.outputs.token': 'test-token', 'needs.locate.outputs.stacks': '[]', 'needs.locate.outputs.catch-up': '[]',
    'secrets.TIERKIT_PUBLISHER_GPG_PRIVATE_KEY': signing.secret,
  }, {
    setup: (dir) => {
      git(dir, 'init', '-q');
      git(dir, 'remote', 'add', 'origin', origin);
      git(dir, 'fetch', '-q', origin, 'main:refs/remotes/origin/main');
      git(dir, 'checkout', '-q', sha);
      // A hook planted in the checkout (say, by an install script of an earlier step) must never run.
      for (const hook of ['pre-commit', 'post-commit', 'pre-push', 'reference-transaction']) {
        writeFileSync(join(dir, '.git', 'hooks', hook), `#!/bin/sh\necho ${hook} >> "${join(dir, 'hook-ran')}"\n`, { mode: 0o755 });
      }
    },
  });
}

/** The rendered branch's files: path → content. */
function branch(): Map<string, string> {
  const out = new Map<string, string>();
  let listing: string;
  try {
    listing = git(origin, 'ls-tree', '-r', '--name-only', BRANCH());
  } catch {
    return out;
  }
  for (const path of listing.split('\n').filter(Boolean)) out.set(path, git(origin, 'show', `${BRANCH()}:${path}`) + '\n');
  return out;
}

const branchHead = () => git(origin, 'rev-parse', BRANCH());

describe('publishing the rendered manifests', () => {
  it('has one job per CI-applied tier, after that tier\'s applies, in the tier\'s publish environment, with a read-only GITHUB_TOKEN and the tier\'s publisher App token', () => {
    const tiers = publishedTiers(manifest).map((t) => t.name);
    expect(tiers).not.toContain('local');
    expect(Object.keys(apply.jobs).filter((j) => j.startsWith('publish-')).sort()).toEqual(tiers.map((t) => `publish-${t}`).sort());
    for (const t of manifest.tiers.filter((x) => tiers.includes(x.name))) {
      const job = apply.jobs[`publish-${t.name}`];
      expect(job.environment, t.name).toBe(`publish-${t.name}`);
      expect(job.permissions).toEqual({ contents: 'read' });
      expect(step(job, `Publish k8s/${t.name}`).env.GITHUB_TOKEN).toBe('${{ steps.publisher.outputs.token }}');
      expect(step(job, 'publisher').with).toMatchObject({ 'app-id': '${{ secrets.TIERKIT_PUBLISHER_APP_ID }}', 'permission-contents': 'write' });
      // Nothing installed or synthesized in the job that can write the rendered branch.
      expect(job.steps.some((x: any) => /\bnpm\b|\bnpx\b|tierkit synth/.test(String(x.run ?? ''))), t.name).toBe(false);
      for (const s of manifest.stacks.filter((x) => x.tier === t.name && x.applyGate !== 'none')) {
        expect(job.needs, `${t.name} publishes after ${s.name}`).toContain(`apply-${s.name}`);
        // Applied, or nothing to apply: an apply skipped after another's failure holds the rollout back.
        expect(job.if, `${t.name} waits for ${s.name}`).toContain(
          `(needs.apply-${s.name}.result == 'success' || (!contains(fromJSON(needs.locate.outputs.stacks), '${s.name}') && !contains(fromJSON(needs.locate.outputs.catch-up), '${s.name}')))`);
      }
    }
  });

  it('creates the branch with the tier\'s files, and every Argo CD Application of the tier finds its file there', () => {
    const r = publish('prod', older);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(join(r.dir, 'hook-ran')), 'a git hook ran in the publish step').toBe(false);
    // Control: the same step with the hooks setting taken away does run them (the check above can fail).
    const control = publish('prod', older, files, undefined, { GIT_CONFIG_COUNT: '0' });
    expect(existsSync(join(control.dir, 'hook-ran'))).toBe(true);
    const tree = branch();
    const tierFiles = Object.keys(files).filter((f) => f.startsWith(`dist/${dist.k8sTierDir('prod')}/`));
    expect(tierFiles.length).toBeGreaterThan(2);
    for (const f of tierFiles) expect(tree.get(dist.renderedPath(f.slice('dist/'.length))), f).toBe(files[f]);
    expect(tree.get('prod/.tierkit-source')).toBe(`${older}\n`);
    expect([...tree.keys()].some((p) => p.startsWith('dev/'))).toBe(false);
    // What Argo CD will look for: app of apps → applications → each env's include.
    // The bootstrap file and the Applications file hold the tier's AppProjects too.
    const appOfApps = parseAllDocuments(tree.get(dist.renderedPath(dist.k8sAppOfApps('prod')))!).map((d) => d.toJS()).find((o) => o.kind === 'Application');
    const apps = parseAllDocuments(tree.get(`${appOfApps.spec.source.path}/applications.k8s.yaml`)!).map((d) => d.toJS()).filter((o) => o.kind === 'Application');
    expect(apps.length).toBeGreaterThan(0);
    for (const a of apps) {
      expect(a.spec.source.targetRevision).toBe(BRANCH());
      expect(tree.has(`${a.spec.source.path}/${a.spec.source.directory.include}`), a.metadata.name).toBe(true);
    }
  });

  it('publishing another tier leaves this one alone; a newer main replaces the tier (removed files go); an older one never overwrites it', () => {
    expect(publish('dev', older).status).toBe(0);
    const afterDev = branch();
    expect(afterDev.get('prod/.tierkit-source')).toBe(`${older}\n`);
    expect(afterDev.get('dev/.tierkit-source')).toBe(`${older}\n`);

    const gone = Object.keys(files).find((f) => /^dist\/k8s\/prod\/[^/]+\.k8s\.yaml$/.test(f))!;
    const without = { ...files };
    delete without[gone];
    const r = publish('prod', newer, without, sha256(files['dist/manifest.json']));
    expect(r.status, r.stderr).toBe(0);
    const afterNewer = branch();
    expect(afterNewer.has(dist.renderedPath(gone.slice('dist/'.length)))).toBe(false);
    expect(afterNewer.get('prod/.tierkit-source')).toBe(`${newer}\n`);
    expect(afterNewer.get('dev/.tierkit-source')).toBe(`${older}\n`);

    const head = branchHead();
    const late = publish('prod', older);
    expect(late.status, late.stderr).toBe(0);
    expect(late.stdout).toContain('newer than');
    expect(branchHead()).toBe(head);
    const again = publish('prod', newer, without, sha256(files['dist/manifest.json']));
    expect(again.status).toBe(0);
    expect(branchHead()).toBe(head);
  });

  it('removes a tier that is no longer published, unless a newer commit published it', () => {
    // A newer commit publishes staging; an older run (approved late) whose manifest had no staging keeps it.
    expect(publish('staging', newer).status).toBe(0);
    const late = publish('dev', older, files, undefined, { PUBLISHED_TIERS: 'dev prod' });
    expect(late.status, late.stderr).toBe(0);
    expect([...branch().keys()].some((p) => p.startsWith('staging/'))).toBe(true);
    // A newer commit that no longer publishes prod (say, its gate became none): prod goes, with its app of apps.
    const r = publish('dev', newer, files, undefined, { PUBLISHED_TIERS: 'ci dev demo staging preprod' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('tier prod is no longer published');
    const tree = branch();
    expect([...tree.keys()].filter((p) => p.startsWith('prod/') || p === 'argocd/prod.k8s.yaml')).toEqual([]);
    expect(tree.has('argocd/dev.k8s.yaml')).toBe(true);
    expect(tree.get('staging/.tierkit-source')).toBe(`${newer}\n`);
  });

  it('refuses a dist that is not the reviewed one, and pushes nothing', () => {
    const head = branchHead();
    const r = publish('preprod', newer, files, 'f'.repeat(64));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('different dist than the reviewed one');
    expect(branchHead()).toBe(head);
    expect([...branch().keys()].some((p) => p.startsWith('preprod/'))).toBe(false);
  });
});

describe('the publish job verifies before it obtains a token', () => {
  const verify = (tier: string, dist: Record<string, string>, reviewed = sha256(files['dist/manifest.json'])) => {
    const job = apply.jobs[`publish-${tier}`];
    const names = job.steps.map((x: any) => x.id ?? x.name);
    // Verification comes before the publisher's token exists.
    expect(names.indexOf(`Verify k8s/${tier} against the reviewed manifest`)).toBeLessThan(names.indexOf('publisher'));
    return runStep(step(job, `Verify k8s/${tier} against the reviewed manifest`), dist, { 'needs.locate.outputs.dist-sha256': reviewed });
  };

  it('passes main\'s dist as synthesized', () => {
    const r = verify('prod', files);
    expect(r.status, r.stderr + r.stdout).toBe(0);
  });

  it('refuses a changed manifest file, an unlisted one, or a dist that is not the reviewed one', () => {
    const f = Object.keys(files).find((x) => /^dist\/k8s\/prod\/[^/]+\.k8s\.yaml$/.test(x))!;
    const changed = verify('prod', { ...files, [f]: files[f] + '---\nkind: ClusterRoleBinding\n' });
    expect(changed.status).toBe(1);
    expect(changed.stdout).toContain('differs from the sha256');
    const extra = verify('prod', { ...files, 'dist/k8s/prod/extra.k8s.yaml': 'kind: Namespace\n' });
    expect(extra.status).toBe(1);
    expect(extra.stdout).toContain('files no manifest lists would be published for prod: dist/k8s/prod/extra.k8s.yaml');
    const other = verify('prod', files, 'f'.repeat(64));
    expect(other.status).toBe(1);
    expect(other.stdout).toContain('is not the reviewed one');
  });

  it('no job of either workflow holding contents: write installs packages or synthesizes', () => {
    const { pr } = workflows(manifest);
    for (const wf of [pr, apply]) {
      const top = wf.permissions?.contents;
      for (const [id, job] of Object.entries<any>(wf.jobs)) {
        const contents = job.permissions ? job.permissions.contents : top;
        if (contents !== 'write') continue;
        expect(job.steps.some((x: any) => /\bnpm\b|\bnpx\b|tierkit synth/.test(String(x.run ?? ''))), id).toBe(false);
      }
    }
  });
});

describe('no dropped merge is shipped: publish refuses a tier whose stacks are behind their last apply (real git)', () => {
  /** main's dist with the manifest's sha256 of some stacks' cdk.tf.json changed (what a merge changing them does). */
  const changed = (stacks: string[]) => {
    const m = JSON.parse(files['dist/manifest.json']);
    for (const a of m.artifacts) if (a.kind === 'terraform-stack' && stacks.includes(a.stack)) a.sha256 = sha256(`${a.sha256} changed`);
    return { ...files, 'dist/manifest.json': JSON.stringify(m) };
  };

  it('last applied A, merges B (crm-dev; its apply run cancelled) and C (shop-dev): the run at C refuses to publish dev until crm-dev is applied', () => {
    // A: demo publishes, recording its stacks as applied at A.
    const a = publish('demo', older);
    expect(a.status, a.stderr + a.stdout).toBe(0);
    const record = JSON.parse(branch().get('demo/.tierkit-applied')!);
    expect(Object.keys(record)).toContain('shop-demo');
    const head = branchHead();
    // C's dist: B changed shop-demo's stack (never applied: run cancelled), C changed platform; C's run planned only platform.
    const atC = changed(['shop-demo', 'platform']);
    const refused = publish('demo', newer, atC, sha256(atC['dist/manifest.json']), { PLANNED_STACKS: '["platform"]' });
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain('not publishing demo: stack(s) shop-demo changed since their last apply and were neither planned nor caught up by this run');
    expect(branchHead()).toBe(head);
    // A run that plans (and so applied) every stack changed since A publishes, and records C.
    // A run that re-planned (caught up) the stack behind and applied it publishes, and records it at C.
    const ok = publish('demo', newer, atC, sha256(atC['dist/manifest.json']), { PLANNED_STACKS: '["platform"]', CAUGHT_UP_STACKS: '["shop-demo"]' });
    expect(ok.status, ok.stderr + ok.stdout).toBe(0);
    const after = JSON.parse(branch().get('demo/.tierkit-applied')!);
    expect(after['shop-demo']).toEqual({ commit: newer, sha256: JSON.parse(atC['dist/manifest.json']).artifacts.find((x: any) => x.stack === 'shop-demo' && x.kind === 'terraform-stack').sha256 });
    expect(Object.keys(after).sort()).toEqual(['platform', 'shop-demo']);
    expect(after.platform.commit).toBe(newer);
    expect(branch().get('demo/.tierkit-source')).toBe(`${newer}\n`);
  });
});

describe('rendered commits are signed by the tier publisher\'s key (real gpg, git verify-commit)', () => {
  it('every commit the publish step pushes verifies against the publisher\'s public key, and against no other keyring', () => {
    const r = publish('staging', newer);
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const good = verifyBranchHead(origin, BRANCH(), signing.public);
    expect(good.ok, good.output).toBe(true);
    expect(good.output).toMatch(new RegExp(`GOODSIG ${signing.keyId}`));
    const untrusted = verifyBranchHead(origin, BRANCH());
    expect(untrusted.ok).toBe(false);
    // The branch's root commit (made when the branch did not exist) is signed too.
    const rootCommit = git(origin, 'rev-list', '--max-parents=0', BRANCH());
    expect(verifyBranchHead(origin, rootCommit, signing.public).ok).toBe(true);
  });

  it('without a signing key, or with one that is no GPG secret key, publish refuses and pushes nothing', () => {
    const head = branchHead();
    const job = apply.jobs['publish-prod'];
    const s = step(job, 'Publish k8s/prod');
    for (const [key, message] of [['', 'no signing key: set the secret TIERKIT_PUBLISHER_GPG_PRIVATE_KEY of environment publish-prod'], [signing.public, 'holds no secret key'], ['not a key', 'not an importable GPG secret key']] as const) {
      const r = runStep(s, files, {
        'github.sha': newer, 'needs.locate.outputs.dist-sha256': sha256(files['dist/manifest.json']), 'steps.publisher.outputs.token': 'test-token',
        'needs.locate.outputs.stacks': '[]', 'needs.locate.outputs.catch-up': '[]', 'secrets.TIERKIT_PUBLISHER_GPG_PRIVATE_KEY': key,
      }, { setup: (dir) => { git(dir, 'init', '-q'); git(dir, 'remote', 'add', 'origin', origin); git(dir, 'fetch', '-q', origin, 'main:refs/remotes/origin/main'); git(dir, 'checkout', '-q', newer); } });
      expect(r.status, key.slice(0, 20)).toBe(1);
      expect(r.stdout).toContain(message);
      expect(branchHead()).toBe(head);
    }
  });
});
