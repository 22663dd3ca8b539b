// The configuration record: versioned, little-endian, written by the host into configBuffer()
// before init(). Layout (byte offsets are the constants below; lists follow the fixed part):
//   fixed part (CFG_FIXED bytes) | server entries (SERVER_BYTES each) | map entries (MAP_BYTES each)
//   | IKE ports (u16 each)
// Its twin is host/config.ts (JSON -> record, with field-named errors). Change both together.
// init() re-checks every range here too, so a hostile record is refused, never trusted.

export const CFG_MAGIC: u32 = 0x4643504e; // "NPCF" read little-endian
export const CFG_VERSION: u16 = 1;
export const CFG_CAPACITY: u32 = 4096;

export const O_MAGIC = 0;
export const O_VERSION = 4;
export const O_LENGTH = 6;
export const O_LAN_MAC = 8;
export const O_LAN_ADDR = 16;
export const O_LAN_PREFIX = 20;
export const O_WAN_PREFIX = 21;
export const O_FILTERING = 22;
export const O_FLAGS = 23;
export const O_WAN_MAC = 24;
export const O_IPSEC_MODE = 30;
export const O_WAN_ADDR = 32;
export const O_WAN_GATEWAY = 36;
export const O_ROUTED_ADDR = 40;
export const O_ROUTED_PREFIX = 44;
export const O_DEFAULT_SERVER = 48;
export const O_PORT_LO = 52;
export const O_PORT_HI = 54;
export const O_TIMEOUTS = 56; // TIMEOUT_COUNT x u32
export const O_CAPACITIES = 92; // CAPACITY_COUNT x u32
export const O_SERVER_COUNT = 140;
export const O_MAP_COUNT = 141;
export const O_IKE_PORT_COUNT = 142;
export const CFG_FIXED = 144;

export const SERVER_BYTES = 32; // u8 proto, u8 0, u16 extLo, u16 extHi, u16 inPort, u32 inAddr, u32 0, name[16]
export const MAP_BYTES = 24; // u32 inAddr, u32 extAddr (equal: a Transparent Map), u32 0, u32 0, name[16]
export const NAME_OFFSET_SERVER = 16;
export const NAME_OFFSET_MAP = 8;
export const NAME_BYTES = 16; // ASCII, NUL padded; for the console and state dumps only
export const SERVER_MAX = 64;
export const MAP_MAX = 64;
export const IKE_PORT_MAX = 8;

export const FLAG_WAN_PING: u8 = 1;
export const FLAG_HAIRPIN: u8 = 2;

export const FILTER_ENDPOINT_INDEPENDENT: u8 = 0;
export const FILTER_ADDRESS_DEPENDENT: u8 = 1;
export const FILTER_ADDRESS_AND_PORT_DEPENDENT: u8 = 2;

export const IPSEC_OFF: u8 = 0;
export const IPSEC_SERVER_LIST: u8 = 1;
export const IPSEC_MULTI: u8 = 2;

export const PROTO_SEL_UDP: u8 = 1;
export const PROTO_SEL_TCP: u8 = 2;

// Timeouts, in the order they are stored (u32 each).
export const T_UDP = 0; // s, RFC 4787 REQ-5: >= 120, default 300
export const T_TCP_ESTABLISHED = 1; // s, RFC 5382 REQ-5: >= 7440
export const T_TCP_TRANSITORY = 2; // s, RFC 5382: >= 240
export const T_ICMP = 3; // s, RFC 5508 REQ-1: >= 60
export const T_IPSEC_SA = 4; // s, idle ESP/AH SA binding
export const T_IKE = 5; // s, idle IKE session
export const T_IKE_HOLD = 6; // ms, longest an overlapping IKE exchange is held
export const T_FRAGMENT = 7; // ms, fragment tracking and holding
export const T_ARP = 8; // s, ARP cache entry lifetime
export const TIMEOUT_COUNT = 9;

