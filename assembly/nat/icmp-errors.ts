// ICMP errors through the NAT (RFC 5508 REQ-3/4, RFC 5382 REQ-9): an error about a translated flow
// is matched by the packet it quotes, and both the outer header and the quoted header are translated,
// with every checksum that covers them fixed: outer IP, quoted IP, the quoted UDP/TCP checksum when
// the quote reaches it, and the ICMP checksum (recomputed over the whole message, which we hold).
// An error with a bad ICMP checksum is dropped, not repaired (REQ-3). Errors about tunnels (quoted ESP,
// AH or IKE, which no NAT session explains) go to the host the IPsec ALG knows (REQ-4): path MTU
// discovery for a tunnel depends on "fragmentation needed" quoting its ESP.
import { Config } from "../config";
import { Counter, count } from "../counters";
import { get16, set16, get32, set32 } from "../wire/bytes";
import { applyDelta, applyDeltaUdp, checksum, deltaOf } from "../wire/checksum";
import { IP_SRC, IP_DST, IP_CHECKSUM, IP_PROTO, IP_MIN_HEADER, PROTO_TCP, PROTO_UDP, PROTO_ICMP, headerLen } from "../wire/ipv4";
import { ICMP_CHECKSUM, ICMP_HEADER_LEN, ICMP_ID, UDP_CHECKSUM, TCP_CHECKSUM } from "../wire/l4";
import { Pkt, Verdict } from "../ip/packet";
import { NO_INDEX } from "./hash";
import { NO_PORT } from "./translate";
import { findSessionInside, findSessionOutside, sessionInAddr, sessionInPort, sessionExtPort } from "./sessions";
import { NONE, mapForOutside, mapForInside, mapInternal, mapExternal } from "./static";
import { algQuoteOwner, QuoteOwner } from "./algs";
import { decideOne } from "./decision";

class Quote {
  static ip: usize = 0;
  static hl: u32 = 0;
  static l4: usize = 0;
  static l4Bytes: u32 = 0; // quoted transport bytes present
  static proto: u8 = 0;
  static src: u32 = 0;
  static dst: u32 = 0;
  static srcPort: u32 = 0; // ICMP: the identifier
  static dstPort: u32 = 0;
}

/** Parses the quoted packet; false when the error is too short or malformed to translate. */
function parseQuote(): bool {
  const icmpLen = Pkt.ipLen - Pkt.hl;
  if (Pkt.l4 == 0 || icmpLen < ICMP_HEADER_LEN + IP_MIN_HEADER + 8) return false;
  const q = Pkt.l4 + ICMP_HEADER_LEN;
  if ((load<u8>(q) >> 4) != 4) return false;
  const hl = headerLen(q);
  if (hl < IP_MIN_HEADER || ICMP_HEADER_LEN + hl + 8 > icmpLen) return false;
  Quote.ip = q;
  Quote.hl = hl;
  Quote.l4 = q + hl;
  Quote.l4Bytes = icmpLen - ICMP_HEADER_LEN - hl;
  Quote.proto = load<u8>(q + IP_PROTO);
  Quote.src = get32(q + IP_SRC);
  Quote.dst = get32(q + IP_DST);
  if (Quote.proto == PROTO_ICMP) {
    Quote.srcPort = get16(Quote.l4 + ICMP_ID);
    Quote.dstPort = 0;
  } else {
    Quote.srcPort = get16(Quote.l4);
    Quote.dstPort = get16(Quote.l4 + 2);
  }
  return true;
}

/** Rewrites the quoted packet's source (out2in: the quote was sent by us) or destination endpoint. */
function rewriteQuote(source: bool, newAddr: u32, newPort: u32): void {
  const q = Quote.ip;
  const at = q + (source ? IP_SRC : IP_DST);
  const oldAddr = get32(at);
  set32(at, newAddr);
  applyDelta(q + IP_CHECKSUM, deltaOf(oldAddr, newAddr, 0, 0));
  if (newPort == NO_PORT) return;
  const l4 = Quote.l4;
  if (Quote.proto == PROTO_ICMP) {
    set16(l4 + ICMP_ID, newPort);
    return; // the quoted ICMP checksum is rarely complete; the outer ICMP checksum covers it anyway
  }
  const portAt = l4 + (source ? 0 : 2);
  const oldPort = get16(portAt);
  set16(portAt, newPort);
  const delta = deltaOf(oldAddr, newAddr, oldPort, newPort);
  if (Quote.proto == PROTO_UDP && Quote.l4Bytes >= 8) applyDeltaUdp(l4 + UDP_CHECKSUM, delta);
  else if (Quote.proto == PROTO_TCP && Quote.l4Bytes >= 18) applyDelta(l4 + TCP_CHECKSUM, delta);
}

