// NAPT sessions: one per (mapping, remote endpoint). They carry the filtering state (RFC 4787 REQ-8),
// the TCP state (RFC 5382), the rewrite's precomputed checksum deltas, and the idle timer.
// Two hash indexes find a session from either direction:
//   inside key  (proto, inAddr, inPort, remAddr, remPort)   - in2out
//   outside key (proto, extAddr, extPort, remAddr, remPort) - out2in
// Idle expiry is O(1): each timer class (UDP, TCP established, TCP transitory, ICMP) is a list in the
// order sessions took their place at its tail, so only list heads are ever examined. A used session
// moves to the tail at most once per LRU_LAG_MS, not with every packet (expireSessions says why that
// is enough). Each host takes sessions within its share (nat/hosts.ts). A host that finds no room may
// evict the transitory TCP session at its list's head, the least recently used one to within LRU_LAG_MS
// (RFC 5382 allows it), when that session is its own or a bigger host's; otherwise the new flow is
// refused and existing sessions are never touched. Every removal is O(1): the per-mapping session list
// is doubly linked, and the sweep examines list heads only (docs/fairness.md has the bound per call).
import { capacity, timeout, C_SESSIONS, T_UDP, T_TCP_ESTABLISHED, T_TCP_TRANSITORY, T_ICMP } from "../config";
import { arenaTake } from "../arena";
import { Counter, count } from "../counters";
import { deltaOf } from "../wire/checksum";
import { PROTO_TCP, PROTO_UDP } from "../wire/ipv4";
import { NO_INDEX, hash3, mix, bucketCountFor } from "./hash";
import { unlinkFrom, pushFront, threadFree } from "./chains";
import { mappingAt, removeMapping, M_SESSIONS, M_SESSION_COUNT, M_CREATED, M_EXT_ADDR, M_EXT_PORT, M_IN_ADDR, M_IN_PORT } from "./mappings";
import { hostSessionTake, hostSessionsAbove, hostSessionCount, hostSessions } from "./hosts";
import { workStep } from "../work";
import { expired } from "../router/packet";
import { expressForgetAll } from "./express";

export const S_PROTO = 0; // u8
export const S_TCP_STATE = 1; // u8
export const S_FLAGS = 2; // u8
export const S_CLASS = 3; // u8
export const S_IN_ADDR = 4;
export const S_EXT_ADDR = 8;
export const S_REM_ADDR = 12;
export const S_IN_PORT = 16; // u16
export const S_EXT_PORT = 18; // u16
export const S_REM_PORT = 20; // u16
export const S_USED = 22; // u8
export const S_LAST = 24;
export const S_NEXT_IN = 28;
export const S_NEXT_OUT = 32;
export const S_PREV = 36; // LRU
export const S_NEXT = 40; // LRU, or free list
export const S_MAPPING = 44;
export const S_SIBLING = 48; // next session of the same mapping
export const S_PKTS_IN2OUT = 52;
export const S_PKTS_OUT2IN = 56;
export const S_DELTA_IP = 60; // u16: IP header checksum delta, in2out
export const S_DELTA_L4 = 62; // u16: transport checksum delta (address + port), in2out
export const S_QUEUED = 64; // when the session took its place at its list's tail
export const S_SIBLING_PREV = 68; // previous session of the same mapping (NO_INDEX: the head): O(1) removal
export const S_SERIAL = 72; // u32: removals of this slot so far, kept across reuse (see sessionSerial); last
export const S_BYTES: u32 = 76;

export const SESSION_SERVER_LIST: u8 = 1;
export const SESSION_DEFAULT_SERVER: u8 = 2;

