// Hashing for fixed-size keys, mixed as whole words (murmur3's finaliser), and the no-index sentinel.

export const NO_INDEX: u32 = 0xffffffff;

@inline export function mix(h: u32): u32 {
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  return h;
}

@inline export function hash3(a: u32, b: u32, c: u32): u32 {
  return mix(a ^ mix(b ^ mix(c)));
}

/** A power of two at least twice `n`, so chains stay short at full load. */
export function bucketCountFor(n: u32): u32 {
  let b: u32 = 16;
  while (b < n * 2) b <<= 1;
  return b;
}
