// Runs the qemu-riscv32 firmware in qemu-system-riscv32 (-M virt) with two virtio-net NICs, each on its
// own loopback datagram link (QEMU's -netdev dgram: one Ethernet frame per UDP datagram): the LAN NIC
// (MAC 52:54:00:00:00:01, which board.c looks for) and the WAN NIC (:02). Untagged frames, one socket
// per port. The console is the ns16550 UART on stdio; QEMU's monitor, on a unix socket, reads the config
// slots back (flashSlots), so a test can power-cycle the board: a new one started with the old one's slots.
import { createSocket, Socket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LongLivedChild } from '../../host/child.ts';
import { PORT_LAN, PORT_WAN, Port } from '../../host/abi.ts';
import { Margins, UartBoard, readMargins, typeAndWait } from '../common/uart.ts';
import { exchangeUntilQuiet } from '../common/frames.ts';
import { SLOT_BYTES } from '../common/slots.ts';

export const RISCV_ELF = 'build/board/qemu-riscv32.elf';
/** Where the config slots (board/common/slots.ts) lie in QEMU's RAM (link.ld). */
const SLOTS_ADDRESS = 0x803fc000;

export function riscvAvailable(elf = RISCV_ELF): string | null {
  if (!existsSync(elf)) return `${elf} is not built (make board)`;
  return null;
}

async function boundSocket(): Promise<Socket> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return sock;
}

/** A free UDP port for QEMU's side of a link (bound and released: QEMU binds it next). */
async function freePort(): Promise<number> {
  const probe = await boundSocket();
  const port = probe.address().port;
  probe.close();
  return port;
}

export class RiscvBoard implements UartBoard {
  readonly received: { port: Port; data: Uint8Array }[] = [];
  console = '';
  private constructor(private qemu: LongLivedChild, private socks: Socket[], private qemuPorts: number[], private dir: string) {}

  /** Boots the firmware. `slots` (16 KiB, slot A then B) preloads the config slots; `icount` ties the
   *  board's clock to instructions executed (QEMU -icount shift=N: 2^N ns each). */
  static async start(opts: { slots?: Uint8Array; icount?: number; elf?: string } = {}): Promise<RiscvBoard> {
    const dir = mkdtempSync(join(tmpdir(), 'natpass-riscv-'));
    let slotsImage: string | undefined;
    if (opts.slots) {
      slotsImage = join(dir, 'slots.bin');
      writeFileSync(slotsImage, opts.slots);
    }
    const socks = [await boundSocket(), await boundSocket()];
    const qemuPorts = [await freePort(), await freePort()];
    const nic = (port: Port, name: string) => [
      '-netdev', `dgram,id=${name},local.type=inet,local.host=127.0.0.1,local.port=${qemuPorts[port]},` +
        `remote.type=inet,remote.host=127.0.0.1,remote.port=${socks[port].address().port}`,
      '-device', `virtio-net-device,netdev=${name},mac=52:54:00:00:00:0${port + 1}`,
    ];
    const qemu = new LongLivedChild('qemu-system-riscv32', [
      '-M', 'virt', '-bios', 'none', '-nographic', '-no-reboot', '-kernel', opts.elf ?? RISCV_ELF,
      '-global', 'virtio-mmio.force-legacy=false', ...nic(PORT_LAN, 'lan'), ...nic(PORT_WAN, 'wan'),
      '-monitor', `unix:${join(dir, 'monitor')},server,nowait`,
      ...(opts.icount !== undefined ? ['-icount', `shift=${opts.icount}`] : []),
      ...(slotsImage ? ['-device', `loader,file=${slotsImage},addr=0x${SLOTS_ADDRESS.toString(16)},force-raw=on`] : []),
    ], { stdin: 'pipe' });
    const board = new RiscvBoard(qemu, socks, qemuPorts, dir);
    qemu.proc.stdout!.on('data', (d: Buffer) => (board.console += d.toString()));
    qemu.proc.stderr!.on('data', (d: Buffer) => (board.console += d.toString()));
    socks.forEach((sock, port) => sock.on('message', (msg) => board.received.push({ port: port as Port, data: new Uint8Array(msg) })));
    // A QEMU that refuses its command line or dies at boot fails here at once (host/child.ts).
    try { await qemu.untilReady(() => board.console.includes('natpass: ready') || board.console.includes('halted'), 30_000, 'booted'); }
    catch (e) { board.stop(); throw e; }
    if (!board.console.includes('natpass: ready')) { board.stop(); throw new Error(`board did not start:\n${board.console}`); }
    return board;
  }

  /** The two config slots as they stand in the board's flash (QEMU's monitor saves that memory). */
  async flashSlots(): Promise<Uint8Array> {
    const file = join(this.dir, `slots-${Date.now()}.bin`);
    const monitor = connect(join(this.dir, 'monitor'));
    await new Promise<void>((r, reject) => monitor.once('connect', () => r()).once('error', reject));
    monitor.write(`pmemsave 0x${SLOTS_ADDRESS.toString(16)} ${2 * SLOT_BYTES} "${file}"\n`);
    const saved = await this.waitFor(() => existsSync(file) && statSync(file).size === 2 * SLOT_BYTES, 5000);
    monitor.end();
    if (!saved) throw new Error('QEMU did not save the config slots');
    return new Uint8Array(readFileSync(file));
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
    this.socks[port].send(frame, this.qemuPorts[port], '127.0.0.1');
  }

  /** Sends a frame and collects what the board transmits until it has been quiet for `quietMs` of wall
   *  time. 600 ms, not the mps2 runner's 250: a path's first frame makes wasm3 compile its functions and
   *  QEMU translate that code, which on a loaded two-core machine once took longer than 250 ms. */
  exchange(port: Port, frame: Uint8Array, quietMs = 600, atLeast = 0): Promise<{ port: Port; data: Uint8Array }[]> {
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

  /** Lets `ms` of the board's time pass (without -icount the board's clock is the host's). */
  async pause(ms: number): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
  }

  stop(): void {
    this.qemu.proc.kill('SIGTERM');
    for (const sock of this.socks) sock.close();
    const removeDir = () => rmSync(this.dir, { recursive: true, force: true });
    if (this.qemu.ended) removeDir(); else this.qemu.proc.once('exit', removeDir);
  }
}
