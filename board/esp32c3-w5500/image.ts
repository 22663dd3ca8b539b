// What the ESP32-C3's ROM and boot.c make of the esptool image (board.mk), read on the host: the RAM
// segments the header counts (the ROM loads those), then the pad and flash segments that
// --ram-only-header leaves out of the count, and the MMU pages boot.c maps for each flash segment. The
// walk is boot.c's map_flash, step for step: the two must agree (test/board-esp32c3.test.ts).
export const IMAGE_MAGIC = 0xe9;
export const IROM_BASE = 0x42000000, DROM_BASE = 0x3c000000, BUS_BYTES = 0x800000, PAGE = 0x10000;
const IMAGE_HEADER = 24, SEGMENT_HEADER = 8, SEGMENT_SEARCH = 8;

export interface Segment { addr: number; len: number; fileOffset: number }
export interface Mapping { bus: 'IROM' | 'DROM'; vaddr: number; len: number; fileOffset: number; firstPage: number; pages: number }
export interface ImageLayout { chipId: number; entry: number; ramSegments: Segment[]; mappings: Mapping[] }

export function readLayout(image: Uint8Array): ImageLayout {
  const v = new DataView(image.buffer, image.byteOffset, image.byteLength);
  if (image[0] !== IMAGE_MAGIC) throw new Error(`not an ESP image: first byte 0x${image[0].toString(16)}`);
  const ramSegments: Segment[] = [];
  let at = IMAGE_HEADER;
  for (let i = 0; i < image[1]; i++) {
    ramSegments.push({ addr: v.getUint32(at, true), len: v.getUint32(at + 4, true), fileOffset: at + SEGMENT_HEADER });
    at += SEGMENT_HEADER + v.getUint32(at + 4, true);
  }
  at = (at | 15) + 1; // the checksum byte ends a 16-byte block
  const mappings: Mapping[] = [];
  for (let i = 0; i < SEGMENT_SEARCH && mappings.length < 2 && at + SEGMENT_HEADER <= image.length; i++) {
    const vaddr = v.getUint32(at, true), len = v.getUint32(at + 4, true), data = at + SEGMENT_HEADER;
    const bus = vaddr >= IROM_BASE && vaddr < IROM_BASE + BUS_BYTES ? 'IROM' : vaddr >= DROM_BASE && vaddr < DROM_BASE + BUS_BYTES ? 'DROM' : null;
    if (bus) {
      const base = bus === 'IROM' ? IROM_BASE : DROM_BASE;
      mappings.push({ bus, vaddr, len, fileOffset: data, firstPage: (vaddr - base) / PAGE | 0, pages: Math.ceil(((vaddr % PAGE) + len) / PAGE) });
    }
    at = data + len;
  }
  return { chipId: v.getUint16(12, true), entry: v.getUint32(4, true), ramSegments, mappings };
}
