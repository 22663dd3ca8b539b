// What every CLI command provides, and the small option parser they share.

export interface Command {
  name: string;
  summary: string;
  /** The full help text, shown by `natpass help NAME` and `natpass NAME --help`. */
  usage: string;
  main(argv: string[]): Promise<number>;
}

export class UsageError extends Error {}

/** Parses `--name value` and `--flag` options; `flags` names the options that take no value. */
export function parseOptions(argv: string[], known: string[], flags: string[] = []): { opts: Record<string, string | true>; rest: string[] } {
  const opts: Record<string, string | true> = {};
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) { rest.push(a); continue; }
    const name = a.slice(2);
    if (!known.includes(name) && !flags.includes(name)) throw new UsageError(`unknown option ${a}`);
    if (flags.includes(name)) { opts[name] = true; continue; }
    const v = argv[++i];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
    opts[name] = v;
  }
  return { opts, rest };
}

export function required(opts: Record<string, string | true>, name: string): string {
  const v = opts[name];
  if (typeof v !== 'string') throw new UsageError(`--${name} is required`);
  return v;
}

export function engineOption(opts: Record<string, string | true>): 'v8' | 'wasm3' | undefined {
  const e = opts.engine;
  if (e === undefined) return undefined;
  if (e !== 'v8' && e !== 'wasm3') throw new UsageError(`--engine must be v8 or wasm3, not '${String(e)}'`);
  return e;
}
