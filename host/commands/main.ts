// The command table and the dispatcher: help, exit codes, and one line per error. Exit 0 done,
// 1 a problem with the input or the machine (a config names its field, a capture its file and
// offset), 2 a usage error (followed by the command's help). A stack trace only with NATPASS_DEBUG=1.
import { ConfigError } from '../config.ts';
import { PcapError } from '../pcap.ts';
import { Command, UsageError, UserError, fileProblem } from './command.ts';
import { replayCommand } from './replay.ts';
import { configCommand } from './config.ts';
import { demoCommand } from './demo.ts';
import { consoleCommand } from './console.ts';
import { runCommand } from './run.ts';

const commands: Command[] = [runCommand, replayCommand, demoCommand, consoleCommand, configCommand];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `natpass: a NAT router with an IPsec passthrough ALG, one WASM module on V8, wasm3 and a board

usage: natpass <command> [options]
       natpass help <command>     full help for a command (or: natpass <command> --help)

commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Engines: every command that runs the router takes --engine v8|wasm3 (default v8, or NATPASS_ENGINE).
Exit status: 0 done, 1 a problem with a file or the machine, 2 a usage error.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') { console.log(overview()); return 0; }
  if (name === 'help') {
    if (!rest[0]) { console.log(overview()); return 0; }
    const c = commands.find((x) => x.name === rest[0]);
    if (!c) { console.error(`natpass: no command '${rest[0]}' (natpass --help lists them)`); return 2; }
    console.log(c.usage);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) { console.error(`natpass: no command '${name}' (natpass --help lists them)`); return 2; }
  if (rest.includes('--help') || rest.includes('-h')) { console.log(command.usage); return 0; }
  try {
    return await command.main(rest);
  } catch (e) {
    return report(`natpass ${name}`, e, command.usage);
  }
}

/** Prints an error as one line (a ConfigError: one line per problem) and returns the exit status. */
export function report(prefix: string, e: unknown, usage?: string): number {
  if (process.env.NATPASS_DEBUG) console.error(e);
  if (e instanceof UsageError) {
    console.error(`${prefix}: ${e.message}${usage ? `\n\n${usage}` : ''}`);
    return 2;
  }
  if (e instanceof ConfigError) {
    for (const line of e.lines()) console.error(`${prefix}: ${line}`);
    return 1;
  }
  if (e instanceof UserError || e instanceof PcapError) { console.error(`${prefix}: ${e.message}`); return 1; }
  const sys = e as { code?: string; path?: string };
  if (typeof sys.code === 'string' && typeof sys.path === 'string') { console.error(`${prefix}: ${sys.path}: ${fileProblem(e)}`); return 1; }
  // Anything else is natpass's own fault: still one line, with where to look.
  const first = e instanceof Error ? e.message.split('\n')[0] : String(e);
  console.error(`${prefix}: ${first}${process.env.NATPASS_DEBUG ? '' : ' (NATPASS_DEBUG=1 shows where)'}`);
  return 1;
}
