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
// Entry: u32 src, u32 dst, u32 id|proto<<16|dir<<24, u32 newAddr, u32 at, u8 used
const F_SRC = 0;
const F_DST = 4;
const F_KEY = 8;
const F_NEW = 12;
const F_AT = 16;
const F_USED = 20;
const F_BYTES: u32 = 24;
// Held fragment: u32 src, u32 dst, u32 key, u32 at, u16 len, u16 port, u8 busy; then the frame
const H_KEY = 8;
const H_AT = 12;
const H_LEN = 16;
const H_PORT = 18;
const H_BUSY = 20;
const H_READY = 21; // its first fragment was translated: let go (fragmentsNextHeld)
const H_HEADER: u32 = 24;

class Frags {
  static table: usize = 0;
  static sets: u32 = 0;
  static hold: usize = 0;
  static holdSlots: u32 = 0;
  static held: u32 = 0;
}

export function fragmentsInit(): bool {
  let sets: u32 = 1;
  while (sets * WAYS < capacity(C_FRAGMENTS)) sets <<= 1;
  Frags.sets = sets;
  Frags.table = arenaTake(<usize>sets * WAYS * F_BYTES);
  Frags.holdSlots = capacity(C_FRAGMENT_HOLD);
  Frags.hold = arenaTake(<usize>Frags.holdSlots * (H_HEADER + SLOT_BYTES));
  Frags.held = 0;
  return Frags.table != 0 && Frags.hold != 0;
}

@inline function keyOf(in2out: bool): u32 {
  return get16(Pkt.ip + IP_ID) | (<u32>Pkt.proto << 16) | (in2out ? 0x1000000 : 0);
}

function setFor(src: u32, dst: u32, key: u32): usize {
  return Frags.table + <usize>(hash3(src, dst, key) & (Frags.sets - 1)) * WAYS * F_BYTES;
}

function find(src: u32, dst: u32, key: u32): usize {
  const set = setFor(src, dst, key);
  for (let i: u32 = 0; i < WAYS; i++) {
    const e = set + i * F_BYTES;
    if (load<u8>(e, F_USED) != 0 && load<u32>(e, F_KEY) == key && load<u32>(e, F_SRC) == src && load<u32>(e, F_DST) == dst) {
      if (expired(Pkt.now, load<u32>(e, F_AT), timeout(T_FRAGMENT))) { store<u8>(e, 0, F_USED); return 0; }
      return e;
    }
  }
  return 0;
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
  let victim = set, own: usize = 0;
  let oldest: u32 = 0, ownOldest: u32 = 0;
  for (let i: u32 = 0; i < WAYS; i++) {
    const e = set + i * F_BYTES;
    if (load<u8>(e, F_USED) == 0) { victim = e; own = 0; break; }
    const age = Pkt.now - load<u32>(e, F_AT);
    if (age >= oldest) { oldest = age; victim = e; }
    if (load<u32>(e, F_SRC) == src && age >= ownOldest) { ownOldest = age; own = e; }
  }
  if (own != 0) victim = own;
  if (load<u8>(victim, F_USED) != 0) count(Counter.DropFragmentTableFull);
  store<u32>(victim, src, F_SRC);
  store<u32>(victim, dst, F_DST);
  store<u32>(victim, key, F_KEY);
  store<u32>(victim, in2out ? Pkt.src : Pkt.dst, F_NEW); // the address the translation wrote
  store<u32>(victim, Pkt.now, F_AT);
  store<u8>(victim, 1, F_USED);
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
  if (e != 0) { // translated as its first fragment was; the core delivers it
    decideOne(load<u32>(e, F_NEW), NO_PORT, Counter.FragmentsTranslated);
    return Verdict.Translated;
  }
  if (Pkt.reinjected) { count(Counter.DropFragmentMalformed); return Verdict.Dropped; } // let go, yet no first fragment
  if (Frags.held >= Frags.holdSlots) { count(Counter.DropFragmentHoldFull); return Verdict.Dropped; }
  let free: usize = 0;
  let held: u32 = 0; // fragments this source already has held
  for (let i: u32 = 0; i < Frags.holdSlots; i++) {
    const h = Frags.hold + <usize>i * (H_HEADER + SLOT_BYTES);
    if (load<u8>(h, H_BUSY) == 0) { if (free == 0) free = h; continue; }
    if (load<u32>(h, 0) == Pkt.src) held++;
  }
  if (held >= sourceShare()) { count(Counter.DropFragmentHostShare); return Verdict.Dropped; }
  const h = free; // there is one: fewer than holdSlots are held
  store<u32>(h, Pkt.src, 0);
  store<u32>(h, Pkt.dst, 4);
  store<u32>(h, key, H_KEY);
  store<u32>(h, Pkt.now, H_AT);
  store<u16>(h, <u16>Pkt.len, H_LEN);
  store<u16>(h, Pkt.port, H_PORT);
  store<u8>(h, 1, H_BUSY);
  store<u8>(h, 0, H_READY);
  memory.copy(h + H_HEADER, Pkt.frame, Pkt.len);
  Frags.held++;
  count(Counter.FragmentsHeld);
  return Verdict.Consumed;
}

/** Marks the held fragments of a datagram whose first fragment was just translated: they go back in
 *  after it (nat/held.ts), and are translated as it was. */
function releaseHeld(src: u32, dst: u32, key: u32): void {
  for (let i: u32 = 0; i < Frags.holdSlots; i++) {
    const h = Frags.hold + <usize>i * (H_HEADER + SLOT_BYTES);
    if (load<u8>(h, H_BUSY) == 0 || load<u32>(h, H_KEY) != key || load<u32>(h, 0) != src || load<u32>(h, 4) != dst) continue;
    store<u8>(h, 1, H_READY);
    heldReady();
  }
}

/** The next fragment to let go (nat/held.ts NextHeld). */
export function fragmentsNextHeld(now: u32): bool {
  if (Frags.held == 0) return false;
  for (let i: u32 = 0; i < Frags.holdSlots; i++) {
    const h = Frags.hold + <usize>i * (H_HEADER + SLOT_BYTES);
    if (load<u8>(h, H_BUSY) == 0 || load<u8>(h, H_READY) == 0) continue;
    store<u8>(h, 0, H_BUSY);
    Frags.held--;
    Held.frame = h + H_HEADER;
    Held.len = load<u16>(h, H_LEN);
    Held.port = load<u16>(h, H_PORT);
    return true;
  }
  return false;
}

/** Drops held fragments whose first fragment never came. */
export function fragmentsTick(now: u32): void {
  if (Frags.held == 0) return;
  for (let i: u32 = 0; i < Frags.holdSlots; i++) {
    const h = Frags.hold + <usize>i * (H_HEADER + SLOT_BYTES);
    if (load<u8>(h, H_BUSY) == 0 || !expired(now, load<u32>(h, H_AT), timeout(T_FRAGMENT))) continue;
    store<u8>(h, 0, H_BUSY);
    Frags.held--;
    count(Counter.DropFragmentTimeout);
  }
}
