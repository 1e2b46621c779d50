import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Ruleset } from '../../contract/github-rulesets';
import { check, cleanDist, findings, freshDir } from '../policies/helpers';
import { rehashManifest } from '../policies/rehash';

/**
 * The rulesets synth writes to dist/ci/rulesets/: valid request bodies of GitHub's
 * `POST /repos/{owner}/{repo}/rulesets` (GitHub's published OpenAPI description, npm
 * @octokit/openapi 23.0.2, made strict: no key the description does not define), evaluated for
 * what they let each actor push, and judged by TK094 when hand-edited.
 */

let dir: string;
let rulesets: Map<string, Ruleset>;
beforeAll(() => {
  dir = cleanDist();
  rulesets = new Map(['tierkit-main', 'tierkit-rendered', ...['ci', 'demo', 'dev', 'preprod', 'prod', 'staging'].map((t) => `tierkit-rendered-${t}`)]
    .map((n) => [n, JSON.parse(readFileSync(join(dir, 'ci/rulesets', `${n}.json`), 'utf8'))]));
});

/** Every object schema closed (additionalProperties: false) — the description leaves them open. */
function strict(v: any): any {
  if (Array.isArray(v)) return v.map(strict);
  if (!v || typeof v !== 'object') return v;
  const out: any = {};
  for (const [k, x] of Object.entries(v)) out[k] = k === 'properties' ? Object.fromEntries(Object.entries(x as object).map(([p, s]) => [p, strict(s)])) : strict(x);
  if (out.type === 'object' && out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

function validator() {
  const spec = JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8'));
  const body = spec.paths['/repos/{owner}/{repo}/rulesets'].post.requestBody.content['application/json'].schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  return ajv.compile(strict({ ...body, components: { schemas: spec.components.schemas } }));
}

const PUBLISHER = { ci: 1040001, demo: 1040002, dev: 1040003, preprod: 1040004, prod: 1040005, staging: 1040006 } as const;

/** Path glob of a file_path_restriction (`**` any depth, `*` within a segment). */
const glob = (p: string) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '.*')}$`);

/** Would GitHub accept `actor`'s push of `paths` to `ref`, by these rulesets (branch update rules and push path rules)? */
function pushAllowed(actor: { type: string; id?: number }, ref: string, paths: string[], existing = true): string | undefined {
  const bypasses = (r: Ruleset) => r.bypass_actors.some((a) => a.actor_type === actor.type && a.actor_id === actor.id);
  for (const r of rulesets.values()) {
    if (bypasses(r)) continue;
    if (r.target === 'branch' && r.conditions!.ref_name.include.includes(ref)) {
      if (r.rules.some((x) => x.type === (existing ? 'update' : 'creation'))) return `${r.name}: ${existing ? 'update' : 'creation'}`;
      if (r.rules.some((x) => x.type === 'pull_request')) return `${r.name}: pull request required`;
    }
    if (r.target === 'push') {
      for (const rule of r.rules.filter((x) => x.type === 'file_path_restriction')) {
        const hit = paths.find((p) => (rule.parameters as any).restricted_file_paths.some((g: string) => glob(g).test(p)));
        if (hit) return `${r.name}: ${hit}`;
      }
    }
  }
  return undefined;
}

describe('GitHub rulesets (dist/ci/rulesets/)', () => {
  it('are valid bodies of POST /repos/{owner}/{repo}/rulesets (GitHub\'s OpenAPI description, every object closed)', () => {
    const validate = validator();
    for (const [name, r] of rulesets) expect(validate(r) ? [] : validate.errors, name).toEqual([]);
    // The validator is a real gate: an unknown rule type, an unknown key.
    expect(validate({ ...rulesets.get('tierkit-rendered')!, rules: [{ type: 'allow_everyone' }] })).toBe(false);
    expect(validate({ ...rulesets.get('tierkit-rendered')!, bypass_mode: 'always' })).toBe(false);
  }, 120_000);

  it("each tier's path ruleset is bypassed by that tier's publisher only; the rendered branch by the publishers only; main by nobody", () => {
    for (const [tier, id] of Object.entries(PUBLISHER)) {
      expect(rulesets.get(`tierkit-rendered-${tier}`)!.bypass_actors).toEqual([{ actor_id: id, actor_type: 'Integration', bypass_mode: 'always' }]);
    }
    expect(rulesets.get('tierkit-rendered')!.bypass_actors.map((a) => a.actor_id)).toEqual(Object.values(PUBLISHER).sort());
    expect(rulesets.get('tierkit-main')!.bypass_actors).toEqual([]);
    expect(rulesets.get('tierkit-main')!.rules.find((r) => r.type === 'required_status_checks')!.parameters).toMatchObject({ strict_required_status_checks_policy: true });
  });

  it("a publisher's push to another tier's paths is refused; to its own, accepted; any workflow token or a human is refused", () => {
    const rendered = 'refs/heads/rendered';
    expect(pushAllowed({ type: 'Integration', id: PUBLISHER.dev }, rendered, ['dev/shop-dev.k8s.yaml', 'dev/.tierkit-source', 'argocd/dev.k8s.yaml'])).toBeUndefined();
    expect(pushAllowed({ type: 'Integration', id: PUBLISHER.dev }, rendered, ['dev/shop-dev.k8s.yaml', 'prod/crm.k8s.yaml'])).toBe('tierkit-rendered-prod: prod/crm.k8s.yaml');
    expect(pushAllowed({ type: 'Integration', id: PUBLISHER.dev }, rendered, ['argocd/prod.k8s.yaml'])).toBe('tierkit-rendered-prod: argocd/prod.k8s.yaml');
    expect(pushAllowed({ type: 'Integration', id: PUBLISHER.prod }, rendered, ['prod/crm.k8s.yaml'])).toBeUndefined();
    // GitHub Actions' own token (any workflow, a PR's included) is the github-actions App (15368): no publisher.
    expect(pushAllowed({ type: 'Integration', id: 15368 }, rendered, ['dev/x.k8s.yaml'])).toBe('tierkit-rendered: update');
    expect(pushAllowed({ type: 'User', id: 1 }, rendered, ['dev/x.k8s.yaml'])).toBe('tierkit-rendered: update');
    expect(pushAllowed({ type: 'User', id: 1 }, 'refs/heads/main', ['README.md'])).toBe('tierkit-main: pull request required');
    // A PR branch may not carry a root prod/ directory either: the path rule is repository-wide.
    expect(pushAllowed({ type: 'User', id: 1 }, 'refs/heads/feature', ['prod/x.k8s.yaml'], false)).toBe('tierkit-rendered-prod: prod/x.k8s.yaml');
  });

  it('the example estate passes TK094', async () => {
    expect(findings(await check(dir), 'TK094')).toEqual([]);
  });
});

describe('TK094: hand-edited rulesets', () => {
  const edited = (name: string, edit: (r: any) => void) => {
    const to = freshDir('rulesets');
    cpSync(dir, to, { recursive: true });
    const path = join(to, 'ci/rulesets', `${name}.json`);
    const r = JSON.parse(readFileSync(path, 'utf8'));
    edit(r);
    writeFileSync(path, JSON.stringify(r));
    rehashManifest(to);
    return to;
  };

  it("the dev publisher added to prod's path ruleset is an error naming it", async () => {
    const to = edited('tierkit-rendered-prod', (r) => r.bypass_actors.push({ actor_id: PUBLISHER.dev, actor_type: 'Integration', bypass_mode: 'always' }));
    expect(findings(await check(to), 'TK094').map((f) => f.message)).toEqual([
      "ruleset tierkit-rendered-prod lets Integration 1040003 (the dev publisher) bypass it: only tier prod's publisher may write tier prod's paths of the rendered branch",
    ]);
  });

  it('a repository role (admins) bypassing the rendered branch, or a path dropped from a tier, is an error', async () => {
    const admins = edited('tierkit-rendered', (r) => r.bypass_actors.push({ actor_id: 5, actor_type: 'RepositoryRole', bypass_mode: 'always' }));
    expect(findings(await check(admins), 'TK094').map((f) => f.message)).toEqual([expect.stringContaining('lets RepositoryRole 5 bypass it')]);
    const paths = edited('tierkit-rendered-prod', (r) => { r.rules[0].parameters.restricted_file_paths = ['prod/**']; });
    expect(findings(await check(paths), 'TK094').map((f) => f.message)).toEqual([expect.stringContaining('is not the one the estate derives')]);
  });

  it('one App publishing two tiers is an error (the dev job could write prod\'s paths)', async () => {
    const to = freshDir('rulesets-shared-app');
    cpSync(dir, to, { recursive: true });
    const path = join(to, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    m.estate.ci.publisherAppIds.prod = PUBLISHER.dev;
    writeFileSync(path, JSON.stringify(m));
    const { githubRulesets } = await import('../../contract/github-rulesets');
    for (const r of githubRulesets(m)) writeFileSync(join(to, 'ci/rulesets', `${r.name}.json`), JSON.stringify(r));
    rehashManifest(to);
    const messages = findings(await check(to), 'TK094').map((f) => f.message);
    expect(messages).toContain("tier prod's publisher App 1040003 also publishes another tier: one identity per tier, or one tier's job can write the other's paths");
    expect(messages).toContain("tier dev's publisher App 1040003 also publishes another tier: one identity per tier, or one tier's job can write the other's paths");
  });

  it('a missing or unreadable ruleset is an error (fail closed)', async () => {
    const to = freshDir('rulesets-broken');
    cpSync(dir, to, { recursive: true });
    writeFileSync(join(to, 'ci/rulesets/tierkit-main.json'), '[]');
    rehashManifest(to);
    expect(findings(await check(to), 'TK094').map((f) => f.message)).toEqual([expect.stringContaining('ruleset tierkit-main cannot be read')]);
  });
});

describe('TK095: Argo CD reads the guarded repository, or a declared mirror', () => {
  const withEstate = (edit: (e: any) => void) => {
    const to = freshDir('argocd-source');
    cpSync(dir, to, { recursive: true });
    const path = join(to, 'manifest.json');
    const m = JSON.parse(readFileSync(path, 'utf8'));
    edit(m.estate);
    writeFileSync(path, JSON.stringify(m));
    return to;
  };

  it('the example estate declares its mirror: no finding, a reasoned exception in the report', async () => {
    const r = await check(dir);
    expect(findings(r, 'TK095')).toEqual([]);
    expect(JSON.stringify(r)).toContain('argocd.repoUrl https://git.arcodange.lab/platform/estate.git mirrors arcodange/estate');
  });

  it('an undeclared mirror is an error; GitHub itself (https or ssh, any case, .git or not) is none', async () => {
    const undeclared = withEstate((e) => { e.ci.argocdMirrorReason = ''; });
    expect(findings(await check(undeclared), 'TK095').map((f) => f.message)).toEqual([
      "Argo CD reads the rendered branch from https://git.arcodange.lab/platform/estate.git, not from arcodange/estate on GitHub where the publishers' rulesets guard it: an undeclared mirror, whose writers change every tier's pods",
    ]);
    for (const url of ['https://github.com/arcodange/estate.git', 'git@github.com:Arcodange/estate.git', 'https://github.com/arcodange/estate']) {
      expect(findings(await check(withEstate((e) => { e.ci.argocdMirrorReason = ''; e.argocd.repoUrl = url; })), 'TK095'), url).toEqual([]);
    }
    // A look-alike host or another repository on GitHub is no match.
    for (const url of ['https://github.com.evil.lab/arcodange/estate.git', 'https://github.com/arcodange/estate-fork.git']) {
      expect(findings(await check(withEstate((e) => { e.ci.argocdMirrorReason = ''; e.argocd.repoUrl = url; })), 'TK095'), url).toHaveLength(1);
    }
  }, 120_000);
});
