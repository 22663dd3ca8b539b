// What the status page shows, read through the same dump and counter exports as state.json
// (host/state.ts), between batches on the event loop, never from the packet path. Each second: the
// counters and the small tables (IKE sessions, SAs, findings). The session table, which may be large,
// only when a viewer pages it, at most every 5 s. Rates come from the per-port counters sampled each second.
import type { Router } from '../router.ts';
import { advisorState, buildState, ipsecState, sessionsState } from '../state.ts';

export const RATE_SERIES = ['rx_lan', 'tx_lan', 'rx_wan', 'tx_wan'] as const;
export const RATE_POINTS = 300; // five minutes of one-second samples
/** The session table can hold tens of thousands of rows: it is read at most this often, and only when asked. */
const FLOWS_MAX_AGE_MS = 5000;

export interface RatePoint { t: number; perSecond: Record<(typeof RATE_SERIES)[number], number> }

interface IkeRow { host: string; remote: string; version: string; state: string; ageMs: number; initiatorCookie: string; natT: { floatedTo4500: boolean; espInUdp: boolean | null } }
interface SaRow { proto: string; host: string; remote: string; spi: string; direction: string; packets: number; ageMs: number; sharedWith?: string[] }
export type FlowRow = Record<string, unknown>;

export interface Tunnel {
  host: string; remote: string; ikeVersion: string; state: string; cookie: string;
  spisOut: string[]; spisIn: string[]; transport: string; packets: number; ageMs: number;
}

export class StatusSource {
  private flowsRead: { at: number; rows: FlowRow[]; text: string[] | null } | null = null;
  private rates: RatePoint[] = [];
  private last: { at: number; counters: Record<string, number> } | null = null;
  private timer: NodeJS.Timeout;

  constructor(private router: Router, private startedAt = Date.now()) {
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Exactly what `natpass replay` writes as state.json (every table: read only when asked for). */
  state(): Record<string, unknown> {
    return buildState(this.router);
  }

  /** After a change (Restart System): the next flows request reads the table again. */
  invalidate(): void {
    this.flowsRead = null;
  }

  private sample(): void {
    const at = Date.now();
    const counters = this.router.counters();
    if (this.last) {
      const seconds = Math.max(0.001, (at - this.last.at) / 1000);
      const perSecond = {} as RatePoint['perSecond'];
      // A Restart System re-inits the counters: a fall is a restart, not a wrap, and counts from zero.
      for (const k of RATE_SERIES) {
        const before = this.last.counters[k], now = counters[k];
        perSecond[k] = Math.round(((now >= before ? now - before : now) / seconds) * 10) / 10;
      }
      this.rates.push({ t: at, perSecond });
      if (this.rates.length > RATE_POINTS) this.rates.shift();
    }
    this.last = { at, counters };
  }

  /** The page's live document: counters and the small tables (IKE, SAs, findings); flows are paged (flows()). */
  snapshot(): Record<string, unknown> {
    const counters = this.router.counters();
    const ipsec = ipsecState(this.router);
    const isDrop = (k: string) => k.startsWith('drop_') || k === 'out_ring_full';
    return {
      at: Date.now(),
      uptimeMs: Date.now() - this.startedAt,
      engine: this.router.engine.kind,
      config: this.configSummary(),
      tunnels: tunnels(ipsec.ikeSessions as IkeRow[], ipsec.sas as unknown as SaRow[]),
      ipsecMode: ipsec.mode,
      advisor: advisorState(this.router),
      counters: { traffic: Object.entries(counters).filter(([k]) => !isDrop(k)), drops: Object.entries(counters).filter(([k]) => isDrop(k)) },
      rates: this.rates,
    };
  }

  private configSummary() {
    const c = this.router.config;
    return { lan: `${c.lan.address}/${c.lan.prefix}`, wan: `${c.wan.address}/${c.wan.prefix}`, gateway: c.wan.gateway, serverList: c.nat.serverList };
  }

  /** One page of the session table, filtered by words that must all appear in a row. */
  flows(query: string, page: number, size: number): { rows: FlowRow[]; total: number; matches: number; page: number; pages: number; ageMs: number } {
    const now = Date.now();
    if (!this.flowsRead || now - this.flowsRead.at >= FLOWS_MAX_AGE_MS) {
      this.flowsRead = { at: now, rows: sessionsState(this.router), text: null };
    }
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    const read = this.flowsRead;
    // What a filter matches: the protocol and each endpoint as addr:port; made once per read, on the first filter.
    const text = () => (read.text ??= read.rows.map((r) => `${r.proto} ${r.inAddr}:${r.inPort} ${r.extAddr}:${r.extPort} ${r.remAddr}:${r.remPort}`));
    const all = words.length === 0 ? read.rows : read.rows.filter((_r, i) => words.every((w) => text()[i].includes(w)));
    const rows = read.rows;
    const pages = Math.max(1, Math.ceil(all.length / size));
    const p = Math.min(Math.max(1, page), pages);
    return { rows: all.slice((p - 1) * size, p * size), total: rows.length, matches: all.length, page: p, pages, ageMs: now - read.at };
  }
}

/** A tunnel is a LAN host and a remote gateway: its IKE session(s) and the SAs bound between them. */
export function tunnels(ike: IkeRow[], sas: SaRow[]): Tunnel[] {
  const key = (r: { host: string; remote: string }) => `${r.host} ${r.remote}`;
  const out = new Map<string, Tunnel>();
  for (const k of ike) {
    if (out.has(key(k))) continue;
    const udp = k.natT.floatedTo4500 || k.natT.espInUdp === true;
    out.set(key(k), {
      host: k.host, remote: k.remote, ikeVersion: k.version, state: k.state, cookie: k.initiatorCookie,
      spisOut: [], spisIn: [], transport: udp ? 'NAT-T (ESP in UDP 4500)' : 'raw (no SA yet)', packets: 0, ageMs: k.ageMs,
    });
  }
  for (const a of sas) {
    let t = out.get(key(a));
    if (!t) { // SAs without an IKE session in the table (it expired first): still a tunnel
      t = { host: a.host, remote: a.remote, ikeVersion: '-', state: 'no IKE session', cookie: '', spisOut: [], spisIn: [], transport: '', packets: 0, ageMs: a.ageMs };
      out.set(key(a), t);
    }
    // Not floated to UDP: the SAs say which IP protocol carries the tunnel through the ALG.
    if (!t.transport.startsWith('NAT-T')) t.transport = a.proto === 'ah' ? 'raw AH (IP 51)' : 'raw ESP (IP 50)';
    // An inbound SPI the ALG delivers to several hosts while it cannot tell which owns it (docs/ipsec.md).
    const shared = a.sharedWith?.length ? ` (shared with ${a.sharedWith.join(', ')})` : '';
    (a.direction === 'outbound' ? t.spisOut : t.spisIn).push(a.spi + shared);
    t.packets += a.packets;
    t.ageMs = Math.min(t.ageMs, a.ageMs);
  }
  return [...out.values()];
}
