// attack13: TK010 reads `PASSWORD <string constant>` in SQL, but its pattern requires whitespace or a
// comment between the keyword and the constant (SQL_GAP is `(?:…)+`). PostgreSQL's lexer needs none:
// `PASSWORD'secret'` is the keyword then a string constant (scan.l: an identifier ends at the quote),
// so `ALTER ROLE … PASSWORD'pr-author-knows';` sets a password the PR author wrote in git. Same for
// N'…' (a national character string constant), which the pattern does not list either.
import { describe, expect, it } from 'vitest';
import { check, env, freshDir, synthDist } from '../policies/helpers';
import type { Finding } from '../../policies/report/finding';

const errorsOf = (fs: readonly Finding[]) => fs.filter((f) => !f.suppressed && f.severity === 'error').map((f) => `${f.ruleId} ${f.message}`);

describe('attack13: a literal SQL password with no space after PASSWORD', () => {
  for (const [label, sql] of [
    ['with a space (control: TK010 fires)', `ALTER ROLE "{{name}}" WITH PASSWORD 'pr-author-knows';`],
    ['with no gap', `ALTER ROLE "{{name}}" WITH PASSWORD'pr-author-knows';`],
    // scan.l xnstart: N'…' is a national character string constant, read as a plain string.
    ['as a national character constant', `ALTER ROLE "{{name}}" WITH PASSWORD N'pr-author-knows';`],
  ] as const) {
    it(`check refuses a renew statement setting a literal password ${label}`, async () => {
      const dir = synthDist((e) => env(e, 'erp', 'prod').addEscapeHatch((r) => r.vaultRole.addOverride('renew_statements', [sql])), freshDir('tk010').split('/').pop());
      const report = await check(dir);
      // Rule-level gap: check still exits 1 here (TK004 refuses any renew statement but Vault's
      // default), so this is defense in depth — TK010 itself must read every string constant spelling.
      expect(errorsOf(report.findings)).not.toEqual([]);
      expect(errorsOf(report.findings).filter((e) => e.startsWith('TK010 '))).not.toEqual([]);
    }, 180_000);
  }
});
