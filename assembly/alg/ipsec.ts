// The IPsec passthrough ALG (Netopia NIR_077), attached to IP protocols 50/51 and the IKE UDP ports.
// Modes (config ipsec.mode):
//   off          ESP/AH are not translated: the NAT core drops them (counted).
//   server-list  firmware 4.8: inbound ESP/AH go to the LAN host with a Server List entry for the
//                first IKE port (UDP 500); IKE itself is an ordinary port forward.
//   multi        firmware 4.10 and beyond: many hosts, many gateways, one PAT address.
// multi in short:
//   IKE keeps external port 500 (the IKE port) for every host; inbound IKE is demultiplexed by the
//   initiator cookie / IKEv2 SPI (alg/ike-sessions.ts). IKE that moved to UDP 4500 (NAT-T, MOBIKE) is
//   carried by NAPT, and the ALG still reads its headers behind the non-ESP marker.
//   Each IKE session counts the SA-creating exchanges it saw answered (alg/exchanges.ts): each one owes
//   its host an inbound SPI from that remote. An unknown inbound SPI goes to the one host owed one, or,
//   when several are, to each of them until all but one are ruled out (alg/binding.ts).
//   Overlap rule (the technote's one limit, removed): a host's SA-creating request to a remote waits
//   while another host's negotiation with it is open (alg/hold.ts), so that usually one host at a time
//   is owed a new SPI by a remote.
//   An inbound IKE message with an unknown cookie (a gateway starting a new IKE SA, or one rekeyed by
//   it) goes to the hosts that already talk IKE with that remote; the one that answers owns the session.
//   NAT-T (UDP 4500) is plain NAPT; such sessions neither hold other hosts nor take raw SPIs.
// The ALG decides where a packet goes; the NAT core's translate step rewrites it and fixes checksums.
import { DUMP_IKE, DUMP_SAS, DUMP_FINDINGS } from "../abi";
import { Config, timeout, T_IKE, T_IPSEC_SA, IPSEC_OFF, IPSEC_MULTI, IPSEC_SERVER_LIST } from "../config";
import { Counter, count, countMany } from "../counters";
import { get16, get32 } from "../wire/bytes";
import { PROTO_UDP, PROTO_ESP, PROTO_AH } from "../wire/ipv4";
import { UDP_HEADER_LEN, UDP_SRC_PORT, UDP_DST_PORT } from "../wire/l4";
import { ESP_SPI, AH_SPI, IKE_RCOOKIE, IKE_EXCHANGE, IKE_HEADER_LEN, IKE_SPIS_LEN, ikeMajorVersion, NATT_PORT, NON_ESP_MARKER_LEN, IKEV1_QUICK_MODE, IKEV1_MAIN_MODE, IKEV1_AGGRESSIVE, IKEV2_SA_INIT, IKEV2_AUTH } from "../wire/ipsec";
import { Pkt, Verdict } from "../ip/packet";
import { expired } from "../time";
import { NO_INDEX } from "../nat/hash";
import { NO_PORT } from "../nat/translate";
import { decide, decideTarget, decideOne, MAX_TARGETS } from "../nat/decision";
import { Held, heldReady } from "../nat/held";
import { findSessionOutside, sessionInAddr, sessionInPort } from "../nat/sessions";
import { AlgRecord, QuoteOwner } from "../nat/algs";
import { NONE, serverForExternal, serverListOwnerOfUdp } from "../nat/static";
import { isPublicAddress } from "../nat/public";
import {
  ikeInit, ikeAt, findIke, findIkeAnyPort, ikeFor, addIke, removeIke, firstForRemote, ikeSlots,
  IkeSession, FLAG_OUT_NEW, FLAG_BY_REMOTE, NATT_NAT_D, NATT_FLOATED, NATT_DECIDED, NATT_ENCAP,
  IKE_IDLE, IKE_NEGOTIATING, IKE_HELD, IKE_BOUND, IKE_AWAITING,
} from "./ike-sessions";
import { sasInit, saAt, findSa, addSa, removeSa, touchSa, saSlots, saCandidate, SA_INBOUND, SA_OUTBOUND } from "./sas";
import { opensExchange, trackExchange } from "./exchanges";
import { bindingInit, bindInbound, deliversTo } from "./binding";
import { holdInit, holdPacket, mustWait, nextSeq, beginRelease, nextReleasable, heldFrame, heldLen, heldPort, holdEmpty } from "./hold";
import { natDMatches } from "./nat-d";
import { advisorInit, advise, inspectIke, IkeFacts, findingSlots, findingRow, FINDING_AH_THROUGH_PAT, FINDING_NO_NAT_T, FINDING_AGGRESSIVE_ID_IP, FINDING_ESP_TO_DEFAULT_SERVER, FINDING_MANUAL_KEYS } from "./advisor";

