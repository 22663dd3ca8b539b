// The router configuration as users write it (JSON) and as the module reads it (the binary record
// of assembly/config.ts). parseConfig() fills defaults and refuses bad input with the field's path;
// encodeConfig() lays out the record. Addresses are dotted quads; the record holds them as u32.

export type Filtering = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';
export type IpsecMode = 'off' | 'server-list' | 'multi';
export type ServerProtocol = 'udp' | 'tcp' | 'both';

export interface ServerEntry { name: string; protocol: ServerProtocol; externalPort: number; externalPortEnd: number; internalHost: string; internalPort: number }
export interface MapEntry { name: string; internal: string; external: string }

export interface RouterConfig {
  lan: { mac: string; address: string; prefix: number; routedSubnet: { address: string; prefix: number } | null };
  wan: { mac: string; address: string; prefix: number; gateway: string; answerPing: boolean };
  nat: {
    filtering: Filtering;
    hairpin: boolean;
    portRange: [number, number];
    serverList: ServerEntry[];
    defaultServer: string | null;
    mapList: MapEntry[];
  };
  ipsec: { mode: IpsecMode; ikePorts: number[] };
  timeouts: Timeouts;
  limits: Limits;
}

/** Seconds unless the name says Ms. Order = the record's order (assembly/config.ts T_*). */
export const TIMEOUT_FIELDS = ['udp', 'tcpEstablished', 'tcpTransitory', 'icmp', 'ipsecSa', 'ike', 'ikeHoldMs', 'fragmentMs', 'arp'] as const;
export type Timeouts = Record<(typeof TIMEOUT_FIELDS)[number], number>;
/** Order = the record's order (assembly/config.ts C_*). */
export const LIMIT_FIELDS = ['sessions', 'mappings', 'hostQuota', 'hosts', 'fragments', 'fragmentHold', 'arpEntries', 'arpQueue', 'batch', 'outSlots', 'ikeSessions', 'ipsecSas'] as const;
export type Limits = Record<(typeof LIMIT_FIELDS)[number], number>;

/** Minimums from RFC 4787 REQ-5 (UDP 120 s), RFC 5382 REQ-5 (7440 s / 240 s), RFC 5508 (ICMP 60 s). */
const TIMEOUT_RANGES: Timeouts = { udp: 120, tcpEstablished: 7440, tcpTransitory: 240, icmp: 60, ipsecSa: 30, ike: 30, ikeHoldMs: 100, fragmentMs: 100, arp: 10 };
const TIMEOUT_MAX = Math.floor(0x7fffffff / 1000);
const LIMIT_MAX: Limits = { sessions: 1 << 20, mappings: 1 << 20, hostQuota: 65535, hosts: 1 << 16, fragments: 4096, fragmentHold: 1024, arpEntries: 4096, arpQueue: 1024, batch: 1024, outSlots: 4096, ikeSessions: 1 << 16, ipsecSas: 1 << 16 };

export const DEFAULT_TIMEOUTS: Timeouts = { udp: 300, tcpEstablished: 7440, tcpTransitory: 240, icmp: 60, ipsecSa: 3600, ike: 3600, ikeHoldMs: 10000, fragmentMs: 5000, arp: 300 };
export const DEFAULT_LIMITS: Limits = { sessions: 65536, mappings: 32768, hostQuota: 4096, hosts: 1024, fragments: 256, fragmentHold: 64, arpEntries: 256, arpQueue: 64, batch: 256, outSlots: 512, ikeSessions: 1024, ipsecSas: 4096 };

/** The embedded default: the technote's 192.168.1.1/24 LAN and a documentation-range WAN. */
export const DEFAULT_CONFIG_JSON = {
  lan: { mac: '02:00:00:00:01:01', address: '192.168.1.1/24' },
  wan: { mac: '02:00:00:00:02:01', address: '198.51.100.2/24', gateway: '198.51.100.1', answerPing: true },
  nat: { filtering: 'address-dependent', hairpin: true, portRange: [1024, 65535], serverList: [], defaultServer: null, mapList: [] },
  ipsec: { mode: 'multi', ikePorts: [500] },
};

