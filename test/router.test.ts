// Router basics: ARP, IPv4 validation, TTL, the router's own ICMP. Real frames through the module.
import { describe, expect, it } from 'vitest';
import { Net, LAN, WAN, WAN_IP, LAN_IP, ROUTER_LAN_MAC, ROUTER_WAN_MAC, GATEWAY_IP, hostMac } from './helpers/net.ts';
import { lan, wan } from './helpers/traffic.ts';
import { arpReply, arpRequest, parseFrame } from '../host/packets.ts';

const H1 = '192.168.1.10';
const R1 = '203.0.113.5';

describe('ARP', () => {
  it('answers for the LAN address and ignores requests for other hosts', async () => {
    const net = await Net.create();
    net.fromLan(arpRequest({ srcMac: hostMac(H1), senderIp: H1, targetIp: LAN_IP }));
    net.fromLan(arpRequest({ srcMac: hostMac(H1), senderIp: H1, targetIp: '192.168.1.77' }));
    const out = net.router.process(2000);
    expect(out).toHaveLength(1);
    const p = parseFrame(out[0].data);
    expect(p.arp!.op).toBe(2);
    expect(p.arp!.senderIp).toBe(LAN_IP);
    expect(p.arp!.senderMac).toBe(ROUTER_LAN_MAC);
    expect(p.eth.dst).toBe(hostMac(H1));
  });

  it('holds a packet while it resolves the next hop, then sends it', async () => {
    const net = await Net.create();
    net.fromLan(lan.udp({ src: H1, dst: R1, sport: 1, dport: 2 }));
    const first = net.router.process(2000);
    expect(first).toHaveLength(1);
    expect(parseFrame(first[0].data).arp!.targetIp).toBe('198.51.100.1');
    expect(net.counters().arp_queued).toBe(1);
  });

  it('drops what waited too long for an answer that never came', async () => {
    const net = await Net.create();
    net.fromLan(lan.udp({ src: H1, dst: R1, sport: 1, dport: 2 }));
    net.router.process(2000);
    net.router.process(6000);
    expect(net.counters().drop_arp_timeout).toBe(1);
  });
});

describe('ARP senders that are us', () => {
  it('ignores a reply whose sender MAC is ours, and keeps the frame for the real answer', async () => {
    const net = await Net.create();
    net.fromLan(lan.udp({ src: H1, dst: R1, sport: 1, dport: 2 }));
    net.router.process(2000); // asks for the gateway, holds the frame
    for (const mac of [ROUTER_WAN_MAC, ROUTER_LAN_MAC]) {
      net.router.receive(1, arpReply({ srcMac: mac, dstMac: ROUTER_WAN_MAC, senderIp: GATEWAY_IP, targetIp: WAN_IP }));
    }
    expect(net.router.process(2001)).toHaveLength(0); // nothing sent to ourselves
    expect(net.counters().arp_ignored).toBe(2);
    net.router.receive(1, arpReply({ srcMac: '02:00:00:00:02:fe', dstMac: ROUTER_WAN_MAC, senderIp: GATEWAY_IP, targetIp: WAN_IP }));
    const out = net.router.process(2002);
    expect(out).toHaveLength(1);
    expect(parseFrame(out[0].data).eth.dst).toBe('02:00:00:00:02:fe');
  });

  it('ignores requests from our own MAC, a multicast MAC or our own address, and answers none of them', async () => {
    const net = await Net.create();
    net.fromLan(arpRequest({ srcMac: ROUTER_LAN_MAC, senderIp: H1, targetIp: LAN_IP }));
    net.fromLan(arpRequest({ srcMac: '01:00:5e:00:00:01', senderIp: H1, targetIp: LAN_IP }));
    net.fromLan(arpRequest({ srcMac: hostMac(H1), senderIp: LAN_IP, targetIp: LAN_IP }));
    expect(net.router.process(2000)).toHaveLength(0);
    expect(net.counters().arp_ignored).toBe(3);
    expect(net.counters().arp_replies_out).toBe(0);
  });
});