// Bounded timer work: entries examined per table per sweep (router.ts runs one per 10 ms of module
// time). Lookups check expiry themselves (liveIke, liveSa, the pending window in bindInbound), so
// sweeps only reclaim room.
const SWEEP_PER_TICK: u32 = 64;

// Most hosts an inbound IKE message with an unknown cookie is copied to (see ikeOut2In).
const MAX_IKE_COPIES: u32 = MAX_TARGETS; // each copy is a target of the decision

class Alg {
  static ikeCursor: u32 = 0;
  static saCursor: u32 = 0;
}

export function ipsecInit(): bool {
  Alg.ikeCursor = 0;
  Alg.saCursor = 0;
  return holdInit() && ikeInit() && sasInit() && advisorInit() && bindingInit() && ikePeersFit();
}

function isIkePort(port: u32): bool {
  for (let i: u32 = 0; i < Config.ikePortCount; i++) if (<u32>load<u16>(Config.ikePorts + (i << 1)) == port) return true;
  return false;
}

// ---------------------------------------------------------------- IKE

/** True when the SA-creating request at `ike` (session k) must wait for another host's negotiation. */
@inline function waits(k: u32, ike: usize, fromHost: bool): bool {
  // A fragmented request (IKE_AUTH with certificates) never waits: its other fragments could not wait
  // with it, and a first fragment alone cannot be reassembled. It may leave two hosts owed, then shared.
  return !Pkt.reinjected && !Pkt.fragment && opensExchange(k, ike, fromHost) && mustWait(k, Pkt.now, nextSeq());
}

/** Reads the clear parts of an IKE message for the advisor, the NAT-T state of its session and its
 *  SA-creating exchanges. */
function observeIke(k: u32, ike: usize, len: u32, fromHost: bool, remotePort: u32): void {
  const s = ikeAt(k);
  const exchange = load<u8>(ike + IKE_EXCHANGE);
  inspectIke(ike, len, s.version);
  s.natt = s.natt | IkeFacts.natT;
  const host = s.host, remote = s.remote;
  if (IkeFacts.ipIdentity && fromHost) advise(FINDING_AGGRESSIVE_ID_IP, host, remote, Pkt.now);
  // Past phase 1 / IKE_SA_INIT the payloads are encrypted: by then NAT-D must have been seen.
  const pastClear = exchange == IKEV1_QUICK_MODE || exchange == IKEV2_AUTH;
  const advised = s.advised;
  if (pastClear && (s.natt & NATT_NAT_D) == 0 && (advised & 1) == 0) {
    s.advised = advised | 1;
    advise(FINDING_NO_NAT_T, host, remote, Pkt.now);
  }
  // IKEv2: the response to IKE_SA_INIT tells, through its NAT-D hashes, whether the peers will move
  // their SAs into UDP 4500 (alg/nat-d.ts).
  if (!fromHost && s.version == 2 && exchange == IKEV2_SA_INIT && IkeFacts.natDSource != 0 && IkeFacts.natDDest != 0) {
    const hostSeesNat = !natDMatches(ike, IkeFacts.natDDest, host, s.hostPort);
    const remoteBehindNat = !natDMatches(ike, IkeFacts.natDSource, remote, remotePort);
    s.natt = (s.natt & ~NATT_ENCAP) | NATT_DECIDED | (hostSeesNat || remoteBehindNat ? NATT_ENCAP : 0);
  }
  trackExchange(k, ike, fromHost, Pkt.now);
  s.lastExchange = exchange;
  s.last = Pkt.now;
  s.messages = s.messages + 1;
  if ((s.rcookieHi | s.rcookieLo) == 0) {
    s.rcookieHi = load<u32>(ike + IKE_RCOOKIE);
    s.rcookieLo = load<u32>(ike + IKE_RCOOKIE + 4);
  }
}

