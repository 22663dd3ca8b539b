// NAPT sessions: one per (mapping, remote endpoint), each a flow record (nat/flow.ts). They carry the
// filtering state (RFC 4787 REQ-8), the TCP state (RFC 5382), the rewrite's checksum deltas and the
// idle timer, and they are the mappings (nat/mappings.ts indexes each mapping's lead).
// Two bucket arrays find a flow by the key its packets carry on the wire, one per direction:
//   in2out  (inAddr, remAddr, inPort | remPort, proto)    as a LAN packet has them
//   out2in  (remAddr, WAN address, remPort | extPort, proto) as a WAN packet has them
// Idle expiry is O(1): each timer class (UDP, TCP established, TCP transitory, ICMP) is a list in the
// order sessions took their place at its tail, so only list heads are ever examined. A used session
// moves to the tail at most once per LRU_LAG_MS, not with every packet (expireSessions says why that
// is enough). Each host takes sessions within its share (nat/hosts.ts). A host that finds no room may
// evict the transitory TCP session at its list's head, the least recently used one to within LRU_LAG_MS
// (RFC 5382 allows it), when that session is its own or a bigger host's; otherwise the new flow is
// refused and existing sessions are never touched. Every removal is O(1) but for the hash chains: the
// per-mapping session list is doubly linked, and the sweep examines list heads only.
import { Config, capacity, timeout, C_SESSIONS, T_UDP, T_TCP_ESTABLISHED, T_TCP_TRANSITORY, T_ICMP } from "../config";
import { arenaTake } from "../arena";
import { Counter, count } from "../counters";
import { deltaOf, fold, reverseDelta } from "../wire/checksum";
import { PROTO_TCP, PROTO_UDP } from "../wire/ipv4";
import { TTL_DECREMENT_DELTA } from "../ip/icmp-local";
import { workStep } from "../work";
import { expired } from "../time";
import {
  Flow, flowAt, flowIndex, setFlowBase, NO_FLOW, FLOW_BYTES, FLOW_USED, FLOW_STATIC_PORT, FLOW_SLOW, FLOW_CLASS_SHIFT, FLOW_CLASS_MASK, FLOW_ON_LINK,
} from "./flow";
import { NO_INDEX } from "./hash";
import { linkLead, unlinkLead, mappingCounted } from "./mappings";
import { hostSessionTake, hostSessionsAbove, hostSessionCount, hostSessions, hostRelease } from "./hosts";
import { releasePort } from "./ports";

export const MAPPING_STATIC: u8 = 1; // a dump's mapping flag: its port belongs to a Server List entry
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
// Under 256: Flow.sinceQueued holds the time from the move to the last use in a byte.
const LRU_LAG_MS: u32 = 250;

class Sessions {
  static slots: u32 = 0;
  static outBuckets: usize = 0; // u16 per bucket: in2out keys (packets going out)
  static inBuckets: usize = 0; // u16 per bucket: out2in keys (packets coming in)
  static shift: u32 = 32; // bucket = hash >>> shift
  static freeHead: u32 = NO_FLOW;
  static live: u32 = 0;
  static lruHeads: usize = 0; // CLASSES x (u16 head, u16 tail)
  static expireBudget: u32 = 0;
  static wanW: u32 = 0; // the WAN address in wire order: every flow's external address
  static gatewayW: u32 = 0; // the gateway in wire order (fast path routing)
}

