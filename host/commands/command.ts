// What every CLI command provides, the option parser they share (node:util parseArgs), and the two
// kinds of error a command raises on purpose: UsageError (the command line is wrong: exit 2) and
// UserError (the input or the machine is: exit 1). Both print as one line; see commands/main.ts.
import { parseArgs } from 'node:util';

export interface Command {
  name: string;
  summary: string;
  /** The full help text, shown by `natpass help NAME` and `natpass NAME --help`. */
  usage: string;
  main(argv: string[]): Promise<number>;
}

export class UsageError extends Error {}
export class UserError extends Error {}

/** The option table parseArgs takes: `{ lan: { type: 'string', short: 'l' } }`. */
export type OptionTable = Record<string, { type: 'string' | 'boolean'; short?: string }>;
type Values<T extends OptionTable> = { [K in keyof T]?: T[K]['type'] extends 'string' ? string : boolean };

/** Parses `--name value`, `--name=value`, `-n value` and flags; positionals are returned in order. */
export function parseOptions<T extends OptionTable>(argv: string[], options: T): { opts: Values<T>; rest: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    return { opts: values as Values<T>, rest: positionals };
  } catch (e) {
    throw new UsageError(parseArgsProblem(e as Error & { code?: string }));
  }
}

/** parseArgs' messages are long and suggest '--' tricks; say what is wrong in a few words. */
function parseArgsProblem(e: Error & { code?: string }): string {
  const option = /'([^']+)'/.exec(e.message)?.[1] ?? '';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${option}`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = option.replace(/ <value>$/, '');
    return /ambiguous|missing/.test(e.message) ? `${name} needs a value` : `${name} takes no value`;
  }
  return e.message;
}

export function required(value: string | undefined, name: string): string {
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

/** A whole-number option within [lo, hi], or the default when it is absent. */
export function intOption(value: string | undefined, name: string, lo: number, hi: number, dflt: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < lo || n > hi) throw new UsageError(`--${name} must be a whole number ${lo}..${hi}, not '${value}'`);
  return n;
}

export function noMorePositionals(rest: string[], expected: number): void {
  if (rest.length > expected) throw new UsageError(`unexpected argument '${rest[expected]}'`);
}

export function engineOption(value: string | undefined): 'v8' | 'wasm3' | undefined {
  if (value === undefined) return undefined;
  if (value !== 'v8' && value !== 'wasm3') throw new UsageError(`--engine must be v8 or wasm3, not '${value}'`);
  return value;
}

export const ENGINE_OPTION = { engine: { type: 'string', short: 'e' } } as const;

/** A file-system error as a few words: what a user can act on, without Node's syscall name. */
export function fileProblem(e: unknown): string {
  const code = (e as { code?: string }).code;
  const words: Record<string, string> = {
    ENOENT: 'no such file or directory', EISDIR: 'is a directory, not a file', ENOTDIR: 'a part of the path is not a directory',
    EACCES: 'permission denied', EPERM: 'operation not permitted', EEXIST: 'already exists', ENOSPC: 'no space left on the device',
  };
  return (code && words[code]) ?? (e as Error).message;
}
