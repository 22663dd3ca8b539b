// The IPsec passthrough ALG (Netopia NIR_077), attached to IP protocols 50/51 and the IKE UDP ports.
// Modes (config ipsec.mode):
//   off          ESP/AH are not translated: the NAT core drops them (counted).
//   server-list  firmware 4.8: inbound ESP/AH go to the LAN host with a Server List entry for the
//                first IKE port (UDP 500); IKE itself is an ordinary port forward.
//   multi        firmware 4.10 and beyond: many hosts, many gateways, one PAT address.
// multi in short:
//   IKE keeps external port 500 (the IKE port) for every host; inbound IKE is demultiplexed by the
//   initiator cookie / IKEv2 SPI (alg/ike-sessions.ts). An IKE session that negotiates SAs is
//   "pending": the next unknown inbound SPI from that remote is bound to its host (alg/sas.ts).
//   Overlap rule (the technote's one limit, removed): while host A's negotiation with remote R is
//   pending (its last negotiating message is younger than T_IKE_HOLD), host B's negotiating IKE
//   messages to R are held in a bounded queue. They are released when A's inbound SPI binds, when
//   A's pending window lapses, or when B's packet has waited T_IKE_HOLD itself, whichever is first.
//   No negotiation pending (manual keys, or a tunnel idle past its pending window): an unknown inbound
//   SPI binds to the one host sending ESP to that remote that has no inbound SA from it yet, else to
//   the one host whose negotiation with it lapsed before any inbound SPI bound (see bindInbound).
//   An inbound SPI with no candidate is dropped (counted), never guessed; two candidates: dropped.
//   NAT-T (UDP 4500) is plain NAPT; the ALG notes that the host's IKE session floated, after which
//   that session no longer holds other hosts' IKE to the same remote (see blockedByOther).
// The ALG decides where a packet goes; the NAT core's translate step rewrites it and fixes checksums.
import { PORT_LAN, SLOT_BYTES, DUMP_IKE, DUMP_SAS, DUMP_FINDINGS } from "../abi";
import { Config, timeout, T_IKE, T_IPSEC_SA, T_IKE_HOLD, IPSEC_OFF, IPSEC_MULTI, IPSEC_SERVER_LIST, ikeHoldSlots } from "../config";
import { arenaTake } from "../arena";
import { Counter, count } from "../counters";
import { get16, get32 } from "../wire/bytes";
import { PROTO_UDP, PROTO_ESP, PROTO_AH } from "../wire/ipv4";
import { UDP_HEADER_LEN } from "../wire/l4";
import { ESP_SPI, AH_SPI, IKE_RCOOKIE, IKE_VERSION, IKE_EXCHANGE, IKE_HEADER_LEN, NATT_PORT, NON_ESP_MARKER_LEN, negotiatesSa, IKEV1_QUICK_MODE, IKEV2_SA_INIT, IKEV2_AUTH } from "../wire/ipsec";
import { Pkt, Verdict, expired } from "../router/packet";
import { parseIpv4 } from "../router/ipv4";
import { NO_INDEX } from "../nat/hash";
import { rewrite, NO_PORT } from "../nat/translate";
import { deliverIn2Out, deliverOut2In } from "../nat/napt";
import { noteFirstFragment } from "../nat/fragments";
import { NONE, serverForExternal, serverListOwnerOfUdp } from "../nat/static";
import {
  ikeInit, ikeAt, findIke, addIke, removeIke, firstForRemote, ikeSlots,
  K_USED, K_VERSION, K_STATE, K_NATT, K_HOST, K_REMOTE, K_HOST_PORT, K_EXT_PORT, K_LAST_EXCHANGE, K_ADVISED, K_ICOOKIE, K_RCOOKIE,
  K_LAST, K_PENDING_SINCE, K_NEXT_REMOTE, K_MESSAGES, IKE_PENDING, IKE_HELD, IKE_BOUND, IKE_LAPSED, NATT_NAT_D, NATT_FLOATED,
  NATT_DECIDED, NATT_ENCAP,
} from "./ike-sessions";
import { sasInit, saAt, findSa, addSa, removeSa, touchSa, firstSaForRemote, saSlots, A_USED, A_PROTO, A_DIR, A_SPI, A_REMOTE, A_HOST, A_IKE, A_LAST, A_PACKETS, A_NEXT_REMOTE, SA_INBOUND, SA_OUTBOUND } from "./sas";
import { natDMatches } from "./nat-d";
import { advisorInit, advise, inspectIke, IkeFacts, findingSlots, findingRow, FINDING_AH_THROUGH_PAT, FINDING_NO_NAT_T, FINDING_AGGRESSIVE_ID_IP, FINDING_ESP_TO_DEFAULT_SERVER, FINDING_MANUAL_KEYS } from "./advisor";