export function sessionsInit(): bool {
  if (offsetof<Flow>() != FLOW_BYTES) return false; // the layout nat/flow.ts documents
  const n = min<u32>(capacity(C_SESSIONS), NO_FLOW);
  let bits: u32 = 4;
  while ((<u32>1 << bits) < n) bits++;
  const buckets = <u32>1 << bits;
  Sessions.slots = n;
  Sessions.shift = 32 - bits;
  const base = arenaTake(<usize>n * FLOW_BYTES);
  Sessions.outBuckets = arenaTake(<usize>buckets * 2);
  Sessions.inBuckets = arenaTake(<usize>buckets * 2);
  Sessions.lruHeads = arenaTake(CLASSES * 4);
  if (base == 0 || Sessions.outBuckets == 0 || Sessions.inBuckets == 0 || Sessions.lruHeads == 0) return false;
  setFlowBase(base);
  memory.fill(Sessions.outBuckets, 0xff, <usize>buckets * 2);
  memory.fill(Sessions.inBuckets, 0xff, <usize>buckets * 2);
  // Word stores, not memory.fill: the optimiser turns a 16-byte fill into i64 stores, which the boards'
  // 32-bit wasm3 cannot run (board/common/check-module.ts).
  for (let c: u32 = 0; c < CLASSES; c++) store<u32>(Sessions.lruHeads + (<usize>c << 2), 0xffffffff);
  for (let i: u32 = 0; i < n; i++) flowAt(i).lruNext = <u16>(i + 1 < n ? i + 1 : NO_FLOW);
  Sessions.freeHead = n == 0 ? NO_FLOW : 0;
  Sessions.live = 0;
  Sessions.expireBudget = max<u32>(EXPIRE_MIN, n / EXPIRE_SHARE);
  Sessions.wanW = bswap<u32>(Config.wanAddr);
  Sessions.gatewayW = bswap<u32>(Config.gateway);
  return true;
}

/** The hash of a wire-order key, the bucket from its top bits. Each field is folded in after the bits
 *  so far were spread by a multiply and turned half over (a multiply carries bits upward only, so the
 *  rotation brings the spread high half down), so keys that differ only in one address's last octet (the
 *  top byte of a wire-order load) or only in a port still spread over every bucket. */
@inline function keyHash(src: u32, dst: u32, ports: u32, proto: u32): u32 {
  // Not the protocol: a TCP and a UDP flow between the same endpoints share a bucket, which is rare
  // and costs one more comparison; every packet saves the XOR.
  const x = rotl<u32>(ports * 0x9e3779b1, 16) ^ src;
  const y = rotl<u32>(x * 0x85ebca6b, 16) ^ dst;
  return y * 0xc2b2ae35; // the bucket takes the top bits, which every bit of y reaches
}

@inline function outBucket(src: u32, dst: u32, ports: u32, proto: u32): usize {
  return Sessions.outBuckets + (<usize>(keyHash(src, dst, ports, proto) >>> Sessions.shift) << 1);
}

@inline function inBucket(src: u32, dst: u32, ports: u32, proto: u32): usize {
  return Sessions.inBuckets + (<usize>(keyHash(src, dst, ports, proto) >>> Sessions.shift) << 1);
}

/** The ports word of each direction as a packet carries it: (inPort, remPort) and (remPort, extPort). */
@inline export function portsOut(f: Flow): u32 { return load<u32>(changetype<usize>(f), offsetof<Flow>("inPort")); }
@inline export function portsIn(f: Flow): u32 { return load<u32>(changetype<usize>(f), offsetof<Flow>("remPort")); }

// Key comparisons without branches: one test of the fields' differences ORed together.
@inline function matchesOut(f: Flow, src: u32, dst: u32, ports: u32, proto: u32): bool {
  return ((f.inAddr ^ src) | (f.remAddr ^ dst) | (portsOut(f) ^ ports) | (<u32>f.proto ^ proto)) == 0;
}

@inline function matchesIn(f: Flow, src: u32, dst: u32, ports: u32, proto: u32): bool {
  return ((f.remAddr ^ src) | (portsIn(f) ^ ports) | (<u32>f.proto ^ proto) | (dst ^ Sessions.wanW)) == 0;
}

/** The flow of a packet going out with these wire-order fields, or NO_FLOW. One lookup: the chain's
 *  first flow is tested inline, the rest in a loop of its own (a loop costs wasm3 a nested call). */
@inline export function flowOut(src: u32, dst: u32, ports: u32, proto: u32): u32 {
  const i = <u32>load<u16>(outBucket(src, dst, ports, proto));
  if (i == NO_FLOW || matchesOut(flowAt(i), src, dst, ports, proto)) return i;
  return flowOutAfter(i, src, dst, ports, proto);
}

/** flowOut for the fast path: the flow record's address, or 0. Its own copy of the lookup: written as
 *  flowAt(flowOut(...)) it cost 43 more wasm3 instructions a packet (measured 2026-12-03). */
@inline export function flowRecordOut(src: u32, dst: u32, ports: u32, proto: u32): usize {
  const i = <u32>load<u16>(outBucket(src, dst, ports, proto));
  if (i == NO_FLOW) return 0;
  const f = flowAt(i);
  if (matchesOut(f, src, dst, ports, proto)) return changetype<usize>(f);
  const j = flowOutAfter(i, src, dst, ports, proto);
  return j == NO_FLOW ? 0 : changetype<usize>(flowAt(j));
}

