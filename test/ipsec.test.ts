// The IPsec passthrough ALG: the technote's 4.8 and 4.10 behaviour, its one limit removed, NAT-T,
// IKEv2, the security drops and the advisor. Real frames through the real module, both directions.
import { describe, expect, it } from 'vitest';
import { Net, LAN, WAN, WAN_IP } from './helpers/net.ts';
import { lan, wan } from './helpers/traffic.ts';
import { createHash } from 'node:crypto';
import { DUMP_IKE, DUMP_FINDINGS, DUMP_SAS } from '../host/abi.ts';

const H1 = '192.168.1.10';
const H2 = '192.168.1.11';
const G1 = '203.0.113.1';
const G2 = '203.0.113.2';
const IKEV1_MAIN = 2, IKEV1_AGGR = 4, IKEV1_QUICK = 32, IKEV2_INIT = 34, IKEV2_AUTH = 35, IKEV2_CHILD = 36;
const NAT_D_NOTIFY = { type: 41, body: Buffer.concat([Buffer.from([0, 0, 0x40, 0x04]), Buffer.alloc(20, 9)]) };

/** An IKEv2 NAT_DETECTION_{SOURCE,DESTINATION}_IP notify: SHA-1(SPIi | SPIr | address | port), RFC 7296 2.23. */
function natD(type: 'source' | 'destination', spiI: bigint, spiR: bigint, addr: string, port: number) {
  const input = Buffer.alloc(22);
  input.writeBigUInt64BE(spiI, 0);
  input.writeBigUInt64BE(spiR, 8);
  addr.split('.').forEach((o, i) => (input[16 + i] = Number(o)));
  input.writeUInt16BE(port, 20);
  const code = type === 'source' ? 16388 : 16389;
  return { type: 41, body: Buffer.concat([Buffer.from([0, 0, code >> 8, code & 255]), createHash('sha1').update(input).digest()]) };
}

/** One IKE exchange: the host's request and the gateway's answer, through the router. */
function exchange(net: Net, host: string, gw: string, version: 1 | 2, ex: number, icookie: bigint, rcookie: bigint, opts: { payloads?: { type: number; body: Uint8Array }[]; flags?: number } = {}) {
  const out = WAN(net.fromLan(lan.ike({ src: host, dst: gw, sport: 500, dport: 500, icookie, rcookie: ex === IKEV1_MAIN || ex === IKEV2_INIT ? 0n : rcookie, version, exchange: ex, ...opts })).step());
  const back = LAN(net.fromWan(wan.ike({ src: gw, dst: WAN_IP, sport: 500, dport: 500, icookie, rcookie, version, exchange: ex, flags: version === 2 ? 0x20 : opts.flags })).step());
  return { out, back };
}

/** A full negotiation: phase 1 / IKE_SA_INIT, then the exchange that creates the child SA. */
function negotiate(net: Net, host: string, gw: string, version: 1 | 2, icookie: bigint, payloads = version === 2 ? [NAT_D_NOTIFY] : []) {
  const rcookie = icookie + 0x1000n;
  const first = exchange(net, host, gw, version, version === 1 ? IKEV1_MAIN : IKEV2_INIT, icookie, rcookie, { payloads });
  const second = exchange(net, host, gw, version, version === 1 ? IKEV1_QUICK : IKEV2_AUTH, icookie, rcookie, { flags: 1 });
  return [first, second];
}

function espIn(net: Net, gw: string, spi: number) {
  return LAN(net.fromWan(wan.esp({ src: gw, dst: WAN_IP, spi, seq: 1 })).step());
}

function espOut(net: Net, host: string, gw: string, spi: number) {
  return WAN(net.fromLan(lan.esp({ src: host, dst: gw, spi, seq: 1 })).step());
}

