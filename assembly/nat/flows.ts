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
import { NO_FLOW } from "./flow";
import { allocatePort, claimPort, claimReservedPort, releasePort } from "./ports";
import { hostTake, hostRelease } from "./hosts";
import { mappingsFree, leadByInside, leadByOutside } from "./mappings";
import { addSession, sessionInPort, sessionExtPort, mappingKnowsAddress, mappingIsStatic, SESSION_SERVER_LIST, SESSION_DEFAULT_SERVER } from "./sessions";
import { NONE, serverForInternal, serverExternalPort, serverForExternal, serverHost, serverInternalPort } from "./static";
import { isPublicAddress } from "./public";
import { algReadsUdpFlow } from "./algs";

const PORT_PREFER: u8 = 0; // keep the host's port if free, else any (port preservation)
const PORT_EXACT: u8 = 1; // this port or nothing (the Default Server keeps the port it was reached on)
const PORT_RESERVED: u8 = 2; // a Server List port

/** True when every packet of a session must take the long way: an ALG reads its datagrams (either
 *  way: in2out they carry inPort -> remPort, out2in remPort -> extPort), it hairpins (its remote is one of
 *  our public addresses), or it has no route (an off-link remote and no gateway; config is fixed). */
function slowFlow(proto: u8, inPort: u32, extPort: u32, remAddr: u32, remPort: u32): bool {
  if (isPublicAddress(remAddr)) return true;
  if (Config.gateway == 0 && ((remAddr ^ Config.wanAddr) & Config.wanMask) != 0) return true;
  return proto == PROTO_UDP && algReadsUdpFlow(inPort, remPort, extPort);
}

/** A session under the mapping led by `lead`. */
function sessionUnder(lead: u32, proto: u8, remAddr: u32, remPort: u32, flags: u8, now: u32): u32 {
  return addSession(lead, proto, 0, 0, 0, false, remAddr, remPort, flags, slowFlow(proto, sessionInPort(lead), sessionExtPort(lead), remAddr, remPort), now);
}

/** A new mapping (inAddr, inPort) with its first session; the port and the host's quota are claimed
 *  first and given back when the session cannot be made. */
function newMapping(proto: u8, inAddr: u32, inPort: u32, extPort: u32, how: u8, remAddr: u32, remPort: u32, flags: u8, now: u32): u32 {
  if (!hostTake(inAddr, mappingsFree())) return NO_INDEX; // counted there
  let port: u32 = 0;
  if (how == PORT_PREFER) port = allocatePort(proto, extPort);
  else if (how == PORT_EXACT) port = claimPort(proto, extPort) ? extPort : 0;
  else port = claimReservedPort(proto, extPort) ? extPort : 0;
  if (port == 0) {
    hostRelease(inAddr);
    count(Counter.DropPortsExhausted);
    return NO_INDEX;
  }
  const s = addSession(NO_FLOW, proto, inAddr, inPort, port, how == PORT_RESERVED, remAddr, remPort, flags,
    slowFlow(proto, inPort, port, remAddr, remPort), now);
  if (s == NO_INDEX) {
    releasePort(proto, port);
    hostRelease(inAddr);
  }
  return s;
}

export function createIn2Out(proto: u8, inAddr: u32, inPort: u32, remAddr: u32, remPort: u32, now: u32): u32 {
  const lead = leadByInside(proto, bswap<u32>(inAddr), <u32>bswap<u16>(<u16>inPort));
  if (lead != NO_FLOW) return sessionUnder(lead, proto, remAddr, remPort, 0, now);
  const server = proto == PROTO_UDP || proto == PROTO_TCP ? serverForInternal(proto, inAddr, inPort) : NONE;
  return server != NONE
    ? newMapping(proto, inAddr, inPort, serverExternalPort(server, inPort), PORT_RESERVED, remAddr, remPort, 0, now)
    : newMapping(proto, inAddr, inPort, inPort, PORT_PREFER, remAddr, remPort, 0, now);
}

/** True when filtering lets `remAddr` reach an existing mapping it has no session with. */
function admits(lead: u32, remAddr: u32): bool {
  if (mappingIsStatic(lead)) return true;
  if (Config.filtering == FILTER_ENDPOINT_INDEPENDENT) return true;
  if (Config.filtering == FILTER_ADDRESS_DEPENDENT) return mappingKnowsAddress(lead, remAddr);
  return false; // address-and-port-dependent: only the exact session, which was not found
}

export function createOut2In(proto: u8, extPort: u32, remAddr: u32, remPort: u32, startsFlow: bool, now: u32): u32 {
  const lead = leadByOutside(proto, <u32>bswap<u16>(<u16>extPort));
  if (lead != NO_FLOW) {
    if (!admits(lead, remAddr)) { count(Counter.DropFiltered); return NO_INDEX; }
    if (!startsFlow) { count(Counter.DropTcpNotSyn); return NO_INDEX; }
    return sessionUnder(lead, proto, remAddr, remPort, 0, now);
  }
  const server = proto == PROTO_UDP || proto == PROTO_TCP ? serverForExternal(proto, extPort) : NONE;
  if (server != NONE) {
    if (!startsFlow) { count(Counter.DropTcpNotSyn); return NO_INDEX; }
    const s = newMapping(proto, serverHost(server), serverInternalPort(server, extPort), extPort, PORT_RESERVED, remAddr, remPort, SESSION_SERVER_LIST, now);
    if (s != NO_INDEX) count(Counter.ServerListIn);
    return s;
  }
  if (Config.defaultServer != 0) {
    if (!startsFlow) { count(Counter.DropTcpNotSyn); return NO_INDEX; }
    // The server's endpoint with this port may already be mapped to another port (this one was taken
    // when it went out): a second mapping would give one endpoint two ports (RFC 4787 REQ-1).
    if (leadByInside(proto, bswap<u32>(Config.defaultServer), <u32>bswap<u16>(<u16>extPort)) != NO_FLOW) {
      count(Counter.DropUnsolicited);
      return NO_INDEX;
    }
    const s = newMapping(proto, Config.defaultServer, extPort, extPort, PORT_EXACT, remAddr, remPort, SESSION_DEFAULT_SERVER, now);
    if (s != NO_INDEX) count(Counter.DefaultServerIn);
    return s;
  }
  count(Counter.DropUnsolicited);
  return NO_INDEX;
}
