// Binding inbound SPIs (multi mode): which LAN host owns an ESP/AH SPI a remote sends for the first time.
// The SPI was chosen by the host inside encrypted IKE, so the ALG reasons from what it can see:
//   - a candidate is a host owed an inbound SPI by that remote: one of its IKE sessions with the remote
//     answered an SA-creating exchange whose SPI has not been bound yet (alg/exchanges.ts counts them),
//     or, when no host talks IKE with the remote, it sends manually keyed ESP/AH to it and receives none yet;
//   - one candidate: the SPI is bound to it, and one of its owed SPIs is paid;
//   - several: the SPI is shared (the MAX_CANDIDATES likeliest: a host that has shown its new SA pair by
//     sending on a new outbound SPI first, then the newest answers): each candidate gets a copy of every packet (ESP and AH are
//     authenticated; a host that does not own the SPI drops it), so no tunnel waits on a guess and none
//     is delivered to a wrong host alone. A candidate whose owed SPIs are all paid by exact bindings is
//     ruled out of the remote's shared SPIs, and one left alone owns the SPI.
//   - a spoofed packet proves nothing: one with a random SPI from the remote's address, sent while a host
//     is owed an SPI, binds to that host and pays its count. So a host whose SPI was paid less than a
//     minute ago by inbound ESP alone, and that has not sent on a new outbound SPI since (which a spoofer
//     cannot make it do), stays a candidate, ranked last; and when no host is owed an SPI, so does one
//     whose exchange with that remote was answered less than ikeHoldMs ago. Its genuine SPI binds, or is
//     shared, after any number of spoofed ones (which it drops; SAs that carried one packet are the first
//     its share of the table gives up, alg/sas.ts).
// Hosts whose SAs travel in UDP (NAT-T, known from the NAT-D hashes or IKEv1's float) are no candidates.
import { timeout, T_IKE_HOLD } from "../config";
import { Counter, count } from "../counters";
import { expired } from "../time";
import { NO_INDEX } from "../nat/hash";
import {
  IkeSession, ikeAt, ikeFor, firstForRemote,
  NATT_ENCAP, NATT_FLOATED, NATT_DECIDED, FLAG_PAID, FLAG_OUT_NEW,
} from "./ike-sessions";
import {
  saAt, addSa, firstSaForRemote, addCandidate, dropCandidate, saCandidate, SA_INBOUND, SA_OUTBOUND, MAX_CANDIDATES,
} from "./sas";

/** A host found that may own a new SPI, 12 bytes. */
@unmanaged class FoundHost {
  host: u32; // 0
  rank: u32; // 4  RANK_*
  at: u32; // 8  when its last SA-creating exchange was answered
}
const FOUND_BYTES: u32 = 12;
const FOUND_MAX: u32 = 16;
const found = memory.data(<i32>(FOUND_MAX * FOUND_BYTES), 4);
// The hosts an SPI goes to, best first (MAX_CANDIDATES at most).
const candidates = memory.data(<i32>MAX_CANDIDATES * 4, 4);

// How likely a candidate owns a new SPI, for choosing MAX_CANDIDATES among more.
const RANK_SHOWN: u32 = 3; // owed, and it sent on a new outbound SPI since: its SA pair exists
const RANK_OWED: u32 = 2; // owed by an answered exchange (may be one that created no ESP SA)
const RANK_PAID: u32 = 1; // its owed SPI was paid by inbound ESP alone, which a spoofed packet can do
const RANK_MANUAL: u32 = 0; // sends ESP/AH without IKE

class Found {
  static n: u32 = 0;
}

@inline function foundAt(i: u32): FoundHost {
  return changetype<FoundHost>(found + i * FOUND_BYTES);
}

/** False when the found record's layout is not the documented one (ipsecInit refuses to start). */
export function bindingInit(): bool {
  return offsetof<FoundHost>() == FOUND_BYTES;
}

class Pay {
  static now: u32 = 0;
}