/** flowIn for the fast path: the flow record's address, or 0. */
@inline export function flowRecordIn(src: u32, dst: u32, ports: u32, proto: u32): usize {
  const i = <u32>load<u16>(inBucket(src, dst, ports, proto));
  if (i == NO_FLOW) return 0;
  const f = flowAt(i);
  if (matchesIn(f, src, dst, ports, proto)) return changetype<usize>(f);
  const j = flowInAfter(i, src, dst, ports, proto);
  return j == NO_FLOW ? 0 : changetype<usize>(flowAt(j));
}

function flowOutAfter(first: u32, src: u32, dst: u32, ports: u32, proto: u32): u32 {
  let i = <u32>flowAt(first).nextOut;
  while (i != NO_FLOW) {
    const f = flowAt(i);
    if (matchesOut(f, src, dst, ports, proto)) return i;
    i = f.nextOut;
  }
  return NO_FLOW;
}

/** The flow of a packet coming in (to the WAN address) with these wire-order fields, or NO_FLOW. */
@inline export function flowIn(src: u32, dst: u32, ports: u32, proto: u32): u32 {
  const i = <u32>load<u16>(inBucket(src, dst, ports, proto));
  if (i == NO_FLOW || matchesIn(flowAt(i), src, dst, ports, proto)) return i;
  return flowInAfter(i, src, dst, ports, proto);
}

function flowInAfter(first: u32, src: u32, dst: u32, ports: u32, proto: u32): u32 {
  let i = <u32>flowAt(first).nextIn;
  while (i != NO_FLOW) {
    const f = flowAt(i);
    if (matchesIn(f, src, dst, ports, proto)) return i;
    i = f.nextIn;
  }
  return NO_FLOW;
}

/** A ports word from two host-order ports, as the packet carries them. */
@inline function wirePorts(first: u32, second: u32): u32 {
  return <u32>bswap<u16>(<u16>first) | (<u32>bswap<u16>(<u16>second) << 16);
}

/** The long way's lookups, in host order: the session index or NO_INDEX. */
export function findSessionInside(proto: u8, inAddr: u32, inPort: u32, remAddr: u32, remPort: u32): u32 {
  const i = flowOut(bswap<u32>(inAddr), bswap<u32>(remAddr), wirePorts(inPort, remPort), proto);
  return i == NO_FLOW ? NO_INDEX : i;
}

export function findSessionOutside(proto: u8, extAddr: u32, extPort: u32, remAddr: u32, remPort: u32): u32 {
  const i = flowIn(bswap<u32>(remAddr), bswap<u32>(extAddr), wirePorts(remPort, extPort), proto);
  return i == NO_FLOW ? NO_INDEX : i;
}

// Host-order views of a session for the long way and the dumps.
export function sessionInAddr(i: u32): u32 { return bswap<u32>(flowAt(i).inAddr); }
export function sessionRemAddr(i: u32): u32 { return bswap<u32>(flowAt(i).remAddr); }
export function sessionInPort(i: u32): u32 { return <u32>bswap<u16>(flowAt(i).inPort); }
export function sessionRemPort(i: u32): u32 { return <u32>bswap<u16>(flowAt(i).remPort); }
export function sessionExtPort(i: u32): u32 { return <u32>bswap<u16>(flowAt(i).extPort); }
/** The in2out rewrite's deltas in host order, as deltaOf makes them (the long way's rewrite takes them). */
export function sessionIpDelta(i: u32): u32 { return deltaOf(bswap<u32>(flowAt(i).inAddr), Config.wanAddr, 0, 0); }
export function sessionL4Delta(i: u32): u32 { return <u32>bswap<u16>(flowAt(i).l4Delta); }
export function sessionUsed(i: u32): bool { return (flowAt(i).flags & FLOW_USED) != 0; }
export function sessionIsLead(i: u32): bool { return <u32>flowAt(i).sibPrev == NO_FLOW; }
/** When the session was last used. */
export function sessionLast(i: u32): u32 { const f = flowAt(i); return f.queued + <u32>f.sinceQueued; }

