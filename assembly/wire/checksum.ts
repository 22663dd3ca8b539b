// The Internet checksum (RFC 1071) and its incremental update (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')).
// A rewrite is described by a "delta": the ones-complement sum of ~old words and new words, folded to 16 bits.
// Adding a delta to ~checksum and folding gives the new checksum; the reverse rewrite uses ~delta.

@inline export function fold(sum: u32): u32 {
  sum = (sum & 0xffff) + (sum >>> 16);
  sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Ones-complement sum of two values of at most 16 bits: their sum has at most one carry to fold. */
@inline export function add16(a: u32, b: u32): u32 {
  const s = a + b;
  return (s & 0xffff) + (s >>> 16);
}

/** Ones-complement addition of 32-bit words: the carry out of bit 31 comes back in at bit 0. */
@inline export function addCarry(sum: u32, w: u32): u32 {
  const s = sum + w;
  return s + <u32>(s < w);
}

/** Ones-complement sum of `len` bytes at p (not yet complemented), added to `initial`. Sums 32-bit
 *  little-endian words with end-around carry and swaps the folded result once: the ones-complement sum
 *  is independent of byte order and of word width (RFC 1071 2(B), 2(C)), and this halves the loop.
 *  No 64-bit arithmetic: the boards' wasm3 keeps its register in 32 bits (docs/board.md). */
export function sumBytes(p: usize, len: u32, initial: u32): u32 {
  let sum: u32 = 0;
  let i: u32 = 0;
  for (; i + 8 <= len; i += 8) sum = addCarry(addCarry(sum, load<u32>(p + i)), load<u32>(p + i, 4));
  if (i + 4 <= len) { sum = addCarry(sum, load<u32>(p + i)); i += 4; }
  let tail: u32 = 0;
  if (i + 2 <= len) { tail = <u32>load<u16>(p + i); i += 2; }
  if (i < len) tail += <u32>load<u8>(p + i); // the odd last byte: the high half of its word in network order
  sum = addCarry(sum, tail);
  const swapped = <u32>bswap<u16>(<u16>fold(sum));
  return fold(swapped + initial);
}

/** The checksum to store for `len` bytes at p (with the checksum field zeroed beforehand). */
@inline export function checksum(p: usize, len: u32, initial: u32): u32 {
  return ~sumBytes(p, len, initial) & 0xffff;
}

/** Delta for replacing a 32-bit value (an address) and a 16-bit value (a port; pass equal values for none). */
export function deltaOf(oldAddr: u32, newAddr: u32, oldPort: u32, newPort: u32): u32 {
  let s: u32 = (~oldAddr >>> 16) + (~oldAddr & 0xffff) + (newAddr >>> 16) + (newAddr & 0xffff);
  s += (~oldPort & 0xffff) + (newPort & 0xffff);
  return fold(s);
}

@inline export function reverseDelta(delta: u32): u32 {
  return ~delta & 0xffff;
}

/** A 16-bit checksum after a 16-bit delta (RFC 1624 eqn. 3). Both in one byte order, either one. */
@inline export function updatedChecksum(old: u32, delta: u32): u32 {
  return ~add16(~old & 0xffff, delta) & 0xffff;
}

/** Applies a delta (16 bits, as deltaOf makes them) to the checksum stored (network order) at p. */
@inline export function applyDelta(p: usize, delta: u32): void {
  const old = <u32>bswap<u16>(load<u16>(p));
  const updated = updatedChecksum(old, delta);
  store<u16>(p, bswap<u16>(<u16>updated));
}

/** UDP: a zero checksum means "none" (RFC 768) and stays zero; a computed zero is sent as 0xffff. */
@inline export function applyDeltaUdp(p: usize, delta: u32): void {
  const old = <u32>bswap<u16>(load<u16>(p));
  if (old == 0) return;
  let updated = updatedChecksum(old, delta);
  if (updated == 0) updated = 0xffff;
  store<u16>(p, bswap<u16>(<u16>updated));
}
