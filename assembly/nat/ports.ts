// External port (and ICMP identifier) allocation on the WAN address, one bitmap per protocol.
// RFC 4787 REQ-3/4: keep the host's port when it is free ("port preservation"), otherwise take a free
// port of the same parity from the configured range, searched word by word from a rotating cursor:
// bounded work (at most range/32 words) and no randomised retry loops.
// Server List ports and the ALG's IKE ports are reserved: dynamic mappings never take them. They are
// looked up in the config rather than kept in bitmaps of their own (24 KiB a small board cannot spare).
import { Config, SERVER_BYTES, PROTO_SEL_UDP, PROTO_SEL_TCP } from "../config";
import { arenaTake } from "../arena";
import { PROTO_TCP, PROTO_UDP } from "../wire/ipv4";

const BITMAP_BYTES: usize = 8192; // 65536 ports
const PROTOS = 3; // UDP, TCP, ICMP

class Ports {
  static used: usize = 0; // PROTOS bitmaps of ports held by mappings
  static cursor: u32 = 0;
  static ikePorts: usize = 0; // u16 ports the ALG owns on UDP, when it reserves them
  static ikeCount: u32 = 0;
}

@inline export function protoIndex(proto: u8): u32 {
  return proto == PROTO_UDP ? 0 : proto == PROTO_TCP ? 1 : 2;
}

@inline function bitAddr(base: usize, pidx: u32, port: u32): usize {
  return base + <usize>pidx * BITMAP_BYTES + (<usize>(port >>> 5) << 2);
}

@inline function testBit(base: usize, pidx: u32, port: u32): bool {
  return (load<u32>(bitAddr(base, pidx, port)) & (1 << (port & 31))) != 0;
}

@inline function setBit(base: usize, pidx: u32, port: u32, on: bool): void {
  const p = bitAddr(base, pidx, port);
  const m: u32 = 1 << (port & 31);
  store<u32>(p, on ? load<u32>(p) | m : load<u32>(p) & ~m);
}

export function portsInit(ikePorts: usize, ikeCount: u32, reserveIke: bool): bool {
  Ports.used = arenaTake(BITMAP_BYTES * PROTOS);
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

@inline function free(pidx: u32, port: u32): bool {
  return !testBit(Ports.used, pidx, port) && !reserved(pidx, port);
}

/** Claims a port for a new dynamic mapping; returns 0 when the range is exhausted. */
export function allocatePort(proto: u8, wanted: u32): u32 {
  const pidx = protoIndex(proto);
  if (wanted != 0 && free(pidx, wanted)) {
    setBit(Ports.used, pidx, wanted, true);
    return wanted;
  }
  const lo = <u32>Config.portLo, hi = <u32>Config.portHi;
  const span = hi - lo + 1;
  const parity = wanted & 1;
  let p = Ports.cursor;
  if (p < lo || p > hi) p = lo;
  for (let n: u32 = 0; n < span; n++) {
    // Skip whole words that are fully taken.
    if ((p & 31) == 0 && p + 31 <= hi) {
      if (load<u32>(bitAddr(Ports.used, pidx, p)) == 0xffffffff) {
        n += 31;
        p += 32;
        if (p > hi) p = lo;
        continue;
      }
    }
    if ((p & 1) == parity && free(pidx, p)) {
      setBit(Ports.used, pidx, p, true);
      Ports.cursor = p + 1;
      return p;
    }
    p = p >= hi ? lo : p + 1;
  }
  // No port of the wanted parity: RFC 4787 REQ-4 is a SHOULD, so take any free one.
  for (let q = lo; q <= hi; q++) {
    if (free(pidx, q)) {
      setBit(Ports.used, pidx, q, true);
      return q;
    }
  }
  return 0;
}

/** Claims exactly this port if it is free (the Default Server keeps the port it was reached on). */
export function claimPort(proto: u8, port: u32): bool {
  const pidx = protoIndex(proto);
  if (!free(pidx, port)) return false;
  setBit(Ports.used, pidx, port, true);
  return true;
}

/** Claims a Server List port (reserved, so free only of other mappings). */
export function claimReservedPort(proto: u8, port: u32): bool {
  const pidx = protoIndex(proto);
  if (testBit(Ports.used, pidx, port)) return false;
  setBit(Ports.used, pidx, port, true);
  return true;
}

export function releasePort(proto: u8, port: u32): void {
  setBit(Ports.used, protoIndex(proto), port, false);
}
