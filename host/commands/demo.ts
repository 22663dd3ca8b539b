// natpass demo (make run): the router on its embedded default configuration, with a demo network
// simulated in-process around it. Three LAN hosts browse, resolve names, ping and keep a VPN tunnel
// to a gateway on the Internet; every frame crossing the router, both ways on both ports, is printed, then the NAT table,
// the IPsec tunnel table and the counters. Time is simulated; --pace slows it down for watching.
import { PORT_LAN, PORT_WAN, Port } from '../abi.ts';
import { DEFAULT_CONFIG_JSON } from '../config.ts';
import { icmpEcho, ike, esp, parseFrame, ParsedFrame, tcp, udp } from '../packets.ts';
import { Router } from '../router.ts';
import { buildState } from '../state.ts';
import { SimHost, dnsServer, dnsQuery, plainHost, vpnGateway, webServer } from '../demo/hosts.ts';
import { Command, ENGINE_OPTION, engineOption, intOption, noMorePositionals, parseOptions } from './command.ts';
import { httpOption } from './http-option.ts';
import { ConsoleSession, loadAccounts } from '../console/session.ts';
import { isLoopback, startStatusServer, StatusServer } from '../http/server.ts';

const STEADY_TICK_MS = 200;
const ROUTER_LAN_MAC = DEFAULT_CONFIG_JSON.lan.mac;
const ROUTER_WAN_MAC = DEFAULT_CONFIG_JSON.wan.mac;

const lanHosts = [plainHost('laptop', '192.168.1.10', '02:00:00:00:10:10'), plainHost('phone', '192.168.1.11', '02:00:00:00:10:11'), plainHost('vpn-client', '192.168.1.20', '02:00:00:00:10:20')];
const internet = [dnsServer('dns', '203.0.113.53', '02:00:00:00:20:53'), webServer('web', '203.0.113.80', '02:00:00:00:20:80'), vpnGateway('vpn-gw', '203.0.113.1', '02:00:00:00:20:01', 0xc0ffee01)];
// Everything on the Internet is reached through the gateway 198.51.100.1, which answers ARP for it.
const gateway = plainHost('isp-gw', DEFAULT_CONFIG_JSON.wan.gateway, '02:00:00:00:02:fe');

function describe(p: ParsedFrame): string {
  if (p.arp) return p.arp.op === 1 ? `ARP who-has ${p.arp.targetIp} tell ${p.arp.senderIp}` : `ARP ${p.arp.senderIp} is-at ${p.arp.senderMac}`;
  if (!p.ip) return 'non-IP frame';
  const at = (addr: string, port?: number) => (port === undefined ? addr : `${addr}:${port}`);
  if (p.ike) return `IKEv${p.ike.version} ${at(p.ip.src, p.udp!.sport)} > ${at(p.ip.dst, p.udp!.dport)} exchange ${p.ike.exchange}`;
  if (p.udp) return `UDP  ${at(p.ip.src, p.udp.sport)} > ${at(p.ip.dst, p.udp.dport)}`;
  if (p.tcp) return `TCP  ${at(p.ip.src, p.tcp.sport)} > ${at(p.ip.dst, p.tcp.dport)} flags ${tcpFlagNames(p.tcp.flags)}`;
  if (p.icmp) return `ICMP ${p.ip.src} > ${p.ip.dst} type ${p.icmp.type} id ${p.icmp.id}`;
  if (p.esp) return `ESP  ${p.ip.src} > ${p.ip.dst} spi 0x${p.esp.spi.toString(16)}`;
  return `IP   ${p.ip.src} > ${p.ip.dst} proto ${p.ip.proto}`;
}

