// Transport headers the NAT rewrites: UDP (RFC 768), TCP (RFC 793), ICMP (RFC 792).
// Offsets are from the start of each header.

export const UDP_SRC_PORT = 0;
export const UDP_DST_PORT = 2;
export const UDP_LENGTH = 4;
export const UDP_CHECKSUM = 6;
export const UDP_HEADER_LEN: u32 = 8;

export const TCP_SRC_PORT = 0;
export const TCP_DST_PORT = 2;
export const TCP_SEQ = 4;
export const TCP_ACK = 8;
export const TCP_OFFSET = 12;
export const TCP_FLAGS = 13;
export const TCP_CHECKSUM = 16;
export const TCP_MIN_HEADER: u32 = 20;

export const TCP_FIN: u8 = 0x01;
export const TCP_SYN: u8 = 0x02;
export const TCP_RST: u8 = 0x04;
export const TCP_ACK_FLAG: u8 = 0x10;

export const ICMP_TYPE = 0;
export const ICMP_CODE = 1;
export const ICMP_CHECKSUM = 2;
export const ICMP_ID = 4; // echo and other query messages
export const ICMP_SEQ = 6;
export const ICMP_HEADER_LEN: u32 = 8;

export const ICMP_ECHO_REPLY: u8 = 0;
export const ICMP_DEST_UNREACH: u8 = 3;
export const ICMP_SOURCE_QUENCH: u8 = 4;
export const ICMP_REDIRECT: u8 = 5;
export const ICMP_ECHO_REQUEST: u8 = 8;
export const ICMP_TIME_EXCEEDED: u8 = 11;
export const ICMP_PARAM_PROBLEM: u8 = 12;

/** ICMP errors carry the offending packet's IP header and at least 8 bytes after it (RFC 792, RFC 5508). */
@inline export function isIcmpError(type: u8): bool {
  return type == ICMP_DEST_UNREACH || type == ICMP_TIME_EXCEEDED || type == ICMP_PARAM_PROBLEM || type == ICMP_SOURCE_QUENCH;
}

/** Where each protocol keeps its checksum, for the translate step (-1: none to fix). */
@inline export function l4ChecksumOffset(proto: u8): i32 {
  if (proto == 6) return TCP_CHECKSUM;
  if (proto == 17) return UDP_CHECKSUM;
  if (proto == 1) return ICMP_CHECKSUM;
  return -1;
}