/** How long since the mapping led by `lead` was last used (a dump's ageMs): by its newest session. */
export function mappingIdleMs(lead: u32, now: u32): u32 {
  let idle: u32 = 0xffffffff;
  let i = lead;
  while (i != NO_FLOW) {
    const age = now - sessionLast(i);
    if (age < idle) idle = age;
    i = flowAt(i).sibNext;
  }
  return idle;
}

/** Sessions of the mapping led by `lead`. */
export function mappingSessionCount(lead: u32): u32 {
  let n: u32 = 0;
  for (let i = lead; i != NO_FLOW; i = flowAt(i).sibNext) n++;
  return n;
}

/** True when the mapping led by `lead` has a session with this remote address (address-dependent
 *  filtering). */
export function mappingKnowsAddress(lead: u32, remAddr: u32): bool {
  const remW = bswap<u32>(remAddr);
  let i = lead;
  while (i != NO_FLOW) {
    workStep();
    const f = flowAt(i);
    if (f.remAddr == remW) return true;
    i = f.sibNext;
  }
  return false;
}

/** True when the mapping led by `lead` holds a Server List port. */
export function mappingIsStatic(lead: u32): bool {
  return (flowAt(lead).flags & FLOW_STATIC_PORT) != 0;
}

// ---- LRU per timer class ----

@inline function lruHead(cls: u32): usize { return Sessions.lruHeads + (<usize>cls << 2); }
@inline function classOf(f: Flow): u32 { return (<u32>f.flags & FLOW_CLASS_MASK) >> FLOW_CLASS_SHIFT; }

function lruUnlink(i: u32): void {
  const f = flowAt(i);
  const h = lruHead(classOf(f));
  const prev = <u32>f.lruPrev, next = <u32>f.lruNext;
  if (prev == NO_FLOW) store<u16>(h, <u16>next); else flowAt(prev).lruNext = <u16>next;
  if (next == NO_FLOW) store<u16>(h, <u16>prev, 2); else flowAt(next).lruPrev = <u16>prev;
}

function lruAppend(i: u32, cls: u32, now: u32): void {
  const f = flowAt(i);
  const h = lruHead(cls);
  const tail = <u32>load<u16>(h, 2);
  f.flags = <u8>((<u32>f.flags & ~<u32>FLOW_CLASS_MASK) | (cls << FLOW_CLASS_SHIFT));
  f.queued = now;
  f.sinceQueued = 0;
  f.lruPrev = <u16>tail;
  f.lruNext = <u16>NO_FLOW;
  if (tail == NO_FLOW) store<u16>(h, <u16>i); else flowAt(tail).lruNext = <u16>i;
  store<u16>(h, <u16>i, 2);
}

function classFor(proto: u8, tcpState: u8): u32 {
  if (proto == PROTO_UDP) return CLASS_UDP;
  if (proto == PROTO_TCP) {
    const established = (tcpState & 3) == 3 && (tcpState & 12) != 12 && (tcpState & TCP_RST_SEEN) == 0;
    return established ? CLASS_TCP_EST : CLASS_TCP_TRANS;
  }
  return CLASS_ICMP;
}

function classTimeoutMs(cls: u32): u32 {
  if (cls == CLASS_UDP) return timeout(T_UDP) * 1000;
  if (cls == CLASS_TCP_EST) return timeout(T_TCP_ESTABLISHED) * 1000;
  if (cls == CLASS_TCP_TRANS) return timeout(T_TCP_TRANSITORY) * 1000;
  return timeout(T_ICMP) * 1000;
}

/** Marks session f used now and counts the packet; at most once per LRU_LAG_MS it also moves to its
 *  class's tail, so that its last use stays under LRU_LAG_MS after its place. */
@inline export function touchSession(f: Flow, now: u32, in2out: bool): void {
  if (in2out) f.packetsOut++; else f.packetsIn++;
  const since = now - f.queued;
  if (since < LRU_LAG_MS) f.sinceQueued = <u8>since;
  else requeue(flowIndex(f), now);
}

/** Moves session i to its list's tail, as of now; one already there (no next) only takes the time. */
function requeue(i: u32, now: u32): void {
  const f = flowAt(i);
  if (<u32>f.lruNext == NO_FLOW) {
    f.queued = now;
    f.sinceQueued = 0;
    return;
  }
  lruUnlink(i);
  lruAppend(i, classOf(f), now);
}

