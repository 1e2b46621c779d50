// Issue 22: bad scrub rules and seed store settings fail at declaration, each with the construct
// path, the property, the value and the fix; scrub calls render sorted, whatever the order declared.
import { describe, expect, it } from 'vitest';
import { App, ScrubAction, Tier, validateEstate } from '../../constructs';
import type { Construct } from 'constructs';
import { scrubSql } from '../../constructs/scrub';
import { smallEstate } from '../support/estates';

/** What validation reports for the estate `fn` builds (construction records problems; validation reports them all). */
function issuesOf(fn: () => Construct) {
  const issues = validateEstate(fn().node.root as never);
  if (issues.length === 0) throw new Error('no validation error');
  return issues.map((i) => ({ path: i.path, property: i.property, value: i.value, message: i.message }));
}

const app = (scrub: unknown) => () => new App(smallEstate(), 'erp', {
  tiers: [Tier.DEV, Tier.PROD], objectPrefix: 'llx_', image: 'example/erp:1.0.0', scrub: scrub as never,
});

describe('scrub rules', () => {
  it('refuses a table outside the app prefix, an action that is none, a statement smuggled into deleteWhere, a rule that scrubs nothing', () => {
    expect(issuesOf(app([
      { table: 'pg_authid', columns: { rolpassword: ScrubAction.NULL } },
      { table: 'llx_user', columns: { pass: 'null' } },
      { table: 'llx_const', deleteWhere: "true; DROP TABLE llx_user" },
      { table: 'llx_empty' },
    ]))).toEqual([
      { path: 'test/erp', property: 'scrub[0].table', value: 'pg_authid', message: 'is not a lower-case table name of the app (prefix "llx_")' },
      { path: 'test/erp', property: 'scrub[1].columns.pass', value: 'null', message: 'is not a scrub action' },
      { path: 'test/erp', property: 'scrub[2].deleteWhere', value: 'true; DROP TABLE llx_user', message: 'is not one SQL boolean expression (no `;` or comments)' },
      { path: 'test/erp', property: 'scrub[3]', value: 'llx_empty', message: 'scrubs nothing' },
    ]);
  });

  it('renders one call per action, sorted by table then column, values quoted', () => {
    expect(scrubSql([
      { table: 'llx_user', columns: { pass: ScrubAction.NULL, api_key: ScrubAction.constant("it's gone"), email: ScrubAction.KEYED_HASH } },
      { table: 'llx_const', deleteWhere: "name LIKE 'X%'" },
    ]).split('\n')).toEqual([
      "SELECT pg_temp.tk_scrub_delete('llx_const', 'name LIKE ''X%''');",
      "SELECT pg_temp.tk_scrub_column('llx_user', 'api_key', 'constant', 'it''s gone');",
      "SELECT pg_temp.tk_scrub_column('llx_user', 'email', 'keyed-hash', NULL);",
      "SELECT pg_temp.tk_scrub_column('llx_user', 'pass', 'null', NULL);",
    ]);
  });
});

describe('seed store', () => {
  it('refuses a server or export root that is no host or absolute directory', () => {
    expect(issuesOf(() => smallEstate({ seedStore: { server: 'nfs://x', exportRoot: '/seeds/../etc' } }))).toEqual([
      { path: 'test', property: 'seedStore.server', value: 'nfs://x', message: 'is not a host name or IPv4 address' },
      { path: 'test', property: 'seedStore.exportRoot', value: '/seeds/../etc', message: 'is not an absolute directory path without `.`/`..` segments or a trailing slash' },
    ]);
  });
});
