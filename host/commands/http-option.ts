// --http ADDR:PORT, as natpass run and natpass demo take it: the status page's listening address
// (host/http/). A bad value is a usage error, shown with the command's help.
import { parseListen } from '../http/server.ts';
import { UsageError } from './command.ts';

export function httpOption(opts: Record<string, string | true>): { host: string; port: number } | undefined {
  if (opts.http === undefined) return undefined;
  try {
    return parseListen(String(opts.http));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}
