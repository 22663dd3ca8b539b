// The batch path between two native ports and the module's rings: on a readiness event the addon
// reads frames straight into the input ring's slots (LAN and WAN share it, each first offered half),
// process() runs once, and the addon transmits the whole output ring (host/ports/native/batch.c).
// JavaScript runs once per batch, never per frame, unless --pcap asks for copies.
import { PORT_LAN, PORT_WAN, SLOT_DATA, SLOT_LENGTH, SLOT_PORT, SLOT_REF } from '../abi.ts';
import type { PcapWriter } from '../pcap.ts';
import type { Router } from '../router.ts';
import { addon, NativePort, PortStats } from './native.ts';

// Full batches handled per readiness event before the event loop gets a turn (the poll is
// level-triggered, so frames still waiting in the kernel bring us straight back; frames the addon
// holds itself, the rest of a super-frame being cut, are fetched by a drain scheduled after that turn).
const ROUNDS_PER_EVENT = 16;

export interface PumpStats {
  batches: number;
  frames: number;
  largestBatch: number;
  lan: PortStats;
  wan: PortStats;
}

export class BatchPump {
  private batches = 0;
  private frames = 0;
  private largestBatch = 0;
  private readonly io = addon();
  private again: NodeJS.Immediate | null = null;

  constructor(
    private readonly router: Router,
    private readonly lan: NativePort,
    private readonly wan: NativePort,
    private readonly now: () => number,
    private readonly pcaps: PcapWriter[] | null = null,
  ) {}

  start(): void {
    const drain = () => this.drain();
    this.lan.onReadable(drain);
    this.wan.onReadable(drain);
  }

  /** Runs batches until the ports are empty or ROUNDS_PER_EVENT full batches have run; then once more
   *  after the event loop's turn, since the addon may hold frames no readiness event announces. */
  drain(): void {
    for (let round = 0; round < ROUNDS_PER_EVENT; round++) {
      if (!this.batch()) return;
    }
    this.again ??= setImmediate(() => { this.again = null; if (!this.lan.closed && !this.wan.closed) this.drain(); });
  }

  /** One batch; true when it filled the ring (more frames are probably waiting). */
  batch(): boolean {
    const { inRing, slotBytes, capacity } = this.router.ringLayout();
    const mem = this.router.engine.memory();
    const lan = this.lan.handle, wan = this.wan.handle;
    // Each side is offered half the ring first, so a flood on one cannot starve the other.
    const half = Math.max(1, capacity >>> 1);
    let n = this.io.read(lan, mem, inRing, slotBytes, PORT_LAN, 0, half);
    n += this.io.read(wan, mem, inRing, slotBytes, PORT_WAN, n, capacity - n);
    if (n < capacity) n += this.io.read(lan, mem, inRing, slotBytes, PORT_LAN, n, capacity - n);
    if (n === 0) return false;
    this.batches++;
    this.frames += n;
    if (n > this.largestBatch) this.largestBatch = n;
    if (this.pcaps) this.capture(inRing, n);
    this.transmit(this.router.processRing(n, this.now()));
    return n === capacity;
  }

  /** Lets the module's timers run when no frames arrive (natpass run's ticker). */
  tick(): void {
    this.transmit(this.router.processRing(0, this.now()));
  }

  private transmit(produced: number): void {
    if (produced === 0) return;
    const { outRing, slotBytes } = this.router.ringLayout();
    const mem = this.router.engine.memory();
    if (this.pcaps) this.capture(outRing, produced);
    this.io.write(this.lan.handle, this.wan.handle, mem, outRing, slotBytes, produced);
  }

  /** Copies each slot's frame to its port's capture (only with --pcap). */
  private capture(ring: number, count: number): void {
    const { slotBytes } = this.router.ringLayout();
    const mem = this.router.engine.memory();
    const dv = new DataView(mem.buffer, mem.byteOffset, mem.byteLength);
    const t = Date.now();
    for (let k = 0; k < count; k++) {
      const slot = ring + k * slotBytes;
      const len = dv.getUint16(slot + SLOT_LENGTH, true);
      const at = len & SLOT_REF ? dv.getUint32(slot + SLOT_DATA, true) : slot + SLOT_DATA;
      const bytes = Math.min(len & ~SLOT_REF, slotBytes - SLOT_DATA);
      this.pcaps![dv.getUint16(slot + SLOT_PORT, true) & 1].write(t, mem.subarray(at, at + bytes));
    }
  }

  stats(): PumpStats {
    return { batches: this.batches, frames: this.frames, largestBatch: this.largestBatch, lan: this.lan.stats(), wan: this.wan.stats() };
  }
}

/** One status line: batches, frames per batch and each port's frames and drops. */
export function formatPumpStats(s: PumpStats): string {
  const perBatch = s.batches ? (s.frames / s.batches).toFixed(1) : '0';
  const port = (name: string, p: PortStats) =>
    `${name} rx=${p.rxFrames} rx_batches=${p.rxBatches} rx_split=${p.rxSplit} tx=${p.txFrames} tx_merged=${p.txMerged} tx_drops=${p.txDrops} kernel_drops=${p.kernelDrops}`;
  return `io: batches=${s.batches} frames=${s.frames} frames_per_batch=${perBatch} largest_batch=${s.largestBatch} | ${port('lan', s.lan)} | ${port('wan', s.wan)}`;
}
