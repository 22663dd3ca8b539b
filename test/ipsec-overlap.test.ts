// The IPsec ALG against the timing of real stacks (issue 14): several hosts negotiating with one gateway
// at once, retries and restarts, several CHILD SAs per IKE SA, rekeys by either side and over UDP 4500,
// a gateway's own new IKE SA, garbage, and ICMP errors about tunnels. Real frames through the module.
import { describe, expect, it } from 'vitest';
import { Net, LAN, WAN, WAN_IP } from './helpers/net.ts';
import { lan, wan } from './helpers/traffic.ts';
import { DUMP_IKE, DUMP_SAS } from '../host/abi.ts';
import { icmpError } from '../host/packets.ts';
import { IKEV1_MAIN, IKEV1_QUICK, IKEV2_INIT, IKEV2_AUTH, IKEV2_CHILD, IKEV2_INFO, NAT_D_NOTIFY, natD, exchange, negotiate, espIn, espOut, dsts, initNoNat } from './helpers/ike.ts';

const HOSTS = ['192.168.1.10', '192.168.1.11', '192.168.1.12'];
const [H1, H2, H3] = HOSTS;
const G1 = '203.0.113.1';
const G2 = '203.0.113.2';
const GW_MAC = { srcMac: '02:00:00:00:02:fe', dstMac: '02:00:00:00:02:01' };

const nonzero = (c: Record<string, number>, ...names: string[]) => names.filter((n) => (c[n] ?? 0) !== 0);