// Bounded timer work: entries examined per table per sweep (router.ts runs one per 10 ms of module
// time). Lookups check expiry themselves (liveIke, liveSa, the pending window in bindInbound), so
// sweeps only reclaim room.
const SWEEP_PER_TICK: u32 = 64;

// Held IKE packet: u32 ike index, u32 heldAt, u16 len, u8 busy; then the frame
const H_IKE = 0;
const H_AT = 4;
const H_LEN = 8;
const H_BUSY = 10;
const H_HEADER: u32 = 16;

class Alg {
  static hold: usize = 0;
  static holdSlots: u32 = 0;
  static held: u32 = 0;
  static releasing: bool = false;
  static ikeCursor: u32 = 0;
  static saCursor: u32 = 0;
}

export function ipsecInit(): bool {
  Alg.holdSlots = ikeHoldSlots();
  Alg.hold = arenaTake(<usize>Alg.holdSlots * (H_HEADER + SLOT_BYTES));
  Alg.held = 0;
  Alg.releasing = false;
  Alg.ikeCursor = 0;
  Alg.saCursor = 0;
  return Alg.hold != 0 && ikeInit() && sasInit() && advisorInit();
}

function isIkePort(port: u32): bool {
  for (let i: u32 = 0; i < Config.ikePortCount; i++) if (<u32>load<u16>(Config.ikePorts + (i << 1)) == port) return true;
  return false;
}

// ---------------------------------------------------------------- IKE

/** True when another host's negotiation with `remote` is pending, so `k`'s must wait. A negotiation
 *  whose NAT-D hashes say its SAs will travel in UDP (IKEv2), or that floated to UDP 4500, does not
 *  block: no raw SPI of it will need binding, or it goes on where the ALG holds nothing. A floated one
 *  stays pending, though: with MOBIKE and no NAT (IKEv2 moves to 4500 anyway) its raw ESP still binds. */
function blockedByOther(k: u32, remote: u32, now: u32): bool {
  const host = load<u32>(ikeAt(k), K_HOST);
  const hold = timeout(T_IKE_HOLD);
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const o = ikeAt(j);
    if (j != k && load<u32>(o, K_REMOTE) == remote && load<u32>(o, K_HOST) != host &&
        load<u8>(o, K_STATE) == IKE_PENDING && (load<u8>(o, K_NATT) & (NATT_FLOATED | NATT_ENCAP)) == 0 &&
        !expired(now, load<u32>(o, K_PENDING_SINCE), hold)) return true;
    j = load<u32>(o, K_NEXT_REMOTE);
  }
  return false;
}

function holdPacket(k: u32): Verdict {
  if (Alg.held >= Alg.holdSlots) { count(Counter.DropIkeHoldFull); return Verdict.Dropped; }
  for (let i: u32 = 0; i < Alg.holdSlots; i++) {
    const h = Alg.hold + <usize>i * (H_HEADER + SLOT_BYTES);
    if (load<u8>(h, H_BUSY) != 0) continue;
    store<u32>(h, k, H_IKE);
    store<u32>(h, Pkt.now, H_AT);
    store<u16>(h, <u16>Pkt.len, H_LEN);
    store<u8>(h, 1, H_BUSY);
    memory.copy(h + H_HEADER, Pkt.frame, Pkt.len);
    Alg.held++;
    const s = ikeAt(k);
    if (load<u8>(s, K_STATE) != IKE_PENDING) store<u8>(s, IKE_HELD, K_STATE);
    count(Counter.IkeHeld);
    return Verdict.Consumed;
  }
  count(Counter.DropIkeHoldFull);
  return Verdict.Dropped;
}

