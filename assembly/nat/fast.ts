// The fast path: a packet of an established UDP or TCP flow, forwarded by its flow record (nat/flow.ts)
// without the whole pipeline. One lookup by the key as it lies in the frame (addresses, ports and
// protocol, per direction); a packet that needs nothing else (20-byte IP header, not a fragment, TTL
// above 1, a valid header checksum, no SYN, FIN or RST) takes the flow's rewrite. Anything else, every
// miss included, goes the long way (router/dispatch.ts), which creates the flows this path finds.
//
// Why this is the long way's result: every decision the long way takes for such a packet depends only
// on that key and the config (martian and local checks, Map List, the ALG's ports, hairpinning, the
// route), except the session, and the config changes only through init, which clears the tables. Flows
// whose packets an ALG reads, or which hairpin, are marked FLOW_SLOW when created and never taken here.
// The per-packet effects are the long way's: the same counters (one tally per frame, counters.ts
// countExpress), touchSession (idle timer, LRU) and sendIp's work (ARP, transmit; the frame is sent where
// it lies, link/emit.ts emitInPlace): each direction keeps a reference to its next hop's ARP entry, used
// only while that entry answers for the next hop as arpLookup would (link/arp.ts arpAnswers).
import { PORT_LAN, PORT_WAN } from "../abi";
import { Counter, count, countExpress } from "../counters";
import { addCarry, fold, updatedChecksum } from "../wire/checksum";
import { IP_MIN_HEADER, IP_SRC, IP_DST, PROTO_TCP, PROTO_UDP } from "../wire/ipv4";
import { UDP_HEADER_LEN, UDP_CHECKSUM, TCP_CHECKSUM, TCP_MIN_HEADER, TCP_OFFSET, TCP_FLAGS, TCP_SYN, TCP_FIN, TCP_RST } from "../wire/l4";
import { ETH_HEADER_LEN } from "../wire/ethernet";
import { emitInPlace, portMac } from "../link/emit";
import { sendIp } from "../link/send";
import { arpEntryOf, arpAnswers, arpEth, arpRef } from "../link/arp";
import { Flow, FLOW_SLOW, FLOW_ON_LINK } from "./flow";
import { flowRecordOut, flowRecordIn, touchSession, wanWire, wanGatewayWire } from "./sessions";

/** Ones-complement sum of a 20-byte IP header given as its five words, folded: 0xffff when its
 *  checksum is right. */
@inline function headerSum(w0: u32, w1: u32, w2: u32, src: u32, dst: u32): u32 {
  return fold(addCarry(addCarry(addCarry(addCarry(w0, w1), w2), src), dst));
}

/** The checksum stored at p after a delta, both in wire order. */
@inline function patch(p: usize, delta: u32): u32 {
  return updatedChecksum(<u32>load<u16>(p), delta);
}

/**
 * Forwards the frame (len bytes, received on port) by its flow's rewrite, with every count and timer
 * the long way would touch; false, having changed nothing, when it must go the long way. Inlined into
 * the batch loop: one call less per frame. The loop offers only frames of FAST_MIN_LEN to FRAME_MAX bytes.
 */
@inline export function fastForward(port: u16, frame: usize, len: u32, now: u32): bool {
  // One copy per direction, each with its direction a constant, so no test of it is left per packet.
  return port == PORT_LAN ? fastDirection(true, PORT_LAN, frame, len, now) : fastDirection(false, PORT_WAN, frame, len, now); // port < PORT_COUNT here
}

/** The shortest frame the fast path takes: Ethernet, a 20-byte IP header and a UDP header. The batch
 *  loop tests it with FRAME_MAX in one unsigned compare (router/router.ts). */
export const FAST_MIN_LEN: u32 = ETH_HEADER_LEN + IP_MIN_HEADER + UDP_HEADER_LEN;

