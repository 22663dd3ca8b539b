// ARP (RFC 826): answer for our own addresses (and proxy for Map List addresses on the WAN subnet),
// keep a bounded cache of next hops, and hold frames for unresolved next hops in a bounded queue.
// The cache is set-associative: an address probes ARP_WAYS slots; a full set evicts its oldest entry.
// Queued frames wait ARP_QUEUE_MS at most (requests repeat every ARP_RETRY_MS), then drop counted; one
// next hop holds at most a quarter of the queue (hopShare), so frames for others find room while it is dead.
// A request or reply whose sender is us, by MAC or address, or whose sender MAC is broadcast or multicast,
// is ignored and counted (arp_ignored): no one else may teach us our own addresses or point a next hop at us.
import { PORT_LAN, PORT_WAN, SLOT_BYTES } from "../abi";
import { Config, capacity, timeout, C_ARP_ENTRIES, C_ARP_QUEUE, T_ARP, MAP_BYTES } from "../config";
import { arenaTake } from "../arena";
import { Counter, count } from "../counters";
import { get16, set16, get32, set32 } from "../wire/bytes";
import {
  ETH_DST, ETH_SRC, ETH_TYPE, ETH_HEADER_LEN, ETH_ADDR_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, copyMac, isBroadcast, isGroup, setBroadcast, macEquals,
} from "../wire/ethernet";
import {
  ARP_HTYPE, ARP_PTYPE, ARP_HLEN, ARP_PLEN, ARP_OPER, ARP_SHA, ARP_SPA, ARP_THA, ARP_TPA, ARP_LEN, ARP_REQUEST, ARP_REPLY,
  ARP_HTYPE_ETHERNET, ARP_PLEN_IPV4,
} from "../wire/arp";
import { emit, portMac } from "./emit";
import { expired } from "../time";

const ARP_WAYS: u32 = 8;
const ARP_RETRY_MS: u32 = 1000;
const ARP_QUEUE_MS: u32 = 3000;

/** A cache entry, 44 bytes: the next hop, then what the fast path writes and checks (arpAnswers). */
@unmanaged class ArpEntry {
  addr: u32; //  0
  updated: u32; //  4  when it was last learned (or claimed)
  port: u16; //  8
  resolved: u8; // 10
  used: u8; // 11  (port, resolved and used are one word for arpAnswers)
  mac: u32; // 12  the next hop's MAC, 6 bytes (macEnd the last two)
  macEnd: u16; // 16
  reserved: u16; // 18
  requested: u32; // 20  when it was last asked for
  addrWire: u32; // 24  the address as a packet carries it, for the fast path's check (arpAnswers)
  eth: u32; // 28  its MAC, then ours: what the fast path writes over a frame's first 12 bytes
  eth4: u32; // 32
  eth8: u32; // 36
  staleAt: u32; // 40  when a resolved entry goes stale: `updated` + the ARP timeout
}
const E_BYTES: u32 = 44;
/** An entry reference that refers to none (a flow's u16 field, nat/flow.ts, starts so): a zeroed entry
 *  before the table, which no check passes. Entry i's reference is i + 1. */
export const NO_ARP_REF: u32 = 0;

/** A queued frame's header, 16 bytes; the frame follows it. */
@unmanaged class ArpQueued {
  hop: u32; //  0  the next hop it waits for
  at: u32; //  4  when it was queued
  port: u16; //  8
  len: u16; // 10
  busy: u8; // 12
  reserved: u8; // 13
  reserved2: u16; // 14
}
const Q_HEADER: u32 = 16;
const Q_STRIDE: u32 = Q_HEADER + SLOT_BYTES;

class Arp {
  static table: usize = 0;
  static sets: u32 = 0; // number of sets (power of two)
  static queue: usize = 0;
  static queueSlots: u32 = 0;
  static queued: u32 = 0;
  static scratch: usize = 0; // a frame buffer for requests and replies
  static refBase: usize = 0; // the zeroed entry before the table: reference r is at refBase + r * E_BYTES
}

