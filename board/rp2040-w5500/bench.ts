// make bench (RP2040 part): how fast the rp2040-w5500 firmware forwards in rp2040js. The emulator's
// clock is the board's: the clk_sys the firmware sets (200 MHz; rp2040js follows its PLL registers),
// rp2040js's cycle count per instruction, and SPI bytes that take their 8 bit times at the SPI clock the
// firmware sets (33.3 MHz; the W5500 model), so the figures are the emulated board's own, whatever this
// machine's load. Steady-state NAT hits (nat-hits.ts). Reported: frames per second through the whole
// board, and per frame the time from reading the W5500 to transmitting (SPI included) and the part of it
// spent in process(); and the bus floor: the SPI bytes per frame on each bus (the models count them) at
// the bus clock, the bound if the CPU cost nothing. The two buses run at once (DMA), so the busier one
// sets it. Then the same traffic through a model of the XIP cache (xip-cache.ts), for what silicon adds
// and rp2040js does not time.
// Both builds: wasm3 (rp2040-w5500) and the AOT wasm2c build (rp2040-w5500-aot), when built.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { PORT_LAN, PORT_WAN, Port } from '../../host/abi.ts';
import { Rp2040Board, RP2040_IMAGE } from './emulator.ts';
import { openFlows, streamNatHits, xipMissesPerFrame } from './nat-hits.ts';

const FRAMES = Number(process.env.BOARD_BENCH_FRAMES ?? 2048);

async function bench(build: string, image: string, engine: string, configPath: string): Promise<void> {
  const board = await Rp2040Board.start({ image });
  try {
    await openFlows(board);
    const before = await board.margins();
    const spi0 = board.nics.map((nic) => nic.spiBytes);
    const start = board.received.length, t0 = board.simulatedMs();
    await streamNatHits(board, FRAMES);
    const elapsedMs = board.simulatedMs() - t0;
    const forwarded = board.received.length - start;
    const after = await board.margins();
    const frames = after.frames - before.frames;
    const busBytes = board.nics.map((nic, i) => (nic.spiBytes - spi0[i]) / forwarded);
    const spiMHz = board.spiHz(PORT_WAN) / 1e6, cpuMHz = board.clockHz / 1e6;
    const busUs = busBytes.map((b, port) => (b * 8 * 1e6) / board.spiHz(port as Port));
    // The same traffic again through a model of the XIP cache (xip-cache.ts): what silicon would add.
    const misses = await xipMissesPerFrame(board, image);
    const xipMisses = { image: +misses.image.toFixed(1), compiledCode: +misses.compiledCode.toFixed(1) };
    const limits = JSON.parse(readFileSync(configPath, 'utf8')).limits;
    const result = {
      date: new Date().toISOString().slice(0, 10), board: `${build} (rp2040js, ${cpuMHz} MHz)`, spiMHz: +spiMHz.toFixed(2), engine, forwarded,
      flows: { sessions: limits.sessions, mappings: limits.mappings },
      framesPerSecond: Math.round(forwarded / (elapsedMs / 1000)),
      usPerFrameNicToNic: +((after.busyUs - before.busyUs) / frames).toFixed(1),
      usPerFrameInProcess: +((after.processUs - before.processUs) / frames).toFixed(1),
      cyclesPerFrame: Math.round(((after.busyUs - before.busyUs) / frames) * cpuMHz),
      cyclesPerFrameInProcess: Math.round(((after.processUs - before.processUs) / frames) * cpuMHz),
      spiBytesPerFrame: { lan: +busBytes[PORT_LAN].toFixed(1), wan: +busBytes[PORT_WAN].toFixed(1) },
      busFloorFramesPerSecond: Math.round(1e6 / Math.max(...busUs)),
      // process() runs on the one core whatever the SPI does: the bound if the driver cost nothing.
      processFloorFramesPerSecond: Math.round(1e6 / ((after.processUs - before.processUs) / frames)),
      xipCacheMissesPerFrame: xipMisses,
      droppedByLanChip: board.nics[PORT_LAN].dropped,
      heapPeakKiB: after.heapKiB, stackUnused: after.stackUnused,
    };
    mkdirSync('build/bench', { recursive: true });
    writeFileSync(`build/bench/board-${build}.json`, JSON.stringify(result, null, 2) + '\n');
    console.log(`board ${build} (${engine}, ${limits.sessions} sessions): ${forwarded} frames forwarded at ${result.framesPerSecond} frames/s (emulated ${cpuMHz} MHz); ` +
      `per frame ${result.usPerFrameNicToNic} us from W5500 read to transmit, of which ${result.usPerFrameInProcess} us in process() (${result.cyclesPerFrame} / ${result.cyclesPerFrameInProcess} cycles); ` +
      `SPI ${busBytes[PORT_LAN].toFixed(1)} bytes on the LAN bus and ${busBytes[PORT_WAN].toFixed(1)} on the WAN bus per frame: ` +
      `bus floor ${busUs[PORT_LAN].toFixed(1)} / ${busUs[PORT_WAN].toFixed(1)} us at ${spiMHz.toFixed(2)} MHz, ${result.busFloorFramesPerSecond} frames/s; process() alone ${result.processFloorFramesPerSecond} frames/s; ` +
      `XIP cache model (not timed by rp2040js): ${(xipMisses.image + xipMisses.compiledCode).toFixed(1)} misses a frame (${xipMisses.image} in the image, ${xipMisses.compiledCode} in compiled code after it)`);
  } finally {
    board.stop();
  }
}

await bench('rp2040-w5500', RP2040_IMAGE, 'wasm3', 'board/rp2040-w5500/board-config.json');
if (existsSync('build/board/rp2040-w5500-aot.bin')) await bench('rp2040-w5500-aot', 'build/board/rp2040-w5500-aot.bin', 'wasm2c', 'board/rp2040-w5500/board-config-aot.json');