describe('several hosts negotiate with one gateway at the same moment', () => {
  for (const variant of ['IKEv1 main mode', 'IKEv2', 'IKEv2 with MOBIKE'] as const) {
    it(`three hosts, ${variant}: every tunnel binds exactly, first pings and again after 12 s idle with the gateway first`, async () => {
      const net = await Net.create();
      const v = variant === 'IKEv1 main mode' ? 1 : 2;
      const natT = variant === 'IKEv2 with MOBIKE';
      const cookie = (i: number) => BigInt(0x100 * (i + 1));
      // Phase 1 / IKE_SA_INIT of all three in one batch, answered in one batch.
      for (const [i, h] of HOSTS.entries()) net.fromLan(lan.ike({ src: h, dst: G1, sport: 500, dport: 500, icookie: cookie(i), rcookie: 0n, version: v, exchange: v === 1 ? IKEV1_MAIN : IKEV2_INIT, payloads: [NAT_D_NOTIFY] }));
      expect(WAN(net.step())).toHaveLength(3);
      for (const [i, h] of HOSTS.entries()) {
        const rc = cookie(i) + 1n;
        const payloads = v === 2 ? [natD('source', cookie(i), rc, G1, 500), natD('destination', cookie(i), rc, h, 500)] : [];
        net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: cookie(i), rcookie: rc, version: v, exchange: v === 1 ? IKEV1_MAIN : IKEV2_INIT, flags: v === 2 ? 0x20 : 0, payloads }));
      }
      expect(LAN(net.step())).toHaveLength(3);
      // The SA-creating exchanges, all three requests in one batch (MOBIKE: on UDP 4500).
      const child = v === 1 ? IKEV1_QUICK : IKEV2_AUTH;
      const msg = (i: number, from: 'host' | 'gw') => {
        const a = { sport: natT ? 4500 : 500, dport: natT ? 4500 : 500, icookie: cookie(i), rcookie: cookie(i) + 1n, version: v as 1 | 2, exchange: child, messageId: 0x5000 + i, nonEspMarker: natT };
        return from === 'host' ? lan.ike({ ...a, src: HOSTS[i], dst: G1, flags: v === 2 ? 0x08 : 1 }) : wan.ike({ ...a, src: G1, dst: WAN_IP, flags: v === 2 ? 0x20 : 1 });
      };
      for (let i = 0; i < 3; i++) net.fromLan(msg(i, 'host'));
      expect(WAN(net.step())).toHaveLength(1); // the other two wait their turn
      // The gateway answers whatever reached it, each host pings through its tunnel at once.
      for (let round = 0; round < 3; round++) {
        const sent = net.wire.wan.length;
        net.fromWan(msg(round, 'gw')).step();
        espOut(net, HOSTS[round], G1, 0xa000 + round);
        const back = net.fromWan(wan.esp({ src: G1, dst: WAN_IP, spi: 0xb000 + round, seq: 1 })).step();
        expect(dsts(LAN(back))).toEqual([HOSTS[round]]);
        // Binding released the next host's held request in the same batch.
        if (round < 2) expect(WAN(back).map((f) => f.p.ike?.icookie)).toEqual([cookie(round + 1)]);
        expect(net.wire.wan.length).toBeGreaterThan(sent);
      }
      // 12 s idle, then the gateway speaks first on every tunnel.
      net.idle(12_000);
      for (let i = 0; i < 3; i++) expect(dsts(espIn(net, G1, 0xb000 + i))).toEqual([HOSTS[i]]);
      expect(nonzero(net.counters(), 'drop_esp_ambiguous', 'drop_esp_unknown_spi', 'esp_copies', 'drop_ike_hold_full')).toEqual([]);
      net.checkCaptures();
    });
  }

  it('releases held requests in arrival order and keeps one copy of a retransmission', async () => {
    const net = await Net.create();
    for (const [i, h] of HOSTS.entries()) { // tunnels to another gateway, each bound before the next
      negotiate(net, h, G2, 2, BigInt(0x900 + i));
      expect(dsts(espIn(net, G2, 0x900 + i))).toEqual([h]);
    }
    for (const [i, h] of HOSTS.entries()) initNoNat(net, h, G1, BigInt(0x10 + i));
    net.idle(3_000);
    const auth = (i: number) => lan.ike({ src: HOSTS[i], dst: G1, sport: 500, dport: 500, icookie: BigInt(0x10 + i), rcookie: BigInt(0x10 + i) + 0x1000n, version: 2, exchange: IKEV2_AUTH, messageId: 1 });
    net.fromLan(auth(0)).step();
    // H3 asks first, then H2, then both retransmit: H3 goes before H2, each once.
    net.fromLan(auth(2)).step();
    net.fromLan(auth(1)).step();
    net.fromLan(auth(2)).fromLan(auth(1)).step();
    expect(net.counters().ike_held).toBe(2);
    expect(net.counters().ike_hold_duplicates).toBe(2);
    const answer = (i: number) => wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: BigInt(0x10 + i), rcookie: BigInt(0x10 + i) + 0x1000n, version: 2, exchange: IKEV2_AUTH, messageId: 1, flags: 0x20 });
    net.fromWan(answer(0)).step();
    const first = WAN(net.fromWan(wan.esp({ src: G1, dst: WAN_IP, spi: 0x100, seq: 1 })).step());
    expect(first.map((f) => f.p.ike!.icookie)).toEqual([0x12n]);
    net.fromWan(answer(2)).step();
    const second = WAN(net.fromWan(wan.esp({ src: G1, dst: WAN_IP, spi: 0x300, seq: 1 })).step());
    expect(second.map((f) => f.p.ike!.icookie)).toEqual([0x11n]);
    net.fromWan(answer(1)).step();
    expect(dsts(espIn(net, G1, 0x200))).toEqual([H2]);
    expect(dsts(espIn(net, G1, 0x300))).toEqual([H3]);
    expect(dsts(espIn(net, G1, 0x100))).toEqual([H1]);
  });

  it('never makes a host wait for its own other negotiations (an abandoned Main Mode, then a new cookie)', async () => {
    const net = await Net.create();
    // H1 abandons a Main Mode after the responder's first answer and starts again with a new cookie.
    exchange(net, H1, G1, 1, IKEV1_MAIN, 0x71n, 0x1071n);
    negotiate(net, H1, G1, 1, 0x72n);
    expect(dsts(espIn(net, G1, 0x7200))).toEqual([H1]);
    expect(net.counters().ike_held ?? 0).toBe(0);
  });

  it('an idle first tunnel delays a second host by the bind grace only, and then both get their SPIs', async () => {
    const net = await Net.create();
    initNoNat(net, H1, G1, 0x21n);
    initNoNat(net, H2, G1, 0x22n);
    exchange(net, H1, G1, 2, IKEV2_AUTH, 0x21n, 0x1021n, { messageId: 1 });
    const held = exchange(net, H2, G1, 2, IKEV2_AUTH, 0x22n, 0x1022n, { messageId: 1 }).out;
    expect(held).toHaveLength(0);
    net.idle(2_500); // H1 stays idle past the grace: H2's request goes
    expect(net.counters().ike_hold_released).toBe(1);
    net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0x22n, rcookie: 0x1022n, version: 2, exchange: IKEV2_AUTH, messageId: 1, flags: 0x20 })).step();
    // Both are owed an SPI now: each of the gateway's new SPIs reaches both, so neither tunnel waits.
    expect(dsts(espIn(net, G1, 0x2200))).toEqual([H1, H2]);
    expect(dsts(espIn(net, G1, 0x2100))).toEqual([H1, H2]);
    expect(net.counters().esp_copies).toBe(2);
    const sas = net.router.dumpTable(DUMP_SAS).filter((r) => r[4] === 1);
    expect(sas.map((r) => r[8])).toEqual([2, 2]); // each inbound SPI shared by two hosts
  });
});

