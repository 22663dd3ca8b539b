// Per-host fairness (RFC 6888 REQ-3/REQ-4, docs/fairness.md): one LAN host flooding the session, mapping,
// fragment or ARP-queue table leaves every other host its floor, so their new flows still work.
// Real frames through the real module; the shares come from the configured capacities (nat/hosts.ts).
import { describe, expect, it } from 'vitest';
import { Net, LAN, WAN, WAN_IP } from './helpers/net.ts';
import { lan, wan } from './helpers/traffic.ts';
import { fragment } from '../host/packets.ts';
import { DUMP_SESSIONS } from '../host/abi.ts';

const FLOODER = '192.168.1.10';
const MAPPER = '192.168.1.11';
const QUIET = ['192.168.1.20', '192.168.1.21'];
const R1 = '203.0.113.5';
const n = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

/** Sends the frames from the LAN in batches of 256, one process() call each. */
function flood(net: Net, frames: Uint8Array[]): void {
  for (let i = 0; i < frames.length; i += 256) {
    for (const f of frames.slice(i, i + 256)) net.router.receive(0, f);
    net.router.process(++net.now);
  }
}

const sessionsOf = (net: Net, ip: string) => net.router.dumpTable(DUMP_SESSIONS).filter((r) => r[1] === n(ip)).length;

describe('per-host shares', () => {
  // 8192 sessions, 4096 mappings, 64 hosts: every host keeps a floor of 16 sessions and 8 mappings.
  const LIMITS = { limits: { sessions: 8192, mappings: 4096, hosts: 64, hostQuota: 4096 } };

  it("one host's session flood and another's mapping flood leave a third host its new UDP and TCP flows", async () => {
    const net = await Net.create(LIMITS);
    net.fromLan(lan.udp({ src: FLOODER, dst: R1, sport: 999, dport: 53 })).step(); // resolve the gateway
    // 16 source ports to 10,000 remote ports: sessions; then 4,000 source ports: mappings.
    flood(net, Array.from({ length: 10_000 }, (_, i) => lan.udp({ src: FLOODER, dst: R1, sport: 1000 + (i % 16), dport: 1 + i })));
    flood(net, Array.from({ length: 4_000 }, (_, i) => lan.udp({ src: MAPPER, dst: R1, sport: 20_000 + i, dport: 53 })));
    for (const quiet of QUIET) {
      // 16 flows, the session floor: 14 UDP remotes over 7 ports and one TCP flow (8 mappings, the mapping floor).
      let out = 0;
      for (let i = 0; i < 14; i++) out += WAN(net.fromLan(lan.udp({ src: quiet, dst: R1, sport: 3000 + (i % 7), dport: 7000 + i })).step()).length;
      out += WAN(net.fromLan(lan.tcp({ src: quiet, dst: R1, sport: 4000, dport: 443, flags: 'S' })).step()).length;
      out += WAN(net.fromLan(lan.udp({ src: quiet, dst: '203.0.113.6', sport: 3000, dport: 53 })).step()).length;
      expect(out).toBe(16);
      const back = LAN(net.fromWan(wan.udp({ src: R1, dst: WAN_IP, sport: 7000, dport: 3000 })).step());
      expect(back).toHaveLength(1);
    }
    expect(net.counters().drop_host_share).toBeGreaterThan(0);
    // The flooder keeps what it got; it never holds more than the table less the others' floors.
    expect(sessionsOf(net, FLOODER)).toBeLessThanOrEqual(8192 - 63 * 16);
    expect(WAN(net.fromLan(lan.udp({ src: FLOODER, dst: R1, sport: 1000, dport: 1 })).step())).toHaveLength(1);
  }, 120_000);

  it("recycles a SYN flooder's own oldest half-open sessions, within its share, and leaves others' flows alone", async () => {
    const net = await Net.create({ limits: { sessions: 1024, mappings: 256, hosts: 16 } }); // floor 8 sessions
    const quiet = QUIET[0];
    expect(WAN(net.fromLan(lan.tcp({ src: quiet, dst: R1, sport: 5000, dport: 443, flags: 'S' })).step())).toHaveLength(1);
    expect(LAN(net.fromWan(wan.tcp({ src: R1, dst: WAN_IP, sport: 443, dport: 5000, flags: 'SA' })).step())).toHaveLength(1);
    flood(net, Array.from({ length: 3000 }, (_, i) => lan.tcp({ src: FLOODER, dst: R1, sport: 6000 + (i % 2), dport: 1 + i, flags: 'S' })));
    const c = net.counters();
    expect(c.sessions_evicted).toBeGreaterThan(1000); // its own: nobody else had a half-open session
    expect(c.drop_host_share + c.drop_session_table_full).toBe(0);
    expect(sessionsOf(net, FLOODER)).toBeLessThanOrEqual(1024 - 15 * 8);
    expect(sessionsOf(net, quiet)).toBe(1);
    expect(WAN(net.fromLan(lan.tcp({ src: quiet, dst: R1, sport: 5000, dport: 443, flags: 'A' })).step())).toHaveLength(1);
    expect(WAN(net.fromLan(lan.udp({ src: quiet, dst: R1, sport: 5001, dport: 53 })).step())).toHaveLength(1);
  }, 60_000);

  it("holds a quarter of the early fragments per source, so another host's datagram still reassembles", async () => {
    const net = await Net.create({ limits: { fragmentHold: 8 } });
    net.fromLan(lan.udp({ src: FLOODER, dst: R1, sport: 999, dport: 53 })).step(); // resolve the gateway
    const datagram = (src: string, id: number) => fragment(lan.udp({ src, dst: R1, sport: 4000, dport: 53, id, payload: new Uint8Array(64) }), 44);
    // The flooder's later fragments without their first: only two of eight slots are its.
    for (let id = 1; id <= 8; id++) net.fromLan(datagram(FLOODER, id)[1]);
    net.step();
    const [first, ...later] = datagram(QUIET[0], 77);
    for (const f of later) net.fromLan(f);
    expect(WAN(net.step())).toHaveLength(0);
    expect(WAN(net.fromLan(first).step())).toHaveLength(later.length + 1);
    expect(net.counters().drop_fragment_host_share).toBe(6);
  });

  it("keeps another host's fragment translation while one host floods first fragments into the same set", async () => {
    const net = await Net.create({ limits: { fragments: 4 } }); // one set of four ways
    net.fromLan(lan.udp({ src: FLOODER, dst: R1, sport: 999, dport: 53 })).step();
    const datagram = (src: string, id: number) => fragment(lan.udp({ src, dst: R1, sport: 4000, dport: 53, id, payload: new Uint8Array(64) }), 44);
    const [first, ...later] = datagram(QUIET[0], 77);
    expect(WAN(net.fromLan(first).step())).toHaveLength(1);
    for (let id = 1; id <= 10; id++) net.fromLan(datagram(FLOODER, id)[0]);
    expect(WAN(net.step())).toHaveLength(10);
    for (const f of later) net.fromLan(f);
    expect(WAN(net.step())).toHaveLength(later.length); // translated as its first fragment was, not held
  });
});
