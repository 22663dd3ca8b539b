// The fast path (assembly/nat/fast.ts): packets of an established flow take their flow record's rewrite
// instead of the whole pipeline. These tests hold it to the long way's results (the same module with the
// fast path switched off, index.ts fastPath): the same bytes out, the same counters, and nothing
// forwarded that the long way would not forward. Its counter is still named express_forwarded.
import { describe, expect, it } from 'vitest';
import { Net, LAN, WAN, WAN_IP, LAN_IP, GATEWAY_IP, GATEWAY_MAC, hostMac } from './helpers/net.ts';
import { lan, wan } from './helpers/traffic.ts';
import { arpRequest, fragment, inetChecksum, parseFrame } from '../host/packets.ts';
import { PORT_LAN } from '../host/abi.ts';

const IKEV2_SA_INIT = 34; // exchange type (RFC 7296 3.1)

const H1 = '192.168.1.10';
const R1 = '203.0.113.5';

/** A deterministic pseudo-random sequence, so a failure names the case that failed. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % n;
  };
}

/** The frame with its UDP checksum set to zero ("none", RFC 768); IP header checksum untouched. */
function withoutUdpChecksum(frame: Uint8Array): Uint8Array {
  const f = frame.slice();
  f[14 + 20 + 6] = 0;
  f[14 + 20 + 7] = 0;
  return f;
}


function setIpChecksum(f: Uint8Array, headerBytes: number): void {
  f[24] = 0; f[25] = 0;
  const sum = inetChecksum(f.subarray(14, 14 + headerBytes));
  f[24] = sum >> 8; f[25] = sum & 0xff;
}

/** One to three random changes to a frame: header bytes, TTL, length fields, fragment bits, TCP's data
 *  offset, truncation, padding; half the time with the IP header checksum made right again, so the
 *  change gets past it. */
function mutate(frame: Uint8Array, r: (n: number) => number): Uint8Array {
  let f = frame.slice();
  for (let k = 1 + r(3); k > 0; k--) {
    switch (r(7)) {
      case 0: f[14 + r(Math.min(48, f.length - 14))] = r(256); break;
      case 1: f[22] = r(4); break; // TTL 0-3
      case 2: f[16] = r(2) ? 0 : r(256); f[17] = r(256); break; // IP total length
      case 3: f = f.slice(0, 14 + r(f.length - 13)); break; // truncated
      case 4: f = Uint8Array.from([...f, ...Array.from({ length: 1 + r(30) }, () => r(256))]); break; // padded
      case 5: f[20] = [0x20, 0x40, 0x00, 0x80, 0x3f][r(5)]; f[21] = r(2) ? 0 : r(256); break; // flags, offset
      case 6: if (f.length > 47) f[46] = r(256); break; // TCP data offset (a UDP payload byte)
    }
  }
  if (f.length >= 34 && r(2)) setIpChecksum(f, 20);
  return f;
}

/** Small tables: this test makes 320 routers. */
const SMALL = { limits: { sessions: 256, mappings: 256, hosts: 16, fragments: 16, arpEntries: 16, ikeSessions: 16, ipsecSas: 16, batch: 8, outSlots: 16 } };

const only = (frames: { data: Uint8Array }[]) => {
  expect(frames).toHaveLength(1);
  return Buffer.from(frames[0].data).toString('hex');
};

