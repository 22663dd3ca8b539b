// IPv4 fragments through the NAT. Only the first fragment carries the transport header, so its
// translation is remembered, keyed by what identifies a datagram (RFC 791: src, dst, protocol, ID),
// and applied to the later fragments, which need only their address rewritten (the transport checksum
// sits in the first fragment and was already fixed there). A later fragment that arrives before the
// first is held (bounded slots) until the first fragment comes or T_FRAGMENT passes.
// Tracking entries live in a set-associative table: a full set evicts the inserting source's own oldest
// entry when it has one there, else the set's oldest, so a flooding source replaces its own entries and
// never another's in a set where it already holds one. One source holds at most a quarter of the hold
// slots (sourceShare), so others' early fragments find room while it floods (docs/fairness.md).
import { SLOT_BYTES, PORT_LAN, PORT_WAN } from "../abi";
import { capacity, timeout, C_FRAGMENTS, C_FRAGMENT_HOLD, T_FRAGMENT } from "../config";
import { arenaTake } from "../arena";
import { Counter, count } from "../counters";
import { get16 } from "../wire/bytes";
import { IP_ID, moreFragments, fragOffsetBytes } from "../wire/ipv4";
import { ETH_HEADER_LEN } from "../wire/ethernet";
import { Pkt, Verdict } from "../ip/packet";
import { expired } from "../time";
import { hash3 } from "./hash";
import { NO_PORT } from "./translate";
import { decideOne } from "./decision";
import { Held, heldReady } from "./held";

const WAYS: u32 = 4;
/** A tracked datagram: the translation of its first fragment, 24 bytes. */
@unmanaged class FragEntry {
  src: u32; //  0  as the first fragment arrived
  dst: u32; //  4
  key: u32; //  8  IP ID | protocol << 16 | in2out << 24 (keyOf)
  newAddr: u32; // 12  the address the translation wrote
  at: u32; // 16  when the first fragment was translated
  used: u8; // 20
  reserved: u8; // 21
  reserved2: u16; // 22
}
const F_BYTES: u32 = 24;

/** A fragment held until its first fragment comes: this 24-byte header, then the frame. */
@unmanaged class HeldFragment {
  src: u32; //  0
  dst: u32; //  4
  key: u32; //  8  as FragEntry's
  at: u32; // 12  when it was held
  len: u16; // 16
  port: u16; // 18  ingress port
  busy: u8; // 20
  ready: u8; // 21  its first fragment was translated: let go (fragmentsNextHeld)
  reserved: u16; // 22
}
const H_HEADER: u32 = 24;
const H_STRIDE: u32 = H_HEADER + SLOT_BYTES;

class Frags {
  static table: usize = 0;
  static sets: u32 = 0;
  static hold: usize = 0;
  static holdSlots: u32 = 0;
  static held: u32 = 0;
}

export function fragmentsInit(): bool {
  if (offsetof<FragEntry>() != F_BYTES || offsetof<HeldFragment>() != H_HEADER) return false;
  let sets: u32 = 1;
  while (sets * WAYS < capacity(C_FRAGMENTS)) sets <<= 1;
  Frags.sets = sets;
  Frags.table = arenaTake(<usize>sets * WAYS * F_BYTES);
  Frags.holdSlots = capacity(C_FRAGMENT_HOLD);
  Frags.hold = arenaTake(<usize>Frags.holdSlots * H_STRIDE);
  Frags.held = 0;
  return Frags.table != 0 && Frags.hold != 0;
}

@inline function keyOf(in2out: bool): u32 {
  return get16(Pkt.ip + IP_ID) | (<u32>Pkt.proto << 16) | (in2out ? 0x1000000 : 0);
}

function setFor(src: u32, dst: u32, key: u32): usize {
  return Frags.table + <usize>(hash3(src, dst, key) & (Frags.sets - 1)) * WAYS * F_BYTES;
}

@inline function entryOf(set: usize, way: u32): FragEntry {
  return changetype<FragEntry>(set + way * F_BYTES);
}

@inline function heldAt(i: u32): HeldFragment {
  return changetype<HeldFragment>(Frags.hold + <usize>i * H_STRIDE);
}

@inline function frameOf(h: HeldFragment): usize {
  return changetype<usize>(h) + H_HEADER;
}

function find(src: u32, dst: u32, key: u32): FragEntry | null {
  const set = setFor(src, dst, key);
  for (let i: u32 = 0; i < WAYS; i++) {
    const e = entryOf(set, i);
    if (e.used != 0 && e.key == key && e.src == src && e.dst == dst) {
      if (expired(Pkt.now, e.at, timeout(T_FRAGMENT))) { e.used = 0; return null; }
      return e;
    }
  }
  return null;
}