/** Adds TCP state bits and moves the session to the timer class its state now belongs to. The caller
 *  touches the session with the same now (the packet's). */
export function addTcpState(i: u32, bits: u8, now: u32): void {
  const f = flowAt(i);
  const old = f.tcpState;
  const state = old | bits;
  if (state == old) return;
  f.tcpState = state;
  const cls = classFor(PROTO_TCP, state);
  if (cls == classOf(f)) return;
  lruUnlink(i);
  lruAppend(i, cls, now);
}

// ---- hash chains ----

function unlinkChain(bucket: usize, i: u32, out: bool): void {
  let at = bucket;
  let j = <u32>load<u16>(at);
  while (j != NO_FLOW) {
    workStep();
    const f = flowAt(j);
    const next = out ? <u32>f.nextOut : <u32>f.nextIn;
    if (j == i) { store<u16>(at, <u16>next); return; }
    at = changetype<usize>(f) + (out ? offsetof<Flow>("nextOut") : offsetof<Flow>("nextIn"));
    j = next;
  }
}

// ---- create / remove ----

function removeSession(i: u32): void {
  const f = flowAt(i);
  const proto = <u32>f.proto;
  unlinkChain(outBucket(f.inAddr, f.remAddr, portsOut(f), proto), i, true);
  unlinkChain(inBucket(f.remAddr, Sessions.wanW, portsIn(f), proto), i, false);
  lruUnlink(i);
  const host = bswap<u32>(f.inAddr);
  hostSessionCount(host, false); // before the mapping, which may take the host along
  // Leave the mapping's session list; a lead hands the mapping to the next session, the last ends it.
  const prev = <u32>f.sibPrev, next = <u32>f.sibNext;
  if (prev == NO_FLOW) {
    unlinkLead(i);
    if (next == NO_FLOW) {
      releasePort(f.proto, <u32>bswap<u16>(f.extPort));
      hostRelease(host);
      mappingCounted(false);
      count(Counter.MappingsExpired);
    } else {
      flowAt(next).sibPrev = <u16>NO_FLOW;
      linkLead(next);
    }
  } else {
    flowAt(prev).sibNext = <u16>next;
    if (next != NO_FLOW) flowAt(next).sibPrev = <u16>prev;
  }
  f.flags = 0;
  f.lruNext = <u16>Sessions.freeHead;
  Sessions.freeHead = i;
  Sessions.live--;
}

/**
 * Creates a session: under the mapping led by `lead`, or, with lead NO_FLOW, as the lead of a new
 * mapping (inAddr, inPort) <-> extPort whose port and host quota the caller claimed. Host order in.
 * NO_INDEX when full (after trying to evict a transitory session); a new mapping is then the caller's
 * to give back.
 */
