// A stand-in for the RP2040 bootrom's flash routines, which rp2040js does not ship: just enough ROM for
// the firmware's flash.c to find them (the 'Mu' magic, the table lookup at 0x18) and call them. Each
// routine is a BKPT that traps to this model, then returns. The model holds the firmware to the real
// routines' contract: called from RAM (LR in SRAM), with XIP exited first, erases in whole 4 KiB
// sectors, programs in whole 256-byte pages, and programming only clears bits (NOR flash).
import type { RP2040 } from 'rp2040js';

const FLASH_START = 0x10000000;
const RAM_START = 0x20000000;
const LOOKUP_BKPT = 0x80;
const STUBS = 0x210; // one 4-byte stub per routine: bkpt #i; bx lr
const ROUTINES = ['IF', 'EX', 'FC', 'CX', 'RE', 'RP'] as const; // connect, exit XIP, flush, enter XIP, erase, program

const stub = (imm: number) => ((0x4770 << 16) | 0xbe00 | imm) >>> 0; // little-endian: bkpt first, then bx lr

export class BootromModel {
  private xip = true;
  erases = 0;
  programs = 0;

  constructor(private mcu: RP2040, private fail: (why: string) => void) {
    const rom = new Uint32Array(4096);
    rom[0x10 / 4] = 0x0101754d; // 'M' 'u' 1, version 1
    rom[0x14 / 4] = STUBS; // function table pointer (u16; the lookup below does not read it)
    rom[0x18 / 4] = 0x200 | 1; // rom_table_lookup, Thumb
    rom[0x200 / 4] = stub(LOOKUP_BKPT);
    ROUTINES.forEach((_, i) => (rom[STUBS / 4 + i] = stub(i)));
    mcu.bootrom.set(rom);
  }

  /** True when the break came from this ROM (and was handled). */
  handleBreak(code: number): boolean {
    const { core } = this.mcu;
    if (core.PC >= 0x4000) return false;
    const r = core.registers;
    if (code === LOOKUP_BKPT) {
      const name = String.fromCharCode(r[1] & 0xff, (r[1] >> 8) & 0xff);
      const i = ROUTINES.indexOf(name as (typeof ROUTINES)[number]);
      r[0] = i < 0 ? 0 : (STUBS + 4 * i) | 1;
      return true;
    }
    const routine = ROUTINES[code];
    const fromRam = (r[14] >>> 0) >= RAM_START;
    if (routine === 'EX') this.xip = false;
    else if (routine === 'CX') this.xip = true;
    else if (routine === 'RE' || routine === 'RP') {
      if (!fromRam) this.fail(`flash ${routine === 'RE' ? 'erase' : 'program'} called from flash (LR 0x${(r[14] >>> 0).toString(16)}): it must run from RAM`);
      else if (this.xip) this.fail('flash written while XIP was on (flash_exit_xip not called)');
      else if (routine === 'RE') this.erase(r[0] >>> 0, r[1] >>> 0);
      else this.program(r[0] >>> 0, r[1] >>> 0, r[2] >>> 0);
    }
    return true;
  }

  private erase(offset: number, count: number): void {
    if (offset % 4096 || count % 4096) return this.fail(`flash erase of ${count} bytes at 0x${offset.toString(16)}: not whole 4 KiB sectors`);
    this.mcu.flash.fill(0xff, offset, offset + count);
    this.erases++;
  }

  private program(offset: number, data: number, count: number): void {
    if (offset % 256 || count % 256) return this.fail(`flash program of ${count} bytes at 0x${offset.toString(16)}: not whole 256-byte pages`);
    if (data >= FLASH_START && data < RAM_START) return this.fail('flash programmed from a buffer in flash');
    for (let i = 0; i < count; i++) this.mcu.flash[offset + i] &= this.mcu.readUint8(data + i);
    this.programs++;
  }
}
