// NAPT behaviour (RFC 4787 UDP, RFC 5382 TCP, RFC 5508 ICMP), real frames through the real module.
import { describe, expect, it } from 'vitest';
import { Net, LAN, WAN, WAN_IP, GATEWAY_IP } from './helpers/net.ts';
import { lan, wan } from './helpers/traffic.ts';
import { icmpError, parseFrame } from '../host/packets.ts';
import { DUMP_SESSIONS } from '../host/abi.ts';

const H1 = '192.168.1.10';
const H2 = '192.168.1.11';
const R1 = '203.0.113.5';
const R2 = '203.0.113.6';

describe('UDP mapping (RFC 4787)', () => {
  it('translates the source to the WAN address, keeps a free port, and brings the reply back', async () => {
    const net = await Net.create();
    const out = WAN(net.fromLan(lan.udp({ src: H1, dst: R1, sport: 5000, dport: 40001, payload: Buffer.from('query') })).step());
    expect(out).toHaveLength(1);
    expect(out[0].p.ip!.src).toBe(WAN_IP);
    expect(out[0].p.udp!.sport).toBe(5000);
    expect(out[0].p.udp!.checksumOk).toBe(true);
    expect(out[0].p.ip!.ttl).toBe(63);
    const back = LAN(net.fromWan(wan.udp({ src: R1, dst: WAN_IP, sport: 40001, dport: 5000, payload: Buffer.from('answer') })).step());
    expect(back).toHaveLength(1);
    expect(back[0].p.ip!.dst).toBe(H1);
    expect(back[0].p.udp!.dport).toBe(5000);
    expect(back[0].p.udp!.checksumOk).toBe(true);
    net.checkCaptures();
  });

  it('maps one internal endpoint to the same external port for every remote (endpoint-independent)', async () => {
    const net = await Net.create();
    const a = WAN(net.fromLan(lan.udp({ src: H1, dst: R1, sport: 40000, dport: 3478 })).step())[0];
    const b = WAN(net.fromLan(lan.udp({ src: H1, dst: R2, sport: 40000, dport: 9999 })).step())[0];
    expect(a.p.udp!.sport).toBe(b.p.udp!.sport);
  });

  it('gives a second host with the same source port another port of the same parity', async () => {
    const net = await Net.create();
    const a = WAN(net.fromLan(lan.udp({ src: H1, dst: R1, sport: 40000, dport: 53 })).step())[0];
    const b = WAN(net.fromLan(lan.udp({ src: H2, dst: R1, sport: 40000, dport: 53 })).step())[0];
    expect(a.p.udp!.sport).toBe(40000);
    expect(b.p.udp!.sport).not.toBe(40000);
    expect(b.p.udp!.sport % 2).toBe(0);
    const back = LAN(net.fromWan(wan.udp({ src: R1, dst: WAN_IP, sport: 53, dport: b.p.udp!.sport })).step());
    expect(back[0].p.ip!.dst).toBe(H2);
    expect(back[0].p.udp!.dport).toBe(40000);
  });

  it('keeps a free port outside a narrow dynamic range, for one host at a time, and frees it on expiry', async () => {
    // Only the range has port bitmaps; outside it the mappings table says whether a port is taken.
    const net = await Net.create({ nat: { portRange: [50000, 50255] }, timeouts: { udp: 120 } });
    const sport = (src: string, dst: string) => WAN(net.fromLan(lan.udp({ src, dst, sport: 40000, dport: 53 })).step())[0].p.udp!.sport;
    expect(sport(H1, R1)).toBe(40000);
    const other = sport(H2, R1);
    expect(other).toBeGreaterThanOrEqual(50000);
    expect(other).toBeLessThanOrEqual(50255);
    expect(other % 2).toBe(0);
    expect(LAN(net.fromWan(wan.udp({ src: R1, dst: WAN_IP, sport: 53, dport: 40000 })).step())[0].p.ip!.dst).toBe(H1);
    expect(LAN(net.fromWan(wan.udp({ src: R1, dst: WAN_IP, sport: 53, dport: other })).step())[0].p.ip!.dst).toBe(H2);
    net.idle(121_000);
    net.idle(10_000); // the background sweep frees the expired mappings
    expect(sport('192.168.1.12', R2)).toBe(40000);
  });

  for (const [filtering, sameAddrOtherPort, otherAddr] of [
    ['endpoint-independent', true, true],
    ['address-dependent', true, false],
    ['address-and-port-dependent', false, false],
  ] as const) {
    it(`filters inbound as ${filtering}`, async () => {
      const net = await Net.create({ nat: { filtering } });
      net.fromLan(lan.udp({ src: H1, dst: R1, sport: 6000, dport: 7000 })).step();
      const fromOtherPort = LAN(net.fromWan(wan.udp({ src: R1, dst: WAN_IP, sport: 7001, dport: 6000 })).step());
      const fromOtherHost = LAN(net.fromWan(wan.udp({ src: R2, dst: WAN_IP, sport: 7000, dport: 6000 })).step());
      expect(fromOtherPort.length === 1).toBe(sameAddrOtherPort);
      expect(fromOtherHost.length === 1).toBe(otherAddr);
      expect(net.counters().drop_filtered).toBe((sameAddrOtherPort ? 0 : 1) + (otherAddr ? 0 : 1));
    });
  }

  it('drops inbound traffic that no mapping or rule allows, and counts it', async () => {
    const net = await Net.create();
    expect(net.fromWan(wan.udp({ src: R1, dst: WAN_IP, sport: 53, dport: 5555 })).step()).toHaveLength(0);
    expect(net.counters().drop_unsolicited).toBe(1);
  });

  it('hairpins: a LAN host reaches another through the WAN address and sees its external source', async () => {
    const net = await Net.create({ nat: { filtering: 'endpoint-independent' } });
    net.fromLan(lan.udp({ src: H2, dst: R1, sport: 7777, dport: 3478 })).step();
    const out = net.fromLan(lan.udp({ src: H1, dst: WAN_IP, sport: 5555, dport: 7777 })).step();
    expect(out).toHaveLength(1);
    expect(out[0].port).toBe(0);
    expect(out[0].p.ip!.dst).toBe(H2);
    expect(out[0].p.ip!.src).toBe(WAN_IP);
    expect(out[0].p.udp!.sport).toBe(5555);
    expect(out[0].p.udp!.checksumOk).toBe(true);
    expect(net.counters().nat_hairpin).toBe(1);
  });

  it('keeps an idle UDP mapping for 300 s and not longer (RFC 4787 REQ-5)', async () => {
    const net = await Net.create();
    net.fromLan(lan.udp({ src: H1, dst: R1, sport: 5000, dport: 53 })).step();
    net.idle(299_000);
    expect(LAN(net.fromWan(wan.udp({ src: R1, dst: WAN_IP, sport: 53, dport: 5000 })).step())).toHaveLength(1);
    net.idle(301_000);
    expect(LAN(net.fromWan(wan.udp({ src: R1, dst: WAN_IP, sport: 53, dport: 5000 })).step())).toHaveLength(0);
    expect(net.counters().mappings_expired).toBe(1);
  });

  it('removes every idle session between its timeout and 260 ms after it, however its uses fell', async () => {
    // A used session moves to its timer list's tail at most once per 250 ms (nat/sessions.ts), and
    // the sweeps run once per 10 ms. Flow 0 is the list's head and busy throughout: a sweep that
    // trusted list order alone would end its flows early, one that waited for the head too long late.
    const net = await Net.create({ timeouts: { udp: 120 } });
    const FLOWS = 12, lastUse = new Map<number, number>();
    let seed = 11;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) / 65536;
    const use = (k: number) => net.fromLan(lan.udp({ src: H1, dst: R1, sport: 5000 + k, dport: 53 }));
    for (let t = 0; t < 4000; t += 10) {
      const used: number[] = [];
      for (let k = 0; k < FLOWS; k++) {
        const started = lastUse.has(k);
        if ((!started && t >= k * 80) || (started && (k === 0 ? t % 100 === 0 : rand() < 0.04))) { use(k); used.push(k); }
      }
      expect(WAN(net.step(10))).toHaveLength(used.length);
      for (const k of used) lastUse.set(k, net.now);
    }
    const live = () => new Set(net.router.dumpTable(DUMP_SESSIONS).map((row) => row[2] - 5000));
    expect(live().size).toBe(FLOWS);
    net.idle(Math.min(...lastUse.values()) + 119_000 - net.now);
    let removed = 0;
    while (live().size > 0) {
      net.router.process((net.now += 5));
      const now = net.now, alive = live();
      for (const [k, t] of lastUse) {
        if (now - t < 120_000) expect(alive.has(k), `flow ${k} at ${now - t - 120_000} ms`).toBe(true);
        if (now - t >= 120_260) expect(alive.has(k), `flow ${k} at +${now - t - 120_000} ms`).toBe(false);
      }
      removed = FLOWS - alive.size;
      expect(net.now).toBeLessThan(Math.max(...lastUse.values()) + 121_000);
    }
    expect(removed).toBe(FLOWS);
    expect(net.counters().sessions_expired).toBe(FLOWS);
  });

  it('refuses a UDP timeout under 120 s, naming the field', async () => {
    await expect(Net.create({ timeouts: { udp: 60 } })).rejects.toThrow(/timeouts\.udp/);
  });
});

