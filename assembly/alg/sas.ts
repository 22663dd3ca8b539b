// The IPsec ALG's SA table: ESP/AH security associations seen through the NAT, keyed by
// (remote, SPI, direction). Outbound SPIs are learned from LAN hosts' packets; inbound SPIs are bound
// to a host once (alg/binding.ts decides which), after which inbound ESP/AH routes exactly. An inbound SPI
// that several hosts may own is "shared": up to MAX_CANDIDATES hosts get a copy until all but one are
// ruled out. A chain by remote lists a gateway's SAs. Bounded: a host holds at most a quarter of the
// table (its own least recently used SA makes room); idle SAs expire.
import { capacity, C_IPSEC_SAS } from "../config";
import { arenaTake } from "../arena";
import { Counter, count } from "../counters";
import { NO_INDEX, hash3, mix, bucketCountFor } from "../nat/hash";
import { unlinkFrom, pushFront, threadFree } from "../nat/chains";

export const A_USED = 0; // u8
export const A_PROTO = 1; // u8: 50 ESP, 51 AH
export const A_DIR = 2; // u8: SA_OUTBOUND / SA_INBOUND
export const A_SPI = 4;
export const A_REMOTE = 8;
export const A_HOST = 12;
export const A_IKE = 16; // IKE session index or NO_INDEX (manual keys)
export const A_LAST = 20;
export const A_PACKETS = 24;
export const A_NEXT = 28;
export const A_NEXT_REMOTE = 32;
export const A_FREE = 36;
export const A_CANDIDATES = 40; // u8: hosts an inbound SPI is delivered to (1: bound to A_HOST alone)
export const A_MORE_HOSTS = 44; // u32 x (MAX_CANDIDATES - 1): the other candidates of a shared SPI
export const MAX_CANDIDATES: u32 = 4;
export const A_BYTES: u32 = 56;

export const SA_OUTBOUND: u8 = 0;
export const SA_INBOUND: u8 = 1;

class Sas {
  static base: usize = 0;
  static slots: u32 = 0;
  static buckets: usize = 0;
  static remoteBuckets: usize = 0;
  static mask: u32 = 0;
  static freeHead: u32 = NO_INDEX;
  static live: u32 = 0;
}

@inline export function saAt(i: u32): usize {
  return Sas.base + <usize>i * A_BYTES;
}

export function sasInit(): bool {
  const n = capacity(C_IPSEC_SAS);
  const b = bucketCountFor(n);
  Sas.slots = n;
  Sas.mask = b - 1;
  Sas.base = arenaTake(<usize>n * A_BYTES);
  Sas.buckets = arenaTake(<usize>b * 4);
  Sas.remoteBuckets = arenaTake(<usize>b * 4);
  if (Sas.base == 0 || Sas.buckets == 0 || Sas.remoteBuckets == 0) return false;
  memory.fill(Sas.buckets, 0xff, <usize>b * 4);
  memory.fill(Sas.remoteBuckets, 0xff, <usize>b * 4);
  Sas.freeHead = threadFree(Sas.base, A_BYTES, n, A_FREE);
  Sas.live = 0;
  return true;
}

@inline function bucket(remote: u32, spi: u32, dir: u8): usize {
  return Sas.buckets + (<usize>(hash3(remote, spi, dir) & Sas.mask) << 2);
}

@inline function remoteBucket(remote: u32): usize {
  return Sas.remoteBuckets + (<usize>(mix(remote) & Sas.mask) << 2);
}

export function findSa(remote: u32, spi: u32, dir: u8, proto: u8): u32 {
  let i = load<u32>(bucket(remote, spi, dir));
  while (i != NO_INDEX) {
    const a = saAt(i);
    if (load<u32>(a, A_SPI) == spi && load<u32>(a, A_REMOTE) == remote && load<u8>(a, A_DIR) == dir && load<u8>(a, A_PROTO) == proto) return i;
    i = load<u32>(a, A_NEXT);
  }
  return NO_INDEX;
}

/** SAs one host may hold: a quarter of the table, at least four (a tunnel and its rekey). */
function hostShare(): u32 {
  return max<u32>(4, Sas.slots >> 2);
}

/** When `host` holds its share, one of its SAs goes: the oldest that carried a single packet (an SPI a
 *  spoofed packet may have bound, or a flood's), else its least recently used one. So one host sending
 *  ESP with random SPIs, or a WAN sender spoofing SPIs towards it, replaces those first, and every other
 *  host's tunnels, and their rekeys, still find room. */
