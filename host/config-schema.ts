// The configuration file's rules, once: field names, types, ranges, defaults and help text, as a zod
// schema. It gives the TypeScript type of a checked file (ConfigJson), fills the defaults, checks every
// field on its own, and generates natpass.schema.json for editors (`make schema`). Rules that span
// fields (a host on the LAN, the gateway on the WAN subnet, the port range's order) are code in config.ts.
import { z } from 'zod';
import { FILTERING, IKE_PORT_MAX, IPSEC_MODES, LIMITS, MAP_MAX, PROTOCOLS, SERVER_MAX, TIMEOUTS, timeoutMax } from './layout.ts';

/** Seconds unless the name says Ms. Order, bounds, defaults and help: host/layout.ts TIMEOUTS (the record's order). */
export const TIMEOUT_FIELDS = TIMEOUTS.map((t) => t.key);
/** Order, maxima, defaults and help: host/layout.ts LIMITS (the record's order). */
export const LIMIT_FIELDS = LIMITS.map((l) => l.key);
export type Timeouts = Record<(typeof TIMEOUTS)[number]['key'], number>;
export type Limits = Record<(typeof LIMITS)[number]['key'], number>;

export const DEFAULT_TIMEOUTS = Object.fromEntries(TIMEOUTS.map((t) => [t.key, t.default])) as Timeouts;
export const DEFAULT_LIMITS = Object.fromEntries(LIMITS.map((l) => [l.key, l.default])) as Limits;

// Patterns an editor can check too. An octet may have leading zeros ("010"), as the record encoder allows.
const OCTET = '(25[0-5]|2[0-4]\\d|[01]?\\d?\\d)';
const IPV4 = `${OCTET}(\\.${OCTET}){3}`;
export const IPV4_PATTERN = new RegExp(`^${IPV4}$`);
/** A unicast MAC: the first octet's low bit (the group bit) is clear. */
const MAC_PATTERN = /^[0-9a-fA-F][02468aceACE](:[0-9a-fA-F]{2}){5}$/;
const PREFIX = { any: '([1-9]|[12]\\d|3[0-2])', lan: '([89]|[12]\\d|30)' };

/** A value as an error message quotes it: text in quotes, anything else as JSON (never via its toString). */
export const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

const ipv4 = (what: string) =>
  z.string().regex(IPV4_PATTERN, { error: (iss) => `${show(iss.input)} is not an IPv4 address like 192.168.1.10` }).describe(what);

function cidr(what: string, prefix: keyof typeof PREFIX) {
  const [lo, hi] = prefix === 'lan' ? [8, 30] : [1, 32];
  return z.string().regex(new RegExp(`^${IPV4}/${PREFIX[prefix]}$`), {
    error: (iss) => {
      const m = /^(.*)\/(\d+)$/.exec(String(iss.input));
      if (m && IPV4_PATTERN.test(m[1])) return `prefix /${m[2]} is out of range /${lo}../${hi}`;
      if (m && /^[\d.]+$/.test(m[1])) return `${show(iss.input)}: ${show(m[1])} is not an IPv4 address`;
      return `${show(iss.input)} is not address/prefix like 192.168.1.1/24`;
    },
  }).describe(`${what} (address/prefix, prefix /${lo}../${hi})`);
}

const mac = (what: string) =>
  z.string().regex(MAC_PATTERN, {
    error: (iss) => (/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(String(iss.input)) ? `${show(iss.input)} is a multicast MAC address` : `${show(iss.input)} is not a MAC address like 02:00:00:00:01:01`),
  }).describe(what);

/** A whole number in [lo, hi]; out of range says both ends. */
function int(lo: number, hi: number) {
  const range = { error: (iss: { input?: unknown }) => `${show(iss.input)} is out of range ${lo}..${hi}` };
  return z.number().int().min(lo, range).max(hi, range);
}
const port = int(1, 65535);

