// Configuration that survives power loss: two slots (A and B), each a versioned record with a CRC laid
// out by host/layout.ts (STORE_FIELDS; the boards' config_store.c reads the same record): a header, then
// the config record (assembly/config.ts) and the console's auth record.
// A save goes to the slot that does not hold the newest valid record, through a temporary file that is
// written, flushed and renamed into place, so a slot is the old record or the new one, never half of
// each; at boot the valid slot with the higher sequence wins and a corrupt or torn slot is ignored.
// The board keeps the same record in two flash sectors.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { STORE, STORE_MAGIC, STORE_VERSION } from './layout.ts';

const HEADER = STORE.bytes;
const at = Object.fromEntries(STORE.fields.map((f) => [f.name, f.offset])) as Record<(typeof STORE.fields)[number]['name'], number>;

export interface Saved {
  sequence: number;
  config: Uint8Array;
  auth: Uint8Array;
  slot: 'a' | 'b';
}

/** Steps of a save, in order; a test may make any of them fail to stand in for a power cut. */
export type SaveStep = 'create-temp' | 'write-header' | 'write-payload' | 'flush' | 'rename' | 'flush-dir';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function encodeSlot(sequence: number, config: Uint8Array, auth: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + config.length + auth.length);
  const v = new DataView(out.buffer);
  out.set(config, HEADER);
  out.set(auth, HEADER + config.length);
  v.setUint32(at.magic, STORE_MAGIC, true);
  v.setUint16(at.version, STORE_VERSION, true);
  v.setUint32(at.sequence, sequence >>> 0, true);
  v.setUint32(at.configLen, config.length, true);
  v.setUint32(at.authLen, auth.length, true);
  v.setUint32(at.crc, crc32(out.subarray(HEADER)), true);
  return out;
}

/** A slot's record, or null when it is missing, torn, corrupt or of another version. */
export function decodeSlot(bytes: Uint8Array | null, slot: 'a' | 'b'): Saved | null {
  if (!bytes || bytes.length < HEADER) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (v.getUint32(at.magic, true) !== STORE_MAGIC || v.getUint16(at.version, true) !== STORE_VERSION) return null;
  const configLen = v.getUint32(at.configLen, true), authLen = v.getUint32(at.authLen, true);
  if (HEADER + configLen + authLen !== bytes.length) return null;
  const payload = bytes.subarray(HEADER);
  if (crc32(payload) !== v.getUint32(at.crc, true)) return null;
  return { sequence: v.getUint32(at.sequence, true), config: payload.slice(0, configLen), auth: payload.slice(configLen), slot };
}

export class SlotStore {
  constructor(readonly dir: string, private failAt: SaveStep | null = null) {
    mkdirSync(dir, { recursive: true });
  }

  private path(slot: 'a' | 'b'): string {
    return join(this.dir, `config.${slot}`);
  }

  private read(slot: 'a' | 'b'): Saved | null {
    const p = this.path(slot);
    return decodeSlot(existsSync(p) ? new Uint8Array(readFileSync(p)) : null, slot);
  }

  /** The newest valid record, or null when neither slot holds one. */
  load(): Saved | null {
    const a = this.read('a'), b = this.read('b');
    if (!a || !b) return a ?? b;
    // Sequence numbers compare with wrap-around, like the module's clock.
    return ((b.sequence - a.sequence) | 0) > 0 ? b : a;
  }

  save(config: Uint8Array, auth: Uint8Array): Saved {
    const newest = this.load();
    const slot: 'a' | 'b' = newest?.slot === 'a' ? 'b' : 'a';
    const sequence = ((newest?.sequence ?? 0) + 1) >>> 0;
    const record = encodeSlot(sequence, config, auth);
    const temp = `${this.path(slot)}.tmp`;
    this.step('create-temp');
    const fd = openSync(temp, 'w');
    try {
      this.step('write-header');
      writeSync(fd, record, 0, HEADER);
      this.step('write-payload');
      writeSync(fd, record, HEADER, record.length - HEADER);
      this.step('flush');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.step('rename');
    renameSync(temp, this.path(slot));
    this.step('flush-dir');
    const dfd = openSync(this.dir, 'r');
    try { fsyncSync(dfd); } finally { closeSync(dfd); }
    return { sequence, config, auth, slot };
  }

  private step(s: SaveStep): void {
    if (this.failAt === s) throw new Error(`power lost at ${s}`);
  }
}