/** An IKE session found by lookup, unless idle past its timeout. */
function liveIke(k: u32): u32 {
  if (k == NO_INDEX || !expired(Pkt.now, ikeAt(k).last, timeout(T_IKE) * 1000)) return k;
  removeIke(k);
  count(Counter.IkeSessionsExpired);
  return NO_INDEX;
}

/** The IKE header `skip` bytes into the UDP payload of the packet in Pkt, or 0 when it cannot be IKE. */
function ikeHeader(skip: u32): usize {
  if (Pkt.l4 == 0 || Pkt.l4Len < UDP_HEADER_LEN + skip + IKE_HEADER_LEN) return 0;
  const ike = Pkt.l4 + UDP_HEADER_LEN + skip;
  const major = ikeMajorVersion(ike);
  return major == 1 || major == 2 ? ike : 0;
}

function ikeIn2Out(ikePort: u32): Verdict {
  const ike = ikeHeader(0);
  if (ike == 0) { count(Counter.DropL4Malformed); return Verdict.Dropped; }
  const hostPort = get16(Pkt.l4 + UDP_SRC_PORT);
  let k = liveIke(findIke(Pkt.dst, ikePort, ike, Pkt.src));
  if (k == NO_INDEX) {
    // Another host's cookie: refused, unless this is a second host answering an IKE SA the remote
    // started (each answer carries its own responder cookie, which the remote's next message names).
    const other = findIke(Pkt.dst, ikePort, ike);
    const rcookie = load<u32>(ike + IKE_RCOOKIE) | load<u32>(ike + IKE_RCOOKIE + 4);
    if (other != NO_INDEX && (rcookie == 0 || (ikeAt(other).flags & FLAG_BY_REMOTE) == 0)) {
      count(Counter.DropIkeUnknownCookie); // another host already uses this cookie with this remote
      return Verdict.Dropped;
    }
    k = addIke(Pkt.src, hostPort, Pkt.dst, ikePort, ike, ikeMajorVersion(ike), Pkt.now);
    if (k == NO_INDEX) return Verdict.Dropped;
    if (rcookie != 0 && opensIkeSa(ike)) ikeAt(k).flags = FLAG_BY_REMOTE; // the host answers the remote's first message
  }
  if (waits(k, ike, true)) return holdPacket(k, ike);
  observeIke(k, ike, Pkt.l4Len - UDP_HEADER_LEN, true, ikePort);
  decideOne(Config.wanAddr, ikePort, Counter.IkeIn2Out);
  return Verdict.Translated;
}

/** True for the first exchange of an IKE SA (IKEv1 Main or Aggressive Mode, IKEv2 IKE_SA_INIT). */
@inline function opensIkeSa(ike: usize): bool {
  const exchange = load<u8>(ike + IKE_EXCHANGE);
  return exchange == IKEV1_MAIN_MODE || exchange == IKEV1_AGGRESSIVE || exchange == IKEV2_SA_INIT;
}

