// IKE and ESP shorthands for the IPsec ALG's tests: one exchange is a request and its answer through the
// router, as real peers send them (IKEv2 answers carry the Response flag; IKEv1 Quick Mode's three
// messages share one message ID). Built on test/helpers/traffic.ts, so every checksum is right.
import { createHash } from 'node:crypto';
import { Net, LAN, WAN, WAN_IP } from './net.ts';
import { lan, wan } from './traffic.ts';

export const IKEV1_MAIN = 2, IKEV1_AGGR = 4, IKEV1_QUICK = 32, IKEV2_INIT = 34, IKEV2_AUTH = 35, IKEV2_CHILD = 36, IKEV2_INFO = 37;
export const NAT_D_NOTIFY = { type: 41, body: Buffer.concat([Buffer.from([0, 0, 0x40, 0x04]), Buffer.alloc(20, 9)]) };
export const RESPONSE = 0x20;
export const INITIATOR = 0x08;

/** An IKEv2 NAT_DETECTION_{SOURCE,DESTINATION}_IP notify: SHA-1(SPIi | SPIr | address | port), RFC 7296 2.23. */
export function natD(type: 'source' | 'destination', spiI: bigint, spiR: bigint, addr: string, port: number) {
  const input = Buffer.alloc(22);
  input.writeBigUInt64BE(spiI, 0);
  input.writeBigUInt64BE(spiR, 8);
  addr.split('.').forEach((o, i) => (input[16 + i] = Number(o)));
  input.writeUInt16BE(port, 20);
  const code = type === 'source' ? 16388 : 16389;
  return { type: 41, body: Buffer.concat([Buffer.from([0, 0, code >> 8, code & 255]), createHash('sha1').update(input).digest()]) };
}

export interface ExchangeOpts {
  payloads?: { type: number; body: Uint8Array }[];
  flags?: number;
  messageId?: number;
  natT?: boolean; // on UDP 4500 behind the non-ESP marker (NAT-T, MOBIKE)
  byGateway?: boolean; // the gateway sends the request, the host answers
}

/** One IKE exchange: a request and its answer, through the router. */
export function exchange(net: Net, host: string, gw: string, version: 1 | 2, ex: number, icookie: bigint, rcookie: bigint, opts: ExchangeOpts = {}) {
  const first = ex === IKEV1_MAIN || ex === IKEV2_INIT;
  const port = opts.natT ? 4500 : 500;
  const common = { version, exchange: ex, messageId: opts.messageId ?? 0, nonEspMarker: opts.natT, sport: port, dport: port };
  const fromHost = (rc: bigint, flags: number | undefined) =>
    WAN(net.fromLan(lan.ike({ src: host, dst: gw, icookie, rcookie: rc, flags, payloads: opts.payloads, ...common })).step());
  const fromGw = (flags: number | undefined) =>
    LAN(net.fromWan(wan.ike({ src: gw, dst: WAN_IP, icookie, rcookie, flags, ...common })).step());
  if (opts.byGateway) {
    const back = fromGw(version === 2 ? 0 : opts.flags);
    const out = fromHost(rcookie, version === 2 ? RESPONSE | INITIATOR : opts.flags);
    return { out, back };
  }
  const out = fromHost(first ? 0n : rcookie, version === 2 ? INITIATOR : opts.flags);
  const back = fromGw(version === 2 ? RESPONSE : opts.flags);
  return { out, back };
}

/** A full negotiation: phase 1 / IKE_SA_INIT, then the exchange that creates the child SA. */
export function negotiate(net: Net, host: string, gw: string, version: 1 | 2, icookie: bigint, payloads = version === 2 ? [NAT_D_NOTIFY] : []) {
  const rcookie = icookie + 0x1000n;
  const first = exchange(net, host, gw, version, version === 1 ? IKEV1_MAIN : IKEV2_INIT, icookie, rcookie, { payloads });
  const second = exchange(net, host, gw, version, version === 1 ? IKEV1_QUICK : IKEV2_AUTH, icookie, rcookie, { flags: 1, messageId: version === 1 ? 0x1234 : 1 });
  return [first, second];
}

export function espIn(net: Net, gw: string, spi: number) {
  return LAN(net.fromWan(wan.esp({ src: gw, dst: WAN_IP, spi, seq: 1 })).step());
}

export function espOut(net: Net, host: string, gw: string, spi: number) {
  return WAN(net.fromLan(lan.esp({ src: host, dst: gw, spi, seq: 1 })).step());
}

/** The LAN hosts a frame list went to. */
export const dsts = (frames: { p: { ip?: { dst: string } } }[]) => frames.map((f) => f.p.ip!.dst).sort();

/** IKEv2 IKE_SA_INIT answered with NAT-D hashes that match (no NAT seen: raw ESP follows); the responder SPI. */
export function initNoNat(net: Net, host: string, gw: string, icookie: bigint) {
  const rcookie = icookie + 0x1000n;
  net.fromLan(lan.ike({ src: host, dst: gw, sport: 500, dport: 500, icookie, rcookie: 0n, version: 2, exchange: IKEV2_INIT, payloads: [NAT_D_NOTIFY] })).step();
  const payloads = [natD('source', icookie, rcookie, gw, 500), natD('destination', icookie, rcookie, host, 500)];
  net.fromWan(wan.ike({ src: gw, dst: WAN_IP, sport: 500, dport: 500, icookie, rcookie, version: 2, exchange: IKEV2_INIT, flags: RESPONSE, payloads })).step();
  return rcookie;
}
