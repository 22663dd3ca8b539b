// make bench (RISC-V part): how fast the qemu-riscv32 firmware forwards, measured by the board itself.
// QEMU runs with -icount shift=0: the board's clock advances 1 ns per instruction executed, so its own
// busy time (NIC read to transmit, reported on Ctrl-T) counts instructions, whatever this machine's
// load. The ESP32-C3 runs at 160 MHz; at one instruction per cycle (its core's best; loads, taken
// branches and the divider cost more) that gives an upper bound on frames/s. Steady-state NAT hits:
// 64-byte UDP frames of 32 established flows, LAN to WAN, sent as fast as the board takes them. Also
// reported: the flows the board config holds in the ESP32-C3's RAM, and the heap and stack margins.
// Both builds: wasm3, and the AOT wasm2c build when built.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PORT_LAN, PORT_WAN } from '../../host/abi.ts';
import { arpReply, udp } from '../../host/packets.ts';
import { RiscvBoard, RISCV_ELF } from './emulator.ts';
import { run } from '../../host/child.ts';

const FRAMES = Number(process.env.BOARD_BENCH_FRAMES ?? 4096);
const FLOWS = 32; // the board config lets one host hold 32 mappings
const BURST = 32;
const CPU_HZ = 160e6;
const LAN_MAC = '02:00:00:00:01:01', WAN_MAC = '02:00:00:00:02:01', GW_MAC = '02:00:00:00:02:fe';
const frame = (flow: number) => udp({ srcMac: '02:00:00:00:10:10', dstMac: LAN_MAC, src: '192.168.1.10', dst: '203.0.113.53', sport: 40000 + flow, dport: 9000, payload: new Uint8Array(64 - 42) });

function symbol(elf: string, name: string): number {
  const nm = run('riscv64-unknown-elf-nm', [elf]);
  return parseInt(new RegExp(`^([0-9a-f]+) \\w ${name}$`, 'm').exec(nm)?.[1] ?? '0', 16);
}

async function bench(build: string, elf: string, engine: string): Promise<void> {
  const board = await RiscvBoard.start({ icount: 0, elf });
  try {
    await board.exchange(PORT_LAN, frame(0));
    await board.exchange(PORT_WAN, arpReply({ srcMac: GW_MAC, dstMac: WAN_MAC, senderIp: '198.51.100.1', targetIp: '198.51.100.2' }));
    for (let f = 0; f < FLOWS; f++) await board.exchange(PORT_LAN, frame(f), 50);
    const before = await board.margins();
    const sentAt = board.received.length;
    for (let i = 0; i < FRAMES; i += BURST) {
      const want = board.received.length + BURST;
      for (let k = 0; k < BURST; k++) board.send(PORT_LAN, frame((i + k) % FLOWS));
      await board.waitFor(() => board.received.length >= want, 500);
    }
    await new Promise((r) => setTimeout(r, 300));
    const forwarded = board.received.length - sentAt;
    const after = await board.margins();
    const frames = after.frames - before.frames;
    const instructions = ((after.busyUs - before.busyUs) * 1000) / frames; // 1 ns per instruction
    const inProcess = ((after.processUs - before.processUs) * 1000) / frames;
    const limits = JSON.parse(readFileSync('board/qemu-riscv32/board-config.json', 'utf8')).limits;
    const heapBytes = symbol(elf, '__heap_end') - symbol(elf, '__heap_start'), stackBytes = symbol(elf, '__stack_top') - symbol(elf, '__stack_limit');
    const result = {
      date: new Date().toISOString().slice(0, 10), board: `${build} (QEMU virt, -icount shift=0)`, engine, frames, forwarded,
      instructionsPerFrame: Math.round(instructions), instructionsPerFrameInProcess: Math.round(inProcess),
      framesPerSecondAt160MHzIpc1: Math.round(CPU_HZ / instructions),
      framesPerSecond: Math.round(CPU_HZ / instructions), measure: `QEMU -icount: ${Math.round(instructions)} instructions a frame, at 160 MHz and 1 per cycle`,
      flows: { sessions: limits.sessions, mappings: limits.mappings },
      heapKiB: Math.floor(heapBytes / 1024), heapPeakKiB: after.heapKiB, heapMarginKiB: Math.floor(heapBytes / 1024) - after.heapKiB,
      stackBytes, stackUnused: after.stackUnused,
    };
    mkdirSync('build/bench', { recursive: true });
    writeFileSync(`build/bench/board-${build}.json`, JSON.stringify(result, null, 2) + '\n');
    console.log(`board ${build} (${engine}): ${frames} frames handled (${forwarded} forwarded), ${result.instructionsPerFrame} instructions per frame ` +
      `(${result.instructionsPerFrameInProcess} in process()), so ${result.framesPerSecondAt160MHzIpc1} frames/s at 160 MHz and one instruction per cycle; ` +
      `${limits.sessions} sessions and ${limits.mappings} mappings; heap peak ${after.heapKiB} of ${result.heapKiB} KiB, stack ${stackBytes - after.stackUnused} of ${stackBytes} bytes used`);
  } finally {
    board.stop();
  }
}

await bench('qemu-riscv32', RISCV_ELF, 'wasm3');
if (existsSync('build/board/qemu-riscv32-aot.elf')) await bench('qemu-riscv32-aot', 'build/board/qemu-riscv32-aot.elf', 'wasm2c');
