#!/usr/bin/env -S npx tsx
// natpass: the command line. Each command lives in host/commands/ and carries its own help.
import { ConfigError } from './config.ts';
import { PcapError } from './pcap.ts';
import { Command, UsageError } from './commands/command.ts';
import { replayCommand } from './commands/replay.ts';
import { configCommand } from './commands/config.ts';
import { demoCommand } from './commands/demo.ts';
import { consoleCommand } from './commands/console.ts';
import { runCommand } from './commands/run.ts';

const commands: Command[] = [runCommand, replayCommand, demoCommand, consoleCommand, configCommand];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `natpass: a NAT router with an IPsec passthrough ALG, one WASM module on V8, wasm3 and a board

usage: natpass <command> [options]
       natpass help <command>     full help for a command (or: natpass <command> --help)

commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Engines: every command that runs the router takes --engine v8|wasm3 (default v8, or NATPASS_ENGINE).`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') { console.log(overview()); return 0; }
  if (name === 'help') {
    const c = commands.find((x) => x.name === rest[0]);
    if (!rest[0]) { console.log(overview()); return 0; }
    if (!c) { console.error(`natpass: no command '${rest[0]}'\n\n${overview()}`); return 2; }
    console.log(c.usage);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) { console.error(`natpass: no command '${name}' (natpass --help lists them)`); return 2; }
  if (rest.includes('--help') || rest.includes('-h')) { console.log(command.usage); return 0; }
  try {
    return await command.main(rest);
  } catch (e) {
    if (e instanceof UsageError) { console.error(`natpass ${name}: ${e.message}\n\n${command.usage}`); return 2; }
    if (e instanceof ConfigError || e instanceof PcapError) { console.error(`natpass ${name}: ${e.message}`); return 1; }
    throw e;
  }
}

const invokedDirectly = process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!);
if (invokedDirectly) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e) => { console.error(`natpass: ${(e as Error).stack ?? e}`); process.exit(1); });
}
