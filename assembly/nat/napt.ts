// NAPT per direction: look the packet up, rewrite it through the translate step, deliver it.
//   in2out: LAN -> WAN, source rewritten; a destination that is one of our public addresses hairpins
//           back into out2in (RFC 4787 REQ-9: the hairpinned packet carries the external source).
//   out2in: WAN (or hairpin) -> LAN, destination rewritten.
// Order in each direction: Map List (static 1:1, no ports), non-first fragments, ICMP errors, the ALG
// hook, then the session table (misses go to the slow path in nat/flows.ts).
import { PORT_LAN, PORT_WAN } from "../abi";
import { Config } from "../config";
import { Counter, count } from "../counters";
import { get16 } from "../wire/bytes";
import { PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_ESP, PROTO_AH } from "../wire/ipv4";
import { TCP_FLAGS, TCP_SYN, TCP_ACK_FLAG, TCP_FIN, TCP_RST, ICMP_TYPE, ICMP_ID, ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY, isIcmpError } from "../wire/l4";
import { Pkt, Verdict } from "../ip/packet";
import { sendIp, wanNextHop } from "../link/send";
import { echoReply } from "../ip/icmp-local";
import { NO_INDEX } from "./hash";
import { rewrite, NO_PORT } from "./translate";
import { findSessionInside, findSessionOutside, touchSession, addTcpState, sessionInAddr, sessionInPort, sessionExtPort, TCP_SYN_OUT, TCP_SYN_IN, TCP_FIN_OUT, TCP_FIN_IN, TCP_RST_SEEN } from "./sessions";
import { flowAt } from "./flow";
import { createIn2Out, createOut2In } from "./flows";
import { NONE, mapForInside, mapForOutside, mapInternal, mapExternal, isTransparent } from "./static";
import { isPublicAddress } from "./public";
import { noteFirstFragment, fragmentLater } from "./fragments";
import { icmpErrorIn2Out, icmpErrorOut2In } from "./icmp-errors";
import { algIn2Out, algOut2In } from "./algs";

/** Sends a translated packet out of the WAN, or back in when it was addressed to us (hairpinning). */
export function deliverIn2Out(): Verdict {
  if (isPublicAddress(Pkt.dst)) {
    if (!Config.hairpin) { count(Counter.DropFiltered); return Verdict.Dropped; }
    count(Counter.NatHairpin);
    return natOut2In();
  }
  const hop = wanNextHop(Pkt.dst);
  if (hop == 0) { count(Counter.DropNoRoute); return Verdict.Dropped; }
  sendIp(PORT_WAN, hop, Pkt.frame, Pkt.len, Pkt.now);
  return Verdict.Forwarded;
}

export function deliverOut2In(): Verdict {
  sendIp(PORT_LAN, Pkt.dst, Pkt.frame, Pkt.len, Pkt.now);
  return Verdict.Forwarded;
}

/** A stage's decision carried out: a Translated packet is delivered, anything else stands. */
function delivered(v: Verdict, in2out: bool): Verdict {
  if (v != Verdict.Translated) return v;
  return in2out ? deliverIn2Out() : deliverOut2In();
}

@inline function tcpFlags(): u8 {
  return load<u8>(Pkt.l4 + TCP_FLAGS);
}

/** TCP state bits a packet adds in a direction. */
function tcpBits(flags: u8, in2out: bool): u8 {
  let bits: u8 = 0;
  if (flags & TCP_RST) bits |= TCP_RST_SEEN;
  if (flags & TCP_SYN) bits |= in2out ? TCP_SYN_OUT : TCP_SYN_IN;
  if (flags & TCP_FIN) bits |= in2out ? TCP_FIN_OUT : TCP_FIN_IN;
  return bits;
}

@inline function isSynOnly(flags: u8): bool {
  return (flags & (TCP_SYN | TCP_ACK_FLAG | TCP_RST | TCP_FIN)) == TCP_SYN;
}

function staticIn2Out(m: i32): Verdict {
  if (isTransparent(m)) {
    count(Counter.TransparentPass);
  } else {
    rewrite(true, mapExternal(m), NO_PORT, 0xffffffff, 0xffffffff);
    count(Counter.StaticMapIn2Out);
  }
  return deliverIn2Out();
}

function staticOut2In(m: i32): Verdict {
  if (isTransparent(m)) {
    count(Counter.TransparentPass);
  } else {
    rewrite(false, mapInternal(m), NO_PORT, 0xffffffff, 0xffffffff);
    count(Counter.StaticMapOut2In);
  }
  return deliverOut2In();
}