/** How long a host whose owed SPI was paid by inbound ESP alone, and that has not sent on a new outbound
 *  SPI since, stays a candidate when nobody is owed one: a spoofed packet may have paid it, and a tunnel
 *  the remote speaks on first may be idle that long. Bounded, so that a stale doubt ends. */
const PAID_DOUBT_MS: u32 = 60_000;

/** True when an IKE session's child SAs travel in UDP 4500, so no raw SPI of them needs binding. */
export function sasInUdp(s: IkeSession): bool {
  const natt = s.natt;
  // An IKEv1 session floats only when it found NAT (then ESP goes in UDP); IKEv2 with MOBIKE floats
  // without NAT and keeps raw ESP, which its NAT-D hashes tell (NATT_DECIDED).
  return (natt & NATT_ENCAP) != 0 || ((natt & NATT_FLOATED) != 0 && (natt & NATT_DECIDED) == 0 && s.version == 1);
}

function addFound(host: u32, rank: u32, at: u32): void {
  for (let i: u32 = 0; i < Found.n; i++) {
    const f = foundAt(i);
    if (f.host != host) continue;
    if (rank > f.rank || (rank == f.rank && <i32>(at - f.at) > 0)) { f.rank = rank; f.at = at; }
    return;
  }
  if (Found.n == FOUND_MAX) return;
  const f = foundAt(Found.n);
  f.host = host;
  f.rank = rank;
  f.at = at;
  Found.n++;
}

/** Moves the best MAX_CANDIDATES of `found` (rank, then the newest answer) into `candidates`; their count. */
function choose(): u32 {
  const n = min<u32>(Found.n, MAX_CANDIDATES);
  for (let c: u32 = 0; c < n; c++) {
    let best: u32 = c;
    for (let i = c + 1; i < Found.n; i++) {
      const fi = foundAt(i), fb = foundAt(best);
      const ri = fi.rank, rb = fb.rank;
      if (ri > rb || (ri == rb && <i32>(fi.at - fb.at) > 0)) best = i;
    }
    const fc = foundAt(c), fb = foundAt(best);
    const h = fb.host, r = fb.rank, t = fb.at;
    fb.host = fc.host; fb.rank = fc.rank; fb.at = fc.at;
    fc.host = h; fc.rank = r; fc.at = t;
    store<u32>(candidates + (c << 2), h);
  }
  return n;
}

/** True when `host` already receives an SA from `remote`. */
function hasInbound(remote: u32, host: u32): bool {
  let a = firstSaForRemote(remote);
  while (a != NO_INDEX) {
    const r = saAt(a);
    if (r.remote == remote && r.dir == SA_INBOUND && r.host == host) return true;
    a = r.nextRemote;
  }
  return false;
}

/** True when session `s`'s owed SPI was paid less than PAID_DOUBT_MS ago by inbound ESP alone and its
 *  host has not sent on a new outbound SPI since: a spoofed packet may have paid it (see the header). */
@inline function inDoubt(s: IkeSession, flags: u8, now: u32): bool {
  return (flags & (FLAG_PAID | FLAG_OUT_NEW)) == FLAG_PAID && !expired(now, s.paidAt, PAID_DOUBT_MS);
}

/** When no host is owed an SPI: hosts whose SA-creating exchange with `remote` was answered less than
 *  ikeHoldMs ago (spoofed SPIs may have paid what they were owed, and their genuine one comes now). */
function collectRecent(remote: u32, now: u32): void {
  const window = timeout(T_IKE_HOLD);
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    j = s.nextRemote;
    const done = s.doneAt;
    if (s.remote == remote && done != 0 && !sasInUdp(s) && !expired(now, done, window)) addFound(s.host, RANK_PAID, done);
  }
}

