// attack6a: the golden's scrub now runs as tierkit_seed (no superuser), so a rule planted by prod's app
// can no longer read a server file — but it does not need to. prod's app owns its tables and can attach
//   CREATE RULE keep AS ON UPDATE TO <credential table> DO ALSO INSERT INTO <another prefixed table> VALUES (OLD.<column>);
//   ALTER TABLE <credential table> ENABLE ALWAYS RULE keep;
// pg_dump --table=<prefix>* carries the rule (plain SQL, no function), pg_restore recreates it, and
// session_replication_role = replica does not stop an ALWAYS rule: the scrub's own UPDATE copies every
// original credential into the other table. The verification (seed-verify.ts) only looks for originals
// in the scrubbed column itself, so the golden is written and hashed with prod's credentials in it; a
// DELETE rule does the same for `deleteWhere` (llx_oauth_token). The rule can be made to fire only on
// the throwaway copy (`WHERE current_user = 'tierkit_seed'`), leaving prod's own table empty.
// Secure behaviour asserted: the golden dump refuses (nothing written) or the dump holds no original.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOLDEN_DUMP_SCRIPT } from '../../constructs/lifecycle';
import { ScrubAction, scrubSql } from '../../constructs/scrub';
import { testTmp } from '../setup/tmpdir';

const BIN = process.env.TIERKIT_PG15_BIN || '/usr/lib/postgresql/15/bin';
const PREFIX = 'qzv_';

describe('attack6a: an ENABLE ALWAYS rule in prod copies scrubbed credentials into another table of the golden', () => {
  it('the golden dump refuses, or publishes no original credential', () => {
    const dir = testTmp('attack6a-always-rule');
    const sock = join(dir, 'sock');
    mkdirSync(sock, { recursive: true });
    mkdirSync(join(dir, 'scratch'), { recursive: true });
    const scrub = scrubSql([{ table: `${PREFIX}account`, columns: { secret: ScrubAction.NULL } }]);
    writeFileSync(join(dir, 'golden.sh'), GOLDEN_DUMP_SCRIPT);
    writeFileSync(join(dir, 'creds'), "export PGUSER='admin'\nexport PGPASSWORD='unused'\n");
    writeFileSync(join(dir, 'run.sh'), `set -euo pipefail
export PATH=${BIN}:$PATH
initdb -D ${dir}/prod -U admin --auth=trust >/dev/null
pg_ctl -D ${dir}/prod -l ${dir}/prod.log -w -s -o "-c listen_addresses='' -c unix_socket_directories='${sock}' -c port=5499" start
trap 'pg_ctl -D ${dir}/prod -m immediate -s stop || true' EXIT
psql -X -q -v ON_ERROR_STOP=1 -h ${sock} -p 5499 -U admin -d postgres -c 'CREATE DATABASE erp'
psql -X -q -v ON_ERROR_STOP=1 -h ${sock} -p 5499 -U admin -d erp <<'SQL'
CREATE TABLE ${PREFIX}account (id int PRIMARY KEY, secret text);
INSERT INTO ${PREFIX}account SELECT g, 'ORIG-secret-' || g FROM generate_series(1, 5) g;
CREATE TABLE ${PREFIX}journal (v text);
CREATE RULE keep AS ON UPDATE TO ${PREFIX}account WHERE current_user = 'tierkit_seed' DO ALSO INSERT INTO ${PREFIX}journal VALUES (OLD.secret);
ALTER TABLE ${PREFIX}account ENABLE ALWAYS RULE keep;
SQL
export PGHOST=${sock} PGPORT=5499 PGSSLMODE=disable PGDATABASE=erp TIERKIT_CREDENTIALS_FILE=${dir}/creds TIERKIT_OBJECT_PREFIX=${PREFIX}
export TIERKIT_DUMP_FILE=${dir}/seed.dump TIERKIT_HASHES_FILE=${dir}/seed.hashes TIERKIT_SCRATCH_DIR=${dir}/scratch
export TIERKIT_SCRUB_SQL=${JSON.stringify(scrub).replace(/\$/g, '\\$')}
status=0; bash ${dir}/golden.sh || status=$?
echo "golden-dump-exit=$status"
if [ -f ${dir}/seed.dump ]; then pg_restore -f - ${dir}/seed.dump; fi
`);
    chmodSync(dir, 0o777);
    let r;
    if (process.getuid?.() === 0) {
      execFileSync('chown', ['-R', 'postgres:postgres', dir]);
      r = spawnSync('/usr/bin/setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', '/bin/bash', join(dir, 'run.sh')], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
    } else {
      r = spawnSync('/bin/bash', [join(dir, 'run.sh')], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
    }
    expect(r.stdout).toMatch(/golden-dump-exit=\d+/);
    const published = /golden-dump-exit=0/.test(r.stdout) && existsSync(join(dir, 'seed.dump'));
    // Secure: either nothing is published, or the published golden holds no original credential.
    if (published) expect(r.stdout).not.toMatch(/ORIG-secret-\d/);
  }, 120_000);
});