/**
 * Called by the NAT after it translated a packet. For a first fragment, remembers the rewrite (the
 * address now in the header) for the later fragments and lets go any that arrived early. The key is
 * the packet as it arrived (Pkt.wireSrc, wireDst), which its later fragments still carry.
 */
export function noteFirstFragment(in2out: bool): void {
  if (!moreFragments(Pkt.ip) || fragOffsetBytes(Pkt.ip) != 0) return;
  const src = Pkt.wireSrc, dst = Pkt.wireDst; // as it arrived, before any rewrite
  const key = keyOf(in2out);
  const set = setFor(src, dst, key);
  let victim = entryOf(set, 0), own: FragEntry | null = null;
  let oldest: u32 = 0, ownOldest: u32 = 0;
  for (let i: u32 = 0; i < WAYS; i++) {
    const e = entryOf(set, i);
    if (e.used == 0) { victim = e; own = null; break; }
    const age = Pkt.now - e.at;
    if (age >= oldest) { oldest = age; victim = e; }
    if (e.src == src && age >= ownOldest) { ownOldest = age; own = e; }
  }
  if (own) victim = own;
  if (victim.used != 0) count(Counter.DropFragmentTableFull);
  victim.src = src;
  victim.dst = dst;
  victim.key = key;
  victim.newAddr = in2out ? Pkt.src : Pkt.dst; // the address the translation wrote
  victim.at = Pkt.now;
  victim.used = 1;
  count(Counter.FragmentsTranslated);
  if (Frags.held != 0) releaseHeld(src, dst, key);
}

/** Fragments one source may have held: a quarter of the slots, at least two (a datagram's few early
 *  fragments still fit on a board's small hold). */
@inline function sourceShare(): u32 {
  return max<u32>(2, Frags.holdSlots >> 2);
}

/** A fragment without a transport header: translate as its first fragment was, or hold it. */
export function fragmentLater(in2out: bool): Verdict {
  const key = keyOf(in2out);
  const e = find(Pkt.src, Pkt.dst, key);
  if (e) { // translated as its first fragment was; the core delivers it
    decideOne(e.newAddr, NO_PORT, Counter.FragmentsTranslated);
    return Verdict.Translated;
  }
  if (Pkt.reinjected) { count(Counter.DropFragmentMalformed); return Verdict.Dropped; } // let go, yet no first fragment
  if (Frags.held >= Frags.holdSlots) { count(Counter.DropFragmentHoldFull); return Verdict.Dropped; }
  let free: HeldFragment | null = null;
  let held: u32 = 0; // fragments this source already has held
  for (let i: u32 = 0; i < Frags.holdSlots; i++) {
    const h = heldAt(i);
    if (h.busy == 0) { if (!free) free = h; continue; }
    if (h.src == Pkt.src) held++;
  }
  if (held >= sourceShare()) { count(Counter.DropFragmentHostShare); return Verdict.Dropped; }
  const h = changetype<HeldFragment>(free); // there is one: fewer than holdSlots are held
  h.src = Pkt.src;
  h.dst = Pkt.dst;
  h.key = key;
  h.at = Pkt.now;
  h.len = <u16>Pkt.len;
  h.port = Pkt.port;
  h.busy = 1;
  h.ready = 0;
  memory.copy(frameOf(h), Pkt.frame, Pkt.len);
  Frags.held++;
  count(Counter.FragmentsHeld);
  return Verdict.Consumed;
}

/** Marks the held fragments of a datagram whose first fragment was just translated: they go back in
 *  after it (nat/held.ts), and are translated as it was. */
function releaseHeld(src: u32, dst: u32, key: u32): void {
  for (let i: u32 = 0; i < Frags.holdSlots; i++) {
    const h = heldAt(i);
    if (h.busy == 0 || h.key != key || h.src != src || h.dst != dst) continue;
    h.ready = 1;
    heldReady();
  }
}

/** The next fragment to let go (nat/held.ts NextHeld). */
export function fragmentsNextHeld(now: u32): bool {
  if (Frags.held == 0) return false;
  for (let i: u32 = 0; i < Frags.holdSlots; i++) {
    const h = heldAt(i);
    if (h.busy == 0 || h.ready == 0) continue;
    h.busy = 0;
    Frags.held--;
    Held.frame = frameOf(h);
    Held.len = h.len;
    Held.port = h.port;
    return true;
  }
  return false;
}

/** Drops held fragments whose first fragment never came. */
export function fragmentsTick(now: u32): void {
  if (Frags.held == 0) return;
  for (let i: u32 = 0; i < Frags.holdSlots; i++) {
    const h = heldAt(i);
    if (h.busy == 0 || !expired(now, h.at, timeout(T_FRAGMENT))) continue;
    h.busy = 0;
    Frags.held--;
    count(Counter.DropFragmentTimeout);
  }
}
