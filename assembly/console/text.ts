// Parsing what the user typed, over byte buffers: dotted quads and decimal numbers. Imports nothing;
// printing (dotted quads included) is out.ts's, so the two never import each other.

/** What parseIp read, when it returned true. (Every u32 is an address, so none can mean "not one".) */
export let parsedIp: u32 = 0;

/** Parses "a.b.c.d" from len bytes at p into parsedIp; false when it is not an IPv4 address. */
export function parseIp(p: usize, len: u32): bool {
  let value: u32 = 0, part: u32 = 0, digits: u32 = 0, dots: u32 = 0;
  for (let i: u32 = 0; i < len; i++) {
    const c = <u32>load<u8>(p + i);
    if (c == 46) {
      if (digits == 0 || dots == 3) return false;
      value = (value << 8) | part; part = 0; digits = 0; dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48); digits++;
      if (part > 255 || digits > 3) return false;
    } else return false;
  }
  if (dots != 3 || digits == 0) return false;
  parsedIp = (value << 8) | part;
  return true;
}

/** Parses a decimal number up to `max` (at most 2^31 - 1); -1 when it is not one. */
export function parseNum(p: usize, len: u32, max: u32): i32 {
  if (len == 0) return -1;
  let v: u32 = 0;
  for (let i: u32 = 0; i < len; i++) {
    const c = <u32>load<u8>(p + i);
    if (c < 48 || c > 57) return -1;
    const digit = c - 48;
    if (digit > max || v > (max - digit) / 10) return -1; // v * 10 + digit > max, asked without overflowing
    v = v * 10 + digit;
  }
  return <i32>v;
}

/** True when len bytes at p equal the ASCII string s. */
export function bytesEqual(p: usize, len: u32, s: string): bool {
  if (<u32>s.length != len) return false;
  for (let i: u32 = 0; i < len; i++) if (<u32>load<u8>(p + i) != <u32>s.charCodeAt(i)) return false;
  return true;
}
