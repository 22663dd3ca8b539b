// The technote's static rules: the Map List (1:1 maps of a LAN host to a public address; a Transparent
// Map has internal == external and passes with no rewrite), the Server List (inbound port forwards,
// which also give the server's own outbound traffic its forwarded port), and the Default Server.
// Lists are at most 64 entries; the Map List is consulted per packet only when it is non-empty.
import { Config, MAP_BYTES, SERVER_BYTES, PROTO_SEL_UDP, PROTO_SEL_TCP } from "../config";
import { PROTO_UDP, PROTO_TCP } from "../wire/ipv4";

export const NONE: i32 = -1;

@inline export function mapInternal(i: i32): u32 { return load<u32>(Config.maps + <usize>i * MAP_BYTES); }
@inline export function mapExternal(i: i32): u32 { return load<u32>(Config.maps + <usize>i * MAP_BYTES, 4); }
@inline export function isTransparent(i: i32): bool { return mapInternal(i) == mapExternal(i); }

/** The Map List entry for a LAN host, or NONE. */
export function mapForInside(addr: u32): i32 {
  const n = <i32>Config.mapCount;
  for (let i = 0; i < n; i++) if (mapInternal(i) == addr) return i;
  return NONE;
}

/** The Map List entry that owns a public address, or NONE. */
export function mapForOutside(addr: u32): i32 {
  const n = <i32>Config.mapCount;
  for (let i = 0; i < n; i++) if (mapExternal(i) == addr) return i;
  return NONE;
}

@inline function selects(entry: usize, proto: u8): bool {
  const sel = load<u8>(entry);
  return (proto == PROTO_UDP && (sel & PROTO_SEL_UDP) != 0) || (proto == PROTO_TCP && (sel & PROTO_SEL_TCP) != 0);
}

/** The Server List entry forwarding this external port, or NONE. */
export function serverForExternal(proto: u8, port: u32): i32 {
  const n = <i32>Config.serverCount;
  for (let i = 0; i < n; i++) {
    const e = Config.servers + <usize>i * SERVER_BYTES;
    if (selects(e, proto) && port >= <u32>load<u16>(e, 2) && port <= <u32>load<u16>(e, 4)) return i;
  }
  return NONE;
}

/** The Server List entry whose internal side is this endpoint (the server talking out), or NONE. */
export function serverForInternal(proto: u8, addr: u32, port: u32): i32 {
  const n = <i32>Config.serverCount;
  for (let i = 0; i < n; i++) {
    const e = Config.servers + <usize>i * SERVER_BYTES;
    if (!selects(e, proto) || load<u32>(e, 8) != addr) continue;
    const inLo = <u32>load<u16>(e, 6);
    const span = <u32>load<u16>(e, 4) - <u32>load<u16>(e, 2);
    if (port >= inLo && port <= inLo + span) return i;
  }
  return NONE;
}

@inline export function serverHost(i: i32): u32 { return load<u32>(Config.servers + <usize>i * SERVER_BYTES, 8); }

/** Internal port for an external port of entry i (ranges map one to one). */
@inline export function serverInternalPort(i: i32, extPort: u32): u32 {
  const e = Config.servers + <usize>i * SERVER_BYTES;
  return <u32>load<u16>(e, 6) + (extPort - <u32>load<u16>(e, 2));
}

@inline export function serverExternalPort(i: i32, inPort: u32): u32 {
  const e = Config.servers + <usize>i * SERVER_BYTES;
  return <u32>load<u16>(e, 2) + (inPort - <u32>load<u16>(e, 6));
}

/** The LAN host with a Server List entry for this UDP port (the technote's 4.8 ESP owner), or 0. */
export function serverListOwnerOfUdp(port: u32): u32 {
  const i = serverForExternal(PROTO_UDP, port);
  return i == NONE ? 0 : serverHost(i);
}
