// The NAT slow path: creating mappings and sessions on a lookup miss, in each direction.
// in2out: reuse the endpoint's mapping (endpoint-independent mapping, RFC 4787 REQ-1), else claim a
//   port (the Server List's port for a forwarded server, else port preservation) under the host's quota.
// out2in: a mapping admits a new remote according to the filtering setting (RFC 4787 REQ-8), else the
//   Server List, else the Default Server; anything else is unsolicited and dropped.
// TCP flows start only with a SYN (RFC 5382 REQ-1/2: simultaneous open through an existing mapping works).
import { Config, FILTER_ENDPOINT_INDEPENDENT, FILTER_ADDRESS_DEPENDENT } from "../config";
import { Counter, count } from "../counters";
import { PROTO_TCP, PROTO_UDP } from "../wire/ipv4";
import { NO_INDEX } from "./hash";
import { allocatePort, claimPort, claimReservedPort, releasePort } from "./ports";
import { hostTake, hostRelease } from "./hosts";
import { addMapping, mappingsFree, findMappingByInside, findMappingByOutside, mappingAt, removeMapping, MAPPING_STATIC, M_FLAGS, M_SESSION_COUNT } from "./mappings";
import { addSession, mappingKnowsAddress, SESSION_SERVER_LIST, SESSION_DEFAULT_SERVER } from "./sessions";
import { NONE, serverForInternal, serverExternalPort, serverForExternal, serverHost, serverInternalPort } from "./static";

const PORT_PREFER: u8 = 0; // keep the host's port if free, else any (port preservation)
const PORT_EXACT: u8 = 1; // this port or nothing (the Default Server keeps the port it was reached on)
const PORT_RESERVED: u8 = 2; // a Server List port

function newMapping(proto: u8, inAddr: u32, inPort: u32, extPort: u32, how: u8, now: u32): u32 {
  if (!hostTake(inAddr, mappingsFree())) return NO_INDEX; // counted there
  let port: u32 = 0;
  if (how == PORT_PREFER) port = allocatePort(proto, extPort);
  else if (how == PORT_EXACT) port = claimPort(proto, extPort) ? extPort : 0;
  else port = claimReservedPort(proto, extPort) ? extPort : 0;
  const reserved = how == PORT_RESERVED;
  if (port == 0) {
    hostRelease(inAddr);
    count(Counter.DropPortsExhausted);
    return NO_INDEX;
  }
  const m = addMapping(proto, inAddr, inPort, Config.wanAddr, port, reserved ? MAPPING_STATIC : 0, now);
  if (m == NO_INDEX) {
    releasePort(proto, port);
    hostRelease(inAddr);
  }
  return m;
}

/** A session under `mapping`; a mapping left without sessions is removed again. */
function sessionUnder(mapping: u32, proto: u8, remAddr: u32, remPort: u32, flags: u8, now: u32): u32 {
  const s = addSession(mapping, proto, remAddr, remPort, flags, now);
  if (s == NO_INDEX && load<u32>(mappingAt(mapping), M_SESSION_COUNT) == 0) removeMapping(mapping);
  return s;
}

export function createIn2Out(proto: u8, inAddr: u32, inPort: u32, remAddr: u32, remPort: u32, now: u32): u32 {
  let m = findMappingByInside(proto, inAddr, inPort);
  if (m == NO_INDEX) {
    const server = proto == PROTO_UDP || proto == PROTO_TCP ? serverForInternal(proto, inAddr, inPort) : NONE;
    m = server != NONE
      ? newMapping(proto, inAddr, inPort, serverExternalPort(server, inPort), PORT_RESERVED, now)
      : newMapping(proto, inAddr, inPort, inPort, PORT_PREFER, now);
    if (m == NO_INDEX) return NO_INDEX;
  }
  return sessionUnder(m, proto, remAddr, remPort, 0, now);
}

/** True when filtering lets `remAddr` reach an existing mapping it has no session with. */
function admits(m: u32, remAddr: u32): bool {
  if ((load<u8>(mappingAt(m), M_FLAGS) & MAPPING_STATIC) != 0) return true;
  if (Config.filtering == FILTER_ENDPOINT_INDEPENDENT) return true;
  if (Config.filtering == FILTER_ADDRESS_DEPENDENT) return mappingKnowsAddress(m, remAddr);
  return false; // address-and-port-dependent: only the exact session, which was not found
}

export function createOut2In(proto: u8, extPort: u32, remAddr: u32, remPort: u32, startsFlow: bool, now: u32): u32 {
  const m = findMappingByOutside(proto, Config.wanAddr, extPort);
  if (m != NO_INDEX) {
    if (!admits(m, remAddr)) { count(Counter.DropFiltered); return NO_INDEX; }
    if (!startsFlow) { count(Counter.DropTcpNotSyn); return NO_INDEX; }
    return sessionUnder(m, proto, remAddr, remPort, 0, now);
  }
  const server = proto == PROTO_UDP || proto == PROTO_TCP ? serverForExternal(proto, extPort) : NONE;
  if (server != NONE) {
    if (!startsFlow) { count(Counter.DropTcpNotSyn); return NO_INDEX; }
    const sm = newMapping(proto, serverHost(server), serverInternalPort(server, extPort), extPort, PORT_RESERVED, now);
    if (sm == NO_INDEX) return NO_INDEX;
    count(Counter.ServerListIn);
    return sessionUnder(sm, proto, remAddr, remPort, SESSION_SERVER_LIST, now);
  }
  if (Config.defaultServer != 0) {
    if (!startsFlow) { count(Counter.DropTcpNotSyn); return NO_INDEX; }
    const dm = newMapping(proto, Config.defaultServer, extPort, extPort, PORT_EXACT, now);
    if (dm == NO_INDEX) return NO_INDEX;
    count(Counter.DefaultServerIn);
    return sessionUnder(dm, proto, remAddr, remPort, SESSION_DEFAULT_SERVER, now);
  }
  count(Counter.DropUnsolicited);
  return NO_INDEX;
}