describe('server-list mode (firmware 4.8)', () => {
  it('sends ESP and AH from the WAN to the host with the UDP 500 entry', async () => {
    const net = await Net.create({ ipsec: { mode: 'server-list' }, nat: { serverList: [{ name: 'vpn', protocol: 'udp', externalPort: 500, internalHost: H1 }] } });
    const ikeIn = LAN(net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 5n, rcookie: 0n, version: 1, exchange: IKEV1_MAIN })).step());
    expect(ikeIn[0].p.ip!.dst).toBe(H1);
    const out = espOut(net, H1, G1, 0x100);
    expect(out[0].p.ip!.src).toBe(WAN_IP);
    expect(espIn(net, G1, 0x200)[0].p.ip!.dst).toBe(H1);
    expect(LAN(net.fromWan(wan.ah({ src: G1, dst: WAN_IP, spi: 0x300, seq: 1, nextHeader: 4 })).step())[0].p.ip!.dst).toBe(H1);
    net.checkCaptures();
  });

  it('drops inbound ESP when no host owns UDP 500', async () => {
    const net = await Net.create({ ipsec: { mode: 'server-list' } });
    expect(espIn(net, G1, 0x200)).toHaveLength(0);
    expect(net.counters().drop_esp_unknown_spi).toBe(1);
  });
});

