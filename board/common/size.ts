// make size: flash and RAM use of each board port under each engine (wasm3, and the AOT wasm2c build).
// Sections from the port's binutils size; the heap, the deepest native stack (painted) and wasm3's value
// stack from the firmware's own margins report (board/common/uart.ts), read at boot, after traffic of
// every kind, after full tables (test/helpers/fill.ts) and after a console session, because wasm3
// compiles each function the first time it runs and keeps it in RAM. Ends with one line per build: its
// flow capacity, the heap left after all of that, and its frames/s from make bench (when it has run).
import { run } from '../../host/child.ts';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { PORT_LAN, PORT_WAN } from '../../host/abi.ts';
import { arpReply, esp, ike, udp } from '../../host/packets.ts';
import { BOARD_PORTS, playFrames } from '../ports.ts';
import { CONSOLE_WALK } from './uart.ts';
import { mixedTrace } from '../../test/helpers/trace.ts';
import { fillFrames } from '../../test/helpers/fill.ts';

const LAN_MAC = '02:00:00:00:01:01', WAN_MAC = '02:00:00:00:02:01', GW_MAC = '02:00:00:00:02:fe';
const H = { srcMac: '02:00:00:00:10:10', dstMac: LAN_MAC, src: '192.168.1.10' };
const W = { srcMac: GW_MAC, dstMac: WAN_MAC, dst: '198.51.100.2' };



function sections(elf: string, cross: string) {
  const sizes = run(`${cross}size`, ['-A', elf]);
  const symbols = run(`${cross}nm`, [elf]);
  const symbol = (name: string) => parseInt(new RegExp(`^([0-9a-f]+) \\w ${name}$`, 'm').exec(symbols)?.[1] ?? '0', 16);
  const section = (name: string) => Number(new RegExp(`^\\${name}\\s+(\\d+)`, 'm').exec(sizes)?.[1] ?? 0);
  return {
    // RISC-V keeps read-only data in .rodata; the Arm link scripts put it in .text.
    flash: section('.boot2') + section('.text') + section('.rodata') + section('.ARM.exidx') + section('.data'),
    text: section('.text') + section('.rodata'), data: section('.data'), bss: section('.bss'),
    stackBytes: symbol('__stack_top') - symbol('__stack_limit'),
    heapBytes: symbol('__heap_end') - symbol('__heap_start'),
  };
}