/** Reads the clear parts of an IKE message for the advisor and the NAT-T state of its session. */
function observeIke(k: u32, ike: usize, len: u32, fromHost: bool): void {
  const s = ikeAt(k);
  const exchange = load<u8>(ike + IKE_EXCHANGE);
  inspectIke(ike, len, load<u8>(s, K_VERSION));
  store<u8>(s, load<u8>(s, K_NATT) | IkeFacts.natT, K_NATT);
  const host = load<u32>(s, K_HOST), remote = load<u32>(s, K_REMOTE);
  if (IkeFacts.ipIdentity && fromHost) advise(FINDING_AGGRESSIVE_ID_IP, host, remote, Pkt.now);
  // Past phase 1 / IKE_SA_INIT the payloads are encrypted: by then NAT-D must have been seen.
  const pastClear = exchange == IKEV1_QUICK_MODE || exchange == IKEV2_AUTH;
  const advised = load<u8>(s, K_ADVISED);
  if (pastClear && (load<u8>(s, K_NATT) & NATT_NAT_D) == 0 && (advised & 1) == 0) {
    store<u8>(s, advised | 1, K_ADVISED);
    advise(FINDING_NO_NAT_T, host, remote, Pkt.now);
  }
  // IKEv2: the response to IKE_SA_INIT tells, through its NAT-D hashes, whether the peers will move
  // their SAs into UDP 4500 (alg/nat-d.ts).
  if (!fromHost && load<u8>(s, K_VERSION) == 2 && exchange == IKEV2_SA_INIT && IkeFacts.natDSource != 0 && IkeFacts.natDDest != 0) {
    const hostSeesNat = !natDMatches(ike, IkeFacts.natDDest, host, load<u16>(s, K_HOST_PORT));
    const remoteBehindNat = !natDMatches(ike, IkeFacts.natDSource, remote, get16(Pkt.l4));
    store<u8>(s, (load<u8>(s, K_NATT) & ~NATT_ENCAP) | NATT_DECIDED | (hostSeesNat || remoteBehindNat ? NATT_ENCAP : 0), K_NATT);
  }
  store<u8>(s, exchange, K_LAST_EXCHANGE);
  store<u32>(s, Pkt.now, K_LAST);
  store<u32>(s, load<u32>(s, K_MESSAGES) + 1, K_MESSAGES);
  if ((load<u32>(s, K_RCOOKIE) | load<u32>(s, K_RCOOKIE + 4)) == 0) {
    store<u32>(s, load<u32>(ike + IKE_RCOOKIE), K_RCOOKIE);
    store<u32>(s, load<u32>(ike + IKE_RCOOKIE + 4), K_RCOOKIE + 4);
  }
}

/** An IKE session found by lookup, unless idle past its timeout. */
function liveIke(k: u32): u32 {
  if (k == NO_INDEX || !expired(Pkt.now, load<u32>(ikeAt(k), K_LAST), timeout(T_IKE) * 1000)) return k;
  removeIke(k);
  count(Counter.IkeSessionsExpired);
  return NO_INDEX;
}

/** The IKE header of the UDP packet in Pkt, or 0 when the payload cannot be IKE. */
function ikeHeader(): usize {
  if (Pkt.l4Len < UDP_HEADER_LEN + IKE_HEADER_LEN) return 0;
  const ike = Pkt.l4 + UDP_HEADER_LEN;
  const major = load<u8>(ike + IKE_VERSION) >> 4;
  return major == 1 || major == 2 ? ike : 0;
}

