// The express path: later packets of an established UDP or TCP flow, forwarded without the whole
// pipeline. A flow's packet that goes the long way (parse, LAN/WAN checks, ALG, session lookup,
// rewrite, delivery) and reaches the session rewrite has the rewrite recorded here, keyed by its
// addresses, ports, protocol and ingress port exactly as they lie in the frame. A later packet with the
// same key that needs nothing else (20-byte IP header, not a fragment, TTL above 1, a valid header
// checksum, no SYN, FIN or RST) takes the recorded rewrite: about a quarter of the long way's work
// (docs/board.md has the profile).
//
// Why this is the long way's result and not a guess: every decision the long way takes for such a
// packet depends only on that key and the config (martian and local checks, Map List, the ALG's ports,
// hairpinning, the route), except the session; the config changes only through init, which clears the
// table, and an entry is trusted only while its session has not been removed since it was recorded
// (sessionSerial). The per-packet effects are the long way's: the same counters (one tally per frame,
// counters.ts countExpress), touchSession (idle timer, LRU), and sendIp's work (ARP, transmit; the frame
// is sent where it lies, output.ts emitInPlace): the next hop's Ethernet header is remembered with the ARP
// cache's epoch, and used only while no ARP entry has changed since and the answer is fresh, as
// arpLookup would answer. Anything else, including every miss, goes the long way.
import { PORT_LAN, PORT_WAN } from "../abi";
import { capacity, C_SESSIONS } from "../config";
import { arenaTake } from "../arena";
import { Counter, count, countExpress } from "../counters";
import { addCarry, fold, updatedChecksum } from "../wire/checksum";
import { IP_MIN_HEADER, IP_SRC, IP_DST, PROTO_TCP, PROTO_UDP } from "../wire/ipv4";
import { UDP_HEADER_LEN, UDP_CHECKSUM, TCP_CHECKSUM, TCP_MIN_HEADER, TCP_OFFSET, TCP_FLAGS, TCP_SYN, TCP_FIN, TCP_RST } from "../wire/l4";
import { Pkt } from "../router/packet";
import { emitInPlace, portMac, sendIp } from "../router/output";
import { arpEpoch, arpFreshUntil, arpMac, arpRemember } from "../router/arp";
import { ETH_DST, ETH_SRC, ETH_HEADER_LEN, copyMac } from "../wire/ethernet";
import { TTL_DECREMENT_DELTA } from "../router/icmp-local";
import { algInspectsUdp } from "../alg/hooks";
import { S_SERIAL, sessionAt, sessionSerial, touchSession } from "./sessions";

// An entry. Key and rewrite in wire byte order (no swaps on the way), the deltas byte-swapped to match
// (the ones-complement sum commutes with swapping bytes, RFC 1071 2(B)).
const E_SRC = 0;
const E_DST = 4;
const E_PORTS = 8; // the transport header's first word: both ports
const E_KEY = 12; // protocol | ingress port << 8; 0 in an unused entry
const E_NEW_ADDR = 16; // the address written: source in2out, destination out2in
const E_NEW_PORT = 20; // u16, likewise
const E_DELTA_IP = 22; // u16: the address change and the TTL decrement
const E_DELTA_L4 = 24; // u16: the address and port change
const E_SESSION = 28;
const E_HOP = 32; // next hop, host order
const E_SERIAL = 36; // the session's serial when recorded (nat/sessions.ts sessionSerial)
const E_ARP_EPOCH = 40; // the ARP cache's epoch when E_ETH was filled (router/arp.ts), odd when never
const E_ARP_UNTIL = 44; // E_ETH holds until then (arpFreshUntil)
const E_ETH = 48; // 12 bytes: the next hop's Ethernet destination, and our source
const E_BYTES: u32 = 60;

// Sets of two entries: two flows that hash alike both keep theirs. A set whose two entries both hold
// live flows keeps them (a third flow goes the long way) rather than evicting one: with more flows than
// entries, replacing would let flows take turns evicting each other, and none would stay express.
const WAYS: u32 = 2;

class Express {
  static table: usize = 0;
  static bytes: usize = 0;
  static shift: u32 = 32; // set = hash >>> shift
}

/** One entry per two sessions (a power of two, at least 16): a flow that finds none goes the long way. */
export function expressInit(): bool {
  let bits: u32 = 3; // sets
  while ((<u32>WAYS << bits) * 2 < capacity(C_SESSIONS)) bits++;
  Express.bytes = <usize>(WAYS << bits) * E_BYTES;
  Express.table = arenaTake(Express.bytes);
  Express.shift = 32 - bits;
  return Express.table != 0;
}

