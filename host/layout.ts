// The one description of every layout the module shares with its hosts: the config record (fixed part,
// Server List and Map List entries, the value codes its fields hold), the timeouts and limits it carries,
// init()'s error codes, the counter list and the ring slots. `make layout` (host/gen-layout.ts) writes the
// module's constants (assembly/layout.generated.ts) and the boards' C header
// (board/common/layout.generated.h) from it; the Node host imports this file directly. test/layout.test.ts
// fails while a generated file is stale, when a counter is renumbered, and when the record changes
// without a new CFG_VERSION. Pure data and small pure functions: the generator and the host both import it.

// ---- the config record (assembly/config.ts reads it, host/config.ts writes it) ----

/** "NPCF" read little-endian. */
export const CFG_MAGIC = 0x4643504e;
/**
 * The record's format. A record of another version is refused (init: ERR_VERSION; a saved one on the
 * board or in --state is then reported and the default runs), so bump it whenever a field moves or
 * changes meaning; test/layout.test.ts keeps every version's offsets and fails when they change
 * without a new version.
 */
export const CFG_VERSION = 1;

export type FieldType = 'u8' | 'u16' | 'u32' | 'mac' | 'name';
/** Bytes and alignment of each field type: fields are laid out in order, each at its natural alignment. */
export const FIELD_BYTES: Record<FieldType, number> = { u8: 1, u16: 2, u32: 4, mac: 6, name: 16 };
const FIELD_ALIGN: Record<FieldType, number> = { u8: 1, u16: 2, u32: 4, mac: 1, name: 1 };

export interface FieldSpec<N extends string = string> {
  readonly name: N;
  readonly type: FieldType;
  /** Elements (an array of `type`); 1 for a plain field. */
  readonly count: number;
  readonly doc: string;
}

const field = <N extends string>(name: N, type: FieldType, doc: string, count = 1): FieldSpec<N> => ({ name, type, count, doc });

/** Timeouts, in the record's order (u32 each). Seconds unless the key ends in Ms. */
export const TIMEOUTS = [
  { key: 'udp', min: 120, default: 300, doc: 'idle UDP session, seconds (RFC 4787 REQ-5: at least 120)' },
  { key: 'tcpEstablished', min: 7440, default: 7440, doc: 'idle established TCP session, seconds (RFC 5382 REQ-5: at least 7440)' },
  { key: 'tcpTransitory', min: 240, default: 240, doc: 'TCP session before both SYNs or after both FINs or a RST, seconds (RFC 5382: at least 240)' },
  { key: 'icmp', min: 60, default: 60, doc: 'idle ICMP echo session, seconds (RFC 5508 REQ-1: at least 60)' },
  { key: 'ipsecSa', min: 30, default: 3600, doc: 'idle IPsec SA (ESP/AH), seconds' },
  { key: 'ike', min: 30, default: 3600, doc: 'idle IKE session, seconds' },
  { key: 'ikeHoldMs', min: 100, default: 10000, doc: 'how long IKE from a second host waits while another negotiates with the same peer, milliseconds' },
  { key: 'fragmentMs', min: 100, default: 5000, doc: 'how long fragments wait for their first fragment, milliseconds' },
  { key: 'arp', min: 10, default: 300, doc: 'ARP cache entry lifetime, seconds' },
] as const;
/** The largest timeout in seconds: the module turns seconds into u32 milliseconds that must stay below 2^31. */
export const SECONDS_MAX = Math.floor(0x7fffffff / 1000);
/** The largest timeout in milliseconds (the hold queue and fragments keep frames no longer). */
export const MS_MAX = 120_000;
export const timeoutMax = (key: string) => (key.endsWith('Ms') ? MS_MAX : SECONDS_MAX);