/** Hosts that talk IKE with `remote` on `ikePort`, for a message of a new IKE SA the remote starts. */
@unmanaged class IkePeer {
  host: u32; // 0
  hostPort: u32; // 4
}
const IKE_PEER_BYTES: u32 = 8;
const ikePeers = memory.data(<i32>(MAX_IKE_COPIES * IKE_PEER_BYTES), 4);

@inline function ikePeerAt(i: u32): IkePeer {
  return changetype<IkePeer>(ikePeers + i * IKE_PEER_BYTES);
}

@inline function ikePeersFit(): bool {
  return offsetof<IkePeer>() == IKE_PEER_BYTES;
}

function collectIkePeers(remote: u32, ikePort: u32): u32 {
  let n: u32 = 0;
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    j = s.nextRemote;
    if (s.remote != remote || <u32>s.extPort != ikePort) continue;
    const host = s.host;
    let seen = false;
    for (let i: u32 = 0; i < n; i++) if (ikePeerAt(i).host == host) seen = true;
    if (seen) continue;
    if (n == MAX_IKE_COPIES) return n + 1;
    const peer = ikePeerAt(n);
    peer.host = host;
    peer.hostPort = s.hostPort;
    n++;
  }
  return n;
}

/**
 * An inbound IKE message whose cookie no session knows: a remote starting a new IKE SA (IKEv1
 * reauthentication, a new IKEv2 SA) or speaking first on an IKE SA it rekeyed. Only hosts that already
 * talk IKE with that remote may get it (as address-dependent filtering would admit it): the one such
 * host, or a copy to each (IKE is authenticated; the host that answers becomes the session's owner,
 * see ikeIn2Out). A Server List entry for the port takes it first.
 */
function ikeFromStranger(ikePort: u32): Verdict {
  if (serverForExternal(PROTO_UDP, ikePort) != NONE) return Verdict.NotMine;
  const n: u32 = Pkt.l4 == 0 ? 0 : collectIkePeers(Pkt.src, ikePort);
  if (n == 0 || n > MAX_IKE_COPIES) { count(Counter.DropIkeUnknownCookie); return Verdict.Dropped; }
  decide(Counter.IkeOut2In);
  for (let i: u32 = 0; i < n; i++) decideTarget(ikePeerAt(i).host, ikePeerAt(i).hostPort);
  if (n > 1) countMany(Counter.IkeCopies, n - 1);
  return Verdict.Translated;
}

function ikeOut2In(ikePort: u32): Verdict {
  const ike = ikeHeader(0);
  const k = ike == 0 ? NO_INDEX : liveIke(findIke(Pkt.src, ikePort, ike));
  if (k == NO_INDEX) return ikeFromStranger(ikePort);
  const s = ikeAt(k);
  if (waits(k, ike, false)) return holdPacket(k, ike);
  observeIke(k, ike, Pkt.l4Len - UDP_HEADER_LEN, false, get16(Pkt.l4 + UDP_SRC_PORT));
  decideOne(s.host, s.hostPort, Counter.IkeOut2In);
  return Verdict.Translated;
}

/** A host sent on a new outbound SPI: the SA pair its last answered exchange created exists, and the
 *  inbound half is its own (alg/binding.ts ranks it first; a spoofed packet cannot do this). */
function showNewPair(host: u32, remote: u32): void {
  let j = firstForRemote(remote);
  while (j != NO_INDEX) {
    const s = ikeAt(j);
    if (s.remote == remote && s.host == host && s.doneAt != 0) s.flags = s.flags | FLAG_OUT_NEW;
    j = s.nextRemote;
  }
}

/** The IKE header behind a non-ESP marker in the UDP 4500 datagram in Pkt, or 0 (ESP in UDP, or not IKE). */
function ikeBehindMarker(): usize {
  if (Pkt.l4 == 0 || Pkt.l4Len < UDP_HEADER_LEN + NON_ESP_MARKER_LEN || load<u32>(Pkt.l4 + UDP_HEADER_LEN) != 0) return 0;
  return ikeHeader(NON_ESP_MARKER_LEN);
}