// TCP state as the flags seen so far (RFC 5382 section 5): established once SYNs crossed both ways,
// transitory before that, after FINs both ways, or after a RST.
export const TCP_NONE: u8 = 0;
export const TCP_SYN_OUT: u8 = 1;
export const TCP_SYN_IN: u8 = 2;
export const TCP_FIN_OUT: u8 = 4;
export const TCP_FIN_IN: u8 = 8;
export const TCP_RST_SEEN: u8 = 16;
const CLASS_UDP: u8 = 0;
const CLASS_TCP_EST: u8 = 1;
const CLASS_TCP_TRANS: u8 = 2;
const CLASS_ICMP: u8 = 3;
const CLASSES: u32 = 4;
// Removals per sweep: a 32nd of the table (at least 256), so a whole table that went idle at once
// leaves in 32 sweeps (320 ms) and the sweep's work is bounded by the table's size, not its contents.
const EXPIRE_SHARE: u32 = 32;
const EXPIRE_MIN: u32 = 256;
// A session moves in its list at most this often. Sessions leave up to this long after their timeout
// (expireSessions), which every timeout allows: none is under 60 s, and RFC 4787 REQ-5 and RFC 5382
// set minimums. In exchange a packet of a busy flow no longer relinks two lists' worth of neighbours.
const LRU_LAG_MS: u32 = 250;

class Sessions {
  static base: usize = 0;
  static slots: u32 = 0;
  static inBuckets: usize = 0;
  static outBuckets: usize = 0;
  static bucketMask: u32 = 0;
  static freeHead: u32 = NO_INDEX;
  static live: u32 = 0;
  static lruHeads: usize = 0; // CLASSES x (head, tail)
  static expireBudget: u32 = 0;
}


@inline export function sessionAt(i: u32): usize {
  return Sessions.base + <usize>i * S_BYTES;
}

export function sessionsInit(): bool {
  const n = capacity(C_SESSIONS);
  const buckets = bucketCountFor(n);
  Sessions.slots = n;
  Sessions.bucketMask = buckets - 1;
  Sessions.base = arenaTake(<usize>n * S_BYTES);
  Sessions.inBuckets = arenaTake(<usize>buckets * 4);
  Sessions.outBuckets = arenaTake(<usize>buckets * 4);
  Sessions.lruHeads = arenaTake(CLASSES * 8);
  if (Sessions.base == 0 || Sessions.inBuckets == 0 || Sessions.outBuckets == 0 || Sessions.lruHeads == 0) return false;
  memory.fill(Sessions.inBuckets, 0xff, <usize>buckets * 4);
  memory.fill(Sessions.outBuckets, 0xff, <usize>buckets * 4);
  memory.fill(Sessions.lruHeads, 0xff, CLASSES * 8);
  Sessions.freeHead = threadFree(Sessions.base, S_BYTES, n, S_NEXT);
  Sessions.live = 0;
  Sessions.expireBudget = max<u32>(EXPIRE_MIN, n / EXPIRE_SHARE);
  return true;
}

/** Session i's serial: it changes when the session is removed, so a reference that keeps it (the express
 *  path's, nat/express.ts) can tell its session from a later one in the same slot. */
@inline export function sessionSerial(i: u32): u32 {
  return load<u32>(sessionAt(i), S_SERIAL);
}

@inline function keyHash(proto: u8, addr: u32, port: u32, remAddr: u32, remPort: u32): u32 {
  return hash3(addr ^ mix(remAddr), (port << 16) | remPort, proto);
}

@inline function inBucket(proto: u8, addr: u32, port: u32, remAddr: u32, remPort: u32): usize {
  return Sessions.inBuckets + (<usize>(keyHash(proto, addr, port, remAddr, remPort) & Sessions.bucketMask) << 2);
}

@inline function outBucket(proto: u8, addr: u32, port: u32, remAddr: u32, remPort: u32): usize {
  return Sessions.outBuckets + (<usize>(keyHash(proto, addr, port, remAddr, remPort) & Sessions.bucketMask) << 2);
}

export function findSessionInside(proto: u8, inAddr: u32, inPort: u32, remAddr: u32, remPort: u32): u32 {
  let i = load<u32>(inBucket(proto, inAddr, inPort, remAddr, remPort));
  while (i != NO_INDEX) {
    const s = sessionAt(i);
    if (load<u32>(s, S_IN_ADDR) == inAddr && load<u32>(s, S_REM_ADDR) == remAddr &&
        <u32>load<u16>(s, S_IN_PORT) == inPort && <u32>load<u16>(s, S_REM_PORT) == remPort && load<u8>(s, S_PROTO) == proto) return i;
    i = load<u32>(s, S_NEXT_IN);
  }
  return NO_INDEX;
}

