// Adversarial review of the issue-14 IPsec ALG rewrite: real peers' timing (IKEv2 windows > 1, failed
// IKE_AUTH, a gateway that starts new IKE SAs), a hostile LAN host and a hostile WAN sender, ICMP errors
// with short or lying quotes, clock wrap. Written by the review of 2026-12-03; the defects it found are
// fixed, except where a test says LIMIT: what natpass does then is documented (docs/ipsec.md).
import { describe, expect, it } from 'vitest';
import { Net, LAN, WAN, WAN_IP } from './helpers/net.ts';
import { lan, wan } from './helpers/traffic.ts';
import { icmpError, fragment } from '../host/packets.ts';
import { IKEV1_MAIN, IKEV1_QUICK, IKEV2_INIT, IKEV2_AUTH, IKEV2_CHILD, NAT_D_NOTIFY, natD, exchange, negotiate, espIn, espOut, dsts, initNoNat } from './helpers/ike.ts';

const [H1, H2, M] = ['192.168.1.10', '192.168.1.11', '192.168.1.66'];
const G1 = '203.0.113.1';
const GW_MAC = { srcMac: '02:00:00:00:02:fe', dstMac: '02:00:00:00:02:01' };

const v2 = (from: 'host' | 'gw', host: string, icookie: bigint, ex: number, messageId: number, flags: number) =>
  from === 'host'
    ? lan.ike({ src: host, dst: G1, sport: 500, dport: 500, icookie, rcookie: icookie + 0x1000n, version: 2, exchange: ex, messageId, flags })
    : wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie, rcookie: icookie + 0x1000n, version: 2, exchange: ex, messageId, flags });