function ikeIn2Out(ikePort: u32): Verdict {
  const ike = ikeHeader();
  if (ike == 0) { count(Counter.DropL4Malformed); return Verdict.Dropped; }
  const hostPort = get16(Pkt.l4);
  let k = liveIke(findIke(Pkt.dst, ikePort, ike));
  if (k == NO_INDEX) {
    k = addIke(Pkt.src, hostPort, Pkt.dst, ikePort, ikePort, ike, load<u8>(ike + IKE_VERSION) >> 4, Pkt.now);
    if (k == NO_INDEX) return Verdict.Dropped;
  } else if (load<u32>(ikeAt(k), K_HOST) != Pkt.src) {
    count(Counter.DropIkeUnknownCookie); // another host already uses this cookie with this remote
    return Verdict.Dropped;
  }
  if (negotiatesSa(load<u8>(ike + IKE_EXCHANGE))) {
    if (!Alg.releasing && blockedByOther(k, Pkt.dst, Pkt.now)) return holdPacket(k);
    const s = ikeAt(k);
    store<u8>(s, IKE_PENDING, K_STATE);
    store<u32>(s, Pkt.now, K_PENDING_SINCE);
  }
  observeIke(k, ike, Pkt.l4Len - UDP_HEADER_LEN, true);
  rewrite(true, Config.wanAddr, ikePort, 0xffffffff, 0xffffffff);
  noteFirstFragment(true, false);
  count(Counter.IkeIn2Out);
  return deliverIn2Out();
}

function ikeOut2In(ikePort: u32): Verdict {
  const ike = ikeHeader();
  const k = ike == 0 ? NO_INDEX : liveIke(findIke(Pkt.src, ikePort, ike));
  if (k == NO_INDEX) {
    // An unknown cookie is a new inbound IKE SA: only a Server List entry may accept it.
    if (serverForExternal(PROTO_UDP, ikePort) != NONE) return Verdict.NotMine;
    count(Counter.DropIkeUnknownCookie);
    return Verdict.Dropped;
  }
  const s = ikeAt(k);
  if (negotiatesSa(load<u8>(ike + IKE_EXCHANGE)) && load<u8>(s, K_STATE) != IKE_HELD) {
    store<u8>(s, IKE_PENDING, K_STATE);
    store<u32>(s, Pkt.now, K_PENDING_SINCE);
  }
  observeIke(k, ike, Pkt.l4Len - UDP_HEADER_LEN, false);
  rewrite(false, load<u32>(s, K_HOST), load<u16>(s, K_HOST_PORT), 0xffffffff, 0xffffffff);
  noteFirstFragment(false, true);
  count(Counter.IkeOut2In);
  return deliverOut2In();
}

/** The most recent IKE session between a host and a remote, or NO_INDEX. */
function ikeFor(host: u32, remote: u32): u32 {
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    if (load<u32>(s, K_REMOTE) == remote && load<u32>(s, K_HOST) == host) return j;
    j = load<u32>(s, K_NEXT_REMOTE);
  }
  return NO_INDEX;
}

/** IKE that moved to UDP 4500 (non-ESP marker): NAPT carries it; the IKE session notes the float. */
function noteFloat(): void {
  if (Pkt.l4Len < UDP_HEADER_LEN + NON_ESP_MARKER_LEN || load<u32>(Pkt.l4 + UDP_HEADER_LEN) != 0) return;
  const k = ikeFor(Pkt.src, Pkt.dst);
  if (k != NO_INDEX) {
    const s = ikeAt(k);
    store<u8>(s, load<u8>(s, K_NATT) | NATT_FLOATED, K_NATT);
    store<u32>(s, Pkt.now, K_LAST);
  }
}

// ---------------------------------------------------------------- ESP / AH

/** An SA found by lookup, unless it has been idle past its timeout (the sweep may not have reached it yet). */
function liveSa(a: u32): u32 {
  if (a == NO_INDEX || !expired(Pkt.now, load<u32>(saAt(a), A_LAST), timeout(T_IPSEC_SA) * 1000)) return a;
  removeSa(a);
  count(Counter.SasExpired);
  return NO_INDEX;
}

@inline function spiOf(): u32 {
  return get32(Pkt.l4 + (Pkt.proto == PROTO_ESP ? ESP_SPI : AH_SPI));
}

