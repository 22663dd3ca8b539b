// The router configuration as users write it (JSON) and as the module reads it (the binary record
// of assembly/config.ts). parseConfig() checks a file against the schema (config-schema.ts: every field,
// every problem at once), then the rules that span fields, and returns the RouterConfig that
// encodeConfig() lays out. Addresses are dotted quads; the record holds them as u32.
import type { z } from 'zod';
import { CONFIG_SCHEMA, ConfigJson, Filtering, IpsecMode, LIMIT_FIELDS, Limits, ServerProtocol, TIMEOUT_FIELDS, Timeouts, show } from './config-schema.ts';

export { DEFAULT_LIMITS, DEFAULT_TIMEOUTS, LIMIT_FIELDS, TIMEOUT_FIELDS } from './config-schema.ts';
export type { Filtering, IpsecMode, Limits, ServerProtocol, Timeouts } from './config-schema.ts';

export interface ServerEntry { name: string; protocol: ServerProtocol; externalPort: number; externalPortEnd: number; internalHost: string; internalPort: number }
export interface MapEntry { name: string; internal: string; external: string }

/** A checked configuration as the record holds it: addresses and prefixes apart, port ranges as two ports. */
export interface RouterConfig {
  lan: { mac: string; address: string; prefix: number; routedSubnet: { address: string; prefix: number } | null };
  wan: { mac: string; address: string; prefix: number; gateway: string; answerPing: boolean };
  nat: Omit<ConfigJson['nat'], 'portRange' | 'serverList' | 'mapList'> & { portRange: [number, number]; serverList: ServerEntry[]; mapList: MapEntry[] };
  ipsec: ConfigJson['ipsec'];
  timeouts: Timeouts;
  limits: Limits;
}

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

function macBytes(s: string): number[] {
  return s.split(':').map((h) => parseInt(h, 16));
}

function inSubnet(a: number, net: number, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((a & mask) >>> 0) === ((net & mask) >>> 0);
}

/** A field's path as a user reads it: nat.serverList[0].internalHost; odd keys quoted: nat[""]. */
export function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(k))) out += out ? `.${String(k)}` : String(k);
    else out += `[${JSON.stringify(String(k))}]`;
  }
  return out || '(the whole file)';
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : typeof v === 'string' ? `the text ${show(v)}` : `${typeof v} ${show(v)}`);
const EXPECTED: Record<string, string> = { object: 'an object', array: 'a list', string: 'text in quotes', number: 'a number', int: 'a whole number', boolean: 'true or false', tuple: 'a list' };

/** Our wording for zod's generic issues; a field's own message (config-schema.ts) takes precedence. */
const wording: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'is required';
      if (iss.expected === 'int' && typeof iss.input === 'number') return `${iss.input} is not a whole number`;
      return `must be ${EXPECTED[iss.expected] ?? iss.expected}, not ${kind(iss.input)}`;
    case 'invalid_value':
      return `${show(iss.input)} is not one of ${iss.values.map(String).join(', ')}`;
    case 'too_small':
    case 'too_big':
      if (iss.origin === 'array') return iss.code === 'too_big' ? `has ${(iss.input as unknown[]).length} entries, at most ${iss.maximum} are allowed` : `needs at least ${iss.minimum} entr${iss.minimum === 1 ? 'y' : 'ies'}`;
      return `${show(iss.input)} is too ${iss.code === 'too_big' ? 'large' : 'small'}`;
    default:
      return undefined;
  }
};

