// Binding inbound SPIs (multi mode): which LAN host owns an ESP/AH SPI a remote sends for the first time.
// The SPI was chosen by the host inside encrypted IKE, so the ALG reasons from what it can see:
//   - a candidate is a host owed an inbound SPI by that remote: one of its IKE sessions with the remote
//     answered an SA-creating exchange whose SPI has not been bound yet (alg/exchanges.ts counts them),
//     or it sends manually keyed ESP/AH to the remote and receives none yet;
//   - one candidate: the SPI is bound to it, and one of its owed SPIs is paid;
//   - several: the SPI is shared: each candidate gets a copy of every packet (ESP and AH are
//     authenticated; a host that does not own the SPI drops it), so no tunnel waits on a guess and none
//     is delivered to a wrong host alone. A candidate whose owed SPIs are all paid by exact bindings is
//     ruled out of the remote's shared SPIs, and one left alone owns the SPI.
//   - a spoofed packet proves nothing: one with a random SPI from the remote's address, sent while a host
//     is owed an SPI, binds to that host and pays its count; so when no host is owed one, a host whose
//     SA-creating exchange with that remote was answered less than timeouts.ikeHoldMs ago is a candidate
//     still, and its genuine new SPI binds after any number of spoofed ones (which it drops, and which
//     age out of its share of the table first, as its least recently used SAs).
// Hosts whose SAs travel in UDP (NAT-T, known from the NAT-D hashes or IKEv1's float) are no candidates.
import { timeout, T_IKE_HOLD } from "../config";
import { Counter, count } from "../counters";
import { expired } from "../router/packet";
import { NO_INDEX } from "../nat/hash";
import {
  ikeAt, firstForRemote, K_REMOTE, K_HOST, K_NATT, K_OWED, K_DONE_AT, K_NEXT_REMOTE, K_VERSION,
  NATT_ENCAP, NATT_FLOATED, NATT_DECIDED,
} from "./ike-sessions";
import {
  saAt, addSa, firstSaForRemote, addCandidate, dropCandidate, saCandidate,
  A_REMOTE, A_DIR, A_HOST, A_IKE, A_NEXT_REMOTE, A_CANDIDATES, SA_INBOUND, SA_OUTBOUND, MAX_CANDIDATES,
} from "./sas";

const candidates = memory.data(<i32>MAX_CANDIDATES * 4, 4);

class Found {
  static n: u32 = 0;
  static overflow: bool = false;
}

/** True when an IKE session's child SAs travel in UDP 4500, so no raw SPI of them needs binding. */
export function sasInUdp(s: usize): bool {
  const natt = load<u8>(s, K_NATT);
  // An IKEv1 session floats only when it found NAT (then ESP goes in UDP); IKEv2 with MOBIKE floats
  // without NAT and keeps raw ESP, which its NAT-D hashes tell (NATT_DECIDED).
  return (natt & NATT_ENCAP) != 0 || ((natt & NATT_FLOATED) != 0 && (natt & NATT_DECIDED) == 0 && load<u8>(s, K_VERSION) == 1);
}

function addFound(host: u32): void {
  for (let i: u32 = 0; i < Found.n; i++) if (load<u32>(candidates + (i << 2)) == host) return;
  if (Found.n == MAX_CANDIDATES) { Found.overflow = true; return; }
  store<u32>(candidates + (Found.n << 2), host);
  Found.n++;
}

/** True when `host` already receives an SA from `remote`. */
function hasInbound(remote: u32, host: u32): bool {
  let a = firstSaForRemote(remote);
  while (a != NO_INDEX) {
    const r = saAt(a);
    if (load<u32>(r, A_REMOTE) == remote && load<u8>(r, A_DIR) == SA_INBOUND && load<u32>(r, A_HOST) == host) return true;
    a = load<u32>(r, A_NEXT_REMOTE);
  }
  return false;
}

/** Hosts whose SA-creating exchange with `remote` was answered within the hold window (see the header). */
function collectRecent(remote: u32, now: u32): void {
  const window = timeout(T_IKE_HOLD);
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    const done = load<u32>(s, K_DONE_AT);
    if (load<u32>(s, K_REMOTE) == remote && done != 0 && !expired(now, done, window) && !sasInUdp(s)) addFound(load<u32>(s, K_HOST));
    j = load<u32>(s, K_NEXT_REMOTE);
  }
}

