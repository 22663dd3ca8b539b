// The overlap rule (the technote's limit, removed) and its hold queue. A request that opens an
// SA-creating exchange (alg/exchanges.ts) between host H and remote R waits while another host's
// negotiation with R is "open": its own SA-creating exchange is unanswered and younger than
// timeouts.ikeHoldMs, or it was answered less than BIND_GRACE_MS ago and its first inbound SPI has not
// bound yet. So in the common case one host at a time is owed a new SPI by R, and R's first ESP on it
// binds exactly (alg/binding.ts). A host whose tunnel stays idle does not block the others longer than
// BIND_GRACE_MS: after it, several hosts may be owed SPIs at once, and a shared SPI reaches each of
// them (alg/binding.ts), so nothing waits on a timeout that guesses.
// The queue is first come, first served across hosts (a later request waits behind an earlier one for
// the same remote), holds one copy of a retransmitted message, and gives each host at most a quarter
// of its slots. Held packets re-enter the NAT core where they left it, in arrival order.
import { SLOT_BYTES } from "../abi";
import { timeout, T_IKE_HOLD, ikeHoldSlots } from "../config";
import { arenaTake } from "../arena";
import { Counter, count } from "../counters";
import { IKE_MESSAGE_ID, IKE_EXCHANGE, IKE_FLAGS } from "../wire/ipsec";
import { Pkt, Verdict } from "../ip/packet";
import { expired } from "../time";
import { NO_INDEX } from "../nat/hash";
import { Held } from "../nat/held";
import { IkeSession, ikeAt, firstForRemote } from "./ike-sessions";
import { openedAt } from "./exchanges";
import { sasInUdp } from "./binding";

/** How long an answered negotiation keeps others waiting for its first inbound SPI: a tunnel that
 *  carries traffic binds within a round trip; one left idle must not hold other hosts for minutes. */
const BIND_GRACE_MS: u32 = 2000;

/** A held IKE packet's header, 24 bytes; its frame follows it. */
@unmanaged class HeldIke {
  ike: u32; //  0  IKE session index
  cookie: u32; //  4  first word of the session's initiator cookie (the slot may be reused)
  seq: u32; //  8  arrival order
  len: u16; // 12
  ikeOffset: u16; // 14  where the IKE header starts in the frame
  port: u8; // 16  ingress port
  busy: u8; // 17
  reserved: u16; // 18  (the frame starts 8-byte aligned)
  reserved2: u32; // 20
}

const H_HEADER: u32 = 24;
const H_STRIDE: u32 = H_HEADER + SLOT_BYTES;

class Hold {
  static base: usize = 0;
  static slots: u32 = 0;
  static held: u32 = 0;
  static seq: u32 = 0;
}

export function holdInit(): bool {
  if (offsetof<HeldIke>() != H_HEADER) return false;
  Hold.slots = ikeHoldSlots();
  Hold.base = arenaTake(<usize>Hold.slots * H_STRIDE);
  Hold.held = 0;
  Held.waiting = false;
  Hold.seq = 0;
  return Hold.base != 0;
}

@inline function slotAt(i: u32): HeldIke {
  return changetype<HeldIke>(Hold.base + <usize>i * H_STRIDE);
}

@inline function hostShare(): u32 {
  return max<u32>(1, Hold.slots >> 2);
}

@inline function frameOf(h: HeldIke): usize {
  return changetype<usize>(h) + H_HEADER;
}

/** True when the negotiation of session `s` keeps other hosts' SA-creating requests to its remote waiting. */
function isOpen(s: IkeSession, now: u32): bool {
  if (sasInUdp(s)) return false; // NAT-T: no raw SPI of it will need binding
  const opened = openedAt(s, NO_INDEX);
  if (opened != NO_INDEX && !expired(now, opened, timeout(T_IKE_HOLD))) return true;
  return s.owed != 0 && !expired(now, s.doneAt, BIND_GRACE_MS);
}

/** True when a packet held before `seq` waits for `remote` on behalf of another host than `host`. */
function earlierWaiting(remote: u32, host: u32, seq: u32): bool {
  for (let i: u32 = 0; i < Hold.slots; i++) {
    const h = slotAt(i);
    if (h.busy == 0 || <i32>(h.seq - seq) >= 0) continue;
    const s = ikeAt(h.ike);
    if (s.remote == remote && s.host != host) return true;
  }
  return false;
}