describe('several SAs, rekeys and a gateway\'s own exchanges', () => {
  it('binds both inbound SPIs of two Quick Modes in one phase 1, even when the second is used 20 s later', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 1, 0x41n);
    exchange(net, H1, G1, 1, IKEV1_QUICK, 0x41n, 0x1041n, { flags: 1, messageId: 0x9999 });
    negotiate(net, H2, G2, 1, 0x42n);
    expect(dsts(espIn(net, G1, 0x4101))).toEqual([H1]);
    net.idle(20_000);
    expect(dsts(espIn(net, G1, 0x4102))).toEqual([H1]);
    espOut(net, H1, G1, 0x41aa); // H1 answers on its new outbound SA: its pairs exist, no SPI is in doubt
    expect(dsts(espIn(net, G1, 0x4103))).toEqual([]); // a third SPI nobody negotiated
    expect(net.counters().drop_esp_unknown_spi).toBe(1);
  });

  it('binds the SPI of a CREATE_CHILD_SA that follows IKE_AUTH (a second subnet)', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0x51n);
    exchange(net, H1, G1, 2, IKEV2_CHILD, 0x51n, 0x1051n, { messageId: 2 });
    espOut(net, H1, G1, 0xa1);
    expect(dsts(espIn(net, G1, 0x5101))).toEqual([H1]);
    net.idle(20_000);
    espOut(net, H1, G1, 0xa2);
    expect(dsts(espIn(net, G1, 0x5102))).toEqual([H1]);
  });

  it('binds the new SPI of a rekey the gateway starts, and of a rekey over UDP 4500 (MOBIKE)', async () => {
    const net = await Net.create();
    negotiate(net, H2, G1, 2, 0x62n);
    expect(dsts(espIn(net, G1, 0x6200))).toEqual([H2]);
    const rc = initNoNat(net, H1, G1, 0x61n);
    exchange(net, H1, G1, 2, IKEV2_AUTH, 0x61n, rc, { natT: true, messageId: 1 });
    expect(dsts(espIn(net, G1, 0x6100))).toEqual([H1]);
    // The host rekeys over 4500, then the gateway rekeys: each new inbound SPI binds to H1 alone.
    exchange(net, H1, G1, 2, IKEV2_CHILD, 0x61n, rc, { natT: true, messageId: 2 });
    expect(dsts(espIn(net, G1, 0x6101))).toEqual([H1]);
    exchange(net, H1, G1, 2, IKEV2_CHILD, 0x61n, rc, { natT: true, messageId: 0, byGateway: true });
    expect(dsts(espIn(net, G1, 0x6102))).toEqual([H1]);
    for (const spi of [0x6100, 0x6101, 0x6102]) expect(dsts(espIn(net, G1, spi))).toEqual([H1]);
    expect(nonzero(net.counters(), 'drop_esp_unknown_spi', 'drop_esp_ambiguous', 'esp_copies')).toEqual([]);
  });

  it('follows an IKE SA rekeyed over UDP 4500 when the gateway speaks first on the new one', async () => {
    const net = await Net.create();
    const rc = initNoNat(net, H1, G1, 0x71n);
    exchange(net, H1, G1, 2, IKEV2_AUTH, 0x71n, rc, { natT: true, messageId: 1 });
    expect(dsts(espIn(net, G1, 0x7100))).toEqual([H1]);
    // New IKE SA (SPIs 0x7777/0x8888, negotiated inside the old one's encrypted payloads); the gateway
    // starts a CHILD SA rekey on it; NAPT carries it to H1 and the ALG learns the new IKE SA.
    const gw = exchange(net, H1, G1, 2, IKEV2_CHILD, 0x7777n, 0x8888n, { natT: true, byGateway: true });
    expect(dsts(gw.back)).toEqual([H1]);
    expect(dsts(espIn(net, G1, 0x7101))).toEqual([H1]);
  });

  it('delivers a gateway\'s own new IKEv1 phase 1 (reauthentication) to the host that talks IKE with it', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 1, 0x81n);
    expect(dsts(espIn(net, G1, 0x8100))).toEqual([H1]);
    // The gateway starts a new Main Mode towards us (its cookie), then a Quick Mode on it.
    const mm = exchange(net, H1, G1, 1, IKEV1_MAIN, 0xcafen, 0xf00dn, { byGateway: true });
    expect(dsts(mm.back)).toEqual([H1]);
    expect(mm.out).toHaveLength(1);
    const qm = exchange(net, H1, G1, 1, IKEV1_QUICK, 0xcafen, 0xf00dn, { byGateway: true, flags: 1, messageId: 0x4242 });
    expect(dsts(qm.back)).toEqual([H1]);
    expect(dsts(espIn(net, G1, 0x8101))).toEqual([H1]);
    expect(net.counters().drop_ike_unknown_cookie ?? 0).toBe(0);
    // A stranger's new IKE SA (no host talks IKE with it) is still dropped.
    expect(LAN(net.fromWan(wan.ike({ src: G2, dst: WAN_IP, sport: 500, dport: 500, icookie: 0xbadn, rcookie: 0n, version: 1, exchange: IKEV1_MAIN })).step())).toHaveLength(0);
    expect(net.counters().drop_ike_unknown_cookie).toBe(1);
  });

  it('a gateway\'s new IKE SA reaches each host that talks IKE with it, and the one that answers owns it', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0x91n);
    espIn(net, G1, 0x9100);
    negotiate(net, H2, G1, 2, 0x92n);
    espIn(net, G1, 0x9200);
    const init = LAN(net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0xeeen, rcookie: 0n, version: 2, exchange: IKEV2_INIT })).step());
    expect(dsts(init)).toEqual([H1, H2]);
    expect(net.counters().ike_copies).toBe(1);
    WAN(net.fromLan(lan.ike({ src: H2, dst: G1, sport: 500, dport: 500, icookie: 0xeeen, rcookie: 0xfffn, version: 2, exchange: IKEV2_INIT, flags: 0x20 })).step());
    const next = LAN(net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0xeeen, rcookie: 0xfffn, version: 2, exchange: IKEV2_AUTH, messageId: 1 })).step());
    expect(dsts(next)).toEqual([H2]);
    // H1 answers too (its own responder SPI): it goes out, and the gateway's next message, which names
    // H2's responder SPI, still reaches H2 alone; one naming H1's reaches H1.
    expect(WAN(net.fromLan(lan.ike({ src: H1, dst: G1, sport: 500, dport: 500, icookie: 0xeeen, rcookie: 0x111n, version: 2, exchange: IKEV2_INIT, flags: 0x20 })).step())).toHaveLength(1);
    expect(dsts(LAN(net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0xeeen, rcookie: 0xfffn, version: 2, exchange: IKEV2_AUTH, messageId: 2 })).step()))).toEqual([H2]);
    expect(dsts(LAN(net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0xeeen, rcookie: 0x111n, version: 2, exchange: IKEV2_INFO, messageId: 0 })).step()))).toEqual([H1]);
    // A host with no IKE towards G1 cannot join: its "answer" with G1's cookie is its own new SA, and
    // the gateway's messages name the responder SPIs it chose.
  });
});

