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
import { findSessionInside, findSessionOutside, touchSession, addTcpState, sessionInAddr, sessionInPort, sessionExtPort, sessionIpDelta, sessionL4Delta, TCP_SYN_OUT, TCP_SYN_IN, TCP_FIN_OUT, TCP_FIN_IN, TCP_RST_SEEN } from "./sessions";
import { flowAt } from "./flow";
import { createIn2Out, createOut2In } from "./flows";
import { NONE, mapForInside, mapForOutside, mapInternal, mapExternal, isTransparent } from "./static";
import { isPublicAddress } from "./public";
import { noteFirstFragment, fragmentLater } from "./fragments";
import { icmpErrorIn2Out, icmpErrorOut2In } from "./icmp-errors";
import { algIn2Out, algOut2In } from "./algs";
import { Decision, decideOne, decideWithDeltas, targetAddr, targetPort } from "./decision";
import { reverseDelta } from "../wire/checksum";

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

/**
 * Carries out a stage's verdict: a Translated packet's decision (nat/decision.ts) is applied here, the
 * one place that rewrites, notes a first fragment, counts and delivers; any other verdict stands. Copies
 * are read after the previous one was delivered: only out2in decisions have several, and delivering
 * out2in never re-enters the core (in2out may, by hairpinning, and has one target).
 */
function applied(v: Verdict, in2out: bool): Verdict {
  if (v != Verdict.Translated) return v;
  const n = Decision.targets, counter = Decision.counter;
  let last = Verdict.Dropped;
  for (let i: u32 = 0; i < n; i++) {
    rewrite(in2out, targetAddr(i), targetPort(i), Decision.ipDelta, Decision.l4Delta);
    if (i == 0) noteFirstFragment(in2out);
    count(counter);
    last = in2out ? deliverIn2Out() : deliverOut2In();
  }
  return n > 1 ? Verdict.Forwarded : last;
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

/** A Map List entry's decision: its other address (a Transparent Map keeps the packet's, a rewrite
 *  that changes nothing), ports untouched. */
function staticDecision(m: i32, in2out: bool): Verdict {
  const transparent = isTransparent(m);
  decideOne(in2out ? mapExternal(m) : mapInternal(m), NO_PORT,
    transparent ? Counter.TransparentPass : in2out ? Counter.StaticMapIn2Out : Counter.StaticMapOut2In);
  return Verdict.Translated;
}

export function natIn2Out(): Verdict {
  if (Config.mapCount != 0) {
    const m = mapForInside(Pkt.src);
    if (m != NONE) return applied(staticDecision(m, true), true);
  }
  if (Pkt.l4 == 0) return applied(fragmentLater(true), true);
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
    if (isIcmpError(type)) return applied(icmpErrorIn2Out(), true);
    if (type != ICMP_ECHO_REQUEST && type != ICMP_ECHO_REPLY) { count(Counter.DropIcmpMalformed); return Verdict.Dropped; }
    inPort = get16(l4 + ICMP_ID);
    startsFlow = type == ICMP_ECHO_REQUEST;
  } else if (proto != PROTO_ESP && proto != PROTO_AH) {
    count(Counter.DropProtocol);
    return Verdict.Dropped;
  }
  const alg = algIn2Out();
  if (alg != Verdict.NotMine) return applied(alg, true);
  if (proto == PROTO_ESP || proto == PROTO_AH) { count(Counter.DropIpsecOff); return Verdict.Dropped; }

  let si = findSessionInside(proto, Pkt.src, inPort, Pkt.dst, remPort);
  if (si == NO_INDEX) {
    if (!startsFlow) { count(proto == PROTO_TCP ? Counter.DropTcpNotSyn : Counter.DropUnsolicited); return Verdict.Dropped; }
    si = createIn2Out(proto, Pkt.src, inPort, Pkt.dst, remPort, Pkt.now);
    if (si == NO_INDEX) return Verdict.Dropped;
  }
  if (proto == PROTO_TCP) addTcpState(si, tcpBits(tcpFlags(), true), Pkt.now);
  touchSession(flowAt(si), Pkt.now, true);
  decideWithDeltas(Config.wanAddr, sessionExtPort(si), sessionIpDelta(si), sessionL4Delta(si), Counter.NatIn2Out);
  return applied(Verdict.Translated, true);
}

export function natOut2In(): Verdict {
  if (Config.mapCount != 0) {
    const m = mapForOutside(Pkt.dst);
    if (m != NONE) return applied(staticDecision(m, false), false);
  }
  if (Pkt.dst != Config.wanAddr) { count(Counter.DropUnsolicited); return Verdict.Dropped; }
  if (Pkt.l4 == 0) return applied(fragmentLater(false), false);
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
    if (isIcmpError(type)) return applied(icmpErrorOut2In(), false);
    if (type == ICMP_ECHO_REQUEST && Config.wanPing && Pkt.port == PORT_WAN) { echoReply(); return Verdict.Forwarded; }
    if (type != ICMP_ECHO_REQUEST && type != ICMP_ECHO_REPLY) { count(Counter.DropIcmpMalformed); return Verdict.Dropped; }
    extPort = get16(l4 + ICMP_ID);
    startsFlow = type == ICMP_ECHO_REQUEST;
  } else if (proto != PROTO_ESP && proto != PROTO_AH) {
    count(Counter.DropProtocol);
    return Verdict.Dropped;
  }
  const alg = algOut2In();
  if (alg != Verdict.NotMine) return applied(alg, false);
  if (proto == PROTO_ESP || proto == PROTO_AH) { count(Counter.DropIpsecOff); return Verdict.Dropped; }

  let si = findSessionOutside(proto, Pkt.dst, extPort, Pkt.src, remPort);
  if (si == NO_INDEX) {
    si = createOut2In(proto, extPort, Pkt.src, remPort, startsFlow, Pkt.now);
    if (si == NO_INDEX) return Verdict.Dropped;
  }
  if (proto == PROTO_TCP) addTcpState(si, tcpBits(tcpFlags(), false), Pkt.now);
  touchSession(flowAt(si), Pkt.now, false);
  decideWithDeltas(sessionInAddr(si), sessionInPort(si), reverseDelta(sessionIpDelta(si)), reverseDelta(sessionL4Delta(si)), Counter.NatOut2In);
  return applied(Verdict.Translated, false);
}