describe('TCP (RFC 5382)', () => {
  async function handshake(net: Net) {
    const syn = WAN(net.fromLan(lan.tcp({ src: H1, dst: R1, sport: 33000, dport: 80, flags: 'S', seq: 1 })).step())[0];
    net.fromWan(wan.tcp({ src: R1, dst: WAN_IP, sport: 80, dport: syn.p.tcp!.sport, flags: 'SA', seq: 100, ack: 2 })).step();
    net.fromLan(lan.tcp({ src: H1, dst: R1, sport: 33000, dport: 80, flags: 'A', seq: 2, ack: 101 })).step();
    return syn.p.tcp!.sport;
  }

  it('opens on SYN, translates both ways with valid checksums', async () => {
    const net = await Net.create();
    const port = await handshake(net);
    const data = LAN(net.fromWan(wan.tcp({ src: R1, dst: WAN_IP, sport: 80, dport: port, flags: 'PA', seq: 101, ack: 2, payload: Buffer.from('HTTP/1.0 200 OK\r\n') })).step());
    expect(data).toHaveLength(1);
    expect(data[0].p.tcp!.checksumOk).toBe(true);
    expect(data[0].p.tcp!.dport).toBe(33000);
    net.checkCaptures();
  });

  it('drops an unsolicited inbound SYN and a stray outbound ACK', async () => {
    const net = await Net.create();
    expect(net.fromWan(wan.tcp({ src: R1, dst: WAN_IP, sport: 80, dport: 33000, flags: 'S', seq: 1 })).step()).toHaveLength(0);
    expect(net.fromLan(lan.tcp({ src: H1, dst: R1, sport: 33001, dport: 80, flags: 'A', seq: 1, ack: 1 })).step()).toHaveLength(0);
    const c = net.counters();
    expect(c.drop_unsolicited).toBe(1);
    expect(c.drop_tcp_not_syn).toBe(1);
  });

  it('keeps an established connection idle for 7440 s (2 h 4 min)', async () => {
    const net = await Net.create();
    const port = await handshake(net);
    net.idle(7_439_000);
    expect(LAN(net.fromWan(wan.tcp({ src: R1, dst: WAN_IP, sport: 80, dport: port, flags: 'A', seq: 101, ack: 2 })).step())).toHaveLength(1);
    net.idle(7_441_000);
    expect(LAN(net.fromWan(wan.tcp({ src: R1, dst: WAN_IP, sport: 80, dport: port, flags: 'A', seq: 101, ack: 2 })).step())).toHaveLength(0);
  });

  it('lets a closed connection go after the 240 s transitory timer', async () => {
    const net = await Net.create();
    const port = await handshake(net);
    net.fromLan(lan.tcp({ src: H1, dst: R1, sport: 33000, dport: 80, flags: 'FA', seq: 2, ack: 101 })).step();
    net.fromWan(wan.tcp({ src: R1, dst: WAN_IP, sport: 80, dport: port, flags: 'FA', seq: 101, ack: 3 })).step();
    net.idle(241_000);
    expect(net.counters().sessions_expired).toBe(1);
  });
});