describe('garbage, tables and counts', () => {
  it('garbage IKE from hosts leaves nothing that makes a real tunnel ambiguous', async () => {
    const net = await Net.create();
    // A host's own garbage, just before its real negotiation, never competes with it.
    for (let i = 0; i < 4; i++) net.fromLan(lan.ike({ src: H1, dst: G2, sport: 500, dport: 500, icookie: BigInt(0xc00 + i), rcookie: 1n, version: 2, exchange: [IKEV2_AUTH, IKEV2_CHILD, IKEV2_AUTH, IKEV2_INIT][i], messageId: 7, payloads: [{ type: 46, body: Buffer.alloc(9, 0x5a) }] })).step();
    negotiate(net, H1, G2, 2, 0xc1n);
    expect(dsts(espIn(net, G2, 0xc100))).toEqual([H1]);
    for (let i = 0; i < 6; i++) {
      const junk = { type: 33, body: Buffer.alloc(17 + i, 0xa5) };
      for (const h of [H1, H2]) net.fromLan(lan.ike({ src: h, dst: G1, sport: 500, dport: 500, icookie: BigInt(0xd00 + i * 16 + (h === H1 ? 1 : 2)), rcookie: BigInt(i), version: (i % 2 + 1) as 1 | 2, exchange: [IKEV2_INIT, IKEV2_CHILD, IKEV1_QUICK, 99, IKEV2_AUTH, IKEV1_MAIN][i], messageId: i, payloads: [junk] })).step();
    }
    // Each unanswered request keeps the other host waiting timeouts.ikeHoldMs at most, in turn (first
    // come, first served): six of them, 10 s each, then nothing of the garbage is left to matter.
    net.idle(65_000);
    expect(net.router.dumpTable(DUMP_IKE).map((r) => r[9]).filter((st) => st === 2)).toEqual([]); // none held
    negotiate(net, H1, G1, 2, 0xe1n);
    espOut(net, H1, G1, 0xe1);
    expect(dsts(espIn(net, G1, 0xe100))).toEqual([H1]);
    negotiate(net, H2, G1, 1, 0xe2n);
    expect(dsts(espIn(net, G1, 0xe200))).toEqual([H2]);
    expect(nonzero(net.counters(), 'drop_esp_ambiguous', 'esp_copies')).toEqual([]);
  });

  it('counts the packet that created an inbound SA', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0xf1n);
    espIn(net, G1, 0xf100);
    espIn(net, G1, 0xf100);
    const inbound = net.router.dumpTable(DUMP_SAS).find((r) => r[4] === 1)!;
    expect(inbound[5]).toBe(2);
  });

  it('one host\'s flood of IKE SAs and SPIs leaves another host\'s tunnel and its rekey room', async () => {
    const net = await Net.create({ limits: { ikeSessions: 16, ipsecSas: 32 } });
    negotiate(net, H2, G2, 2, 0x2n);
    expect(dsts(espIn(net, G2, 0x200))).toEqual([H2]);
    for (let i = 0; i < 40; i++) net.fromLan(lan.ike({ src: H1, dst: G1, sport: 500, dport: 500, icookie: BigInt(0x5000 + i), rcookie: 0n, version: 2, exchange: IKEV2_INIT })).step();
    for (let i = 0; i < 60; i++) espOut(net, H1, G1, 0x70000 + i);
    exchange(net, H2, G2, 2, IKEV2_CHILD, 0x2n, 0x1002n, { messageId: 2 });
    espOut(net, H2, G2, 0x201);
    expect(dsts(espIn(net, G2, 0x201))).toEqual([H2]);
    expect(dsts(espIn(net, G2, 0x200))).toEqual([H2]);
    const c = net.counters();
    expect(c.ike_sessions_evicted).toBeGreaterThan(0);
    expect(c.sas_evicted).toBeGreaterThan(0);
    expect(nonzero(c, 'drop_ike_table_full', 'drop_sa_table_full')).toEqual([]);
  });
});

