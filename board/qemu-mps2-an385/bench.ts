// make bench (board part): how fast the mps2-an385 firmware forwards, measured by the board itself.
// QEMU runs with -icount shift=5, so the board's clock advances 32 ns per instruction executed (31.25
// million instructions per second, near the 25 MHz Cortex-M3 at its usual 1.2 cycles per instruction):
// the board's own busy time (NIC read to transmit, reported on Ctrl-T) then measures instructions, not
// this machine's speed. Steady-state NAT hits: 64-byte UDP frames of 64 established flows, LAN to WAN,
// sent as fast as the board takes them. Both builds: wasm3, and the AOT wasm2c build when built.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PORT_LAN, PORT_WAN } from '../../host/abi.ts';
import { arpReply, udp } from '../../host/packets.ts';
import { BOARD_ELF, QemuBoard } from './emulator.ts';

const ICOUNT_SHIFT = 5;
const NS_PER_INSTRUCTION = 2 ** ICOUNT_SHIFT;
const FRAMES = Number(process.env.BOARD_BENCH_FRAMES ?? 4096);
// Frames sent before waiting for their output: 32 keeps the board's input queue from running dry, so this
// is the saturated rate (the firmware takes up to 8 frames per process() call).
const BURST = Number(process.env.BOARD_BENCH_BURST ?? 32);
const LAN_MAC = '02:00:00:00:01:01', WAN_MAC = '02:00:00:00:02:01', GW_MAC = '02:00:00:00:02:fe';
const H1 = { ip: '192.168.1.10', mac: '02:00:00:00:10:10' };

const frame = (flow: number) => udp({ srcMac: H1.mac, dstMac: LAN_MAC, src: H1.ip, dst: '203.0.113.53', sport: 40000 + flow, dport: 9000, payload: new Uint8Array(64 - 42) });

async function main(build: string, elf: string, engine: string): Promise<void> {
  const board = await QemuBoard.start({ icount: ICOUNT_SHIFT, elf });
  try {
    // Resolve the gateway, then open the 64 flows.
    await board.exchange(PORT_LAN, frame(0));
    await board.exchange(PORT_WAN, arpReply({ srcMac: GW_MAC, dstMac: WAN_MAC, senderIp: '198.51.100.1', targetIp: '198.51.100.2' }));
    for (let f = 0; f < 64; f++) await board.exchange(PORT_LAN, frame(f), 50);
    const before = await board.margins();
    const sentAt = board.received.length;
    for (let i = 0; i < FRAMES; i += BURST) {
      const want = board.received.length + BURST;
      for (let k = 0; k < BURST; k++) board.send(PORT_LAN, frame((i + k) % 64));
      await board.waitFor(() => board.received.length >= want, 200);
    }
    await new Promise((r) => setTimeout(r, 300));
    const forwarded = board.received.length - sentAt;
    const after = await board.margins();
    const frames = after.frames - before.frames, us = after.busyUs - before.busyUs;
    const instructions = (us * 1000) / NS_PER_INSTRUCTION / frames;
    const limits = JSON.parse(readFileSync('board/qemu-mps2-an385/board-config.json', 'utf8')).limits;
    const result = {
      date: new Date().toISOString().slice(0, 10), board: build, engine, frames, forwarded,
      flows: { sessions: limits.sessions, mappings: limits.mappings },
      instructionsPerFrame: Math.round(instructions),
      ppsAt25MHzCpi1: Math.round(25e6 / instructions),
      framesPerSecond: Math.round(25e6 / instructions), measure: `QEMU -icount: ${Math.round(instructions)} instructions a frame, at 25 MHz and 1 per cycle`,
      heapPeakKiB: after.heapKiB, stackUnused: after.stackUnused,
    };
    mkdirSync('build/bench', { recursive: true });
    writeFileSync(`build/bench/board-${build}.json`, JSON.stringify(result, null, 2) + '\n');
    console.log(`board ${build} (${engine}): ${frames} frames handled (${forwarded} forwarded), ${result.instructionsPerFrame} instructions per frame ` +
      `(NIC read to transmit, QEMU -icount), so ${result.ppsAt25MHzCpi1} frames/s at 25 MHz and one cycle per instruction`);
  } finally {
    board.stop();
  }
}

await main('qemu-mps2-an385', BOARD_ELF, 'wasm3');
if (existsSync('build/board/qemu-mps2-an385-aot.elf')) await main('qemu-mps2-an385-aot', 'build/board/qemu-mps2-an385-aot.elf', 'wasm2c');