describe('real stacks\' timing', () => {
  // FIXED: exchanges.ts keeps one open message ID per side. With an IKEv2 window > 1 (strongSwan
  // charon.window_size, Windows) two CREATE_CHILD_SA requests are outstanding; the second overwrites
  // the first, whose answer is then not counted. H1 is owed one SPI for two new SAs, so the SPI of the
  // second SA (a second subnet, idle until later) binds to whichever host is owed one then: H2, for good.
  it('IKEv2 window 2: two CREATE_CHILD_SA outstanding at once; the second SA\'s SPI must not go to another host', async () => {
    const net = await Net.create();
    initNoNat(net, H1, G1, 0x1n);
    exchange(net, H1, G1, 2, IKEV2_AUTH, 0x1n, 0x1001n, { messageId: 1 });
    expect(dsts(espIn(net, G1, 0x100))).toEqual([H1]);
    expect(WAN(net.fromLan(v2('host', H1, 0x1n, IKEV2_CHILD, 2, 0x08)).step())).toHaveLength(1);
    expect(WAN(net.fromLan(v2('host', H1, 0x1n, IKEV2_CHILD, 3, 0x08)).step())).toHaveLength(1);
    expect(LAN(net.fromWan(v2('gw', H1, 0x1n, IKEV2_CHILD, 2, 0x20)).step())).toHaveLength(1);
    expect(LAN(net.fromWan(v2('gw', H1, 0x1n, IKEV2_CHILD, 3, 0x20)).step())).toHaveLength(1);
    expect(dsts(espIn(net, G1, 0x101))).toEqual([H1]); // first new SA used at once
    net.idle(3_000);
    initNoNat(net, H2, G1, 0x2n);
    exchange(net, H2, G1, 2, IKEV2_AUTH, 0x2n, 0x1002n, { messageId: 1 });
    net.idle(11_000);
    // The gateway's first ESP on H1's second new SA (before the fix it was bound to H2 alone).
    const got = dsts(espIn(net, G1, 0x102));
    expect(got).toContain(H1);
  });

  // FIXED: an IKE_AUTH answered with AUTHENTICATION_FAILED (or any IKE_AUTH response, EAP's first
  // included) counts a child SA: the dead IKE SA is owed an SPI for timeouts.ipsecSa (1 h). Another
  // host's request then waits 2 s, and its SPI is copied to the host whose login failed.
  it('IKE_AUTH answered with AUTHENTICATION_FAILED: another host\'s SPI still reaches it', async () => {
    const net = await Net.create();
    initNoNat(net, H1, G1, 0x1n);
    exchange(net, H1, G1, 2, IKEV2_AUTH, 0x1n, 0x1001n, { messageId: 1 }); // answered: AUTHENTICATION_FAILED
    net.idle(3_000);
    initNoNat(net, H2, G1, 0x2n);
    exchange(net, H2, G1, 2, IKEV2_AUTH, 0x2n, 0x1002n, { messageId: 1 });
    // LIMIT: a failed IKE_AUTH looks answered from outside, so H1 is owed an SPI too: H2's first SPI is
    // shared with H1 (H2 gets it, H1 drops it); once H2 sends on its new outbound SA it ranks first.
    expect(dsts(espIn(net, G1, 0x200))).toContain(H2);
    expect(net.counters().drop_esp_ambiguous).toBe(0);
  });

  // FIXED: same single open slot, IKEv1: two Quick Modes started at once (strongSwan does this for a
  // site-to-site tunnel with two subnets). The gateway's answer to the first is taken for a new request
  // the gateway opens, and is held while another host waits for G1: the host's second subnet waits up to
  // ikeHoldMs for its own answer, and IKE retransmits (an answer is never an SA-creating request).
  it('IKEv1: the gateway\'s answer to the first of two concurrent Quick Modes is never held', async () => {
    const net = await Net.create();
    exchange(net, H1, G1, 1, IKEV1_MAIN, 0x1n, 0x1001n);
    exchange(net, H2, G1, 1, IKEV1_MAIN, 0x2n, 0x1002n);
    const qm = (from: 'host' | 'gw', host: string, ic: bigint, mid: number) => from === 'host'
      ? lan.ike({ src: host, dst: G1, sport: 500, dport: 500, icookie: ic, rcookie: ic + 0x1000n, version: 1, exchange: IKEV1_QUICK, messageId: mid, flags: 1 })
      : wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: ic, rcookie: ic + 0x1000n, version: 1, exchange: IKEV1_QUICK, messageId: mid, flags: 1 });
    expect(WAN(net.fromLan(qm('host', H1, 0x1n, 0xa)).step())).toHaveLength(1);
    expect(WAN(net.fromLan(qm('host', H1, 0x1n, 0xb)).step())).toHaveLength(1);
    expect(WAN(net.fromLan(qm('host', H2, 0x2n, 0xc)).step())).toHaveLength(0); // H2 waits: fine
    expect(LAN(net.fromWan(qm('gw', H1, 0x1n, 0xa)).step())).toHaveLength(1);
  });

  // FIXED: an IKE_AUTH with certificates is usually IP-fragmented (Windows, strongSwan without RFC 7383
  // fragmentation). The hold keeps the first fragment (up to ikeHoldMs, 10 s) but not the others, which
  // wait for it in the fragment table for fragmentMs (5 s) and are dropped: the held request leaves alone
  // and cannot be reassembled; every retransmission while held is dropped as a duplicate of it.
  it('a fragmented IKE_AUTH held behind another host leaves whole', async () => {
    const net = await Net.create();
    initNoNat(net, H1, G1, 0x1n);
    initNoNat(net, H2, G1, 0x2n);
    expect(WAN(net.fromLan(v2('host', H1, 0x1n, IKEV2_AUTH, 1, 0x08)).step())).toHaveLength(1); // EAP via RADIUS: slow
    const big = lan.ike({ src: H2, dst: G1, sport: 500, dport: 500, icookie: 0x2n, rcookie: 0x1002n, version: 2, exchange: IKEV2_AUTH, messageId: 1, flags: 0x08, payloads: [{ type: 37, body: new Uint8Array(2500).fill(7) }], id: 777 } as never);
    const frags = fragment(big, 1500);
    expect(frags.length).toBe(2);
    let out = 0;
    for (const f of frags) out += WAN(net.fromLan(f).step()).length;
    for (let t = 0; t < 120; t++) out += WAN(net.step(100)).length;
    expect(out).toBe(2);
  });

  // FIXED (phantom, as with the failed IKE_AUTH): both peers start a CHILD SA rekey at once (RFC 7296
  // 2.8.1); both exchanges are answered, then the pair with the lowest nonce is deleted. Two SPIs are
  // counted for one that will carry traffic: the host stays owed for an hour and the next host's new
  // SPI is copied to it instead of binding exactly.
  it('a simultaneous CHILD SA rekey (2.8.1 collision): the next host\'s SPI still reaches it', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0x1n);
    expect(dsts(espIn(net, G1, 0x100))).toEqual([H1]);
    net.fromLan(v2('host', H1, 0x1n, IKEV2_CHILD, 2, 0x08)).fromWan(v2('gw', H1, 0x1n, IKEV2_CHILD, 0, 0x00)).step();
    net.fromWan(v2('gw', H1, 0x1n, IKEV2_CHILD, 2, 0x20)).fromLan(v2('host', H1, 0x1n, IKEV2_CHILD, 0, 0x28)).step();
    expect(dsts(espIn(net, G1, 0x101))).toEqual([H1]); // the surviving SA; the other is deleted
    net.idle(3_000);
    initNoNat(net, H2, G1, 0x2n);
    exchange(net, H2, G1, 2, IKEV2_AUTH, 0x2n, 0x1002n, { messageId: 1 });
    // LIMIT: the losing SA of the collision is counted too, so H2's first SPI is shared with H1.
    expect(dsts(espIn(net, G1, 0x200))).toContain(H2);
  });

  it('holds up: one host NAT-T (ESP in UDP 4500), one raw, at once: neither waits, both deliver exactly', async () => {
    const net = await Net.create();
    exchange(net, H1, G1, 2, IKEV2_INIT, 0x1n, 0x1001n, { payloads: [NAT_D_NOTIFY] }); // gateway's NAT-D: nothing matches
    net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0x1n, rcookie: 0x1001n, version: 2, exchange: IKEV2_INIT, flags: 0x20, payloads: [natD('source', 0x1n, 0x1001n, G1, 500), natD('destination', 0x1n, 0x1001n, '10.9.9.9', 500)] })).step();
    initNoNat(net, H2, G1, 0x2n);
    expect(exchange(net, H1, G1, 2, IKEV2_AUTH, 0x1n, 0x1001n, { messageId: 1, natT: true }).out).toHaveLength(1);
    expect(exchange(net, H2, G1, 2, IKEV2_AUTH, 0x2n, 0x1002n, { messageId: 1 }).out).toHaveLength(1);
    const espUdp = (src: string, dst: string, sport: number, dport: number, fromLan: boolean) => fromLan
      ? lan.udp({ src, dst, sport, dport, payload: new Uint8Array([0, 0, 0x11, 0x11, 0, 0, 0, 1, ...new Array(40).fill(0xee)]) })
      : wan.udp({ src, dst, sport, dport, payload: new Uint8Array([0, 0, 0x22, 0x22, 0, 0, 0, 1, ...new Array(40).fill(0xee)]) });
    const up = WAN(net.fromLan(espUdp(H1, G1, 4500, 4500, true)).step());
    expect(up).toHaveLength(1);
    expect(dsts(LAN(net.fromWan(espUdp(G1, WAN_IP, 4500, up[0].p.udp!.dport === 4500 ? up[0].p.udp!.sport : 4500, false)).step()))).toEqual([H1]);
    expect(dsts(espIn(net, G1, 0x200))).toEqual([H2]);
  });

  it('holds up: EAP (several IKE_AUTH round trips), COOKIE and INVALID_KE retries, then a second host binds exactly', async () => {
    const net = await Net.create();
    // IKE_SA_INIT answered with COOKIE, then INVALID_KE_PAYLOAD (SPIr 0 both times), then accepted.
    for (let i = 0; i < 2; i++) {
      net.fromLan(lan.ike({ src: H1, dst: G1, sport: 500, dport: 500, icookie: 0x1n, rcookie: 0n, version: 2, exchange: IKEV2_INIT, payloads: [NAT_D_NOTIFY] })).step();
      expect(LAN(net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0x1n, rcookie: 0n, version: 2, exchange: IKEV2_INIT, flags: 0x20 })).step())).toHaveLength(1);
    }
    initNoNat(net, H1, G1, 0x1n);
    for (let m = 1; m <= 4; m++) exchange(net, H1, G1, 2, IKEV2_AUTH, 0x1n, 0x1001n, { messageId: m });
    expect(dsts(espIn(net, G1, 0x100))).toEqual([H1]);
    initNoNat(net, H2, G1, 0x2n);
    expect(exchange(net, H2, G1, 2, IKEV2_AUTH, 0x2n, 0x1002n, { messageId: 1 }).out).toHaveLength(1);
    expect(dsts(espIn(net, G1, 0x200))).toEqual([H2]);
    expect(net.counters().esp_copies ?? 0).toBe(0);
  });
});