// Capacities, in the order they are stored (u32 each).
export const C_SESSIONS = 0;
export const C_MAPPINGS = 1;
export const C_HOST_QUOTA = 2;
export const C_HOSTS = 3;
export const C_FRAGMENTS = 4;
export const C_FRAGMENT_HOLD = 5;
export const C_ARP_ENTRIES = 6;
export const C_ARP_QUEUE = 7;
export const C_BATCH = 8;
export const C_OUT_SLOTS = 9;
export const C_IKE_SESSIONS = 10;
export const C_IPSEC_SAS = 11;
export const CAPACITY_COUNT = 12;

/** init() result codes: 0 is success; each error names the field the host reports. */
export const CFG_OK = 0;
export const ERR_MAGIC = -1;
export const ERR_VERSION = -2;
export const ERR_LENGTH = -3;
export const ERR_LAN = -4;
export const ERR_WAN = -5;
export const ERR_FILTERING = -6;
export const ERR_IPSEC_MODE = -7;
export const ERR_PORT_RANGE = -8;
export const ERR_TIMEOUT = -9;
export const ERR_CAPACITY = -10;
export const ERR_SERVER_LIST = -11;
export const ERR_MAP_LIST = -12;
export const ERR_IKE_PORTS = -13;
export const ERR_MEMORY = -14;
export const ERR_DEFAULT_SERVER = -15;

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

/** Minimum lifetimes the RFCs require; a record asking for less is refused. */
function timeoutsValid(): bool {
  if (timeout(T_UDP) < 120) return false;
  if (timeout(T_TCP_ESTABLISHED) < 7440) return false;
  if (timeout(T_TCP_TRANSITORY) < 240) return false;
  if (timeout(T_ICMP) < 60) return false;
  if (timeout(T_IPSEC_SA) < 30 || timeout(T_IKE) < 30) return false;
  if (timeout(T_IKE_HOLD) < 100 || timeout(T_IKE_HOLD) > 120000) return false;
  if (timeout(T_FRAGMENT) < 100 || timeout(T_FRAGMENT) > 120000) return false;
  if (timeout(T_ARP) < 10) return false;
  for (let i = 0; i < TIMEOUT_COUNT; i++) if (timeout(i) > 0x7fffffff / 1000) return false;
  return true;
}

// Upper bounds per capacity, in the record's order (static data: nothing is allocated per call).
// Sessions and mappings: a flow index is 16 bits (nat/flow.ts).
const CAPACITY_LIMITS: StaticArray<u32> = [65535, 65535, 65535, 1 << 16, 4096, 1024, 4096, 1024, 1024, 4096, 1 << 16, 1 << 16];

function capacitiesValid(): bool {
  const limits = CAPACITY_LIMITS;
  for (let i = 0; i < CAPACITY_COUNT; i++) {
    const c = capacity(i);
    if (c == 0 || c > unchecked(limits[i])) return false;
  }
  return capacity(C_OUT_SLOTS) >= capacity(C_BATCH);
}

function inSubnet(addr: u32, net: u32, mask: u32): bool {
  return (addr & mask) == (net & mask);
}

