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
import { IKE_ICOOKIE, IKE_RCOOKIE } from "../wire/ipsec";

/** An IKE session: one IKE SA between a LAN host and a remote gateway, 108 bytes. */
@unmanaged export class IkeSession {
  used: u8; //   0
  version: u8; //   1  1 IKEv1/ISAKMP, 2 IKEv2
  open: u8; //   2  a bit per open slot in use (an SA-creating request not answered yet)
  natt: u8; //   3  NATT_* bits
  host: u32; //   4
  remote: u32; //   8
  hostPort: u16; //  12
  extPort: u16; //  14
  owed: u8; //  16  child SAs created whose inbound SPI has not been bound yet
  held: u8; //  17  packets of this session in the hold queue
  lastExchange: u8; //  18
  advised: u8; //  19  findings already raised for this session (bits by finding code)
  icookieHi: u32; //  20  initiator cookie / SPI, 8 bytes as on the wire (IKE_ICOOKIE)
  icookieLo: u32; //  24
  rcookieHi: u32; //  28  responder cookie / SPI, likewise
  rcookieLo: u32; //  32
  last: u32; //  36  when it last carried a message
  doneAt: u32; //  40  when the last SA-creating exchange was answered (0: never)
  next: u32; //  44  chain of its (remote, port, cookie) bucket
  nextRemote: u32; //  48  chain of its remote's bucket
  free: u32; //  52  the free list
  messages: u32; //  56
  flags: u8; //  60  FLAG_* bits
  open0: u32; //  64  OPEN_SLOTS x OpenSlot (8 bytes): slots 0-1 the host's, 2-3 the remote's (61-63 padding)
  open0At: u32; //  68
  open1: u32; //  72
  open1At: u32; //  76
  open2: u32; //  80
  open2At: u32; //  84
  open3: u32; //  88
  open3At: u32; //  92
  doneMsgId: u32; //  96  IKEv1: the last two Quick Modes answered (a third message is no new request)
  doneMsgIdBefore: u32; // 100
  paidAt: u32; // 104  when an inbound SPI last paid one this session was owed
}

export const IKE_SESSION_BYTES: u32 = 108;

/** One open exchange of a session (alg/exchanges.ts), `open0` + 8 * slot into its record. */
@unmanaged export class OpenSlot {
  msgId: u32; // 0
  at: u32; // 4  when it was opened
}

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

@inline export function ikeAt(i: u32): IkeSession {
  return changetype<IkeSession>(Ike.base + <usize>i * IKE_SESSION_BYTES);
}

/** Open slot `i` of session `s`. */
@inline export function openSlotOf(s: IkeSession, i: u32): OpenSlot {
  return changetype<OpenSlot>(changetype<usize>(s) + offsetof<IkeSession>("open0") + (i << 3));
}

// Chain links, for nat/chains.ts.
const IKE_NEXT = <u32>offsetof<IkeSession>("next");
const IKE_NEXT_REMOTE = <u32>offsetof<IkeSession>("nextRemote");
const IKE_FREE = <u32>offsetof<IkeSession>("free");

export function ikeInit(): bool {
  if (offsetof<IkeSession>() != IKE_SESSION_BYTES || offsetof<OpenSlot>() != 8) return false;
  const n = capacity(C_IKE_SESSIONS);
  const b = bucketCountFor(n);
  Ike.slots = n;
  Ike.mask = b - 1;
  Ike.base = arenaTake(<usize>n * IKE_SESSION_BYTES);
  Ike.buckets = arenaTake(<usize>b * 4);
  Ike.remoteBuckets = arenaTake(<usize>b * 4);
  if (Ike.base == 0 || Ike.buckets == 0 || Ike.remoteBuckets == 0) return false;
  memory.fill(Ike.buckets, 0xff, <usize>b * 4);
  memory.fill(Ike.remoteBuckets, 0xff, <usize>b * 4);
  Ike.freeHead = threadFree(Ike.base, IKE_SESSION_BYTES, n, IKE_FREE);
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
  const hi = load<u32>(ike, IKE_ICOOKIE), lo = load<u32>(ike, IKE_ICOOKIE + 4);
  const rhi = load<u32>(ike, IKE_RCOOKIE), rlo = load<u32>(ike, IKE_RCOOKIE + 4);
  let i = load<u32>(bucket(remote, port, hi, lo));
  let first = NO_INDEX, n: u32 = 0;
  while (i != NO_INDEX) {
    const k = ikeAt(i);
    if (k.remote == remote && <u32>k.extPort == port &&
        k.icookieHi == hi && k.icookieLo == lo && (host == 0 || k.host == host)) {
      if (k.rcookieHi == rhi && k.rcookieLo == rlo) return i;
      if (first == NO_INDEX) first = i;
      n++;
    }
    i = k.next;
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
    if (k.used == 0 || k.host != host) continue;
    n++;
    const age = now - k.last;
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
  Ike.freeHead = k.free;
  memory.fill(changetype<usize>(k), 0, IKE_SESSION_BYTES);
  k.used = 1;
  k.version = version;
  k.host = host;
  k.remote = remote;
  k.hostPort = <u16>hostPort;
  k.extPort = <u16>extPort;
  const hi = load<u32>(cookie, IKE_ICOOKIE), lo = load<u32>(cookie, IKE_ICOOKIE + 4);
  k.icookieHi = hi;
  k.icookieLo = lo;
  k.last = now;
  pushFront(bucket(remote, extPort, hi, lo), Ike.base, IKE_SESSION_BYTES, i, IKE_NEXT);
  pushFront(remoteBucket(remote), Ike.base, IKE_SESSION_BYTES, i, IKE_NEXT_REMOTE);
  Ike.live++;
  return i;
}

export function removeIke(i: u32): void {
  const k = ikeAt(i);
  const remote = k.remote;
  unlinkFrom(bucket(remote, k.extPort, k.icookieHi, k.icookieLo), Ike.base, IKE_SESSION_BYTES, i, IKE_NEXT);
  unlinkFrom(remoteBucket(remote), Ike.base, IKE_SESSION_BYTES, i, IKE_NEXT_REMOTE);
  k.used = 0;
  k.free = Ike.freeHead;
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
    if (s.remote == remote && s.host == host) return j;
    j = s.nextRemote;
  }
  return NO_INDEX;
}

/** First session in the remote chain of `remote` (walk with `nextRemote`; check `remote`, chains are shared). */
@inline export function firstForRemote(remote: u32): u32 {
  return load<u32>(remoteBucket(remote));
}

export function ikeSlots(): u32 { return Ike.slots; }