describe('multi mode (firmware 4.10)', () => {
  it('keeps two hosts x two gateways apart, IKEv1 and IKEv2 interleaved, all on external port 500', async () => {
    const net = await Net.create();
    const pairs = [
      { host: H1, gw: G1, v: 1 as const, c: 0x1111n, outSpi: 0xa1, inSpi: 0xb1 },
      { host: H2, gw: G2, v: 2 as const, c: 0x2222n, outSpi: 0xa2, inSpi: 0xb2 },
      { host: H1, gw: G2, v: 2 as const, c: 0x3333n, outSpi: 0xa3, inSpi: 0xb3 },
      { host: H2, gw: G1, v: 1 as const, c: 0x4444n, outSpi: 0xa4, inSpi: 0xb4 },
    ];
    for (const p of pairs) {
      const [first] = negotiate(net, p.host, p.gw, p.v, p.c);
      expect(first.out[0].p.udp!.sport).toBe(500);
      expect(first.back[0].p.ip!.dst).toBe(p.host);
      expect(espIn(net, p.gw, p.inSpi)[0].p.ip!.dst).toBe(p.host);
      expect(espOut(net, p.host, p.gw, p.outSpi)[0].p.ip!.src).toBe(WAN_IP);
    }
    for (const p of [...pairs].reverse()) expect(espIn(net, p.gw, p.inSpi)[0].p.ip!.dst).toBe(p.host);
    expect(net.router.dumpTable(DUMP_IKE)).toHaveLength(4);
    expect(net.counters().spi_bound).toBe(4);
    net.checkCaptures();
  });

  it('removes the technote limit: two hosts start IKE to one gateway within a millisecond', async () => {
    const net = await Net.create();
    // Both send IKE_SA_INIT at once: H2's is held while H1's negotiation is pending.
    net.fromLan(lan.ike({ src: H1, dst: G1, sport: 500, dport: 500, icookie: 0xaan, rcookie: 0n, version: 2, exchange: IKEV2_INIT }));
    net.fromLan(lan.ike({ src: H2, dst: G1, sport: 500, dport: 500, icookie: 0xbbn, rcookie: 0n, version: 2, exchange: IKEV2_INIT }));
    const sent = WAN(net.step());
    expect(sent).toHaveLength(1);
    expect(net.counters().ike_held).toBe(1);
    // H1 finishes; the gateway's first ESP binds to H1 and releases H2's request in the same batch.
    net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0xaan, rcookie: 0x1n, version: 2, exchange: IKEV2_INIT, flags: 0x20 })).step();
    exchange(net, H1, G1, 2, IKEV2_AUTH, 0xaan, 0x1n);
    const afterBind = net.fromWan(wan.esp({ src: G1, dst: WAN_IP, spi: 0x111, seq: 1 })).step();
    expect(LAN(afterBind)[0].p.ip!.dst).toBe(H1);
    expect(WAN(afterBind)[0].p.ike!.icookie).toBe(0xbbn);
    expect(net.counters().ike_hold_released).toBe(1);
    // Now H2 negotiates, and the gateway's next new SPI is H2's.
    net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0xbbn, rcookie: 0x2n, version: 2, exchange: IKEV2_INIT, flags: 0x20 })).step();
    exchange(net, H2, G1, 2, IKEV2_AUTH, 0xbbn, 0x2n);
    expect(espIn(net, G1, 0x222)[0].p.ip!.dst).toBe(H2);
    for (let i = 0; i < 5; i++) {
      expect(espIn(net, G1, 0x111)[0].p.ip!.dst).toBe(H1);
      expect(espIn(net, G1, 0x222)[0].p.ip!.dst).toBe(H2);
    }
    expect(net.counters().drop_esp_ambiguous).toBe(0);
  });

  it('releases a held IKE exchange as soon as the first host floats to NAT-T', async () => {
    const net = await Net.create();
    net.fromLan(lan.ike({ src: H1, dst: G1, sport: 500, dport: 500, icookie: 0xa1n, rcookie: 0n, version: 2, exchange: IKEV2_INIT }));
    net.fromLan(lan.ike({ src: H2, dst: G1, sport: 500, dport: 500, icookie: 0xb1n, rcookie: 0n, version: 2, exchange: IKEV2_INIT }));
    expect(WAN(net.step())).toHaveLength(1);
    net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0xa1n, rcookie: 0x1n, version: 2, exchange: IKEV2_INIT, flags: 0x20, payloads: [NAT_D_NOTIFY] })).step();
    // H1 saw NAT and sends IKE_AUTH on UDP 4500 (non-ESP marker): no raw ESP will follow.
    const ikeAuthT = Buffer.concat([Buffer.alloc(4), Buffer.alloc(28, 1)]);
    const out = WAN(net.fromLan(lan.udp({ src: H1, dst: G1, sport: 4500, dport: 4500, payload: ikeAuthT })).step());
    expect(out.map((f) => f.p.udp!.dport).sort((a, b) => a - b)).toEqual([500, 4500]);
    expect(out.find((f) => f.p.udp!.dport === 500)!.p.ike!.icookie).toBe(0xb1n);
    expect(net.counters().ike_hold_released).toBe(1);
    expect(net.counters().ike_hold_timed_out ?? 0).toBe(0);
  });

  it('binds a tunnel that stayed idle past its pending window, to the one host it can be, and never guesses', async () => {
    const net = await Net.create();
    // One host, its tunnel idle past the pending window (ikeHoldMs, 10 s); the gateway speaks first.
    negotiate(net, H1, G1, 2, 0x31n);
    net.idle(11_000);
    expect(net.router.dumpTable(DUMP_IKE)[0][9]).toBe(4); // lapsed, unbound
    expect(espIn(net, G1, 0x3100)[0].p.ip!.dst).toBe(H1);
    // Two hosts with lapsed negotiations to one gateway: its first ESP is dropped, not guessed...
    negotiate(net, H1, G2, 2, 0x41n);
    net.idle(11_000);
    negotiate(net, H2, G2, 2, 0x42n);
    net.idle(11_000);
    expect(espIn(net, G2, 0x4100)).toHaveLength(0);
    expect(net.counters().drop_esp_ambiguous).toBe(1);
    // ...until one of them speaks: it is the one host owed an inbound SPI.
    espOut(net, H2, G2, 0x4200);
    expect(espIn(net, G2, 0x4100)[0].p.ip!.dst).toBe(H2);
    // H1 is now the only lapsed negotiation left unbound with G2.
    expect(espIn(net, G2, 0x4101)[0].p.ip!.dst).toBe(H1);
    expect(espIn(net, G2, 0x4102)).toHaveLength(0); // nobody is owed anything more
  });

  it('reads the IKEv2 NAT-D hashes to know whether a tunnel\'s ESP will travel in UDP', async () => {
    const net = await Net.create();
    const initAndAnswer = (host: string, icookie: bigint, sawHost: string, remoteSays: string) => {
      net.fromLan(lan.ike({ src: host, dst: G1, sport: 500, dport: 500, icookie, rcookie: 0n, version: 2, exchange: IKEV2_INIT, payloads: [NAT_D_NOTIFY] })).step();
      const rcookie = icookie + 1n;
      const payloads = [natD('source', icookie, rcookie, remoteSays, 500), natD('destination', icookie, rcookie, sawHost, 500)];
      net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie, rcookie, version: 2, exchange: IKEV2_INIT, flags: 0x20, payloads })).step();
      return net.router.dumpTable(DUMP_IKE).find((r) => r[4] * 2 ** 32 + r[5] === Number(icookie))![11];
    };
    expect(initAndAnswer(H1, 0x51n, WAN_IP, G1) & 24).toBe(24); // the gateway saw our PAT address: NAT-T
    expect(initAndAnswer(H2, 0x52n, H2, G1) & 24).toBe(8); // it saw the host's own address: raw ESP
    expect(initAndAnswer(H1, 0x53n, H1, '10.9.9.9') & 24).toBe(24); // the gateway itself is behind NAT
  });

  it('does not hold a second host\'s IKE behind a negotiation whose NAT-D hashes say NAT-T', async () => {
    const net = await Net.create();
    net.fromLan(lan.ike({ src: H1, dst: G1, sport: 500, dport: 500, icookie: 0x61n, rcookie: 0n, version: 2, exchange: IKEV2_INIT, payloads: [NAT_D_NOTIFY] })).step();
    const payloads = [natD('source', 0x61n, 0x62n, G1, 500), natD('destination', 0x61n, 0x62n, WAN_IP, 500)];
    net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0x61n, rcookie: 0x62n, version: 2, exchange: IKEV2_INIT, flags: 0x20, payloads })).step();
    const sent = WAN(net.fromLan(lan.ike({ src: H2, dst: G1, sport: 500, dport: 500, icookie: 0x71n, rcookie: 0n, version: 2, exchange: IKEV2_INIT })).step());
    expect(sent).toHaveLength(1);
    expect(net.counters().ike_held ?? 0).toBe(0);
  });

  it('binds a MOBIKE tunnel (moved to 4500 with no NAT) that stayed idle, when the gateway speaks first', async () => {
    const net = await Net.create();
    net.fromLan(lan.ike({ src: H1, dst: G1, sport: 500, dport: 500, icookie: 0x81n, rcookie: 0n, version: 2, exchange: IKEV2_INIT, payloads: [NAT_D_NOTIFY] })).step();
    const payloads = [natD('source', 0x81n, 0x82n, G1, 500), natD('destination', 0x81n, 0x82n, H1, 500)];
    net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0x81n, rcookie: 0x82n, version: 2, exchange: IKEV2_INIT, flags: 0x20, payloads })).step();
    net.fromLan(lan.udp({ src: H1, dst: G1, sport: 4500, dport: 4500, payload: Buffer.concat([Buffer.alloc(4), Buffer.alloc(28, 1)]) })).step();
    net.idle(11_000);
    expect(espIn(net, G1, 0x8100)[0].p.ip!.dst).toBe(H1);
  });

  it('learns a rekey: a new inbound SPI on an existing IKE session binds to its host', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0x77n);
    espIn(net, G1, 0x500);
    negotiate(net, H2, G1, 2, 0x88n);
    espIn(net, G1, 0x600);
    exchange(net, H1, G1, 2, IKEV2_CHILD, 0x77n, 0x77n + 0x1000n);
    expect(espIn(net, G1, 0x501)[0].p.ip!.dst).toBe(H1);
    expect(espIn(net, G1, 0x600)[0].p.ip!.dst).toBe(H2);
    expect(espIn(net, G1, 0x500)[0].p.ip!.dst).toBe(H1);
  });

  it('carries NAT-T (UDP 4500) as plain NAPT and notes the float on the IKE session', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0x99n);
    const marker = Buffer.concat([Buffer.alloc(4), Buffer.alloc(28, 1)]);
    const ikeT = WAN(net.fromLan(lan.udp({ src: H1, dst: G1, sport: 4500, dport: 4500, payload: marker })).step());
    expect(ikeT[0].p.udp!.sport).toBe(4500);
    const espInUdp = LAN(net.fromWan(wan.udp({ src: G1, dst: WAN_IP, sport: 4500, dport: 4500, payload: Buffer.from([0, 0, 1, 2, 0, 0, 0, 1, 9, 9]) })).step());
    expect(espInUdp[0].p.ip!.dst).toBe(H1);
    const ikeRow = net.router.dumpTable(DUMP_IKE)[0];
    expect(ikeRow[11] & 4).toBe(4);
    // IKEv2 with MOBIKE floats to 4500 even when no NAT is detected, and then sends raw ESP: it binds.
    expect(espIn(net, G1, 0x4242)[0].p.ip!.dst).toBe(H1);
  });
});

