// attack8 hole 3: TK093 indexes the identities of dist/ci/state-access.json by name in a Map, so of two
// entries with the same name only the LAST is judged. A hand edit that puts, before the genuine
// `tierkit-state-plan-dev`, a second `tierkit-state-plan-dev` trusted by ANY pull request run of any
// repository (`sub` StringLike "*") and allowed s3:PutObject/DeleteObject on prod's state keys passes
// `tierkit check` (exit 0): the operator creates the roles "as written there" (docs/pr-flow.md), and
// whichever copy their tooling applies is unjudged half the time. No other rule reads the list.
// Secure behaviour asserted: check reports an error (TK093) for the duplicated, widened identity.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, cleanDist, freshDir } from '../policies/helpers';
import { rehashManifest } from '../policies/rehash';

describe('attack8: a duplicated state identity name in dist/ci/state-access.json', () => {
  it('is an error of tierkit check, not a pass', async () => {
    const dir = freshDir('attack8-state-dup');
    cpSync(cleanDist(), dir, { recursive: true });
    const path = join(dir, 'ci/state-access.json');
    const doc = JSON.parse(readFileSync(path, 'utf8'));
    const genuine = doc.identities.find((i: any) => i.name === 'tierkit-state-plan-dev');
    const wide = JSON.parse(JSON.stringify(genuine));
    wide.trustPolicy.Statement[0].Condition.StringLike['token.actions.githubusercontent.com:sub'] = '*';
    wide.permissionsPolicy.Statement.push({
      Sid: 'Prod', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      Resource: ['arn:aws:s3:::arcodange-tfstate/estate/shop.tfstate', 'arn:aws:s3:::arcodange-tfstate/estate/erp.tfstate'],
    });
    doc.identities.unshift(wide);
    writeFileSync(path, JSON.stringify(doc, null, 2));
    rehashManifest(dir);

    const report = await check(dir);
    const errors = report.findings.filter((f) => f.severity === 'error' && !f.suppressed);
    // Today: no error at all — the check passes (exit 0).
    expect(errors.map((f) => `${f.ruleId} ${f.message}`)).not.toEqual([]);
    expect(errors.some((f) => f.ruleId === 'TK093')).toBe(true);
  });
});
