// The board ports and their emulators, listed once for the tests, make size and anything else that
// runs every port. Each emulator speaks the same API (QemuBoard, Rp2040Board, RiscvBoard).
import type { Port } from '../host/abi.ts';
import { QemuBoard, qemuAvailable, BOARD_ELF } from './qemu-mps2-an385/emulator.ts';
import { Rp2040Board, rp2040Available } from './rp2040-w5500/emulator.ts';
import { RiscvBoard, riscvAvailable, RISCV_ELF } from './qemu-riscv32/emulator.ts';

export type EmulatedBoard = QemuBoard | Rp2040Board | RiscvBoard;

export interface BoardPort {
  name: string;
  elf: string;
  ram: string;
  /** The binutils prefix that reads its ELF. */
  cross: string;
  /** Why the port cannot run here (its image is not built), or null. */
  available: () => string | null;
  /** Boots the image; `slots` preloads the config flash slots (board/common/slots.ts). */
  start: (slots?: Uint8Array) => Promise<EmulatedBoard>;
}

export const BOARD_PORTS: BoardPort[] = [
  { name: 'qemu-mps2-an385', elf: BOARD_ELF, ram: '4 MiB', cross: 'arm-none-eabi-', available: qemuAvailable, start: (slots) => QemuBoard.start({ slots }) },
  { name: 'rp2040-w5500', elf: 'build/board/rp2040-w5500.elf', ram: '264 KiB', cross: 'arm-none-eabi-', available: rp2040Available, start: (slots) => Rp2040Board.start({ slots }) },
  { name: 'qemu-riscv32', elf: RISCV_ELF, ram: '378 KiB (the ESP32-C3\'s)', cross: 'riscv64-unknown-elf-', available: riscvAvailable, start: (slots) => RiscvBoard.start({ slots }) },
];

/** Plays recorded frames into a board in bursts of 16, 20 ms of its time apart: quick enough to fill
 *  its tables, slow enough for its NIC's receive buffer. */
export async function playFrames(board: EmulatedBoard, frames: readonly { port: Port; data: Uint8Array }[]): Promise<void> {
  for (let i = 0; i < frames.length; i += 16) {
    for (const f of frames.slice(i, i + 16)) board.send(f.port, f.data);
    await board.pause(20);
  }
}