describe('a gateway under load answers with COOKIE (RFC 7296 2.6)', () => {
  it('three hosts retry IKE_SA_INIT with the cookie at once, then bind exactly', async () => {
    const net = await Net.create();
    const hosts = ['192.168.1.10', '192.168.1.11', '192.168.1.12'];
    const ic = (i: number) => BigInt(0xc0 + i);
    const cookieNotify = { type: 41, body: Buffer.concat([Buffer.from([0, 0, 0x40, 0x06]), Buffer.alloc(16, 0xc5)]) };
    const init = (i: number, payloads: { type: number; body: Uint8Array }[]) => lan.ike({ src: hosts[i], dst: G1, sport: 500, dport: 500, icookie: ic(i), rcookie: 0n, version: 2, exchange: IKEV2_INIT, flags: 0x08, payloads });
    for (let i = 0; i < 3; i++) net.fromLan(init(i, [NAT_D_NOTIFY]));
    expect(WAN(net.step())).toHaveLength(3);
    // The gateway asks each for a cookie: responder SPI zero.
    for (let i = 0; i < 3; i++) net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: ic(i), rcookie: 0n, version: 2, exchange: IKEV2_INIT, flags: 0x20, payloads: [cookieNotify] }));
    expect(dsts(LAN(net.step()))).toEqual(hosts);
    for (let i = 0; i < 3; i++) net.fromLan(init(i, [cookieNotify, NAT_D_NOTIFY]));
    expect(WAN(net.step())).toHaveLength(3);
    for (let i = 0; i < 3; i++) {
      const rc = ic(i) + 0x1000n;
      const payloads = [natD('source', ic(i), rc, G1, 500), natD('destination', ic(i), rc, hosts[i], 500)];
      net.fromWan(wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: ic(i), rcookie: rc, version: 2, exchange: IKEV2_INIT, flags: 0x20, payloads }));
    }
    expect(dsts(LAN(net.step()))).toEqual(hosts);
    const auth = (i: number, from: 'host' | 'gw') => from === 'host'
      ? lan.ike({ src: hosts[i], dst: G1, sport: 500, dport: 500, icookie: ic(i), rcookie: ic(i) + 0x1000n, version: 2, exchange: IKEV2_AUTH, messageId: 1, flags: 0x08 })
      : wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: ic(i), rcookie: ic(i) + 0x1000n, version: 2, exchange: IKEV2_AUTH, messageId: 1, flags: 0x20 });
    for (let i = 0; i < 3; i++) net.fromLan(auth(i, 'host'));
    expect(WAN(net.step())).toHaveLength(1);
    for (let i = 0; i < 3; i++) {
      expect(dsts(LAN(net.fromWan(auth(i, 'gw')).step()))).toEqual([hosts[i]]);
      espOut(net, hosts[i], G1, 0xe0 + i);
      const back = net.fromWan(wan.esp({ src: G1, dst: WAN_IP, spi: 0xf0 + i, seq: 1 })).step();
      expect(dsts(LAN(back))).toEqual([hosts[i]]);
    }
    expect(net.counters().esp_copies ?? 0).toBe(0);
  });
});