/** Forgets every flow: called when a session slot's serial wraps, so that no entry can take a later
 *  session for the one it recorded (a wrap takes 2^32 removals of one slot, so this is rare). */
export function expressForgetAll(): void {
  memory.fill(Express.table, 0, Express.bytes);
}

@inline function setFor(src: u32, dst: u32, ports: u32, key: u32): usize {
  const h = (src ^ rotl<u32>(dst, 16) ^ ports ^ key) * 0x9e3779b1; // Fibonacci hashing: the top bits
  return Express.table + <usize>(h >>> Express.shift) * (WAYS * E_BYTES);
}

@inline function holds(e: usize, src: u32, dst: u32, ports: u32, key: u32): bool {
  return load<u32>(e, E_SRC) == src && load<u32>(e, E_DST) == dst && load<u32>(e, E_PORTS) == ports && load<u32>(e, E_KEY) == key;
}

/** True when the entry's session (at s) is still the one it was recorded from. */
@inline function sessionLives(e: usize, s: usize): bool {
  return load<u32>(s, S_SERIAL) == load<u32>(e, E_SERIAL);
}

/** True when the entry holds a flow whose session lives (an unused one has key 0). */
@inline function current(e: usize): bool {
  return load<u32>(e, E_KEY) != 0 && sessionLives(e, sessionAt(load<u32>(e, E_SESSION)));
}

/**
 * Called by the NAT step just before it rewrites the current packet (Pkt) through session `si`: the
 * new address and port (host order), the checksum deltas it applies, and the next hop the packet will
 * be sent to (0: not sent to one, as when hairpinned). Records the flow when its later packets may
 * take the express path.
 */
export function expressRecord(in2out: bool, si: u32, newAddr: u32, newPort: u32, ipDelta: u32, l4Delta: u32, hop: u32): void {
  const proto = Pkt.proto;
  if (hop == 0 || Pkt.hl != IP_MIN_HEADER || Pkt.fragment || Pkt.l4 == 0) return;
  if (Pkt.port != (in2out ? PORT_LAN : PORT_WAN)) return; // a hairpinned packet: its own path
  if (proto == PROTO_UDP) {
    if (algInspectsUdp(<u32>bswap<u16>(load<u16>(Pkt.l4)), <u32>bswap<u16>(load<u16>(Pkt.l4, 2)))) return;
  } else if (proto != PROTO_TCP) return;
  const ip = Pkt.ip;
  const src = load<u32>(ip, IP_SRC), dst = load<u32>(ip, IP_DST), ports = load<u32>(Pkt.l4);
  const key = <u32>proto | (<u32>Pkt.port << 8);
  let e = setFor(src, dst, ports, key);
  if (!holds(e, src, dst, ports, key)) {
    const other = e + E_BYTES;
    if (holds(other, src, dst, ports, key) || current(e)) {
      e = other;
      if (!holds(e, src, dst, ports, key) && current(e)) return; // both ways hold live flows
    }
  }
  store<u32>(e, src, E_SRC);
  store<u32>(e, dst, E_DST);
  store<u32>(e, ports, E_PORTS);
  store<u32>(e, key, E_KEY);
  store<u32>(e, bswap<u32>(newAddr), E_NEW_ADDR);
  store<u16>(e, bswap<u16>(<u16>newPort), E_NEW_PORT);
  store<u16>(e, bswap<u16>(<u16>fold(ipDelta + TTL_DECREMENT_DELTA)), E_DELTA_IP);
  store<u16>(e, bswap<u16>(<u16>l4Delta), E_DELTA_L4);
  store<u32>(e, si, E_SESSION);
  store<u32>(e, hop, E_HOP);
  store<u32>(e, sessionSerial(si), E_SERIAL);
  store<u32>(e, NO_HEADER, E_ARP_EPOCH);
}

const NO_HEADER: u32 = 1; // an epoch the ARP cache never has (it counts in twos from 0)

/** Ones-complement sum of a 20-byte IP header given as its five words, folded: 0xffff when its
 *  checksum is right. */
@inline function headerSum(w0: u32, w1: u32, w2: u32, src: u32, dst: u32): u32 {
  return fold(addCarry(addCarry(addCarry(addCarry(w0, w1), w2), src), dst));
}