export function arpInit(): bool {
  if (offsetof<ArpEntry>() != E_BYTES || offsetof<ArpQueued>() != Q_HEADER) return false;
  let sets: u32 = 1;
  while (sets * ARP_WAYS < capacity(C_ARP_ENTRIES)) sets <<= 1;
  Arp.sets = sets;
  Arp.refBase = arenaTake(<usize>(sets * ARP_WAYS + 1) * E_BYTES);
  Arp.table = Arp.refBase + E_BYTES;
  Arp.queueSlots = capacity(C_ARP_QUEUE);
  Arp.queue = arenaTake(<usize>Arp.queueSlots * Q_STRIDE);
  Arp.queued = 0;
  Arp.scratch = arenaTake(64);
  return Arp.refBase != 0 && Arp.queue != 0 && Arp.scratch != 0;
}

@inline function setOf(addr: u32): usize {
  const h = (addr * 0x9e3779b1) >>> 16;
  return Arp.table + <usize>(h & (Arp.sets - 1)) * ARP_WAYS * E_BYTES;
}

@inline function wayOf(set: usize, i: u32): ArpEntry {
  return changetype<ArpEntry>(set + i * E_BYTES);
}

@inline function macAt(e: ArpEntry): usize {
  return changetype<usize>(e) + offsetof<ArpEntry>("mac");
}

@inline function ethAt(e: ArpEntry): usize {
  return changetype<usize>(e) + offsetof<ArpEntry>("eth");
}

@inline function queuedAt(i: u32): ArpQueued {
  return changetype<ArpQueued>(Arp.queue + <usize>i * Q_STRIDE);
}

@inline function frameOf(q: ArpQueued): usize {
  return changetype<usize>(q) + Q_HEADER;
}

function find(port: u16, addr: u32): ArpEntry | null {
  const set = setOf(addr);
  for (let i: u32 = 0; i < ARP_WAYS; i++) {
    const e = wayOf(set, i);
    if (e.used != 0 && e.addr == addr && e.port == port) return e;
  }
  return null;
}

/** Finds or makes room for an entry: an unused way, else the set's least recently updated one. */
function claim(port: u16, addr: u32, now: u32): ArpEntry {
  const found = find(port, addr);
  if (found) return found;
  const set = setOf(addr);
  let victim = wayOf(set, 0);
  let oldest: u32 = 0;
  for (let i: u32 = 0; i < ARP_WAYS; i++) {
    const e = wayOf(set, i);
    if (e.used == 0) { victim = e; break; }
    const age = now - e.updated;
    if (age >= oldest) { oldest = age; victim = e; }
  }
  memory.fill(changetype<usize>(victim), 0, E_BYTES);
  victim.addr = addr;
  victim.addrWire = bswap<u32>(addr);
  victim.port = port;
  victim.used = 1;
  victim.updated = now;
  victim.requested = now - ARP_RETRY_MS;
  return victim;
}

/** The MAC for a next hop, or 0 when unknown or stale. */
export function arpLookup(port: u16, addr: u32, now: u32): usize {
  return macOf(find(port, addr), now);
}

@inline function macOf(e: ArpEntry | null, now: u32): usize {
  if (!e || e.resolved == 0) return 0;
  if (expired(now, e.updated, timeout(T_ARP) * 1000)) return 0;
  return macAt(e);
}

/**
 * For a flow that keeps a reference to its next hop's entry (nat/fast.ts): the entry's index when the
 * next hop is resolved and fresh, else NO_ARP_REF. Entries never move, so an index stays an entry; what
 * it holds is checked at each use (arpAnswers).
 */
export function arpRef(port: u16, addr: u32, now: u32): u32 {
  const e = find(port, addr);
  return macOf(e, now) != 0 ? <u32>((changetype<usize>(e) - Arp.refBase) / E_BYTES) : NO_ARP_REF;
}

/** The entry a flow's reference names: NO_ARP_REF or one arpRef gave (nat/fast.ts). */
@inline export function arpEntryOf(ref: u32): usize {
  return Arp.refBase + <usize>ref * E_BYTES;
}

/**
 * Whether entry `e` (arpEntryOf) still answers for next hop `hopWire` (wire order) on `port` exactly as
 * arpLookup would: the same address and port, resolved, not stale. A reused entry fails the address
 * check, so a flow never follows a reference to someone else's MAC. A test, not the header's address
 * or 0, so the caller makes no second test of what it returns.
 */
@inline export function arpAnswers(e: usize, port: u16, hopWire: u32, now: u32): bool {
  const entry = changetype<ArpEntry>(e);
  // The address, then port, resolved and used in one word (port | 1 << 16 | 1 << 24), tested at once;
  // then macOf's expiry test, rearranged.
  const portResolvedUsed = load<u32>(e, offsetof<ArpEntry>("port"));
  if (((entry.addrWire ^ hopWire) | (portResolvedUsed ^ (<u32>port | 0x01010000))) != 0) return false;
  return <i32>(now - entry.staleAt) < 0;
}