/** Limits (table capacities), in the record's order (u32 each); every one is at least 1. */
export const LIMITS = [
  { key: 'sessions', max: 65535, default: 65535, doc: 'NAT sessions (one per remote endpoint of a mapping; a flow index is 16 bits)' },
  { key: 'mappings', max: 65535, default: 32768, doc: 'NAT mappings (one per inside address, port and protocol)' },
  { key: 'hostQuota', max: 65535, default: 4096, doc: 'mappings one LAN host may hold' },
  { key: 'hosts', max: 1 << 16, default: 1024, doc: 'LAN hosts tracked for the quota' },
  { key: 'fragments', max: 4096, default: 256, doc: 'datagrams whose fragments are being tracked' },
  { key: 'fragmentHold', max: 1024, default: 64, doc: 'early fragments held until their first fragment arrives' },
  { key: 'arpEntries', max: 4096, default: 256, doc: 'ARP cache entries' },
  { key: 'arpQueue', max: 1024, default: 64, doc: 'frames waiting for an ARP answer' },
  { key: 'batch', max: 1024, default: 256, doc: 'frames the host hands the module per call' },
  { key: 'outSlots', max: 4096, default: 512, doc: 'output slots per call (at least limits.batch)' },
  { key: 'ikeSessions', max: 1 << 16, default: 1024, doc: 'IKE sessions tracked by the IPsec ALG' },
  { key: 'ipsecSas', max: 1 << 16, default: 4096, doc: 'IPsec SAs (ESP/AH SPIs) tracked by the IPsec ALG' },
] as const;

/** The fixed part of the record, in order. The lists follow it: Server List entries, Map List entries, IKE ports (u16 each). */
export const CONFIG_FIELDS = [
  field('magic', 'u32', 'CFG_MAGIC'),
  field('version', 'u16', 'CFG_VERSION'),
  field('length', 'u16', 'the whole record, lists included, in bytes'),
  field('lanMac', 'mac', 'the router\'s LAN MAC'),
  field('lanAddr', 'u32', 'the router\'s LAN address'),
  field('lanPrefix', 'u8', 'LAN prefix length, 8..30'),
  field('wanPrefix', 'u8', 'WAN prefix length, 1..32'),
  field('filtering', 'u8', 'FILTERING: one of FILTER_*'),
  field('flags', 'u8', 'FLAG_* bits'),
  field('wanMac', 'mac', 'the router\'s WAN MAC'),
  field('ipsecMode', 'u8', 'IPSEC_MODES: one of IPSEC_*'),
  field('wanAddr', 'u32', 'the router\'s WAN address'),
  field('wanGateway', 'u32', 'the next hop on the WAN subnet (0: none)'),
  field('routedAddr', 'u32', 'the subnet routed to the LAN for Transparent Maps (0: none)'),
  field('routedPrefix', 'u8', 'its prefix length'),
  field('defaultServer', 'u32', 'the LAN host that receives unclaimed inbound traffic (0: none)'),
  field('portLo', 'u16', 'the lowest port mappings are given'),
  field('portHi', 'u16', 'the highest'),
  field('timeouts', 'u32', 'TIMEOUTS, in order (T_*)', TIMEOUTS.length),
  field('capacities', 'u32', 'LIMITS, in order (C_*)', LIMITS.length),
  field('serverCount', 'u8', 'Server List entries after the fixed part'),
  field('mapCount', 'u8', 'Map List entries after them'),
  field('ikePortCount', 'u8', 'IKE ports (u16) after them'),
] as const;

/** A Server List entry (SERVER_* offsets). */
export const SERVER_FIELDS = [
  field('proto', 'u8', 'PROTO_SEL_* bits: 1 UDP, 2 TCP, 3 both'),
  field('extLo', 'u16', 'the first external port'),
  field('extHi', 'u16', 'the last external port (a range maps one to one)'),
  field('inPort', 'u16', 'the first internal port'),
  field('inAddr', 'u32', 'the LAN host'),
  field('spare', 'u32', '0 (room for a field)'),
  field('name', 'name', 'ASCII, NUL padded; for the console and state dumps only'),
] as const;

/** A Map List entry (MAP_* offsets). */
export const MAP_FIELDS = [
  field('inAddr', 'u32', 'the LAN (or routed-subnet) host'),
  field('extAddr', 'u32', 'its public address; equal to inAddr: a Transparent Map'),
  field('name', 'name', 'ASCII, NUL padded; for the console and state dumps only'),
] as const;

export const SERVER_MAX = 64;
export const MAP_MAX = 64;
export const IKE_PORT_MAX = 8;

/** Value codes some fields hold: a field's code is its index in the list (PROTOCOLS: its value). */
export const FILTERING = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'] as const;
export const IPSEC_MODES = ['off', 'server-list', 'multi'] as const;
/** Server List protocol selectors, by code (bit 0 UDP, bit 1 TCP). */
export const PROTOCOLS = { udp: 1, tcp: 2, both: 3 } as const;
/** Bits of the flags field. */
export const FLAGS = { wanPing: 1, hairpin: 2 } as const;

