import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { inspectChangeScript } from '../../promote/data-script';
import { parse } from '../args';
import { Command, EXIT, UsageError } from '../command';

export const dataPromoteCommand: Command = {
  name: 'data-promote',
  summary: 'Inspect a data promote change script: INSERT, UPDATE and DELETE only (docs/data-promote.md)',
  help: `Usage: tierkit data-promote inspect <change-script.sql>

Parses the script with PostgreSQL's own parser and refuses anything but INSERT, UPDATE and DELETE
(DDL, transaction control, SET, COPY, DO, CALL, SELECT, …). On success prints
\`script_sha256=<hex>\` (the hash the rehearsal records and the replay compares).

Exit codes: 0 accepted, 1 refused (each problem printed), 2 usage error.`,

  async run(argv, io) {
    const { positionals } = parse(argv, {}, 2);
    if (positionals.length !== 2 || positionals[0] !== 'inspect') throw new UsageError('pass inspect <change-script.sql>');
    const file = resolve(io.cwd, positionals[1]);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      io.err(`data promote refused: cannot read ${positionals[1]}: ${(err as Error).message}`);
      return EXIT.FAILED;
    }
    const v = await inspectChangeScript(bytes);
    if (!v.ok) {
      for (const p of v.problems) io.err(`data promote refused: ${positionals[1]} ${p}`);
      return EXIT.FAILED;
    }
    io.out(`script_sha256=${v.sha256}`);
    return EXIT.OK;
  },
};