function makeRoomFor(host: u32, now: u32): void {
  if (Sas.live < hostShare()) return;
  let n: u32 = 0, oldest = NO_INDEX, oldestAge: u32 = 0, single = NO_INDEX, singleAge: u32 = 0;
  for (let i: u32 = 0; i < Sas.slots; i++) {
    const a = saAt(i);
    if (load<u8>(a, A_USED) == 0 || load<u32>(a, A_HOST) != host) continue;
    n++;
    const age = now - load<u32>(a, A_LAST);
    if (oldest == NO_INDEX || age >= oldestAge) { oldest = i; oldestAge = age; }
    if (load<u32>(a, A_PACKETS) <= 1 && (single == NO_INDEX || age >= singleAge)) { single = i; singleAge = age; }
  }
  if (n >= hostShare() && oldest != NO_INDEX) {
    removeSa(single != NO_INDEX ? single : oldest);
    count(Counter.SasEvicted);
  }
}

export function addSa(proto: u8, dir: u8, spi: u32, remote: u32, host: u32, ike: u32, now: u32): u32 {
  makeRoomFor(host, now);
  const i = Sas.freeHead;
  if (i == NO_INDEX) { count(Counter.DropSaTableFull); return NO_INDEX; }
  const a = saAt(i);
  Sas.freeHead = load<u32>(a, A_FREE);
  memory.fill(a, 0, A_BYTES);
  store<u8>(a, 1, A_USED);
  store<u8>(a, proto, A_PROTO);
  store<u8>(a, dir, A_DIR);
  store<u32>(a, spi, A_SPI);
  store<u32>(a, remote, A_REMOTE);
  store<u32>(a, host, A_HOST);
  store<u32>(a, ike, A_IKE);
  store<u32>(a, now, A_LAST);
  store<u8>(a, 1, A_CANDIDATES);
  Sas.live++;
  pushFront(bucket(remote, spi, dir), Sas.base, A_BYTES, i, A_NEXT);
  pushFront(remoteBucket(remote), Sas.base, A_BYTES, i, A_NEXT_REMOTE);
  return i;
}

export function removeSa(i: u32): void {
  const a = saAt(i);
  const remote = load<u32>(a, A_REMOTE);
  unlinkFrom(bucket(remote, load<u32>(a, A_SPI), load<u8>(a, A_DIR)), Sas.base, A_BYTES, i, A_NEXT);
  unlinkFrom(remoteBucket(remote), Sas.base, A_BYTES, i, A_NEXT_REMOTE);
  store<u8>(a, 0, A_USED);
  store<u32>(a, Sas.freeHead, A_FREE);
  Sas.freeHead = i;
  Sas.live--;
}

@inline export function firstSaForRemote(remote: u32): u32 {
  return load<u32>(remoteBucket(remote));
}

export function saSlots(): u32 { return Sas.slots; }

/** Marks an SA used now and counts the packet. */
@inline export function touchSa(i: u32, now: u32): void {
  const a = saAt(i);
  store<u32>(a, now, A_LAST);
  store<u32>(a, load<u32>(a, A_PACKETS) + 1, A_PACKETS);
}

/** The n-th host an SA delivers to (0: A_HOST). */
@inline export function saCandidate(a: usize, n: u32): u32 {
  return n == 0 ? load<u32>(a, A_HOST) : load<u32>(a + ((n - 1) << 2), A_MORE_HOSTS);
}

/** Makes `host` one more candidate of a shared SA (the caller keeps the count within MAX_CANDIDATES). */
export function addCandidate(a: usize, host: u32): void {
  const n = <u32>load<u8>(a, A_CANDIDATES);
  store<u32>(a + ((n - 1) << 2), host, A_MORE_HOSTS);
  store<u8>(a, <u8>(n + 1), A_CANDIDATES);
}

/** Rules `host` out of a shared SA; true when that leaves the SA bound to one host. */
export function dropCandidate(a: usize, host: u32): bool {
  const n = <u32>load<u8>(a, A_CANDIDATES);
  if (n < 2) return false;
  for (let i: u32 = 0; i < n; i++) {
    if (saCandidate(a, i) != host) continue;
    const last = saCandidate(a, n - 1);
    if (i == 0) store<u32>(a, last, A_HOST);
    else store<u32>(a + ((i - 1) << 2), last, A_MORE_HOSTS);
    store<u8>(a, <u8>(n - 1), A_CANDIDATES);
    return n - 1 == 1;
  }
  return false;
}
