// Network byte order access. The only place that swaps bytes: everything above works in host order.

@inline export function get16(p: usize): u32 {
  return <u32>bswap<u16>(load<u16>(p));
}

@inline export function set16(p: usize, v: u32): void {
  store<u16>(p, bswap<u16>(<u16>v));
}

@inline export function get32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

@inline export function set32(p: usize, v: u32): void {
  store<u32>(p, bswap<u32>(v));
}
