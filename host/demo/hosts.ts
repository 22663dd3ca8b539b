// The demo network's simulated machines. Each answers ARP for itself and replies to what it receives
// like the real thing would: echo replies, a DNS-like UDP answer, a tiny HTTP server over TCP, and an
// IPsec gateway that answers IKE and echoes ESP with its own SPI. Frames come from host/packets.ts.
import { arpReply, esp, icmpEcho, ike, parseFrame, ParsedFrame, tcp, udp } from '../packets.ts';

export interface SimHost {
  name: string;
  ip: string;
  mac: string;
  /** Frames this host sends in answer to one it received (addressed to `routerMac`). */
  receive(frame: Uint8Array, p: ParsedFrame, routerMac: string): Uint8Array[];
}

function base(name: string, ip: string, mac: string, extra?: (p: ParsedFrame, routerMac: string, self: SimHost) => Uint8Array[]): SimHost {
  const self: SimHost = {
    name, ip, mac,
    receive(_frame, p, routerMac) {
      if (p.arp && p.arp.op === 1 && p.arp.targetIp === ip) {
        return [arpReply({ srcMac: mac, dstMac: p.arp.senderMac, senderIp: ip, targetIp: p.arp.senderIp })];
      }
      if (!p.ip || p.ip.dst !== ip) return [];
      if (p.icmp && p.icmp.type === 8) {
        return [icmpEcho({ srcMac: mac, dstMac: routerMac, src: ip, dst: p.ip.src, type: 0, id: p.icmp.id, seq: p.icmp.seq })];
      }
      return extra ? extra(p, routerMac, self) : [];
    },
  };
  return self;
}

export const plainHost = (name: string, ip: string, mac: string) => base(name, ip, mac);

/** Answers UDP 53 with a fixed answer. */
export const dnsServer = (name: string, ip: string, mac: string) =>
  base(name, ip, mac, (p, routerMac) =>
    p.udp && p.udp.dport === 53
      ? [udp({ srcMac: mac, dstMac: routerMac, src: ip, dst: p.ip!.src, sport: 53, dport: p.udp.sport, payload: dnsAnswer(p.udp.payload) })]
      : []);

/** A DNS response for a query: same ID, QR bit set, the question echoed, no answers (enough for tshark). */
function dnsAnswer(query: Uint8Array): Uint8Array {
  const r = new Uint8Array(query);
  if (r.length >= 12) r[2] |= 0x80;
  return r;
}

/** A DNS query for `name` (A record), well-formed so captures dissect cleanly. */
export function dnsQuery(id: number, name: string): Uint8Array {
  const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
  return new Uint8Array([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, 1, 0, 1]);
}

/** A web server: SYN -> SYN/ACK, request -> response, FIN -> FIN/ACK. */
export const webServer = (name: string, ip: string, mac: string) =>
  base(name, ip, mac, (p, routerMac) => {
    const t = p.tcp;
    if (!t || t.dport !== 80) return [];
    const reply = (flags: string, seq: number, ack: number, payload?: Uint8Array) =>
      tcp({ srcMac: mac, dstMac: routerMac, src: ip, dst: p.ip!.src, sport: 80, dport: t.sport, flags, seq, ack, payload });
    if (t.flags & 2) return [reply('SA', 1000, t.seq + 1)];
    if (t.flags & 1) return [reply('FA', 1000 + 1 + 36, t.seq + 1)];
    if (t.payload.length) return [reply('PA', 1001, t.seq + t.payload.length, Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n'))];
    return [];
  });

/** An IPsec gateway: answers IKE with its own cookie and echoes ESP back on its own SPI. */
export const vpnGateway = (name: string, ip: string, mac: string, inboundSpi: number) =>
  base(name, ip, mac, (p, routerMac) => {
    if (p.ike && p.udp) {
      return [ike({ srcMac: mac, dstMac: routerMac, src: ip, dst: p.ip!.src, sport: p.udp.dport, dport: p.udp.sport, icookie: p.ike.icookie, rcookie: 0x6a7e5a1dn, version: p.ike.version as 1 | 2, exchange: p.ike.exchange, flags: 0x20 })];
    }
    if (p.esp) return [esp({ srcMac: mac, dstMac: routerMac, src: ip, dst: p.ip!.src, spi: inboundSpi, seq: p.esp.seq })];
    return [];
  });

export { parseFrame };
