// What IKEv2 peers will conclude about NAT (RFC 7296 2.23), computed the way they compute it, so the
// ALG knows from the IKE_SA_INIT response whether a tunnel's SAs will travel in UDP 4500 or as raw
// ESP: NAT_DETECTION_*_IP = SHA-1(SPIi | SPIr | IP address | port). The host finds NAT when the
// remote's destination hash is not its own (private) address and port, or the remote's source hash
// is not the address and port the remote's packets arrive from. IKEv1 hashes with the negotiated
// algorithm, which the clear messages do not tell reliably, so only IKEv2 is decided here.
import { IKE_ICOOKIE, IKE_RCOOKIE } from "../wire/ipsec";

const HASH_BYTES: u32 = 20;
const input = memory.data(64, 16); // SPIi | SPIr | IPv4 | port, padded as one SHA-1 block
const words = memory.data(80 * 4, 16);
const digest = memory.data(20, 16);

@inline function rotl(x: u32, n: u32): u32 { return (x << n) | (x >>> (32 - n)); }

/** SHA-1 of the first `len` (<= 55) bytes at `input`: one block is all NAT-D ever needs. */
function sha1OneBlock(len: u32): void {
  store<u8>(input + len, 0x80);
  memory.fill(input + len + 1, 0, 63 - len - 8);
  store<u32>(input + 56, 0); // the message length in bits, big-endian 64-bit: len <= 55 fits the low word
  store<u32>(input + 60, bswap<u32>(len * 8));
  for (let i: u32 = 0; i < 16; i++) store<u32>(words + (i << 2), bswap<u32>(load<u32>(input + (i << 2))));
  for (let i: u32 = 16; i < 80; i++) {
    const w = load<u32>(words + ((i - 3) << 2)) ^ load<u32>(words + ((i - 8) << 2)) ^ load<u32>(words + ((i - 14) << 2)) ^ load<u32>(words + ((i - 16) << 2));
    store<u32>(words + (i << 2), rotl(w, 1));
  }
  let a: u32 = 0x67452301, b: u32 = 0xefcdab89, c: u32 = 0x98badcfe, d: u32 = 0x10325476, e: u32 = 0xc3d2e1f0;
  for (let i: u32 = 0; i < 80; i++) {
    let f: u32, k: u32;
    if (i < 20) { f = (b & c) | (~b & d); k = 0x5a827999; }
    else if (i < 40) { f = b ^ c ^ d; k = 0x6ed9eba1; }
    else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8f1bbcdc; }
    else { f = b ^ c ^ d; k = 0xca62c1d6; }
    const t = rotl(a, 5) + f + e + k + load<u32>(words + (i << 2));
    e = d; d = c; c = rotl(b, 30); b = a; a = t;
  }
  store<u32>(digest, bswap<u32>(a + 0x67452301));
  store<u32>(digest + 4, bswap<u32>(b + 0xefcdab89));
  store<u32>(digest + 8, bswap<u32>(c + 0x98badcfe));
  store<u32>(digest + 12, bswap<u32>(d + 0x10325476));
  store<u32>(digest + 16, bswap<u32>(e + 0xc3d2e1f0));
}

/** True when `hash` (20 bytes of a NAT_DETECTION notify) is the NAT-D hash of addr:port for this message. */
export function natDMatches(ike: usize, hash: usize, addr: u32, port: u32): bool {
  // Word by word: the optimiser turns an 8-byte memory.copy into i64, which the board's wasm3 lacks.
  store<u32>(input, load<u32>(ike + IKE_ICOOKIE));
  store<u32>(input + 4, load<u32>(ike + IKE_ICOOKIE + 4));
  store<u32>(input + 8, load<u32>(ike + IKE_RCOOKIE));
  store<u32>(input + 12, load<u32>(ike + IKE_RCOOKIE + 4));
  store<u32>(input + 16, bswap<u32>(addr));
  store<u16>(input + 20, bswap<u16>(<u16>port));
  sha1OneBlock(22);
  for (let i: u32 = 0; i < HASH_BYTES; i += 4) if (load<u32>(digest + i) != load<u32>(hash + i)) return false;
  return true;
}
