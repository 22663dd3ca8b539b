// A deterministic mixed trace for engine parity: many LAN hosts and remotes, UDP, TCP, ICMP, IPv4
// fragments, IKE/ESP/AH, unsolicited inbound traffic and malformed frames, with time moving on
// (including jumps past the timers). Seeded, so every engine sees exactly the same frames.
import { PORT_LAN, PORT_WAN, Port } from '../../host/abi.ts';
import { ah, arpRequest, esp, fragment, icmpEcho, ike, tcp, udp } from '../../host/packets.ts';

export interface TraceFrame {
  t: number;
  port: Port;
  data: Uint8Array;
}

/** mulberry32: a small seeded PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROUTER_LAN = '02:00:00:00:01:01';
const ROUTER_WAN = '02:00:00:00:02:01';
const GW_MAC = '02:00:00:00:02:fe';
const WAN_IP = '198.51.100.2';

export function mixedTrace(count: number, seed = 1): TraceFrame[] {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  const hosts = Array.from({ length: 50 }, (_, i) => `192.168.1.${10 + i}`);
  const macOf = (ip: string) => `02:00:00:00:11:${Number(ip.split('.')[3]).toString(16).padStart(2, '0')}`;
  const remotes = Array.from({ length: 100 }, (_, i) => `203.0.${113 + (i % 3)}.${1 + i}`);
  const out: TraceFrame[] = [];
  let t = 0;
  const lan = (data: Uint8Array) => out.push({ t, port: PORT_LAN, data });
  const wan = (data: Uint8Array) => out.push({ t, port: PORT_WAN, data });
  const fromH = (h: string) => ({ srcMac: macOf(h), dstMac: ROUTER_LAN, src: h });
  const fromR = (r: string) => ({ srcMac: GW_MAC, dstMac: ROUTER_WAN, src: r, dst: WAN_IP });
  // Everyone introduces themselves by asking for the router (RFC 826 merge teaches it their MACs).
  for (const h of hosts) lan(arpRequest({ srcMac: macOf(h), senderIp: h, targetIp: '192.168.1.1' }));
  wan(arpRequest({ srcMac: GW_MAC, senderIp: '198.51.100.1', targetIp: WAN_IP }));
  const flows: { h: string; r: string; sport: number; dport: number; proto: 'udp' | 'tcp' }[] = [];
  const tunnels = hosts.slice(0, 4).flatMap((h, i) => remotes.slice(0, 2).map((r, j) => ({ h, r, c: BigInt(1 + i * 2 + j), spiOut: 0x1000 + i * 2 + j, spiIn: 0x2000 + i * 2 + j })));
  while (out.length < count) {
    t += rnd() < 0.002 ? int(200_000, 400_000) : int(0, 3);
    const x = rnd();
    if (x < 0.3) {
      const f = { h: pick(hosts), r: pick(remotes), sport: int(1024, 65535), dport: pick([53, 123, 443, 3478, 5060, 40001]), proto: 'udp' as const };
      flows.push(f);
      lan(udp({ ...fromH(f.h), dst: f.r, sport: f.sport, dport: f.dport, payload: new Uint8Array(int(0, 200)).fill(int(0, 255)) }));
    } else if (x < 0.45 && flows.length) {
      const f = pick(flows);
      if (f.proto === 'udp') wan(udp({ ...fromR(f.r), sport: f.dport, dport: f.sport, payload: new Uint8Array(int(0, 100)) }));
      else wan(tcp({ ...fromR(f.r), sport: f.dport, dport: f.sport, flags: pick(['SA', 'A', 'PA', 'FA', 'R']), seq: int(0, 1e9), ack: int(0, 1e9) }));
    } else if (x < 0.6) {
      const f = { h: pick(hosts), r: pick(remotes), sport: int(1024, 65535), dport: pick([80, 443, 22]), proto: 'tcp' as const };
      flows.push(f);
      lan(tcp({ ...fromH(f.h), dst: f.r, sport: f.sport, dport: f.dport, flags: pick(['S', 'S', 'A', 'PA', 'FA']), seq: int(0, 1e9), ack: int(0, 1e9), payload: new Uint8Array(int(0, 300)) }));
    } else if (x < 0.66) {
      const h = pick(hosts), r = pick(remotes), id = int(0, 65535);
      lan(icmpEcho({ ...fromH(h), dst: r, type: 8, id, seq: int(0, 100) }));
      wan(icmpEcho({ ...fromR(r), type: 0, id, seq: int(0, 100) }));
    } else if (x < 0.7) {
      const h = pick(hosts), r = pick(remotes), sport = int(1024, 65535);
      for (const f of fragment(udp({ ...fromH(h), dst: r, sport, dport: 4000, id: int(0, 65535), payload: new Uint8Array(int(1500, 4000)) }), 1400)) lan(f);
      const inbound = fragment(udp({ ...fromR(r), sport: 4000, dport: sport, id: int(0, 65535), payload: new Uint8Array(3000) }), 1400);
      for (const f of rnd() < 0.5 ? inbound : [...inbound].reverse()) wan(f);
    } else if (x < 0.8) {
      const tn = pick(tunnels);
      const y = rnd();
      if (y < 0.2) lan(ike({ ...fromH(tn.h), dst: tn.r, sport: 500, dport: 500, icookie: tn.c, rcookie: 0n, version: pick([1, 2]) as 1 | 2, exchange: pick([2, 34, 35, 36, 32, 37]) }));
      else if (y < 0.4) wan(ike({ ...fromR(tn.r), sport: 500, dport: 500, icookie: tn.c, rcookie: 7n, version: 2, exchange: pick([34, 35, 36, 37]) }));
      else if (y < 0.6) lan(esp({ ...fromH(tn.h), dst: tn.r, spi: tn.spiOut, seq: int(1, 1e6) }));
      else if (y < 0.85) wan(esp({ ...fromR(tn.r), spi: pick([tn.spiIn, int(1, 1e9)]), seq: int(1, 1e6) }));
      else if (y < 0.93) lan(ah({ ...fromH(tn.h), dst: tn.r, spi: tn.spiOut + 0x100, seq: 1, nextHeader: 4 }));
      else wan(ah({ ...fromR(tn.r), spi: tn.spiIn + 0x100, seq: 1, nextHeader: 4 }));
    } else if (x < 0.88) {
      const r = pick(remotes);
      wan(pick([
        () => udp({ ...fromR(r), sport: int(1, 65535), dport: int(1, 65535) }),
        () => tcp({ ...fromR(r), sport: int(1, 65535), dport: int(1, 65535), flags: 'S', seq: 1 }),
        () => icmpEcho({ ...fromR(r), type: 8, id: int(0, 65535), seq: 1 }),
        () => esp({ ...fromR(r), spi: int(1, 1e9), seq: 1 }),
      ])());
    } else {
      const good = udp({ ...fromH(pick(hosts)), dst: pick(remotes), sport: int(1, 65535), dport: 53 });
      const bad = new Uint8Array(good);
      const kind = int(0, 5);
      if (kind === 0) lan(good.subarray(0, int(0, good.length - 1)));
      else if (kind === 1) { bad[int(14, bad.length - 1)] ^= 1 << int(0, 7); lan(bad); }
      else if (kind === 2) { bad[14] = 0x46; lan(bad); }
      else if (kind === 3) lan(Uint8Array.from({ length: int(1, 200) }, () => int(0, 255)));
      else if (kind === 4) wan(new Uint8Array(int(1533, 1600)));
      else { bad[16] = 0xff; bad[17] = 0xff; wan(bad); }
    }
  }
  return out.slice(0, count);
}
