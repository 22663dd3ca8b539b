// External port (and ICMP identifier) allocation on the WAN address.
// RFC 4787 REQ-3/4: keep the host's port when it is free ("port preservation"), otherwise take a free
// port of the same parity from the configured range, searched word by word from a rotating cursor:
// bounded work (at most range/32 words) and no randomised retry loops.
// Only the dynamic range has bitmaps (one per protocol). A port outside it (kept by preservation, a
// Server List entry or the Default Server) is in use exactly when a mapping holds it on the WAN
// address, so the mappings table answers for it; a board that sets a narrow range pays for that
// range only. Server List ports and the ALG's IKE ports are reserved (dynamic mappings never take
// them); they are looked up in the config.
import { Config, SERVER_BYTES, PROTO_SEL_UDP, PROTO_SEL_TCP } from "../config";
import { arenaTake } from "../arena";
import { PROTO_TCP, PROTO_UDP } from "../wire/ipv4";
import { leadByOutside } from "./mappings";
import { NO_FLOW } from "./flow";

const PROTOS = 3; // UDP, TCP, ICMP

class Ports {
  static used: usize = 0; // PROTOS bitmaps of the range's ports held by mappings
  static words: u32 = 0; // u32 words per bitmap
  static cursor: u32 = 0;
  static ikePorts: usize = 0; // u16 ports the ALG owns on UDP, when it reserves them
  static ikeCount: u32 = 0;
}

@inline export function protoIndex(proto: u8): u32 {
  return proto == PROTO_UDP ? 0 : proto == PROTO_TCP ? 1 : 2;
}

@inline function inRange(port: u32): bool {
  return port >= <u32>Config.portLo && port <= <u32>Config.portHi;
}

// Bit addresses are relative to the range's first port.
@inline function wordAddr(pidx: u32, port: u32): usize {
  return Ports.used + ((<usize>pidx * Ports.words + <usize>((port - <u32>Config.portLo) >>> 5)) << 2);
}

@inline function bitOf(port: u32): u32 {
  return 1 << ((port - <u32>Config.portLo) & 31);
}

function taken(proto: u8, pidx: u32, port: u32): bool {
  if (inRange(port)) return (load<u32>(wordAddr(pidx, port)) & bitOf(port)) != 0;
  return leadByOutside(proto, <u32>bswap<u16>(<u16>port)) != NO_FLOW;
}

/** Marks a range port; a port outside the range is marked by the mapping the caller adds next. */
function mark(pidx: u32, port: u32, on: bool): void {
  if (!inRange(port)) return;
  const p = wordAddr(pidx, port);
  store<u32>(p, on ? load<u32>(p) | bitOf(port) : load<u32>(p) & ~bitOf(port));
}

export function portsInit(ikePorts: usize, ikeCount: u32, reserveIke: bool): bool {
  Ports.words = ((<u32>Config.portHi - <u32>Config.portLo + 1) + 31) >>> 5;
  Ports.used = arenaTake(<usize>Ports.words * 4 * PROTOS);
  if (Ports.used == 0) return false;
  Ports.cursor = Config.portLo;
  Ports.ikePorts = ikePorts;
  Ports.ikeCount = reserveIke ? ikeCount : 0;
  return true;
}

/** Port (or ICMP identifier) 0, a Server List port, or an IKE port the ALG owns. */
function reserved(pidx: u32, port: u32): bool {
  if (port == 0) return true;
  if (pidx == 2) return false;
  const want: u8 = pidx == 0 ? PROTO_SEL_UDP : PROTO_SEL_TCP;
  for (let i: u32 = 0; i < Config.serverCount; i++) {
    const e = Config.servers + i * SERVER_BYTES;
    if ((load<u8>(e, 0) & want) != 0 && port >= <u32>load<u16>(e, 2) && port <= <u32>load<u16>(e, 4)) return true;
  }
  if (pidx == 0) for (let i: u32 = 0; i < Ports.ikeCount; i++) if (<u32>load<u16>(Ports.ikePorts + (i << 1)) == port) return true;
  return false;
}

@inline function free(proto: u8, pidx: u32, port: u32): bool {
  return !reserved(pidx, port) && !taken(proto, pidx, port);
}

/** Claims a port for a new dynamic mapping; returns 0 when the range is exhausted. */
export function allocatePort(proto: u8, wanted: u32): u32 {
  const pidx = protoIndex(proto);
  if (wanted != 0 && free(proto, pidx, wanted)) {
    mark(pidx, wanted, true);
    return wanted;
  }
  const lo = <u32>Config.portLo, hi = <u32>Config.portHi;
  const span = hi - lo + 1;
  const parity = wanted & 1;
  let p = Ports.cursor;
  if (p < lo || p > hi) p = lo;
  for (let n: u32 = 0; n < span; n++) {
    // Skip whole words that are fully taken.
    if (((p - lo) & 31) == 0 && p + 31 <= hi && load<u32>(wordAddr(pidx, p)) == 0xffffffff) {
      n += 31;
      p += 32;
      if (p > hi) p = lo;
      continue;
    }
    if ((p & 1) == parity && free(proto, pidx, p)) {
      mark(pidx, p, true);
      Ports.cursor = p + 1;
      return p;
    }
    p = p >= hi ? lo : p + 1;
  }
  // No port of the wanted parity: RFC 4787 REQ-4 is a SHOULD, so take any free one.
  for (let q = lo; q <= hi; q++) {
    if (free(proto, pidx, q)) {
      mark(pidx, q, true);
      return q;
    }
  }
  return 0;
}

/** Claims exactly this port if it is free (the Default Server keeps the port it was reached on). */
export function claimPort(proto: u8, port: u32): bool {
  const pidx = protoIndex(proto);
  if (!free(proto, pidx, port)) return false;
  mark(pidx, port, true);
  return true;
}

/** Claims a Server List port (reserved, so free only of other mappings). */
export function claimReservedPort(proto: u8, port: u32): bool {
  const pidx = protoIndex(proto);
  if (taken(proto, pidx, port)) return false;
  mark(pidx, port, true);
  return true;
}

export function releasePort(proto: u8, port: u32): void {
  mark(protoIndex(proto), port, false);
}