/** TCP flags by name, in the order people say them: SYN+ACK, PSH+ACK, FIN+ACK (RFC 9293 section 3.1). */
export function tcpFlagNames(flags: number): string {
  const names: [number, string][] = [[0x02, 'SYN'], [0x01, 'FIN'], [0x04, 'RST'], [0x08, 'PSH'], [0x10, 'ACK'], [0x20, 'URG'], [0x40, 'ECE'], [0x80, 'CWR']];
  const set = names.filter(([bit]) => flags & bit).map(([, name]) => name);
  return set.length ? set.join('+') : 'none';
}

/** The scripted traffic: [time in ms, LAN host index, frame builder]. */
function script(): [number, number, () => Uint8Array][] {
  const from = (i: number) => ({ srcMac: lanHosts[i].mac, dstMac: ROUTER_LAN_MAC, src: lanHosts[i].ip });
  return [
    [0, 0, () => icmpEcho({ ...from(0), dst: '203.0.113.53', type: 8, id: 0x4242, seq: 1 })],
    [50, 0, () => udp({ ...from(0), dst: '203.0.113.53', sport: 40000, dport: 53, payload: dnsQuery(1, 'www.example.net') })],
    [60, 1, () => udp({ ...from(1), dst: '203.0.113.53', sport: 40000, dport: 53, payload: dnsQuery(2, 'mail.example.net') })],
    [100, 0, () => tcp({ ...from(0), dst: '203.0.113.80', sport: 51000, dport: 80, flags: 'S', seq: 1 })],
    [150, 0, () => tcp({ ...from(0), dst: '203.0.113.80', sport: 51000, dport: 80, flags: 'A', seq: 2, ack: 1001 })],
    [160, 0, () => tcp({ ...from(0), dst: '203.0.113.80', sport: 51000, dport: 80, flags: 'PA', seq: 2, ack: 1001, payload: Buffer.from('GET / HTTP/1.0\r\n\r\n') })],
    [200, 2, () => ike({ ...from(2), dst: '203.0.113.1', sport: 500, dport: 500, icookie: 0x1c00c1e5n, rcookie: 0n, version: 2, exchange: 34, payloads: [{ type: 41, body: new Uint8Array([0, 0, 0x40, 0x04, ...new Array(20).fill(7)]) }] })],
    [250, 2, () => ike({ ...from(2), dst: '203.0.113.1', sport: 500, dport: 500, icookie: 0x1c00c1e5n, rcookie: 0x6a7e5a1dn, version: 2, exchange: 35, flags: 0x08 })],
    [300, 2, () => esp({ ...from(2), dst: '203.0.113.1', spi: 0xbeef0001, seq: 1 })],
    [350, 2, () => esp({ ...from(2), dst: '203.0.113.1', spi: 0xbeef0001, seq: 2 })],
    [400, 0, () => tcp({ ...from(0), dst: '203.0.113.80', sport: 51000, dport: 80, flags: 'FA', seq: 20, ack: 1038 })],
  ];
}