export function natIn2Out(): Verdict {
  if (Config.mapCount != 0) {
    const m = mapForInside(Pkt.src);
    if (m != NONE) { noteFirstFragment(true, false); return staticIn2Out(m); }
  }
  if (Pkt.l4 == 0) return fragmentLater(true);
  const proto = Pkt.proto;
  const l4 = Pkt.l4;
  let inPort: u32 = 0, remPort: u32 = 0;
  let startsFlow = true;
  if (proto == PROTO_UDP || proto == PROTO_TCP) {
    inPort = get16(l4);
    remPort = get16(l4 + 2);
    if (proto == PROTO_TCP) startsFlow = isSynOnly(tcpFlags());
  } else if (proto == PROTO_ICMP) {
    const type = load<u8>(l4 + ICMP_TYPE);
    if (isIcmpError(type)) return delivered(icmpErrorIn2Out(), true);
    if (type != ICMP_ECHO_REQUEST && type != ICMP_ECHO_REPLY) { count(Counter.DropIcmpMalformed); return Verdict.Dropped; }
    inPort = get16(l4 + ICMP_ID);
    startsFlow = type == ICMP_ECHO_REQUEST;
  } else if (proto != PROTO_ESP && proto != PROTO_AH) {
    count(Counter.DropProtocol);
    return Verdict.Dropped;
  }
  const alg = algIn2Out();
  if (alg != Verdict.NotMine) return alg;
  if (proto == PROTO_ESP || proto == PROTO_AH) { count(Counter.DropIpsecOff); return Verdict.Dropped; }

  let si = findSessionInside(proto, Pkt.src, inPort, Pkt.dst, remPort);
  if (si == NO_INDEX) {
    if (!startsFlow) { count(proto == PROTO_TCP ? Counter.DropTcpNotSyn : Counter.DropUnsolicited); return Verdict.Dropped; }
    si = createIn2Out(proto, Pkt.src, inPort, Pkt.dst, remPort, Pkt.now);
    if (si == NO_INDEX) return Verdict.Dropped;
  }
  if (proto == PROTO_TCP) addTcpState(si, tcpBits(tcpFlags(), true), Pkt.now);
  touchSession(flowAt(si), Pkt.now, true);
  rewrite(true, Config.wanAddr, sessionExtPort(si), 0xffffffff, 0xffffffff);
  noteFirstFragment(true, false);
  count(Counter.NatIn2Out);
  return deliverIn2Out();
}

export function natOut2In(): Verdict {
  if (Config.mapCount != 0) {
    const m = mapForOutside(Pkt.dst);
    if (m != NONE) { noteFirstFragment(false, true); return staticOut2In(m); }
  }
  if (Pkt.dst != Config.wanAddr) { count(Counter.DropUnsolicited); return Verdict.Dropped; }
  if (Pkt.l4 == 0) return fragmentLater(false);
  const proto = Pkt.proto;
  const l4 = Pkt.l4;
  let extPort: u32 = 0, remPort: u32 = 0;
  let startsFlow = true;
  if (proto == PROTO_UDP || proto == PROTO_TCP) {
    remPort = get16(l4);
    extPort = get16(l4 + 2);
    if (proto == PROTO_TCP) startsFlow = isSynOnly(tcpFlags());
  } else if (proto == PROTO_ICMP) {
    const type = load<u8>(l4 + ICMP_TYPE);
    if (isIcmpError(type)) return delivered(icmpErrorOut2In(), false);
    if (type == ICMP_ECHO_REQUEST && Config.wanPing && Pkt.port == PORT_WAN) { echoReply(); return Verdict.Forwarded; }
    if (type != ICMP_ECHO_REQUEST && type != ICMP_ECHO_REPLY) { count(Counter.DropIcmpMalformed); return Verdict.Dropped; }
    extPort = get16(l4 + ICMP_ID);
    startsFlow = type == ICMP_ECHO_REQUEST;
  } else if (proto != PROTO_ESP && proto != PROTO_AH) {
    count(Counter.DropProtocol);
    return Verdict.Dropped;
  }
  const alg = algOut2In();
  if (alg != Verdict.NotMine) return alg;
  if (proto == PROTO_ESP || proto == PROTO_AH) { count(Counter.DropIpsecOff); return Verdict.Dropped; }

  let si = findSessionOutside(proto, Pkt.dst, extPort, Pkt.src, remPort);
  if (si == NO_INDEX) {
    si = createOut2In(proto, extPort, Pkt.src, remPort, startsFlow, Pkt.now);
    if (si == NO_INDEX) return Verdict.Dropped;
  }
  if (proto == PROTO_TCP) addTcpState(si, tcpBits(tcpFlags(), false), Pkt.now);
  touchSession(flowAt(si), Pkt.now, false);
  rewrite(false, sessionInAddr(si), sessionInPort(si), 0xffffffff, 0xffffffff);
  noteFirstFragment(false, true);
  count(Counter.NatOut2In);
  return deliverOut2In();
}
