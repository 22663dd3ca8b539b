// The router configuration as users write it (JSON) and as the module reads it (the binary record
// of assembly/config.ts). parseConfig() checks a file against the schema (config-schema.ts: every field,
// every problem at once), then the rules that span fields, and returns the RouterConfig that
// encodeConfig() lays out where host/layout.ts says. Addresses are dotted quads; the record holds them as u32.
import type { z } from 'zod';
import { CONFIG_SCHEMA, ConfigJson, Filtering, IpsecMode, LIMIT_FIELDS, Limits, ServerProtocol, TIMEOUT_FIELDS, Timeouts, show } from './config-schema.ts';
import {
  CFG_MAGIC, CFG_VERSION, CONFIG, CONFIG_FIELDS, FILTERING, FLAGS, FieldValue, FieldValues, IPSEC_MODES, MAP, MAP_FIELDS, PROTOCOLS, SERVER,
  SERVER_FIELDS, readFields, writeFields,
} from './layout.ts';

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

/** Fields whose codes are an index or a bit (host/layout.ts FILTERING, IPSEC_MODES, PROTOCOLS, FLAGS). */
const PROTOCOL_BY_CODE: Record<number, ServerProtocol> = Object.fromEntries(Object.entries(PROTOCOLS).map(([k, v]) => [v, k as ServerProtocol]));

/** Lays out the binary record that assembly/config.ts parseConfig() reads (host/layout.ts says where each field lies). */
export function encodeConfig(c: RouterConfig): Uint8Array {
  const length = CONFIG.bytes + c.nat.serverList.length * SERVER.bytes + c.nat.mapList.length * MAP.bytes + c.ipsec.ikePorts.length * 2;
  const b = new Uint8Array(length);
  const ip = (s: string, field: string) => ipToU32(s, field);
  const fixed: FieldValues<typeof CONFIG_FIELDS> = {
    magic: CFG_MAGIC,
    version: CFG_VERSION,
    length,
    lanMac: c.lan.mac,
    lanAddr: ip(c.lan.address, 'lan.address'),
    lanPrefix: c.lan.prefix,
    wanPrefix: c.wan.prefix,
    filtering: FILTERING.indexOf(c.nat.filtering),
    flags: (c.wan.answerPing ? FLAGS.wanPing : 0) | (c.nat.hairpin ? FLAGS.hairpin : 0),
    wanMac: c.wan.mac,
    ipsecMode: IPSEC_MODES.indexOf(c.ipsec.mode),
    wanAddr: ip(c.wan.address, 'wan.address'),
    wanGateway: ip(c.wan.gateway, 'wan.gateway'),
    routedAddr: c.lan.routedSubnet ? ip(c.lan.routedSubnet.address, 'lan.routedSubnet') : 0,
    routedPrefix: c.lan.routedSubnet ? c.lan.routedSubnet.prefix : 0,
    defaultServer: c.nat.defaultServer ? ip(c.nat.defaultServer, 'nat.defaultServer') : 0,
    portLo: c.nat.portRange[0],
    portHi: c.nat.portRange[1],
    timeouts: TIMEOUT_FIELDS.map((k) => c.timeouts[k]),
    capacities: LIMIT_FIELDS.map((k) => c.limits[k]),
    serverCount: c.nat.serverList.length,
    mapCount: c.nat.mapList.length,
    ikePortCount: c.ipsec.ikePorts.length,
  };
  writeFields(b, 0, CONFIG, fixed);
  let o = CONFIG.bytes;
  for (const s of c.nat.serverList) {
    const entry: FieldValues<typeof SERVER_FIELDS> = {
      proto: PROTOCOLS[s.protocol], extLo: s.externalPort, extHi: s.externalPortEnd, inPort: s.internalPort,
      inAddr: ip(s.internalHost, 'internalHost'), spare: 0, name: s.name,
    };
    writeFields(b, o, SERVER, entry);
    o += SERVER.bytes;
  }
  for (const m of c.nat.mapList) {
    const entry: FieldValues<typeof MAP_FIELDS> = { inAddr: ip(m.internal, 'internal'), extAddr: ip(m.external, 'external'), name: m.name };
    writeFields(b, o, MAP, entry);
    o += MAP.bytes;
  }
  const v = new DataView(b.buffer);
  for (const p of c.ipsec.ikePorts) {
    v.setUint16(o, p, true);
    o += 2;
  }
  return b;
}

/** The inverse of encodeConfig: a binary record (for example one the console saved) as a config. */
export function decodeConfig(b: Uint8Array): RouterConfig {
  if (b.length < CONFIG.bytes) throw new ConfigError('record', `is ${b.length} bytes, shorter than its fixed part`);
  const f = readFields(b, 0, CONFIG) as FieldValues<typeof CONFIG_FIELDS>;
  if (f.magic !== CFG_MAGIC || f.version !== CFG_VERSION) throw new ConfigError('record', `is not a natpass config record of version ${CFG_VERSION}`);
  const n = (x: FieldValue) => x as number;
  const list = (x: FieldValue) => x as readonly number[];
  const ip = (x: FieldValue) => u32ToIp(n(x));
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const servers: ServerEntry[] = [];
  const maps: MapEntry[] = [];
  const ports: number[] = [];
  let o = CONFIG.bytes;
  for (let i = 0; i < n(f.serverCount); i++, o += SERVER.bytes) {
    const e = readFields(b, o, SERVER) as FieldValues<typeof SERVER_FIELDS>;
    servers.push({ name: String(e.name), protocol: PROTOCOL_BY_CODE[n(e.proto)] ?? 'both', externalPort: n(e.extLo), externalPortEnd: n(e.extHi), internalHost: ip(e.inAddr), internalPort: n(e.inPort) });
  }
  for (let i = 0; i < n(f.mapCount); i++, o += MAP.bytes) {
    const e = readFields(b, o, MAP) as FieldValues<typeof MAP_FIELDS>;
    maps.push({ name: String(e.name), internal: ip(e.inAddr), external: ip(e.extAddr) });
  }
  for (let i = 0; i < n(f.ikePortCount); i++, o += 2) ports.push(v.getUint16(o, true));
  const timeouts = {} as Timeouts;
  TIMEOUT_FIELDS.forEach((k, i) => (timeouts[k] = list(f.timeouts)[i]));
  const limits = {} as Limits;
  LIMIT_FIELDS.forEach((k, i) => (limits[k] = list(f.capacities)[i]));
  return {
    lan: { mac: String(f.lanMac), address: ip(f.lanAddr), prefix: n(f.lanPrefix), routedSubnet: n(f.routedAddr) ? { address: ip(f.routedAddr), prefix: n(f.routedPrefix) } : null },
    wan: { mac: String(f.wanMac), address: ip(f.wanAddr), prefix: n(f.wanPrefix), gateway: ip(f.wanGateway), answerPing: (n(f.flags) & FLAGS.wanPing) !== 0 },
    nat: {
      filtering: FILTERING[n(f.filtering)] ?? 'address-dependent', hairpin: (n(f.flags) & FLAGS.hairpin) !== 0, portRange: [n(f.portLo), n(f.portHi)],
      serverList: servers, defaultServer: n(f.defaultServer) ? ip(f.defaultServer) : null, mapList: maps,
    },
    ipsec: { mode: IPSEC_MODES[n(f.ipsecMode)] ?? 'multi', ikePorts: ports },
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
