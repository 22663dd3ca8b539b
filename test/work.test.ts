// The bound on one process() call's table work (docs/fairness.md), as the module's own step count
// (assembly/work.ts: records visited while unlinking, sessions examined by the sweep), never as time:
// the expiry of 65,000 sessions under one mapping, and a SYN flood from two ports into a full table.
import { describe, expect, it } from 'vitest';
import { Net } from './helpers/net.ts';
import { lan } from './helpers/traffic.ts';

const H1 = '192.168.1.10';
const R1 = '203.0.113.5';
// Remote i of many: ports from 5000 up, clear of the IPsec ALG's UDP ports (500, 4500).
const remote = (i: number) => ({ dst: `203.0.113.${5 + Math.floor(i / 60_000)}`, dport: 5000 + (i % 60_000) });
// 65,535 sessions (the most a table holds: nat/flow.ts) and one host (so it may take them all); the
// sweep removes 65,535 / 32 a call.
const CONFIG = { limits: { sessions: 65535, mappings: 1024, hosts: 1 }, timeouts: { udp: 120 } };
const EXPIRE_BUDGET = Math.floor(65535 / 32);
const BATCH = 256;
// The bound: per session the sweep removes, its examination and its two hash-chain unlinks (a few
// records each); per frame, one eviction's unlinks and a creation's probes. Hundreds of thousands of
// steps a call before O(1) removal: the mapping's list was walked from its head for each removal.
const BOUND = 4 * EXPIRE_BUDGET + 16 * BATCH;

/** Sends frames in batches of BATCH, one process() call each; returns the most work one call did. */
function pump(net: Net, frames: Uint8Array[]): number {
  let peak = 0;
  for (let i = 0; i < frames.length; i += BATCH) {
    for (const f of frames.slice(i, i + BATCH)) net.router.receive(0, f);
    net.router.process(++net.now);
    peak = Math.max(peak, net.router.workPeak());
  }
  return peak;
}

describe('work per process() call', () => {
  it('stays within the bound while 65,000 sessions under one mapping expire, and all leave within the lag', async () => {
    const net = await Net.create(CONFIG);
    net.fromLan(lan.udp({ src: H1, dst: R1, sport: 5000, dport: 1 })).step(); // the gateway resolves; one session
    const created = pump(net, Array.from({ length: 64_999 }, (_, i) => lan.udp({ src: H1, sport: 5000, ...remote(i) })));
    expect(created).toBeLessThanOrEqual(BOUND);
    expect(net.counters().sessions_created).toBe(65_000);
    const last = net.now;
    net.router.process((net.now = last + 119_000)); // nothing is idle yet
    let peak = net.router.workPeak();
    // A session leaves within 250 ms (its place in the timer list) + 10 ms (the sweep) of its timeout,
    // and a table's worth that went idle together within 32 sweeps more.
    while (net.now < last + 120_000 + 260 + 330) {
      net.router.process((net.now += 10));
      peak = Math.max(peak, net.router.workPeak());
    }
    expect(net.counters().sessions_expired).toBe(65_000);
    expect(net.counters().mappings_expired).toBe(1);
    expect(peak).toBeLessThanOrEqual(BOUND);
  }, 120_000);

  it('stays within the bound during a SYN flood from two ports into a full table', async () => {
    const net = await Net.create(CONFIG);
    net.fromLan(lan.udp({ src: H1, dst: R1, sport: 5000, dport: 1 })).step();
    const syn = (i: number) => lan.tcp({ src: H1, dst: R1, sport: 6000 + (i % 2), dport: 1 + (i >> 1), flags: 'S' });
    pump(net, Array.from({ length: 65_534 }, (_, i) => syn(i)));
    // The table is full: every further SYN evicts the flooder's oldest half-open session.
    const peak = pump(net, Array.from({ length: 16_384 }, (_, i) => syn(65_534 + i)));
    expect(net.counters().sessions_evicted).toBe(16_384);
    expect(peak).toBeLessThanOrEqual(BOUND);
  }, 120_000);
});