/** A session for an IKE SA first seen on UDP 4500 (one rekeyed there, or a new one): it inherits what
 *  the host's other session with that remote knows of NAT. */
function addFloatedIke(host: u32, hostPort: u32, remote: u32, ike: usize): u32 {
  if (Config.ikePortCount == 0) return NO_INDEX;
  const before = ikeFor(host, remote);
  const k = addIke(host, hostPort, remote, <u32>load<u16>(Config.ikePorts), ike, ikeMajorVersion(ike), Pkt.now);
  if (k == NO_INDEX) return k;
  const natt: u8 = before == NO_INDEX ? 0 : ikeAt(before).natt;
  ikeAt(k).natt = natt | NATT_FLOATED;
  return k;
}

/**
 * IKE on UDP 4500 (NAT-T, or MOBIKE without NAT): NAPT carries it; the ALG reads it as on port 500,
 * so rekeys there are counted and held like any other, then lets NAPT go on (NotMine).
 */
function ikeOn4500(fromHost: bool): Verdict {
  const ike = ikeBehindMarker();
  if (ike == 0) return Verdict.NotMine;
  const remote = fromHost ? Pkt.dst : Pkt.src;
  let k = liveIke(findIkeAnyPort(remote, ike));
  if (k == NO_INDEX) {
    if (fromHost) {
      k = addFloatedIke(Pkt.src, get16(Pkt.l4 + UDP_SRC_PORT), remote, ike);
    } else {
      // The remote speaks first on an IKE SA it rekeyed: NAPT knows which host this port belongs to.
      const si = findSessionOutside(PROTO_UDP, Pkt.dst, get16(Pkt.l4 + UDP_DST_PORT), remote, get16(Pkt.l4 + UDP_SRC_PORT));
      if (si != NO_INDEX) k = addFloatedIke(sessionInAddr(si), sessionInPort(si), remote, ike);
    }
    if (k == NO_INDEX) return Verdict.NotMine;
  } else if (fromHost && ikeAt(k).host != Pkt.src) {
    return Verdict.NotMine;
  }
  if (waits(k, ike, fromHost)) return holdPacket(k, ike);
  const s = ikeAt(k);
  s.natt = s.natt | NATT_FLOATED;
  observeIke(k, ike, Pkt.l4Len - UDP_HEADER_LEN - NON_ESP_MARKER_LEN, fromHost, get16(Pkt.l4 + (fromHost ? UDP_DST_PORT : UDP_SRC_PORT)));
  return Verdict.NotMine;
}

// ---------------------------------------------------------------- ESP / AH

/** An SA found by lookup, unless it has been idle past its timeout (the sweep may not have reached it yet). */
function liveSa(a: u32): u32 {
  if (a == NO_INDEX || !expired(Pkt.now, saAt(a).last, timeout(T_IPSEC_SA) * 1000)) return a;
  removeSa(a);
  count(Counter.SasExpired);
  return NO_INDEX;
}

@inline function spiAt(l4: usize, proto: u8): u32 {
  return get32(l4 + (proto == PROTO_ESP ? ESP_SPI : AH_SPI));
}

function ipsecProtoIn2Out(): Verdict {
  if (Config.ipsecMode == IPSEC_OFF) return Verdict.NotMine;
  const proto = Pkt.proto;
  const host = Pkt.src, remote = Pkt.dst;
  if (Config.ipsecMode == IPSEC_MULTI && Pkt.l4 != 0) {
    const spi = spiAt(Pkt.l4, proto);
    let a = liveSa(findSa(remote, spi, SA_OUTBOUND, proto));
    if (a == NO_INDEX) {
      const ike = ikeFor(host, remote);
      a = addSa(proto, SA_OUTBOUND, spi, remote, host, ike, Pkt.now);
      if (a == NO_INDEX) return Verdict.Dropped;
      if (ike == NO_INDEX) advise(FINDING_MANUAL_KEYS, host, remote, Pkt.now);
      else showNewPair(host, remote);
    } else if (saAt(a).host != host) {
      count(Counter.DropEspAmbiguous); // two hosts claim one outbound SPI to one remote
      return Verdict.Dropped;
    }
    touchSa(a, Pkt.now);
  }
  if (proto == PROTO_AH) advise(FINDING_AH_THROUGH_PAT, host, remote, Pkt.now);
  decideOne(Config.wanAddr, NO_PORT, proto == PROTO_ESP ? Counter.IpsecEspIn2Out : Counter.IpsecAhIn2Out);
  return Verdict.Translated;
}

