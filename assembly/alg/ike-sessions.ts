// The IPsec ALG's IKE session table: one record per IKE SA between a LAN host and a remote gateway,
// keyed by (remote, IKE port, initiator cookie/SPI) so inbound IKE on a shared external port 500 is
// demultiplexed to the right host (IKEv1 cookies and IKEv2 SPIs sit at the same offsets).
// A second chain by remote lists every host talking IKE to one gateway (for SPI binding and the
// overlap rule). Each record also tracks its SA-creating exchanges (alg/exchanges.ts). Bounded: a host
// holds at most a quarter of the table (its own least recently used session makes room), a full
// table refuses new IKE sessions (counted), and idle ones expire.
import { Config, capacity, C_IKE_SESSIONS } from "../config";
import { arenaTake } from "../arena";
import { Counter, count } from "../counters";
import { NO_INDEX, hash3, mix, bucketCountFor } from "../nat/hash";
import { unlinkFrom, pushFront, threadFree } from "../nat/chains";

export const K_USED = 0; // u8
export const K_VERSION = 1; // u8: 1 IKEv1/ISAKMP, 2 IKEv2
export const K_OPEN = 2; // u8: a bit per K_OPENS slot in use (an SA-creating request not answered yet)
export const K_NATT = 3; // u8: NATT_* bits
export const K_HOST = 4;
export const K_REMOTE = 8;
export const K_HOST_PORT = 12; // u16
export const K_EXT_PORT = 14; // u16
export const K_OWED = 16; // u8: child SAs created whose inbound SPI has not been bound yet
export const K_HELD = 17; // u8: packets of this session in the hold queue
export const K_LAST_EXCHANGE = 18; // u8
export const K_ADVISED = 19; // u8: findings already raised for this session (bits by finding code)
export const K_ICOOKIE = 20; // 8 bytes, as on the wire
export const K_RCOOKIE = 28; // 8 bytes
export const K_LAST = 36;
export const K_DONE_AT = 40; // when the last SA-creating exchange was answered (0: never)
export const K_NEXT = 44;
export const K_NEXT_REMOTE = 48;
export const K_FREE = 52;
export const K_MESSAGES = 56;
export const K_FLAGS = 60; // u8: FLAG_* bits
export const K_OPENS = 64; // OPEN_SLOTS x (u32 message ID, u32 opened at): slots 0-1 the host's, 2-3 the remote's
export const K_DONE_MSGIDS = 96; // IKEv1: the last two Quick Modes answered (a third message is no new request)
export const K_PAID_AT = 104; // when an inbound SPI last paid one this session was owed
export const K_BYTES: u32 = 108;
export const OPEN_SLOTS: u32 = 4; // IKEv2 windows and concurrent Quick Modes: two outstanding per side

export const FLAG_AUTH_COUNTED: u8 = 1; // IKEv2: the child SA of IKE_AUTH is counted (EAP takes several)
export const FLAG_PAID: u8 = 2; // an inbound SPI was bound to this host as owed since the last answer
export const FLAG_OUT_NEW: u8 = 4; // ...and the host sent ESP/AH on a new outbound SPI since the last answer
export const FLAG_BY_REMOTE: u8 = 8; // the remote started this IKE SA: other hosts may answer it too

// Dump states (host/state.ts names them), derived from the fields above by ikeState().
export const IKE_IDLE: u8 = 0;
export const IKE_NEGOTIATING: u8 = 1; // an SA-creating exchange is open
export const IKE_HELD: u8 = 2; // its request waits behind another host's negotiation with the same remote
export const IKE_BOUND: u8 = 3; // every child SA it created has its inbound SPI bound
export const IKE_AWAITING: u8 = 4; // a child SA it created has no inbound SPI bound yet (the tunnel is idle)

export const NATT_NAT_D: u8 = 1;
export const NATT_VENDOR_ID: u8 = 2;
export const NATT_FLOATED: u8 = 4;
export const NATT_DECIDED: u8 = 8; // IKEv2: the ALG checked the response's NAT-D hashes (alg/nat-d.ts)
export const NATT_ENCAP: u8 = 16; // ...and the peers will find NAT: their SAs travel in UDP 4500

class Ike {
  static base: usize = 0;
  static slots: u32 = 0;
  static buckets: usize = 0;
  static remoteBuckets: usize = 0;
  static mask: u32 = 0;
  static freeHead: u32 = NO_INDEX;
  static live: u32 = 0;
  static now: u32 = 0;
}

@inline export function ikeAt(i: u32): usize {
  return Ike.base + <usize>i * K_BYTES;
}

export function ikeInit(): bool {
  const n = capacity(C_IKE_SESSIONS);
  const b = bucketCountFor(n);
  Ike.slots = n;
  Ike.mask = b - 1;
  Ike.base = arenaTake(<usize>n * K_BYTES);
  Ike.buckets = arenaTake(<usize>b * 4);
  Ike.remoteBuckets = arenaTake(<usize>b * 4);
  if (Ike.base == 0 || Ike.buckets == 0 || Ike.remoteBuckets == 0) return false;
  memory.fill(Ike.buckets, 0xff, <usize>b * 4);
  memory.fill(Ike.remoteBuckets, 0xff, <usize>b * 4);
  Ike.freeHead = threadFree(Ike.base, K_BYTES, n, K_FREE);
  Ike.live = 0;
  return true;
}

@inline function bucket(remote: u32, port: u32, cookieHi: u32, cookieLo: u32): usize {
  return Ike.buckets + (<usize>(hash3(remote, port ^ mix(cookieLo), cookieHi) & Ike.mask) << 2);
}

@inline export function remoteBucket(remote: u32): usize {
  return Ike.remoteBuckets + (<usize>(mix(remote) & Ike.mask) << 2);
}