export interface ConfigProblem { field: string; message: string }

/** One or more problems, each naming its field; `file` names the file they were found in. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(field: string, message: string, more: ConfigProblem[] = [], readonly file?: string) {
    const problems = [{ field, message }, ...more];
    super(problems.map((p) => `config ${p.field}: ${p.message}`).join('\n'));
    this.problems = problems;
  }

  static of(problems: ConfigProblem[], file?: string): ConfigError {
    return new ConfigError(problems[0].field, problems[0].message, problems.slice(1), file);
  }

  inFile(file: string): ConfigError {
    return ConfigError.of(this.problems, file);
  }

  /** One line per problem: `FILE: field: message`, or `config field: message` without a file. */
  lines(): string[] {
    return this.problems.map((p) => `${this.file ? `${this.file}: ` : 'config '}${p.field}: ${p.message}`);
  }
}

export function ipToU32(s: string, field: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(String(s));
  if (!m) throw new ConfigError(field, `'${s}' is not an IPv4 address`);
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) throw new ConfigError(field, `'${s}' is not an IPv4 address`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function u32ToIp(v: number): string {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

function macBytes(s: string, field: string): number[] {
  const m = /^([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2}):([0-9a-f]{2})$/i.exec(String(s));
  if (!m) throw new ConfigError(field, `'${s}' is not a MAC address like 02:00:00:00:01:01`);
  const b = m.slice(1).map((h) => parseInt(h, 16));
  if (b[0] & 1) throw new ConfigError(field, `'${s}' is a multicast MAC address`);
  return b;
}

function cidr(s: unknown, field: string): { address: string; prefix: number } {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(String(s));
  if (!m) throw new ConfigError(field, `'${String(s)}' is not address/prefix like 192.168.1.1/24`);
  ipToU32(m[1], field);
  const prefix = Number(m[2]);
  if (prefix < 1 || prefix > 32) throw new ConfigError(field, `prefix /${prefix} is out of range`);
  return { address: m[1], prefix };
}

function obj(v: unknown, field: string): Record<string, unknown> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(field, 'must be an object');
  return v as Record<string, unknown>;
}

function int(v: unknown, field: string, lo: number, hi: number, dflt?: number): number {
  if (v === undefined && dflt !== undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new ConfigError(field, `must be a whole number`);
  if (v < lo || v > hi) throw new ConfigError(field, `${v} is out of range ${lo}..${hi}`);
  return v;
}

function bool(v: unknown, field: string, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ConfigError(field, 'must be true or false');
  return v;
}

function oneOf<T extends string>(v: unknown, field: string, allowed: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  if (!allowed.includes(v as T)) throw new ConfigError(field, `'${String(v)}' is not one of ${allowed.join(', ')}`);
  return v as T;
}

function unknownKeys(o: Record<string, unknown>, field: string, known: string[]): void {
  for (const k of Object.keys(o)) if (!known.includes(k)) throw new ConfigError(field ? `${field}.${k}` : k, 'is not a known setting');
}

function inSubnet(a: number, net: number, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((a & mask) >>> 0) === ((net & mask) >>> 0);
}

/** Validates user JSON (any shape) and returns a complete config, or throws ConfigError naming the field. */
export function parseConfig(input: unknown): RouterConfig {
  const root = obj(input, 'config');
  unknownKeys(root, '', ['lan', 'wan', 'nat', 'ipsec', 'timeouts', 'limits']);
  const lanIn = obj(root.lan, 'lan');
  unknownKeys(lanIn, 'lan', ['mac', 'address', 'routedSubnet']);
  const lanAddr = cidr(lanIn.address ?? DEFAULT_CONFIG_JSON.lan.address, 'lan.address');
  if (lanAddr.prefix < 8 || lanAddr.prefix > 30) throw new ConfigError('lan.address', 'prefix must be /8../30');
  const routed = lanIn.routedSubnet === undefined || lanIn.routedSubnet === null ? null : cidr(lanIn.routedSubnet, 'lan.routedSubnet');
  const wanIn = obj(root.wan, 'wan');
  unknownKeys(wanIn, 'wan', ['mac', 'address', 'gateway', 'answerPing']);
  const wanAddr = cidr(wanIn.address ?? DEFAULT_CONFIG_JSON.wan.address, 'wan.address');
  const gateway = String(wanIn.gateway ?? DEFAULT_CONFIG_JSON.wan.gateway);
  if (!inSubnet(ipToU32(gateway, 'wan.gateway'), ipToU32(wanAddr.address, 'wan.address'), wanAddr.prefix))
    throw new ConfigError('wan.gateway', `${gateway} is not on the WAN subnet ${wanAddr.address}/${wanAddr.prefix}`);
  if (inSubnet(ipToU32(wanAddr.address, 'wan.address'), ipToU32(lanAddr.address, 'lan.address'), lanAddr.prefix))
    throw new ConfigError('wan.address', 'is inside the LAN subnet');
  const lanMac = String(lanIn.mac ?? DEFAULT_CONFIG_JSON.lan.mac);
  const wanMac = String(wanIn.mac ?? DEFAULT_CONFIG_JSON.wan.mac);
  macBytes(lanMac, 'lan.mac');
  macBytes(wanMac, 'wan.mac');

  const isLanHost = (ip: string, field: string) => {
    const a = ipToU32(ip, field);
    const onLan = inSubnet(a, ipToU32(lanAddr.address, 'lan.address'), lanAddr.prefix) && ip !== lanAddr.address;
    const onRouted = routed !== null && inSubnet(a, ipToU32(routed.address, 'lan.routedSubnet'), routed.prefix) && ip !== routed.address;
    if (!onLan && !onRouted) throw new ConfigError(field, `${ip} is not a host on the LAN${routed ? ' or the routed subnet' : ''}`);
    return ip;
  };

  const natIn = obj(root.nat, 'nat');
  unknownKeys(natIn, 'nat', ['filtering', 'hairpin', 'portRange', 'serverList', 'defaultServer', 'mapList']);
  const portRange = natIn.portRange ?? [1024, 65535];
  if (!Array.isArray(portRange) || portRange.length !== 2) throw new ConfigError('nat.portRange', 'must be [low, high]');
  const lo = int(portRange[0], 'nat.portRange[0]', 1024, 65535);
  const hi = int(portRange[1], 'nat.portRange[1]', lo + 255, 65535);
  const serverIn = natIn.serverList ?? [];
  if (!Array.isArray(serverIn)) throw new ConfigError('nat.serverList', 'must be a list');
  if (serverIn.length > 64) throw new ConfigError('nat.serverList', 'at most 64 entries');
  const serverList: ServerEntry[] = serverIn.map((e, i) => {
    const f = `nat.serverList[${i}]`;
    const o = obj(e, f);
    unknownKeys(o, f, ['name', 'protocol', 'externalPort', 'internalHost', 'internalPort']);
    const ext = String(o.externalPort ?? '');
    const m = /^(\d+)(?:-(\d+))?$/.exec(ext);
    if (!m) throw new ConfigError(`${f}.externalPort`, `'${ext}' is not a port or a range like 5000-5010`);
    const p0 = int(Number(m[1]), `${f}.externalPort`, 1, 65535);
    const p1 = m[2] === undefined ? p0 : int(Number(m[2]), `${f}.externalPort`, p0, 65535);
    const inPort = int(o.internalPort ?? p0, `${f}.internalPort`, 1, 65535 - (p1 - p0));
    return {
      name: String(o.name ?? `entry ${i + 1}`),
      protocol: oneOf(o.protocol, `${f}.protocol`, ['udp', 'tcp', 'both'] as const, 'both'),
      externalPort: p0,
      externalPortEnd: p1,
      internalHost: isLanHost(String(o.internalHost ?? ''), `${f}.internalHost`),
      internalPort: inPort,
    };
  });
  const mapIn = natIn.mapList ?? [];
  if (!Array.isArray(mapIn)) throw new ConfigError('nat.mapList', 'must be a list');
  if (mapIn.length > 64) throw new ConfigError('nat.mapList', 'at most 64 entries');
  const mapList: MapEntry[] = mapIn.map((e, i) => {
    const f = `nat.mapList[${i}]`;
    const o = obj(e, f);
    unknownKeys(o, f, ['name', 'internal', 'external']);
    const internal = isLanHost(String(o.internal ?? ''), `${f}.internal`);
    const external = String(o.external ?? '');
    ipToU32(external, `${f}.external`);
    if (external === wanAddr.address) throw new ConfigError(`${f}.external`, 'is the WAN address itself (use the Server List)');
    return { name: String(o.name ?? `map ${i + 1}`), internal, external };
  });
  const defaultServer = natIn.defaultServer === undefined || natIn.defaultServer === null ? null : isLanHost(String(natIn.defaultServer), 'nat.defaultServer');

  const ipsecIn = obj(root.ipsec, 'ipsec');
  unknownKeys(ipsecIn, 'ipsec', ['mode', 'ikePorts']);
  const ikePorts = ipsecIn.ikePorts ?? [500];
  if (!Array.isArray(ikePorts) || ikePorts.length < 1 || ikePorts.length > 8) throw new ConfigError('ipsec.ikePorts', 'must list 1..8 UDP ports');
  const timeoutsIn = obj(root.timeouts, 'timeouts');
  unknownKeys(timeoutsIn, 'timeouts', [...TIMEOUT_FIELDS]);
  const limitsIn = obj(root.limits, 'limits');
  unknownKeys(limitsIn, 'limits', [...LIMIT_FIELDS]);
  const timeouts = {} as Timeouts;
  for (const k of TIMEOUT_FIELDS) {
    const max = k.endsWith('Ms') ? 120000 : TIMEOUT_MAX;
    timeouts[k] = int(timeoutsIn[k], `timeouts.${k}`, TIMEOUT_RANGES[k], max, DEFAULT_TIMEOUTS[k]);
  }
  const limits = {} as Limits;
  for (const k of LIMIT_FIELDS) limits[k] = int(limitsIn[k], `limits.${k}`, 1, LIMIT_MAX[k], DEFAULT_LIMITS[k]);
  if (limits.outSlots < limits.batch) throw new ConfigError('limits.outSlots', 'must be at least limits.batch');

  return {
    lan: { mac: lanMac, address: lanAddr.address, prefix: lanAddr.prefix, routedSubnet: routed },
    wan: { mac: wanMac, address: wanAddr.address, prefix: wanAddr.prefix, gateway, answerPing: bool(wanIn.answerPing, 'wan.answerPing', true) },
    nat: {
      filtering: oneOf(natIn.filtering, 'nat.filtering', ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'] as const, 'address-dependent'),
      hairpin: bool(natIn.hairpin, 'nat.hairpin', true),
      portRange: [lo, hi],
      serverList,
      defaultServer,
      mapList,
    },
    ipsec: {
      mode: oneOf(ipsecIn.mode, 'ipsec.mode', ['off', 'server-list', 'multi'] as const, 'multi'),
      ikePorts: ikePorts.map((p, i) => int(p, `ipsec.ikePorts[${i}]`, 1, 65535)),
    },
    timeouts,
    limits,
  };
}

const CFG_MAGIC = 0x4643504e;
const CFG_VERSION = 1;
const CFG_FIXED = 144;
const SERVER_BYTES = 32;
const MAP_BYTES = 24;
const NAME_BYTES = 16;

/** Entry names travel in the record (ASCII, NUL padded, cut to NAME_BYTES) so the console can show them. */
function writeName(b: Uint8Array, at: number, name: string): void {
  const ascii = Buffer.from(name.replace(/[^\x20-\x7e]/g, '?'), 'latin1').subarray(0, NAME_BYTES);
  b.set(ascii, at);
}
const FILTERING_CODES: Record<Filtering, number> = { 'endpoint-independent': 0, 'address-dependent': 1, 'address-and-port-dependent': 2 };
const IPSEC_CODES: Record<IpsecMode, number> = { off: 0, 'server-list': 1, multi: 2 };
const PROTO_CODES: Record<ServerProtocol, number> = { udp: 1, tcp: 2, both: 3 };

/** Lays out the binary record that assembly/config.ts parseConfig() reads. */
export function encodeConfig(c: RouterConfig): Uint8Array {
  const length = CFG_FIXED + c.nat.serverList.length * SERVER_BYTES + c.nat.mapList.length * MAP_BYTES + c.ipsec.ikePorts.length * 2;
  const b = new Uint8Array(length);
  const v = new DataView(b.buffer);
  v.setUint32(0, CFG_MAGIC, true);
  v.setUint16(4, CFG_VERSION, true);
  v.setUint16(6, length, true);
  b.set(macBytes(c.lan.mac, 'lan.mac'), 8);
  v.setUint32(16, ipToU32(c.lan.address, 'lan.address'), true);
  b[20] = c.lan.prefix;
  b[21] = c.wan.prefix;
  b[22] = FILTERING_CODES[c.nat.filtering];
  b[23] = (c.wan.answerPing ? 1 : 0) | (c.nat.hairpin ? 2 : 0);
  b.set(macBytes(c.wan.mac, 'wan.mac'), 24);
  b[30] = IPSEC_CODES[c.ipsec.mode];
  v.setUint32(32, ipToU32(c.wan.address, 'wan.address'), true);
  v.setUint32(36, ipToU32(c.wan.gateway, 'wan.gateway'), true);
  if (c.lan.routedSubnet) {
    v.setUint32(40, ipToU32(c.lan.routedSubnet.address, 'lan.routedSubnet'), true);
    b[44] = c.lan.routedSubnet.prefix;
  }
  v.setUint32(48, c.nat.defaultServer ? ipToU32(c.nat.defaultServer, 'nat.defaultServer') : 0, true);
  v.setUint16(52, c.nat.portRange[0], true);
  v.setUint16(54, c.nat.portRange[1], true);
  TIMEOUT_FIELDS.forEach((k, i) => v.setUint32(56 + i * 4, c.timeouts[k], true));
  LIMIT_FIELDS.forEach((k, i) => v.setUint32(92 + i * 4, c.limits[k], true));
  b[140] = c.nat.serverList.length;
  b[141] = c.nat.mapList.length;
  b[142] = c.ipsec.ikePorts.length;
  let o = CFG_FIXED;
  for (const s of c.nat.serverList) {
    b[o] = PROTO_CODES[s.protocol];
    v.setUint16(o + 2, s.externalPort, true);
    v.setUint16(o + 4, s.externalPortEnd, true);
    v.setUint16(o + 6, s.internalPort, true);
    v.setUint32(o + 8, ipToU32(s.internalHost, 'internalHost'), true);
    writeName(b, o + 16, s.name);
    o += SERVER_BYTES;
  }
  for (const m of c.nat.mapList) {
    v.setUint32(o, ipToU32(m.internal, 'internal'), true);
    v.setUint32(o + 4, ipToU32(m.external, 'external'), true);
    writeName(b, o + 8, m.name);
    o += MAP_BYTES;
  }
  for (const p of c.ipsec.ikePorts) {
    v.setUint16(o, p, true);
    o += 2;
  }
  return b;
}

const FILTERINGS: Filtering[] = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];
const MODES: IpsecMode[] = ['off', 'server-list', 'multi'];
const PROTOCOLS: ServerProtocol[] = ['udp', 'udp', 'tcp', 'both'];

function readName(b: Uint8Array, at: number): string {
  let end = at;
  while (end < at + NAME_BYTES && b[end] !== 0) end++;
  return Buffer.from(b.subarray(at, end)).toString('latin1');
}

const macString = (b: Uint8Array, at: number) => Array.from(b.subarray(at, at + 6), (x) => x.toString(16).padStart(2, '0')).join(':');

/** The inverse of encodeConfig: a binary record (for example one the console saved) as a config. */
export function decodeConfig(b: Uint8Array): RouterConfig {
  if (b.length < CFG_FIXED) throw new ConfigError('record', `is ${b.length} bytes, shorter than its fixed part`);
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  if (v.getUint32(0, true) !== CFG_MAGIC || v.getUint16(4, true) !== CFG_VERSION) throw new ConfigError('record', 'is not a natpass config record of version 1');
  const ip = (o: number) => u32ToIp(v.getUint32(o, true));
  const servers: ServerEntry[] = [];
  const maps: MapEntry[] = [];
  const ports: number[] = [];
  let o = CFG_FIXED;
  for (let i = 0; i < b[140]; i++, o += SERVER_BYTES) {
    servers.push({ name: readName(b, o + 16), protocol: PROTOCOLS[b[o]] ?? 'both', externalPort: v.getUint16(o + 2, true), externalPortEnd: v.getUint16(o + 4, true), internalHost: ip(o + 8), internalPort: v.getUint16(o + 6, true) });
  }
  for (let i = 0; i < b[141]; i++, o += MAP_BYTES) maps.push({ name: readName(b, o + 8), internal: ip(o), external: ip(o + 4) });
  for (let i = 0; i < b[142]; i++, o += 2) ports.push(v.getUint16(o, true));
  const timeouts = {} as Timeouts;
  TIMEOUT_FIELDS.forEach((k, i) => (timeouts[k] = v.getUint32(56 + i * 4, true)));
  const limits = {} as Limits;
  LIMIT_FIELDS.forEach((k, i) => (limits[k] = v.getUint32(92 + i * 4, true)));
  const routed = v.getUint32(40, true);
  return {
    lan: { mac: macString(b, 8), address: ip(16), prefix: b[20], routedSubnet: routed ? { address: ip(40), prefix: b[44] } : null },
    wan: { mac: macString(b, 24), address: ip(32), prefix: b[21], gateway: ip(36), answerPing: (b[23] & 1) !== 0 },
    nat: { filtering: FILTERINGS[b[22]] ?? 'address-dependent', hairpin: (b[23] & 2) !== 0, portRange: [v.getUint16(52, true), v.getUint16(54, true)], serverList: servers, defaultServer: v.getUint32(48, true) ? ip(48) : null, mapList: maps },
    ipsec: { mode: MODES[b[30]] ?? 'multi', ikePorts: ports },
    timeouts,
    limits,
  };
}

/** A RouterConfig back as the JSON a user writes (what `natpass config export` prints). */
export function configToJson(c: RouterConfig): unknown {
  return {
    lan: { mac: c.lan.mac, address: `${c.lan.address}/${c.lan.prefix}`, ...(c.lan.routedSubnet ? { routedSubnet: `${c.lan.routedSubnet.address}/${c.lan.routedSubnet.prefix}` } : {}) },
    wan: { mac: c.wan.mac, address: `${c.wan.address}/${c.wan.prefix}`, gateway: c.wan.gateway, answerPing: c.wan.answerPing },
    nat: {
      filtering: c.nat.filtering, hairpin: c.nat.hairpin, portRange: c.nat.portRange, defaultServer: c.nat.defaultServer,
      serverList: c.nat.serverList.map((s) => ({ name: s.name, protocol: s.protocol, externalPort: s.externalPort === s.externalPortEnd ? s.externalPort : `${s.externalPort}-${s.externalPortEnd}`, internalHost: s.internalHost, internalPort: s.internalPort })),
      mapList: c.nat.mapList,
    },
    ipsec: c.ipsec,
    timeouts: c.timeouts,
    limits: c.limits,
  };
}