/** Inbound ESP/AH in multi mode: to the host its SPI is bound to, or a copy to each host it is shared by. */
function multiOut2In(proto: u8): Verdict {
  if (Pkt.l4 == 0) { count(Counter.DropEspUnknownSpi); return Verdict.Dropped; } // fragments.ts handles later fragments
  const spi = spiAt(Pkt.l4, proto);
  let a = liveSa(findSa(Pkt.src, spi, SA_INBOUND, proto));
  if (a == NO_INDEX) {
    a = bindInbound(Pkt.src, spi, proto, Pkt.now);
    if (a == NO_INDEX) return Verdict.Dropped;
  }
  touchSa(a, Pkt.now);
  const r = saAt(a);
  const n = <u32>r.candidates;
  decide(proto == PROTO_ESP ? Counter.IpsecEspOut2In : Counter.IpsecAhOut2In);
  for (let i: u32 = 0; i < n; i++) decideTarget(saCandidate(r, i), NO_PORT);
  if (n > 1) countMany(Counter.EspCopies, n - 1);
  return Verdict.Translated;
}

function ipsecProtoOut2In(): Verdict {
  if (Config.ipsecMode == IPSEC_OFF) return Verdict.NotMine;
  const proto = Pkt.proto;
  if (Config.ipsecMode == IPSEC_MULTI) return multiOut2In(proto);
  let host = Config.ikePortCount > 0 ? serverListOwnerOfUdp(load<u16>(Config.ikePorts)) : 0;
  if (host == 0 && Config.defaultServer != 0) {
    host = Config.defaultServer;
    advise(FINDING_ESP_TO_DEFAULT_SERVER, host, Pkt.src, Pkt.now);
  }
  if (host == 0) { count(Counter.DropEspUnknownSpi); return Verdict.Dropped; }
  decideOne(host, NO_PORT, proto == PROTO_ESP ? Counter.IpsecEspOut2In : Counter.IpsecAhOut2In);
  return Verdict.Translated;
}

// ---------------------------------------------------------------- ICMP errors about tunnels

/** The inside endpoint an ICMP error's quoted packet belongs to (RFC 5508 REQ-4), for nat/icmp-errors.ts. */

/**
 * Finds the LAN host of a quoted ESP/AH or IKE packet. out2in: the quote is a packet we sent out
 * (src our address, dst the remote); in2out: one we delivered to a host (src the remote, dst the
 * host). `l4` and `l4Bytes` are the quote's transport header and how much of it the error carries.
 */
