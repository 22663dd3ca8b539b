// The router as the host sees it: one loaded module, its rings, its config and its state.
// Everything that moves frames (replay, run, tests, bench) goes through this class, so every
// caller uses the production ABI on whichever engine it picked.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ABI_VERSION, DUMP_END, INIT_ERRORS, Port, SLOT_DATA, SLOT_LENGTH, SLOT_PORT, SLOT_REF } from './abi.ts';
import { decodeConfig, encodeConfig, parseConfig, RouterConfig } from './config.ts';
import { Engine, EngineKind, engineFromEnv, loadEngine, readAsString } from './engines/engine.ts';

export const WASM_PATH = fileURLToPath(new URL('../build/natpass.wasm', import.meta.url));

export interface Frame {
  port: Port;
  data: Uint8Array;
}

/** Byte offsets in linear memory of the input and output rings (layout: docs/abi.md). */
export interface RingLayout {
  inRing: number;
  outRing: number;
  slotBytes: number;
  capacity: number;
}

export class Router {
  private pending: Frame[] = [];
  private slotBytes = 0;
  private counterNameList: string[] = [];
  private rings: RingLayout | null = null;

  private constructor(
    readonly engine: Engine,
    readonly config: RouterConfig,
  ) {}

  /** Loads the module on the chosen engine (default: NATPASS_ENGINE or v8) and applies the config. */
  static async create(config: unknown = {}, opts: { engine?: EngineKind; nowMs?: number; wasm?: Uint8Array } = {}): Promise<Router> {
    const parsed = parseConfig(config);
    const wasm = opts.wasm ?? readFileSync(WASM_PATH);
    const engine = await loadEngine(opts.engine ?? engineFromEnv(), wasm);
    const router = new Router(engine, parsed);
    const abi = engine.call('abiVersion');
    if (abi !== ABI_VERSION) throw new Error(`module ABI ${abi} does not match host ABI ${ABI_VERSION}: rebuild with make build`);
    router.slotBytes = engine.call('slotBytes');
    router.restart(parsed, opts.nowMs ?? 0);
    return router;
  }

  /** Re-initialises the module with a config (Restart System): all dynamic state is cleared. */
  restart(config: RouterConfig, nowMs: number): void {
    this.restartWithRecord(encodeConfig(config), nowMs);
    (this as { config: RouterConfig }).config = config;
  }

  /** Re-initialises the module from a binary config record (one the console saved, or a slot). */
  restartWithRecord(record: Uint8Array, nowMs: number): void {
    const ptr = this.engine.call('configPtr') >>> 0;
    if (record.length > this.engine.call('configCapacity')) throw new Error('config record is larger than the module accepts');
    this.engine.memory().set(record, ptr);
    this.rings = null; // init carves the rings again
    const rc = this.engine.call('init', record.length, nowMs >>> 0);
    if (rc !== 0) throw new Error(`module refused the config: ${INIT_ERRORS[rc] ?? `error ${rc}`}`);
    (this as { config: RouterConfig }).config = decodeConfig(record);
    const mem = this.engine.memory();
    this.counterNameList = readAsString(mem, this.engine.call('counterNames') >>> 0).split(',');
  }

  get batchCapacity(): number {
    return this.engine.call('batchCapacity') >>> 0;
  }

  /** Queues a received frame; it is handled at the next process(). */
  receive(port: Port, data: Uint8Array): void {
    this.pending.push({ port, data });
  }

  /** Hands every queued frame to the module in ring-sized batches; returns what it transmitted. */
  process(nowMs: number): Frame[] {
    const out: Frame[] = [];
    const cap = this.batchCapacity;
    const frames = this.pending;
    this.pending = [];
    let i = 0;
    do {
      const n = Math.min(cap, frames.length - i);
      this.runBatch(frames, i, n, nowMs, out);
      i += n;
    } while (i < frames.length);
    return out;
  }

  private runBatch(frames: Frame[], start: number, n: number, nowMs: number, out: Frame[]): void {
    const ring = this.engine.call('inRing') >>> 0;
    const maxData = this.slotBytes - SLOT_DATA;
    let mem = this.engine.memory();
    let dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    for (let k = 0; k < n; k++) {
      const f = frames[start + k];
      const slot = ring + k * this.slotBytes;
      dv.setUint16(slot + SLOT_PORT, f.port, true);
      // An oversize frame keeps its true length so the module counts it; only what fits is copied.
      dv.setUint16(slot + SLOT_LENGTH, Math.min(f.data.length, 0xffff), true);
      mem.set(f.data.subarray(0, maxData), slot + SLOT_DATA);
    }
    const produced = this.engine.call('process', n, nowMs >>> 0) >>> 0;
    mem = this.engine.memory();
    dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    const outRing = this.engine.call('outRing') >>> 0;
    for (let k = 0; k < produced; k++) {
      const slot = outRing + k * this.slotBytes;
      const len = dv.getUint16(slot + SLOT_LENGTH, true);
      const at = len & SLOT_REF ? dv.getUint32(slot + SLOT_DATA, true) : slot + SLOT_DATA;
      out.push({ port: dv.getUint16(slot + SLOT_PORT, true) as Port, data: mem.slice(at, at + (len & ~SLOT_REF)) });
    }
  }

  /** Where the rings lie, for a host that fills and drains them itself (host/ports/pump.ts). */
  ringLayout(): RingLayout {
    return (this.rings ??= {
      inRing: this.engine.call('inRing') >>> 0,
      outRing: this.engine.call('outRing') >>> 0,
      slotBytes: this.slotBytes,
      capacity: this.batchCapacity,
    });
  }

  /** Runs `count` frames the caller wrote into the input ring; returns how many output slots it filled. */
  processRing(count: number, nowMs: number): number {
    return this.engine.call('process', count, nowMs >>> 0) >>> 0;
  }

  counters(): Record<string, number> {
    const mem = this.engine.memory();
    const base = this.engine.call('counters') >>> 0;
    const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    const result: Record<string, number> = {};
    this.counterNameList.forEach((name, i) => (result[name] = dv.getUint32(base + i * 4, true)));
    return result;
  }

  /** Every record of one state table as rows of u32 words (meanings: host/state.ts). */
  dumpTable(table: number): Uint32Array[] {
    const rows: Uint32Array[] = [];
    const recordBytes = this.engine.call('dumpRecordBytes');
    let cursor = 0;
    while (cursor !== DUMP_END) {
      const n = this.engine.call('dump', table, cursor) >>> 0;
      const mem = this.engine.memory();
      const base = this.engine.call('dumpBuffer') >>> 0;
      for (let k = 0; k < n; k++) {
        const at = mem.byteOffset + base + k * recordBytes;
        rows.push(new Uint32Array(mem.buffer.slice(at, at + recordBytes)));
      }
      cursor = this.engine.call('dumpCursor') >>> 0;
    }
    return rows;
  }

  /** The most table work one process() call did since the last read, in steps (assembly/work.ts). */
  workPeak(): number {
    return this.engine.call('workPeak') >>> 0;
  }

  /** Linear memory size in bytes: fixed after init. */
  memoryBytes(): number {
    return this.engine.memory().byteLength;
  }
}
