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
import { ikeAt, firstForRemote, K_USED, K_HOST, K_REMOTE, K_OWED, K_DONE_AT, K_HELD, K_NEXT_REMOTE, K_ICOOKIE } from "./ike-sessions";
import { openedAt } from "./exchanges";
import { sasInUdp } from "./binding";

/** How long an answered negotiation keeps others waiting for its first inbound SPI: a tunnel that
 *  carries traffic binds within a round trip; one left idle must not hold other hosts for minutes. */
const BIND_GRACE_MS: u32 = 2000;

// Held packet: the frame after a 24-byte header.
const H_IKE = 0; // u32 IKE session index
const H_COOKIE = 4; // u32 first word of the session's initiator cookie (the slot may be reused)
const H_SEQ = 8; // u32 arrival order
const H_LEN = 12; // u16
const H_IKE_AT = 14; // u16 offset of the IKE header in the frame
const H_PORT = 16; // u8 ingress port
const H_BUSY = 17; // u8
const H_HEADER: u32 = 24;
const H_STRIDE: u32 = H_HEADER + SLOT_BYTES;

class Hold {
  static base: usize = 0;
  static slots: u32 = 0;
  static held: u32 = 0;
  static seq: u32 = 0;
}

export function holdInit(): bool {
  Hold.slots = ikeHoldSlots();
  Hold.base = arenaTake(<usize>Hold.slots * H_STRIDE);
  Hold.held = 0;
  Hold.seq = 0;
  return Hold.base != 0;
}

@inline function slotAt(i: u32): usize {
  return Hold.base + <usize>i * H_STRIDE;
}

@inline function hostShare(): u32 {
  return max<u32>(1, Hold.slots >> 2);
}

/** True when the negotiation of session `s` keeps other hosts' SA-creating requests to its remote waiting. */
function isOpen(s: usize, now: u32): bool {
  if (sasInUdp(s)) return false; // NAT-T: no raw SPI of it will need binding
  const opened = openedAt(s, NO_INDEX);
  if (opened != NO_INDEX && !expired(now, opened, timeout(T_IKE_HOLD))) return true;
  return load<u8>(s, K_OWED) != 0 && !expired(now, load<u32>(s, K_DONE_AT), BIND_GRACE_MS);
}

/** True when a packet held before `seq` waits for `remote` on behalf of another host than `host`. */
function earlierWaiting(remote: u32, host: u32, seq: u32): bool {
  for (let i: u32 = 0; i < Hold.slots; i++) {
    const h = slotAt(i);
    if (load<u8>(h, H_BUSY) == 0 || <i32>(load<u32>(h, H_SEQ) - seq) >= 0) continue;
    const s = ikeAt(load<u32>(h, H_IKE));
    if (load<u32>(s, K_REMOTE) == remote && load<u32>(s, K_HOST) != host) return true;
  }
  return false;
}

/** True when session k's new SA-creating request must wait (the overlap rule). */
export function mustWait(k: u32, now: u32, seq: u32): bool {
  const me = ikeAt(k);
  if (sasInUdp(me)) return false; // its SAs travel in UDP: no raw SPI of it will compete
  const host = load<u32>(me, K_HOST), remote = load<u32>(me, K_REMOTE);
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    if (j != k && load<u32>(s, K_REMOTE) == remote && load<u32>(s, K_HOST) != host && isOpen(s, now)) return true;
    j = load<u32>(s, K_NEXT_REMOTE);
  }
  return Hold.held != 0 && earlierWaiting(remote, host, seq);
}

/** The arrival number the next held packet gets (mustWait compares against it for a new packet). */
export function nextSeq(): u32 {
  return Hold.seq;
}

/** True when slot `h` holds the same IKE message of session k as the packet at `ike`. */
function sameMessage(h: usize, k: u32, ike: usize): bool {
  if (load<u32>(h, H_IKE) != k || load<u8>(h, H_PORT) != <u8>Pkt.port) return false;
  const other = h + H_HEADER + load<u16>(h, H_IKE_AT);
  return load<u32>(other + IKE_MESSAGE_ID) == load<u32>(ike + IKE_MESSAGE_ID) &&
    load<u8>(other + IKE_EXCHANGE) == load<u8>(ike + IKE_EXCHANGE) && load<u8>(other + IKE_FLAGS) == load<u8>(ike + IKE_FLAGS);
}

/** Keeps the packet in Pkt (IKE header at `ike`, session k) until mustWait says it may go. */
export function holdPacket(k: u32, ike: usize): Verdict {
  const s = ikeAt(k);
  const host = load<u32>(s, K_HOST);
  let free: i32 = -1;
  let mine: u32 = 0;
  for (let i: u32 = 0; i < Hold.slots; i++) {
    const h = slotAt(i);
    if (load<u8>(h, H_BUSY) == 0) { if (free < 0) free = <i32>i; continue; }
    if (sameMessage(h, k, ike)) { count(Counter.IkeHoldDuplicates); return Verdict.Consumed; } // a retransmission
    if (load<u32>(ikeAt(load<u32>(h, H_IKE)), K_HOST) == host) mine++;
  }
  if (free < 0 || mine >= hostShare()) { count(Counter.DropIkeHoldFull); return Verdict.Dropped; }
  const h = slotAt(<u32>free);
  store<u32>(h, k, H_IKE);
  store<u32>(h, load<u32>(s, K_ICOOKIE), H_COOKIE);
  store<u32>(h, Hold.seq++, H_SEQ);
  store<u16>(h, <u16>Pkt.len, H_LEN);
  store<u16>(h, <u16>(ike - Pkt.frame), H_IKE_AT);
  store<u8>(h, <u8>Pkt.port, H_PORT);
  store<u8>(h, 1, H_BUSY);
  memory.copy(h + H_HEADER, Pkt.frame, Pkt.len);
  store<u8>(s, load<u8>(s, K_HELD) + 1, K_HELD);
  Hold.held++;
  count(Counter.IkeHeld);
  return Verdict.Consumed;
}

/** The held packet that arrived first after `after` (exclusive), or -1. */
function nextHeld(after: u32, any: bool): i32 {
  let best: i32 = -1, bestSeq: u32 = 0;
  for (let i: u32 = 0; i < Hold.slots; i++) {
    const h = slotAt(i);
    if (load<u8>(h, H_BUSY) == 0) continue;
    const seq = load<u32>(h, H_SEQ);
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
    const seq = load<u32>(h, H_SEQ);
    Release.started = true;
    Release.after = seq;
    const k = load<u32>(h, H_IKE);
    const s = ikeAt(k);
    const stale = load<u8>(s, K_USED) == 0 || load<u32>(s, K_ICOOKIE) != load<u32>(h, H_COOKIE);
    if (stale || !mustWait(k, now, seq)) {
      store<u8>(h, 0, H_BUSY);
      Hold.held--;
      if (!stale) {
        store<u8>(s, load<u8>(s, K_HELD) - 1, K_HELD);
        count(Counter.IkeHoldReleased);
        return h;
      }
    }
    i = nextHeld(seq, false);
  }
  return 0;
}

@inline export function heldFrame(h: usize): usize { return h + H_HEADER; }
@inline export function heldLen(h: usize): u32 { return load<u16>(h, H_LEN); }
@inline export function heldPort(h: usize): u16 { return <u16>load<u8>(h, H_PORT); }

/** True when the hold queue is empty. */
@inline export function holdEmpty(): bool {
  return Hold.held == 0;
}