describe('a hostile WAN sender', () => {
  // FIXED: one ESP packet spoofed from the gateway's address with a random SPI, sent while H1 is owed
  // its SPI, binds to H1 and pays H1's count. The genuine SPI is then only accepted within ikeHoldMs
  // (10 s) of the answer (collectRecent); a tunnel the gateway speaks on first after 12 s is stranded.
  it('one spoofed ESP after a negotiation does not strand the tunnel the gateway uses 12 s later', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0x1n);
    espIn(net, G1, 0xdead); // the attacker, spoofing G1
    net.idle(12_000);
    expect(dsts(espIn(net, G1, 0x100))).toEqual([H1]);
  });

  // FIXED (same cause, worse outcome): the spoofed SPI pays H1's count, so H1 no longer holds H2 back,
  // and when the gateway's genuine first ESP for H1 comes after H2's answer, H2 is the one host owed an
  // SPI: H1's tunnel is bound to H2 alone, for good (H2 drops it; H1 never sees its traffic).
  // LIMIT (docs/ipsec.md): not fixed; it.fails keeps it visible and fails once it is.
  it.fails('one spoofed ESP cannot make H1\'s idle tunnel bind to H2 alone', async () => {
    const net = await Net.create();
    initNoNat(net, H1, G1, 0x1n);
    initNoNat(net, H2, G1, 0x2n);
    exchange(net, H1, G1, 2, IKEV2_AUTH, 0x1n, 0x1001n, { messageId: 1 });
    espIn(net, G1, 0xdead); // the attacker, spoofing G1
    expect(exchange(net, H2, G1, 2, IKEV2_AUTH, 0x2n, 0x1002n, { messageId: 1 }).out).toHaveLength(1); // not held
    expect(dsts(espIn(net, G1, 0x100))).toContain(H1);
  });

  // FIXED: spoofed SPIs bound to H1 during the 10 s after any SA-creating answer (an IKE SA rekey is
  // one) count against H1's share of the SA table, and its least recently used SAs make room: H1's
  // genuine, bound SAs go first when its tunnel paused for a few seconds. After the window its SPI is
  // unknown and nobody is owed it: the tunnel is dead until its next rekey. Default limits (share 1024).
  it('a burst of spoofed SPIs after H1\'s rekey does not evict H1\'s bound tunnel', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0x1n);
    expect(dsts(espIn(net, G1, 0x100))).toEqual([H1]);
    exchange(net, H1, G1, 2, IKEV2_CHILD, 0x1n, 0x1001n, { messageId: 2 });
    expect(dsts(espIn(net, G1, 0x101))).toEqual([H1]);
    net.idle(5_000); // a pause in the tunnel's traffic
    for (let b = 0; b < 5; b++) {
      for (let i = 0; i < 250; i++) net.fromWan(wan.esp({ src: G1, dst: WAN_IP, spi: 0x50000 + b * 250 + i, seq: 1 }));
      net.step();
    }
    net.idle(6_000);
    expect(dsts(espIn(net, G1, 0x101))).toEqual([H1]);
  });

  it('holds up: ESP from a stranger address, and ESP with no SPI quoted, reach nobody', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0x1n);
    expect(dsts(LAN(net.fromWan(wan.esp({ src: '203.0.113.99', dst: WAN_IP, spi: 0x100, seq: 1 })).step()))).toEqual([]);
    expect(dsts(espIn(net, G1, 0x100))).toEqual([H1]);
  });
});