function ipsecProtoIn2Out(): Verdict {
  if (Config.ipsecMode == IPSEC_OFF) return Verdict.NotMine;
  const proto = Pkt.proto;
  const host = Pkt.src, remote = Pkt.dst;
  if (Config.ipsecMode == IPSEC_MULTI) {
    const spi = spiOf();
    let a = liveSa(findSa(remote, spi, SA_OUTBOUND, proto));
    if (a == NO_INDEX) {
      const ike = ikeFor(host, remote);
      a = addSa(proto, SA_OUTBOUND, spi, remote, host, ike, Pkt.now);
      if (a == NO_INDEX) return Verdict.Dropped;
      if (ike == NO_INDEX) advise(FINDING_MANUAL_KEYS, host, remote, Pkt.now);
    } else if (load<u32>(saAt(a), A_HOST) != host) {
      count(Counter.DropEspAmbiguous); // two hosts claim one outbound SPI to one remote
      return Verdict.Dropped;
    }
    touchSa(a, Pkt.now);
  }
  if (proto == PROTO_AH) advise(FINDING_AH_THROUGH_PAT, host, remote, Pkt.now);
  rewrite(true, Config.wanAddr, NO_PORT, 0xffffffff, 0xffffffff);
  noteFirstFragment(true, false);
  count(proto == PROTO_ESP ? Counter.IpsecEspIn2Out : Counter.IpsecAhIn2Out);
  return deliverIn2Out();
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

const AMBIGUOUS: u32 = 0xfffffffe; // two or more candidates: never guessed (NO_INDEX means none)

/** The outbound SA of the one host sending ESP/AH to `remote` that is still owed an inbound SPI
 *  (manually keyed, or its tunnel stayed idle past the pending window and its side spoke first). */
function saOfHostOwed(remote: u32): u32 {
  let found = NO_INDEX;
  let a = firstSaForRemote(remote);
  while (a != NO_INDEX) {
    const r = saAt(a);
    if (load<u32>(r, A_REMOTE) == remote && load<u8>(r, A_DIR) == SA_OUTBOUND) {
      const h = load<u32>(r, A_HOST);
      if ((found == NO_INDEX || h != load<u32>(saAt(found), A_HOST)) && (load<u32>(r, A_IKE) == NO_INDEX || !hasInbound(remote, h))) {
        if (found != NO_INDEX) return AMBIGUOUS;
        found = a;
      }
    }
    a = load<u32>(r, A_NEXT_REMOTE);
  }
  return found;
}

/** The one IKE session with `remote` whose negotiation lapsed before any inbound SPI bound (the tunnel
 *  stayed idle and the remote speaks first). Left out: sessions whose SAs travel in UDP, known from the
 *  NAT-D hashes (IKEv2), or assumed when an undecided session floated to 4500 (IKEv1). */
function lapsedSession(remote: u32): u32 {
  let found = NO_INDEX;
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    const state = load<u8>(s, K_STATE);
    const natt = load<u8>(s, K_NATT);
    const udpSas = (natt & NATT_ENCAP) != 0 || ((natt & NATT_FLOATED) != 0 && (natt & NATT_DECIDED) == 0);
    if (load<u32>(s, K_REMOTE) == remote && (state == IKE_LAPSED || state == IKE_PENDING) && !udpSas) {
      if (found != NO_INDEX && load<u32>(ikeAt(found), K_HOST) != load<u32>(s, K_HOST)) return AMBIGUOUS;
      found = j;
    }
    j = load<u32>(s, K_NEXT_REMOTE);
  }
  return found;
}

/** Binds an unknown inbound SPI to the one host that can own it, or returns 0 (counted). In order:
 *  the one negotiation with that remote inside its pending window; else the one host owed an inbound
 *  SPI by its own ESP; else the one negotiation that lapsed unbound. Two at any step: dropped. */
function bindInbound(remote: u32, spi: u32, proto: u8): u32 {
  let candidate = NO_INDEX;
  let pending: u32 = 0;
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    if (load<u32>(s, K_REMOTE) == remote && load<u8>(s, K_STATE) == IKE_PENDING && (load<u8>(s, K_NATT) & NATT_ENCAP) == 0 &&
        !expired(Pkt.now, load<u32>(s, K_PENDING_SINCE), timeout(T_IKE_HOLD))) { candidate = j; pending++; }
    j = load<u32>(s, K_NEXT_REMOTE);
  }
  if (pending > 1) { count(Counter.DropEspAmbiguous); return 0; }
  let host: u32 = 0;
  if (pending == 1) {
    host = load<u32>(ikeAt(candidate), K_HOST);
  } else {
    const owed = saOfHostOwed(remote);
    if (owed != NO_INDEX && owed != AMBIGUOUS) {
      host = load<u32>(saAt(owed), A_HOST);
      candidate = load<u32>(saAt(owed), A_IKE);
    } else if (owed == NO_INDEX) {
      candidate = lapsedSession(remote);
      if (candidate != NO_INDEX && candidate != AMBIGUOUS) host = load<u32>(ikeAt(candidate), K_HOST);
    }
    if (owed == AMBIGUOUS || candidate == AMBIGUOUS) { count(Counter.DropEspAmbiguous); return 0; }
    if (host == 0) { count(Counter.DropEspUnknownSpi); return 0; }
  }
  if (addSa(proto, SA_INBOUND, spi, remote, host, candidate, Pkt.now) == NO_INDEX) return 0;
  if (candidate != NO_INDEX) store<u8>(ikeAt(candidate), IKE_BOUND, K_STATE);
  count(Counter.SpiBound);
  return host;
}

