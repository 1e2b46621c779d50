import { describe, expect, it } from 'vitest';
import { computeChangeSet } from '../../diff/changeset';
import { renderMarkdown } from '../../diff/markdown';
import { readDist } from '../../contract/read';
import { cleanDist, freshDir } from '../policies/helpers';
import { addFile, copyDist, editJson } from '../policies/support/dist-edit';
import { tierkit } from './cli';

/** diff's attention list shows what `check` cannot judge: unresolved values, unmodelled types, dist problems (issue #10). */
describe('diff: what tierkit cannot judge needs attention', () => {
  it('lists every unresolved reach-relevant value and unmodelled block of the head, and each side\'s dist problems', () => {
    const base = copyDist(cleanDist(), freshDir('diff-base'));
    const head = copyDist(cleanDist(), freshDir('diff-head'));
    editJson(head, 'terraform/erp-sandbox/cdk.tf.json', (j) => {
      j.variable.g = { type: 'string' };
      j.resource.postgresql_role.group_role.roles = ['${var.g}'];
      j.resource.null_resource = { x: { provisioner: [{ 'local-exec': { command: 'true' } }] } };
      j.resource.postgresql_event_trigger = { t: { name: 't', event: 'ddl_command_start', function: 'f' } };
    });
    addFile(head, 'terraform/erp-sandbox/notes.tf', '# hand-written');
    const b = readDist(base);
    const h = readDist(head);
    const set = computeChangeSet(b, h);
    const items = set.attention.filter((a) => ['integrity', 'unresolved', 'unmodelled'].includes(a.category)).map((a) => `${a.category}: ${a.message}`);
    expect(items).toEqual([
      expect.stringMatching(/^integrity: head dist: terraform\/erp-sandbox\/notes\.tf is not a file tierkit writes/),
      'unresolved: roles.0 of resource postgresql_role.group_role is not computed by the stack: ${var.g}',
      'unmodelled: resource null_resource.x is of a type tierkit does not model: no rule judges what it does',
      'unmodelled: resource postgresql_event_trigger.t is of a type tierkit does not model: no rule judges what it does',
    ]);
    const md = renderMarkdown(set, b.manifest, h.manifest);
    // Severity 1 (what check cannot judge), one line each, before anything else.
    const first = md.split('\n### 5')[0];
    expect(first).toContain('**value tierkit cannot resolve (check fails on it)** · `stack erp-sandbox`: roles.0 of resource postgresql_role.group_role');
    expect(first).toContain('**type tierkit does not model** · `stack erp-sandbox`: resource null_resource.x');
    expect(first).toContain('**type tierkit does not model** · `stack erp-sandbox`: resource postgresql_event_trigger.t');
    expect(first).toContain('**dist/ integrity (check fails on it)** · `head dist: terraform/erp-sandbox/notes.tf`');
  });

  it('a dist that cannot be read is an error naming its side', () => {
    const base = copyDist(cleanDist(), freshDir('diff-base'));
    const head = copyDist(cleanDist(), freshDir('diff-head'));
    editJson(head, 'manifest.json', (m) => { m.schemaVersion = 99; }, { rehash: false });
    const r = tierkit(['diff', base, head, '--format', 'json']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`the head dist ${head} is unreadable: manifest.json#/schemaVersion: schemaVersion is 99, but this tierkit reads schema 1`);
  });
});