describe('a hostile LAN host', () => {
  // FIXED: binding.ts counts a host that sent ESP to the remote with no IKE session as owed an SA back
  // ("manual keys") until it receives one of its own, and never rules it out (pay() skips it). One ESP
  // packet from M to a VPN gateway makes M a candidate for every new SPI of that gateway: M gets a copy
  // of every other host's tunnel and rekey, and no one else's SPI ever binds exactly again.
  it('one ESP packet from M to a gateway does not get M copies of H1\'s tunnel', async () => {
    const net = await Net.create();
    espOut(net, M, G1, 0x6666);
    negotiate(net, H1, G1, 2, 0x1n);
    expect(dsts(espIn(net, G1, 0x100))).toEqual([H1]);
  });

  // FIXED: a gateway's new IKE SA (IKEv1 reauthentication, RFC 7296 new IKE SA) is copied to every host
  // that talks IKE with it, and the first to answer owns the session. Any host configured for that gateway
  // answers a Main Mode / IKE_SA_INIT from it, so H2 (or a hostile M) answering first makes natpass drop
  // H1's answer (drop_ike_unknown_cookie): H1's reauthentication by the gateway can never complete.
  it('a gateway\'s new phase 1 for H1: H2 answering first does not make H1\'s answer dropped', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 1, 0x1n);
    negotiate(net, H2, G1, 1, 0x2n);
    const fromGw = wan.ike({ src: G1, dst: WAN_IP, sport: 500, dport: 500, icookie: 0x77n, rcookie: 0n, version: 1, exchange: IKEV1_MAIN });
    expect(dsts(LAN(net.fromWan(fromGw).step()))).toEqual([H1, H2]);
    const answer = (h: string, rc: bigint) => lan.ike({ src: h, dst: G1, sport: 500, dport: 500, icookie: 0x77n, rcookie: rc, version: 1, exchange: IKEV1_MAIN });
    expect(WAN(net.fromLan(answer(H2, 0x2222n)).step())).toHaveLength(1);
    expect(WAN(net.fromLan(answer(H1, 0x1111n)).step())).toHaveLength(1);
  });

  it('holds up: M cannot keep a gateway "open" past ikeHoldMs by sending new child-creating requests', async () => {
    const net = await Net.create();
    let mid = 1;
    net.fromLan(v2('host', M, 0x66n, IKEV2_AUTH, mid++, 0x08)).step();
    initNoNat(net, H2, G1, 0x2n);
    net.idle(1_000);
    expect(WAN(net.fromLan(v2('host', H2, 0x2n, IKEV2_AUTH, 1, 0x08)).step())).toHaveLength(0);
    let released = false;
    for (let t = 0; t < 6 && !released; t++) {
      net.fromLan(v2('host', M, 0x66n, IKEV2_AUTH, mid++, 0x08)).step();
      net.idle(4_000);
      released = (net.counters().ike_hold_released ?? 0) > 0;
    }
    expect(released).toBe(true);
    expect(net.now).toBeLessThan(1000 + 16_000);
  });

  it('holds up: M cannot claim H1\'s outbound SPI or cookie, nor fill the hold queue for others', async () => {
    const net = await Net.create({ limits: { ikeSessions: 16 } });
    negotiate(net, H1, G1, 2, 0x1n);
    espOut(net, H1, G1, 0xa1);
    expect(espOut(net, M, G1, 0xa1)).toHaveLength(0);
    expect(WAN(net.fromLan(v2('host', M, 0x1n, IKEV2_CHILD, 9, 0x08)).step())).toHaveLength(0);
    expect(dsts(espIn(net, G1, 0x100))).toEqual([H1]);
    expect(espOut(net, H1, G1, 0xa1)).toHaveLength(1);
  });
});

