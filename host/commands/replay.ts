// natpass replay: feed two captures (what arrived on the LAN and on the WAN) through the router in
// timestamp order, and write what it transmitted on each port plus its final state. Captures are
// streamed in and out (PcapReader, BufferedPcapFile), so their size is not bounded by memory.
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PORT_LAN, PORT_WAN, Port } from '../abi.ts';
import { PcapError, PcapReader, PcapRecord, encodePcap } from '../pcap.ts';
import { Router } from '../router.ts';
import { buildState } from '../state.ts';
import { Command, ENGINE_OPTION, UsageError, UserError, engineOption, fileProblem, noMorePositionals, parseOptions, required } from './command.ts';
import { loadConfigFile } from './config.ts';

export interface ReplayResult {
  lan: PcapRecord[];
  wan: PcapRecord[];
  state: Record<string, unknown>;
}

type Sink = (port: Port, timeMs: number, data: Uint8Array) => void;

/**
 * Merges two captures by time (LAN first on ties), feeds frames that share a millisecond as one batch
 * and hands every frame the router sends to `sink`, stamped with its batch's time. The inputs are
 * iterated once, so a streamed capture is never held whole. A frame older than the one before it
 * (a capture out of time order) joins the current batch: the router's clock never goes backward.
 */
export async function replayStreams(configJson: unknown, lanIn: Iterable<PcapRecord>, wanIn: Iterable<PcapRecord>, sink: Sink,
  opts: { engine?: 'v8' | 'wasm3'; onBatch?: (frames: number) => void } = {}): Promise<{ frames: number; state: Record<string, unknown> }> {
  const router = await Router.create(configJson, { engine: opts.engine, nowMs: 0 });
  const lanIt = lanIn[Symbol.iterator](), wanIt = wanIn[Symbol.iterator]();
  let lan = lanIt.next(), wan = wanIt.next();
  const take = (): { t: number; port: Port; data: Uint8Array } | null => {
    if (lan.done && wan.done) return null;
    const fromLan = !lan.done && (wan.done || lan.value.timeMs <= wan.value.timeMs);
    const r = fromLan ? lan.value as PcapRecord : wan.value as PcapRecord;
    if (fromLan) lan = lanIt.next(); else wan = wanIt.next();
    return { t: r.timeMs, port: fromLan ? PORT_LAN : PORT_WAN, data: r.data };
  };
  let next = take();
  const t0 = next ? Math.floor(next.t) : 0;
  let clock = t0, frames = 0;
  while (next) {
    const ms = Math.max(Math.floor(next.t), clock);
    while (next && Math.max(Math.floor(next.t), ms) === ms) {
      router.receive(next.port, next.data);
      frames++;
      next = take();
    }
    clock = ms;
    for (const f of router.process(ms - t0)) sink(f.port, ms, f.data);
    opts.onBatch?.(frames);
  }
  return { frames, state: buildState(router) };
}

/** replayStreams over captures in memory, collecting what the router sent. */
export async function replay(configJson: unknown, lanIn: PcapRecord[], wanIn: PcapRecord[], engine?: 'v8' | 'wasm3'): Promise<ReplayResult> {
  const out: ReplayResult = { lan: [], wan: [], state: {} };
  const { state } = await replayStreams(configJson, lanIn, wanIn, (port, timeMs, data) => (port === PORT_LAN ? out.lan : out.wan).push({ timeMs, data }), { engine });
  out.state = state;
  return out;
}

/** Appends records to a capture file in blocks of about 1 MiB (one write per block, not per frame). */
class BufferedPcapFile {
  private pending: PcapRecord[] = [];
  private bytes = 0;
  count = 0;
  private fd: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, encodePcap([]));
  }

  add(timeMs: number, data: Uint8Array): void {
    this.pending.push({ timeMs, data });
    this.bytes += 16 + data.length;
    this.count++;
    if (this.bytes >= 1 << 20) this.flush();
  }

  flush(): void {
    if (this.pending.length) writeSync(this.fd, encodePcap(this.pending).subarray(24));
    this.pending = [];
    this.bytes = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
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
  --progress SEC      on a long run, print the frames replayed so far every SEC seconds to stderr
                      (default 2; 0: never)
  -e, --engine NAME   v8 (default) or wasm3
Captures are read as a stream, record by record: their size is not limited by memory.`,
  async main(argv) {
    const { opts, rest } = parseOptions(argv, {
      config: { type: 'string', short: 'c' }, lan: { type: 'string', short: 'l' }, wan: { type: 'string', short: 'w' },
      out: { type: 'string', short: 'o' }, progress: { type: 'string' }, ...ENGINE_OPTION,
    });
    noMorePositionals(rest, 0);
    const lanPath = required(opts.lan, 'lan'), wanPath = required(opts.wan, 'wan'), dir = required(opts.out, 'out');
    const engine = engineOption(opts.engine);
    const config = opts.config !== undefined && opts.config !== '-' ? loadConfigFile(opts.config) : {};
    const progressEvery = numberOption(opts.progress, 'progress', 2) * 1000;
    outputDirectory(dir);
    const lanIn = openCapture(lanPath), wanIn = openCapture(wanPath);
    const outs = [join(dir, 'lan.pcap'), join(dir, 'wan.pcap')].map((path) => writing(path, () => new BufferedPcapFile(path)));
    const total = lanIn.size + wanIn.size;
    let lastReport = -1; // the clock starts with the first batch, not while the module loads
    const progress = (frames: number) => {
      const now = Date.now();
      if (lastReport < 0) lastReport = now;
      if (progressEvery <= 0 || now - lastReport < progressEvery) return;
      lastReport = now;
      const done = lanIn.offset + wanIn.offset;
      console.error(`natpass replay: ${frames.toLocaleString('en-US')} frames, ${Math.floor((100 * done) / total)}% of ${(total / 1e6).toFixed(1)} MB read`);
    };
    const { frames, state } = await replayStreams(config, lanIn, wanIn, (port, timeMs, data) => outs[port].add(timeMs, data), { engine, onBatch: progress });
    for (const o of outs) writing(o.path, () => o.close());
    writing(join(dir, 'state.json'), () => writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2) + '\n'));
    const c = state.counters as Record<string, number>;
    console.log(`replayed ${frames} frames: sent ${outs[PORT_LAN].count} on lan, ${outs[PORT_WAN].count} on wan; ` +
      `${(state.mappings as unknown[]).length} mappings, ${c.nat_in2out} translated out, ${c.nat_out2in} in -> ${dir}`);
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

/** Opens a capture for streaming; a bad file is a one-line error naming it. Reading errors surface as PcapError. */
function openCapture(path: string): PcapReader {
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    return new PcapReader(path);
  } catch (e) {
    throw e instanceof PcapError ? e : new UserError(`${path}: cannot read: ${fileProblem(e)}`);
  }
}

function writing<T>(path: string, write: () => T): T {
  try {
    return write();
  } catch (e) {
    throw new UserError(`${path}: cannot write: ${fileProblem(e)}`);
  }
}

/** A number of seconds (fractions allowed), or the default when absent. */
function numberOption(value: string | undefined, name: string, dflt: number): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number of seconds, not '${value}'`);
  return n;
}
