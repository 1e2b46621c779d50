// attack4: a NUL byte in a data promote change script hides every statement after it from
// `tierkit data-promote inspect` (libpg-query reads a C string: it stops at the NUL), while the
// rehearsal and replay run `psql -c "$(cat -- "$script")"`: bash drops the NUL and sends the rest.
// DDL, COMMIT, SET ROLE … after the NUL pass the inspection and reach the server (and GitHub shows
// a file holding a NUL as binary: the reviewer does not see the hidden statements either).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DATA_PROMOTE_REHEARSE_SCRIPT } from '../../constructs/lifecycle/data-promote';
import { inspectChangeScript } from '../../promote/data-script';
import { testTmp } from '../setup/tmpdir';

const HIDDEN = "UPDATE llx_facture SET note = 'paid' WHERE rowid = 1;\0DROP TABLE llx_user; COMMIT; SET ROLE erp_sandbox_role;";

describe('attack4: NUL byte hides statements from the data promote inspection', () => {
  it('inspect refuses a script holding a NUL byte (or sees the statements after it)', async () => {
    const v = await inspectChangeScript(Buffer.from(HIDDEN, 'utf8'));
    expect(v.ok).toBe(false);
  });

  it('the rehearsal never sends a statement the inspection did not see', () => {
    const dir = testTmp('attack4-nul');
    const shim = join(dir, 'shim');
    mkdirSync(shim, { recursive: true });
    const sent = join(dir, 'sent');
    // psql stand-in: records what -c would send; answers the target check; hashes nothing.
    writeFileSync(join(shim, 'psql'), `#!/usr/bin/env bash
for a in "$@"; do if [[ "$prev" == "-c" ]]; then printf '%s' "$a" >> "${sent}"; fi; prev="$a"; done
[[ " $* " == *" -c "* ]] && exit 0
in="$(cat)"; if [[ "$in" == *pg_has_role* ]]; then echo "sandboxdb true false"; fi
`, { mode: 0o755 });
    writeFileSync(join(shim, 'tierkit'), `#!/bin/sh\nexec ${resolve(__dirname, '..', '..', 'bin', 'tierkit')} "$@"\n`, { mode: 0o755 });
    writeFileSync(join(dir, 'creds'), "export PGUSER='u'\nexport PGPASSWORD='p'\n");
    const script = join(dir, '0001.sql');
    writeFileSync(script, HIDDEN);
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const r = spawnSync('/bin/bash', ['-c', DATA_PROMOTE_REHEARSE_SCRIPT], {
      encoding: 'utf8', cwd: dir,
      env: {
        PATH: `${shim}:${process.env.PATH}`, HOME: dir, PGHOST: 'sb.db', PGDATABASE: 'sandboxdb',
        TIERKIT_CREDENTIALS_FILE: join(dir, 'creds'), TIERKIT_OBJECT_PREFIX: 'llx_', TIERKIT_CHANGE_SCRIPT: script,
        TIERKIT_REHEARSAL_FILE: join(dir, 'rehearsal'), TIERKIT_GROUP_ROLE: 'erp_sandbox_role',
        TIERKIT_SANDBOX_HOST: 'sb.db', TIERKIT_SANDBOX_DATABASE: 'sandboxdb', TIERKIT_SEED_CONTENT_SHA256: empty,
      },
    });
    let got = '';
    try { got = readFileSync(sent, 'utf8'); } catch { /* nothing sent */ }
    // Secure: refused before psql -c, so DROP TABLE never reaches the server.
    expect({ code: r.status, sent: got }).toEqual({ code: 8, sent: '' });
  }, 60_000);
});
