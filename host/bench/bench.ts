// make bench: packets per second through process() on every engine, in one run, on one machine.
// Cells: 64-byte UDP frames, batch 1/32/256, 1k/16k/64k active flows, hits (established flows) and
// misses (every packet a new flow into an empty table). Engines: V8, wasm3 (our addon), the same
// module translated to C by wasm2c and compiled natively (the ceiling), and a plain-TypeScript NAPT
// (the baseline). Median of RUNS runs; instructions per packet for wasm3 and wasm2c from callgrind.
// Writes build/bench/results.json and build/bench/results.svg (host/bench/plot.ts), and prints the table.
import { run } from '../child.ts';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import { encodeConfig, parseConfig } from '../config.ts';
import { Engine, loadEngine } from '../engines/engine.ts';
import { WASM_PATH } from '../router.ts';
import { arpRequest, udp } from '../packets.ts';
import { TsNapt } from './ts-napt.ts';
import { BenchResult, plotSvg } from './plot.ts';

const OUT = 'build/bench';
const FRAME = 64;
const BATCHES = [1, 32, 256];
const FLOWS = [1024, 16384, 65535];
const MODES = ['hits', 'misses'] as const;
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TARGET_S = Number(process.env.BENCH_SECONDS ?? 0.2);
type Mode = (typeof MODES)[number];

const CONFIG = parseConfig({ limits: { sessions: 65535, mappings: 65535, hostQuota: 4096, batch: 256, outSlots: 512 } });
const RECORD = encodeConfig(CONFIG);

function buildFrames(): Uint8Array {
  const all = new Uint8Array((1 + 65536) * FRAME);
  all.set(arpRequest({ srcMac: '02:00:00:00:02:fe', senderIp: '198.51.100.1', targetIp: '198.51.100.2' }));
  // Flow i: inside endpoint i % 8192 (250 hosts x 33 ports) to remote i / 8192 (8 servers): the 64k
  // sessions share 8192 mappings, as real traffic does; a WAN address has only 64512 ports to give.
  for (let i = 0; i < 65536; i++) {
    const m = i % 8192;
    const f = udp({
      srcMac: '02:00:00:00:11:01', dstMac: CONFIG.lan.mac, src: `192.168.1.${2 + (m % 250)}`, dst: `203.0.113.${1 + Math.floor(i / 8192)}`,
      sport: 10000 + Math.floor(m / 250), dport: 9000, payload: new Uint8Array(FRAME - 42),
    });
    all.set(f, (1 + i) * FRAME);
  }
  return all;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One measurement on a Node engine: copy frames into the ring exactly as host/router.ts does, call process(). */
function nodeRun(e: Engine, frames: Uint8Array, batch: number, flows: number, mode: Mode, packets: number): number {
  let mem = e.memory();
  mem.set(RECORD, e.call('configPtr') >>> 0);
  if (e.call('init', RECORD.length, 1) !== 0) throw new Error('init refused the bench config');
  mem = e.memory();
  const ring = e.call('inRing') >>> 0;
  const slot = e.call('slotBytes');
  const dv = new DataView(mem.buffer, mem.byteOffset);
  const send = (count: number, start: number) => {
    let k = start;
    for (let sent = 0; sent < count; sent += batch) {
      for (let i = 0; i < batch; i++, k++) {
        const at = ring + i * slot;
        dv.setUint32(at, FRAME << 16, true);
        const f = 1 + (k % flows);
        mem.set(frames.subarray(f * FRAME, f * FRAME + FRAME), at + 4);
      }
      e.call('process', batch, 2);
    }
    return k - start;
  };
  dv.setUint32(ring, 1 | (FRAME << 16), true);
  mem.set(frames.subarray(0, FRAME), ring + 4);
  e.call('process', 1, 1);
  if (mode === 'hits') send(flows, 0);
  const t0 = performance.now();
  const sent = send(mode === 'hits' ? packets : flows, 0);
  return sent / ((performance.now() - t0) / 1000);
}

function tsRun(frames: Uint8Array, flows: number, mode: Mode, packets: number): number {
  const napt = new TsNapt(0xc6336402, new Uint8Array([2, 0, 0, 0, 2, 0xfe]), new Uint8Array([2, 0, 0, 0, 2, 1]));
  const scratch = new Uint8Array(FRAME);
  const send = (count: number) => {
    for (let k = 0; k < count; k++) {
      const f = 1 + (k % flows);
      scratch.set(frames.subarray(f * FRAME, f * FRAME + FRAME));
      napt.in2out(scratch, 2);
    }
    return count;
  };
  if (mode === 'hits') send(flows);
  const t0 = performance.now();
  const sent = send(mode === 'hits' ? packets : flows);
  return sent / ((performance.now() - t0) / 1000);
}

function buildDrivers(): void {
  const w2c = '/usr/share/wabt/wasm2c';
  const stamp = `${OUT}/drivers.stamp`;
  const key = createHash('sha256').update(readFileSync(WASM_PATH)).update(readFileSync('host/bench/driver.c')).digest('hex');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return;
  run('wasm2c', [WASM_PATH, '-n', 'np', '-o', `${OUT}/natpass_w2c.c`]);
  // wasm2c's instantiate() takes the imports' instances only when the module imports something; the
  // optimiser drops natpass.abort when no code path can reach it.
  const importsAbort = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(WASM_PATH))).length > 0;
  run('cc', ['-O2', '-DBACKEND_WASM2C', `-DNATPASS_IMPORTS_ABORT=${importsAbort ? 1 : 0}`, `-I${OUT}`, `-I${w2c}`, 'host/bench/driver.c', `${OUT}/natpass_w2c.c`, `${w2c}/wasm-rt-impl.c`, '-o', `${OUT}/driver-wasm2c`, '-lm']);
  const src = 'build/wasm3/source';
  const files = readFileSyncList(src);
  run('cc', ['-O2', '-DBACKEND_WASM3', '-Dd_m3HasWASI=0', `-I${src}`, 'host/bench/driver.c', ...files, '-o', `${OUT}/driver-wasm3`, '-lm']);
  writeFileSync(stamp, key);
}

