// The configuration record: versioned, little-endian, written by the host into configBuffer()
// before init(). Layout (described once, in host/layout.ts; lists follow the fixed part):
//   fixed part (CFG_FIXED bytes) | server entries (SERVER_BYTES each) | map entries (MAP_BYTES each)
//   | IKE ports (u16 each)
// host/config.ts writes it from JSON (with field-named errors) from the same description.
// init() re-checks every range here too, so a hostile record is refused, never trusted.

// Every offset, value code, timeout and capacity index and error code comes from host/layout.ts, the one
// description of the record (`make layout` writes ./generated/config.ts).
export * from "./generated/config";
import {
  ConfigRecord, ServerEntry, MapEntry, CFG_MAGIC, CFG_VERSION, O_TIMEOUTS, O_CAPACITIES, CFG_FIXED, SERVER_BYTES, MAP_BYTES,
  SERVER_MAX, MAP_MAX, IKE_PORT_MAX, FLAG_WAN_PING, FLAG_HAIRPIN, FILTER_ADDRESS_AND_PORT_DEPENDENT, IPSEC_MULTI,
  PROTO_SEL_BOTH, TIMEOUT_COUNT, TIMEOUT_MIN, TIMEOUT_MAX, CAPACITY_MAX, CONFIG_BOUNDS, C_OUT_SLOTS, C_BATCH, C_IKE_SESSIONS, CAPACITY_COUNT, CFG_OK, ERR_MAGIC,
  ERR_VERSION, ERR_LENGTH, ERR_LAN, ERR_WAN, ERR_FILTERING, ERR_IPSEC_MODE, ERR_PORT_RANGE, ERR_TIMEOUT, ERR_CAPACITY,
  ERR_SERVER_LIST, ERR_MAP_LIST, ERR_IKE_PORTS, ERR_DEFAULT_SERVER,
} from "./generated/config";

export const CFG_CAPACITY: u32 = 4096;

export const configBuffer = memory.data(CFG_CAPACITY, 16);

/** The parsed configuration. Fields are plain globals so the fast path reads them directly. */
export class Config {
  static lanAddr: u32 = 0;
  static lanMask: u32 = 0;
  static wanAddr: u32 = 0;
  static wanMask: u32 = 0;
  static gateway: u32 = 0;
  static routedAddr: u32 = 0;
  static routedMask: u32 = 0;
  static defaultServer: u32 = 0;
  static filtering: u8 = 0;
  static wanPing: bool = true;
  static hairpin: bool = true;
  static ipsecMode: u8 = IPSEC_MULTI;
  static portLo: u16 = 1024;
  static portHi: u16 = 65535;
  static serverCount: u32 = 0;
  static servers: usize = 0;
  static mapCount: u32 = 0;
  static maps: usize = 0;
  static ikePortCount: u32 = 0;
  static ikePorts: usize = 0;
}

@inline export function timeout(index: i32): u32 {
  return load<u32>(configBuffer + O_TIMEOUTS + (<usize>index << 2));
}

@inline export function capacity(index: i32): u32 {
  return load<u32>(configBuffer + O_CAPACITIES + (<usize>index << 2));
}

@inline function maskOf(prefix: u32): u32 {
  return prefix == 0 ? 0 : <u32>(0xffffffff << (32 - prefix));
}

/** Each timeout within its bounds (CONFIG_BOUNDS: the RFC minimums; seconds stay below 2^31 ms). */
function timeoutsValid(): bool {
  const bounds = CONFIG_BOUNDS;
  for (let i = 0; i < TIMEOUT_COUNT; i++) {
    const t = timeout(i);
    if (t < unchecked(bounds[TIMEOUT_MIN + i]) || t > unchecked(bounds[TIMEOUT_MAX + i])) return false;
  }
  return true;
}

/** Each capacity from 1 to its most (CONFIG_BOUNDS; static data: nothing is allocated per call). */
function capacitiesValid(): bool {
  const bounds = CONFIG_BOUNDS;
  for (let i = 0; i < CAPACITY_COUNT; i++) {
    const c = capacity(i);
    if (c == 0 || c > unchecked(bounds[CAPACITY_MAX + i])) return false;
  }
  return capacity(C_OUT_SLOTS) >= capacity(C_BATCH);
}

function inSubnet(addr: u32, net: u32, mask: u32): bool {
  return (addr & mask) == (net & mask);
}