export async function runDemo(opts: { engine?: 'v8' | 'wasm3'; paceMs: number; log: (s: string) => void; stop: () => boolean; http?: { host: string; port: number } }): Promise<Record<string, unknown>> {
  const router = await Router.create(DEFAULT_CONFIG_JSON, { engine: opts.engine, nowMs: 0 });
  const log = opts.log;
  log(`natpass demo: router LAN ${DEFAULT_CONFIG_JSON.lan.address}, WAN ${DEFAULT_CONFIG_JSON.wan.address} via ${DEFAULT_CONFIG_JSON.wan.gateway}, engine ${router.engine.kind}`);
  log(`  LAN: ${lanHosts.map((h) => `${h.name} ${h.ip}`).join(', ')}`);
  log(`  WAN: ${[gateway, ...internet].map((h) => `${h.name} ${h.ip}`).join(', ')}`);
  const at = (now: number) => `  t=${String(now).padStart(4)}ms  `;
  const status = opts.http ? await serveStatus(router, opts.http, log) : null;
  // A frame the router sent, then every answer the simulated machines give to it, as the router receives them.
  const deliver = (port: Port, frame: Uint8Array, now: number, quiet: boolean) => {
    const p = parseFrame(frame);
    if (!quiet) log(`${at(now)}router > ${port === PORT_LAN ? 'LAN' : 'WAN'}  ${describe(p)}`);
    const targets = port === PORT_LAN ? lanHosts : [gateway, ...internet];
    let replies = 0;
    for (const h of targets) {
      const forMe = port === PORT_LAN ? h : p.arp ? gateway : internet.find((x) => x.ip === p.ip?.dst);
      if (forMe !== h) continue;
      const routerMac = port === PORT_LAN ? ROUTER_LAN_MAC : ROUTER_WAN_MAC;
      for (const sent of h.receive(frame, p, routerMac)) {
        // The Internet's machines reach the router through the ISP gateway: their frames carry its MAC.
        const r = port === PORT_WAN && !p.arp ? withSrcMac(sent, gateway.mac) : sent;
        if (!quiet) log(`${at(now)}${h.name.padEnd(10)} > router  ${describe(parseFrame(r))}`);
        router.receive(port, r);
        replies++;
      }
    }
    return replies;
  };
  /** Sends one LAN frame and runs until the network is quiet: every reply the simulated machines send goes back in. */
  const exchange = (frame: Uint8Array, start: number, quiet: boolean) => {
    let now = start;
    router.receive(PORT_LAN, frame);
    for (let round = 0; round < 8; round++) {
      const out = router.process(now);
      if (out.length === 0) break;
      let replies = 0;
      for (const f of out) replies += deliver(f.port, f.data, now, quiet);
      if (replies === 0) break;
      now += 1;
    }
    return now;
  };
  const events = script();
  let now = 0;
  for (const [t, hostIndex, build] of events) {
    if (opts.stop()) break;
    const frame = build();
    log(`${at(t)}${lanHosts[hostIndex].name.padEnd(10)} > router  ${describe(parseFrame(frame))}`);
    now = exchange(frame, t, false);
    if (opts.paceMs > 0) await new Promise((r) => setTimeout(r, opts.paceMs));
  }
  if (status) {
    log(`\nsteady traffic for the status page (not printed) until Ctrl-C: ${status.url}`);
    await steadyTraffic(now, opts.stop, exchange);
    await status.close();
  }
  const state = buildState(router);
  log('\nNAT mappings:');
  for (const m of state.mappings as Record<string, unknown>[]) log(`  ${m.proto} ${m.inAddr}:${m.inPort} <-> ${m.extAddr}:${m.extPort}  (${m.sessions} session(s))`);
  log('IPsec tunnels:');
  for (const k of (state.ipsec as { ikeSessions: Record<string, unknown>[] }).ikeSessions) log(`  ${k.version} ${k.host} <-> ${k.remote}  state ${k.state}  cookie ${k.initiatorCookie}`);
  for (const a of (state.ipsec as { sas: Record<string, unknown>[] }).sas) log(`  ${a.proto} ${a.direction} spi ${a.spi}  ${a.host} <-> ${a.remote}  ${a.packets} packet(s)`);
  log('Counters:');
  const c = state.counters as Record<string, number>;
  log('  ' + Object.entries(c).filter(([, v]) => v > 0).map(([k, v]) => `${k}=${v}`).join(' '));
  return state;
}

/** The status page on the demo's router; the console's default accounts (admin, guest) guard changes. */
async function serveStatus(router: Router, at: { host: string; port: number }, log: (s: string) => void): Promise<StatusServer> {
  loadAccounts(router, null);
  const status = await startStatusServer({ router, console: new ConsoleSession(router, null, () => Date.now()), ...at, log });
  if (!isLoopback(at.host)) log(`  warning: the status page listens on ${at.host}, not loopback: whoever reaches it sees the router's state`);
  log(`  status page: ${status.url} (read-only; log in as admin to change the Server List)`);
  return status;
}