export function addSession(
  lead: u32, proto: u8, inAddr: u32, inPort: u32, extPort: u32, staticPort: bool,
  remAddr: u32, remPort: u32, flags: u8, slow: bool, now: u32,
): u32 {
  if (lead != NO_FLOW) {
    const l = flowAt(lead);
    inAddr = bswap<u32>(l.inAddr);
    inPort = <u32>bswap<u16>(l.inPort);
    extPort = <u32>bswap<u16>(l.extPort);
    staticPort = (l.flags & FLOW_STATIC_PORT) != 0;
  }
  if (!hostSessionTake(inAddr, Sessions.slots - Sessions.live)) {
    const evicted = evictFor(inAddr, lead);
    if (evicted == NO_FLOW) {
      count(Sessions.freeHead == NO_FLOW ? Counter.DropSessionTableFull : Counter.DropHostShare);
      return NO_INDEX;
    }
    if (evicted == lead) lead = <u32>flowAt(lead).sibNext; // read before the slot is reused: the new lead
    hostSessionCount(inAddr, true); // the room it made
  }
  const i = Sessions.freeHead;
  const f = flowAt(i);
  Sessions.freeHead = f.lruNext;
  memory.fill(changetype<usize>(f), 0, FLOW_BYTES);
  f.inAddr = bswap<u32>(inAddr);
  f.remAddr = bswap<u32>(remAddr);
  f.inPort = bswap<u16>(<u16>inPort);
  f.remPort = bswap<u16>(<u16>remPort);
  f.extPort = bswap<u16>(<u16>extPort);
  f.proto = proto;
  const onLink = ((remAddr ^ Config.wanAddr) & Config.wanMask) == 0;
  f.flags = flags | FLOW_USED | (staticPort ? FLOW_STATIC_PORT : 0) | (slow ? FLOW_SLOW : 0) | (onLink ? FLOW_ON_LINK : 0);
  const ipDelta = deltaOf(inAddr, Config.wanAddr, 0, 0);
  f.ipDeltaOut = bswap<u16>(<u16>fold(ipDelta + TTL_DECREMENT_DELTA));
  f.ipDeltaIn = bswap<u16>(<u16>fold(reverseDelta(ipDelta) + TTL_DECREMENT_DELTA));
  f.l4Delta = bswap<u16>(<u16>deltaOf(inAddr, Config.wanAddr, inPort, extPort));
  const ob = outBucket(f.inAddr, f.remAddr, portsOut(f), proto), ib = inBucket(f.remAddr, Sessions.wanW, portsIn(f), proto);
  f.nextOut = load<u16>(ob);
  store<u16>(ob, <u16>i);
  f.nextIn = load<u16>(ib);
  store<u16>(ib, <u16>i);
  if (lead == NO_FLOW) {
    f.sibPrev = <u16>NO_FLOW;
    f.sibNext = <u16>NO_FLOW;
    linkLead(i);
    mappingCounted(true);
    count(Counter.MappingsCreated);
  } else {
    // Second in the list: the lead keeps its place in the mapping indexes.
    const l = flowAt(lead);
    const next = <u32>l.sibNext;
    f.sibPrev = <u16>lead;
    f.sibNext = <u16>next;
    if (next != NO_FLOW) flowAt(next).sibPrev = <u16>i;
    l.sibNext = <u16>i;
  }
  lruAppend(i, classFor(proto, TCP_NONE), now);
  Sessions.live++;
  count(Counter.SessionsCreated);
  return i;
}

/**
 * Makes room for a host that found none: removes the transitory session at its list's head when it is
 * the host's own or a bigger host's (one left above its floor and above this host), so a flooding host
 * recycles its own half-open sessions and a smaller host can take back from the biggest. Never the
 * last session of the mapping being extended, which would take the mapping along. The removed index,
 * or NO_FLOW.
 */
function evictFor(host: u32, lead: u32): u32 {
  const victim = <u32>load<u16>(lruHead(CLASS_TCP_TRANS));
  if (victim == NO_FLOW) return NO_FLOW;
  const v = flowAt(victim);
  if (victim == lead && <u32>v.sibNext == NO_FLOW) return NO_FLOW;
  const owner = bswap<u32>(v.inAddr);
  if (owner != host && !hostSessionsAbove(owner, hostSessions(host))) return NO_FLOW;
  removeSession(victim);
  count(Counter.SessionsEvicted);
  return victim;
}

/**
 * Removes sessions idle past their class's timeout, from the list heads, at most expireBudget per
 * call. A list is in order of `queued`, and each session's last use lies less than LRU_LAG_MS after it
 * (touchSession). So when the head's `queued` is not a timeout old, no session behind it is idle that
 * long. A head that is, but was used since, ends the sweep of its list: it expires within LRU_LAG_MS,
 * or moves to the tail at its next use, and a session waiting behind it is idle past its timeout by
 * less than LRU_LAG_MS.
 */
export function expireSessions(now: u32): void {
  let budget = Sessions.expireBudget;
  for (let cls: u32 = 0; cls < CLASSES; cls++) {
    const limit = classTimeoutMs(cls);
    while (budget > 0) {
      const i = <u32>load<u16>(lruHead(cls));
      if (i == NO_FLOW) break;
      workStep();
      const f = flowAt(i);
      if (!expired(now, f.queued, limit) || !expired(now, f.queued + <u32>f.sinceQueued, limit)) break;
      removeSession(i);
      count(Counter.SessionsExpired);
      budget--;
    }
  }
}

export function sessionSlots(): u32 { return Sessions.slots; }
export function sessionsLive(): u32 { return Sessions.live; }

/** The WAN address in wire order: every flow's external address. */
@inline export function wanWire(): u32 { return Sessions.wanW; }

/** The gateway in wire order: the in2out next hop of a flow whose remote is not on-link (0: no route). */
@inline export function wanGatewayWire(): u32 { return Sessions.gatewayW; }
