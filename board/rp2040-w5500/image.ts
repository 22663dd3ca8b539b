// Flash-image steps of the RP2040 build (board.mk), run on the host:
//   boot2 IN OUT  pads the assembled boot2 to 252 bytes and appends the CRC32 the bootrom checks
//                 before it runs boot2 (CRC-32/MPEG-2: polynomial 0x04c11db7, init ~0, not reflected,
//                 no final xor, stored little-endian);
//   uf2 IN OUT    wraps a raw flash image (based at 0x10000000) in UF2 blocks for drag-and-drop
//                 flashing onto the RP2040's USB mass-storage bootloader.
import { readFileSync, writeFileSync } from 'node:fs';

export const FLASH_BASE = 0x10000000;
const BOOT2_BYTES = 256;
const UF2_PAYLOAD = 256;
const RP2040_FAMILY = 0xe48bff56;

export function crc32Mpeg2(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b << 24;
    for (let k = 0; k < 8; k++) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  }
  return crc >>> 0;
}

export function boot2Image(code: Uint8Array): Uint8Array {
  if (code.length > BOOT2_BYTES - 4) throw new Error(`boot2 is ${code.length} bytes; at most ${BOOT2_BYTES - 4} fit`);
  const out = new Uint8Array(BOOT2_BYTES);
  out.set(code);
  new DataView(out.buffer).setUint32(BOOT2_BYTES - 4, crc32Mpeg2(out.subarray(0, BOOT2_BYTES - 4)), true);
  return out;
}

export function uf2(image: Uint8Array, base = FLASH_BASE): Uint8Array {
  const blocks = Math.ceil(image.length / UF2_PAYLOAD);
  const out = new Uint8Array(blocks * 512);
  const view = new DataView(out.buffer);
  for (let i = 0; i < blocks; i++) {
    const o = i * 512;
    view.setUint32(o, 0x0a324655, true); // "UF2\n"
    view.setUint32(o + 4, 0x9e5d5157, true);
    view.setUint32(o + 8, 0x00002000, true); // the family ID field is present
    view.setUint32(o + 12, base + i * UF2_PAYLOAD, true);
    view.setUint32(o + 16, UF2_PAYLOAD, true);
    view.setUint32(o + 20, i, true);
    view.setUint32(o + 24, blocks, true);
    view.setUint32(o + 28, RP2040_FAMILY, true);
    out.set(image.subarray(i * UF2_PAYLOAD, (i + 1) * UF2_PAYLOAD), o + 32);
    view.setUint32(o + 508, 0x0ab16f30, true);
  }
  return out;
}

if (process.argv[1]?.endsWith('image.ts')) {
  const [, , step, input, output] = process.argv;
  const data = new Uint8Array(readFileSync(input));
  if (step === 'boot2') writeFileSync(output, boot2Image(data));
  else if (step === 'uf2') writeFileSync(output, uf2(data));
  else throw new Error('usage: image.ts boot2|uf2 IN OUT');
}
