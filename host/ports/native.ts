// Native frame ports (host/ports/native, an N-API addon): a TAP interface or a real interface through
// AF_PACKET. The batch path (host/ports/pump.ts) reads and writes the module's rings through them with
// no JavaScript per frame; asFramePort() also offers the frame-at-a-time interface for mixing with a
// dgram port. Counters are per port (stats()).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SLOT_DATA } from '../abi.ts';
import type { FramePort } from './port.ts';

const ADDON = fileURLToPath(new URL('./native/build/Release/natpass_ports.node', import.meta.url));

export type NativeKind = 'tap' | 'packet';

export interface PortStats {
  rxBatches: number; rxFrames: number; rxFull: number; txFrames: number; txDrops: number; kernelDrops: number;
  /** TCP super-frames written, each several of txFrames (host/ports/native/merge.c). */
  txMerged: number;
  /** TCP super-frames received and cut into frames (host/ports/native/split.c). */
  rxSplit: number;
}

interface Addon {
  open(kind: NativeKind, name: string): number;
  poll(handle: number, fn: () => void): void;
  read(handle: number, mem: Uint8Array, ring: number, slotBytes: number, portNo: number, first: number, max: number): number;
  write(lan: number, wan: number, mem: Uint8Array, outRing: number, slotBytes: number, count: number): void;
  stats(handle: number): PortStats;
  close(handle: number): void;
}

let loaded: Addon | null = null;
export function addon(): Addon {
  if (!existsSync(ADDON)) throw new Error(`the native port addon is not built (${ADDON}): run make tap-addon`);
  return (loaded ??= createRequire(import.meta.url)(ADDON) as Addon);
}

export interface NativePort extends FramePort {
  readonly kind: NativeKind;
  readonly handle: number;
  /** Calls fn whenever frames are waiting (once per readiness event, not per frame). */
  onReadable(fn: () => void): void;
  stats(): PortStats;
  /** True once close() ran. */
  readonly closed: boolean;
}

export function isNative(p: FramePort): p is NativePort {
  return 'handle' in p;
}

const SCRATCH_SLOT = 2048;
const SCRATCH_SLOTS = 64;

/** Opens a TAP (created if missing) or binds to an existing interface (packet). */
export function openNativePort(kind: NativeKind, name: string): NativePort {
  const a = addon();
  const handle = a.open(kind, name);
  // The frame-at-a-time interface reads into its own small ring and hands out each frame.
  const scratch = new Uint8Array(SCRATCH_SLOT * SCRATCH_SLOTS);
  const one = new Uint8Array(SCRATCH_SLOT);
  let polled = false;
  const port: NativePort = {
    kind,
    handle,
    description: `${kind === 'tap' ? 'tap' : 'AF_PACKET on'} ${name}`,
    onReadable(fn) {
      if (polled) throw new Error(`${name}: already polled`);
      polled = true;
      a.poll(handle, fn);
    },
    onFrame(handler) {
      port.onReadable(() => {
        const n = a.read(handle, scratch, 0, SCRATCH_SLOT, 0, 0, SCRATCH_SLOTS);
        for (let k = 0; k < n; k++) {
          const at = k * SCRATCH_SLOT;
          const len = Math.min(scratch[at + 2] | (scratch[at + 3] << 8), SCRATCH_SLOT - SLOT_DATA);
          handler(scratch.slice(at + SLOT_DATA, at + SLOT_DATA + len));
        }
      });
    },
    send(frame) {
      const len = Math.min(frame.length, SCRATCH_SLOT - SLOT_DATA);
      one[0] = 0; one[1] = 0; one[2] = len & 0xff; one[3] = len >> 8;
      one.set(frame.subarray(0, len), SLOT_DATA);
      a.write(handle, handle, one, 0, SCRATCH_SLOT, 1);
    },
    stats: () => a.stats(handle),
    closed: false,
    close: () => { (port as { closed: boolean }).closed = true; a.close(handle); },
  };
  return port;
}