/** The first 12 bytes of the Ethernet header to an entry's next hop: its MAC, then ours. */
@inline export function arpEth(e: usize): usize {
  return ethAt(changetype<ArpEntry>(e));
}

function learn(port: u16, addr: u32, mac: usize, now: u32): void {
  const e = claim(port, addr, now);
  copyMac(macAt(e), mac);
  e.resolved = 1;
  e.updated = now;
  copyMac(ethAt(e) + ETH_DST, mac);
  copyMac(ethAt(e) + ETH_SRC, portMac(port));
  e.staleAt = now + timeout(T_ARP) * 1000;
  flushQueue(port, addr, macAt(e));
}

function sendArp(port: u16, oper: u32, targetMac: usize, targetAddr: u32, senderAddr: u32): void {
  const f = Arp.scratch;
  const a = f + ETH_HEADER_LEN;
  if (oper == ARP_REQUEST) {
    setBroadcast(f + ETH_DST);
    memory.fill(a + ARP_THA, 0, ETH_ADDR_LEN);
  } else {
    copyMac(f + ETH_DST, targetMac);
    copyMac(a + ARP_THA, targetMac);
  }
  copyMac(f + ETH_SRC, portMac(port));
  set16(f + ETH_TYPE, ETHERTYPE_ARP);
  set16(a + ARP_HTYPE, ARP_HTYPE_ETHERNET);
  set16(a + ARP_PTYPE, ETHERTYPE_IPV4);
  store<u8>(a + ARP_HLEN, <u8>ETH_ADDR_LEN);
  store<u8>(a + ARP_PLEN, ARP_PLEN_IPV4);
  set16(a + ARP_OPER, oper);
  copyMac(a + ARP_SHA, portMac(port));
  set32(a + ARP_SPA, senderAddr);
  set32(a + ARP_TPA, targetAddr);
  emit(port, f, ETH_HEADER_LEN + ARP_LEN);
  count(oper == ARP_REQUEST ? Counter.ArpRequestsOut : Counter.ArpRepliesOut);
}

/** Our address on a port for ARP purposes: the one on the same subnet as `peer`. */
export function portAddrFor(port: u16, peer: u32): u32 {
  if (port == PORT_WAN) return Config.wanAddr;
  if (Config.routedAddr != 0 && (peer & Config.routedMask) == (Config.routedAddr & Config.routedMask)) return Config.routedAddr;
  return Config.lanAddr;
}

/** True when we answer ARP for `addr` on `port`. */
function ownsAddress(port: u16, addr: u32): bool {
  if (port == PORT_LAN) return addr == Config.lanAddr || (Config.routedAddr != 0 && addr == Config.routedAddr);
  if (addr == Config.wanAddr) return true;
  // Proxy ARP for Map List addresses that sit on the WAN subnet (a bridged block rather than a routed one).
  for (let i: u32 = 0; i < Config.mapCount; i++) {
    const ext = load<u32>(Config.maps + i * MAP_BYTES, 4);
    if (ext == addr && (ext & Config.wanMask) == (Config.wanAddr & Config.wanMask)) return true;
  }
  return false;
}

/** False for a sender we must not learn: a broadcast or multicast MAC (the group bit), one of our own
 *  MACs, or one of our own addresses (a reply from it would point our traffic elsewhere). */
function senderAcceptable(sha: usize, spa: u32): bool {
  if (isBroadcast(sha) || isGroup(sha)) return false;
  if (macEquals(sha, portMac(PORT_LAN)) || macEquals(sha, portMac(PORT_WAN))) return false;
  return !ownsAddress(PORT_LAN, spa) && !ownsAddress(PORT_WAN, spa);
}

