// The ESP32-C3 image cannot run here (no emulator of the chip), so its layout is checked instead, as the
// ROM and boot.c will read it (board/esp32c3-w5500/image.ts walks it as boot.c does): the RAM segments
// the ROM loads stay clear of each other in the shared SRAM and of the ROM's own data; boot.c finds one
// code and one read-only data segment whose file offsets match their addresses modulo 64 KiB (else the
// MMU maps the wrong bytes); their MMU pages, from one table shared by both buses, do not collide with
// each other or with the config slots' page.
import { describe, expect, it } from 'vitest';
import { run } from '../host/child.ts';
import { existsSync, readFileSync } from 'node:fs';
import { PAGE, readLayout } from '../board/esp32c3-w5500/image.ts';

const ELF = 'build/board/esp32c3-w5500.elf', IMAGE = 'build/board/esp32c3-w5500.bin';
const IRAM = 0x40380000, DRAM = 0x3fc80000, ROM_RESERVED = 0x3fcde700, SLOTS_PAGE = 127, FLASH_BYTES = 0x400000;
const skip = existsSync(IMAGE) ? null : `${IMAGE} is not built (make board)`;
if (skip) console.log(`esp32c3 image test skipped: ${skip}`);

function symbol(name: string): number {
  const nm = run('riscv64-unknown-elf-nm', [ELF]);
  const m = new RegExp(`^([0-9a-f]+) \\w ${name}$`, 'm').exec(nm);
  if (!m) throw new Error(`${ELF} has no ${name}`);
  return parseInt(m[1], 16);
}

describe('esp32c3-w5500 image', () => {
  it.skipIf(skip !== null)('is an ESP32-C3 image whose RAM segments fit the SRAM below the ROM\'s data', () => {
    const layout = readLayout(new Uint8Array(readFileSync(IMAGE)));
    expect(layout.chipId).toBe(5); // ESP32-C3
    expect(layout.entry).toBe(symbol('_start'));
    // IRAM and DRAM are one SRAM: as offsets into it, no two segments (nor the heap and stack) overlap.
    const spans = layout.ramSegments.map((s) => {
      const base = s.addr >= IRAM ? IRAM : DRAM;
      return [s.addr - base, s.addr - base + s.len];
    });
    spans.push([symbol('__bss_start') - DRAM, symbol('__stack_top') - DRAM]);
    spans.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0], `SRAM spans ${JSON.stringify(spans)}`).toBeGreaterThanOrEqual(spans[i - 1][1]);
    expect(symbol('__stack_top')).toBeLessThanOrEqual(ROM_RESERVED);
  });

  it.skipIf(skip !== null)('has the flash segments boot.c maps, at file offsets the MMU can map, on pages of their own', () => {
    const image = new Uint8Array(readFileSync(IMAGE));
    const { mappings } = readLayout(image);
    expect(mappings.map((m) => m.bus).sort()).toEqual(['DROM', 'IROM']);
    const pages = new Set<number>();
    for (const m of mappings) {
      expect(m.fileOffset % PAGE, `${m.bus} at 0x${m.vaddr.toString(16)}`).toBe(m.vaddr % PAGE);
      expect(m.fileOffset + m.len).toBeLessThanOrEqual(image.length);
      for (let p = m.firstPage; p < m.firstPage + m.pages; p++) {
        expect(pages.has(p), `MMU page ${p} mapped twice`).toBe(false);
        pages.add(p);
      }
    }
    expect(pages.has(SLOTS_PAGE)).toBe(false);
    // The slots (the last 16 KiB of flash) lie past the image.
    expect(image.length).toBeLessThanOrEqual(FLASH_BYTES - 0x4000);
    // The linker put code and read-only data where the mappings say.
    expect(mappings.find((m) => m.bus === 'IROM')!.vaddr).toBe(0x42000020);
    expect(symbol('main')).toBeGreaterThanOrEqual(0x42000020);
  });
});