export function ipsecQuoteOwner(out2in: bool, proto: u8, src: u32, dst: u32, l4: usize, l4Bytes: u32): bool {
  if (Config.ipsecMode != IPSEC_MULTI) return false;
  const remote = out2in ? dst : src;
  if (proto == PROTO_ESP || proto == PROTO_AH) {
    if (l4Bytes < <u32>(proto == PROTO_ESP ? ESP_SPI : AH_SPI) + 4) return false;
    const spi = spiAt(l4, proto);
    const a = findSa(remote, spi, out2in ? SA_OUTBOUND : SA_INBOUND, proto);
    if (a == NO_INDEX) return false;
    if (!out2in && !deliversTo(a, dst)) return false;
    QuoteOwner.addr = out2in ? saAt(a).host : Config.wanAddr;
    QuoteOwner.port = NO_PORT;
    return true;
  }
  if (proto != PROTO_UDP || l4Bytes < UDP_HEADER_LEN) return false;
  const ikePort = get16(l4 + (out2in ? UDP_SRC_PORT : UDP_DST_PORT));
  if (!isIkePort(ikePort) || get16(l4 + (out2in ? UDP_DST_PORT : UDP_SRC_PORT)) != ikePort) return false;
  // The IKE header names the session when the error quotes that far (Linux quotes up to 576 bytes);
  // RFC 792's eight bytes name only the ports: then the remote must talk IKE with one host alone.
  let host: u32 = 0, hostPort: u32 = 0;
  if (l4Bytes >= UDP_HEADER_LEN + IKE_SPIS_LEN) {
    const k = findIke(remote, ikePort, l4 + UDP_HEADER_LEN);
    if (k == NO_INDEX) return false;
    host = ikeAt(k).host;
    hostPort = ikeAt(k).hostPort;
  } else {
    if (collectIkePeers(remote, ikePort) != 1) return false;
    host = ikePeerAt(0).host;
    hostPort = ikePeerAt(0).hostPort;
  }
  if (!out2in && host != dst) return false;
  QuoteOwner.addr = out2in ? host : Config.wanAddr;
  QuoteOwner.port = out2in ? hostPort : ikePort;
  return true;
}

// ---------------------------------------------------------------- hooks

export function ipsecIn2Out(): Verdict {
  const proto = Pkt.proto;
  if (proto == PROTO_ESP || proto == PROTO_AH) return ipsecProtoIn2Out();
  if (proto != PROTO_UDP || Config.ipsecMode != IPSEC_MULTI || Pkt.l4 == 0) return Verdict.NotMine;
  // IKE to one of our own addresses hairpins to a LAN host (a VPN server behind a Server List entry):
  // no remote gateway is there, and NAPT carries it both ways. Read here, it would open an IKE session
  // with our own address, which its hairpinned half would then find and take back to the sender.
  if (isPublicAddress(Pkt.dst)) return Verdict.NotMine;
  const dport = get16(Pkt.l4 + UDP_DST_PORT);
  if (dport == NATT_PORT) return ikeOn4500(true);
  return isIkePort(dport) ? ikeIn2Out(dport) : Verdict.NotMine;
}

/** True when ipsecIn2Out or ipsecOut2In reads the datagrams of a UDP flow: in2out they go inPort ->
 *  remPort, out2in remPort -> extPort. */
export function ipsecReadsUdpFlow(inPort: u32, remPort: u32, extPort: u32): bool {
  if (Config.ipsecMode != IPSEC_MULTI) return false;
  return remPort == NATT_PORT || inPort == NATT_PORT || extPort == NATT_PORT || isIkePort(remPort) || isIkePort(extPort);
}

export function ipsecOut2In(): Verdict {
  const proto = Pkt.proto;
  if (proto == PROTO_ESP || proto == PROTO_AH) return ipsecProtoOut2In();
  if (proto != PROTO_UDP || Config.ipsecMode != IPSEC_MULTI || Pkt.l4 == 0) return Verdict.NotMine;
  if (get16(Pkt.l4 + UDP_SRC_PORT) == NATT_PORT) return ikeOn4500(false);
  const dport = get16(Pkt.l4 + UDP_DST_PORT);
  return isIkePort(dport) ? ikeOut2In(dport) : Verdict.NotMine;
}

// ---------------------------------------------------------------- timers

/** After each batch: held IKE packets go, in arrival order, as soon as nothing holds them any more
 *  (the router lets them go through ipsecNextHeld, nat/held.ts). */
export function ipsecAfterBatch(now: u32): void {
  if (holdEmpty()) return;
  beginRelease();
  heldReady();
}

