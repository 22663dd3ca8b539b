// host/layout.ts, the one description of the config record, the counters and the ring slots: the files
// generated from it are current, counters are only ever appended, the record's format does not change
// without a new CFG_VERSION, and the compiled module agrees with the description.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { layoutFiles } from '../host/gen-layout.ts';
import { ABI_VERSION, CFG_VERSION, DUMP_RECORD_BYTES, DUMP_ROWS, CONFIG, COUNTER_MEMBERS, COUNTER_NAMES, LIMITS, MAP, SERVER, SLOT_BYTES, STORE, STORE_VERSION, TIMEOUTS, offsetOf, timeoutMax } from '../host/layout.ts';
import { decodeConfig, encodeConfig, parseConfig } from '../host/config.ts';
import { Router } from '../host/router.ts';
import { PORT_LAN, Port } from '../host/abi.ts';

/** The counters as of 2026-12-03, in their ABI order: the list may only grow after them. */
const COUNTERS_2026_12 = 'rx_frames,rx_lan,rx_wan,tx_frames,tx_lan,tx_wan,drop_oversize,drop_runt,drop_bad_port,drop_ethertype,drop_not_for_us,arp_requests_in,arp_replies_in,arp_replies_out,arp_requests_out,drop_arp_malformed,arp_queued,drop_arp_queue_full,drop_arp_timeout,drop_ip_malformed,drop_ip_checksum,drop_ip_options,drop_ip_version,drop_ttl_exceeded,icmp_time_exceeded_out,icmp_echo_replies,drop_icmp_malformed,drop_no_route,drop_martian,nat_in2out,nat_out2in,nat_hairpin,sessions_created,sessions_expired,mappings_created,mappings_expired,drop_session_table_full,drop_mapping_table_full,drop_host_quota,drop_ports_exhausted,sessions_evicted,drop_filtered,drop_unsolicited,drop_tcp_not_syn,drop_l4_malformed,server_list_in,default_server_in,static_map_in2out,static_map_out2in,transparent_pass,icmp_errors_in2out,icmp_errors_out2in,drop_icmp_error_no_session,fragments_translated,fragments_held,drop_fragment_table_full,drop_fragment_hold_full,drop_fragment_timeout,drop_fragment_malformed,out_ring_full,ipsec_esp_in2out,ipsec_esp_out2in,ipsec_ah_in2out,ipsec_ah_out2in,ike_in2out,ike_out2in,drop_ipsec_off,drop_esp_unknown_spi,drop_esp_ambiguous,drop_ike_unknown_cookie,ike_held,drop_ike_hold_full,ike_hold_released,ike_hold_timed_out,spi_bound,drop_ike_table_full,drop_sa_table_full,ike_sessions_expired,sas_expired,advisor_findings,drop_protocol,express_forwarded,ike_sessions_evicted,sas_evicted,esp_copies,ike_copies,spi_narrowed,ike_hold_duplicates,drop_icmp_error_checksum,drop_host_share,arp_ignored,drop_fragment_host_share,drop_arp_queue_host_share'.split(',');

/** Each record format: its fields (name:type@offset) and sizes, fixed part | Server List entry | Map List
 *  entry. A field added in a spare byte moves nothing and keeps the version (older records hold 0 there); a
 *  field that moves or changes type needs a new CFG_VERSION and a new line here. An old line never changes. */
const FORMATS: Record<number, string> = {
  1: 'magic:u32@0 version:u16@4 length:u16@6 lanMac:mac@8 lanAddr:u32@16 lanPrefix:u8@20 wanPrefix:u8@21 filtering:u8@22 flags:u8@23 ' +
    'wanMac:mac@24 ipsecMode:u8@30 wanAddr:u32@32 wanGateway:u32@36 routedAddr:u32@40 routedPrefix:u8@44 defaultServer:u32@48 portLo:u16@52 ' +
    'portHi:u16@54 timeouts:u32x9@56 capacities:u32x12@92 serverCount:u8@140 mapCount:u8@141 ikePortCount:u8@142 =144 | ' +
    'proto:u8@0 extLo:u16@2 extHi:u16@4 inPort:u16@6 inAddr:u32@8 spare:u32@12 name:name@16 =32 | inAddr:u32@0 extAddr:u32@4 name:name@8 =24',
};

/** Each saved slot header (host/persist.ts, board/common/config_store.c), as FORMATS: one per STORE_VERSION. */
const STORE_FORMATS: Record<number, string> = {
  1: 'magic:u32@0 version:u16@4 reserved:u16@6 sequence:u32@8 configLen:u32@12 authLen:u32@16 crc:u32@20 =24',
};

/** The current layout in FORMATS' words, one list per record part. */
const formatNow = () => [CONFIG, SERVER, MAP].map((l) => [...l.fields.map((f) => `${f.name}:${f.type}${f.count > 1 ? `x${f.count}` : ''}@${f.offset}`), `=${l.bytes}`]);

