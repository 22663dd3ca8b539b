// A small simulated network around one Router for behaviour tests: LAN hosts and a WAN gateway that
// answer the router's ARP requests, a clock, and a record of every frame on each wire so tests can
// write captures and check them with tshark. Frames are built and parsed by host/packets.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router, Frame } from '../../host/router.ts';
import { PORT_LAN, PORT_WAN, Port } from '../../host/abi.ts';
import { arpReply, parseFrame, ParsedFrame } from '../../host/packets.ts';
import { writePcap } from '../../host/pcap.ts';
import { checkPcap } from './tshark.ts';

export const ROUTER_LAN_MAC = '02:00:00:00:01:01';
export const ROUTER_WAN_MAC = '02:00:00:00:02:01';
export const GATEWAY_MAC = '02:00:00:00:02:fe';
export const LAN_IP = '192.168.1.1';
export const WAN_IP = '198.51.100.2';
export const GATEWAY_IP = '198.51.100.1';

/** The MAC of simulated LAN host 192.168.1.N (or any other address: derived from its last octets). */
export function hostMac(ip: string): string {
  const o = ip.split('.').map(Number);
  return `02:10:${o[0].toString(16).padStart(2, '0')}:${o[1].toString(16).padStart(2, '0')}:${o[2].toString(16).padStart(2, '0')}:${o[3].toString(16).padStart(2, '0')}`;
}

export interface Delivered {
  port: Port;
  data: Uint8Array;
  p: ParsedFrame;
}

interface Captured {
  t: number;
  data: Uint8Array;
}

export class Net {
  now = 1000;
  readonly wire: Record<'lan' | 'wan', Captured[]> = { lan: [], wan: [] };

  private constructor(readonly router: Router) {}

  static async create(config: unknown = {}): Promise<Net> {
    return new Net(await Router.create(config, { nowMs: 1000 }));
  }

  /** Frame from a LAN host towards the router. */
  fromLan(frame: Uint8Array): this {
    this.wire.lan.push({ t: this.now, data: frame });
    this.router.receive(PORT_LAN, frame);
    return this;
  }

  fromWan(frame: Uint8Array): this {
    this.wire.wan.push({ t: this.now, data: frame });
    this.router.receive(PORT_WAN, frame);
    return this;
  }

  /**
   * Advances the clock by `ms`, lets the router process what it received, answers its ARP requests
   * (LAN hosts answer for themselves, the gateway for every WAN address) and returns every non-ARP
   * frame the router transmitted, parsed.
   */
  step(ms = 1): Delivered[] {
    this.now += ms;
    const delivered: Delivered[] = [];
    let out: Frame[] = this.router.process(this.now);
    for (let round = 0; round < 4 && out.length > 0; round++) {
      let answered = false;
      for (const f of out) {
        this.wire[f.port === PORT_LAN ? 'lan' : 'wan'].push({ t: this.now, data: f.data });
        const p = parseFrame(f.data);
        if (p.arp) {
          if (p.arp.op === 1) {
            const mac = f.port === PORT_LAN ? hostMac(p.arp.targetIp) : GATEWAY_MAC;
            const reply = arpReply({ srcMac: mac, dstMac: p.arp.senderMac, senderIp: p.arp.targetIp, targetIp: p.arp.senderIp });
            if (f.port === PORT_LAN) this.fromLan(reply); else this.fromWan(reply);
            answered = true;
          }
          continue;
        }
        delivered.push({ port: f.port, data: f.data, p });
      }
      out = answered ? this.router.process(this.now) : [];
    }
    return delivered;
  }

  /** Advances time with no traffic (timers run), in steps small enough for the ALG's sweeps. */
  idle(ms: number): void {
    const step = Math.max(1, Math.floor(ms / 100));
    let left = ms;
    while (left > 0) {
      const d = Math.min(step, left);
      this.router.process((this.now += d));
      left -= d;
    }
  }

  counters(): Record<string, number> {
    return this.router.counters();
  }

  /** Writes both wires as captures and fails the test if tshark finds a bad checksum or malformed frame. */
  checkCaptures(): string {
    const dir = mkdtempSync(join(tmpdir(), 'natpass-net-'));
    for (const side of ['lan', 'wan'] as const) {
      const path = join(dir, `${side}.pcap`);
      writePcap(path, this.wire[side].map((c) => ({ timeMs: c.t, data: c.data })));
      checkPcap(path);
    }
    return dir;
  }
}

export const LAN = (f: Delivered[]) => f.filter((x) => x.port === PORT_LAN);
export const WAN = (f: Delivered[]) => f.filter((x) => x.port === PORT_WAN);
