// natpass console: the router with its management console on this terminal (serial) and on telnet.
import { Router } from '../router.ts';
import { SlotStore } from '../persist.ts';
import { configToJson, decodeConfig } from '../config.ts';
import { ConsoleSession, loadAccounts } from '../console/session.ts';
import { startTelnet } from '../console/telnet.ts';
import { Command, ENGINE_OPTION, engineOption, intOption, noMorePositionals, parseOptions } from './command.ts';
import { loadConfigFile } from './config.ts';

/** The router as it boots: the newest valid saved record if there is one, else the given or default config. */
export async function bootRouter(stateDir: string | undefined, configFile: string | undefined, engine?: 'v8' | 'wasm3') {
  const store = stateDir ? new SlotStore(stateDir) : null;
  const saved = store?.load() ?? null;
  const config = saved ? configToJson(decodeConfig(saved.config)) : configFile ? loadConfigFile(configFile) : {};
  const router = await Router.create(config, { engine, nowMs: Date.now() >>> 0 });
  const accounts = loadAccounts(router, saved?.auth ?? null);
  return { router, store, saved, accounts };
}

export const consoleCommand: Command = {
  name: 'console',
  summary: 'the management console (Main Menu) on this terminal and over telnet',
  usage: `natpass console [--state DIR] [--config FILE] [--telnet PORT] [--listen ADDR] [--no-serial] [--engine v8|wasm3]

Runs the router with its management console in the style of the Netopia Main Menu. Log in as the
Superuser (admin; default password admin, change it under System Configuration) to change and save
settings, or as guest (read-only). Return saves a field; Backspace, Delete or Tab before Return undo it;
Esc goes back toward the Main Menu. Changes take effect on Restart System, which saves them first.
Options (--name=value works too):
  -s, --state DIR      where the configuration survives power loss (two slots, config.a and config.b);
                       the newest valid slot is loaded at start. Without it nothing is saved.
  -c, --config FILE    the configuration to start from when DIR holds no saved one
  -t, --telnet PORT    also serve the console over telnet on PORT (one session at a time)
  --listen ADDR        the address telnet listens on (default 127.0.0.1, the LAN side of this host;
                       do not give a WAN address unless you mean to expose the console)
  --no-serial          telnet only; do not use this terminal
  -e, --engine NAME    v8 (default) or wasm3`,
  async main(argv) {
    const { opts, rest } = parseOptions(argv, {
      state: { type: 'string', short: 's' }, config: { type: 'string', short: 'c' }, telnet: { type: 'string', short: 't' },
      listen: { type: 'string' }, 'no-serial': { type: 'boolean' }, ...ENGINE_OPTION,
    });
    noMorePositionals(rest, 0);
    const telnetPort = opts.telnet === undefined ? undefined : intOption(opts.telnet, 'telnet', 1, 65535, 0);
    const { router, store, saved, accounts } = await bootRouter(opts.state, opts.config, engineOption(opts.engine));
    const session = new ConsoleSession(router, store, () => Date.now());
    console.error(`natpass console: ${saved ? `loaded saved configuration (slot ${saved.slot}, sequence ${saved.sequence})` : 'default configuration'}, accounts ${accounts}`);
    if (telnetPort !== undefined) {
      const server = await startTelnet(session, { host: opts.listen ?? '127.0.0.1', port: telnetPort, log: (s) => console.error(s) });
      console.error(`natpass console: telnet on ${opts.listen ?? '127.0.0.1'}:${telnetPort}`);
      process.once('SIGINT', () => server.close());
    }
    if (opts['no-serial'] || !process.stdin.isTTY) {
      if (telnetPort === undefined) console.error('natpass console: no terminal and no --telnet: nothing to serve');
      return new Promise<number>((resolve) => process.once('SIGINT', () => resolve(0)));
    }
    process.stdin.setRawMode(true);
    process.stdout.write(session.start());
    return new Promise<number>((resolve) => {
      process.stdin.on('data', (d: Buffer) => {
        if (d.includes(3)) { process.stdin.setRawMode(false); process.stdout.write('\r\n'); resolve(0); return; } // Ctrl-C
        process.stdout.write(session.input(d));
      });
    });
  },
};