describe('layout', () => {
  it('generated files are what host/layout.ts describes (make layout rewrites them)', () => {
    for (const f of layoutFiles()) expect(readFileSync(new URL(`../${f.path}`, import.meta.url), 'utf8'), f.path).toBe(f.text);
  });

  it('only appends counters: an existing counter keeps its number and its name', () => {
    expect(COUNTER_NAMES.slice(0, COUNTERS_2026_12.length)).toEqual(COUNTERS_2026_12);
    expect(new Set(COUNTER_NAMES).size).toBe(COUNTER_NAMES.length);
    expect(new Set(COUNTER_MEMBERS).size).toBe(COUNTER_MEMBERS.length);
    // A member is its name in PascalCase, so the enum and the names cannot drift apart by a typo.
    COUNTER_NAMES.forEach((n, i) => expect(COUNTER_MEMBERS[i].toLowerCase(), n).toBe(n.replace(/_/g, '')));
  });

  it('the module counts into the counter its name says, and names them as the description does', async () => {
    const r = await Router.create();
    expect(Object.keys(r.counters())).toEqual(COUNTER_NAMES);
    // A frame on a port that does not exist and an oversize one: each lands in the counter of its name.
    r.receive(7 as Port, new Uint8Array(60));
    r.receive(PORT_LAN, new Uint8Array(4000));
    r.process(2);
    const nonzero = Object.entries(r.counters()).filter(([, v]) => v !== 0);
    expect(Object.fromEntries(nonzero)).toEqual({ rx_frames: 2, rx_lan: 1, drop_bad_port: 1, drop_oversize: 1 });
  });

  it('refuses a record of another version in one line, on the host and in the module', async () => {
    const newer = encodeConfig(parseConfig({}));
    new DataView(newer.buffer).setUint16(offsetOf(CONFIG, 'version'), CFG_VERSION + 1, true);
    expect(() => decodeConfig(newer)).toThrow(new RegExp(`^config record: is not a natpass config record of version ${CFG_VERSION}$`));
    const r = await Router.create();
    expect(() => r.restartWithRecord(newer, 0)).toThrow(/^module refused the config: record: unsupported version$/);
  });

  it('keeps the fixed part within what the console field table can address (9 bits of offset)', () => {
    expect(CONFIG.bytes).toBeLessThanOrEqual(512);
  });

  it('keeps the record format of each CFG_VERSION (a field that moves needs a new version)', () => {
    const frozen = FORMATS[CFG_VERSION].split(' | ').map((part) => part.split(' '));
    formatNow().forEach((now, i) => {
      for (const word of frozen[i]) expect(now, `part ${i}: ${word}`).toContain(word);
    });
  });

  it('keeps the saved slot\'s header of each STORE_VERSION (slots saved by an older build stay readable)', () => {
    const now = [...STORE.fields.map((f) => `${f.name}:${f.type}@${f.offset}`), `=${STORE.bytes}`];
    expect(now.join(' ')).toBe(STORE_FORMATS[STORE_VERSION]);
  });

  it('the module checks timeouts and limits against the bounds the host schema uses', async () => {
    const r = await Router.create();
    const base = parseConfig({});
    const refused = (patch: (c: ReturnType<typeof parseConfig>) => void) => {
      const c = structuredClone(base);
      patch(c);
      try {
        r.restartWithRecord(encodeConfig(c), 0);
        return null;
      } catch (e) {
        return String((e as Error).message);
      }
    };
    for (const t of TIMEOUTS) {
      expect(refused((c) => (c.timeouts[t.key] = t.min)), t.key).toBeNull();
      expect(refused((c) => (c.timeouts[t.key] = t.min - 1)), t.key).toMatch(/refused the config: timeouts/);
      expect(refused((c) => (c.timeouts[t.key] = timeoutMax(t.key) + 1)), t.key).toMatch(/refused the config: timeouts/);
    }
    for (const l of LIMITS) {
      expect(refused((c) => (c.limits[l.key] = 0)), l.key).toMatch(/refused the config: limits/);
      expect(refused((c) => (c.limits[l.key] = l.max + 1)), l.key).toMatch(/refused the config: limits/);
    }
  }, 60_000);

  it('the module and the host agree on the ABI version, the slot size and the dump record size', async () => {
    const r = await Router.create();
    expect(r.engine.call('abiVersion')).toBe(ABI_VERSION);
    expect(r.engine.call('slotBytes')).toBe(SLOT_BYTES);
    expect(r.engine.call('dumpRecordBytes')).toBe(DUMP_RECORD_BYTES);
    for (const [table, words] of Object.entries(DUMP_ROWS)) expect(words.length * 4, table).toBeLessThanOrEqual(DUMP_RECORD_BYTES);
  });
});
