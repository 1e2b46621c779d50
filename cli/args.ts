import { parseArgs, ParseArgsConfig } from 'node:util';

/** node's own result type of parseArgs (spelled out so the declaration file can name it). */
type ParsedResults<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;
import { UsageError } from './command';

type Options = NonNullable<ParseArgsConfig['options']>;

/** node's parseArgs, strict, with its errors turned into usage errors (exit 2). */
export function parse<O extends Options>(argv: readonly string[], options: O, maxPositionals = 0): ParsedResults<{ args: string[]; options: O; strict: true; allowPositionals: true }> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`unexpected argument: ${parsed.positionals[maxPositionals]}`);
  }
  return parsed;
}

export function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got "${value}")`);
  }
  return value as T;
}
