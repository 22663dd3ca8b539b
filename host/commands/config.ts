// natpass config: check or show a configuration file with every default filled in; export and import
// the configuration saved in a state directory. loadConfigFile() is how every command reads a config.
import { readFileSync, writeFileSync } from 'node:fs';
import { ConfigError, configToJson, decodeConfig, encodeConfig, parseConfig } from '../config.ts';
import { SlotStore } from '../persist.ts';
import { Command, UsageError, UserError, fileProblem, noMorePositionals, parseOptions } from './command.ts';

/** Reads and checks a JSON config file; returns the JSON as written. Every problem names the file. */
export function loadConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`${path}: cannot read: ${fileProblem(e)}`);
  }
  let json: unknown;
  try {
    // Editors on some systems start UTF-8 files with a byte-order mark; JSON.parse refuses it.
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new UserError(`${path}: is not valid JSON: ${jsonProblem(text, (e as Error).message)}`);
  }
  try {
    parseConfig(json);
  } catch (e) {
    throw e instanceof ConfigError ? e.inFile(path) : e;
  }
  return json;
}

/** JSON.parse's message with its character position turned into line:column (the BOM counts as nothing). */
function jsonProblem(text: string, message: string): string {
  const first = message.split('\n')[0];
  const at = /at position (\d+)/.exec(first);
  if (!at) return first;
  const before = text.replace(/^\uFEFF/, '').slice(0, Number(at[1])).split('\n');
  return `${first.replace(/ in JSON at position \d+.*$/, '')} at line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

export const configCommand: Command = {
  name: 'config',
  summary: 'check a configuration file, or show it with defaults filled in',
  usage: `natpass config check FILE
natpass config show [FILE]
natpass config export --state DIR [OUT.json]
natpass config import FILE --state DIR

check  validates FILE and prints "ok", or every problem, one line each, with the field it concerns
       (for example: bad.json: nat.serverList[0].internalHost: 10.0.0.1 is not a host on the LAN)
show   prints the complete configuration that the router would run, defaults included;
       without FILE, the embedded default configuration
export prints (or writes) the configuration saved in DIR (the newest valid of its two slots) as JSON
import validates FILE and saves it into DIR as the next slot (the console's accounts are kept)
Options:
  -s, --state DIR  the state directory of natpass console / natpass run
The file's fields, defaults and limits: natpass.schema.json (point "$schema" at it) and README "Configuration".`,
  async main(argv) {
    const { opts, rest } = parseOptions(argv, { state: { type: 'string', short: 's' } });
    const [verb, file] = rest;
    if (verb === 'check') {
      if (!file) throw new UsageError('config check needs a FILE');
      noMorePositionals(rest, 2);
      loadConfigFile(file);
      console.log('ok');
      return 0;
    }
    if (verb === 'show') {
      noMorePositionals(rest, 2);
      console.log(JSON.stringify(configToJson(parseConfig(file ? loadConfigFile(file) : {})), null, 2));
      return 0;
    }
    if (verb === 'export' || verb === 'import') {
      const dir = opts.state;
      if (!dir) throw new UsageError(`config ${verb} needs --state DIR`);
      noMorePositionals(rest, 2);
      const store = new SlotStore(dir);
      const saved = store.load();
      if (verb === 'export') {
        if (!saved) throw new UserError(`${dir}: holds no valid saved configuration`);
        const text = JSON.stringify(configToJson(decodeConfig(saved.config)), null, 2) + '\n';
        if (file) writeOutput(file, text); else process.stdout.write(text);
        return 0;
      }
      if (!file) throw new UsageError('config import needs a FILE');
      const record = encodeConfig(parseConfig(loadConfigFile(file)));
      const written = store.save(record, saved?.auth ?? new Uint8Array(0));
      console.log(`saved to slot ${written.slot} (sequence ${written.sequence})`);
      return 0;
    }
    throw new UsageError(verb ? `no config action '${verb}'` : `config needs 'check FILE', 'show [FILE]', 'export --state DIR' or 'import FILE --state DIR'`);
  },
};

function writeOutput(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new UserError(`${path}: cannot write: ${fileProblem(e)}`);
  }
}