describe('fast path', () => {
  it('transmits exactly the bytes the long way transmitted for the same packet, both ways, UDP and TCP', async () => {
    const net = await Net.create();
    const r = rng(7);
    let flows = 0;
    for (let i = 0; i < 60; i++) {
      const src = `192.168.1.${10 + r(40)}`;
      const dst = `203.0.113.${1 + r(200)}`;
      const sport = 1024 + r(60000), dport = 1 + r(1000) + 1000;
      const payload = Buffer.alloc(r(90), i); // 0-89 bytes: runt frames padded, odd lengths
      const common = { ttl: 2 + r(250), id: r(65536), df: r(2) === 1, payload };
      const udpCase = r(3) !== 0;
      let out: Uint8Array;
      if (udpCase) {
        out = lan.udp({ src, dst, sport, dport, ...common });
        if (r(4) === 0) out = withoutUdpChecksum(out);
      } else {
        // The SYN goes the long way (it changes TCP state) and records the flow; an ACK may go express.
        WAN(net.fromLan(lan.tcp({ src, dst, sport, dport, flags: 'S', ...common })).step());
        out = lan.tcp({ src, dst, sport, dport, flags: 'PA', seq: r(1 << 30), ack: r(1 << 30), ...common });
      }
      const before = net.counters().express_forwarded ?? 0;
      const first = only(WAN(net.fromLan(out).step()));
      const second = only(WAN(net.fromLan(out).step()));
      const third = only(WAN(net.fromLan(out).step())); // with the next hop's ARP entry remembered
      expect(second, `case ${i}`).toBe(first);
      expect(third, `case ${i}`).toBe(first);
      flows++;
      // A UDP first packet created the session (long way), its copy went express; a TCP ACK followed a
      // SYN that recorded the flow, so both copies go express.
      expect(net.counters().express_forwarded - before, `case ${i}`).toBe(udpCase ? 2 : 3);
      if (!udpCase) continue;
      const extPort = Buffer.from(first, 'hex').readUInt16BE(14 + 20);
      const reply = wan.udp({ src: dst, dst: WAN_IP, sport: dport, dport: extPort, ...common });
      const b1 = only(LAN(net.fromWan(reply).step()));
      const b2 = only(LAN(net.fromWan(reply).step()));
      expect(b2, `reply ${i}`).toBe(b1);
    }
    expect(flows).toBe(60);
    net.checkCaptures(); // every checksum the express path patched, checked by tshark
  });

  it('answers malformed and unusual packets of a recorded flow exactly as the long way does', async () => {
    // Router a has the fast path, router b the long way only; both see the same first packet, so both
    // hold the same session. Each mutated packet then goes to a fresh pair.
    const r = rng(11);
    const hex = (f: { data: Uint8Array }) => Buffer.from(f.data).toString('hex');
    let expressed = 0;
    for (let i = 0; i < 160; i++) {
      const tcpCase = i % 2 === 1;
      const flow = { src: H1, dst: R1, sport: 5000, dport: 6000, payload: Buffer.alloc(r(40), i) };
      const first = tcpCase ? lan.tcp({ ...flow, flags: 'S' }) : lan.udp(flow);
      const later = tcpCase ? lan.tcp({ ...flow, flags: 'A', seq: 1, ack: 1 }) : lan.udp(flow);
      const m = mutate(later, r);
      const a = await Net.create(SMALL);
      const b = await Net.create(SMALL);
      b.router.engine.call('fastPath', 0);
      a.fromLan(first).step();
      b.fromLan(first).step();
      const before = a.counters().express_forwarded ?? 0;
      const outA = a.fromLan(m).step().map(hex), outB = b.fromLan(m).step().map(hex);
      expect(outA, `mutation ${i}: ${Buffer.from(m).toString('hex')}`).toEqual(outB);
      const { express_forwarded: ea = 0, ...ca } = a.counters();
      const { express_forwarded: eb = 0, ...cb } = b.counters();
      expect(ca, `mutation ${i}`).toEqual(cb);
      expect(eb).toBe(0);
      expressed += ea - before;
    }
    expect(expressed).toBeGreaterThan(20); // the comparison covered the express path, not only refusals
  });

  it('counts what the long way counts', async () => {
    const net = await Net.create();
    const out = lan.udp({ src: H1, dst: R1, sport: 5000, dport: 6000, payload: Buffer.from('x') });
    net.fromLan(out).step();
    const before = net.counters();
    for (let i = 0; i < 5; i++) net.fromLan(out).step();
    const after = net.counters();
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    expect(delta('express_forwarded')).toBe(5);
    for (const k of ['rx_frames', 'rx_lan', 'nat_in2out', 'tx_frames', 'tx_wan']) expect(delta(k), k).toBe(5);
  });

  it('counts a frame the full output ring refused as the long way does: received and translated, not sent', async () => {
    const net = await Net.create({ limits: { batch: 2, outSlots: 2 } });
    const out = lan.udp({ src: H1, dst: R1, sport: 5000, dport: 6000, payload: Buffer.from('x') });
    for (let i = 0; i < 2; i++) expect(WAN(net.fromLan(out).step())).toHaveLength(1); // recorded, then express
    // A held second fragment leaves with the first: two frames out of one, which fill both output
    // slots ahead of an express frame in the same batch.
    const frags = fragment(lan.udp({ src: H1, dst: R1, sport: 5000, dport: 6000, payload: Buffer.alloc(2000, 7), id: 77 }), 1500);
    expect(frags).toHaveLength(2);
    expect(net.fromLan(frags[1]).step()).toHaveLength(0);
    const before = net.counters();
    const sent = WAN(net.fromLan(frags[0]).fromLan(out).step());
    expect(sent.map((f) => f.p.ip!.fragOffset).sort((a, b) => a - b)).toEqual([0, frags[0].length - 34]);
    const after = net.counters();
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    const keys = ['express_forwarded', 'rx_lan', 'nat_in2out', 'tx_wan', 'tx_frames', 'out_ring_full'];
    expect(keys.map(delta)).toEqual([1, 2, 2, 2, 2, 1]);
  });

  it('asks ARP again once the next hop\'s entry is stale, as the long way does', async () => {
    const net = await Net.create({ timeouts: { arp: 10 } });
    const out = lan.udp({ src: H1, dst: R1, sport: 5000, dport: 6000, payload: Buffer.from('x') });
    for (let i = 0; i < 3; i++) expect(WAN(net.fromLan(out).step())).toHaveLength(1);
    const arpRequests = () => net.counters().arp_requests_out;
    const before = arpRequests();
    net.idle(11_000);
    expect(WAN(net.fromLan(out).step())).toHaveLength(1); // queued behind a new request, sent on the reply
    expect(arpRequests()).toBe(before + 1);
  });

  it('sends to a next hop\'s new MAC from the first packet after ARP learns it, both ways', async () => {
    const net = await Net.create();
    const out = lan.udp({ src: H1, dst: R1, sport: 5000, dport: 6000, payload: Buffer.from('x') });
    const sent = WAN(net.fromLan(out).step())[0];
    const back = wan.udp({ src: R1, dst: WAN_IP, sport: 6000, dport: sent.p.udp!.sport, payload: Buffer.from('y') });
    for (let i = 0; i < 3; i++) {
      expect(WAN(net.fromLan(out).step())[0].p.eth.dst).toBe(GATEWAY_MAC);
      expect(LAN(net.fromWan(back).step())[0].p.eth.dst).toBe(hostMac(H1));
    }
    const express = net.counters().express_forwarded;
    // The gateway and the host each ask for the router from a new MAC (RFC 826: the router learns it).
    const NEW_GW = '02:00:00:00:02:77', NEW_H1 = '02:00:00:00:10:77';
    net.fromWan(arpRequest({ srcMac: NEW_GW, senderIp: GATEWAY_IP, targetIp: WAN_IP })).step();
    net.fromLan(arpRequest({ srcMac: NEW_H1, senderIp: H1, targetIp: LAN_IP })).step();
    for (let i = 0; i < 3; i++) {
      expect(WAN(net.fromLan(out).step())[0].p.eth.dst).toBe(NEW_GW);
      expect(LAN(net.fromWan(back).step())[0].p.eth.dst).toBe(NEW_H1);
    }
    // The first packet each way takes sendIp and remembers the new header; the rest are express again.
    expect(net.counters().express_forwarded).toBe(express + 6);
  });

  it('does not use a remembered header once the next hop\'s ARP entry went to another address', async () => {
    // One set of 8 entries: asking for 8 more on-link WAN addresses evicts the gateway's entry.
    const net = await Net.create({ limits: { arpEntries: 8 } });
    const out = lan.udp({ src: H1, dst: R1, sport: 5000, dport: 6000, payload: Buffer.from('x') });
    for (let i = 0; i < 3; i++) expect(WAN(net.fromLan(out).step())).toHaveLength(1);
    const router = net.router;
    for (let k = 0; k < 8; k++) router.receive(PORT_LAN, lan.udp({ src: H1, dst: `198.51.100.${10 + k}`, sport: 5100 + k, dport: 7 }));
    router.process((net.now += 1)); // eight requests, no replies yet
    router.receive(PORT_LAN, out);
    const sent = router.process((net.now += 1)).map((f) => parseFrame(f.data));
    expect(sent.filter((p) => p.udp)).toHaveLength(0); // held behind ARP, as the long way holds it
    expect(sent.filter((p) => p.arp?.targetIp === GATEWAY_IP)).toHaveLength(1);
  });

  it('leaves to the long way every packet that needs more than the recorded rewrite', async () => {
    const net = await Net.create();
    const flow = { src: H1, dst: R1, sport: 5000, dport: 6000 };
    net.fromLan(lan.udp({ ...flow, payload: Buffer.from('first') })).step();
    const express = () => net.counters().express_forwarded ?? 0;
    const start = express();

    // TTL 1: the long way answers with ICMP time exceeded.
    const expiredTtl = LAN(net.fromLan(lan.udp({ ...flow, ttl: 1 })).step());
    expect(expiredTtl).toHaveLength(1);
    expect(expiredTtl[0].p.icmp!.type).toBe(11);

    // A bad header checksum: dropped and counted by the long way.
    const bad = lan.udp({ ...flow, payload: Buffer.from('bad') });
    bad[14 + 10] ^= 0xff;
    expect(net.fromLan(bad).step()).toHaveLength(0);
    expect(net.counters().drop_ip_checksum).toBe(1);

    // A first fragment (MF set): the long way notes it so the later fragments follow.
    const frag = lan.udp({ ...flow, payload: Buffer.alloc(16) });
    frag[14 + 6] |= 0x20;
    frag[14 + 10] = 0; frag[14 + 11] = 0;
    const ipSum = inetChecksum(frag.subarray(14, 34));
    frag[14 + 10] = ipSum >> 8; frag[14 + 11] = ipSum & 0xff;
    expect(WAN(net.fromLan(frag).step())).toHaveLength(1);

    // TCP FIN or RST change the session's state: never express.
    const tcpFlow = { src: H1, dst: R1, sport: 7000, dport: 80 };
    net.fromLan(lan.tcp({ ...tcpFlow, flags: 'S' })).step();
    const beforeFin = express();
    expect(WAN(net.fromLan(lan.tcp({ ...tcpFlow, flags: 'FA' })).step())).toHaveLength(1);
    expect(WAN(net.fromLan(lan.tcp({ ...tcpFlow, flags: 'R' })).step())).toHaveLength(1);
    expect(express()).toBe(beforeFin);
    expect(express()).toBe(start);
  });

  it('lets every IKE and NAT-T datagram reach the IPsec ALG', async () => {
    const net = await Net.create({ timeouts: { ike: 30 } });
    const ike = { src: H1, dst: R1, icookie: 0x1234n, version: 2 as const, exchange: IKEV2_SA_INIT };
    for (let i = 0; i < 3; i++) expect(WAN(net.fromLan(lan.ike({ ...ike, sport: 500, dport: 500, rcookie: 0n })).step())).toHaveLength(1);
    expect(net.counters().ike_in2out).toBe(3);
    // NAT-T datagrams (UDP 4500) pass through the session table, but the ALG notes each one: it keeps
    // the negotiation alive past its 30 s idle timeout only if it sees them all.
    const natT = lan.ike({ ...ike, sport: 4500, dport: 4500, rcookie: 0x5678n, nonEspMarker: true });
    for (let i = 0; i < 4; i++) {
      expect(WAN(net.fromLan(natT).step())).toHaveLength(1);
      net.idle(20_000);
    }
    expect(net.counters().ike_sessions_expired ?? 0).toBe(0);
    expect(net.counters().express_forwarded ?? 0).toBe(0);
  });

  it('forwards nothing inbound once the session it recorded has expired', async () => {
    const net = await Net.create({ timeouts: { udp: 120 } });
    const out = WAN(net.fromLan(lan.udp({ src: H1, dst: R1, sport: 5000, dport: 6000 })).step());
    const extPort = out[0].p.udp!.sport;
    const reply = wan.udp({ src: R1, dst: WAN_IP, sport: 6000, dport: extPort, payload: Buffer.from('r') });
    expect(LAN(net.fromWan(reply).step())).toHaveLength(1); // the flow the outbound packet made: fast
    expect(LAN(net.fromWan(reply).step())).toHaveLength(1);
    expect(net.counters().express_forwarded).toBe(2);
    net.idle(121_000);
    net.idle(10_000); // the sweep removes the session and its mapping
    expect(net.counters().sessions_expired).toBe(1);
    expect(LAN(net.fromWan(reply).step())).toHaveLength(0);
    expect(net.counters().express_forwarded).toBe(2);
    expect(net.counters().drop_unsolicited).toBe(1);
  });

  it('keeps a flow express when another flow\'s session expires', async () => {
    const net = await Net.create({ timeouts: { udp: 120 } });
    net.fromLan(lan.udp({ src: '192.168.1.11', dst: R1, sport: 7000, dport: 7000 })).step();
    net.idle(60_000);
    const out = lan.udp({ src: H1, dst: R1, sport: 5000, dport: 6000, payload: Buffer.from('x') });
    net.fromLan(out).step(); // recorded
    net.idle(65_000); // the first flow's session expires, this one's does not
    expect(net.counters().sessions_expired).toBe(1);
    const before = net.counters().express_forwarded ?? 0;
    expect(WAN(net.fromLan(out).step())).toHaveLength(1);
    expect(net.counters().express_forwarded).toBe(before + 1);
  });

  it('keeps hairpinned traffic on the long way', async () => {
    const net = await Net.create({ nat: { filtering: 'endpoint-independent' } });
    const a = WAN(net.fromLan(lan.udp({ src: H1, dst: R1, sport: 5000, dport: 6000 })).step())[0];
    const toPublic = lan.udp({ src: '192.168.1.11', dst: WAN_IP, sport: 7000, dport: a.p.udp!.sport, payload: Buffer.from('hp') });
    for (let i = 0; i < 2; i++) {
      const back = LAN(net.fromLan(toPublic).step());
      expect(back).toHaveLength(1);
      expect(back[0].p.ip!.dst).toBe(H1);
    }
    expect(net.counters().nat_hairpin).toBe(2);
  });
});