function ipsecProtoOut2In(): Verdict {
  if (Config.ipsecMode == IPSEC_OFF) return Verdict.NotMine;
  const proto = Pkt.proto;
  let host: u32 = 0;
  if (Config.ipsecMode == IPSEC_SERVER_LIST) {
    host = Config.ikePortCount > 0 ? serverListOwnerOfUdp(load<u16>(Config.ikePorts)) : 0;
    if (host == 0 && Config.defaultServer != 0) {
      host = Config.defaultServer;
      advise(FINDING_ESP_TO_DEFAULT_SERVER, host, Pkt.src, Pkt.now);
    }
    if (host == 0) { count(Counter.DropEspUnknownSpi); return Verdict.Dropped; }
  } else {
    const spi = spiOf();
    const a = liveSa(findSa(Pkt.src, spi, SA_INBOUND, proto));
    if (a != NO_INDEX) {
      host = load<u32>(saAt(a), A_HOST);
      touchSa(a, Pkt.now);
    } else {
      host = bindInbound(Pkt.src, spi, proto);
      if (host == 0) return Verdict.Dropped;
    }
  }
  rewrite(false, host, NO_PORT, 0xffffffff, 0xffffffff);
  noteFirstFragment(false, true);
  count(proto == PROTO_ESP ? Counter.IpsecEspOut2In : Counter.IpsecAhOut2In);
  return deliverOut2In();
}

// ---------------------------------------------------------------- hooks

export function ipsecIn2Out(): Verdict {
  const proto = Pkt.proto;
  if (proto == PROTO_ESP || proto == PROTO_AH) return ipsecProtoIn2Out();
  if (proto != PROTO_UDP || Config.ipsecMode != IPSEC_MULTI) return Verdict.NotMine;
  const dport = get16(Pkt.l4 + 2);
  if (dport == NATT_PORT) { noteFloat(); return Verdict.NotMine; }
  return isIkePort(dport) ? ikeIn2Out(dport) : Verdict.NotMine;
}

/** True when ipsecIn2Out or ipsecOut2In looks at (or notes) UDP datagrams to this port. */
export function ipsecInspectsUdp(dport: u32): bool {
  return Config.ipsecMode == IPSEC_MULTI && (dport == NATT_PORT || isIkePort(dport));
}

export function ipsecOut2In(): Verdict {
  const proto = Pkt.proto;
  if (proto == PROTO_ESP || proto == PROTO_AH) return ipsecProtoOut2In();
  if (proto != PROTO_UDP || Config.ipsecMode != IPSEC_MULTI) return Verdict.NotMine;
  const dport = get16(Pkt.l4 + 2);
  return isIkePort(dport) ? ikeOut2In(dport) : Verdict.NotMine;
}

// ---------------------------------------------------------------- timers

function releaseHeld(now: u32): void {
  const hold = timeout(T_IKE_HOLD);
  for (let i: u32 = 0; i < Alg.holdSlots && Alg.held != 0; i++) {
    const h = Alg.hold + <usize>i * (H_HEADER + SLOT_BYTES);
    if (load<u8>(h, H_BUSY) == 0) continue;
    const k = load<u32>(h, H_IKE);
    const s = ikeAt(k);
    const stale = load<u8>(s, K_USED) == 0;
    const waitedOut = expired(now, load<u32>(h, H_AT), hold);
    if (!stale && !waitedOut && blockedByOther(k, load<u32>(s, K_REMOTE), now)) continue;
    store<u8>(h, 0, H_BUSY);
    Alg.held--;
    if (stale) continue;
    count(waitedOut ? Counter.IkeHoldTimedOut : Counter.IkeHoldReleased);
    if (!parseIpv4(PORT_LAN, h + H_HEADER, load<u16>(h, H_LEN), now)) continue;
    Alg.releasing = true;
    ipsecIn2Out();
    Alg.releasing = false;
  }
}