describe('owed counts that are never paid (phantom child SAs)', () => {
  // FIXED: four extra LAN addresses (one hostile machine with aliases) each send one ESP packet to the
  // gateway: each is a "manual keys" candidate that is never ruled out; with H1 that is five candidates,
  // over MAX_CANDIDATES, so every new SPI of that gateway is dropped (drop_esp_ambiguous): no host
  // behind natpass can bring a tunnel up with that gateway, for as long as M refreshes every ipsecSa.
  it('four ESP packets from spare LAN addresses do not stop H1\'s tunnel binding', async () => {
    const net = await Net.create();
    for (let i = 0; i < 4; i++) espOut(net, `192.168.1.${70 + i}`, G1, 0x7000 + i);
    negotiate(net, H1, G1, 2, 0x1n);
    expect(dsts(espIn(net, G1, 0x100))).toContain(H1);
  });

  // FIXED: an IKEv2 IKE SA rekey (CREATE_CHILD_SA with no ESP SA) owes its host an SPI that never
  // comes (exchanges.ts says so: "a candidate too many"); the phantom lasts timeouts.ipsecSa (1 h), and a
  // shared SPI pays nobody, so owed counts only grow. Five users of one gateway who each rekey their IKE
  // SA within the hour make every CHILD SA rekey's new SPI ambiguous (> 4 candidates): dropped.
  it('five hosts that rekeyed their IKE SAs still get their CHILD SA rekeys', async () => {
    const net = await Net.create();
    const hosts = [0, 1, 2, 3, 4].map((i) => `192.168.1.${20 + i}`);
    for (const [i, h] of hosts.entries()) {
      negotiate(net, h, G1, 2, BigInt(0x30 + i));
      expect(dsts(espIn(net, G1, 0x3000 + i))).toEqual([h]);
    }
    for (const [i, h] of hosts.entries()) { // each rekeys its IKE SA (no ESP SA is created)
      exchange(net, h, G1, 2, IKEV2_CHILD, BigInt(0x30 + i), BigInt(0x30 + i) + 0x1000n, { messageId: 2 });
      net.idle(3_000);
    }
    exchange(net, hosts[0], G1, 2, IKEV2_CHILD, 0x30n, 0x1030n, { messageId: 3 }); // H1's CHILD SA rekey
    expect(dsts(espIn(net, G1, 0x3100))).toContain(hosts[0]);
  });
});

