// Classic pcap files (LINKTYPE_ETHERNET). Reading accepts both byte orders and micro- or nanosecond
// timestamps; writing uses little-endian microseconds. Errors name the file and the byte offset.
// PcapReader streams a file of any size; decodePcap and readPcap hold a whole (small) capture.
import { closeSync, fstatSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';

export interface PcapRecord {
  timeMs: number;
  data: Uint8Array;
}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 65535;

export class PcapError extends Error {}

export function encodePcap(records: PcapRecord[]): Uint8Array {
  const size = 24 + records.reduce((n, r) => n + 16 + r.data.length, 0);
  const out = new Uint8Array(size);
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC_US, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setUint32(16, SNAPLEN, true);
  v.setUint32(20, LINKTYPE_ETHERNET, true);
  let at = 24;
  for (const r of records) {
    const us = Math.round(r.timeMs * 1000);
    v.setUint32(at, Math.floor(us / 1e6), true);
    v.setUint32(at + 4, us % 1e6, true);
    v.setUint32(at + 8, r.data.length, true);
    v.setUint32(at + 12, r.data.length, true);
    out.set(r.data, at + 16);
    at += 16 + r.data.length;
  }
  return out;
}

export function writePcap(path: string, records: PcapRecord[]): void {
  writeFileSync(path, encodePcap(records));
}

interface Layout { little: boolean; nanos: boolean }

/** The 24-byte global header: byte order and timestamp unit from the magic, Ethernet only. */
function globalHeader(v: DataView, name: string): Layout {
  const m = v.getUint32(0, true);
  let little: boolean;
  if (m === MAGIC_US || m === MAGIC_NS) little = true;
  else if (v.getUint32(0, false) === MAGIC_US || v.getUint32(0, false) === MAGIC_NS) little = false;
  else throw new PcapError(`${name}: offset 0: bad magic 0x${m.toString(16)} (pcapng is not supported; convert with editcap -F pcap)`);
  const nanos = v.getUint32(0, little) === MAGIC_NS;
  const link = v.getUint32(20, little);
  if (link !== LINKTYPE_ETHERNET) throw new PcapError(`${name}: offset 20: link type ${link}, only Ethernet (1) is supported`);
  return { little, nanos };
}

/** One record's header at `at` (its file offset is `fileAt`): the time and the captured length, checked. */
function recordHeader(v: DataView, at: number, fileAt: number, layout: Layout, name: string): { timeMs: number; incl: number } {
  const sec = v.getUint32(at, layout.little);
  const frac = v.getUint32(at + 4, layout.little);
  const incl = v.getUint32(at + 8, layout.little);
  if (incl > SNAPLEN * 4) throw new PcapError(`${name}: offset ${fileAt + 8}: record length ${incl} is not believable`);
  return { timeMs: sec * 1000 + (layout.nanos ? frac / 1e6 : frac / 1e3), incl };
}

export function decodePcap(bytes: Uint8Array, name = 'capture'): PcapRecord[] {
  if (bytes.length < 24) throw new PcapError(`${name}: not a pcap file (${bytes.length} bytes, the header alone is 24)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const layout = globalHeader(v, name);
  const records: PcapRecord[] = [];
  let at = 24;
  while (at < bytes.length) {
    if (at + 16 > bytes.length) throw new PcapError(`${name}: offset ${at}: truncated record header`);
    const { timeMs, incl } = recordHeader(v, at, at, layout, name);
    if (at + 16 + incl > bytes.length) throw new PcapError(`${name}: offset ${at}: record of ${incl} bytes runs past the end`);
    records.push({ timeMs, data: bytes.slice(at + 16, at + 16 + incl) });
    at += 16 + incl;
  }
  return records;
}

export function readPcap(path: string): PcapRecord[] {
  return decodePcap(readFileSync(path), path);
}

/**
 * A capture read record by record, one chunk at a time, so memory stays flat whatever the file's size
 * (readFileSync stops at 2 GiB). Same checks and messages as decodePcap; `offset` and `size` give progress.
 */
export class PcapReader implements Iterable<PcapRecord> {
  readonly size: number;
  /** File offset of the next unread record. */
  offset = 24;
  private fd: number;
  private layout: Layout;
  private buf: Uint8Array;
  private bufStart = 0; // file offset of buf[0]
  private bufEnd = 0; // file offset just past the valid bytes in buf

  constructor(readonly path: string, chunkBytes = 1 << 20) {
    this.fd = openSync(path, 'r');
    try {
      this.size = fstatSync(this.fd).size;
      if (this.size < 24) throw new PcapError(`${path}: not a pcap file (${this.size} bytes, the header alone is 24)`);
      this.buf = new Uint8Array(Math.max(chunkBytes, 64));
      this.fill(0, 24);
      this.layout = globalHeader(this.view(), path);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  private view(): DataView {
    return new DataView(this.buf.buffer, this.buf.byteOffset, this.bufEnd - this.bufStart);
  }

  /** Makes bytes [at, at + n) of the file present in buf; false at the end of the file. */
  private fill(at: number, n: number): boolean {
    if (at >= this.bufStart && at + n <= this.bufEnd) return true;
    // Keep the unread tail, moved to the front (into a larger buffer when one record needs more room).
    const keep = this.bufEnd > at ? this.buf.slice(at - this.bufStart, this.bufEnd - this.bufStart) : new Uint8Array(0);
    if (n > this.buf.length) this.buf = new Uint8Array(n);
    this.buf.set(keep, 0);
    this.bufStart = at;
    this.bufEnd = at + keep.length;
    while (this.bufEnd < at + n) {
      const got = readSync(this.fd, this.buf, this.bufEnd - this.bufStart, this.buf.length - (this.bufEnd - this.bufStart), this.bufEnd);
      if (got === 0) return false;
      this.bufEnd += got;
    }
    return true;
  }

  *[Symbol.iterator](): Iterator<PcapRecord> {
    try {
      while (this.offset < this.size) {
        const at = this.offset;
        if (!this.fill(at, 16)) throw new PcapError(`${this.path}: offset ${at}: truncated record header`);
        const { timeMs, incl } = recordHeader(this.view(), at - this.bufStart, at, this.layout, this.path);
        if (!this.fill(at, 16 + incl)) throw new PcapError(`${this.path}: offset ${at}: record of ${incl} bytes runs past the end`);
        const from = at + 16 - this.bufStart;
        this.offset = at + 16 + incl;
        yield { timeMs, data: this.buf.slice(from, from + incl) };
      }
    } finally {
      this.close();
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/** Appends frames to a capture as they happen (natpass run --pcap); flushed by the OS, closed on exit. */
export class PcapWriter {
  private fd: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, encodePcap([]));
  }

  write(timeMs: number, data: Uint8Array): void {
    writeSync(this.fd, encodePcap([{ timeMs, data }]).subarray(24));
  }

  close(): void {
    closeSync(this.fd);
  }
}
