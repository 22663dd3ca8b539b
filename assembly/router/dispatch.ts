// The IPv4 dispatch, the top of the stack: a parsed packet (ip/parse.ts) is for the router itself (ICMP
// echo), hairpins or goes out to the WAN (in2out), or comes in from the WAN (out2in).
// Anti-spoofing: LAN frames must come from LAN hosts, WAN frames must not claim LAN sources.
import { PORT_LAN } from "../abi";
import { Config, isLanHost } from "../config";
import { Counter, count } from "../counters";
import { PROTO_ICMP } from "../wire/ipv4";
import { ICMP_TYPE, ICMP_ECHO_REQUEST } from "../wire/l4";
import { Pkt, Verdict } from "../ip/packet";
import { parseIpv4, inLanSubnets, isSpecial } from "../ip/parse";
import { echoReply, timeExceeded, decrementTtl } from "../ip/icmp-local";
import { natIn2Out, natOut2In } from "../nat/napt";
import { isPublicAddress } from "../nat/public";

/** Packets addressed to the router itself: it answers pings and nothing else. */
function local(): void {
  if (Pkt.proto == PROTO_ICMP && Pkt.l4 != 0 && !Pkt.fragment && load<u8>(Pkt.l4 + ICMP_TYPE) == ICMP_ECHO_REQUEST) {
    echoReply();
    return;
  }
  count(Counter.DropNotForUs);
}

@inline function isEchoRequest(): bool {
  return Pkt.proto == PROTO_ICMP && Pkt.l4 != 0 && !Pkt.fragment && load<u8>(Pkt.l4 + ICMP_TYPE) == ICMP_ECHO_REQUEST;
}

function fromLan(): Verdict {
  const src = Pkt.src, dst = Pkt.dst;
  if (!isLanHost(src)) { count(Counter.DropMartian); return Verdict.Dropped; }
  if (dst == Config.lanAddr || (Config.routedAddr != 0 && dst == Config.routedAddr)) { local(); return Verdict.Forwarded; }
  if (dst == Config.wanAddr && isEchoRequest()) { local(); return Verdict.Forwarded; }
  if (isSpecial(dst) || inLanSubnets(dst)) { count(Counter.DropNotForUs); return Verdict.Dropped; }
  if (!decrementTtl()) { timeExceeded(Config.lanAddr); return Verdict.Dropped; }
  return natIn2Out();
}

function fromWan(): Verdict {
  const src = Pkt.src, dst = Pkt.dst;
  if (inLanSubnets(src) || isSpecial(src) || src == Config.wanAddr) { count(Counter.DropMartian); return Verdict.Dropped; }
  if (isSpecial(dst)) { count(Counter.DropNotForUs); return Verdict.Dropped; }
  const publicAddr = isPublicAddress(dst);
  if (!publicAddr) { count(Counter.DropNotForUs); return Verdict.Dropped; }
  // Pings to the WAN address are the router's own unless it is told not to answer them.
  if (dst == Config.wanAddr && Config.wanPing && isEchoRequest()) { local(); return Verdict.Forwarded; }
  if (!decrementTtl()) { timeExceeded(Config.wanAddr); return Verdict.Dropped; }
  return natOut2In();
}

export function handleIpv4(port: u16, frame: usize, len: u32, now: u32): void {
  if (!parseIpv4(port, frame, len, now)) return;
  if (port == PORT_LAN) fromLan(); else fromWan();
}
