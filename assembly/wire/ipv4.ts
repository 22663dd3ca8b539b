// IPv4 header (RFC 791). Offsets from the start of the IP header; options are skipped, never parsed.
import { get16 } from "./bytes";

export const IP_VER_IHL = 0;
export const IP_TOS = 1;
export const IP_TOTAL_LEN = 2;
export const IP_ID = 4;
export const IP_FLAGS_FRAG = 6;
export const IP_TTL = 8;
export const IP_PROTO = 9;
export const IP_CHECKSUM = 10;
export const IP_SRC = 12;
export const IP_DST = 16;
export const IP_MIN_HEADER: u32 = 20;

export const IP_FLAG_MF: u32 = 0x2000;
export const IP_FLAG_DF: u32 = 0x4000;
export const IP_FRAG_MASK: u32 = 0x1fff;

export const PROTO_ICMP: u8 = 1;
export const PROTO_TCP: u8 = 6;
export const PROTO_UDP: u8 = 17;
export const PROTO_ESP: u8 = 50;
export const PROTO_AH: u8 = 51;

@inline export function headerLen(ip: usize): u32 {
  return (<u32>load<u8>(ip) & 0xf) << 2;
}

/** Fragment offset in bytes (0 for the first fragment or an unfragmented packet). */
@inline export function fragOffsetBytes(ip: usize): u32 {
  return (get16(ip + IP_FLAGS_FRAG) & IP_FRAG_MASK) << 3;
}

@inline export function moreFragments(ip: usize): bool {
  return (get16(ip + IP_FLAGS_FRAG) & IP_FLAG_MF) != 0;
}

@inline export function isFragment(ip: usize): bool {
  return (get16(ip + IP_FLAGS_FRAG) & (IP_FLAG_MF | IP_FRAG_MASK)) != 0;
}

/** The part of the TCP/UDP pseudo-header sum (RFC 793/768) that does not depend on the addresses. */
@inline export function pseudoSum(src: u32, dst: u32, proto: u32, l4len: u32): u32 {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + proto + l4len;
}