describe('ICMP (RFC 5508)', () => {
  it('translates echo identifiers and brings the reply back', async () => {
    const net = await Net.create();
    const req = WAN(net.fromLan(lan.ping({ src: H1, dst: R1, type: 8, id: 77, seq: 1 })).step())[0];
    expect(req.p.ip!.src).toBe(WAN_IP);
    expect(req.p.icmp!.checksumOk).toBe(true);
    const reply = LAN(net.fromWan(wan.ping({ src: R1, dst: WAN_IP, type: 0, id: req.p.icmp!.id, seq: 1 })).step());
    expect(reply).toHaveLength(1);
    expect(reply[0].p.icmp!.id).toBe(77);
    expect(reply[0].p.icmp!.checksumOk).toBe(true);
  });

  it('translates an ICMP error about a UDP flow, embedded header and all checksums included', async () => {
    const net = await Net.create();
    const sent = WAN(net.fromLan(lan.udp({ src: H2, dst: R1, sport: 40000, dport: 9, payload: Buffer.from('x') })).step())[0];
    net.fromLan(lan.udp({ src: H1, dst: R1, sport: 40000, dport: 9 })).step(); // takes another port
    const original = sent.data.subarray(14);
    const err = icmpError({ srcMac: '02:00:00:00:02:fe', dstMac: '02:00:00:00:02:01', src: GATEWAY_IP, dst: WAN_IP, type: 3, code: 3, original, quoteBytes: original.length });
    const inside = LAN(net.fromWan(err).step());
    expect(inside).toHaveLength(1);
    const p = inside[0].p;
    expect(p.ip!.dst).toBe(H2);
    expect(p.icmp!.checksumOk).toBe(true);
    const quoted = parseFrame(new Uint8Array([...inside[0].data.subarray(0, 14), ...inside[0].data.subarray(14 + 20 + 8)]));
    expect(quoted.ip!.src).toBe(H2);
    expect(quoted.ip!.headerChecksumOk).toBe(true);
    expect(quoted.udp!.sport).toBe(40000);
    expect(net.counters().icmp_errors_out2in).toBe(1);
    net.checkCaptures();
  });

  it('drops an ICMP error that quotes no flow of ours', async () => {
    const net = await Net.create();
    const stray = lan.udp({ src: H1, dst: R1, sport: 1234, dport: 9 }).subarray(14);
    const bytes = new Uint8Array(stray);
    bytes.set([198, 51, 100, 2], 12);
    const err = icmpError({ srcMac: '02:00:00:00:02:fe', dstMac: '02:00:00:00:02:01', src: GATEWAY_IP, dst: WAN_IP, type: 3, code: 3, original: bytes });
    expect(net.fromWan(err).step()).toHaveLength(0);
    expect(net.counters().drop_icmp_error_no_session).toBe(1);
  });
});