/** REQ-3: an error whose ICMP checksum is wrong is dropped. A fragmented error cannot be checked whole
 *  here, and passes as before (its checksum is recomputed over what we hold). */
function badChecksum(): bool {
  if (Pkt.fragment || checksum(Pkt.l4, Pkt.ipLen - Pkt.hl, 0) == 0) return false;
  count(Counter.DropIcmpErrorChecksum);
  return true;
}

function fixIcmpChecksum(): void {
  set16(Pkt.l4 + ICMP_CHECKSUM, 0);
  set16(Pkt.l4 + ICMP_CHECKSUM, checksum(Pkt.l4, Pkt.ipLen - Pkt.hl, 0));
}

/** An error from the WAN about a packet we sent out: the quote's source is our external endpoint. */
export function icmpErrorOut2In(): Verdict {
  if (!parseQuote()) { count(Counter.DropIcmpMalformed); return Verdict.Dropped; }
  if (badChecksum()) return Verdict.Dropped;
  let inAddr: u32 = 0, inPort: u32 = NO_PORT;
  const m = Config.mapCount != 0 ? mapForOutside(Quote.src) : NONE;
  if (m != NONE) {
    inAddr = mapInternal(m);
  } else {
    const hasPorts = Quote.proto == PROTO_UDP || Quote.proto == PROTO_TCP || Quote.proto == PROTO_ICMP;
    const si = hasPorts ? findSessionOutside(Quote.proto, Quote.src, Quote.srcPort, Quote.dst, Quote.dstPort) : NO_INDEX;
    if (si != NO_INDEX) {
      inAddr = sessionInAddr(si);
      inPort = sessionInPort(si);
    } else if (algQuoteOwner(true, Quote.proto, Quote.src, Quote.dst, Quote.l4, Quote.l4Bytes)) {
      inAddr = QuoteOwner.addr;
      inPort = QuoteOwner.port;
    } else {
      count(Counter.DropIcmpErrorNoSession);
      return Verdict.Dropped;
    }
  }
  rewriteQuote(true, inAddr, inPort);
  fixIcmpChecksum(); // the outer header is not in the ICMP checksum: the core rewrites it after
  decideOne(inAddr, NO_PORT, Counter.IcmpErrorsOut2In);
  return Verdict.Translated;
}

/** An error from a LAN host about a packet it received through us: the quote's destination is the host. */
export function icmpErrorIn2Out(): Verdict {
  if (!parseQuote()) { count(Counter.DropIcmpMalformed); return Verdict.Dropped; }
  if (badChecksum()) return Verdict.Dropped;
  let extAddr: u32 = 0, extPort: u32 = NO_PORT;
  const m = Config.mapCount != 0 ? mapForInside(Quote.dst) : NONE;
  if (m != NONE) {
    extAddr = mapExternal(m);
  } else {
    const hasPorts = Quote.proto == PROTO_UDP || Quote.proto == PROTO_TCP || Quote.proto == PROTO_ICMP;
    // The quoted packet travelled remote -> host: its destination endpoint is the inside one.
    const si = hasPorts ? (Quote.proto == PROTO_ICMP
      ? findSessionInside(PROTO_ICMP, Quote.dst, Quote.srcPort, Quote.src, 0)
      : findSessionInside(Quote.proto, Quote.dst, Quote.dstPort, Quote.src, Quote.srcPort)) : NO_INDEX;
    if (si != NO_INDEX) {
      extAddr = Config.wanAddr;
      extPort = sessionExtPort(si);
    } else if (algQuoteOwner(false, Quote.proto, Quote.src, Quote.dst, Quote.l4, Quote.l4Bytes)) {
      extAddr = QuoteOwner.addr;
      extPort = QuoteOwner.port;
    } else {
      count(Counter.DropIcmpErrorNoSession);
      return Verdict.Dropped;
    }
  }
  if (Quote.proto == PROTO_ICMP) rewriteQuoteIcmpId(extAddr, extPort);
  else rewriteQuote(false, extAddr, extPort);
  fixIcmpChecksum();
  decideOne(extAddr, NO_PORT, Counter.IcmpErrorsIn2Out);
  return Verdict.Translated;
}

/** A quoted echo (reply) sent to the host: its destination address and identifier become external. */
function rewriteQuoteIcmpId(extAddr: u32, extId: u32): void {
  const q = Quote.ip;
  const oldAddr = get32(q + IP_DST);
  set32(q + IP_DST, extAddr);
  applyDelta(q + IP_CHECKSUM, deltaOf(oldAddr, extAddr, 0, 0));
  if (extId != NO_PORT) set16(Quote.l4 + ICMP_ID, extId);
}