/** The next held IKE packet whose wait is over (nat/held.ts NextHeld). */
export function ipsecNextHeld(now: u32): bool {
  const h = nextReleasable(now);
  if (h == 0) return false;
  Held.frame = heldFrame(h);
  Held.len = heldLen(h);
  Held.port = heldPort(h);
  return true;
}

export function ipsecTick(now: u32): void {
  const ikeIdle = timeout(T_IKE) * 1000, saIdle = timeout(T_IPSEC_SA) * 1000;
  const ikeN = ikeSlots(), saN = saSlots();
  for (let n: u32 = 0; n < SWEEP_PER_TICK && n < ikeN; n++) {
    const k = Alg.ikeCursor;
    Alg.ikeCursor = k + 1 >= ikeN ? 0 : k + 1;
    const s = ikeAt(k);
    if (s.used == 0) continue;
    if (expired(now, s.last, ikeIdle)) { removeIke(k); count(Counter.IkeSessionsExpired); continue; }
    // A child SA unbound for an SA lifetime will never be used: its host is owed nothing more.
    if (s.owed != 0 && expired(now, s.doneAt, saIdle)) s.owed = 0;
  }
  for (let n: u32 = 0; n < SWEEP_PER_TICK && n < saN; n++) {
    const i = Alg.saCursor;
    Alg.saCursor = i + 1 >= saN ? 0 : i + 1;
    const a = saAt(i);
    if (a.used != 0 && expired(now, a.last, saIdle)) { removeSa(i); count(Counter.SasExpired); }
  }
}

/** The state a dump shows for IKE session `s` (host/state.ts names them). */
function ikeState(s: IkeSession): u32 {
  if (s.held != 0) return IKE_HELD;
  if (s.open != 0) return IKE_NEGOTIATING;
  if (s.owed != 0) return IKE_AWAITING;
  return s.doneAt != 0 ? IKE_BOUND : IKE_IDLE;
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
    if (s.used == 0) return false;
    store<u32>(row, s.host, 0);
    store<u32>(row, s.hostPort, 4);
    store<u32>(row, s.remote, 8);
    store<u32>(row, s.extPort, 12);
    const at = changetype<usize>(s); // the cookies as they were on the wire, shown in network order
    store<u32>(row, get32(at + offsetof<IkeSession>("icookieHi")), 16);
    store<u32>(row, get32(at + offsetof<IkeSession>("icookieLo")), 20);
    store<u32>(row, get32(at + offsetof<IkeSession>("rcookieHi")), 24);
    store<u32>(row, get32(at + offsetof<IkeSession>("rcookieLo")), 28);
    store<u32>(row, s.version, 32);
    store<u32>(row, ikeState(s), 36);
    store<u32>(row, now - s.last, 40);
    store<u32>(row, s.natt, 44);
    return true;
  }
  if (table == DUMP_SAS) {
    const a = saAt(index);
    if (a.used == 0) return false;
    store<u32>(row, a.proto, 0);
    store<u32>(row, a.host, 4);
    store<u32>(row, a.remote, 8);
    store<u32>(row, a.spi, 12);
    store<u32>(row, a.dir, 16);
    store<u32>(row, a.packets, 20);
    store<u32>(row, now - a.last, 24);
    store<u32>(row, a.ike, 28);
    const n = <u32>a.candidates;
    store<u32>(row, n, 32);
    for (let i: u32 = 1; i < n; i++) store<u32>(row + ((i - 1) << 2), saCandidate(a, i), 36);
    return true;
  }
  return false;
}

/** The IPsec passthrough ALG as the NAT core calls it (nat/algs.ts). */
export const IPSEC_ALG = new AlgRecord(
  "ipsec", "UDP 500 and the IKE ports, UDP 4500, ESP, AH",
  ipsecInit, ipsecIn2Out, ipsecOut2In, ipsecReadsUdpFlow, ipsecQuoteOwner, ipsecAfterBatch, ipsecTick, ipsecNextHeld,
);