/** After each batch: held IKE packets go as soon as nothing holds them any more, not at the next sweep. */
export function ipsecAfterBatch(now: u32): void {
  if (Alg.held != 0) releaseHeld(now);
}

export function ipsecTick(now: u32): void {
  const ikeIdle = timeout(T_IKE) * 1000, hold = timeout(T_IKE_HOLD), saIdle = timeout(T_IPSEC_SA) * 1000;
  const ikeN = ikeSlots(), saN = saSlots();
  for (let n: u32 = 0; n < SWEEP_PER_TICK && n < ikeN; n++) {
    const k = Alg.ikeCursor;
    Alg.ikeCursor = k + 1 >= ikeN ? 0 : k + 1;
    const s = ikeAt(k);
    if (load<u8>(s, K_USED) == 0) continue;
    if (expired(now, load<u32>(s, K_LAST), ikeIdle)) { removeIke(k); count(Counter.IkeSessionsExpired); continue; }
    if (load<u8>(s, K_STATE) == IKE_PENDING && expired(now, load<u32>(s, K_PENDING_SINCE), hold)) store<u8>(s, IKE_LAPSED, K_STATE);
  }
  for (let n: u32 = 0; n < SWEEP_PER_TICK && n < saN; n++) {
    const i = Alg.saCursor;
    Alg.saCursor = i + 1 >= saN ? 0 : i + 1;
    const a = saAt(i);
    if (load<u8>(a, A_USED) != 0 && expired(now, load<u32>(a, A_LAST), saIdle)) { removeSa(i); count(Counter.SasExpired); }
  }
}

// ---------------------------------------------------------------- state dumps

export function ipsecDumpSlots(table: u32): u32 {
  if (table == DUMP_IKE) return ikeSlots();
  if (table == DUMP_SAS) return saSlots();
  if (table == DUMP_FINDINGS) return findingSlots();
  return 0;
}

export function ipsecDumpRow(table: u32, index: u32, row: usize, now: u32): bool {
  if (table == DUMP_FINDINGS) return findingRow(index, row, now);
  if (table == DUMP_IKE) {
    const s = ikeAt(index);
    if (load<u8>(s, K_USED) == 0) return false;
    store<u32>(row, load<u32>(s, K_HOST), 0);
    store<u32>(row, load<u16>(s, K_HOST_PORT), 4);
    store<u32>(row, load<u32>(s, K_REMOTE), 8);
    store<u32>(row, load<u16>(s, K_EXT_PORT), 12);
    store<u32>(row, get32(s + K_ICOOKIE), 16);
    store<u32>(row, get32(s + K_ICOOKIE + 4), 20);
    store<u32>(row, get32(s + K_RCOOKIE), 24);
    store<u32>(row, get32(s + K_RCOOKIE + 4), 28);
    store<u32>(row, load<u8>(s, K_VERSION), 32);
    store<u32>(row, load<u8>(s, K_STATE), 36);
    store<u32>(row, now - load<u32>(s, K_LAST), 40);
    store<u32>(row, load<u8>(s, K_NATT), 44);
    return true;
  }
  if (table == DUMP_SAS) {
    const a = saAt(index);
    if (load<u8>(a, A_USED) == 0) return false;
    store<u32>(row, load<u8>(a, A_PROTO), 0);
    store<u32>(row, load<u32>(a, A_HOST), 4);
    store<u32>(row, load<u32>(a, A_REMOTE), 8);
    store<u32>(row, load<u32>(a, A_SPI), 12);
    store<u32>(row, load<u8>(a, A_DIR), 16);
    store<u32>(row, load<u32>(a, A_PACKETS), 20);
    store<u32>(row, now - load<u32>(a, A_LAST), 24);
    store<u32>(row, load<u32>(a, A_IKE), 28);
    return true;
  }
  return false;
}