describe('security', () => {
  it('drops inbound ESP with an unknown SPI and no pending negotiation, and spoofed IKE cookies', async () => {
    const net = await Net.create();
    expect(espIn(net, G1, 0xdead)).toHaveLength(0);
    expect(net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0x5151n, rcookie: 0x1n, version: 2, exchange: IKEV2_INIT })).step()).toHaveLength(0);
    const c = net.counters();
    expect(c.drop_esp_unknown_spi).toBe(1);
    expect(c.drop_ike_unknown_cookie).toBe(1);
  });

  it('drops ESP and AH from the WAN when the ALG is off', async () => {
    const net = await Net.create({ ipsec: { mode: 'off' } });
    expect(espIn(net, G1, 1)).toHaveLength(0);
    expect(net.counters().drop_ipsec_off).toBe(1);
  });

  it('refuses IKE sessions past the table size, and existing tunnels keep working', async () => {
    const net = await Net.create({ limits: { ikeSessions: 1 } });
    negotiate(net, H1, G1, 2, 0x1n);
    expect(espIn(net, G1, 0x10)[0].p.ip!.dst).toBe(H1);
    expect(WAN(net.fromLan(lan.ike({ src: H2, dst: G2, sport: 500, dport: 500, icookie: 0x2n, rcookie: 0n, version: 2, exchange: IKEV2_INIT })).step())).toHaveLength(0);
    expect(net.counters().drop_ike_table_full).toBe(1);
    expect(espIn(net, G1, 0x10)[0].p.ip!.dst).toBe(H1);
  });

  it('forgets idle SAs after their timeout', async () => {
    const net = await Net.create({ timeouts: { ipsecSa: 60 } });
    negotiate(net, H1, G1, 2, 0x1n);
    espIn(net, G1, 0x10);
    expect(net.router.dumpTable(DUMP_SAS)).toHaveLength(1);
    net.idle(61_000);
    expect(espIn(net, G1, 0x10)).toHaveLength(0);
    net.idle(10_000); // the background sweep visits every slot within a few hundred batches
    expect(net.router.dumpTable(DUMP_SAS)).toHaveLength(0);
    expect(net.counters().sas_expired).toBe(1);
  });
});

