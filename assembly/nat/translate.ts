// The one place that rewrites addresses and ports and fixes checksums (RFC 1624 incremental updates).
// NAT stages and ALGs decide *what* to rewrite; this step does it, for whichever headers the packet
// carries: a non-first fragment has only its IP header, ICMP queries have an identifier instead of a port.
import { Pkt } from "../ip/packet";
import { get16, set16, get32, set32 } from "../wire/bytes";
import { applyDelta, applyDeltaUdp, deltaOf } from "../wire/checksum";
import { IP_SRC, IP_DST, IP_CHECKSUM, PROTO_TCP, PROTO_UDP, PROTO_ICMP } from "../wire/ipv4";
import { UDP_SRC_PORT, UDP_DST_PORT, UDP_CHECKSUM, TCP_CHECKSUM, ICMP_ID, ICMP_CHECKSUM } from "../wire/l4";

export const NO_PORT: u32 = 0xffffffff;

/** Offset of the port a direction rewrites: the source port in2out, the destination port out2in. */
@inline function portOffset(source: bool): u32 {
  return source ? UDP_SRC_PORT : UDP_DST_PORT; // TCP uses the same offsets
}

/**
 * Rewrites the source (in2out) or destination (out2in) address, and the port or ICMP identifier when
 * newPort != NO_PORT and the transport header is present. ipDelta/l4Delta are precomputed deltas
 * (address only / address + port) or 0xffffffff to compute them here.
 */
export function rewrite(source: bool, newAddr: u32, newPort: u32, ipDelta: u32, l4Delta: u32): void {
  const ip = Pkt.ip;
  const addrAt = ip + (source ? IP_SRC : IP_DST);
  const oldAddr = get32(addrAt);
  if (ipDelta == 0xffffffff) ipDelta = deltaOf(oldAddr, newAddr, 0, 0);
  set32(addrAt, newAddr);
  applyDelta(ip + IP_CHECKSUM, ipDelta);
  if (source) Pkt.src = newAddr; else Pkt.dst = newAddr;
  const l4 = Pkt.l4;
  if (l4 == 0) return;
  const proto = Pkt.proto;
  if (proto == PROTO_UDP || proto == PROTO_TCP) {
    const pAt = l4 + portOffset(source);
    const oldPort = get16(pAt);
    const port = newPort == NO_PORT ? oldPort : newPort;
    if (l4Delta == 0xffffffff) l4Delta = deltaOf(oldAddr, newAddr, oldPort, port);
    set16(pAt, port);
    if (proto == PROTO_UDP) applyDeltaUdp(l4 + UDP_CHECKSUM, l4Delta);
    else applyDelta(l4 + TCP_CHECKSUM, l4Delta);
  } else if (proto == PROTO_ICMP && newPort != NO_PORT) {
    // ICMP has no pseudo-header: only the identifier enters its checksum.
    const oldId = get16(l4 + ICMP_ID);
    set16(l4 + ICMP_ID, newPort);
    applyDelta(l4 + ICMP_CHECKSUM, deltaOf(0, 0, oldId, newPort));
  }
}