const serverEntry = z.strictObject({
  name: z.string().optional().describe('shown on the console (16 characters kept); default "entry N"'),
  protocol: z.enum(Object.keys(PROTOCOLS) as [keyof typeof PROTOCOLS]).default('both'),
  externalPort: z.union([port, z.string().regex(/^\d+(-\d+)?$/)], { error: (iss) => `${show(iss.input)} is not a port or a range like "5000-5010"` })
    .describe('the WAN port, or a range "5000-5010" mapped one to one'),
  internalHost: ipv4('the LAN host that receives the traffic'),
  internalPort: port.optional().describe('the first port on the LAN host; default: externalPort'),
});

const mapEntry = z.strictObject({
  name: z.string().optional().describe('shown on the console (16 characters kept); default "map N"'),
  internal: ipv4('the LAN host (or a routed-subnet host)'),
  external: ipv4('its public address; equal to internal: a Transparent Map with no rewrite'),
});

export const CONFIG_SCHEMA = z.strictObject({
  $schema: z.string().optional().describe('the JSON schema editors check this file with: natpass.schema.json'),
  lan: z.strictObject({
    mac: mac('the router\'s LAN MAC').default('02:00:00:00:01:01'),
    address: cidr('the router\'s LAN address and subnet', 'lan').default('192.168.1.1/24'),
    routedSubnet: cidr('a public subnet routed to the LAN, for Transparent Maps', 'any').nullable().default(null),
  }).prefault({}),
  wan: z.strictObject({
    mac: mac('the router\'s WAN MAC').default('02:00:00:00:02:01'),
    address: cidr('the router\'s WAN address and subnet', 'any').default('198.51.100.2/24'),
    gateway: ipv4('the next hop on the WAN subnet').default('198.51.100.1'),
    answerPing: z.boolean().default(true).describe('answer pings to the WAN address'),
  }).prefault({}),
  nat: z.strictObject({
    filtering: z.enum(FILTERING).default('address-dependent')
      .describe('which inbound packets a mapping admits (RFC 4787 REQ-8)'),
    hairpin: z.boolean().default(true).describe('LAN hosts reach each other through the WAN address (RFC 4787 REQ-9)'),
    portRange: z.tuple([int(1024, 65535), int(1024, 65535)]).default([1024, 65535])
      .describe('[low, high]: the ports mappings are given; at least 256 ports (high >= low + 255)'),
    serverList: z.array(serverEntry).max(SERVER_MAX).default([]).describe(`inbound port forwards (at most ${SERVER_MAX})`),
    defaultServer: ipv4('the LAN host that receives inbound traffic no mapping or Server List entry takes').nullable().default(null),
    mapList: z.array(mapEntry).max(MAP_MAX).default([]).describe(`one-to-one address maps (at most ${MAP_MAX})`),
  }).prefault({}),
  ipsec: z.strictObject({
    mode: z.enum(IPSEC_MODES).default('multi').describe('technote NIR_077: off, server-list (firmware 4.8) or multi (4.10)'),
    ikePorts: z.array(port).min(1).max(IKE_PORT_MAX).default([500]).describe(`UDP ports IKE is recognised on (1 to ${IKE_PORT_MAX})`),
  }).prefault({}),
  timeouts: z.strictObject(Object.fromEntries(TIMEOUTS.map((t) => [t.key, int(t.min, timeoutMax(t.key)).default(t.default).describe(t.doc)])) as Record<keyof Timeouts, z.ZodDefault<z.ZodNumber>>).prefault({}),
  limits: z.strictObject(Object.fromEntries(LIMITS.map((l) => [l.key, int(1, l.max).default(l.default).describe(l.doc)])) as Record<keyof Limits, z.ZodDefault<z.ZodNumber>>).prefault({}),
});

/** A checked configuration file with every default filled in. */
export type ConfigJson = z.output<typeof CONFIG_SCHEMA>;
export type Filtering = ConfigJson['nat']['filtering'];
export type IpsecMode = ConfigJson['ipsec']['mode'];
export type ServerProtocol = ConfigJson['nat']['serverList'][number]['protocol'];

/** natpass.schema.json: what a file may hold, for editors (draft-07, the draft they know best). */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(CONFIG_SCHEMA, { io: 'input', target: 'draft-7' }),
    $id: 'natpass.schema.json',
    title: 'natpass router configuration',
  };
}