// BOARD_PORT=name measures one port only.
const summary: { port: string; engine: string; sessions: number; mappings: number; memory: number; margin: string; stack: number }[] = [];
for (const port of BOARD_PORTS.filter((p) => !process.env.BOARD_PORT || p.name === process.env.BOARD_PORT)) {
  const s = sections(port.elf, port.cross);
  const board = await port.start();
  try {
    const boot = await board.margins();
    await board.exchange(PORT_LAN, udp({ ...H, dst: '203.0.113.53', sport: 40000, dport: 9000, payload: new Uint8Array(22) }));
    await board.exchange(PORT_WAN, arpReply({ srcMac: GW_MAC, dstMac: WAN_MAC, senderIp: '198.51.100.1', targetIp: '198.51.100.2' }));
    await board.exchange(PORT_WAN, udp({ ...W, src: '203.0.113.53', sport: 9000, dport: 40000, payload: new Uint8Array(22) }));
    await board.exchange(PORT_LAN, ike({ ...H, dst: '203.0.113.1', sport: 500, dport: 500, icookie: 0xb0a4dn, rcookie: 0n, version: 2, exchange: 34 }));
    await board.exchange(PORT_WAN, ike({ ...W, src: '203.0.113.1', sport: 500, dport: 500, icookie: 0xb0a4dn, rcookie: 0x77n, version: 2, exchange: 34, flags: 0x20 }));
    await board.exchange(PORT_WAN, esp({ ...W, src: '203.0.113.1', spi: 0xc0de0001, seq: 1 }));
    // Then every other path: the parity trace (TCP, ICMP errors, fragments, AH, malformed frames, full tables).
    await playFrames(board, mixedTrace(1500, 11));
    const traffic = await board.margins();
    const config = JSON.parse(readFileSync(port.config, 'utf8'));
    const { before, fill, after } = fillFrames(config.limits.sessions, config.limits.hosts);
    await playFrames(board, [...before.flat(), ...fill, ...after].map(([p, data]) => ({ port: p, data })));
    const full = await board.margins();
    await board.waitFor(() => board.console.includes('Login:'), 5000);
    await board.type('admin\r', 'Password');
    await board.type('admin\r', 'Main Menu');
    // A screen that never comes (the heap ran out compiling it: the firmware prints wasm3's error) is
    // reported, not thrown: it is the figure this report exists for.
    let walkFailed = '';
    for (const [key, screen] of CONSOLE_WALK) {
      try { await board.type(key, screen); } catch { walkFailed = `${screen} never drawn: ${/natpass: [^\n]*failed[^\n]*/.exec(board.console)?.[0] ?? 'no error printed'}`; break; }
    }
    const console_ = await board.margins();
    const kib = (n: number) => `${Math.round(n / 1024)} KiB`;
    const margin = Math.floor(s.heapBytes / 1024) - console_.heapKiB;
    const memory = Number(readFileSync(`${port.configOut}/default-config.bin.bytes`, 'utf8'));
    const compiledKiB = /natpass: compiled code from flash \((\d+) KiB\)/.exec(board.console)?.[1];
    const rows = [
      ['engine', port.engine === 'wasm2c' ? 'wasm2c (AOT: the module compiled into flash; linear memory a static array in bss)'
        : board.console.includes('compiled code from flash') ? 'wasm3 (interpreter; parsed module in the heap, its compiled code in flash: board/common/code_snapshot.h)'
        : 'wasm3 (interpreter; parsed module and compiled code in the heap)'],
      // The ELF's sections leave out what snapshot.ts appends to the image: the firmware says its size.
      ['flash: image / text / data / bss', `${s.flash} / ${s.text} / ${s.data} / ${s.bss} bytes` +
        (compiledKiB ? `, and ${compiledKiB} KiB of wasm3's compiled code after the image` : '')],
      ['flows held (the default config: sessions / mappings)', `${config.limits.sessions} / ${config.limits.mappings} (linear memory ${kib(memory)})`],
      ['heap available (RAM less data, bss and stack)', kib(s.heapBytes)],
      ['heap peak after boot (module loaded, tables carved, login drawn)', `${boot.heapKiB} KiB`],
      ['heap peak after NAT, IPsec and 1,500 frames of mixed traffic', `${traffic.heapKiB} KiB`],
      [`heap peak after full tables (${fill.length} new flows into ${config.limits.sessions} sessions)`, `${full.heapKiB} KiB`],
      ['heap peak after a console session (every screen)', walkFailed ? `${console_.heapKiB} KiB: out of heap (${walkFailed})` : `${console_.heapKiB} KiB: ${margin} KiB to spare`],
      ['deepest native stack (painted)', `${s.stackBytes - console_.stackUnused} of ${s.stackBytes} bytes`],
      ['deepest wasm3 value stack (painted)', console_.valueStackBytes ? `${console_.valueStackUsed} of ${console_.valueStackBytes} bytes` : 'none (wasm2c: frames on the native stack)'],
    ];
    console.log(`\n| ${port.name} (RAM ${port.ram}) | figure |\n|---|---|\n` + rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n'));
    summary.push({ port: port.name, engine: port.engine, sessions: config.limits.sessions, mappings: config.limits.mappings, memory, margin: walkFailed ? 'out of heap in the console walk' : `${margin} KiB`, stack: console_.stackUnused });
  } finally {
    board.stop();
  }
}

// The ESP32-C3 image runs on no emulator: its sections and the heap its link leaves, from the ELF alone.
const ESP_ELF = 'build/board/esp32c3-w5500.elf', ESP_IMAGE = 'build/board/esp32c3-w5500.bin';
if (existsSync(ESP_ELF) && (!process.env.BOARD_PORT || process.env.BOARD_PORT === 'esp32c3-w5500')) {
  const sizes = run('riscv64-unknown-elf-size', ['-A', ESP_ELF]);
  const symbols = run('riscv64-unknown-elf-nm', [ESP_ELF]);
  const section = (name: string) => Number(new RegExp(`^\\${name}\\s+(\\d+)`, 'm').exec(sizes)?.[1] ?? 0);
  const symbol = (name: string) => parseInt(new RegExp(`^([0-9a-f]+) \\w ${name}$`, 'm').exec(symbols)?.[1] ?? '0', 16);
  const rows = [
    ['image (esptool elf2image, padding included)', existsSync(ESP_IMAGE) ? `${statSync(ESP_IMAGE).size} bytes` : 'not made'],
    ['IRAM code / data / bss', `${section('.iram')} / ${section('.data')} / ${section('.bss') + section('.tbss')} bytes`],
    ['flash code / read-only data', `${section('.flash.text')} / ${section('.flash.rodata')} bytes`],
    ['heap available (SRAM below the ROM\'s data less the above and the stack)', `${Math.floor((symbol('__heap_end') - symbol('__heap_start')) / 1024)} KiB`],
  ];
  console.log('\n| esp32c3-w5500 (built, not run) | figure |\n|---|---|\n' + rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n'));
}

// Per port and engine: capacity, margins and speed (speed from make bench's results, with their date).
function speed(build: string): string {
  const file = `build/bench/board-${build}.json`;
  if (!existsSync(file)) return 'not measured (make bench)';
  const r = JSON.parse(readFileSync(file, 'utf8'));
  return `${r.framesPerSecond.toLocaleString('en')} frames/s${r.measure ? ` (${r.measure})` : ''}, ${r.date}`;
}
if (summary.length) {
  console.log('\n| port | engine | sessions / mappings | linear memory | heap left after full tables and a console session | native stack unused | 64-byte NAT hits |\n|---|---|---|---|---|---|---|');
  for (const r of summary) console.log(`| ${r.port.replace(/-aot$/, '')} | ${r.engine} | ${r.sessions} / ${r.mappings} | ${Math.round(r.memory / 1024)} KiB | ${r.margin} | ${r.stack} bytes | ${speed(r.port)} |`);
}