describe('ICMP errors about tunnels (RFC 5508 REQ-3, REQ-4)', () => {
  it('delivers "fragmentation needed" quoting a host\'s ESP to that host, quote translated back', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0x1n);
    negotiate(net, H2, G1, 2, 0x2n);
    const sent = espOut(net, H2, G1, 0xabc)[0];
    const err = icmpError({ ...GW_MAC, src: '198.51.100.1', dst: WAN_IP, type: 3, code: 4, original: sent.data.subarray(14), quoteBytes: 60 });
    const got = LAN(net.fromWan(err).step());
    expect(dsts(got)).toEqual([H2]);
    expect([...got[0].data.subarray(14 + 20 + 8 + 12, 14 + 20 + 8 + 16)].join('.')).toBe(H2); // the quote's source
    expect(got[0].p.icmp!.checksumOk).toBe(true);
    expect(net.counters().drop_icmp_error_no_session ?? 0).toBe(0);
    net.checkCaptures();
  });

  it('delivers "port unreachable" quoting a host\'s IKE on external port 500 to that host and port', async () => {
    const net = await Net.create();
    const [first] = negotiate(net, H1, G1, 2, 0x3n);
    negotiate(net, H2, G1, 2, 0x4n);
    for (const quoteBytes of [20 + 8 + 28, 20 + 8]) {
      const err = icmpError({ ...GW_MAC, src: G1, dst: WAN_IP, type: 3, code: 3, original: first.out[0].data.subarray(14), quoteBytes });
      const got = LAN(net.fromWan(err).step());
      // With the IKE header quoted the cookie names H1; with RFC 792's 8 bytes two hosts talk IKE with G1: dropped.
      expect(dsts(got)).toEqual(quoteBytes > 28 ? [H1] : []);
    }
    expect(net.counters().drop_icmp_error_no_session).toBe(1);
  });

  it('drops an ICMP error whose checksum is wrong instead of repairing it', async () => {
    const net = await Net.create();
    const out = WAN(net.fromLan(lan.udp({ src: H1, dst: G1, sport: 4000, dport: 53 })).step())[0];
    const err = icmpError({ ...GW_MAC, src: G1, dst: WAN_IP, type: 3, code: 3, original: out.data.subarray(14) });
    const good = LAN(net.fromWan(err).step());
    expect(good).toHaveLength(1);
    const bad = Uint8Array.from(err);
    bad[14 + 20 + 2] ^= 0x01; // the ICMP checksum
    expect(LAN(net.fromWan(bad).step())).toHaveLength(0);
    expect(net.counters().drop_icmp_error_checksum).toBe(1);
  });
});


describe('spoofed ESP during a rekey (issue 20)', () => {
  it('a spoofed SPI bound during a rekey does not displace the host\'s genuine new SPI', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0x1n);
    expect(dsts(espIn(net, G1, 0x100))).toEqual([H1]);
    exchange(net, H1, G1, 2, IKEV2_CHILD, 0x1n, 0x1001n, { messageId: 2 });
    // An attacker spoofing the gateway's address sends random SPIs during the rekey window...
    for (const spi of [0xdead, 0xbeef, 0xf00d]) espIn(net, G1, spi);
    // ...and the gateway's genuine new SPI still reaches the host, as does the old one.
    expect(dsts(espIn(net, G1, 0x101))).toEqual([H1]);
    expect(dsts(espIn(net, G1, 0x100))).toEqual([H1]);
    // Once the host has sent on its new outbound SA and the window has passed, a new SPI nobody is owed
    // is dropped again.
    espOut(net, H1, G1, 0xa101);
    net.idle(11_000);
    expect(dsts(espIn(net, G1, 0x999))).toEqual([]);
    expect(net.counters().drop_esp_unknown_spi).toBe(1);
  });
});
