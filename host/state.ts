// state.json: what the router knows, in words. Counters by name, and every dump table (host/layout.ts
// DUMP_ROWS) as named rows with dotted addresses and protocol names; advisor findings carry their
// code, reason and fix from the module's own catalogue. The parts are exported one by one so the
// status page (host/http/) can read the small tables each second without the large ones.
import { DUMP_ARP, DUMP_FINDINGS, DUMP_IKE, DUMP_MAPPINGS, DUMP_ROWS, DUMP_SAS, DUMP_SESSIONS, PORT_NAMES } from './abi.ts';
import { u32ToIp } from './config.ts';
import { readAsString } from './engines/engine.ts';
import type { Router } from './router.ts';

const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 50: 'esp', 51: 'ah' };
const IKE_STATES = ['idle', 'negotiating', 'held', 'bound', 'awaiting inbound SPI'];
const ADDRESS_WORDS = new Set(['inAddr', 'extAddr', 'remAddr', 'host', 'remote', 'addr']);

export interface Finding {
  code: number;
  name: string;
  reason: string;
  fix: string;
}

/** The advisor's catalogue, read from the module (assembly/alg/advisor.ts). */
export function advisorCatalog(router: Router): Map<number, Finding> {
  const text = readAsString(router.engine.memory(), router.engine.call('advisorCatalog') >>> 0);
  const map = new Map<number, Finding>();
  for (const line of text.split('\n')) {
    const [code, name, reason, fix] = line.split('|');
    if (name) map.set(Number(code), { code: Number(code), name, reason, fix });
  }
  return map;
}

function named(words: readonly string[], row: Uint32Array): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  words.forEach((w, i) => {
    const v = row[i];
    if (ADDRESS_WORDS.has(w)) o[w] = u32ToIp(v);
    else if (w === 'proto') o[w] = PROTO_NAMES[v] ?? v;
    else o[w] = v;
  });
  return o;
}

const hex32 = (v: number) => v.toString(16).padStart(8, '0');

/** A dump row's word numbers by name (host/layout.ts DUMP_ROWS), so rows are read by name, not r[6]. */
function wordIndex<const W extends readonly string[]>(words: W): Record<W[number], number> {
  return Object.fromEntries(words.map((w, i) => [w, i])) as Record<W[number], number>;
}
const IKE = wordIndex(DUMP_ROWS.ike), SAS = wordIndex(DUMP_ROWS.sas), FINDING = wordIndex(DUMP_ROWS.findings), ARP = wordIndex(DUMP_ROWS.arp);

/** IKE sessions and SAs, with cookies in hex and NAT-T facts spelled out. */
export function ipsecState(router: Router) {
  const ikeSessions = router.dumpTable(DUMP_IKE).map((r) => {
    const o = named(DUMP_ROWS.ike, r);
    return {
      host: o.host, hostPort: o.hostPort, remote: o.remote, externalPort: o.extPort,
      initiatorCookie: hex32(r[IKE.icookieHi]) + hex32(r[IKE.icookieLo]), responderCookie: hex32(r[IKE.rcookieHi]) + hex32(r[IKE.rcookieLo]),
      version: r[IKE.version] === 2 ? 'IKEv2' : 'IKEv1', state: IKE_STATES[r[IKE.state]] ?? r[IKE.state], ageMs: r[IKE.ageMs],
      natT: {
        natDetection: (r[IKE.natT] & 1) !== 0, vendorId: (r[IKE.natT] & 2) !== 0, floatedTo4500: (r[IKE.natT] & 4) !== 0,
        // IKEv2 only: the ALG checked the NAT-D hashes, and whether the peers will put ESP in UDP
        espInUdp: (r[IKE.natT] & 8) !== 0 ? (r[IKE.natT] & 16) !== 0 : null,
      },
    };
  });
  const sas = router.dumpTable(DUMP_SAS).map((r) => ({
    ...named(DUMP_ROWS.sas, r), spi: '0x' + hex32(r[SAS.spi]), direction: r[SAS.direction] === 1 ? 'inbound' : 'outbound',
    ikeIndex: r[SAS.ikeIndex] === 0xffffffff ? null : r[SAS.ikeIndex],
    // an inbound SPI several hosts may own is delivered to each of them; the other hosts follow `hosts` (docs/ipsec.md)
    sharedWith: r[SAS.hosts] > 1 ? [...r.subarray(SAS.hosts + 1, SAS.hosts + r[SAS.hosts])].map(u32ToIp) : [],
  }));
  return { mode: router.config.ipsec.mode, ikeSessions, sas };
}

/** The advisor's findings with the catalogue's name, reason and fix. */
export function advisorState(router: Router) {
  const catalog = advisorCatalog(router);
  return router.dumpTable(DUMP_FINDINGS).map((r) => {
    const f = catalog.get(r[FINDING.code]);
    return {
      code: r[FINDING.code], name: f?.name ?? 'UNKNOWN', host: u32ToIp(r[FINDING.host]), remote: u32ToIp(r[FINDING.remote]), count: r[FINDING.count],
      ageMs: r[FINDING.ageMs], reason: f?.reason ?? '', fix: f?.fix ?? '',
    };
  });
}

/** The session table (every flow the NAT tracks), one named row per session. */
export function sessionsState(router: Router): Record<string, unknown>[] {
  return router.dumpTable(DUMP_SESSIONS).map((r) => named(DUMP_ROWS.sessions, r));
}

export function buildState(router: Router): Record<string, unknown> {
  const arp = router.dumpTable(DUMP_ARP).map((r) => ({
    addr: u32ToIp(r[ARP.addr]), port: PORT_NAMES[r[ARP.port]] ?? r[ARP.port],
    mac: [r[ARP.macHi] >>> 8, r[ARP.macHi] & 255, r[ARP.macLo] >>> 24, (r[ARP.macLo] >>> 16) & 255, (r[ARP.macLo] >>> 8) & 255, r[ARP.macLo] & 255]
      .map((b) => b.toString(16).padStart(2, '0')).join(':'),
    ageMs: r[ARP.ageMs], resolved: r[ARP.resolved] === 1,
  }));
  return {
    engine: router.engine.kind,
    counters: router.counters(),
    mappings: router.dumpTable(DUMP_MAPPINGS).map((r) => named(DUMP_ROWS.mappings, r)),
    sessions: sessionsState(router),
    ipsec: ipsecState(router),
    advisor: advisorState(router),
    arp,
  };
}