/** The checksum stored at p after a byte-swapped delta: both stay in wire order. */
@inline function patch(p: usize, delta: u32): u32 {
  return updatedChecksum(<u32>load<u16>(p), delta);
}

/**
 * Forwards the frame (len bytes, received on port) by its flow's recorded rewrite, with every count and
 * timer the long way would touch; false, having changed nothing, when it must go the long way. Inlined
 * into the batch loop: one call less per frame.
 */
@inline export function expressForward(port: u16, frame: usize, len: u32, now: u32): bool {
  if (len < ETH_HEADER_LEN + IP_MIN_HEADER + UDP_HEADER_LEN) return false;
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
  const key = proto | (<u32>port << 8);
  let e = setFor(src, dst, ports, key);
  if (!holds(e, src, dst, ports, key)) {
    e += E_BYTES;
    if (!holds(e, src, dst, ports, key)) return false;
  }
  const si = load<u32>(e, E_SESSION), s = sessionAt(si);
  if (!sessionLives(e, s)) return false;
  if (headerSum(w0, w1, w2, src, dst) != 0xffff) return false; // after the lookup: a packet of no recorded flow skips it

  const in2out = port == PORT_LAN;
  // Bytes 8-11 in one store: TTL less one, the protocol, the header checksum patched (wire order).
  const ipSum = updatedChecksum(w2 >>> 16, <u32>load<u16>(e, E_DELTA_IP));
  store<u32>(ip, (ipSum << 16) | (w2 & 0xff00) | (ttl - 1), 8);
  store<u32>(ip + (in2out ? IP_SRC : IP_DST), load<u32>(e, E_NEW_ADDR));
  store<u16>(l4 + (in2out ? 0 : 2), load<u16>(e, E_NEW_PORT));
  const l4Delta = <u32>load<u16>(e, E_DELTA_L4);
  if (proto == PROTO_TCP) {
    store<u16>(l4 + TCP_CHECKSUM, <u16>patch(l4 + TCP_CHECKSUM, l4Delta));
  } else if (load<u16>(l4, UDP_CHECKSUM) != 0) { // zero: the sender computed none (RFC 768); it stays so
    const sum = patch(l4 + UDP_CHECKSUM, l4Delta);
    store<u16>(l4 + UDP_CHECKSUM, <u16>(sum == 0 ? 0xffff : sum));
  }
  touchSession(si, s, now, in2out);
  // sendIp's work, with the Ethernet header remembered; sendIp itself when the ARP entry changed.
  const out: u16 = in2out ? PORT_WAN : PORT_LAN;
  const outLen = ETH_HEADER_LEN + total;
  if (load<u32>(e, E_ARP_EPOCH) == arpEpoch() && <i32>(now - load<u32>(e, E_ARP_UNTIL)) < 0) {
    store<u32>(frame, load<u32>(e, E_ETH)); // frame is 4-aligned (abi.ts SLOT_DATA)
    store<u32>(frame, load<u32>(e, E_ETH + 4), 4);
    store<u32>(frame, load<u32>(e, E_ETH + 8), 8);
    if (emitInPlace(out, frame, outLen)) { // the frame lies in the input ring
      countExpress(port); // all four of its counters (counters.ts): rx, nat, tx, express_forwarded
      return true;
    }
  } else {
    const hop = load<u32>(e, E_HOP);
    sendIp(out, hop, frame, outLen, now); // counts tx, if it sends
    rememberHop(e, out, hop, now);
  }
  countUnsent(in2out);
  return true;
}

/** The counters of an express frame that emitInPlace did not send (sendIp did, or ARP holds it, or the
 *  output ring was full), all but tx. */
function countUnsent(in2out: bool): void {
  count(in2out ? Counter.RxLan : Counter.RxWan);
  count(in2out ? Counter.NatIn2Out : Counter.NatOut2In);
  count(Counter.ExpressForwarded);
}

/** Remembers the next hop's Ethernet header when its ARP entry is resolved and fresh. */
function rememberHop(e: usize, out: u16, hop: u32, now: u32): void {
  const arp = arpRemember(out, hop, now);
  if (arp == 0) {
    store<u32>(e, NO_HEADER, E_ARP_EPOCH);
    return;
  }
  store<u32>(e, arpEpoch(), E_ARP_EPOCH);
  store<u32>(e, arpFreshUntil(arp), E_ARP_UNTIL);
  copyMac(e + E_ETH + ETH_DST, arpMac(arp));
  copyMac(e + E_ETH + ETH_SRC, portMac(out));
}