/** Fills `found` with the hosts that may own a new inbound SPI from `remote`. */
function collect(remote: u32, now: u32): void {
  Found.n = 0;
  let talksIke = false;
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    j = s.nextRemote;
    if (s.remote != remote) continue;
    talksIke = true;
    if (sasInUdp(s)) continue;
    const flags = s.flags, done = s.doneAt;
    if (s.owed != 0) addFound(s.host, (flags & FLAG_OUT_NEW) != 0 ? RANK_SHOWN : RANK_OWED, done);
    else if (inDoubt(s, flags, now)) addFound(s.host, RANK_PAID, done);
  }
  if (talksIke) return;
  // Manual keys: with no IKE towards that remote at all, a host sending it ESP/AH is owed the SA back.
  // (With IKE there, a LAN host could otherwise get copies of others' tunnels by sending one packet.)
  let a = firstSaForRemote(remote);
  while (a != NO_INDEX) {
    const r = saAt(a);
    if (r.remote == remote && r.dir == SA_OUTBOUND && r.ike == NO_INDEX &&
        !hasInbound(remote, r.host)) addFound(r.host, RANK_MANUAL, r.last);
    a = r.nextRemote;
  }
}

/** The IKE session of `host` with `remote` that is owed the oldest SPI, or NO_INDEX. */
function owingSession(host: u32, remote: u32): u32 {
  let best = NO_INDEX, bestAt: u32 = 0;
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    if (s.remote == remote && s.host == host && s.owed != 0 && !sasInUdp(s)) {
      const at = s.doneAt;
      if (best == NO_INDEX || <i32>(at - bestAt) < 0) { best = j; bestAt = at; }
    }
    j = s.nextRemote;
  }
  return best;
}

/** An SPI now known to be `host`'s: one owed SPI is paid; a host owed nothing more leaves shared SPIs. */
function pay(host: u32, remote: u32): void {
  const k = owingSession(host, remote);
  if (k == NO_INDEX) return; // manual keys, or a host whose paid SPI may have been a spoofed one
  const s = ikeAt(k);
  s.owed = s.owed - 1;
  s.flags = s.flags | FLAG_PAID;
  s.paidAt = Pay.now;
  if (owingSession(host, remote) != NO_INDEX) return;
  let a = firstSaForRemote(remote);
  while (a != NO_INDEX) {
    const r = saAt(a);
    const next = r.nextRemote;
    if (r.remote == remote && r.dir == SA_INBOUND && dropCandidate(r, host)) {
      count(Counter.SpiNarrowed);
      pay(r.host, remote); // the host left alone owns this SPI
    }
    a = next;
  }
}

/** The IKE session of `host` with `remote` most recently answered, or NO_INDEX (for the SA's record). */
function sessionOf(host: u32, remote: u32): u32 {
  const k = owingSession(host, remote);
  return k != NO_INDEX ? k : ikeFor(host, remote);
}

/** Records an unknown inbound SPI from `remote`: bound to its one candidate, shared among several, or
 *  NO_INDEX (counted) when no host is owed one or too many are. */
export function bindInbound(remote: u32, spi: u32, proto: u8, now: u32): u32 {
  Pay.now = now;
  collect(remote, now);
  if (Found.n == 0) collectRecent(remote, now);
  if (Found.n == 0) { count(Counter.DropEspUnknownSpi); return NO_INDEX; }
  if (Found.n > MAX_CANDIDATES) count(Counter.DropEspAmbiguous); // the least likely hosts get no copy
  const n = choose();
  const first = load<u32>(candidates);
  const a = addSa(proto, SA_INBOUND, spi, remote, first, sessionOf(first, remote), now);
  if (a == NO_INDEX) return NO_INDEX;
  count(Counter.SpiBound);
  if (n == 1) {
    pay(first, remote);
  } else {
    const r = saAt(a);
    for (let i: u32 = 1; i < n; i++) addCandidate(r, load<u32>(candidates + (i << 2)));
  }
  return a;
}

/** True when `host` is one of the hosts SA `a` delivers to. */
export function deliversTo(a: u32, host: u32): bool {
  const r = saAt(a);
  const n = <u32>r.candidates;
  for (let i: u32 = 0; i < n; i++) if (saCandidate(r, i) == host) return true;
  return false;
}
