// natpass replay: feed two captures (what arrived on the LAN and on the WAN) through the router in
// timestamp order, and write what it transmitted on each port plus its final state.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PORT_LAN, PORT_WAN, Port } from '../abi.ts';
import { PcapError, PcapRecord, readPcap, writePcap } from '../pcap.ts';
import { Router } from '../router.ts';
import { buildState } from '../state.ts';
import { Command, ENGINE_OPTION, UserError, engineOption, fileProblem, noMorePositionals, parseOptions, required } from './command.ts';
import { loadConfigFile } from './config.ts';

export interface ReplayResult {
  lan: PcapRecord[];
  wan: PcapRecord[];
  state: Record<string, unknown>;
}

/** Merges the inputs by time (LAN first on ties), batches frames that share a millisecond, runs them. */
export async function replay(configJson: unknown, lanIn: PcapRecord[], wanIn: PcapRecord[], engine?: 'v8' | 'wasm3'): Promise<ReplayResult> {
  const events: { t: number; port: Port; data: Uint8Array }[] = [
    ...lanIn.map((r) => ({ t: r.timeMs, port: PORT_LAN as Port, data: r.data })),
    ...wanIn.map((r) => ({ t: r.timeMs, port: PORT_WAN as Port, data: r.data })),
  ].sort((a, b) => a.t - b.t || a.port - b.port);
  const t0 = events.length ? Math.floor(events[0].t) : 0;
  const router = await Router.create(configJson, { engine, nowMs: 0 });
  const out: ReplayResult = { lan: [], wan: [], state: {} };
  let i = 0;
  while (i < events.length) {
    const ms = Math.floor(events[i].t);
    while (i < events.length && Math.floor(events[i].t) === ms) router.receive(events[i].port, events[i++].data);
    for (const f of router.process(ms - t0)) (f.port === PORT_LAN ? out.lan : out.wan).push({ timeMs: ms, data: f.data });
  }
  out.state = buildState(router);
  return out;
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'run captures through the router and write what it sent',
  usage: `natpass replay --lan LAN.pcap --wan WAN.pcap --out DIR [--config CFG.json] [--engine v8|wasm3]

Reads the frames that arrived on each port (classic pcap, Ethernet), merges them by timestamp and feeds
each to its port with the capture's time as the router's clock (frames in the same millisecond form one
batch). Writes:
  DIR/lan.pcap    what the router transmitted on the LAN port, timestamped with the batch time
  DIR/wan.pcap    the same for the WAN port
  DIR/state.json  counters, mappings, sessions, IPsec tunnels and SAs, advisor findings, ARP cache
Options (--name=value works too):
  -c, --config FILE   router configuration (JSON; see README "Configuration"); '-' or omitted: the default
  -l, --lan FILE      capture of frames arriving on the LAN port (may be empty)
  -w, --wan FILE      capture of frames arriving on the WAN port
  -o, --out DIR       where to write the results (created if missing; an existing directory is reused)
  -e, --engine NAME   v8 (default) or wasm3`,
  async main(argv) {
    const { opts, rest } = parseOptions(argv, {
      config: { type: 'string', short: 'c' }, lan: { type: 'string', short: 'l' }, wan: { type: 'string', short: 'w' },
      out: { type: 'string', short: 'o' }, ...ENGINE_OPTION,
    });
    noMorePositionals(rest, 0);
    const lanPath = required(opts.lan, 'lan'), wanPath = required(opts.wan, 'wan'), dir = required(opts.out, 'out');
    const engine = engineOption(opts.engine);
    const config = opts.config !== undefined && opts.config !== '-' ? loadConfigFile(opts.config) : {};
    outputDirectory(dir);
    const lanIn = readCapture(lanPath), wanIn = readCapture(wanPath);
    const result = await replay(config, lanIn, wanIn, engine);
    writeResult(join(dir, 'lan.pcap'), () => writePcap(join(dir, 'lan.pcap'), result.lan));
    writeResult(join(dir, 'wan.pcap'), () => writePcap(join(dir, 'wan.pcap'), result.wan));
    writeResult(join(dir, 'state.json'), () => writeFileSync(join(dir, 'state.json'), JSON.stringify(result.state, null, 2) + '\n'));
    const c = result.state.counters as Record<string, number>;
    console.log(`replayed ${lanIn.length + wanIn.length} frames: sent ${result.lan.length} on lan, ${result.wan.length} on wan; ` +
      `${(result.state.mappings as unknown[]).length} mappings, ${c.nat_in2out} translated out, ${c.nat_out2in} in -> ${dir}`);
    return 0;
  },
};

/** Creates DIR if missing; refuses before any work is done when it cannot hold the results. */
function outputDirectory(dir: string): void {
  try {
    if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`--out ${dir}: exists and is not a directory`);
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw e instanceof UserError ? e : new UserError(`--out ${dir}: cannot create: ${fileProblem(e)}`);
  }
}

function readCapture(path: string): PcapRecord[] {
  try {
    return readPcap(path);
  } catch (e) {
    throw e instanceof PcapError ? e : new UserError(`${path}: cannot read: ${fileProblem(e)}`);
  }
}

function writeResult(path: string, write: () => void): void {
  try {
    write();
  } catch (e) {
    throw new UserError(`${path}: cannot write: ${fileProblem(e)}`);
  }
}
