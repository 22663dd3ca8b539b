// natpass replay: feed two captures (what arrived on the LAN and on the WAN) through the router in
// timestamp order, and write what it transmitted on each port plus its final state.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PORT_LAN, PORT_WAN, Port } from '../abi.ts';
import { readPcap, writePcap, PcapRecord } from '../pcap.ts';
import { Router } from '../router.ts';
import { buildState } from '../state.ts';
import { Command, engineOption, parseOptions, required } from './command.ts';
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
  usage: `natpass replay --config CFG.json --lan LAN.pcap --wan WAN.pcap --out DIR [--engine v8|wasm3]

Reads the frames that arrived on each port (classic pcap, Ethernet), merges them by timestamp and feeds
each to its port with the capture's time as the router's clock (frames in the same millisecond form one
batch). Writes:
  DIR/lan.pcap    what the router transmitted on the LAN port, timestamped with the batch time
  DIR/wan.pcap    the same for the WAN port
  DIR/state.json  counters, mappings, sessions, IPsec tunnels and SAs, advisor findings, ARP cache
Options:
  --config FILE   router configuration (JSON; see README "Configuration"); '-' or omitted: the default
  --lan FILE      capture of frames arriving on the LAN port (may be empty)
  --wan FILE      capture of frames arriving on the WAN port
  --out DIR       where to write the results (created if missing)
  --engine NAME   v8 (default) or wasm3`,
  async main(argv) {
    const { opts } = parseOptions(argv, ['config', 'lan', 'wan', 'out', 'engine']);
    const config = typeof opts.config === 'string' && opts.config !== '-' ? loadConfigFile(opts.config) : {};
    const lanIn = readPcap(required(opts, 'lan'));
    const wanIn = readPcap(required(opts, 'wan'));
    const dir = required(opts, 'out');
    const result = await replay(config, lanIn, wanIn, engineOption(opts));
    mkdirSync(dir, { recursive: true });
    writePcap(join(dir, 'lan.pcap'), result.lan);
    writePcap(join(dir, 'wan.pcap'), result.wan);
    writeFileSync(join(dir, 'state.json'), JSON.stringify(result.state, null, 2) + '\n');
    const c = result.state.counters as Record<string, number>;
    console.log(`replayed ${lanIn.length + wanIn.length} frames: sent ${result.lan.length} on lan, ${result.wan.length} on wan; ` +
      `${(result.state.mappings as unknown[]).length} mappings, ${c.nat_in2out} translated out, ${c.nat_out2in} in -> ${dir}`);
    return 0;
  },
};

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}