describe('ARP queue shares', () => {
  it('queues at most a quarter of the queue for one silent next hop, so another host still gets its frame', async () => {
    const net = await Net.create({ limits: { arpQueue: 8 } });
    const H2 = '192.168.1.11';
    net.fromLan(lan.udp({ src: H1, dst: R1, sport: 7000, dport: 53 })).step();
    net.fromLan(lan.udp({ src: H2, dst: R1, sport: 7002, dport: 53 })).step();
    // Replies for both; the LAN hosts have not answered ARP yet (the router asks, nobody answers here).
    for (let i = 0; i < 10; i++) net.fromWan(wan.udp({ src: R1, dst: WAN_IP, sport: 53, dport: 7000, payload: new Uint8Array([i]) }));
    net.router.process((net.now += 1));
    const t = net.now + 1;
    net.fromWan(wan.udp({ src: R1, dst: WAN_IP, sport: 53, dport: 7002 }));
    net.router.process(t);
    net.router.receive(0, arpReply({ srcMac: hostMac(H2), dstMac: ROUTER_LAN_MAC, senderIp: H2, targetIp: LAN_IP }));
    const out = net.router.process(t + 1).map((f) => parseFrame(f.data));
    expect(out.filter((p) => p.ip?.dst === H2)).toHaveLength(1);
    expect(net.counters().drop_arp_queue_host_share).toBe(8);
  });
});

describe('IPv4 and the router itself', () => {
  it('answers pings to its LAN and WAN addresses', async () => {
    const net = await Net.create();
    const a = net.fromLan(lan.ping({ src: H1, dst: LAN_IP, type: 8, id: 1, seq: 1 })).step();
    const b = net.fromWan(wan.ping({ src: R1, dst: WAN_IP, type: 8, id: 2, seq: 1 })).step();
    expect(a[0].p.icmp!.type).toBe(0);
    expect(a[0].p.ip!.src).toBe(LAN_IP);
    expect(b[0].p.icmp!.type).toBe(0);
    expect(b[0].p.ip!.dst).toBe(R1);
    expect(b[0].p.icmp!.checksumOk).toBe(true);
    net.checkCaptures();
  });

  it('keeps quiet on the WAN when told not to answer pings', async () => {
    const net = await Net.create({ wan: { answerPing: false } });
    expect(net.fromWan(wan.ping({ src: R1, dst: WAN_IP, type: 8, id: 2, seq: 1 })).step()).toHaveLength(0);
  });

  it('sends Time Exceeded for a packet whose TTL runs out, quoting it', async () => {
    const net = await Net.create();
    const out = net.fromLan(lan.udp({ src: H1, dst: R1, sport: 33434, dport: 33435, ttl: 1 })).step();
    expect(out).toHaveLength(1);
    expect(out[0].port).toBe(0);
    expect(out[0].p.icmp!.type).toBe(11);
    expect(out[0].p.ip!.dst).toBe(H1);
    expect(out[0].p.icmp!.checksumOk).toBe(true);
    expect(net.counters().drop_ttl_exceeded).toBe(1);
  });

  it('drops and counts malformed IPv4: bad checksum, bad version, truncated, and every prefix of a frame', async () => {
    const net = await Net.create();
    const good = lan.udp({ src: H1, dst: R1, sport: 1000, dport: 53 });
    const badSum = new Uint8Array(good);
    badSum[24] ^= 0xff;
    const badVersion = new Uint8Array(good);
    badVersion[14] = 0x65;
    net.fromLan(badSum).fromLan(badVersion);
    for (let n = 0; n < good.length; n++) net.fromLan(good.subarray(0, n));
    net.step();
    const c = net.counters();
    expect(c.drop_ip_checksum).toBe(1);
    expect(c.drop_ip_version).toBe(1);
    expect(c.drop_runt + c.drop_ip_malformed + c.drop_l4_malformed).toBe(good.length);
    expect(c.nat_in2out).toBe(0);
  });

  it('refuses LAN frames with a source outside the LAN (anti-spoofing)', async () => {
    const net = await Net.create();
    expect(net.fromLan(lan.udp({ src: '10.9.9.9', dst: R1, sport: 1, dport: 2 })).step()).toHaveLength(0);
    expect(net.fromWan(wan.udp({ src: H1, dst: WAN_IP, sport: 1, dport: 2 })).step()).toHaveLength(0);
    expect(net.counters().drop_martian).toBe(2);
  });
});
