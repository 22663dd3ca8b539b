// IPv4 fragments through the NAT: in order, out of order, both directions, bounded hold.
import { describe, expect, it } from 'vitest';
import { Net, LAN, WAN, WAN_IP } from './helpers/net.ts';
import { lan, wan } from './helpers/traffic.ts';
import { fragment } from '../host/packets.ts';

const H1 = '192.168.1.10';
const R1 = '203.0.113.5';
const big = Buffer.alloc(3000, 7);

describe('IPv4 fragments', () => {
  it('translates every fragment of an outbound datagram consistently', async () => {
    const net = await Net.create();
    const frags = fragment(lan.udp({ src: H1, dst: R1, sport: 5000, dport: 9000, payload: big, id: 4242 }), 1500);
    expect(frags.length).toBeGreaterThan(2);
    for (const f of frags) net.fromLan(f);
    const out = WAN(net.step());
    expect(out).toHaveLength(frags.length);
    for (const f of out) expect(f.p.ip!.src).toBe(WAN_IP);
    expect(out.find((f) => f.p.ip!.fragOffset === 0)!.p.udp!.sport).toBe(5000);
    net.checkCaptures();
  });

  it('holds fragments that arrive before the first one, then releases them', async () => {
    const net = await Net.create();
    net.fromLan(lan.udp({ src: H1, dst: R1, sport: 5000, dport: 9000 })).step();
    const frags = fragment(wan.udp({ src: R1, dst: WAN_IP, sport: 9000, dport: 5000, payload: big, id: 99 }), 1500);
    for (const f of frags.slice(1).reverse()) net.fromWan(f);
    expect(net.step()).toHaveLength(0);
    expect(net.counters().fragments_held).toBe(frags.length - 1);
    const out = LAN(net.fromWan(frags[0]).step());
    expect(out).toHaveLength(frags.length);
    for (const f of out) expect(f.p.ip!.dst).toBe(H1);
    expect(out[0].p.ip!.fragOffset).toBe(0); // the first fragment leaves first, the held ones after it
  });

  it('drops held fragments whose first fragment never comes', async () => {
    const net = await Net.create({ timeouts: { fragmentMs: 2000 } });
    net.fromLan(lan.udp({ src: H1, dst: R1, sport: 5000, dport: 9000 })).step();
    const frags = fragment(wan.udp({ src: R1, dst: WAN_IP, sport: 9000, dport: 5000, payload: big, id: 7 }), 1500);
    net.fromWan(frags[1]).step();
    net.idle(2500);
    expect(net.counters().drop_fragment_timeout).toBe(1);
  });
});