describe('tables at their limits', () => {
  it('holds up: ikeSessions 8 (hold queue of 4, one slot a host): three hosts at once, with retransmissions, all bind exactly', async () => {
    const net = await Net.create({ limits: { ikeSessions: 8, ipsecSas: 16 } });
    const hosts = [H1, H2, '192.168.1.12'];
    hosts.forEach((h, i) => initNoNat(net, h, G1, BigInt(0x40 + i)));
    const req = (i: number) => v2('host', hosts[i], BigInt(0x40 + i), IKEV2_AUTH, 1, 0x08);
    for (let r = 0; r < 3; r++) { for (let i = 0; i < 3; i++) net.fromLan(req(i)); net.step(); }
    for (let i = 0; i < 3; i++) {
      net.fromWan(v2('gw', hosts[i], BigInt(0x40 + i), IKEV2_AUTH, 1, 0x20)).step();
      expect(dsts(espIn(net, G1, 0x4000 + i))).toEqual([hosts[i]]);
      net.fromLan(req((i + 1) % 3)).step(); // retransmission of the next one, if still held
    }
    for (let i = 0; i < 3; i++) expect(dsts(espIn(net, G1, 0x4000 + i))).toEqual([hosts[i]]);
    expect(net.counters().esp_copies ?? 0).toBe(0);
  });
});

describe('ICMP errors with short or lying quotes', () => {
  it('holds up: quotes cut inside the ESP SPI or the UDP header, and quotes of SPIs nobody owns, are dropped without a trap', async () => {
    const net = await Net.create();
    negotiate(net, H1, G1, 2, 0x1n);
    const out = espOut(net, H1, G1, 0xa1)[0];
    for (const q of [20, 21, 23, 24, 27])
      expect(LAN(net.fromWan(icmpError({ ...GW_MAC, src: G1, dst: WAN_IP, type: 3, code: 4, original: out.data.subarray(14), quoteBytes: q })).step())).toHaveLength(0);
    const lie = lan.esp({ src: WAN_IP, dst: G1, spi: 0xbad, seq: 1 }).subarray(14);
    expect(LAN(net.fromWan(icmpError({ ...GW_MAC, src: G1, dst: WAN_IP, type: 3, code: 4, original: lie })).step())).toHaveLength(0);
    const ikeOut = exchange(net, H1, G1, 2, IKEV2_CHILD, 0x1n, 0x1001n, { messageId: 5 }).out[0];
    for (const q of [20, 24, 28, 30, 35, 36])
      net.fromWan(icmpError({ ...GW_MAC, src: G1, dst: WAN_IP, type: 3, code: 3, original: ikeOut.data.subarray(14), quoteBytes: q })).step();
    expect(dsts(espIn(net, G1, 0x100))).toEqual([H1]);
  });
});

describe('clock wrap', () => {
  it('holds up: a negotiation across nowMs 2^32 binds, and the hold ends', async () => {
    const net = await Net.create();
    net.idle(1);
    net.now = 2 ** 32 - 3_000;
    net.idle(10);
    initNoNat(net, H1, G1, 0x1n);
    initNoNat(net, H2, G1, 0x2n);
    exchange(net, H1, G1, 2, IKEV2_AUTH, 0x1n, 0x1001n, { messageId: 1 });
    expect(exchange(net, H2, G1, 2, IKEV2_AUTH, 0x2n, 0x1002n, { messageId: 1 }).out).toHaveLength(0);
    net.idle(5_000);
    expect(net.counters().ike_hold_released).toBe(1);
    net.fromWan(v2('gw', H2, 0x2n, IKEV2_AUTH, 1, 0x20)).step();
    expect(dsts(espIn(net, G1, 0x100))).toEqual([H1, H2]);
  });
});
