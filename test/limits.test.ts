// Bounded tables: quotas, a full table, and memory that never grows after init.
import { describe, expect, it } from 'vitest';
import { Net, WAN } from './helpers/net.ts';
import { lan } from './helpers/traffic.ts';
import { DUMP_SESSIONS } from '../host/abi.ts';

const R1 = '203.0.113.5';

describe('limits', () => {
  it('spends at most 64 bytes of linear memory per flow: session, mapping and their buckets', async () => {
    // The slope of memoryUsed() over table sizes, with as many mappings as sessions (every flow its own
    // mapping, the worst case); nat/flow.ts has the layout. Sizes are powers of two, as the buckets are.
    const used = async (n: number) => (await Net.create({ limits: { sessions: n, mappings: n } })).router.engine.call('memoryUsed') >>> 0;
    for (const [a, b] of [[1024, 2048], [8192, 16384]]) {
      const perFlow = ((await used(b)) - (await used(a))) / (b - a);
      expect(perFlow, `${a} -> ${b} flows`).toBeLessThanOrEqual(64);
    }
  });

  it('refuses mappings past the per-host quota while existing flows keep working', async () => {
    const net = await Net.create({ limits: { hostQuota: 2 } });
    for (const sport of [1001, 1002, 1003]) net.fromLan(lan.udp({ src: '192.168.1.10', dst: R1, sport, dport: 53 }));
    expect(WAN(net.step())).toHaveLength(2);
    expect(net.counters().drop_host_quota).toBe(1);
    expect(WAN(net.fromLan(lan.udp({ src: '192.168.1.10', dst: R1, sport: 1001, dport: 53 })).step())).toHaveLength(1);
    expect(WAN(net.fromLan(lan.udp({ src: '192.168.1.11', dst: R1, sport: 1003, dport: 53 })).step())).toHaveLength(1);
  });

  it('refuses new flows when the session table is full, without disturbing existing ones', async () => {
    const net = await Net.create({ limits: { sessions: 4, mappings: 4 } });
    for (let i = 0; i < 6; i++) net.fromLan(lan.udp({ src: '192.168.1.10', dst: R1, sport: 2000 + i, dport: 53 }));
    expect(WAN(net.step())).toHaveLength(4);
    expect(net.counters().drop_session_table_full + net.counters().drop_mapping_table_full).toBe(2);
    expect(WAN(net.fromLan(lan.udp({ src: '192.168.1.10', dst: R1, sport: 2000, dport: 53 })).step())).toHaveLength(1);
  });

  it('pushes 1M packets through without growing memory, and the tables stay within their sizes', async () => {
    const net = await Net.create({ limits: { sessions: 4096, mappings: 4096 } });
    net.fromLan(lan.udp({ src: '192.168.1.10', dst: R1, sport: 1, dport: 53 })).step(); // resolve the gateway
    const before = net.router.memoryBytes();
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 8192; i++) frames.push(lan.udp({ src: `192.168.1.${10 + (i % 200)}`, dst: R1, sport: 1024 + (i % 5000), dport: 53 }));
    let sent = 0;
    let t = net.now;
    while (sent < 1_000_000) {
      for (let k = 0; k < 256; k++) net.router.receive(0, frames[(sent + k) % frames.length]);
      net.router.process(++t);
      sent += 256;
    }
    expect(net.router.memoryBytes()).toBe(before);
    expect(net.router.dumpTable(DUMP_SESSIONS).length).toBeLessThanOrEqual(4096);
    expect(net.counters().rx_frames).toBeGreaterThanOrEqual(1_000_000);
    const c = net.counters(); // drop_host_share: past a host's share while the table keeps others' floors
    expect(c.nat_in2out + c.drop_session_table_full + c.drop_mapping_table_full + c.drop_host_share).toBeGreaterThanOrEqual(1_000_000);
  }, 120_000);
});
