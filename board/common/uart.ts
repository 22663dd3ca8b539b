// The conversation with a board's firmware over its UART, the same for every port's emulator: typing
// keys and waiting for a screen, and the firmware's margins report (Ctrl-T, board/common/host_loop.c):
// heap high-water mark, unpainted native stack, frames handled with the time from NIC read to transmit
// (and the part of it spent in the module's process()), and the deepest use of wasm3's value stack.
export interface Margins { heapKiB: number; stackUnused: number; frames: number; busyUs: number; processUs: number; valueStackUsed: number; valueStackBytes: number }

/** What an emulated board offers: its UART output so far, a way to type, and waits in the board's time. */
export interface UartBoard {
  console: string;
  typeOnConsole(text: string): void;
  waitFor(cond: () => boolean, ms: number): Promise<boolean>;
  /** Lets `ms` of the board's time pass. */
  pause(ms: number): Promise<void>;
}

const MARGINS_KEY = '\x14';
const REPORT = /heap peak (\d+) KiB, stack unused (\d+) bytes, (\d+) frames in (\d+) us \((\d+) us in process\), value stack used (\d+) of (\d+) bytes/;

export function parseMargins(text: string): Margins | null {
  const m = REPORT.exec(text);
  if (!m) return null;
  const [heapKiB, stackUnused, frames, busyUs, processUs, valueStackUsed, valueStackBytes] = m.slice(1).map(Number);
  return { heapKiB, stackUnused, frames, busyUs, processUs, valueStackUsed, valueStackBytes };
}

export async function readMargins(board: UartBoard): Promise<Margins> {
  const from = board.console.length;
  board.typeOnConsole(MARGINS_KEY);
  await board.waitFor(() => parseMargins(board.console.slice(from)) !== null, 5000);
  const m = parseMargins(board.console.slice(from));
  if (!m) throw new Error(`no margins report from the board:\n${board.console.slice(-500)}`);
  return m;
}

/** Types keys and waits until the console shows `expect` after them and has finished drawing;
 *  returns the text since the keys, without escape sequences. */
export async function typeAndWait(board: UartBoard, keys: string, expect: string | RegExp, ms: number): Promise<string> {
  const from = board.console.length;
  board.typeOnConsole(keys);
  const seen = () => board.console.slice(from).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
  const ok = await board.waitFor(() => (typeof expect === 'string' ? seen().includes(expect) : expect.test(seen())), ms);
  if (!ok) throw new Error(`the board's console never showed ${expect} after ${JSON.stringify(keys)}:\n${seen().slice(-1500)}`);
  // The UART may still be drawing the rest of the screen: wait until it has been quiet a moment.
  for (let length = -1; length !== board.console.length;) {
    length = board.console.length;
    await board.pause(100);
  }
  return seen();
}

// Every screen of the console once (wasm3 keeps each screen's code once drawn): the worst case.
const ESC = '\x1b';
export const CONSOLE_WALK: [string, string][] = [
  ['1', 'Quick View'], [ESC, 'Main Menu'], ['2', 'Easy Setup'], [ESC, 'Main Menu'], ['3', 'WAN Configuration'], [ESC, 'Main Menu'],
  ['4', 'System Configuration'], ['1', 'Network Address Translation'], ['1', 'Server Lists'], ['a', 'Add Server List Entry'], [ESC, 'Server Lists'],
  [ESC, 'Network Address Translation'], ['2', 'Map Lists'], ['a', 'Add Map List Entry'], [ESC, 'Map Lists'], [ESC, 'Network Address Translation'],
  ['3', 'Default Server and Filtering'], [ESC, 'Network Address Translation'], [ESC, 'System Configuration'], ['2', 'IPsec Passthrough'],
  [ESC, 'System Configuration'], ['3', 'Change Password'], [ESC, 'System Configuration'], [ESC, 'Main Menu'],
  ['5', 'Utilities & Diagnostics'], ['1', 'NAT Table'], [ESC, 'Utilities & Diagnostics'], ['2', 'IPsec Tunnel Table'], [ESC, 'Utilities & Diagnostics'],
  ['3', 'IPsec Advisor Findings'], [ESC, 'Utilities & Diagnostics'], [ESC, 'Main Menu'], ['6', 'Statistics & Logs'], [ESC, 'Main Menu'],
  ['7', 'Restart System'], [ESC, 'Main Menu'],
];
