// The IPsec passthrough ALG: the technote's 4.8 and 4.10 behaviour, its one limit removed, NAT-T,
// IKEv2, the security drops and the advisor. Real frames through the real module, both directions.
import { describe, expect, it } from 'vitest';
import { Net, LAN, WAN, WAN_IP } from './helpers/net.ts';
import { lan, wan } from './helpers/traffic.ts';
import { DUMP_IKE, DUMP_FINDINGS, DUMP_SAS } from '../host/abi.ts';
import { IKEV1_MAIN, IKEV1_AGGR, IKEV2_INIT, IKEV2_AUTH, IKEV2_CHILD, NAT_D_NOTIFY, natD, exchange, negotiate, espIn, espOut, dsts } from './helpers/ike.ts';

const H1 = '192.168.1.10';
const H2 = '192.168.1.11';
const G1 = '203.0.113.1';
const G2 = '203.0.113.2';

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

  it('removes the technote limit: two hosts negotiate with one gateway at the same moment', async () => {
    const net = await Net.create();
    // Both IKE_SA_INITs go at once: they create no child SA, so nothing needs to wait for them.
    net.fromLan(lan.ike({ src: H1, dst: G1, sport: 500, dport: 500, icookie: 0xaan, rcookie: 0n, version: 2, exchange: IKEV2_INIT }));
    net.fromLan(lan.ike({ src: H2, dst: G1, sport: 500, dport: 500, icookie: 0xbbn, rcookie: 0n, version: 2, exchange: IKEV2_INIT }));
    expect(WAN(net.step())).toHaveLength(2);
    net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0xaan, rcookie: 0x1n, version: 2, exchange: IKEV2_INIT, flags: 0x20 }));
    net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0xbbn, rcookie: 0x2n, version: 2, exchange: IKEV2_INIT, flags: 0x20 }));
    expect(LAN(net.step())).toHaveLength(2);
    // Both IKE_AUTHs (each creates a child SA) in one batch: H2's waits while H1's is open.
    net.fromLan(lan.ike({ src: H1, dst: G1, sport: 500, dport: 500, icookie: 0xaan, rcookie: 0x1n, version: 2, exchange: IKEV2_AUTH, messageId: 1 }));
    net.fromLan(lan.ike({ src: H2, dst: G1, sport: 500, dport: 500, icookie: 0xbbn, rcookie: 0x2n, version: 2, exchange: IKEV2_AUTH, messageId: 1 }));
    const sent = WAN(net.step());
    expect(sent.map((f) => f.p.ike!.icookie)).toEqual([0xaan]);
    expect(net.counters().ike_held).toBe(1);
    // H1's child SA is answered; the gateway's first ESP binds to H1 and releases H2's request in the same batch.
    net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0xaan, rcookie: 0x1n, version: 2, exchange: IKEV2_AUTH, flags: 0x20, messageId: 1 })).step();
    const afterBind = net.fromWan(wan.esp({ src: G1, dst: WAN_IP, spi: 0x111, seq: 1 })).step();
    expect(dsts(LAN(afterBind))).toEqual([H1]);
    expect(WAN(afterBind)[0].p.ike!.icookie).toBe(0xbbn);
    expect(net.counters().ike_hold_released).toBe(1);
    espOut(net, H1, G1, 0xa11); // H1 answers on its new outbound SA
    // Now H2's child SA is answered, and the gateway's next new SPI is H2's.
    net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0xbbn, rcookie: 0x2n, version: 2, exchange: IKEV2_AUTH, flags: 0x20, messageId: 1 })).step();
    expect(dsts(espIn(net, G1, 0x222))).toEqual([H2]);
    for (let i = 0; i < 5; i++) {
      expect(dsts(espIn(net, G1, 0x111))).toEqual([H1]);
      expect(dsts(espIn(net, G1, 0x222))).toEqual([H2]);
    }
    const c = net.counters();
    expect(c.drop_esp_ambiguous).toBe(0);
    expect(c.esp_copies).toBe(0);
  });

  it('does not hold a second host behind a negotiation that moved to NAT-T', async () => {
    const net = await Net.create();
    negotiate(net, H2, G1, 2, 0xb1n);
    // H1 saw NAT (the gateway's NAT-D hashes name our PAT address) and sends IKE_AUTH on UDP 4500.
    net.fromLan(lan.ike({ src: H1, dst: G1, sport: 500, dport: 500, icookie: 0xa1n, rcookie: 0n, version: 2, exchange: IKEV2_INIT, payloads: [NAT_D_NOTIFY] })).step();
    const payloads = [natD('source', 0xa1n, 0xa2n, G1, 500), natD('destination', 0xa1n, 0xa2n, WAN_IP, 500)];
    net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0xa1n, rcookie: 0xa2n, version: 2, exchange: IKEV2_INIT, flags: 0x20, payloads })).step();
    exchange(net, H1, G1, 2, IKEV2_AUTH, 0xa1n, 0xa2n, { natT: true, messageId: 1 });
    // H2 rekeys at once: H1's tunnel travels in UDP, so no raw SPI of it competes with H2's.
    const rekey = exchange(net, H2, G1, 2, IKEV2_CHILD, 0xb1n, 0xb1n + 0x1000n, { messageId: 2 });
    expect(rekey.out).toHaveLength(1);
    expect(net.counters().ike_held ?? 0).toBe(0);
    expect(dsts(espIn(net, G1, 0xb2))).toEqual([H2]);
  });

  it('binds an idle tunnel\'s first SPI to the one host owed one, and shares it among several, never guessing', async () => {
    const net = await Net.create();
    // One host, its tunnel idle; the gateway speaks first, 11 s later.
    negotiate(net, H1, G1, 2, 0x31n);
    net.idle(11_000);
    expect(net.router.dumpTable(DUMP_IKE)[0][9]).toBe(4); // awaiting its inbound SPI
    expect(dsts(espIn(net, G1, 0x3100))).toEqual([H1]);
    expect(net.router.dumpTable(DUMP_IKE)[0][9]).toBe(3); // bound
    // Two hosts with idle tunnels to one gateway: its new SPI may be either's, so each gets a copy
    // (ESP is authenticated: the other host drops it), and both tunnels work from the first packet.
    negotiate(net, H1, G2, 2, 0x41n);
    net.idle(11_000);
    negotiate(net, H2, G2, 2, 0x42n);
    net.idle(11_000);
    expect(dsts(espIn(net, G2, 0x4100))).toEqual([H1, H2]);
    expect(dsts(espIn(net, G2, 0x4200))).toEqual([H1, H2]);
    expect(dsts(espIn(net, G2, 0x4100))).toEqual([H1, H2]);
    const c = net.counters();
    expect(c.drop_esp_ambiguous).toBe(0);
    expect(c.esp_copies).toBe(3);
    // A host owed nothing by G1 (it answered on its new outbound SA: no SPI of it is in doubt) gets none.
    espOut(net, H1, G1, 0x31aa);
    expect(dsts(espIn(net, G1, 0x3101))).toEqual([]);
    expect(net.counters().drop_esp_unknown_spi).toBe(1);
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
    exchange(net, H1, G1, 2, IKEV2_AUTH, 0x81n, 0x82n, { natT: true, messageId: 1 });
    net.idle(11_000);
    expect(dsts(espIn(net, G1, 0x8100))).toEqual([H1]);
  });

  it('learns a rekey: a new inbound SPI on an existing IKE session binds to its host', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0x77n);
    espIn(net, G1, 0x500);
    espOut(net, H1, G1, 0xa5); // each host answers on its new outbound SA
    negotiate(net, H2, G1, 2, 0x88n);
    espIn(net, G1, 0x600);
    espOut(net, H2, G1, 0xa6);
    exchange(net, H1, G1, 2, IKEV2_CHILD, 0x77n, 0x77n + 0x1000n);
    expect(espIn(net, G1, 0x501)[0].p.ip!.dst).toBe(H1);
    expect(espIn(net, G1, 0x600)[0].p.ip!.dst).toBe(H2);
    expect(espIn(net, G1, 0x500)[0].p.ip!.dst).toBe(H1);
  });

  it('carries NAT-T (UDP 4500) as plain NAPT and notes the float on the IKE session', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0x99n);
    const ikeT = exchange(net, H1, G1, 2, IKEV2_INIT + 3, 0x99n, 0x99n + 0x1000n, { natT: true, messageId: 2 }).out; // INFORMATIONAL
    expect(ikeT[0].p.udp!.sport).toBe(4500);
    const espInUdp = LAN(net.fromWan(wan.udp({ src: G1, dst: WAN_IP, sport: 4500, dport: 4500, payload: Buffer.from([0, 0, 1, 2, 0, 0, 0, 1, 9, 9]) })).step());
    expect(espInUdp[0].p.ip!.dst).toBe(H1);
    const ikeRow = net.router.dumpTable(DUMP_IKE)[0];
    expect(ikeRow[11] & 4).toBe(4);
    // IKEv2 with MOBIKE floats to 4500 even when no NAT is detected, and then sends raw ESP: it binds.
    expect(dsts(espIn(net, G1, 0x4242))).toEqual([H1]);
  });

  it('hairpins IKE to a VPN server behind a Server List entry: the server gets the request, the client the answer', async () => {
    // A laptop in the office reaching the office's VPN server by the public address.
    const net = await Net.create({ nat: { serverList: [{ name: 'vpn', protocol: 'udp', externalPort: 500, internalHost: H2 }] } });
    const request = LAN(net.fromLan(lan.ike({ src: H1, dst: WAN_IP, sport: 500, dport: 500, icookie: 5n, rcookie: 0n, version: 2, exchange: IKEV2_INIT, flags: 0x08 })).step());
    expect(request).toHaveLength(1);
    expect(request[0].p.ip!.dst).toBe(H2); // not back to the client
    expect(request[0].p.ip!.src).toBe(WAN_IP);
    expect(request[0].p.udp!.dport).toBe(500);
    expect(request[0].p.udp!.checksumOk).toBe(true);
    const clientPort = request[0].p.udp!.sport;
    const answer = LAN(net.fromLan(lan.ike({ src: H2, dst: WAN_IP, sport: 500, dport: clientPort, icookie: 5n, rcookie: 6n, version: 2, exchange: IKEV2_INIT, flags: 0x20 })).step());
    expect(answer).toHaveLength(1);
    expect(answer[0].p.ip!.dst).toBe(H1);
    expect(answer[0].p.ip!.src).toBe(WAN_IP);
    expect([answer[0].p.udp!.sport, answer[0].p.udp!.dport]).toEqual([500, 500]);
    expect(answer[0].p.udp!.checksumOk).toBe(true);
    expect(net.counters().nat_hairpin).toBe(2);
  });

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
