// Runs the mps2-an385 firmware in QEMU with its one NIC on a loopback datagram link (QEMU's
// -netdev dgram: one Ethernet frame per UDP datagram) and speaks to it as the LAN and WAN sides:
// frames leave tagged VLAN 1 (LAN) or 2 (WAN), as the board expects, and come back tagged the same way.
import { createSocket, Socket } from 'node:dgram';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LongLivedChild } from '../../host/child.ts';
import { PORT_LAN, Port } from '../../host/abi.ts';
import { Margins, UartBoard, readMargins, typeAndWait } from '../common/uart.ts';
import { exchangeUntilQuiet } from '../common/frames.ts';

export const BOARD_ELF = 'build/board/qemu-mps2-an385.elf';

export function qemuAvailable(elf = BOARD_ELF): string | null {
  if (!existsSync(elf)) return `${elf} is not built (make board)`;
  return null;
}

export class QemuBoard implements UartBoard {
  readonly received: { port: Port; data: Uint8Array }[] = [];
  console = '';
  private constructor(private qemu: LongLivedChild, private sock: Socket, private qemuPort: number) {}

  /** Where the config slots (board/common/slots.ts) start: the end of SSRAM1 (link.ld). */
  static readonly SLOTS_ADDRESS = 0x003fc000;

  /** Boots the firmware. `slots` (16 KiB, slot A then B) preloads the config flash sectors;
   *  `icount` ties the board's clock to instructions executed (QEMU -icount shift=N: 2^N ns each). */
  static async start(opts: { slots?: Uint8Array; icount?: number; elf?: string } = {}): Promise<QemuBoard> {
    const { icount } = opts;
    let slotsImage: string | undefined;
    if (opts.slots) {
      slotsImage = join(mkdtempSync(join(tmpdir(), 'natpass-board-')), 'slots.bin');
      writeFileSync(slotsImage, opts.slots);
    }
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const mine = sock.address().port;
    const probe = createSocket('udp4');
    await new Promise<void>((r) => probe.bind(0, '127.0.0.1', () => r()));
    const qemuPort = probe.address().port;
    probe.close();
    const qemu = new LongLivedChild('qemu-system-arm', [
      '-M', 'mps2-an385', '-nographic', '-no-reboot', '-kernel', opts.elf ?? BOARD_ELF,
      '-netdev', `dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=${qemuPort},remote.type=inet,remote.host=127.0.0.1,remote.port=${mine}`,
      '-net', 'nic,netdev=n0',
      ...(icount !== undefined ? ['-icount', `shift=${icount}`] : []),
      ...(slotsImage ? ['-device', `loader,file=${slotsImage},addr=0x${QemuBoard.SLOTS_ADDRESS.toString(16)},force-raw=on`] : []),
    ], { stdin: 'pipe' });
    const board = new QemuBoard(qemu, sock, qemuPort);
    qemu.proc.stdout!.on('data', (d: Buffer) => (board.console += d.toString()));
    qemu.proc.stderr!.on('data', (d: Buffer) => (board.console += d.toString()));
    sock.on('message', (msg) => {
      if (msg.length < 18 || msg[12] !== 0x81 || msg[13] !== 0x00) return;
      const vid = ((msg[14] & 0x0f) << 8) | msg[15];
      const data = new Uint8Array(Buffer.concat([msg.subarray(0, 12), msg.subarray(16)]));
      board.received.push({ port: (vid === 1 ? 0 : 1) as Port, data });
    });
    // A QEMU that refuses its command line or dies at boot fails here at once (host/child.ts).
    try { await qemu.untilReady(() => board.console.includes('natpass: ready') || board.console.includes('halted'), 30_000, 'booted'); }
    catch (e) { board.stop(); throw e; }
    if (!board.console.includes('natpass: ready')) { board.stop(); throw new Error(`board did not start:\n${board.console}`); }
    return board;
  }

  async waitFor(cond: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
    return true;
  }

  send(port: Port, frame: Uint8Array): void {
    const tagged = Buffer.concat([Buffer.from(frame.subarray(0, 12)), Buffer.from([0x81, 0x00, 0x00, port === PORT_LAN ? 1 : 2]), Buffer.from(frame.subarray(12))]);
    this.sock.send(tagged, this.qemuPort, '127.0.0.1');
  }

  /** Sends a frame and collects what the board transmits until it has been quiet for `quietMs`. */
  exchange(port: Port, frame: Uint8Array, quietMs = 250, atLeast = 0): Promise<{ port: Port; data: Uint8Array }[]> {
    return exchangeUntilQuiet(this, port, frame, quietMs, atLeast);
  }

  typeOnConsole(text: string): void {
    this.qemu.proc.stdin!.write(text);
  }

  /** The firmware's own margins report (board/common/uart.ts). */
  margins(): Promise<Margins> {
    return readMargins(this);
  }

  /** Types keys and waits until the console shows `expect` (board/common/uart.ts). */
  type(keys: string, expect: string | RegExp, ms = 10_000): Promise<string> {
    return typeAndWait(this, keys, expect, ms);
  }

  /** Lets `ms` of the board's time pass. */
  async pause(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
  }

  stop(): void {
    this.qemu.proc.kill('SIGTERM');
    this.sock.close();
  }
}