export function handleArp(port: u16, frame: usize, len: u32, now: u32): void {
  if (len < ETH_HEADER_LEN + ARP_LEN) { count(Counter.DropArpMalformed); return; }
  const a = frame + ETH_HEADER_LEN;
  if (get16(a + ARP_HTYPE) != ARP_HTYPE_ETHERNET || get16(a + ARP_PTYPE) != ETHERTYPE_IPV4 ||
      load<u8>(a + ARP_HLEN) != ETH_ADDR_LEN || load<u8>(a + ARP_PLEN) != ARP_PLEN_IPV4) {
    count(Counter.DropArpMalformed);
    return;
  }
  const oper = get16(a + ARP_OPER);
  const spa = get32(a + ARP_SPA);
  const tpa = get32(a + ARP_TPA);
  if (!senderAcceptable(a + ARP_SHA, spa)) { count(Counter.ArpIgnored); return; }
  if (oper == ARP_REQUEST) {
    count(Counter.ArpRequestsIn);
    if (!ownsAddress(port, tpa)) return;
    // RFC 826 merge: a host asking for us will talk to us next, so learn it now.
    if (spa != 0) learn(port, spa, a + ARP_SHA, now);
    sendArp(port, ARP_REPLY, a + ARP_SHA, spa, tpa);
  } else if (oper == ARP_REPLY) {
    count(Counter.ArpRepliesIn);
    // Only learn what we asked about: unsolicited replies would let anyone redirect traffic.
    const e = find(port, spa);
    if (e) learn(port, spa, a + ARP_SHA, now);
  } else {
    count(Counter.DropArpMalformed);
  }
}

function request(port: u16, addr: u32, now: u32): void {
  const e = claim(port, addr, now);
  if (!expired(now, e.requested, ARP_RETRY_MS)) return;
  e.requested = now;
  sendArp(port, ARP_REQUEST, 0, addr, portAddrFor(port, addr));
}

/** Frames one next hop may have queued: a quarter of the queue, at least two (a board's queue of two
 *  slots stays whole for the hop it waits on). */
@inline function hopShare(): u32 {
  return max<u32>(2, Arp.queueSlots >> 2);
}

/** Holds a frame until its next hop resolves; asks for the next hop (rate-limited per address). */
export function arpEnqueue(port: u16, nextHop: u32, frame: usize, len: u32, now: u32): void {
  request(port, nextHop, now);
  if (Arp.queued >= Arp.queueSlots) { count(Counter.DropArpQueueFull); return; }
  let free: ArpQueued | null = null;
  let held: u32 = 0; // frames already waiting for this next hop
  for (let i: u32 = 0; i < Arp.queueSlots; i++) {
    const q = queuedAt(i);
    if (q.busy == 0) { if (!free) free = q; continue; }
    if (q.hop == nextHop && q.port == port) held++;
  }
  if (held >= hopShare()) { count(Counter.DropArpQueueHostShare); return; }
  const q = changetype<ArpQueued>(free); // there is one: fewer than queueSlots are queued
  q.hop = nextHop;
  q.at = now;
  q.port = port;
  q.len = <u16>len;
  q.busy = 1;
  memory.copy(frameOf(q), frame, len);
  Arp.queued++;
  count(Counter.ArpQueued);
}

function flushQueue(port: u16, addr: u32, mac: usize): void {
  if (Arp.queued == 0) return;
  for (let i: u32 = 0; i < Arp.queueSlots; i++) {
    const q = queuedAt(i);
    if (q.busy == 0 || q.hop != addr || q.port != port) continue;
    copyMac(frameOf(q) + ETH_DST, mac);
    emit(port, frameOf(q), q.len);
    q.busy = 0;
    Arp.queued--;
  }
}

/** Timer work: re-ask for queued next hops and drop frames that waited too long. */
export function arpTick(now: u32): void {
  if (Arp.queued == 0) return;
  for (let i: u32 = 0; i < Arp.queueSlots; i++) {
    const q = queuedAt(i);
    if (q.busy == 0) continue;
    if (expired(now, q.at, ARP_QUEUE_MS)) {
      q.busy = 0;
      Arp.queued--;
      count(Counter.DropArpTimeout);
    } else {
      request(q.port, q.hop, now);
    }
  }
}

export function arpSlots(): u32 {
  return Arp.sets * ARP_WAYS;
}

/** Dump row: addr, port, macHi, macLo, ageMs, resolved. */
export function arpRow(index: u32, row: usize, now: u32): bool {
  const e = changetype<ArpEntry>(Arp.table + <usize>index * E_BYTES);
  if (e.used == 0) return false;
  store<u32>(row, e.addr, 0);
  store<u32>(row, e.port, 4);
  store<u32>(row, get16(macAt(e)), 8);
  store<u32>(row, get32(macAt(e) + 2), 12);
  store<u32>(row, now - e.updated, 16);
  store<u32>(row, e.resolved, 20);
  return true;
}