describe('advisor', () => {
  it('flags AH through PAT (but forwards it) and explains why', async () => {
    const net = await Net.create();
    const out = WAN(net.fromLan(lan.ah({ src: H1, dst: G1, spi: 0x42, seq: 1, nextHeader: 4 })).step());
    expect(out[0].p.ip!.src).toBe(WAN_IP);
    const f = net.router.dumpTable(DUMP_FINDINGS);
    expect(f.map((r) => r[0])).toContain(1);
  });

  it('flags peers that did not negotiate NAT-T, and not those that did', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0x1n, []);
    negotiate(net, H2, G2, 2, 0x2n, [NAT_D_NOTIFY]);
    const f = net.router.dumpTable(DUMP_FINDINGS).filter((r) => r[0] === 2);
    expect(f).toHaveLength(1);
    expect(f[0][1]).toBe(0xc0a8010a);
  });

  it('flags an IKEv1 aggressive-mode IP identity', async () => {
    const net = await Net.create();
    const id = { type: 5, body: Buffer.from([1, 17, 1, 244, 192, 168, 1, 10]) };
    WAN(net.fromLan(lan.ike({ src: H1, dst: G1, sport: 500, dport: 500, icookie: 0x3n, rcookie: 0n, version: 1, exchange: IKEV1_AGGR, payloads: [id] })).step());
    expect(net.router.dumpTable(DUMP_FINDINGS).map((r) => r[0])).toContain(3);
  });
});
