// make size (mps2-an385): flash and RAM use. Sections from arm-none-eabi-size; the wasm3 heap and the
// deepest native stack from the firmware's own report (Ctrl-T), read at boot, after NAT traffic and
// after a console session, because wasm3 compiles each function the first time it runs.
import { execFileSync } from 'node:child_process';
import { PORT_LAN, PORT_WAN } from '../../host/abi.ts';
import { arpReply, udp } from '../../host/packets.ts';
import { BOARD_ELF, QemuBoard } from './emulator.ts';

const LAN_MAC = '02:00:00:00:01:01', WAN_MAC = '02:00:00:00:02:01';

const sizes = execFileSync('arm-none-eabi-size', ['-A', BOARD_ELF], { encoding: 'utf8' });
const symbols = execFileSync('arm-none-eabi-nm', [BOARD_ELF], { encoding: 'utf8' });
const symbol = (name: string) => parseInt(new RegExp(`^([0-9a-f]+) \\w ${name}$`, 'm').exec(symbols)?.[1] ?? '0', 16);
const STACK_BYTES = symbol('__stack_top') - symbol('__stack_limit');
const section = (name: string) => Number(new RegExp(`^\\${name}\\s+(\\d+)`, 'm').exec(sizes)?.[1] ?? 0);
const board = await QemuBoard.start();
try {
  const boot = await board.margins();
  const frame = (i: number) => udp({ srcMac: '02:00:00:00:10:10', dstMac: LAN_MAC, src: '192.168.1.10', dst: '203.0.113.53', sport: 40000 + i, dport: 9000, payload: new Uint8Array(22) });
  await board.exchange(PORT_LAN, frame(0));
  await board.exchange(PORT_WAN, arpReply({ srcMac: '02:00:00:00:02:fe', dstMac: WAN_MAC, senderIp: '198.51.100.1', targetIp: '198.51.100.2' }));
  for (let i = 1; i < 32; i++) await board.exchange(PORT_LAN, frame(i), 20);
  const traffic = await board.margins();
  await board.waitFor(() => board.console.includes('Login:'), 5000);
  await board.type('admin\r', 'Password');
  await board.type('admin\r', 'Main Menu');
  for (const [key, screen] of [['4', 'Network Address Translation'], ['1', 'Server List'], ['\x1b', 'Network Address'], ['\x1b', 'System Configuration'], ['\x1b', 'Main Menu'], ['5', 'Utilities'], ['\x1b', 'Main Menu']]) await board.type(key, screen);
  const console_ = await board.margins();
  const rows = [
    ['text / data / bss', `${section('.text')} / ${section('.data')} / ${section('.bss')} bytes`],
    ['wasm3 heap after boot (module loaded, tables carved, login screen drawn)', `${boot.heapKiB} KiB`],
    ['wasm3 heap peak after NAT traffic', `${traffic.heapKiB} KiB`],
    ['wasm3 heap peak after a console session', `${console_.heapKiB} KiB`],
    ['deepest native stack (painted)', `${STACK_BYTES - console_.stackUnused} of ${STACK_BYTES} bytes`],
  ];
  console.log('| qemu-mps2-an385 | figure |\n|---|---|\n' + rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n'));
} finally {
  board.stop();
}
