// The board ports and their emulators, listed once for the tests, make size and anything else that
// runs every port. Each emulator speaks the same API (QemuBoard, Rp2040Board, RiscvBoard).
import type { Port } from '../host/abi.ts';
import { QemuBoard, qemuAvailable, BOARD_ELF } from './qemu-mps2-an385/emulator.ts';
import { Rp2040Board, rp2040Available } from './rp2040-w5500/emulator.ts';
import { RiscvBoard, riscvAvailable, RISCV_ELF } from './qemu-riscv32/emulator.ts';

export type EmulatedBoard = QemuBoard | Rp2040Board | RiscvBoard;

export interface BoardPort {
  /** The port's directory under board/; with the engine, the build's name (`rp2040-w5500-aot`). */
  name: string;
  /** wasm3 (the default build) or wasm2c (the AOT build, `make board-aot`). */
  engine: 'wasm3' | 'wasm2c';
  /** The port's default config (JSON), which the firmware embeds, and where board.mk encoded it (with the
   *  linear memory it needs, default-config.bin.bytes). */
  config: string;
  configOut: string;
  elf: string;
  ram: string;
  /** The binutils prefix that reads its ELF. */
  cross: string;
  /** Why the port cannot run here (its image is not built), or null. */
  available: () => string | null;
  /** Boots the image; `slots` preloads the config flash slots (board/common/slots.ts). */
  start: (slots?: Uint8Array) => Promise<EmulatedBoard>;
}

const MPS2_AOT = 'build/board/qemu-mps2-an385-aot.elf', RP2040_AOT = 'build/board/rp2040-w5500-aot', RISCV_AOT = 'build/board/qemu-riscv32-aot.elf';

/** Every build: each port under wasm3, then under wasm2c (the same firmware, the module compiled in). */
export const BOARD_PORTS: BoardPort[] = [
  { name: 'qemu-mps2-an385', engine: 'wasm3', config: 'board/qemu-mps2-an385/board-config.json', configOut: 'build/board/qemu-mps2-an385', elf: BOARD_ELF, ram: '4 MiB', cross: 'arm-none-eabi-', available: qemuAvailable, start: (slots) => QemuBoard.start({ slots }) },
  { name: 'rp2040-w5500', engine: 'wasm3', config: 'board/rp2040-w5500/board-config.json', configOut: 'build/board/rp2040-w5500', elf: 'build/board/rp2040-w5500.elf', ram: '264 KiB', cross: 'arm-none-eabi-', available: rp2040Available, start: (slots) => Rp2040Board.start({ slots }) },
  { name: 'qemu-riscv32', engine: 'wasm3', config: 'board/qemu-riscv32/board-config.json', configOut: 'build/board/qemu-riscv32', elf: RISCV_ELF, ram: '378 KiB (the ESP32-C3\'s)', cross: 'riscv64-unknown-elf-', available: riscvAvailable, start: (slots) => RiscvBoard.start({ slots }) },
  { name: 'qemu-mps2-an385-aot', engine: 'wasm2c', config: 'board/qemu-mps2-an385/board-config.json', configOut: 'build/board/qemu-mps2-an385', elf: MPS2_AOT, ram: '4 MiB', cross: 'arm-none-eabi-', available: () => qemuAvailable(MPS2_AOT), start: (slots) => QemuBoard.start({ slots, elf: MPS2_AOT }) },
  { name: 'rp2040-w5500-aot', engine: 'wasm2c', config: 'board/rp2040-w5500/board-config-aot.json', configOut: 'build/board/rp2040-w5500-aot', elf: `${RP2040_AOT}.elf`, ram: '264 KiB', cross: 'arm-none-eabi-', available: () => rp2040Available(`${RP2040_AOT}.bin`), start: (slots) => Rp2040Board.start({ slots, image: `${RP2040_AOT}.bin` }) },
  { name: 'qemu-riscv32-aot', engine: 'wasm2c', config: 'board/qemu-riscv32/board-config.json', configOut: 'build/board/qemu-riscv32', elf: RISCV_AOT, ram: '378 KiB (the ESP32-C3\'s)', cross: 'riscv64-unknown-elf-', available: () => riscvAvailable(RISCV_AOT), start: (slots) => RiscvBoard.start({ slots, elf: RISCV_AOT }) },
];

/** Plays recorded frames into a board in bursts of 16, 20 ms of its time apart: quick enough to fill
 *  its tables, slow enough for its NIC's receive buffer. */
export async function playFrames(board: EmulatedBoard, frames: readonly { port: Port; data: Uint8Array }[]): Promise<void> {
  for (let i = 0; i < frames.length; i += 16) {
    for (const f of frames.slice(i, i + 16)) board.send(f.port, f.data);
    await board.pause(20);
  }
}