/** Fills `candidates` with the hosts owed an inbound SPI by `remote`. */
function collect(remote: u32): void {
  Found.n = 0;
  Found.overflow = false;
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    if (load<u32>(s, K_REMOTE) == remote && load<u8>(s, K_OWED) != 0 && !sasInUdp(s)) addFound(load<u32>(s, K_HOST));
    j = load<u32>(s, K_NEXT_REMOTE);
  }
  // Manual keys: a host sending ESP/AH to the remote with no IKE session is owed the SA back.
  let a = firstSaForRemote(remote);
  while (a != NO_INDEX) {
    const r = saAt(a);
    if (load<u32>(r, A_REMOTE) == remote && load<u8>(r, A_DIR) == SA_OUTBOUND && load<u32>(r, A_IKE) == NO_INDEX &&
        !hasInbound(remote, load<u32>(r, A_HOST))) addFound(load<u32>(r, A_HOST));
    a = load<u32>(r, A_NEXT_REMOTE);
  }
}

/** The IKE session of `host` with `remote` that is owed the oldest SPI, or NO_INDEX. */
function owingSession(host: u32, remote: u32): u32 {
  let best = NO_INDEX, bestAt: u32 = 0;
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    if (load<u32>(s, K_REMOTE) == remote && load<u32>(s, K_HOST) == host && load<u8>(s, K_OWED) != 0 && !sasInUdp(s)) {
      const at = load<u32>(s, K_DONE_AT);
      if (best == NO_INDEX || <i32>(at - bestAt) < 0) { best = j; bestAt = at; }
    }
    j = load<u32>(s, K_NEXT_REMOTE);
  }
  return best;
}

/** An SPI now known to be `host`'s: one owed SPI is paid; a host owed nothing more leaves shared SPIs. */
function pay(host: u32, remote: u32): void {
  const k = owingSession(host, remote);
  if (k == NO_INDEX) return; // manual keys: nothing counted
  const s = ikeAt(k);
  store<u8>(s, load<u8>(s, K_OWED) - 1, K_OWED);
  if (owingSession(host, remote) != NO_INDEX) return;
  let a = firstSaForRemote(remote);
  while (a != NO_INDEX) {
    const r = saAt(a);
    const next = load<u32>(r, A_NEXT_REMOTE);
    if (load<u32>(r, A_REMOTE) == remote && load<u8>(r, A_DIR) == SA_INBOUND && dropCandidate(r, host)) {
      count(Counter.SpiNarrowed);
      pay(load<u32>(r, A_HOST), remote); // the host left alone owns this SPI
    }
    a = next;
  }
}

/** The IKE session of `host` with `remote` most recently answered, or NO_INDEX (for the SA's record). */
function sessionOf(host: u32, remote: u32): u32 {
  const k = owingSession(host, remote);
  if (k != NO_INDEX) return k;
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    if (load<u32>(s, K_REMOTE) == remote && load<u32>(s, K_HOST) == host) return j;
    j = load<u32>(s, K_NEXT_REMOTE);
  }
  return NO_INDEX;
}

/** Records an unknown inbound SPI from `remote`: bound to its one candidate, shared among several, or
 *  NO_INDEX (counted) when no host is owed one or too many are. */
export function bindInbound(remote: u32, spi: u32, proto: u8, now: u32): u32 {
  collect(remote);
  if (Found.n == 0) collectRecent(remote, now);
  if (Found.n == 0) { count(Counter.DropEspUnknownSpi); return NO_INDEX; }
  if (Found.overflow) { count(Counter.DropEspAmbiguous); return NO_INDEX; }
  const first = load<u32>(candidates);
  const a = addSa(proto, SA_INBOUND, spi, remote, first, sessionOf(first, remote), now);
  if (a == NO_INDEX) return NO_INDEX;
  count(Counter.SpiBound);
  if (Found.n == 1) {
    pay(first, remote);
  } else {
    const r = saAt(a);
    for (let i: u32 = 1; i < Found.n; i++) addCandidate(r, load<u32>(candidates + (i << 2)));
  }
  return a;
}

/** True when `host` is one of the hosts SA `a` delivers to. */
export function deliversTo(a: u32, host: u32): bool {
  const r = saAt(a);
  const n = <u32>load<u8>(r, A_CANDIDATES);
  for (let i: u32 = 0; i < n; i++) if (saCandidate(r, i) == host) return true;
  return false;
}
