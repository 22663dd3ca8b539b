// The ABI as the Node host sees it: slot layout, port ids, init()'s error codes (all from host/layout.ts,
// the one description the module's and the boards' constants are generated from) and the dump records.
// The module's abiVersion() must equal ABI_VERSION.
import { ABI_VERSION, INIT_ERRORS as ERRORS, PORTS, SLOT, SLOT_REF, offsetOf } from './layout.ts';

export { ABI_VERSION, SLOT_REF };
export const PORT_LAN = 0;
export const PORT_WAN = 1;
export type Port = typeof PORT_LAN | typeof PORT_WAN;
export const PORT_NAMES = PORTS;

export const SLOT_PORT = offsetOf(SLOT, 'port');
export const SLOT_LENGTH = offsetOf(SLOT, 'length');
/** The frame bytes; in an output slot with SLOT_REF set in its length, the frame's offset in linear memory. */
export const SLOT_DATA = SLOT.bytes;

export const DUMP_SESSIONS = 0;
export const DUMP_MAPPINGS = 1;
export const DUMP_IKE = 2;
export const DUMP_SAS = 3;
export const DUMP_FINDINGS = 4;
export const DUMP_ARP = 5;
export const DUMP_END = 0xffffffff;

/** init() error codes (assembly/config.ts ERR_*) and the config field each one names. */
export const INIT_ERRORS: Record<number, string> = Object.fromEntries(ERRORS.map((e) => [e.code, e.field]));

/**
 * Dump rows: u32 words, in this order (unused words are 0). Ages are milliseconds since last use.
 * SESSIONS  proto, inAddr, inPort, extAddr, extPort, remAddr, remPort, tcpState, ageMs, flags, pktsIn2Out, pktsOut2In
 *           flags: 1 server-list, 2 default server, 4 IPsec ALG, 8 static map
 * MAPPINGS  proto, inAddr, inPort, extAddr, extPort, sessions, ageMs, flags (1 static)
 * IKE       host, hostPort, remote, extPort, icookieHi, icookieLo, rcookieHi, rcookieLo, version, state, ageMs, natT
 *           state: 0 idle, 1 negotiating (an SA-creating exchange unanswered), 2 held (overlap queue),
 *                  3 bound (every child SA it created has its inbound SPI), 4 awaiting an inbound SPI
 *           natT: 1 NAT-D payloads seen, 2 NAT-T vendor ID seen, 4 floated to UDP 4500,
 *                 8 NAT-D hashes checked (IKEv2), 16 the peers will find NAT (ESP in UDP)
 * SAS       proto (50 ESP, 51 AH), host, remote, spi, direction (0 outbound SPI, 1 inbound SPI), packets, ageMs, ikeIndex,
 *           hosts (how many hosts an inbound SPI is delivered to: 1, or up to 4 while shared), then the other hosts
 * FINDINGS  code, host, remote, count, ageMs
 * ARP       addr, port, macHi (first 2 bytes), macLo (last 4 bytes), ageMs, resolved
 */
export const DUMP_ROWS = {
  sessions: ['proto', 'inAddr', 'inPort', 'extAddr', 'extPort', 'remAddr', 'remPort', 'tcpState', 'ageMs', 'flags', 'pktsIn2Out', 'pktsOut2In'],
  mappings: ['proto', 'inAddr', 'inPort', 'extAddr', 'extPort', 'sessions', 'ageMs', 'flags'],
  ike: ['host', 'hostPort', 'remote', 'extPort', 'icookieHi', 'icookieLo', 'rcookieHi', 'rcookieLo', 'version', 'state', 'ageMs', 'natT'],
  sas: ['proto', 'host', 'remote', 'spi', 'direction', 'packets', 'ageMs', 'ikeIndex', 'hosts'],
  findings: ['code', 'host', 'remote', 'count', 'ageMs'],
  arp: ['addr', 'port', 'macHi', 'macLo', 'ageMs', 'resolved'],
} as const;