function readFileSyncList(dir: string): string[] {
  return run('sh', ['-c', `ls ${dir}/m3_*.c`]).trim().split('\n');
}

function driverRun(kind: 'wasm2c' | 'wasm3', batch: number, flows: number, mode: Mode, packets: number, runs: number): number[] {
  const out = run(`${OUT}/driver-${kind}`, [`${OUT}/config.bin`, `${OUT}/frames.bin`, String(batch), String(flows), mode, String(packets), String(runs)]);
  return (JSON.parse(out) as { pps: number[] }).pps;
}

/** callgrind's instruction count for one driver run (run_cell only). */
function callgrindRun(kind: 'wasm2c' | 'wasm3', flows: number, mode: Mode, packets: number): number {
  const file = `${OUT}/callgrind.${kind}.${mode}.${flows}.${packets}`;
  run('valgrind', ['--tool=callgrind', `--callgrind-out-file=${file}`, '--toggle-collect=run_cell', `${OUT}/driver-${kind}`, `${OUT}/config.bin`, `${OUT}/frames.bin`, '256', String(flows), mode, String(packets), '1']);
  const m = /^summary:\s+(\d+)/m.exec(readFileSync(file, 'utf8')) ?? /^totals:\s+(\d+)/m.exec(readFileSync(file, 'utf8'));
  return Number(m![1]);
}

/** Instructions per packet from callgrind: the difference between two runs of different length. Hits:
 *  1k established flows; new flows: 4,096 against 2,048 new flows into an empty table. */
function instructionsPerPacket(kind: 'wasm2c' | 'wasm3', packets: number): { hits: number; newFlows: number } {
  return {
    hits: (callgrindRun(kind, 1024, 'hits', 2 * packets) - callgrindRun(kind, 1024, 'hits', packets)) / packets,
    newFlows: (callgrindRun(kind, 4096, 'misses', 1) - callgrindRun(kind, 2048, 'misses', 1)) / 2048,
  };
}

/** Linear memory per flow: the slope of memoryUsed() between two table sizes, with a mapping per
 *  session (every flow its own mapping, the most a flow can cost). */
async function bytesPerFlow(wasm: Uint8Array, a: number, b: number): Promise<number> {
  const used = async (n: number) => {
    const e = await loadEngine('v8', wasm);
    const record = encodeConfig(parseConfig({ limits: { sessions: n, mappings: n } }));
    e.memory().set(record, e.call('configPtr') >>> 0);
    if (e.call('init', record.length, 1) !== 0) throw new Error(`init refused ${n} sessions`);
    return e.call('memoryUsed') >>> 0;
  };
  return ((await used(b)) - (await used(a))) / (b - a);
}

type Result = BenchResult;

