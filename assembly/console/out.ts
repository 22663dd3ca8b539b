// The console's output: a bounded byte buffer the host drains after every input. VT100 only
// (clear, home, cursor position, reverse video), so any plain terminal shows it. Imports nothing.

// The largest screen measured (40,000 random keys, 60 Server List entries) is 3.6 KB: 8 KiB leaves
// room, and RAM on a small board is counted in KiB. Output past it is cut, never written out of bounds.
export const OUT_CAPACITY: u32 = 8192;
export const outBuf = memory.data(<i32>OUT_CAPACITY, 16);
export let outLen: u32 = 0;

export function outReset(): void { outLen = 0; }

@inline export function putc(c: u32): void {
  if (outLen < OUT_CAPACITY) store<u8>(outBuf + outLen++, <u8>c);
}

/** Writes an ASCII string literal (no allocation: reads the UTF-16 code units in place).
 *  A function value, called indirectly, which the optimiser does not inline: the console calls it from
 *  hundreds of places, and inlining its loop into each one tripled the console's code, which an engine
 *  that keeps compiled code in RAM (wasm3 on the RP2040) pays for in KiB. */
export const puts = (s: string): void => {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = <u32>s.charCodeAt(i);
    if (c == 10) putc(13);
    putc(c);
  }
};

/** Writes `len` bytes of ASCII stored at p (stops at NUL). Called indirectly, like puts. */
export const putBytes = (p: usize, len: u32): void => {
  for (let i: u32 = 0; i < len; i++) {
    const c = <u32>load<u8>(p + i);
    if (c == 0) break;
    putc(c);
  }
};

export function putNum(v: u32): void {
  if (v >= 10) putNum(v / 10);
  putc(48 + v % 10);
}

/** A number right-aligned in `width` columns. */
export function putNumPadded(v: u32, width: u32): void {
  let digits: u32 = 1;
  for (let x = v; x >= 10; x /= 10) digits++;
  for (let i = digits; i < width; i++) putc(32);
  putNum(v);
}

/** An IPv4 address (host order) as a dotted quad. */
export function putIp(a: u32): void {
  putNum(a >>> 24); putc(46); putNum((a >>> 16) & 255); putc(46); putNum((a >>> 8) & 255); putc(46); putNum(a & 255);
}

/** n spaces. Called indirectly, like puts. */
export const pad = (n: u32): void => { for (let i: u32 = 0; i < n; i++) putc(32); };

export function clearScreen(): void { puts("\x1b[2J\x1b[H"); }
export function reverse(on: bool): void { puts(on ? "\x1b[7m" : "\x1b[0m"); }
