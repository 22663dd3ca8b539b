// The ABI as the Node host sees it: slot layout, port ids, init()'s error codes (all from host/layout.ts,
// the one description the module's and the boards' constants are generated from) and the dump records.
// The module's abiVersion() must equal ABI_VERSION.
import { ABI_VERSION, DUMP_END, DUMP_ROWS, DUMP_TABLES, INIT_ERRORS as ERRORS, PORTS, SLOT, SLOT_REF, offsetOf } from './layout.ts';

export { ABI_VERSION, SLOT_REF };
export const PORT_LAN = 0;
export const PORT_WAN = 1;
export type Port = typeof PORT_LAN | typeof PORT_WAN;
export const PORT_NAMES = PORTS;

export const SLOT_PORT = offsetOf(SLOT, 'port');
export const SLOT_LENGTH = offsetOf(SLOT, 'length');
/** The frame bytes; in an output slot with SLOT_REF set in its length, the frame's offset in linear memory. */
export const SLOT_DATA = SLOT.bytes;

/** dump()'s table numbers: each table's place in DUMP_ROWS. */
export const DUMP_SESSIONS = DUMP_TABLES.indexOf('sessions');
export const DUMP_MAPPINGS = DUMP_TABLES.indexOf('mappings');
export const DUMP_IKE = DUMP_TABLES.indexOf('ike');
export const DUMP_SAS = DUMP_TABLES.indexOf('sas');
export const DUMP_FINDINGS = DUMP_TABLES.indexOf('findings');
export const DUMP_ARP = DUMP_TABLES.indexOf('arp');
export { DUMP_END };

/** init() error codes (assembly/config.ts ERR_*) and the config field each one names. */
export const INIT_ERRORS: Record<number, string> = Object.fromEntries(ERRORS.map((e) => [e.code, e.field]));

/** Dump rows: u32 words, per table, in the order host/layout.ts DUMP_ROWS lists them (its comment says what each holds). */
export { DUMP_ROWS };