/**
 * The session of the IKE header at `ike` (its initiator cookie, then its responder cookie) with
 * (remote, IKE port), or NO_INDEX. Several hosts may answer one IKE SA a remote starts (alg/ipsec.ts
 * copies it to each): their sessions share the initiator cookie, and the responder cookie the remote
 * echoes names the host whose answer it took. `host` != 0 asks for that host's session only.
 */
export function findIke(remote: u32, port: u32, ike: usize, host: u32 = 0): u32 {
  const hi = load<u32>(ike), lo = load<u32>(ike, 4);
  const rhi = load<u32>(ike, 8), rlo = load<u32>(ike, 12);
  let i = load<u32>(bucket(remote, port, hi, lo));
  let first = NO_INDEX, n: u32 = 0;
  while (i != NO_INDEX) {
    const k = ikeAt(i);
    if (load<u32>(k, K_REMOTE) == remote && <u32>load<u16>(k, K_EXT_PORT) == port &&
        load<u32>(k, K_ICOOKIE) == hi && load<u32>(k, K_ICOOKIE + 4) == lo && (host == 0 || load<u32>(k, K_HOST) == host)) {
      if (load<u32>(k, K_RCOOKIE) == rhi && load<u32>(k, K_RCOOKIE + 4) == rlo) return i;
      if (first == NO_INDEX) first = i;
      n++;
    }
    i = load<u32>(k, K_NEXT);
  }
  return n == 1 ? first : NO_INDEX;
}

/** Sessions one host may hold: a quarter of the table, at least two (a rekey overlaps two IKE SAs). */
function hostShare(): u32 {
  return max<u32>(2, Ike.slots >> 2);
}

/** When `host` holds its share, its least recently used session goes: a host that floods IKE (or
 *  rekeys its IKE SA for hours, leaving the old ones to idle out) replaces its own, never another's. */
function makeRoomFor(host: u32): void {
  if (Ike.live < hostShare()) return;
  let n: u32 = 0, oldest = NO_INDEX, oldestAge: u32 = 0;
  const now = Ike.now;
  for (let i: u32 = 0; i < Ike.slots; i++) {
    const k = ikeAt(i);
    if (load<u8>(k, K_USED) == 0 || load<u32>(k, K_HOST) != host) continue;
    n++;
    const age = now - load<u32>(k, K_LAST);
    if (oldest == NO_INDEX || age >= oldestAge) { oldest = i; oldestAge = age; }
  }
  if (n >= hostShare() && oldest != NO_INDEX) {
    removeIke(oldest);
    count(Counter.IkeSessionsEvicted);
  }
}

export function addIke(host: u32, hostPort: u32, remote: u32, extPort: u32, cookie: usize, version: u8, now: u32): u32 {
  Ike.now = now;
  makeRoomFor(host);
  const i = Ike.freeHead;
  if (i == NO_INDEX) { count(Counter.DropIkeTableFull); return NO_INDEX; }
  const k = ikeAt(i);
  Ike.freeHead = load<u32>(k, K_FREE);
  memory.fill(k, 0, K_BYTES);
  store<u8>(k, 1, K_USED);
  store<u8>(k, version, K_VERSION);
  store<u32>(k, host, K_HOST);
  store<u32>(k, remote, K_REMOTE);
  store<u16>(k, <u16>hostPort, K_HOST_PORT);
  store<u16>(k, <u16>extPort, K_EXT_PORT);
  const hi = load<u32>(cookie), lo = load<u32>(cookie, 4);
  store<u32>(k, hi, K_ICOOKIE);
  store<u32>(k, lo, K_ICOOKIE + 4);
  store<u32>(k, now, K_LAST);
  pushFront(bucket(remote, extPort, hi, lo), Ike.base, K_BYTES, i, K_NEXT);
  pushFront(remoteBucket(remote), Ike.base, K_BYTES, i, K_NEXT_REMOTE);
  Ike.live++;
  return i;
}

export function removeIke(i: u32): void {
  const k = ikeAt(i);
  const remote = load<u32>(k, K_REMOTE);
  unlinkFrom(bucket(remote, load<u16>(k, K_EXT_PORT), load<u32>(k, K_ICOOKIE), load<u32>(k, K_ICOOKIE + 4)), Ike.base, K_BYTES, i, K_NEXT);
  unlinkFrom(remoteBucket(remote), Ike.base, K_BYTES, i, K_NEXT_REMOTE);
  store<u8>(k, 0, K_USED);
  store<u32>(k, Ike.freeHead, K_FREE);
  Ike.freeHead = i;
  Ike.live--;
}

/** The session for (remote, initiator cookie at `cookie`) on any IKE port: IKE that moved to UDP 4500
 *  keeps the SPIs of the session that started on an IKE port. */
export function findIkeAnyPort(remote: u32, cookie: usize): u32 {
  for (let p: u32 = 0; p < Config.ikePortCount; p++) {
    const k = findIke(remote, <u32>load<u16>(Config.ikePorts + (p << 1)), cookie);
    if (k != NO_INDEX) return k;
  }
  return NO_INDEX;
}

/** The newest IKE session between `host` and `remote`, or NO_INDEX. */
export function ikeFor(host: u32, remote: u32): u32 {
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    if (load<u32>(s, K_REMOTE) == remote && load<u32>(s, K_HOST) == host) return j;
    j = load<u32>(s, K_NEXT_REMOTE);
  }
  return NO_INDEX;
}

/** First session in the remote chain of `remote` (walk with K_NEXT_REMOTE; check K_REMOTE, chains are shared). */
@inline export function firstForRemote(remote: u32): u32 {
  return load<u32>(remoteBucket(remote));
}

export function ikeSlots(): u32 { return Ike.slots; }