/** init() result codes: 0 is success; each error names the config field the host reports. */
export const INIT_ERRORS = [
  { code: -1, name: 'magic', field: 'record: bad magic' },
  { code: -2, name: 'version', field: 'record: unsupported version' },
  { code: -3, name: 'length', field: 'record: length' },
  { code: -4, name: 'lan', field: 'lan' },
  { code: -5, name: 'wan', field: 'wan' },
  { code: -6, name: 'filtering', field: 'nat.filtering' },
  { code: -7, name: 'ipsecMode', field: 'ipsec.mode' },
  { code: -8, name: 'portRange', field: 'nat.portRange' },
  { code: -9, name: 'timeout', field: 'timeouts' },
  { code: -10, name: 'capacity', field: 'limits' },
  { code: -11, name: 'serverList', field: 'nat.serverList' },
  { code: -12, name: 'mapList', field: 'nat.mapList' },
  { code: -13, name: 'ikePorts', field: 'ipsec.ikePorts' },
  { code: -14, name: 'memory', field: 'limits: tables do not fit in memory' },
  { code: -15, name: 'defaultServer', field: 'nat.defaultServer' },
] as const;

// ---- the rings (assembly/abi.ts) ----

/** Bump when the slot layout or the meaning of an export changes; every host checks abiVersion(). */
export const ABI_VERSION = 2;
export const PORTS = ['lan', 'wan'] as const;
/** A ring slot: u16 port, u16 length, then the frame. */
export const SLOT_FIELDS = [
  field('port', 'u16', 'PORT_LAN or PORT_WAN'),
  field('length', 'u16', 'frame bytes; in an output slot, SLOT_REF set: the first data word is the frame\'s offset'),
] as const;
/** 1518 bytes: an Ethernet frame without FCS plus one 802.1Q tag, rounded up to 16. */
export const SLOT_BYTES = 1536;
export const SLOT_REF = 0x8000;

// ---- the saved config (host/persist.ts, board/common/config_store.c) ----

/** "NPST" read little-endian: a slot whose first word is not this holds no record (erased, or torn). */
export const STORE_MAGIC = 0x5453504e;
/** Bump when the slot record's header changes; a slot of another version is ignored. */
export const STORE_VERSION = 1;
/** A config slot (file on the host, flash sectors on a board): this header, then the config record and
 *  the console's auth record. The CRC covers both; the magic is written last. */
export const STORE_FIELDS = [
  field('magic', 'u32', 'STORE_MAGIC, written last'),
  field('version', 'u16', 'STORE_VERSION'),
  field('reserved', 'u16', '0'),
  field('sequence', 'u32', 'one more than the newest record\'s at the time of the save; the higher valid one wins'),
  field('configLen', 'u32', 'bytes of the config record after the header'),
  field('authLen', 'u32', 'bytes of the auth record after the config record'),
  field('crc', 'u32', 'CRC-32 (IEEE, reflected) of the config and auth records'),
] as const;

/**
 * State dump rows (dump(table, cursor) writes them; the console reads them too): u32 words, in this order
 * (unused words are 0). Ages are milliseconds since last use.
 * SESSIONS  flags: 1 server-list, 2 default server, 4 IPsec ALG, 8 static map
 * MAPPINGS  flags: 1 static
 * IKE       state: 0 idle, 1 negotiating (an SA-creating exchange unanswered), 2 held (overlap queue),
 *                  3 bound (every child SA it created has its inbound SPI), 4 awaiting an inbound SPI
 *           natT: 1 NAT-D payloads seen, 2 NAT-T vendor ID seen, 4 floated to UDP 4500,
 *                 8 NAT-D hashes checked (IKEv2), 16 the peers will find NAT (ESP in UDP)
 * SAS       proto (50 ESP, 51 AH), direction (0 outbound SPI, 1 inbound SPI), hosts (how many hosts an
 *           inbound SPI is delivered to: 1, or up to 4 while shared), then the other hosts
 * FINDINGS  code: the advisor's catalogue (assembly/alg/advisor.ts)
 * ARP       macHi: the first 2 bytes, macLo: the last 4
 */
