import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DATA_PROMOTE_REHEARSE_SCRIPT, DATA_PROMOTE_REPLAY_SCRIPT } from '../../constructs/lifecycle/data-promote';
import { RESET_SCRIPT } from '../../constructs/lifecycle/scripts';
import { canonicalJson } from '../../contract/order';
import { RecordError, dataRecordPath } from '../../contract/promotion-record';
import { inspectChangeScript, scriptSha256 } from '../../promote/data-script';
import { approversOf, dataRecordFromReplay, verifyRunRecord } from '../../promote/data-record';
import { parse } from '../args';
import { Command, EXIT, UsageError } from '../command';

/** The scripts the data-promote workflow runs (ci/github-data-promote.ts): one copy of their text, printed. */
const SCRIPTS: Readonly<Record<string, string>> = { reset: RESET_SCRIPT, rehearse: DATA_PROMOTE_REHEARSE_SCRIPT, replay: DATA_PROMOTE_REPLAY_SCRIPT };

function readJson(cwd: string, file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(resolve(cwd, file), 'utf8'));
  } catch (err) {
    throw new RecordError(`cannot read ${what} ${file}: ${(err as Error).message}`);
  }
}

export const dataPromoteCommand: Command = {
  name: 'data-promote',
  summary: 'The data promote: inspect a change script, print its scripts, read approvers, write and verify its record (docs/data-promote.md)',
  help: `Usage: tierkit data-promote inspect <change-script.sql>
       tierkit data-promote script reset|rehearse|replay
       tierkit data-promote approvers <approvals.json> --environment <env>
       tierkit data-promote record <replay.json> --approvals <approvals.json> --environment <env>
                                   --repository <owner/name> --run-id <id> --run-attempt <n> --out <dir>
       tierkit data-promote verify <dir> --app <app> --environment <env> --repository <owner/name>
                                   --run-id <id> --run-attempt <n> --record-id <id> --script <path>

inspect    parses the script with PostgreSQL's own parser and refuses anything but INSERT, UPDATE and
           DELETE (DDL, transaction control, SET, COPY, DO, CALL, SELECT, …). On success prints
           \`script_sha256=<hex>\` (the hash the rehearsal records and the replay compares).
script     prints the bash text the workflow runs (the sandbox reset, the rehearsal, the replay).
approvers  prints, comma-separated, the logins that approved <env> in the body of
           GET /repos/{owner}/{repo}/actions/runs/{run_id}/approvals; refuses a rejection or none.
record     writes <dir>/promotions/<app>/data/<id>.json from the replay's output and the approvals
           (the approvers the replay ran with must be those GitHub lists); prints its path.
verify     reads the record artifact <dir> (exactly promotions/<app>/data/<record-id>.json, read
           strictly) and holds it to this run: app, environment, repository, run id, an attempt
           no later than --run-attempt, the script's path and the sha256 of its bytes here;
           prints the record's repository path.

Exit codes: 0 accepted, 1 refused (each problem printed), 2 usage error.`,

  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      environment: { type: 'string' }, approvals: { type: 'string' }, repository: { type: 'string' }, 'run-id': { type: 'string' }, out: { type: 'string' },
      'run-attempt': { type: 'string' }, app: { type: 'string' }, 'record-id': { type: 'string' }, script: { type: 'string' },
    }, 2);
    const [sub, arg] = positionals;
    if (sub === 'script') {
      const text = arg === undefined ? undefined : SCRIPTS[arg];
      if (text === undefined) throw new UsageError(`pass script ${Object.keys(SCRIPTS).join('|')}`);
      io.out(text.replace(/\n$/, ''));
      return EXIT.OK;
    }
    if (sub === 'verify') {
      const { app, environment, repository, script } = values;
      const runId = values['run-id'];
      const runAttempt = values['run-attempt'];
      const recordId = values['record-id'];
      if (arg === undefined || !app || !environment || !repository || !runId || !runAttempt || !recordId || !script) {
        throw new UsageError('pass verify <dir> --app <app> --environment <env> --repository <owner/name> --run-id <id> --run-attempt <n> --record-id <id> --script <path>');
      }
      try {
        let bytes: Buffer;
        try {
          bytes = readFileSync(resolve(io.cwd, script));
        } catch (err) {
          throw new RecordError(`cannot read the change script ${script}: ${(err as Error).message}`);
        }
        const { path } = verifyRunRecord(resolve(io.cwd, arg), { app, environment, repository, runId, runAttempt, recordId, scriptPath: script, scriptSha256: scriptSha256(bytes) });
        io.out(path);
        return EXIT.OK;
      } catch (err) {
        if (!(err instanceof RecordError)) throw err;
        io.err(`data promote refused: ${err.message}`);
        return EXIT.FAILED;
      }
    }
    if (sub === 'approvers' || sub === 'record') {
      if (arg === undefined || !values.environment) throw new UsageError(`pass ${sub} <file> --environment <env>`);
      try {
        if (sub === 'approvers') {
          io.out(approversOf(readJson(io.cwd, arg, 'approvals response'), values.environment).join(','));
          return EXIT.OK;
        }
        if (!values.approvals || !values.repository || !values['run-id'] || !values['run-attempt'] || !values.out) throw new UsageError('pass record <replay.json> --approvals <file> --environment <env> --repository <owner/name> --run-id <id> --run-attempt <n> --out <dir>');
        const approvers = approversOf(readJson(io.cwd, values.approvals, 'approvals response'), values.environment);
        const record = dataRecordFromReplay(readJson(io.cwd, arg, 'replay output'), approvers,
          { repository: values.repository, id: values['run-id'], attempt: values['run-attempt'], environment: values.environment });
        const file = dataRecordPath(resolve(io.cwd, values.out), record.app, record.id);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, canonicalJson(record));
        io.out(file);
        return EXIT.OK;
      } catch (err) {
        if (!(err instanceof RecordError)) throw err;
        io.err(`data promote refused: ${err.message}`);
        return EXIT.FAILED;
      }
    }
    if (positionals.length !== 2 || sub !== 'inspect') throw new UsageError('pass inspect <change-script.sql>, script <name>, approvers <file>, record <file> or verify <dir>');
    const file = resolve(io.cwd, arg);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      io.err(`data promote refused: cannot read ${arg}: ${(err as Error).message}`);
      return EXIT.FAILED;
    }
    const v = await inspectChangeScript(bytes);
    if (!v.ok) {
      for (const p of v.problems) io.err(`data promote refused: ${arg} ${p}`);
      return EXIT.FAILED;
    }
    io.out(`script_sha256=${v.sha256}`);
    return EXIT.OK;
  },
};