/** Reads and checks the record written at configBuffer. Returns CFG_OK or the failing field's code. */
export function parseConfig(length: u32): i32 {
  const c = configBuffer;
  const r = changetype<ConfigRecord>(c);
  if (length < <u32>CFG_FIXED || length > CFG_CAPACITY) return ERR_LENGTH;
  if (r.magic != CFG_MAGIC) return ERR_MAGIC;
  if (r.version != CFG_VERSION) return ERR_VERSION;
  if (<u32>r.length != length) return ERR_LENGTH;

  const lanPrefix = <u32>r.lanPrefix;
  const wanPrefix = <u32>r.wanPrefix;
  const routedPrefix = <u32>r.routedPrefix;
  if (lanPrefix < 8 || lanPrefix > 30 || r.lanAddr == 0) return ERR_LAN;
  if (wanPrefix < 1 || wanPrefix > 32 || r.wanAddr == 0) return ERR_WAN;
  if (routedPrefix > 32) return ERR_LAN;
  Config.lanAddr = r.lanAddr;
  Config.lanMask = maskOf(lanPrefix);
  Config.wanAddr = r.wanAddr;
  Config.wanMask = maskOf(wanPrefix);
  Config.gateway = r.wanGateway;
  Config.routedAddr = r.routedAddr;
  Config.routedMask = maskOf(routedPrefix);
  if (Config.gateway != 0 && !inSubnet(Config.gateway, Config.wanAddr, Config.wanMask)) return ERR_WAN;
  if (inSubnet(Config.wanAddr, Config.lanAddr, Config.lanMask)) return ERR_WAN;

  const filtering = r.filtering;
  if (filtering > FILTER_ADDRESS_AND_PORT_DEPENDENT) return ERR_FILTERING;
  Config.filtering = filtering;
  const flags = r.flags;
  Config.wanPing = (flags & FLAG_WAN_PING) != 0;
  Config.hairpin = (flags & FLAG_HAIRPIN) != 0;
  const mode = r.ipsecMode;
  if (mode > IPSEC_MULTI) return ERR_IPSEC_MODE;
  Config.ipsecMode = mode;

  Config.portLo = r.portLo;
  Config.portHi = r.portHi;
  if (Config.portLo < 1024 || Config.portHi < Config.portLo || <u32>Config.portHi - <u32>Config.portLo < 255) return ERR_PORT_RANGE;
  if (!timeoutsValid()) return ERR_TIMEOUT;
  if (!capacitiesValid()) return ERR_CAPACITY;

  Config.serverCount = r.serverCount;
  Config.mapCount = r.mapCount;
  Config.ikePortCount = r.ikePortCount;
  if (Config.serverCount > <u32>SERVER_MAX) return ERR_SERVER_LIST;
  if (Config.mapCount > <u32>MAP_MAX) return ERR_MAP_LIST;
  if (Config.ikePortCount > <u32>IKE_PORT_MAX) return ERR_IKE_PORTS;
  const need = <u32>CFG_FIXED + Config.serverCount * SERVER_BYTES + Config.mapCount * MAP_BYTES + Config.ikePortCount * 2;
  if (need != length) return ERR_LENGTH;
  Config.servers = c + CFG_FIXED;
  Config.maps = Config.servers + Config.serverCount * SERVER_BYTES;
  Config.ikePorts = Config.maps + Config.mapCount * MAP_BYTES;

  for (let i: u32 = 0; i < Config.serverCount; i++) {
    const e = changetype<ServerEntry>(Config.servers + i * SERVER_BYTES);
    const proto = e.proto;
    const lo = e.extLo, hi = e.extHi, inPort = e.inPort;
    if (proto == 0 || proto > PROTO_SEL_BOTH) return ERR_SERVER_LIST;
    if (lo == 0 || hi < lo || inPort == 0 || <u32>inPort + (<u32>hi - <u32>lo) > 65535) return ERR_SERVER_LIST;
    if (!isLanHost(e.inAddr)) return ERR_SERVER_LIST;
  }
  for (let i: u32 = 0; i < Config.mapCount; i++) {
    const e = changetype<MapEntry>(Config.maps + i * MAP_BYTES);
    const inAddr = e.inAddr, extAddr = e.extAddr;
    if (!isLanHost(inAddr) || extAddr == 0 || extAddr == Config.wanAddr) return ERR_MAP_LIST;
  }
  for (let i: u32 = 0; i < Config.ikePortCount; i++) {
    if (load<u16>(Config.ikePorts + (i << 1)) == 0) return ERR_IKE_PORTS;
  }
  Config.defaultServer = r.defaultServer;
  if (Config.defaultServer != 0 && !isLanHost(Config.defaultServer)) return ERR_DEFAULT_SERVER;
  return CFG_OK;
}

/** True for an address on the LAN side: the LAN subnet or the routed subnet behind the router. */
export function isLanHost(addr: u32): bool {
  if (addr == 0) return false;
  if (inSubnet(addr, Config.lanAddr, Config.lanMask)) return addr != Config.lanAddr;
  if (Config.routedAddr != 0 && inSubnet(addr, Config.routedAddr, Config.routedMask)) return addr != Config.routedAddr;
  return false;
}

/** Compile-time capacities that are not worth a config field. */
// IKE packets held while another host's negotiation with the same remote is pending: half the IKE
// table, 2 to 16 slots (each holds a whole frame, so a small board's table must not pay for 16).
export function ikeHoldSlots(): u32 { return min<u32>(16, max<u32>(2, capacity(C_IKE_SESSIONS) >> 1)); }
export const FINDING_SLOTS: u32 = 64; // advisor findings kept (oldest replaced)
