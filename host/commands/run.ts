// natpass run: the router between two real frame ports (QEMU datagram links, TAP or real interfaces).
// Two native ports (tap:, packet:) run the batch path (host/ports/pump.ts: the addon fills and drains
// the rings, no JavaScript per frame); otherwise frames that arrive in the same turn of the event loop
// are handed to the module as one batch. A timer runs process(0, now) so idle timers expire.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PORT_LAN, PORT_WAN, Port } from '../abi.ts';
import { PcapWriter } from '../pcap.ts';
import { FramePort, openPort } from '../ports/port.ts';
import { isNative } from '../ports/native.ts';
import { BatchPump, formatPumpStats } from '../ports/pump.ts';
import { Command, ENGINE_OPTION, UsageError, engineOption, intOption, noMorePositionals, parseOptions, required } from './command.ts';
import { bootRouter } from './console.ts';
import { ConsoleSession } from '../console/session.ts';
import { startTelnet } from '../console/telnet.ts';
import { isLoopback, startStatusServer } from '../http/server.ts';
import { httpOption } from './http-option.ts';

const TICK_MS = 50;

export const runCommand: Command = {
  name: 'run',
  summary: 'the router between two frame ports (QEMU dgram links, TAP or real interfaces)',
  usage: `natpass run --lan PORT --wan PORT [--config FILE] [--state DIR] [--pcap DIR] [--telnet PORT] [--http ADDR:PORT] [--engine v8|wasm3]

Runs the router until Ctrl-C (SIGINT) or SIGTERM, moving frames between two ports:
  dgram:LOCAL:REMOTE   one Ethernet frame per UDP datagram on 127.0.0.1: receive on LOCAL, send to REMOTE
                       (QEMU: -netdev dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=REMOTE,
                        remote.type=inet,remote.host=127.0.0.1,remote.port=LOCAL)
  tap:NAME             a Linux TAP interface (created if missing; needs root), TSO and checksum offload on:
                       64 KB TCP segments are cut into frames on the way in and merged on the way out
  packet:NAME          an existing interface (a NIC, a veth) through AF_PACKET (also if:NAME; needs root):
                       put it up with no address of its own; natpass uses its configured MACs (promiscuous);
                       64 KB TCP segments (GRO, a veth sender's TSO) are cut likewise; keep LRO off
                       (ethtool -K NAME lro off)
Two native ports (tap/packet) move frames in batches with no JavaScript per frame (docs/host-io.md).
Options (--name=value works too):
  -l, --lan PORT      the LAN port (required)
  -w, --wan PORT      the WAN port (required)
  -c, --config FILE   the configuration (JSON) when --state holds no saved one; default: the embedded default
  -s, --state DIR     saved configuration and accounts (see natpass console); Restart System applies in place
  --pcap DIR          write DIR/lan.pcap and DIR/wan.pcap: every frame that crossed each port, both ways
  -t, --telnet PORT   serve the management console over telnet on 127.0.0.1:PORT
  --http ADDR:PORT    serve the live status page (docs/status-page.md) on ADDR:PORT; PORT alone listens on
                      127.0.0.1 (the LAN side of this host): give another address only if you mean to expose it
  --stats SEC         print the non-zero counters (and host I/O: batches, frames per batch, drops at each
                      port) every SEC seconds (default: only at exit)
  -e, --engine NAME   v8 (default) or wasm3`,
  async main(argv) {
    const { opts, rest } = parseOptions(argv, {
      lan: { type: 'string', short: 'l' }, wan: { type: 'string', short: 'w' }, config: { type: 'string', short: 'c' },
      state: { type: 'string', short: 's' }, pcap: { type: 'string' }, telnet: { type: 'string', short: 't' },
      stats: { type: 'string' }, http: { type: 'string' }, ...ENGINE_OPTION,
    });
    const http = httpOption(opts as Record<string, string | true>);
    noMorePositionals(rest, 0);
    const lanSpec = required(opts.lan, 'lan'), wanSpec = required(opts.wan, 'wan');
    const telnetPort = opts.telnet === undefined ? undefined : intOption(opts.telnet, 'telnet', 1, 65535, 0);
    const statsEvery = intOption(opts.stats, 'stats', 0, 86_400, 0);
    const { router, store, saved } = await bootRouter(opts.state, opts.config, engineOption(opts.engine));
    let ports: FramePort[];
    try {
      ports = [await openPort(lanSpec), await openPort(wanSpec)];
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const t0 = Date.now();
    const now = () => (Date.now() - t0) >>> 0;
    let pcaps: PcapWriter[] | null = null;
    if (opts.pcap !== undefined) {
      mkdirSync(opts.pcap, { recursive: true });
      pcaps = [new PcapWriter(join(opts.pcap, 'lan.pcap')), new PcapWriter(join(opts.pcap, 'wan.pcap'))];
    }
    const log = (s: string) => console.log(s);
    log(`natpass run: engine ${router.engine.kind}, ${saved ? `saved configuration (sequence ${saved.sequence})` : 'configuration from ' + (opts.config ?? 'the embedded default')}`);
    log(`  lan: ${ports[0].description} (${router.config.lan.address}/${router.config.lan.prefix})`);
    log(`  wan: ${ports[1].description} (${router.config.wan.address}/${router.config.wan.prefix} via ${router.config.wan.gateway})`);
    const [lanPort, wanPort] = ports;
    const pump = isNative(lanPort) && isNative(wanPort) ? new BatchPump(router, lanPort, wanPort, now, pcaps) : null;
    if (pump) log('  frames move in batches of up to ' + router.batchCapacity + ' (native ports)');
    let scheduled = false;
    const flush = () => {
      scheduled = false;
      for (const f of router.process(now())) {
        ports[f.port].send(f.data);
        pcaps?.[f.port].write(Date.now(), f.data);
      }
    };
    const receive = (port: Port) => (frame: Uint8Array) => {
      pcaps?.[port].write(Date.now(), frame);
      router.receive(port, frame);
      if (!scheduled) { scheduled = true; setImmediate(flush); }
    };
    if (pump) {
      pump.start();
    } else {
      ports[PORT_LAN].onFrame(receive(PORT_LAN));
      ports[PORT_WAN].onFrame(receive(PORT_WAN));
    }
    const ticker = setInterval(() => { if (pump) pump.tick(); else if (!scheduled) flush(); }, TICK_MS);
    const showCounters = () => {
      log('  ' + Object.entries(router.counters()).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`).join(' '));
      if (pump) log('  ' + formatPumpStats(pump.stats()));
    };
    const statsTimer = statsEvery > 0 ? setInterval(showCounters, statsEvery * 1000) : null;
    const telnet = telnetPort !== undefined
      ? await startTelnet(new ConsoleSession(router, store, now), { host: '127.0.0.1', port: telnetPort, log })
      : null;
    if (telnet) log(`  console: telnet 127.0.0.1:${telnetPort}`);
    // The web logs in through the same module console as telnet: one user at a time.
    const telnetBusy = () => new Promise<boolean>((resolve) => (telnet ? telnet.getConnections((_e, n) => resolve(n > 0)) : resolve(false)));
    const status = http
      ? await startStatusServer({ router, console: new ConsoleSession(router, store, now), ...http, consoleBusy: telnetBusy, log })
      : null;
    if (status) log(`  status page: ${status.url}${isLoopback(http!.host) ? '' : ' (not loopback: whoever reaches it sees the router\'s state)'}`);
    return new Promise<number>((resolve) => {
      const stop = (signal: string) => {
        clearInterval(ticker);
        if (statsTimer) clearInterval(statsTimer);
        telnet?.close();
        void status?.close();
        log(`natpass run: stopped by ${signal}`);
        showCounters();
        for (const p of ports) p.close();
        pcaps?.forEach((p) => p.close());
        resolve(0);
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      // Only now: a supervisor may signal the moment it reads this line, and a signal that comes
      // before the handlers exist kills the process without its counters.
      log('ready (Ctrl-C stops)');
    });
  },
};
