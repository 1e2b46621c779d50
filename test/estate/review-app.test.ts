import { describe, expect, it } from 'vitest';
import { validateEstate } from '../../constructs/validation';
import { smallEstate } from '../support/estates';

/** `ci.reviewAppId` (estate props): the App main's `tierkit review` check accepts must be an App of its own. */
const issues = (ci: Record<string, unknown>) => validateEstate(smallEstate({ ci: { repository: 'test/estate', repositoryId: '100001', ...ci } as never }))
  .filter((i) => i.property.startsWith('ci.'));

describe('ci.reviewAppId', () => {
  it('an App of its own passes; none declared is left to check (TK019)', () => {
    expect(issues({ reviewAppId: 2040010, publisherAppIds: { dev: 2040001 } })).toEqual([]);
    expect(issues({})).toEqual([]);
  });

  it('GitHub Actions, a publisher, or no App id is refused, naming the property, the value and the fix', () => {
    const actions = issues({ reviewAppId: 15368 });
    expect(actions).toEqual([expect.objectContaining({ path: 'test', property: 'ci.reviewAppId', value: 15368, message: expect.stringContaining('is GitHub Actions itself') })]);
    expect(actions[0].fix).toContain('create a GitHub App of its own for the review');
    expect(issues({ reviewAppId: 2040001, publisherAppIds: { dev: 2040001 } })).toEqual([
      expect.objectContaining({ property: 'ci.reviewAppId', message: expect.stringContaining("is also tier dev's publisher App") }),
    ]);
    expect(issues({ reviewAppId: 0 })).toEqual([expect.objectContaining({ property: 'ci.reviewAppId', message: expect.stringContaining("is not a GitHub App's numeric id") })]);
    expect(issues({ reviewAppId: 'app' })).toEqual([expect.objectContaining({ property: 'ci.reviewAppId' })]);
  });
});
