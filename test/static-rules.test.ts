// The technote's static rules: Server List, Default Server, Map List and Transparent Maps.
import { describe, expect, it } from 'vitest';
import { Net, LAN, WAN, WAN_IP } from './helpers/net.ts';
import { lan, wan } from './helpers/traffic.ts';
import { DUMP_MAPPINGS } from '../host/abi.ts';

const H1 = '192.168.1.10';
const R1 = '203.0.113.5';

describe('Server List', () => {
  it('forwards an external port (range) to an internal host and port, both ways', async () => {
    const net = await Net.create({ nat: { serverList: [{ name: 'web', protocol: 'tcp', externalPort: '8080-8081', internalHost: H1, internalPort: 80 }] } });
    const syn = LAN(net.fromWan(wan.tcp({ src: R1, dst: WAN_IP, sport: 40000, dport: 8081, flags: 'S', seq: 1 })).step());
    expect(syn).toHaveLength(1);
    expect(syn[0].p.ip!.dst).toBe(H1);
    expect(syn[0].p.tcp!.dport).toBe(81);
    const reply = WAN(net.fromLan(lan.tcp({ src: H1, dst: R1, sport: 81, dport: 40000, flags: 'SA', seq: 5, ack: 2 })).step());
    expect(reply[0].p.tcp!.sport).toBe(8081);
    expect(reply[0].p.ip!.src).toBe(WAN_IP);
    expect(net.counters().server_list_in).toBe(1);
    net.checkCaptures();
  });

  it('does not forward the other protocol', async () => {
    const net = await Net.create({ nat: { serverList: [{ name: 'ike', protocol: 'udp', externalPort: 500, internalHost: H1, internalPort: 500 }] } });
    expect(net.fromWan(wan.tcp({ src: R1, dst: WAN_IP, sport: 1, dport: 500, flags: 'S', seq: 1 })).step()).toHaveLength(0);
  });

  it('never hands a forwarded port to a dynamic mapping', async () => {
    const net = await Net.create({ nat: { serverList: [{ name: 'game', protocol: 'udp', externalPort: 27015, internalHost: '192.168.1.20' }] } });
    const out = WAN(net.fromLan(lan.udp({ src: H1, dst: R1, sport: 27015, dport: 27015 })).step());
    expect(out[0].p.udp!.sport).not.toBe(27015);
  });

  it('refuses an entry whose internal host is not on the LAN, naming the entry', async () => {
    await expect(Net.create({ nat: { serverList: [{ protocol: 'udp', externalPort: 500, internalHost: '10.0.0.1' }] } })).rejects.toThrow(/nat\.serverList\[0\]\.internalHost/);
  });
});

describe('Default Server', () => {
  it('receives what nothing else claims, on the same port', async () => {
    const net = await Net.create({ nat: { defaultServer: '192.168.1.50' } });
    const got = LAN(net.fromWan(wan.udp({ src: R1, dst: WAN_IP, sport: 999, dport: 6000 })).step());
    expect(got[0].p.ip!.dst).toBe('192.168.1.50');
    expect(got[0].p.udp!.dport).toBe(6000);
    expect(net.counters().default_server_in).toBe(1);
  });

  it('never gives the server a second external port for an endpoint it already has a mapping for (RFC 4787 REQ-1)', async () => {
    const DS = '192.168.1.50', H2 = '192.168.1.11';
    const net = await Net.create({ nat: { defaultServer: DS, filtering: 'endpoint-independent' } });
    // H2 holds port 5000, so the server's own 5000 is mapped to another port; then H2's mapping expires
    // while the server's stays in use.
    expect(WAN(net.fromLan(lan.udp({ src: H2, dst: R1, sport: 5000, dport: 53 })).step())[0].p.udp!.sport).toBe(5000);
    const ext = WAN(net.fromLan(lan.udp({ src: DS, dst: R1, sport: 5000, dport: 53 })).step())[0].p.udp!.sport;
    expect(ext).not.toBe(5000);
    for (let i = 0; i < 4; i++) {
      net.idle(100_000);
      net.fromLan(lan.udp({ src: DS, dst: R1, sport: 5000, dport: 53 })).step();
    }
    expect(net.router.dumpTable(DUMP_MAPPINGS).map((r) => r[4])).toEqual([ext]); // H2's mapping is gone
    // Port 5000 is free again: a stranger's datagram to it must not map the server's 5000 a second time.
    expect(LAN(net.fromWan(wan.udp({ src: '203.0.113.9', dst: WAN_IP, sport: 77, dport: 5000 })).step())).toHaveLength(0);
    expect(net.counters().drop_unsolicited).toBe(1);
    expect(net.router.dumpTable(DUMP_MAPPINGS).map((r) => r[4])).toEqual([ext]);
    // Every remote still sees the server's one external port (endpoint-independent mapping) ...
    expect(WAN(net.fromLan(lan.udp({ src: DS, dst: '203.0.113.6', sport: 5000, dport: 53 })).step())[0].p.udp!.sport).toBe(ext);
    // ... and reaches it there.
    const back = LAN(net.fromWan(wan.udp({ src: '203.0.113.9', dst: WAN_IP, sport: 77, dport: ext })).step());
    expect(back[0].p.ip!.dst).toBe(DS);
    expect(back[0].p.udp!.dport).toBe(5000);
  });
});

describe('Map List', () => {
  const routed = { lan: { routedSubnet: '203.0.113.33/28' } };

  it('maps a LAN host 1:1 to a public address without touching ports', async () => {
    const net = await Net.create({ nat: { mapList: [{ name: 'nas', internal: H1, external: '198.51.100.20' }] } });
    const out = WAN(net.fromLan(lan.udp({ src: H1, dst: R1, sport: 5000, dport: 53 })).step());
    expect(out[0].p.ip!.src).toBe('198.51.100.20');
    expect(out[0].p.udp!.sport).toBe(5000);
    expect(out[0].p.udp!.checksumOk).toBe(true);
    const inb = LAN(net.fromWan(wan.udp({ src: R1, dst: '198.51.100.20', sport: 1, dport: 22 })).step());
    expect(inb[0].p.ip!.dst).toBe(H1);
  });

  it('passes a Transparent Map host with no rewrite at all', async () => {
    const net = await Net.create({ ...routed, nat: { mapList: [{ name: 'vpn', internal: '203.0.113.34', external: '203.0.113.34' }] } });
    const frame = lan.ah({ src: '203.0.113.34', dst: R1, spi: 0x1234, seq: 1, nextHeader: 4 });
    const out = WAN(net.fromLan(frame).step());
    expect(out).toHaveLength(1);
    expect(out[0].p.ip!.src).toBe('203.0.113.34');
    expect(Buffer.from(out[0].data.subarray(14 + 12, 14 + 20))).toEqual(Buffer.from(frame.subarray(14 + 12, 14 + 20)));
    const back = LAN(net.fromWan(wan.ah({ src: R1, dst: '203.0.113.34', spi: 0x4321, seq: 1, nextHeader: 4 })).step());
    expect(back[0].p.ip!.dst).toBe('203.0.113.34');
    expect(net.counters().transparent_pass).toBe(2);
  });
});