export function findSessionOutside(proto: u8, extAddr: u32, extPort: u32, remAddr: u32, remPort: u32): u32 {
  let i = load<u32>(outBucket(proto, extAddr, extPort, remAddr, remPort));
  while (i != NO_INDEX) {
    const s = sessionAt(i);
    if (load<u32>(s, S_EXT_ADDR) == extAddr && load<u32>(s, S_REM_ADDR) == remAddr &&
        <u32>load<u16>(s, S_EXT_PORT) == extPort && <u32>load<u16>(s, S_REM_PORT) == remPort && load<u8>(s, S_PROTO) == proto) return i;
    i = load<u32>(s, S_NEXT_OUT);
  }
  return NO_INDEX;
}

/** How long since the mapping was last used (a dump's ageMs): by its newest session, else its creation. */
export function mappingIdleMs(mapping: u32, now: u32): u32 {
  const m = mappingAt(mapping);
  let idle = now - load<u32>(m, M_CREATED);
  let i = load<u32>(m, M_SESSIONS);
  while (i != NO_INDEX) {
    const s = sessionAt(i);
    const age = now - load<u32>(s, S_LAST);
    if (age < idle) idle = age;
    i = load<u32>(s, S_SIBLING);
  }
  return idle;
}

/** True when the mapping has a session with this remote address (address-dependent filtering). */
export function mappingKnowsAddress(mapping: u32, remAddr: u32): bool {
  let i = load<u32>(mappingAt(mapping), M_SESSIONS);
  while (i != NO_INDEX) {
    workStep();
    const s = sessionAt(i);
    if (load<u32>(s, S_REM_ADDR) == remAddr) return true;
    i = load<u32>(s, S_SIBLING);
  }
  return false;
}

// ---- LRU per timer class ----

@inline function lruHead(cls: u8): usize { return Sessions.lruHeads + (<usize>cls << 3); }

function lruUnlink(i: u32): void {
  const s = sessionAt(i);
  const h = lruHead(load<u8>(s, S_CLASS));
  const prev = load<u32>(s, S_PREV), next = load<u32>(s, S_NEXT);
  if (prev == NO_INDEX) store<u32>(h, next); else store<u32>(sessionAt(prev), next, S_NEXT);
  if (next == NO_INDEX) store<u32>(h, prev, 4); else store<u32>(sessionAt(next), prev, S_PREV);
}

function lruAppend(i: u32, cls: u8, now: u32): void {
  const s = sessionAt(i);
  const h = lruHead(cls);
  const tail = load<u32>(h, 4);
  store<u8>(s, cls, S_CLASS);
  store<u32>(s, now, S_QUEUED);
  store<u32>(s, tail, S_PREV);
  store<u32>(s, NO_INDEX, S_NEXT);
  if (tail == NO_INDEX) store<u32>(h, i); else store<u32>(sessionAt(tail), i, S_NEXT);
  store<u32>(h, i, 4);
}

function classFor(proto: u8, tcpState: u8): u8 {
  if (proto == PROTO_UDP) return CLASS_UDP;
  if (proto == PROTO_TCP) {
    const established = (tcpState & 3) == 3 && (tcpState & 12) != 12 && (tcpState & TCP_RST_SEEN) == 0;
    return established ? CLASS_TCP_EST : CLASS_TCP_TRANS;
  }
  return CLASS_ICMP;
}

function classTimeoutMs(cls: u8): u32 {
  if (cls == CLASS_UDP) return timeout(T_UDP) * 1000;
  if (cls == CLASS_TCP_EST) return timeout(T_TCP_ESTABLISHED) * 1000;
  if (cls == CLASS_TCP_TRANS) return timeout(T_TCP_TRANSITORY) * 1000;
  return timeout(T_ICMP) * 1000;
}

/** Marks session i (at s, sessionAt(i)) used now and counts the packet; at most once per LRU_LAG_MS it
 *  also moves to its class's tail, so that its last use stays under LRU_LAG_MS after its place. */
@inline export function touchSession(i: u32, s: usize, now: u32, in2out: bool): void {
  store<u32>(s, now, S_LAST);
  const f = in2out ? S_PKTS_IN2OUT : S_PKTS_OUT2IN;
  store<u32>(s + f, load<u32>(s + f) + 1);
  if (now - load<u32>(s, S_QUEUED) >= LRU_LAG_MS) requeue(i, now);
}

