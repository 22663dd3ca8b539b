// ICMP the router itself sends: echo replies for its own addresses (RFC 792, RFC 1122 3.2.2.6) and
// Time Exceeded when a forwarded packet's TTL runs out (RFC 1812 5.3.1). Never in reply to an ICMP
// error, a non-first fragment or a broadcast (RFC 1812 4.3.2.7).
import { PORT_LAN } from "../abi";
import { Counter, count } from "../counters";
import { get16, set16, get32, set32 } from "../wire/bytes";
import { checksum, deltaOf, applyDelta } from "../wire/checksum";
import { ETH_HEADER_LEN, ETH_TYPE, ETHERTYPE_IPV4 } from "../wire/ethernet";
import { IP_VER_IHL, IP_TOS, IP_TOTAL_LEN, IP_ID, IP_FLAGS_FRAG, IP_TTL, IP_PROTO, IP_CHECKSUM, IP_SRC, IP_DST, PROTO_ICMP, fragOffsetBytes } from "../wire/ipv4";
import { ICMP_TYPE, ICMP_CODE, ICMP_CHECKSUM, ICMP_ECHO_REPLY, ICMP_TIME_EXCEEDED, isIcmpError } from "../wire/l4";
import { Pkt } from "./packet";
import { sendIp, wanNextHop } from "../link/send";
import { arenaTake } from "../arena";

const DEFAULT_TTL: u8 = 64;
let scratch: usize = 0;
let ipId: u32 = 1;

export function icmpLocalInit(): bool {
  scratch = arenaTake(ETH_HEADER_LEN + 20 + 8 + 60 + 8 + 16);
  return scratch != 0;
}

/** The next hop back towards a packet's source, on the port it came from. */
@inline function returnHop(port: u16, src: u32): u32 {
  return port == PORT_LAN ? src : wanNextHop(src);
}

/** Turns the echo request in Pkt into a reply in place and sends it back. */
export function echoReply(): void {
  const ip = Pkt.ip, l4 = Pkt.l4;
  if (l4 == 0 || Pkt.l4Len < 8) { count(Counter.DropIcmpMalformed); return; }
  if (checksum(l4, Pkt.ipLen - Pkt.hl, 0) != 0) { count(Counter.DropIcmpMalformed); return; }
  store<u8>(l4 + ICMP_TYPE, ICMP_ECHO_REPLY);
  applyDelta(l4 + ICMP_CHECKSUM, deltaOf(0, 0, 8 << 8, 0));
  set32(ip + IP_SRC, Pkt.dst);
  set32(ip + IP_DST, Pkt.src);
  store<u8>(ip + IP_TTL, DEFAULT_TTL);
  set16(ip + IP_CHECKSUM, 0);
  set16(ip + IP_CHECKSUM, checksum(ip, Pkt.hl, 0));
  count(Counter.IcmpEchoReplies);
  sendIp(Pkt.port, returnHop(Pkt.port, Pkt.src), Pkt.frame, Pkt.len, Pkt.now);
}

/** Sends an ICMP error about the packet in Pkt (its header and first 8 payload bytes) from `fromAddr`. */
export function sendIcmpError(type: u8, code: u8, fromAddr: u32): void {
  if (fragOffsetBytes(Pkt.ip) != 0) return;
  if (Pkt.proto == PROTO_ICMP && Pkt.l4 != 0 && isIcmpError(load<u8>(Pkt.l4 + ICMP_TYPE))) return;
  const quoted = min<u32>(Pkt.ipLen, Pkt.hl + 8);
  const f = scratch;
  const ip = f + ETH_HEADER_LEN;
  const icmp = ip + 20;
  set16(f + ETH_TYPE, ETHERTYPE_IPV4);
  store<u8>(ip + IP_VER_IHL, 0x45);
  store<u8>(ip + IP_TOS, 0);
  set16(ip + IP_TOTAL_LEN, 20 + 8 + quoted);
  set16(ip + IP_ID, ipId++ & 0xffff);
  set16(ip + IP_FLAGS_FRAG, 0);
  store<u8>(ip + IP_TTL, DEFAULT_TTL);
  store<u8>(ip + IP_PROTO, PROTO_ICMP);
  set32(ip + IP_SRC, fromAddr);
  set32(ip + IP_DST, Pkt.src);
  set16(ip + IP_CHECKSUM, 0);
  set16(ip + IP_CHECKSUM, checksum(ip, 20, 0));
  store<u8>(icmp + ICMP_TYPE, type);
  store<u8>(icmp + ICMP_CODE, code);
  store<u32>(icmp, 0, 4);
  set16(icmp + ICMP_CHECKSUM, 0);
  memory.copy(icmp + 8, Pkt.ip, quoted);
  set16(icmp + ICMP_CHECKSUM, checksum(icmp, 8 + quoted, 0));
  sendIp(Pkt.port, returnHop(Pkt.port, Pkt.src), f, ETH_HEADER_LEN + 28 + quoted, Pkt.now);
}

export function timeExceeded(fromAddr: u32): void {
  count(Counter.DropTtlExceeded);
  count(Counter.IcmpTimeExceededOut);
  sendIcmpError(ICMP_TIME_EXCEEDED, 0, fromAddr);
}

/** Decrements TTL for a packet about to be forwarded (RFC 1624 update); false when it expired. */
export const TTL_DECREMENT_DELTA: u32 = 0xfeff;

export function decrementTtl(): bool {
  const ip = Pkt.ip;
  const ttl = <u32>load<u8>(ip + IP_TTL);
  if (ttl <= 1) return false;
  store<u8>(ip + IP_TTL, <u8>(ttl - 1));
  // The TTL/protocol word drops by 0x100, so ~m + m' is always 0xfeff (RFC 1624 eqn. 3).
  applyDelta(ip + IP_CHECKSUM, TTL_DECREMENT_DELTA);
  return true;
}
