// The RP2040 image carries wasm3's compiled code in flash (board/common/code_snapshot.h): wasm3 then
// compiles nothing at run time, so the heap holds the parsed module and linear memory only, whatever
// traffic and console screens come. The code holds addresses of wasm3's objects in RAM, so an image
// whose code was made for another build must be refused, with the reason on the console.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CONSOLE_WALK } from '../board/common/uart.ts';
import { RP2040_IMAGE, Rp2040Board, compiledCodeOffset, rp2040Available } from '../board/rp2040-w5500/emulator.ts';

const skip = rp2040Available() ?? (process.env.NATPASS_ENGINE === 'wasm3' ? 'runs once, in the V8 pass' : null);

/** Where the compiled code starts in the image (emulator.ts). */
function regionOffset(image: Uint8Array): number {
  const at = compiledCodeOffset();
  expect(at).not.toBeNull();
  expect(image.length).toBeGreaterThan(at!);
  return at!;
}

describe('rp2040-w5500 compiled code in flash', () => {
  let board: Rp2040Board | undefined;
  afterEach(() => board?.stop());

  // Traffic of every kind leaves the heap flat too: test/board.test.ts checks it after the mixed trace.
  it.skipIf(skip !== null)('draws every console screen without compiling: the heap stays at its boot figure', async () => {
    board = await Rp2040Board.start();
    expect(board.console).toMatch(/natpass: compiled code from flash \(\d+ KiB; process's [1-9]\d* bytes in RAM\)/);
    const boot = await board.margins();
    await board.waitFor(() => board!.console.includes('Login:'), 5000);
    await board.type('admin\r', 'Password');
    await board.type('admin\r', 'Main Menu');
    for (const [key, screen] of CONSOLE_WALK) await board.type(key, screen);
    const after = await board.margins();
    // Compiling in RAM the console's code alone took about 35 KiB (make size before the snapshot).
    expect(after.heapKiB).toBe(boot.heapKiB);
    expect(board.console).not.toMatch(/failed|hard fault|halted/);
  }, 300_000);

  it.skipIf(skip !== null)('refuses compiled code made for another image and says why, rather than run it', async () => {
    const image = new Uint8Array(readFileSync(RP2040_IMAGE));
    image[regionOffset(image) + 8] ^= 1; // the header's image hash (code_snapshot.c)
    // Compiling into RAM does not fit beside this build's tables: the board stops with wasm3's error
    // instead of running code whose addresses point at the wrong objects.
    const said = await Rp2040Board.start({ image }).then((b) => { board = b; return b.console; }, (e: Error) => e.message);
    expect(said).toContain('natpass: the compiled code in flash is for another firmware image (flash the whole image): wasm3 compiles into RAM');
    expect(said).not.toContain('compiled code from flash');
    expect(said).toMatch(/natpass: [^\n]*failed: memory allocation failed[^\n]*\nnatpass: halted/);
  }, 300_000);

  it.skipIf(skip !== null)('stops the board on a store to flash, as silicon would (XIP is read-only): the board suites rely on it', async () => {
    board = await Rp2040Board.start();
    // One Thumb STR executed by rp2040js's core, as the firmware's own stores are: str r0, [r1] at a RAM
    // address, r1 pointing into the compiled code. (Private fields: the test pokes the emulator itself.)
    const { mcu } = board as unknown as { mcu: { core: { PC: number; registers: Uint32Array; executeInstruction(): number }; sram: Uint8Array } };
    const at = 0x20000000 + mcu.sram.length - 0x100, target = 0x10000000 + regionOffset(new Uint8Array(readFileSync(RP2040_IMAGE))) + 0x1000;
    const before = board.flashBytes(target - 0x10000000, 4);
    mcu.sram.set([0x08, 0x60], at - 0x20000000); // 0x6008: str r0, [r1]
    mcu.core.PC = at, mcu.core.registers[0] = 0, mcu.core.registers[1] = target;
    mcu.core.executeInstruction();
    await expect(board.pause(1)).rejects.toThrow(`store to flash at 0x${target.toString(16)} (XIP is read-only)`);
    expect(board.flashBytes(target - 0x10000000, 4)).toEqual(before);
  }, 300_000);

  it.skipIf(skip !== null)('refuses compiled code whose header arrived but not all of its code (a copy cut short), rather than run it', async () => {
    const image = new Uint8Array(readFileSync(RP2040_IMAGE));
    const region = regionOffset(image);
    // The image and the region's first 64 KiB (header, table, the first code pages) were written; the rest
    // of the region is erased flash, as a .uf2 copy interrupted there leaves it.
    image.fill(0xff, region + 64 * 1024);
    const said = await Rp2040Board.start({ image }).then((b) => { board = b; return b.console; }, (e: Error) => e.message);
    expect(said).toContain('natpass: the compiled code in flash is damaged or incomplete (flash the whole image): wasm3 compiles into RAM');
    expect(said).not.toContain('compiled code from flash');
  }, 300_000);
});