/** The schema's object at a path (for the keys an unknown key could have meant). */
function knownKeys(path: readonly PropertyKey[]): string[] {
  let s = (CONFIG_SCHEMA as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  const inner = () => {
    while (s.innerType) s = (s.innerType as typeof CONFIG_SCHEMA)._zod.def as unknown as Record<string, unknown>;
  };
  for (const k of path) {
    inner();
    const next = typeof k === 'number' ? s.element : (s.shape as Record<string, unknown> | undefined)?.[String(k)];
    if (!next) return [];
    s = (next as typeof CONFIG_SCHEMA)._zod.def as unknown as Record<string, unknown>;
  }
  inner();
  return Object.keys((s.shape as Record<string, unknown>) ?? {});
}

/** The known key a typo most likely meant: same letters in another case, or at most two edits away. */
export function didYouMean(key: string, known: string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestCost = Math.min(2, Math.floor(key.length / 2)) + 1;
  for (const k of known) {
    const cost = k.toLowerCase() === lower ? 0 : editDistance(lower, k.toLowerCase());
    if (cost < bestCost) { best = k; bestCost = cost; }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

function schemaProblems(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const iss of issues) {
    if (iss.code === 'unrecognized_keys') {
      const known = knownKeys(iss.path);
      for (const key of iss.keys) {
        const guess = didYouMean(key, known);
        out.push({ field: fieldName([...iss.path, key]), message: `is not a known setting${guess ? ` (did you mean '${guess}'?)` : key === '' ? ' (an empty name)' : ''}` });
      }
    } else if (iss.code === 'invalid_type' && iss.input === undefined && typeof iss.path.at(-1) === 'number') {
      out.push({ field: fieldName(iss.path), message: 'is a hole in the list (nothing between two commas)' });
    } else {
      out.push({ field: fieldName(iss.path), message: iss.message });
    }
  }
  return out;
}

/** Validates user JSON (any shape) and returns a complete config, or throws ConfigError naming every problem. */
export function parseConfig(input: unknown): RouterConfig {
  const checked = CONFIG_SCHEMA.safeParse(input, { error: wording, reportInput: true });
  if (!checked.success) throw ConfigError.of(schemaProblems(checked.error.issues));
  const problems: ConfigProblem[] = [];
  const config = crossFieldRules(checked.data, (field, message) => problems.push({ field, message }));
  if (problems.length) throw ConfigError.of(problems);
  return config;
}

const splitCidr = (s: string) => {
  const [address, prefix] = s.split('/');
  return { address, prefix: Number(prefix) };
};

/** The rules that span fields, on a file that passed the schema; builds the RouterConfig on the way. */
function crossFieldRules(json: ConfigJson, problem: (field: string, message: string) => void): RouterConfig {
  const lan = splitCidr(json.lan.address), wan = splitCidr(json.wan.address);
  const routed = json.lan.routedSubnet === null ? null : splitCidr(json.lan.routedSubnet);
  const u32 = (s: string) => ipToU32(s, '');
  if (!inSubnet(u32(json.wan.gateway), u32(wan.address), wan.prefix)) problem('wan.gateway', `${json.wan.gateway} is not on the WAN subnet ${json.wan.address}`);
  if (inSubnet(u32(wan.address), u32(lan.address), lan.prefix)) problem('wan.address', `${wan.address} is inside the LAN subnet ${json.lan.address}`);

  const lanHost = (ip: string, field: string) => {
    const a = u32(ip);
    const onLan = inSubnet(a, u32(lan.address), lan.prefix) && a !== u32(lan.address);
    const onRouted = routed !== null && inSubnet(a, u32(routed.address), routed.prefix) && a !== u32(routed.address);
    if (!onLan && !onRouted) problem(field, `${ip} is not a host on the LAN${routed ? ' or the routed subnet' : ''}`);
    return ip;
  };

  const [lo, hi] = json.nat.portRange;
  if (hi < lo) problem('nat.portRange', `[${lo}, ${hi}] is reversed: write [low, high]`);
  else if (hi - lo < 255) problem('nat.portRange', `[${lo}, ${hi}] holds ${hi - lo + 1} ports; at least 256 are needed (high >= low + 255)`);

  const serverList: ServerEntry[] = json.nat.serverList.map((e, i) => {
    const f = `nat.serverList[${i}]`;
    const [first, last = first] = String(e.externalPort).split('-').map(Number);
    if (first < 1 || first > 65535) problem(`${f}.externalPort`, `${first} is out of range 1..65535`);
    else if (last < first || last > 65535) problem(`${f}.externalPort`, `'${e.externalPort}': the range's end ${last} is out of range ${first}..65535`);
    const internalPort = e.internalPort ?? first;
    if (internalPort + (last - first) > 65535) problem(`${f}.internalPort`, `${internalPort} is out of range 1..${65535 - (last - first)} for a range of ${last - first + 1} ports`);
    return { name: e.name ?? `entry ${i + 1}`, protocol: e.protocol, externalPort: first, externalPortEnd: last, internalHost: lanHost(e.internalHost, `${f}.internalHost`), internalPort };
  });
  const mapList: MapEntry[] = json.nat.mapList.map((e, i) => {
    const f = `nat.mapList[${i}]`;
    if (u32(e.external) === u32(wan.address)) problem(`${f}.external`, 'is the WAN address itself (use the Server List)');
    return { name: e.name ?? `map ${i + 1}`, internal: lanHost(e.internal, `${f}.internal`), external: e.external };
  });
  const defaultServer = json.nat.defaultServer === null ? null : lanHost(json.nat.defaultServer, 'nat.defaultServer');
  if (json.limits.outSlots < json.limits.batch) problem('limits.outSlots', `${json.limits.outSlots} must be at least limits.batch (${json.limits.batch})`);

  return {
    lan: { mac: json.lan.mac, address: lan.address, prefix: lan.prefix, routedSubnet: routed },
    wan: { mac: json.wan.mac, address: wan.address, prefix: wan.prefix, gateway: json.wan.gateway, answerPing: json.wan.answerPing },
    nat: { filtering: json.nat.filtering, hairpin: json.nat.hairpin, portRange: [lo, hi], serverList, defaultServer, mapList },
    ipsec: { mode: json.ipsec.mode, ikePorts: json.ipsec.ikePorts },
    timeouts: json.timeouts,
    limits: json.limits,
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
  b.set(macBytes(c.lan.mac), 8);
  v.setUint32(16, ipToU32(c.lan.address, 'lan.address'), true);
  b[20] = c.lan.prefix;
  b[21] = c.wan.prefix;
  b[22] = FILTERING_CODES[c.nat.filtering];
  b[23] = (c.wan.answerPing ? 1 : 0) | (c.nat.hairpin ? 2 : 0);
  b.set(macBytes(c.wan.mac), 24);
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
