// Classic pcap files (LINKTYPE_ETHERNET). Reading accepts both byte orders and micro- or nanosecond
// timestamps; writing uses little-endian microseconds. Errors name the file and the byte offset.
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';

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

export function decodePcap(bytes: Uint8Array, name = 'capture'): PcapRecord[] {
  if (bytes.length < 24) throw new PcapError(`${name}: not a pcap file (${bytes.length} bytes, the header alone is 24)`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const m = v.getUint32(0, true);
  let little: boolean;
  let nanos: boolean;
  if (m === MAGIC_US || m === MAGIC_NS) little = true;
  else if (v.getUint32(0, false) === MAGIC_US || v.getUint32(0, false) === MAGIC_NS) little = false;
  else throw new PcapError(`${name}: offset 0: bad magic 0x${m.toString(16)} (pcapng is not supported; convert with editcap -F pcap)`);
  nanos = v.getUint32(0, little) === MAGIC_NS;
  const link = v.getUint32(20, little);
  if (link !== LINKTYPE_ETHERNET) throw new PcapError(`${name}: offset 20: link type ${link}, only Ethernet (1) is supported`);
  const records: PcapRecord[] = [];
  let at = 24;
  while (at < bytes.length) {
    if (at + 16 > bytes.length) throw new PcapError(`${name}: offset ${at}: truncated record header`);
    const sec = v.getUint32(at, little);
    const frac = v.getUint32(at + 4, little);
    const incl = v.getUint32(at + 8, little);
    if (incl > SNAPLEN * 4) throw new PcapError(`${name}: offset ${at + 8}: record length ${incl} is not believable`);
    if (at + 16 + incl > bytes.length) throw new PcapError(`${name}: offset ${at}: record of ${incl} bytes runs past the end`);
    records.push({ timeMs: sec * 1000 + (nanos ? frac / 1e6 : frac / 1e3), data: bytes.slice(at + 16, at + 16 + incl) });
    at += 16 + incl;
  }
  return records;
}

export function readPcap(path: string): PcapRecord[] {
  return decodePcap(readFileSync(path), path);
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
