// estate.ci and dist/ci/rulesets/*.json decide who may satisfy main's required check and who may
// push a tier's rendered paths. Check judges head only for consistency, so the diff must name any
// change to them (attack19); a hand-edited ruleset, consistent or not, is named too.
import { describe, expect, it } from 'vitest';
import type { CiDocument } from '../../contract/read';
import { computeChangeSet } from '../../diff/changeset';
import { renderMarkdown } from '../../diff/markdown';
import { text } from '../../diff/markdown-text';
import { cleanDist } from '../policies/helpers';
import { read } from './fixtures';

function withRuleset(rulesets: readonly CiDocument[], file: string, edit: (doc: any) => void): CiDocument[] {
  return rulesets.map((d) => {
    if (d.file !== file) return d;
    const doc = structuredClone(d.document) as any;
    edit(doc);
    return { ...d, document: doc };
  });
}

describe('diff: CI identity and GitHub rulesets', () => {
  const base = read(cleanDist());

  it('names a publisher App moved to another App, old and new, at severity 2', () => {
    const m = structuredClone(base.manifest) as any;
    const was = m.estate.ci.publisherAppIds.prod;
    m.estate.ci.publisherAppIds.prod = 2222222;
    const rulesets = withRuleset(base.githubRulesets ?? [], 'ci/rulesets/tierkit-rendered-prod.json', (d) => { d.bypass_actors[0].actor_id = 2222222; });
    const set = computeChangeSet(base, { ...base, manifest: m, githubRulesets: rulesets });
    expect(set.identical).toBe(false);
    const items = set.attention.filter((i) => i.category === 'ci-identity');
    expect(items.map((i) => i.subject)).toEqual(['estate.ci.publisherAppIds', 'ci/rulesets/tierkit-rendered-prod.json']);
    expect(items[0].details).toEqual([`estate.ci.publisherAppIds/prod: ${was} → 2222222`]);
    expect(items[1].details).toEqual([`/bypass_actors/0/actor_id: ${was} → 2222222`]);
    const md = renderMarkdown(set, base.manifest, m, { maxChars: 60_000 });
    expect(md).not.toContain('Nothing needs attention');
    expect(md).toMatch(/### 2 · [^\n]*\n\n[^\n]*publisherAppIds[^\n]*another GitHub App/);
  });

  it('names a hand-edited ruleset alone: a bypass actor added, enforcement off', () => {
    const rulesets = withRuleset(base.githubRulesets ?? [], 'ci/rulesets/tierkit-main.json', (d) => {
      d.bypass_actors.push({ actor_id: 5, actor_type: 'RepositoryRole', bypass_mode: 'always' });
      d.enforcement = 'disabled';
    });
    const set = computeChangeSet(base, { ...base, githubRulesets: rulesets });
    expect(set.identical).toBe(false);
    const item = set.attention.find((i) => i.category === 'ci-identity');
    expect(item?.subject).toBe('ci/rulesets/tierkit-main.json');
    expect(item?.details).toEqual([
      '/bypass_actors: [] → (none)', '/bypass_actors/0/actor_id: (none) → 5', '/bypass_actors/0/actor_type: (none) → "RepositoryRole"',
      '/bypass_actors/0/bypass_mode: (none) → "always"', '/enforcement: "active" → "disabled"',
    ]);
  });

  it('names a ruleset added beside tierkit\'s and one that cannot be read', () => {
    const extra: CiDocument = { file: 'ci/rulesets/zz-extra.json', listed: false, error: 'not JSON' };
    const set = computeChangeSet(base, { ...base, githubRulesets: [...(base.githubRulesets ?? []), extra] });
    const item = set.attention.find((i) => i.category === 'ci-identity');
    expect(item?.subject).toBe('ci/rulesets/zz-extra.json');
    expect(item?.message).toMatch(/^new GitHub ruleset/);
    expect(item?.details).toEqual(['/unreadable: (none) → "not JSON"']);
  });

  it('names a hand-edited review plan: the App whose token posts the required check', () => {
    const doc = structuredClone(base.review?.document) as any;
    const job = doc.jobs.find((j: any) => j.appToken);
    const was = job.appToken.appId;
    job.appToken.appId = 2222222;
    const set = computeChangeSet(base, { ...base, review: { ...base.review!, document: doc } });
    const item = set.attention.find((i) => i.category === 'ci-identity');
    expect(item?.subject).toBe('ci/review.json');
    expect(item?.details).toEqual([`/jobs/${doc.jobs.indexOf(job)}/appToken/appId: ${was} → 2222222`]);
  });

  it('no item when nothing of the CI identity changes', () => {
    expect(computeChangeSet(base, base).attention.filter((i) => i.category === 'ci-identity')).toEqual([]);
  });
});

describe('text(): inline Markdown from free text is shown, never rendered', () => {
  it('writes image, link, emphasis, code, math and heading openers as references', () => {
    const t = text('![ok](https://x/) **done** [y](z) `c` $m$ # h ~s~ _i_ a\\|b crm_role');
    expect(t.replace(/&#\d+;/g, '')).not.toMatch(/!\[|\*|\[|`|\$|#|~|_i_/);
    expect(t).toContain('crm_role'); // inside a word: never emphasis
    expect(t).toContain('a&#92;\\|b'); // a backslash cannot un-escape the cell's pipe
  });
});
