// natpass config: check or show a configuration file with every default filled in.
import { readFileSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { ConfigError, configToJson, decodeConfig, encodeConfig, parseConfig } from '../config.ts';
import { SlotStore } from '../persist.ts';
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
natpass config export --state DIR [OUT.json]
natpass config import FILE --state DIR

check  validates FILE and prints "ok", or the first problem with the field it concerns
       (for example: config nat.serverList[0].internalHost: 10.0.0.1 is not a host on the LAN)
show   prints the complete configuration that the router would run, defaults included;
       without FILE, the embedded default configuration
export prints (or writes) the configuration saved in DIR (the newest valid of its two slots) as JSON
import validates FILE and saves it into DIR as the next slot (the console's accounts are kept)`,
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
    if (verb === 'export' || verb === 'import') {
      const i = argv.indexOf('--state');
      const dir = i >= 0 ? argv[i + 1] : undefined;
      if (!dir) throw new UsageError(`config ${verb} needs --state DIR`);
      const rest = argv.filter((_, k) => k !== 0 && k !== i && k !== i + 1);
      const store = new SlotStore(dir);
      const saved = store.load();
      if (verb === 'export') {
        if (!saved) throw new ConfigError(dir, 'holds no valid saved configuration');
        const text = JSON.stringify(configToJson(decodeConfig(saved.config)), null, 2) + '\n';
        if (rest[0]) writeFileSync(rest[0], text); else process.stdout.write(text);
        return 0;
      }
      if (!rest[0]) throw new UsageError('config import needs a FILE');
      const record = encodeConfig(parseConfig(loadConfigFile(rest[0])));
      const written = store.save(record, saved?.auth ?? new Uint8Array(0));
      console.log(`saved to slot ${written.slot} (sequence ${written.sequence})`);
      return 0;
    }
    throw new UsageError(`config needs 'check FILE', 'show [FILE]', 'export --state DIR' or 'import FILE --state DIR'`);
  },
};
