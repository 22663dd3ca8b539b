// make bench, second part: the longest single process() call on each engine in the two cases of issue 20
// (docs/fairness.md): 65,000 UDP sessions under one mapping expiring together, and a SYN flood from two
// source ports into a full session table. Only the process() call is timed (the ring is filled before);
// the module's own step count (workPeak) is printed beside it. Writes build/bench/longest-call.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { encodeConfig, parseConfig } from '../config.ts';
import { Engine, EngineKind, loadEngine, readAsString } from '../engines/engine.ts';
import { WASM_PATH } from '../router.ts';
import { arpReply, tcp, udp } from '../packets.ts';

const OUT = 'build/bench';
const BATCH = 256;
const CONFIG = parseConfig({ limits: { sessions: 65535, mappings: 1024, hosts: 1, batch: BATCH, outSlots: 512 }, timeouts: { udp: 120 } });
const RECORD = encodeConfig(CONFIG);
const HOST = { srcMac: '02:00:00:00:11:01', dstMac: CONFIG.lan.mac, src: '192.168.1.10' };
// Remote i: ports from 5000 up, clear of the IPsec ALG's UDP ports.
const remote = (i: number) => ({ dst: `203.0.113.${5 + Math.floor(i / 60_000)}`, dport: 5000 + (i % 60_000) });

interface Call {
  ms: number;
  steps: number;
}

class Driver {
  now = 1;
  longest: Call = { ms: 0, steps: 0 };
  mostSteps = 0;
  total = 0; // ms inside process()
  times: number[] = [];
  metered = true; // false for a module from before the work meter (BENCH_WASM, for a before/after figure)

  constructor(readonly e: Engine) {
    try { e.call('workPeak'); } catch { this.metered = false; }
    e.memory().set(RECORD, e.call('configPtr') >>> 0);
    if (e.call('init', RECORD.length, this.now) !== 0) throw new Error('init refused the config');
    // The gateway answers first, so that nothing waits on ARP.
    this.call([[1, arpReply({ srcMac: '02:00:00:00:02:fe', dstMac: CONFIG.wan.mac, senderIp: CONFIG.wan.gateway, targetIp: '198.51.100.2' })]]);
    this.call([[0, udp({ ...HOST, dst: '203.0.113.5', sport: 999, dport: 53 })]]);
  }

  /** One process() call on these frames ([port, frame]), timed alone. */
  call(frames: [number, Uint8Array][], at = ++this.now): void {
    const mem = this.e.memory();
    const ring = this.e.call('inRing') >>> 0;
    const slot = this.e.call('slotBytes');
    const dv = new DataView(mem.buffer, mem.byteOffset);
    frames.forEach(([port, f], k) => {
      dv.setUint16(ring + k * slot, port, true);
      dv.setUint16(ring + k * slot + 2, f.length, true);
      mem.set(f, ring + k * slot + 4);
    });
    const t0 = performance.now();
    this.e.call('process', frames.length, at >>> 0);
    const ms = performance.now() - t0;
    const steps = this.metered ? this.e.call('workPeak') >>> 0 : 0;
    this.total += ms;
    this.times.push(ms);
    if (ms > this.longest.ms) this.longest = { ms, steps };
    this.mostSteps = Math.max(this.mostSteps, steps);
  }

  flood(make: (i: number) => Uint8Array, from: number, count: number): void {
    for (let i = 0; i < count; i += BATCH) {
      const frames: [number, Uint8Array][] = [];
      for (let k = i; k < Math.min(i + BATCH, count); k++) frames.push([0, make(from + k)]);
      this.call(frames);
    }
  }

  reset(): void {
    this.longest = { ms: 0, steps: 0 };
    this.mostSteps = 0;
    this.total = 0;
    this.times = [];
  }

  /** The call time below which 99% of the calls since reset() lie. */
  p99(): number {
    const t = [...this.times].sort((a, b) => a - b);
    return t[Math.min(t.length - 1, Math.floor(t.length * 0.99))];
  }
}

function counter(e: Engine, name: string): number {
  const names = readAsString(e.memory(), e.call('counterNames') >>> 0).split(',');
  const base = e.call('counters') >>> 0;
  return new DataView(e.memory().buffer, e.memory().byteOffset).getUint32(base + names.indexOf(name) * 4, true);
}

async function expiry(kind: EngineKind, wasm: Uint8Array) {
  const d = new Driver(await loadEngine(kind, wasm));
  d.flood((i) => udp({ ...HOST, sport: 5000, ...remote(i) }), 0, 64_999);
  const last = d.now;
  d.reset();
  d.call([], last + 119_000);
  let at = last + 119_000;
  while (counter(d.e, 'sessions_expired') < 65_000 && at < last + 200_000) d.call([], (at += 10));
  return { case: 'expiry of 65,000 sessions under one mapping', kind, longestMs: d.longest.ms, p99Ms: d.p99(), stepsOfLongest: d.longest.steps, mostSteps: d.mostSteps, totalMs: d.total, lastGoneAfterTimeoutMs: at - last - 120_000 };
}

async function synFlood(kind: EngineKind, wasm: Uint8Array) {
  const d = new Driver(await loadEngine(kind, wasm));
  const syn = (i: number) => tcp({ ...HOST, dst: '203.0.113.5', sport: 6000 + (i % 2), dport: 1 + (i >> 1), flags: 'S' });
  d.flood(syn, 0, 65_535);
  d.reset();
  d.flood(syn, 65_535, 16_384);
  return { case: 'SYN flood from two ports into a full table (batch 256)', kind, longestMs: d.longest.ms, p99Ms: d.p99(), stepsOfLongest: d.longest.steps, mostSteps: d.mostSteps, totalMs: d.total, evicted: counter(d.e, 'sessions_evicted') };
}

async function main() {
  const wasm = readFileSync(process.env.BENCH_WASM ?? WASM_PATH);
  const rows = [];
  for (const kind of ['v8', 'wasm3'] as EngineKind[]) rows.push(await expiry(kind, wasm), await synFlood(kind, wasm));
  const lines = ['| case | engine | longest call | 99th percentile call | steps of the longest | most steps in a call | time in process() |', '|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    const us = (ms: number) => `${(ms * 1000).toFixed(0)} us`;
    lines.push(`| ${r.case} | ${r.kind} | ${us(r.longestMs)} | ${us(r.p99Ms)} | ${r.stepsOfLongest} | ${r.mostSteps} | ${r.totalMs.toFixed(1)} ms |`);
  }
  console.log(lines.join('\n'));
  mkdirSync(OUT, { recursive: true });
  writeFileSync(`${OUT}/longest-call.json`, JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
}

await main();
