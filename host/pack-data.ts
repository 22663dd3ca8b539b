// Build step after asc: merges the module's data segments that lie within a few bytes of each other.
// AssemblyScript emits one active segment per static string or buffer (366 of them), and wasm3 keeps a
// 20-byte record per segment in RAM for the module's lifetime: 7 KiB on a board with 264 KiB. Merged,
// the gaps become explicit zeros (what linear memory holds there anyway), so the module behaves the
// same on every engine; the file grows by those few KiB of zeros, which stay in flash.
// Usage: pack-data.ts MODULE.wasm (rewritten in place; left alone if a segment is not a plain active one).
import { readFileSync, writeFileSync } from 'node:fs';

const MAX_GAP = 16;
const SECTION_DATA = 11, SECTION_DATA_COUNT = 12;

function readU(b: Uint8Array, at: number): [number, number] {
  let v = 0, shift = 0, byte;
  do { byte = b[at++]; v += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
  return [v, at];
}

function readS32(b: Uint8Array, at: number): [number, number] {
  let v = 0, shift = 0, byte;
  do { byte = b[at++]; v |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80);
  if (shift < 32 && byte & 0x40) v |= -1 << shift;
  return [v, at];
}

function u(v: number): number[] {
  const out: number[] = [];
  do { let byte = v & 0x7f; v = Math.floor(v / 128); if (v) byte |= 0x80; out.push(byte); } while (v);
  return out;
}

function s32(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(byte & 0x40)) || (v === -1 && byte & 0x40)) { out.push(byte); return out; }
    out.push(byte | 0x80);
  }
}

interface Segment { offset: number; bytes: Uint8Array }

function parseData(body: Uint8Array): Segment[] | null {
  let [n, at] = readU(body, 0);
  const segs: Segment[] = [];
  while (n--) {
    let flags, offset, size;
    [flags, at] = readU(body, at);
    if (flags !== 0 || body[at] !== 0x41) return null; // only "active, memory 0, i32.const offset"
    [offset, at] = readS32(body, at + 1);
    if (body[at++] !== 0x0b) return null;
    [size, at] = readU(body, at);
    segs.push({ offset, bytes: body.subarray(at, at + size) });
    at += size;
  }
  return segs;
}

function merge(segs: Segment[]): Segment[] | null {
  const sorted = [...segs].sort((a, b) => a.offset - b.offset);
  const out: { offset: number; parts: Segment[]; end: number }[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.offset < last.end) return null; // overlapping segments: the order would matter
    if (last && s.offset - last.end <= MAX_GAP) { last.parts.push(s); last.end = s.offset + s.bytes.length; }
    else out.push({ offset: s.offset, parts: [s], end: s.offset + s.bytes.length });
  }
  return out.map(({ offset, parts, end }) => {
    const bytes = new Uint8Array(end - offset);
    for (const p of parts) bytes.set(p.bytes, p.offset - offset);
    return { offset, bytes };
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

export function packData(wasm: Uint8Array): Uint8Array {
  const sections: { id: number; body: Uint8Array }[] = [];
  for (let at = 8; at < wasm.length;) {
    const id = wasm[at];
    const [size, start] = readU(wasm, at + 1);
    sections.push({ id, body: wasm.subarray(start, start + size) });
    at = start + size;
  }
  const data = sections.find((s) => s.id === SECTION_DATA);
  const segs = data && parseData(data.body);
  const merged = segs && merge(segs);
  if (!data || !merged) return wasm;
  // Built from parts (spreading a large section into one array would exceed the call-argument limit).
  const body: Uint8Array[] = [Uint8Array.from(u(merged.length))];
  for (const m of merged) body.push(Uint8Array.from([0, 0x41, ...s32(m.offset), 0x0b, ...u(m.bytes.length)]), m.bytes);
  data.body = concat(body);
  const count = sections.find((s) => s.id === SECTION_DATA_COUNT);
  if (count) count.body = Uint8Array.from(u(merged.length));
  const out: Uint8Array[] = [wasm.subarray(0, 8)];
  for (const s of sections) out.push(Uint8Array.from([s.id, ...u(s.body.length)]), s.body);
  return concat(out);
}

if (process.argv[1]?.endsWith('pack-data.ts')) {
  const file = process.argv[2];
  const before = new Uint8Array(readFileSync(file));
  const after = packData(before);
  writeFileSync(file, after);
  console.log(after === before ? `${file}: data segments left as they are` : `${file}: data segments merged (${before.length} -> ${after.length} bytes)`);
}