/** Reads and checks the record written at configBuffer. Returns CFG_OK or the failing field's code. */
export function parseConfig(length: u32): i32 {
  const c = configBuffer;
  if (length < <u32>CFG_FIXED || length > CFG_CAPACITY) return ERR_LENGTH;
  if (load<u32>(c, O_MAGIC) != CFG_MAGIC) return ERR_MAGIC;
  if (load<u16>(c, O_VERSION) != CFG_VERSION) return ERR_VERSION;
  if (<u32>load<u16>(c, O_LENGTH) != length) return ERR_LENGTH;

  const lanPrefix = <u32>load<u8>(c, O_LAN_PREFIX);
  const wanPrefix = <u32>load<u8>(c, O_WAN_PREFIX);
  const routedPrefix = <u32>load<u8>(c, O_ROUTED_PREFIX);
  if (lanPrefix < 8 || lanPrefix > 30 || load<u32>(c, O_LAN_ADDR) == 0) return ERR_LAN;
  if (wanPrefix < 1 || wanPrefix > 32 || load<u32>(c, O_WAN_ADDR) == 0) return ERR_WAN;
  if (routedPrefix > 32) return ERR_LAN;
  Config.lanAddr = load<u32>(c, O_LAN_ADDR);
  Config.lanMask = maskOf(lanPrefix);
  Config.wanAddr = load<u32>(c, O_WAN_ADDR);
  Config.wanMask = maskOf(wanPrefix);
  Config.gateway = load<u32>(c, O_WAN_GATEWAY);
  Config.routedAddr = load<u32>(c, O_ROUTED_ADDR);
  Config.routedMask = maskOf(routedPrefix);
  if (Config.gateway != 0 && !inSubnet(Config.gateway, Config.wanAddr, Config.wanMask)) return ERR_WAN;
  if (inSubnet(Config.wanAddr, Config.lanAddr, Config.lanMask)) return ERR_WAN;

  const filtering = load<u8>(c, O_FILTERING);
  if (filtering > FILTER_ADDRESS_AND_PORT_DEPENDENT) return ERR_FILTERING;
  Config.filtering = filtering;
  const flags = load<u8>(c, O_FLAGS);
  Config.wanPing = (flags & FLAG_WAN_PING) != 0;
  Config.hairpin = (flags & FLAG_HAIRPIN) != 0;
  const mode = load<u8>(c, O_IPSEC_MODE);
  if (mode > IPSEC_MULTI) return ERR_IPSEC_MODE;
  Config.ipsecMode = mode;

  Config.portLo = load<u16>(c, O_PORT_LO);
  Config.portHi = load<u16>(c, O_PORT_HI);
  if (Config.portLo < 1024 || Config.portHi < Config.portLo || <u32>Config.portHi - <u32>Config.portLo < 255) return ERR_PORT_RANGE;
  if (!timeoutsValid()) return ERR_TIMEOUT;
  if (!capacitiesValid()) return ERR_CAPACITY;

  Config.serverCount = load<u8>(c, O_SERVER_COUNT);
  Config.mapCount = load<u8>(c, O_MAP_COUNT);
  Config.ikePortCount = load<u8>(c, O_IKE_PORT_COUNT);
  if (Config.serverCount > <u32>SERVER_MAX) return ERR_SERVER_LIST;
  if (Config.mapCount > <u32>MAP_MAX) return ERR_MAP_LIST;
  if (Config.ikePortCount > <u32>IKE_PORT_MAX) return ERR_IKE_PORTS;
  const need = <u32>CFG_FIXED + Config.serverCount * SERVER_BYTES + Config.mapCount * MAP_BYTES + Config.ikePortCount * 2;
  if (need != length) return ERR_LENGTH;
  Config.servers = c + CFG_FIXED;
  Config.maps = Config.servers + Config.serverCount * SERVER_BYTES;
  Config.ikePorts = Config.maps + Config.mapCount * MAP_BYTES;

  for (let i: u32 = 0; i < Config.serverCount; i++) {
    const e = Config.servers + i * SERVER_BYTES;
    const proto = load<u8>(e, 0);
    const lo = load<u16>(e, 2), hi = load<u16>(e, 4), inPort = load<u16>(e, 6);
    const host = load<u32>(e, 8);
    if (proto == 0 || proto > (PROTO_SEL_UDP | PROTO_SEL_TCP)) return ERR_SERVER_LIST;
    if (lo == 0 || hi < lo || inPort == 0 || <u32>inPort + (<u32>hi - <u32>lo) > 65535) return ERR_SERVER_LIST;
    if (!isLanHost(host)) return ERR_SERVER_LIST;
  }
  for (let i: u32 = 0; i < Config.mapCount; i++) {
    const e = Config.maps + i * MAP_BYTES;
    const inAddr = load<u32>(e, 0), extAddr = load<u32>(e, 4);
    if (!isLanHost(inAddr) || extAddr == 0 || extAddr == Config.wanAddr) return ERR_MAP_LIST;
  }
  for (let i: u32 = 0; i < Config.ikePortCount; i++) {
    if (load<u16>(Config.ikePorts + (i << 1)) == 0) return ERR_IKE_PORTS;
  }
  Config.defaultServer = load<u32>(c, O_DEFAULT_SERVER);
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