export const DUMP_ROWS = {
  sessions: ['proto', 'inAddr', 'inPort', 'extAddr', 'extPort', 'remAddr', 'remPort', 'tcpState', 'ageMs', 'flags', 'pktsIn2Out', 'pktsOut2In'],
  mappings: ['proto', 'inAddr', 'inPort', 'extAddr', 'extPort', 'sessions', 'ageMs', 'flags'],
  ike: ['host', 'hostPort', 'remote', 'extPort', 'icookieHi', 'icookieLo', 'rcookieHi', 'rcookieLo', 'version', 'state', 'ageMs', 'natT'],
  sas: ['proto', 'host', 'remote', 'spi', 'direction', 'packets', 'ageMs', 'ikeIndex', 'hosts'],
  findings: ['code', 'host', 'remote', 'count', 'ageMs'],
  arp: ['addr', 'port', 'macHi', 'macLo', 'ageMs', 'resolved'],
} as const;

/** dump()'s table numbers are the tables' places in DUMP_ROWS (DUMP_SESSIONS 0 ... DUMP_ARP 5). */
export const DUMP_TABLES = Object.keys(DUMP_ROWS) as (keyof typeof DUMP_ROWS)[];
/** Every row is this long, whatever its table (the longest row's words, rounded up). */
export const DUMP_RECORD_BYTES = 48;
/** dumpCursor() when a table is done. */
export const DUMP_END = 0xffffffff;

// ---- counters (assembly/counters.ts) ----

/**
 * Every counter and drop reason, in one list: a counter's number is its index here and is part of the
 * ABI (state.json readers, the boards), so this list is append-only: add at the end, never reorder,
 * rename or remove (an unused counter stays, at 0). The enum member is the name in PascalCase (a
 * letter after a digit capitalised: in2out -> In2Out) unless `member` says otherwise.
 * rx_frames and tx_frames are sums, written by countersSettle. ike_hold_timed_out stays at 0 since
 * 2026-12-03: a held IKE request leaves by the overlap rule (alg/hold.ts), never by a timeout.
 */
export const COUNTERS: readonly (string | { name: string; member: string })[] = [
  'rx_frames', 'rx_lan', 'rx_wan', 'tx_frames', 'tx_lan', 'tx_wan',
  'drop_oversize', 'drop_runt', 'drop_bad_port', { name: 'drop_ethertype', member: 'DropEtherType' }, 'drop_not_for_us',
  'arp_requests_in', 'arp_replies_in', 'arp_replies_out', 'arp_requests_out', 'drop_arp_malformed', 'arp_queued', 'drop_arp_queue_full', 'drop_arp_timeout',
  'drop_ip_malformed', 'drop_ip_checksum', 'drop_ip_options', 'drop_ip_version', 'drop_ttl_exceeded', 'icmp_time_exceeded_out',
  'icmp_echo_replies', 'drop_icmp_malformed', 'drop_no_route', 'drop_martian',
  'nat_in2out', 'nat_out2in', 'nat_hairpin', 'sessions_created', 'sessions_expired', 'mappings_created', 'mappings_expired',
  'drop_session_table_full', 'drop_mapping_table_full', 'drop_host_quota', 'drop_ports_exhausted', 'sessions_evicted',
  'drop_filtered', 'drop_unsolicited', 'drop_tcp_not_syn', 'drop_l4_malformed',
  'server_list_in', 'default_server_in', 'static_map_in2out', 'static_map_out2in', 'transparent_pass',
  'icmp_errors_in2out', 'icmp_errors_out2in', 'drop_icmp_error_no_session',
  'fragments_translated', 'fragments_held', 'drop_fragment_table_full', 'drop_fragment_hold_full', 'drop_fragment_timeout', 'drop_fragment_malformed',
  'out_ring_full',
  'ipsec_esp_in2out', 'ipsec_esp_out2in', 'ipsec_ah_in2out', 'ipsec_ah_out2in', 'ike_in2out', 'ike_out2in',
  'drop_ipsec_off', 'drop_esp_unknown_spi', 'drop_esp_ambiguous', 'drop_ike_unknown_cookie', 'ike_held', 'drop_ike_hold_full', 'ike_hold_released',
  'ike_hold_timed_out', 'spi_bound', 'drop_ike_table_full', 'drop_sa_table_full', 'ike_sessions_expired', 'sas_expired', 'advisor_findings',
  'drop_protocol',
  'express_forwarded',
  'ike_sessions_evicted', 'sas_evicted', 'esp_copies', 'ike_copies', 'spi_narrowed', 'ike_hold_duplicates', 'drop_icmp_error_checksum',
  'drop_host_share', 'arp_ignored', 'drop_fragment_host_share', 'drop_arp_queue_host_share',
];

// ---- derived: what the generator and the host compute from the lists above ----

export interface PlacedField extends FieldSpec {
  readonly offset: number;
  readonly bytes: number;
}