async function main() {
  mkdirSync(OUT, { recursive: true });
  const frames = buildFrames();
  writeFileSync(`${OUT}/config.bin`, RECORD);
  writeFileSync(`${OUT}/frames.bin`, frames);
  buildDrivers();
  const wasm = readFileSync(WASM_PATH);
  const v8 = await loadEngine('v8', wasm);
  const wasm3 = await loadEngine('wasm3', wasm);
  const results: Result[] = [];
  let lastMark = performance.now();
  const cells = MODES.length * FLOWS.length * BATCHES.length * 4;
  const add = (engine: string, batch: number, flows: number, mode: Mode, runs: number[]) => {
    results.push({ engine, batch, flows, mode, pps: median(runs), runs });
    // One line per cell with a count, so a long run shows how far it has come.
    process.stderr.write(`[${String(results.length).padStart(2)}/${cells}] ${engine.padEnd(6)} ${mode.padEnd(6)} ${String(flows / 1024).padStart(2)}k flows batch ${String(batch).padStart(3)}: ` +
      `${Math.round(median(runs)).toLocaleString('en-US')} pps (${((performance.now() - lastMark) / 1000).toFixed(1)} s)\n`);
    lastMark = performance.now();
  };
  // Size each measurement from a short calibration so every cell takes about TARGET_S seconds.
  const packetsFor = (pps: number) => Math.max(4096, Math.round(pps * TARGET_S));
  for (const mode of MODES) for (const flows of FLOWS) for (const batch of BATCHES) {
    const rounds = Array.from({ length: RUNS }, () => 0);
    const cal = (f: (n: number) => number) => packetsFor(f(20_000));
    const nV8 = cal((n) => nodeRun(v8, frames, batch, flows, mode, n));
    add('v8', batch, flows, mode, rounds.map(() => nodeRun(v8, frames, batch, flows, mode, nV8)));
    const nW3 = cal((n) => nodeRun(wasm3, frames, batch, flows, mode, n));
    add('wasm3', batch, flows, mode, rounds.map(() => nodeRun(wasm3, frames, batch, flows, mode, nW3)));
    const nC = packetsFor(median(driverRun('wasm2c', batch, flows, mode, 100_000, 1)));
    add('wasm2c', batch, flows, mode, driverRun('wasm2c', batch, flows, mode, nC, RUNS));
    const nTs = cal((n) => tsRun(frames, flows, mode, n));
    add('ts', batch, flows, mode, rounds.map(() => tsRun(frames, flows, mode, nTs)));
  }
  let ipp: Record<string, { hits: number; newFlows: number }> = {};
  try {
    ipp = { wasm3: instructionsPerPacket('wasm3', 5_000), wasm2c: instructionsPerPacket('wasm2c', 50_000) };
  } catch (e) {
    console.error(`callgrind skipped: ${(e as Error).message.split('\n')[0]}`);
  }
  const perFlow = [await bytesPerFlow(wasm, 1024, 2048), await bytesPerFlow(wasm, 16384, 32768)];
  const date = new Date().toISOString().slice(0, 10);
  const get = (engine: string, r: Result) => results.find((x) => x.engine === engine && x.batch === r.batch && x.flows === r.flows && x.mode === r.mode)!.pps;
  const fmt = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : `${(v / 1e3).toFixed(0)} k`);
  const lines = [
    `natpass bench ${date}: packets/s through process(), 64-byte UDP, median of ${RUNS}`,
    '| mode | flows | batch | wasm2c (native) | V8 | wasm3 | TS baseline | V8/wasm2c | wasm3/V8 | V8/TS |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.filter((r) => r.engine === 'v8').map((r) =>
      `| ${r.mode} | ${r.flows / 1024}k | ${r.batch} | ${fmt(get('wasm2c', r))} | ${fmt(r.pps)} | ${fmt(get('wasm3', r))} | ${fmt(get('ts', r))} | ${(r.pps / get('wasm2c', r)).toFixed(2)} | ${(get('wasm3', r) / r.pps).toFixed(3)} | ${(r.pps / get('ts', r)).toFixed(2)} |`),
  ];
  if (ipp.wasm3) {
    lines.push('', `instructions per packet (callgrind, batch 256): hits (1k flows) wasm3 ${ipp.wasm3.hits.toFixed(0)}, wasm2c ${ipp.wasm2c.hits.toFixed(0)}; ` +
      `new flows wasm3 ${ipp.wasm3.newFlows.toFixed(0)}, wasm2c ${ipp.wasm2c.newFlows.toFixed(0)}`);
  }
  lines.push('', `linear memory per flow (memoryUsed slope, a mapping per session): ${perFlow[0]} bytes (1k -> 2k flows), ${perFlow[1]} bytes (16k -> 32k)`);
  console.log(lines.join('\n'));
  writeFileSync(`${OUT}/results.json`, JSON.stringify({ date, runs: RUNS, results, instructionsPerPacket: ipp }, null, 2));
  writeFileSync(`${OUT}/results.md`, lines.join('\n') + '\n');
  writeFileSync(`${OUT}/results.svg`, plotSvg(results, `${date}, median of ${RUNS} runs on this machine (${os.cpus().length} cores, shared)`));
}

await main();
