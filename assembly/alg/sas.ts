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

/** An SA: one direction of an ESP/AH security association through the NAT, 56 bytes. */
@unmanaged export class Sa {
  used: u8; //  0
  proto: u8; //  1  50 ESP, 51 AH
  dir: u8; //  2  SA_OUTBOUND / SA_INBOUND
  spi: u32; //  4  (3 is padding)
  remote: u32; //  8
  host: u32; // 12  the first host it delivers to
  ike: u32; // 16  IKE session index or NO_INDEX (manual keys)
  last: u32; // 20  when it last carried a packet
  packets: u32; // 24
  next: u32; // 28  chain of its (remote, SPI, direction) bucket
  nextRemote: u32; // 32  chain of its remote's bucket
  free: u32; // 36  the free list
  candidates: u8; // 40  hosts an inbound SPI is delivered to (1: bound to `host` alone)
  moreHost0: u32; // 44  the other candidates of a shared SPI: MAX_CANDIDATES - 1 words (41-43 padding)
  moreHost1: u32; // 48
  moreHost2: u32; // 52
}

export const MAX_CANDIDATES: u32 = 4;
export const SA_BYTES: u32 = 56;

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

@inline export function saAt(i: u32): Sa {
  return changetype<Sa>(Sas.base + <usize>i * SA_BYTES);
}

// Chain links, for nat/chains.ts.
const SA_NEXT = <u32>offsetof<Sa>("next");
const SA_NEXT_REMOTE = <u32>offsetof<Sa>("nextRemote");
const SA_FREE = <u32>offsetof<Sa>("free");

export function sasInit(): bool {
  if (offsetof<Sa>() != SA_BYTES) return false;
  const n = capacity(C_IPSEC_SAS);
  const b = bucketCountFor(n);
  Sas.slots = n;
  Sas.mask = b - 1;
  Sas.base = arenaTake(<usize>n * SA_BYTES);
  Sas.buckets = arenaTake(<usize>b * 4);
  Sas.remoteBuckets = arenaTake(<usize>b * 4);
  if (Sas.base == 0 || Sas.buckets == 0 || Sas.remoteBuckets == 0) return false;
  memory.fill(Sas.buckets, 0xff, <usize>b * 4);
  memory.fill(Sas.remoteBuckets, 0xff, <usize>b * 4);
  Sas.freeHead = threadFree(Sas.base, SA_BYTES, n, SA_FREE);
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
    if (a.spi == spi && a.remote == remote && a.dir == dir && a.proto == proto) return i;
    i = a.next;
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
    if (a.used == 0 || a.host != host) continue;
    n++;
    const age = now - a.last;
    if (oldest == NO_INDEX || age >= oldestAge) { oldest = i; oldestAge = age; }
    if (a.packets <= 1 && (single == NO_INDEX || age >= singleAge)) { single = i; singleAge = age; }
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
  Sas.freeHead = a.free;
  memory.fill(changetype<usize>(a), 0, SA_BYTES);
  a.used = 1;
  a.proto = proto;
  a.dir = dir;
  a.spi = spi;
  a.remote = remote;
  a.host = host;
  a.ike = ike;
  a.last = now;
  a.candidates = 1;
  Sas.live++;
  pushFront(bucket(remote, spi, dir), Sas.base, SA_BYTES, i, SA_NEXT);
  pushFront(remoteBucket(remote), Sas.base, SA_BYTES, i, SA_NEXT_REMOTE);
  return i;
}

export function removeSa(i: u32): void {
  const a = saAt(i);
  const remote = a.remote;
  unlinkFrom(bucket(remote, a.spi, a.dir), Sas.base, SA_BYTES, i, SA_NEXT);
  unlinkFrom(remoteBucket(remote), Sas.base, SA_BYTES, i, SA_NEXT_REMOTE);
  a.used = 0;
  a.free = Sas.freeHead;
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
  a.last = now;
  a.packets = a.packets + 1;
}

/** Where the n-th other candidate (n >= 0) of a shared SA is kept. */
@inline function moreHostAt(a: Sa, n: u32): usize {
  return changetype<usize>(a) + (n << 2);
}

/** The n-th host an SA delivers to (0: `host`). */
@inline export function saCandidate(a: Sa, n: u32): u32 {
  return n == 0 ? a.host : load<u32>(moreHostAt(a, n - 1), offsetof<Sa>("moreHost0"));
}

/** Makes `host` one more candidate of a shared SA (the caller keeps the count within MAX_CANDIDATES). */
export function addCandidate(a: Sa, host: u32): void {
  const n = <u32>a.candidates;
  store<u32>(moreHostAt(a, n - 1), host, offsetof<Sa>("moreHost0"));
  a.candidates = <u8>(n + 1);
}

/** Rules `host` out of a shared SA; true when that leaves the SA bound to one host. */
export function dropCandidate(a: Sa, host: u32): bool {
  const n = <u32>a.candidates;
  if (n < 2) return false;
  for (let i: u32 = 0; i < n; i++) {
    if (saCandidate(a, i) != host) continue;
    const last = saCandidate(a, n - 1);
    if (i == 0) a.host = last;
    else store<u32>(moreHostAt(a, i - 1), last, offsetof<Sa>("moreHost0"));
    a.candidates = <u8>(n - 1);
    return n - 1 == 1;
  }
  return false;
}