@inline function fastDirection(in2out: bool, port: u16, frame: usize, len: u32, now: u32): bool {
  const ours = portMac(port);
  if (load<u32>(frame) != load<u32>(ours) || load<u16>(frame, 4) != load<u16>(ours, 4)) return false;
  // EtherType 0x0800 and version 4 with a 20-byte header, read as one word: 08 00 45 (TOS).
  if ((load<u32>(frame, 12) & 0xffffff) != 0x450008) return false;
  const ip = frame + ETH_HEADER_LEN;
  // The header's words as wasm loads them (little-endian): the fields below come out of them, and the
  // header checksum sums them, so each is read once.
  const w0 = load<u32>(ip), w1 = load<u32>(ip, 4), w2 = load<u32>(ip, 8);
  if ((w1 & 0xff3f0000) != 0) return false; // bytes 6-7: MF or an offset, a fragment (DF is fine)
  const ttl = w2 & 0xff; // byte 8
  if (ttl <= 1) return false;
  const total = (w0 >>> 24) | ((w0 >>> 8) & 0xff00); // bytes 2-3, big-endian
  if (total > len - ETH_HEADER_LEN) return false;
  const proto = (w2 >>> 8) & 0xff; // byte 9
  const l4 = ip + IP_MIN_HEADER;
  const l4Len = total - IP_MIN_HEADER; // wraps past 0xffff when total < 20: one unsigned compare below tests both ends
  if (proto == PROTO_UDP) {
    if (l4Len - UDP_HEADER_LEN > 0xffff - UDP_HEADER_LEN) return false;
  } else if (proto == PROTO_TCP) {
    if (l4Len - TCP_MIN_HEADER > 0xffff - TCP_MIN_HEADER) return false;
    const off = (<u32>load<u8>(l4, TCP_OFFSET) >> 4) << 2;
    if (off < TCP_MIN_HEADER || off > l4Len) return false;
    if ((load<u8>(l4, TCP_FLAGS) & (TCP_SYN | TCP_FIN | TCP_RST)) != 0) return false; // TCP state changes
  } else return false;

  const src = load<u32>(ip, IP_SRC), dst = load<u32>(ip, IP_DST), ports = load<u32>(l4);
  const found = in2out ? flowRecordOut(src, dst, ports, proto) : flowRecordIn(src, dst, ports, proto);
  if (found == 0) return false;
  const f = changetype<Flow>(found);
  const flags = <u32>f.flags;
  if ((flags & FLOW_SLOW) != 0) return false;
  const wan = wanWire();
  // A flow with no route is FLOW_SLOW (nat/flows.ts): the long way counts its drops.
  const hop = in2out ? ((flags & FLOW_ON_LINK) != 0 ? f.remAddr : wanGatewayWire()) : f.inAddr;
  if (headerSum(w0, w1, w2, src, dst) != 0xffff) return false; // after the lookup: a packet of no flow skips it

  // Bytes 8-11 in one store: TTL less one, the protocol, the header checksum patched (wire order).
  const ipSum = updatedChecksum(w2 >>> 16, <u32>(in2out ? f.ipDeltaOut : f.ipDeltaIn));
  store<u32>(ip, (ipSum << 16) | (w2 & 0xff00) | (ttl - 1), 8);
  let l4Delta = <u32>f.l4Delta;
  if (in2out) {
    store<u32>(ip, wan, IP_SRC);
    store<u16>(l4, f.extPort);
  } else {
    store<u32>(ip, f.inAddr, IP_DST);
    store<u16>(l4, f.inPort, 2);
    l4Delta = ~l4Delta & 0xffff; // the reverse rewrite
  }
  if (proto == PROTO_TCP) {
    store<u16>(l4 + TCP_CHECKSUM, <u16>patch(l4 + TCP_CHECKSUM, l4Delta));
  } else if (load<u16>(l4, UDP_CHECKSUM) != 0) { // zero: the sender computed none (RFC 768); it stays so
    const sum = patch(l4 + UDP_CHECKSUM, l4Delta);
    store<u16>(l4 + UDP_CHECKSUM, <u16>(sum == 0 ? 0xffff : sum));
  }
  touchSession(f, now, in2out);
  // sendIp's work, with the Ethernet header from the next hop's ARP entry; sendIp itself when the
  // reference no longer answers, after which the flow refers to the entry sendIp used.
  const out: u16 = in2out ? PORT_WAN : PORT_LAN;
  const outLen = ETH_HEADER_LEN + total;
  const e = arpEntryOf(in2out ? <u32>f.arpWan : <u32>f.arpLan);
  if (arpAnswers(e, out, hop, now)) {
    const eth = arpEth(e);
    store<u32>(frame, load<u32>(eth)); // frame is 4-aligned (abi.ts SLOT_DATA)
    store<u32>(frame, load<u32>(eth, 4), 4);
    store<u32>(frame, load<u32>(eth, 8), 8);
    if (emitInPlace(out, frame, outLen)) { // the frame lies in the input ring
      countExpress(port); // all four of its counters (counters.ts): rx, nat, tx, express_forwarded
      return true;
    }
  } else {
    sendIp(out, bswap<u32>(hop), frame, outLen, now); // counts tx, if it sends
    rememberHop(f, in2out, out, bswap<u32>(hop), now);
  }
  countUnsent(in2out);
  return true;
}

/** The counters of a fast frame that emitInPlace did not send (sendIp did, or ARP holds it, or the
 *  output ring was full), all but tx. */
function countUnsent(in2out: bool): void {
  count(in2out ? Counter.RxLan : Counter.RxWan);
  count(in2out ? Counter.NatIn2Out : Counter.NatOut2In);
  count(Counter.ExpressForwarded);
}

function rememberHop(f: Flow, in2out: bool, out: u16, hop: u32, now: u32): void {
  const ref = <u16>arpRef(out, hop, now);
  if (in2out) f.arpWan = ref; else f.arpLan = ref;
}
