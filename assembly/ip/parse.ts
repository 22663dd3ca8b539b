// IPv4 input: validate the header (RFC 1812 5.2.2: version, IHL, total length, checksum), trim
// Ethernet padding and find the transport header, filling Pkt. Options are skipped, never parsed.
// What happens to the packet next is router/dispatch.ts's decision.
import { Config } from "../config";
import { Counter, count } from "../counters";
import { get16, get32 } from "../wire/bytes";
import { checksum } from "../wire/checksum";
import { ETH_HEADER_LEN } from "../wire/ethernet";
import { IP_TOTAL_LEN, IP_PROTO, IP_SRC, IP_DST, IP_MIN_HEADER, PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_ESP, PROTO_AH, headerLen, isFragment, fragOffsetBytes } from "../wire/ipv4";
import { TCP_OFFSET, TCP_MIN_HEADER, UDP_HEADER_LEN, ICMP_HEADER_LEN } from "../wire/l4";
import { ESP_MIN_LEN, AH_MIN_LEN } from "../wire/ipsec";
import { Pkt } from "./packet";

/** In the LAN's subnet or the routed subnet. */
@inline export function inLanSubnets(addr: u32): bool {
  return (addr & Config.lanMask) == (Config.lanAddr & Config.lanMask) ||
    (Config.routedAddr != 0 && (addr & Config.routedMask) == (Config.routedAddr & Config.routedMask));
}

@inline export function isSpecial(addr: u32): bool {
  // 0/8, 127/8, multicast and above (RFC 1812 5.3.7 martians and broadcasts)
  const top = addr >>> 24;
  return top == 0 || top == 127 || top >= 224;
}

/** Minimum transport header bytes a first fragment or whole packet must carry. */
function minTransport(proto: u8): u32 {
  if (proto == PROTO_TCP) return TCP_MIN_HEADER;
  if (proto == PROTO_UDP) return UDP_HEADER_LEN;
  if (proto == PROTO_ICMP) return ICMP_HEADER_LEN;
  if (proto == PROTO_ESP) return ESP_MIN_LEN;
  if (proto == PROTO_AH) return AH_MIN_LEN;
  return 0;
}

/** Fills Pkt from the frame; false (counted) when the header is not a valid IPv4 header. */
export function parseIpv4(port: u16, frame: usize, len: u32, now: u32): bool {
  Pkt.now = now;
  if (len < ETH_HEADER_LEN + IP_MIN_HEADER) { count(Counter.DropIpMalformed); return false; }
  const ip = frame + ETH_HEADER_LEN;
  if ((load<u8>(ip) >> 4) != 4) { count(Counter.DropIpVersion); return false; }
  const hl = headerLen(ip);
  const total = get16(ip + IP_TOTAL_LEN);
  if (hl < IP_MIN_HEADER || total < hl || total > len - ETH_HEADER_LEN) { count(Counter.DropIpMalformed); return false; }
  if (checksum(ip, hl, 0) != 0) { count(Counter.DropIpChecksum); return false; }
  Pkt.port = port;
  Pkt.frame = frame;
  Pkt.len = ETH_HEADER_LEN + total; // drop Ethernet padding
  Pkt.ip = ip;
  Pkt.hl = hl;
  Pkt.ipLen = total;
  Pkt.proto = load<u8>(ip + IP_PROTO);
  Pkt.src = get32(ip + IP_SRC);
  Pkt.dst = get32(ip + IP_DST);
  Pkt.fragment = isFragment(ip);
  Pkt.wireSrc = Pkt.src;
  Pkt.wireDst = Pkt.dst;
  Pkt.l4 = 0;
  Pkt.l4Len = 0;
  if (fragOffsetBytes(ip) == 0) {
    const l4Len = total - hl;
    const need = minTransport(Pkt.proto);
    if (l4Len < need) { count(Counter.DropL4Malformed); return false; }
    if (Pkt.proto == PROTO_TCP) {
      const off = (<u32>load<u8>(ip + hl + TCP_OFFSET) >> 4) << 2;
      if (off < TCP_MIN_HEADER || off > l4Len) { count(Counter.DropL4Malformed); return false; }
    }
    Pkt.l4 = ip + hl;
    Pkt.l4Len = l4Len;
  }
  return true;
}