/** True when session k's new SA-creating request must wait (the overlap rule). */
export function mustWait(k: u32, now: u32, seq: u32): bool {
  const me = ikeAt(k);
  if (sasInUdp(me)) return false; // its SAs travel in UDP: no raw SPI of it will compete
  const host = me.host, remote = me.remote;
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    if (j != k && s.remote == remote && s.host != host && isOpen(s, now)) return true;
    j = s.nextRemote;
  }
  return Hold.held != 0 && earlierWaiting(remote, host, seq);
}

/** The arrival number the next held packet gets (mustWait compares against it for a new packet). */
export function nextSeq(): u32 {
  return Hold.seq;
}

/** True when slot `h` holds the same IKE message of session k as the packet at `ike`. */
function sameMessage(h: HeldIke, k: u32, ike: usize): bool {
  if (h.ike != k || h.port != <u8>Pkt.port) return false;
  const other = frameOf(h) + h.ikeOffset;
  return load<u32>(other + IKE_MESSAGE_ID) == load<u32>(ike + IKE_MESSAGE_ID) &&
    load<u8>(other + IKE_EXCHANGE) == load<u8>(ike + IKE_EXCHANGE) && load<u8>(other + IKE_FLAGS) == load<u8>(ike + IKE_FLAGS);
}

/** Keeps the packet in Pkt (IKE header at `ike`, session k) until mustWait says it may go. */
export function holdPacket(k: u32, ike: usize): Verdict {
  const s = ikeAt(k);
  const host = s.host;
  let free: i32 = -1;
  let mine: u32 = 0;
  for (let i: u32 = 0; i < Hold.slots; i++) {
    const h = slotAt(i);
    if (h.busy == 0) { if (free < 0) free = <i32>i; continue; }
    if (sameMessage(h, k, ike)) { count(Counter.IkeHoldDuplicates); return Verdict.Consumed; } // a retransmission
    if (ikeAt(h.ike).host == host) mine++;
  }
  if (free < 0 || mine >= hostShare()) { count(Counter.DropIkeHoldFull); return Verdict.Dropped; }
  const h = slotAt(<u32>free);
  h.ike = k;
  h.cookie = s.icookieHi;
  h.seq = Hold.seq++;
  h.len = <u16>Pkt.len;
  h.ikeOffset = <u16>(ike - Pkt.frame);
  h.port = <u8>Pkt.port;
  h.busy = 1;
  memory.copy(frameOf(h), Pkt.frame, Pkt.len);
  s.held = s.held + 1;
  Hold.held++;
  Held.waiting = true;
  count(Counter.IkeHeld);
  return Verdict.Consumed;
}

/** The held packet that arrived first after `after` (exclusive), or -1. */
function nextHeld(after: u32, any: bool): i32 {
  let best: i32 = -1, bestSeq: u32 = 0;
  for (let i: u32 = 0; i < Hold.slots; i++) {
    const h = slotAt(i);
    if (h.busy == 0) continue;
    const seq = h.seq;
    if (!any && <i32>(seq - after) <= 0) continue;
    if (best < 0 || <i32>(seq - bestSeq) < 0) { best = <i32>i; bestSeq = seq; }
  }
  return best;
}

class Release {
  static started: bool = false;
  static after: u32 = 0;
}

/** Starts a pass over the held packets in arrival order (nextReleasable). */
export function beginRelease(): void {
  Release.started = false;
}

/**
 * The next held packet, in arrival order, that may go now: its slot is freed and its address returned
 * (heldFrame/heldLen/heldPort read it; it stays intact until the next holdPacket), or 0 when none is
 * left. A packet whose IKE session is gone is dropped on the way.
 */
export function nextReleasable(now: u32): usize {
  let i = nextHeld(Release.after, !Release.started);
  while (i >= 0) {
    const h = slotAt(<u32>i);
    const seq = h.seq;
    Release.started = true;
    Release.after = seq;
    const k = h.ike;
    const s = ikeAt(k);
    const stale = s.used == 0 || s.icookieHi != h.cookie;
    if (stale || !mustWait(k, now, seq)) {
      h.busy = 0;
      Hold.held--;
      if (Hold.held == 0) Held.waiting = false;
      if (!stale) {
        s.held = s.held - 1;
        count(Counter.IkeHoldReleased);
        return changetype<usize>(h);
      }
    }
    i = nextHeld(seq, false);
  }
  return 0;
}

@inline export function heldFrame(h: usize): usize { return frameOf(changetype<HeldIke>(h)); }
@inline export function heldLen(h: usize): u32 { return changetype<HeldIke>(h).len; }
@inline export function heldPort(h: usize): u16 { return <u16>changetype<HeldIke>(h).port; }

/** True when the hold queue is empty. */
@inline export function holdEmpty(): bool {
  return Hold.held == 0;
}
