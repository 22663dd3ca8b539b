// natpass config: check or show a configuration file with every default filled in.
import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig } from '../config.ts';
import { Command, UsageError } from './command.ts';

/** Reads a JSON config file; syntax errors name the file, schema errors name the field. */
export function loadConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(path, `cannot read: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(path, `is not valid JSON: ${(e as Error).message}`);
  }
}

export const configCommand: Command = {
  name: 'config',
  summary: 'check a configuration file, or show it with defaults filled in',
  usage: `natpass config check FILE
natpass config show [FILE]

check  validates FILE and prints "ok", or the first problem with the field it concerns
       (for example: config nat.serverList[0].internalHost: 10.0.0.1 is not a host on the LAN)
show   prints the complete configuration that the router would run, defaults included;
       without FILE, the embedded default configuration`,
  async main(argv) {
    const [verb, file] = argv;
    if (verb === 'check') {
      if (!file) throw new UsageError('config check needs a FILE');
      parseConfig(loadConfigFile(file));
      console.log('ok');
      return 0;
    }
    if (verb === 'show') {
      console.log(JSON.stringify(parseConfig(file ? loadConfigFile(file) : {}), null, 2));
      return 0;
    }
    throw new UsageError(`config needs 'check FILE' or 'show [FILE]'`);
  },
};