/** After the script, with --http: a tunnel that keeps talking, pings and name lookups, in real time. */
async function steadyTraffic(start: number, stop: () => boolean, exchange: (frame: Uint8Array, now: number, quiet: boolean) => number): Promise<void> {
  const from = (i: number) => ({ srcMac: lanHosts[i].mac, dstMac: ROUTER_LAN_MAC, src: lanHosts[i].ip });
  const t0 = Date.now();
  for (let tick = 0; !stop(); tick++) {
    const now = start + (Date.now() - t0);
    // The phone starts an IKEv1 main mode without NAT-T to the same gateway: a second tunnel, and the advisor speaks.
    if (tick === 0) exchange(ike({ ...from(1), dst: '203.0.113.1', sport: 500, dport: 500, icookie: 0x9f0e11a1n, rcookie: 0n, version: 1, exchange: 2 }), now, true);
    if (tick === 1) exchange(ike({ ...from(1), dst: '203.0.113.1', sport: 500, dport: 500, icookie: 0x9f0e11a1n, rcookie: 0x6a7e5a1dn, version: 1, exchange: 32, flags: 0x01 }), now, true);
    exchange(esp({ ...from(2), dst: '203.0.113.1', spi: 0xbeef0001, seq: 3 + tick }), now, true);
    if (tick % 5 === 0) exchange(icmpEcho({ ...from(0), dst: '203.0.113.53', type: 8, id: 0x4242, seq: 2 + tick / 5 }), now, true);
    // A new lookup from a new port every two seconds: the flows table grows (UDP idles out after 300 s).
    if (tick % 10 === 0) exchange(udp({ ...from(1), dst: '203.0.113.53', sport: 41000 + ((tick / 10) % 20000), dport: 53, payload: dnsQuery(tick & 0xffff, 'www.example.net') }), now, true);
    await new Promise((r) => setTimeout(r, STEADY_TICK_MS));
  }
}

function withSrcMac(frame: Uint8Array, mac: string): Uint8Array {
  const f = new Uint8Array(frame);
  f.set(mac.split(':').map((h) => parseInt(h, 16)), 6);
  return f;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the router on its default config with a simulated demo network (make run)',
  usage: `natpass demo [--pace MS] [--http ADDR:PORT] [--engine v8|wasm3]

Starts the router on its embedded default configuration (LAN 192.168.1.1/24, WAN 198.51.100.2/24)
with a demo network simulated in-process: a laptop, a phone and a VPN client on the LAN; an ISP gateway,
a DNS server, a web server and an IPsec gateway on the WAN side. The hosts ping, resolve names, fetch a
page and bring up an IKEv2 tunnel with ESP; every frame the router receives (from the LAN and from the
WAN) and every frame it sends is printed, TCP flags by name, then its NAT table, IPsec tunnel table and
counters. Time is simulated; it exits 0 when the script ends, or on Ctrl-C.
Options:
  -p, --pace MS      wait MS real milliseconds between scripted events (default 150; 0 runs at once)
  -e, --engine NAME  v8 (default) or wasm3
  --http ADDR:PORT   serve the live status page (docs/status-page.md) on ADDR:PORT (PORT alone: 127.0.0.1;
                     port 0 picks a free one); after the script the hosts keep talking until Ctrl-C`,
  async main(argv) {
    const { opts, rest } = parseOptions(argv, { pace: { type: 'string', short: 'p' }, http: { type: 'string' }, ...ENGINE_OPTION });
    const http = httpOption(opts as Record<string, string | true>);
    noMorePositionals(rest, 0);
    const paceMs = intOption(opts.pace, 'pace', 0, 60_000, 150);
    const engine = engineOption(opts.engine);
    let stopped = false;
    const onSignal = () => { stopped = true; };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await runDemo({ engine, paceMs, log: (s) => console.log(s), stop: () => stopped, http });
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (stopped) console.log('stopped by signal');
    return 0;
  },
};
