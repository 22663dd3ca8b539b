// Classic pcap in every variant a capture tool writes (little- or big-endian, micro- or nanosecond
// timestamps), read whole (decodePcap) and streamed (PcapReader, a chunk at a time): both give the
// same records and refuse a damaged file with the same one-line error naming the byte offset.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePcap, encodePcap, PcapReader, PcapRecord } from '../host/pcap.ts';
import { udp } from '../host/packets.ts';

const FRAMES: PcapRecord[] = [
  { timeMs: 1_700_000_000_123.456, data: udp({ srcMac: '02:00:00:00:10:10', dstMac: '02:00:00:00:01:01', src: '192.168.1.10', dst: '203.0.113.53', sport: 40000, dport: 53, payload: Buffer.from('one') }) },
  { timeMs: 1_700_000_000_124.5, data: new Uint8Array(300).fill(0xab) },
  { timeMs: 1_700_000_001_000, data: udp({ srcMac: '02:00:00:00:10:11', dstMac: '02:00:00:00:01:01', src: '192.168.1.11', dst: '203.0.113.80', sport: 40001, dport: 80, payload: new Uint8Array(1400) }) },
];

/** A capture as a tool would write it: byte order and timestamp unit chosen, same frames. */
function capture(little: boolean, nanos: boolean): Uint8Array {
  const size = 24 + FRAMES.reduce((n, r) => n + 16 + r.data.length, 0);
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint32(0, nanos ? 0xa1b23c4d : 0xa1b2c3d4, little);
  v.setUint16(4, 2, little);
  v.setUint16(6, 4, little);
  v.setUint32(16, 65535, little);
  v.setUint32(20, 1, little);
  let at = 24;
  for (const r of FRAMES) {
    const sec = Math.floor(r.timeMs / 1000);
    const frac = nanos ? Math.round((r.timeMs - sec * 1000) * 1e6) : Math.round((r.timeMs - sec * 1000) * 1e3);
    v.setUint32(at, sec, little);
    v.setUint32(at + 4, frac, little);
    v.setUint32(at + 8, r.data.length, little);
    v.setUint32(at + 12, r.data.length, little);
    b.set(r.data, at + 16);
    at += 16 + r.data.length;
  }
  return b;
}

function file(bytes: Uint8Array, name: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'natpass-pcap-')), name);
  writeFileSync(path, bytes);
  return path;
}

const streamed = (path: string, chunk?: number) => [...new PcapReader(path, chunk)];

describe('pcap variants', () => {
  for (const little of [true, false]) {
    for (const nanos of [false, true]) {
      it(`reads ${little ? 'little' : 'big'}-endian ${nanos ? 'nanosecond' : 'microsecond'} captures, whole and streamed`, () => {
        const bytes = capture(little, nanos);
        const whole = decodePcap(bytes);
        expect(whole.map((r) => r.data)).toEqual(FRAMES.map((r) => r.data));
        // Microseconds keep the time to 1 us; nanoseconds keep it to the double's precision.
        whole.forEach((r, i) => expect(r.timeMs).toBeCloseTo(FRAMES[i].timeMs, nanos ? 5 : 3));
        expect(streamed(file(bytes, 'in.pcap'), 64)).toEqual(whole);
      });
    }
  }

  it('streams records that straddle its chunks and records larger than a chunk', () => {
    const bytes = encodePcap(Array.from({ length: 50 }, (_, i) => ({ timeMs: i, data: new Uint8Array(37 + i * 29).fill(i) })));
    const path = file(bytes, 'many.pcap');
    for (const chunk of [64, 100, 1000, 1 << 20]) expect(streamed(path, chunk)).toEqual(decodePcap(bytes));
  });

  it('refuses a truncated or foreign file with the same message either way', () => {
    const bytes = capture(true, false);
    for (const cut of [bytes.length - 1, 24 + 8]) {
      const path = file(bytes.subarray(0, cut), 'cut.pcap');
      let whole = '';
      try { decodePcap(bytes.subarray(0, cut), path); } catch (e) { whole = (e as Error).message; }
      expect(whole).toMatch(/offset \d+: (truncated record header|record of \d+ bytes runs past the end)/);
      expect(() => streamed(path, 64)).toThrow(whole);
    }
    const ng = file(new Uint8Array(32).fill(0x0a), 'ng.pcap');
    expect(() => new PcapReader(ng)).toThrow(/bad magic 0xa0a0a0a \(pcapng is not supported/);
    expect(() => new PcapReader(file(new Uint8Array(10), 'short.pcap'))).toThrow(/not a pcap file \(10 bytes/);
  });
});
