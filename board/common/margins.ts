// The firmware's margins report (Ctrl-T, board/common/host_loop.c), parsed the same way for every
// port: heap high-water mark, unpainted native stack, frames handled with the time from NIC read to
// transmit (and the part of it spent in the module's process()), and the deepest use of wasm3's value stack.
export interface Margins { heapKiB: number; stackUnused: number; frames: number; busyUs: number; processUs: number; valueStackUsed: number; valueStackBytes: number }

export const MARGINS_KEY = '\x14';
const REPORT = /heap peak (\d+) KiB, stack unused (\d+) bytes, (\d+) frames in (\d+) us \((\d+) us in process\), value stack used (\d+) of (\d+) bytes/;

export function parseMargins(text: string): Margins | null {
  const m = REPORT.exec(text);
  if (!m) return null;
  const [heapKiB, stackUnused, frames, busyUs, processUs, valueStackUsed, valueStackBytes] = m.slice(1).map(Number);
  return { heapKiB, stackUnused, frames, busyUs, processUs, valueStackUsed, valueStackBytes };
}