/** Moves session i to its list's tail, as of now; one already there (no next) only takes the time. */
function requeue(i: u32, now: u32): void {
  const s = sessionAt(i);
  if (load<u32>(s, S_NEXT) == NO_INDEX) {
    store<u32>(s, now, S_QUEUED);
    return;
  }
  lruUnlink(i);
  lruAppend(i, load<u8>(s, S_CLASS), now);
}

/** Adds TCP state bits and moves the session to the timer class its state now belongs to. The caller
 *  touches the session with the same now (the packet's), which keeps S_LAST at or after S_QUEUED. */
export function addTcpState(i: u32, bits: u8, now: u32): void {
  const s = sessionAt(i);
  const old = load<u8>(s, S_TCP_STATE);
  const state = old | bits;
  if (state == old) return;
  store<u8>(s, state, S_TCP_STATE);
  const cls = classFor(PROTO_TCP, state);
  if (cls == load<u8>(s, S_CLASS)) return;
  lruUnlink(i);
  lruAppend(i, cls, now);
}

// ---- the mapping's session list ----

function siblingPush(m: usize, i: u32): void {
  const head = load<u32>(m, M_SESSIONS);
  const s = sessionAt(i);
  store<u32>(s, head, S_SIBLING);
  store<u32>(s, NO_INDEX, S_SIBLING_PREV);
  if (head != NO_INDEX) store<u32>(sessionAt(head), i, S_SIBLING_PREV);
  store<u32>(m, i, M_SESSIONS);
}

function siblingUnlink(m: usize, i: u32): void {
  const s = sessionAt(i);
  const prev = load<u32>(s, S_SIBLING_PREV), next = load<u32>(s, S_SIBLING);
  if (prev == NO_INDEX) store<u32>(m, next, M_SESSIONS); else store<u32>(sessionAt(prev), next, S_SIBLING);
  if (next != NO_INDEX) store<u32>(sessionAt(next), prev, S_SIBLING_PREV);
}

// ---- create / remove ----

function removeSession(i: u32): void {
  const s = sessionAt(i);
  const proto = load<u8>(s, S_PROTO);
  const remAddr = load<u32>(s, S_REM_ADDR), remPort = <u32>load<u16>(s, S_REM_PORT);
  unlinkFrom(inBucket(proto, load<u32>(s, S_IN_ADDR), load<u16>(s, S_IN_PORT), remAddr, remPort), Sessions.base, S_BYTES, i, S_NEXT_IN);
  unlinkFrom(outBucket(proto, load<u32>(s, S_EXT_ADDR), load<u16>(s, S_EXT_PORT), remAddr, remPort), Sessions.base, S_BYTES, i, S_NEXT_OUT);
  lruUnlink(i);
  // Leave the mapping's session list; the mapping goes with its last session.
  const mi = load<u32>(s, S_MAPPING);
  const m = mappingAt(mi);
  siblingUnlink(m, i);
  hostSessionCount(load<u32>(s, S_IN_ADDR), false); // before the mapping, which may take the host along
  const left = load<u32>(m, M_SESSION_COUNT) - 1;
  store<u32>(m, left, M_SESSION_COUNT);
  if (left == 0) removeMapping(mi);
  store<u8>(s, 0, S_USED);
  store<u32>(s, Sessions.freeHead, S_NEXT);
  Sessions.freeHead = i;
  Sessions.live--;
  const serial = load<u32>(s, S_SERIAL) + 1;
  store<u32>(s, serial, S_SERIAL);
  if (serial == 0) expressForgetAll(); // the slot's serials start over: no entry may take a new session for its own
}