/** Offsets of a field list laid out in order at natural alignment; `bytes` rounds the end up to 4. */
export function place(fields: readonly FieldSpec[]): { fields: PlacedField[]; bytes: number } {
  let at = 0;
  const out: PlacedField[] = [];
  for (const f of fields) {
    const align = FIELD_ALIGN[f.type];
    at = Math.ceil(at / align) * align;
    const bytes = FIELD_BYTES[f.type] * f.count;
    out.push({ ...f, offset: at, bytes });
    at += bytes;
  }
  return { fields: out, bytes: Math.ceil(at / 4) * 4 };
}

export const CONFIG = place(CONFIG_FIELDS);
export const SERVER = place(SERVER_FIELDS);
export const MAP = place(MAP_FIELDS);
export const SLOT = place(SLOT_FIELDS);
export const STORE = place(STORE_FIELDS);

/** lanMac -> LAN_MAC, ikeHoldMs -> IKE_HOLD_MS, 'address-and-port-dependent' -> ADDRESS_AND_PORT_DEPENDENT. */
export const constantCase = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/-/g, '_').toUpperCase();

/** rx_frames -> RxFrames, nat_in2out -> NatIn2Out. */
export const pascalCase = (s: string) => s.split('_').map((w) => w.replace(/^[a-z]/, (c) => c.toUpperCase()).replace(/(\d)([a-z])/g, (_, d, c) => d + c.toUpperCase())).join('');

export const COUNTER_NAMES = COUNTERS.map((c) => (typeof c === 'string' ? c : c.name));
export const COUNTER_MEMBERS = COUNTERS.map((c) => (typeof c === 'string' ? pascalCase(c) : c.member));

/** A placed field by name (throws on a name the list does not have: a typo is a bug, not a 0). */
export function offsetOf(layout: { fields: PlacedField[] }, name: string): number {
  const f = layout.fields.find((x) => x.name === name);
  if (!f) throw new Error(`layout: no field ${name}`);
  return f.offset;
}

/** A field's value as the host handles it: a number, a list of numbers (count > 1), or text (mac, name). */
export type FieldValue = number | readonly number[] | string;
export type FieldValues<F extends readonly FieldSpec[]> = { [K in F[number]['name']]: FieldValue };

/** Writes each field of `layout` at `base` (little-endian). A mac is "02:00:...", a name ASCII cut to 16 bytes. */
export function writeFields(b: Uint8Array, base: number, layout: { fields: PlacedField[] }, values: Record<string, FieldValue>): void {
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  for (const f of layout.fields) {
    const value = values[f.name];
    if (value === undefined) throw new Error(`layout: no value for ${f.name}`);
    const at = base + f.offset;
    if (f.type === 'mac') b.set(String(value).split(':').map((h) => parseInt(h, 16)), at);
    else if (f.type === 'name') b.set(Buffer.from(String(value).replace(/[^\x20-\x7e]/g, '?'), 'latin1').subarray(0, FIELD_BYTES.name), at);
    else {
      const list = typeof value === 'number' ? [value] : (value as readonly number[]);
      if (list.length !== f.count) throw new Error(`layout: ${f.name} needs ${f.count} values, not ${list.length}`);
      list.forEach((x, i) => {
        const o = at + i * FIELD_BYTES[f.type];
        if (f.type === 'u8') v.setUint8(o, x);
        else if (f.type === 'u16') v.setUint16(o, x, true);
        else v.setUint32(o, x >>> 0, true);
      });
    }
  }
}

/** The inverse of writeFields: every field of `layout` at `base`. */
export function readFields(b: Uint8Array, base: number, layout: { fields: PlacedField[] }): Record<string, FieldValue> {
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const out: Record<string, FieldValue> = {};
  for (const f of layout.fields) {
    const at = base + f.offset;
    if (f.type === 'mac') out[f.name] = Array.from(b.subarray(at, at + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
    else if (f.type === 'name') {
      let end = at;
      while (end < at + FIELD_BYTES.name && b[end] !== 0) end++;
      out[f.name] = Buffer.from(b.subarray(at, end)).toString('latin1');
    } else {
      const list = Array.from({ length: f.count }, (_, i) => {
        const o = at + i * FIELD_BYTES[f.type];
        return f.type === 'u8' ? v.getUint8(o) : f.type === 'u16' ? v.getUint16(o, true) : v.getUint32(o, true);
      });
      out[f.name] = f.count === 1 ? list[0] : list;
    }
  }
  return out;
}