/** Creates a session under a mapping; NO_INDEX when full (after trying to evict a transitory one). */
export function addSession(mapping: u32, proto: u8, remAddr: u32, remPort: u32, flags: u8, now: u32): u32 {
  const host = load<u32>(mappingAt(mapping), M_IN_ADDR);
  if (!hostSessionTake(host, Sessions.slots - Sessions.live)) {
    if (!evictFor(host, mapping)) {
      count(Sessions.freeHead == NO_INDEX ? Counter.DropSessionTableFull : Counter.DropHostShare);
      return NO_INDEX;
    }
    hostSessionCount(host, true); // the room it made
  }
  const i = Sessions.freeHead;
  const s = sessionAt(i);
  Sessions.freeHead = load<u32>(s, S_NEXT);
  const m = mappingAt(mapping);
  const inAddr = load<u32>(m, M_IN_ADDR), extAddr = load<u32>(m, M_EXT_ADDR);
  const inPort = <u32>load<u16>(m, M_IN_PORT), extPort = <u32>load<u16>(m, M_EXT_PORT);
  memory.fill(s, 0, S_SERIAL); // everything but the serial, the last field
  store<u8>(s, proto, S_PROTO);
  store<u8>(s, flags, S_FLAGS);
  store<u8>(s, 1, S_USED);
  store<u32>(s, inAddr, S_IN_ADDR);
  store<u32>(s, extAddr, S_EXT_ADDR);
  store<u32>(s, remAddr, S_REM_ADDR);
  store<u16>(s, <u16>inPort, S_IN_PORT);
  store<u16>(s, <u16>extPort, S_EXT_PORT);
  store<u16>(s, <u16>remPort, S_REM_PORT);
  store<u32>(s, now, S_LAST);
  store<u32>(s, mapping, S_MAPPING);
  store<u16>(s, <u16>deltaOf(inAddr, extAddr, 0, 0), S_DELTA_IP);
  store<u16>(s, <u16>deltaOf(inAddr, extAddr, inPort, extPort), S_DELTA_L4);
  pushFront(inBucket(proto, inAddr, inPort, remAddr, remPort), Sessions.base, S_BYTES, i, S_NEXT_IN);
  pushFront(outBucket(proto, extAddr, extPort, remAddr, remPort), Sessions.base, S_BYTES, i, S_NEXT_OUT);
  siblingPush(m, i);
  store<u32>(m, load<u32>(m, M_SESSION_COUNT) + 1, M_SESSION_COUNT);
  lruAppend(i, classFor(proto, TCP_NONE), now);
  Sessions.live++;
  count(Counter.SessionsCreated);
  return i;
}

/**
 * Makes room for a host that found none: removes the transitory session at its list's head when it is
 * the host's own or a bigger host's (one left above its floor and above this host), so a flooding host
 * recycles its own half-open sessions and a smaller host can take back from the biggest. Never one that
 * would take the mapping being extended along with it. True when a session was removed.
 */
function evictFor(host: u32, mapping: u32): bool {
  const victim = load<u32>(lruHead(CLASS_TCP_TRANS));
  if (victim == NO_INDEX) return false;
  const v = sessionAt(victim);
  if (load<u32>(v, S_MAPPING) == mapping && load<u32>(mappingAt(mapping), M_SESSION_COUNT) <= 1) return false;
  const owner = load<u32>(v, S_IN_ADDR);
  if (owner != host && !hostSessionsAbove(owner, hostSessions(host))) return false;
  removeSession(victim);
  count(Counter.SessionsEvicted);
  return true;
}

/**
 * Removes sessions idle past their class's timeout, from the list heads, at most expireBudget per
 * call. A list is in order of S_QUEUED, and each session's last use lies less than LRU_LAG_MS after its
 * S_QUEUED (touchSession). So when the head's S_QUEUED is not a timeout old, no session behind it is
 * idle that long. A head that is, but was used since, ends the sweep of its list: it expires within
 * LRU_LAG_MS, or moves to the tail at its next use, and a session waiting behind it is idle past its
 * timeout by less than LRU_LAG_MS.
 */
export function expireSessions(now: u32): void {
  let budget = Sessions.expireBudget;
  for (let cls: u8 = 0; cls < <u8>CLASSES; cls++) {
    const limit = classTimeoutMs(cls);
    while (budget > 0) {
      const i = load<u32>(lruHead(cls));
      if (i == NO_INDEX) break;
      workStep();
      const s = sessionAt(i);
      if (!expired(now, load<u32>(s, S_QUEUED), limit) || !expired(now, load<u32>(s, S_LAST), limit)) break;
      removeSession(i);
      count(Counter.SessionsExpired);
      budget--;
    }
  }
}

export function sessionSlots(): u32 { return Sessions.slots; }
export function sessionsLive(): u32 { return Sessions.live; }
