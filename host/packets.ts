// Frames for tests, the demo, the bench and the lab: builders that return whole Ethernet frames with
// every checksum right (RFC 791 IPv4, RFC 768 UDP, RFC 793 TCP, RFC 792 ICMP, RFC 4303 ESP, RFC 4302
// AH, RFC 2408/7296 IKE headers, RFC 826 ARP), and parseFrame(), which never throws: whatever is
// missing or truncated is simply absent from the result. Addresses are dotted strings, MACs 'aa:bb:..'.

export const ETH_HEADER = 14;
const IP_HEADER = 20;

export function macBytes(mac: string): number[] {
  return mac.split(':').map((h) => parseInt(h, 16));
}

export function ipBytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

const macStr = (b: Uint8Array, at: number) => Array.from(b.subarray(at, at + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
const ipStr = (b: Uint8Array, at: number) => Array.from(b.subarray(at, at + 4)).join('.');

/** The Internet checksum (RFC 1071) of bytes, continuing from `initial`. */
export function inetChecksum(b: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (b.length & 1) sum += b[b.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function pseudoSum(src: Uint8Array, dst: Uint8Array, proto: number, len: number): number {
  return ((src[0] << 8) | src[1]) + ((src[2] << 8) | src[3]) + ((dst[0] << 8) | dst[1]) + ((dst[2] << 8) | dst[3]) + proto + len;
}

export interface L2 {
  srcMac: string;
  dstMac: string;
}

export interface L3 extends L2 {
  src: string;
  dst: string;
  ttl?: number;
  id?: number;
  df?: boolean;
}

function ethernet(a: L2, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(ETH_HEADER + payload.length);
  f.set(macBytes(a.dstMac), 0);
  f.set(macBytes(a.srcMac), 6);
  f[12] = type >> 8;
  f[13] = type & 0xff;
  f.set(payload, ETH_HEADER);
  return f;
}

/** An IPv4 frame around `l4` (whose checksum the caller already set). */
function ipv4(a: L3, proto: number, l4: Uint8Array): Uint8Array {
  const ip = new Uint8Array(IP_HEADER + l4.length);
  const v = new DataView(ip.buffer);
  ip[0] = 0x45;
  v.setUint16(2, ip.length);
  v.setUint16(4, a.id ?? 1);
  v.setUint16(6, a.df ? 0x4000 : 0);
  ip[8] = a.ttl ?? 64;
  ip[9] = proto;
  ip.set(ipBytes(a.src), 12);
  ip.set(ipBytes(a.dst), 16);
  v.setUint16(10, inetChecksum(ip.subarray(0, IP_HEADER)));
  ip.set(l4, IP_HEADER);
  return ethernet(a, 0x0800, ip);
}

function withPseudoChecksum(a: L3, proto: number, l4: Uint8Array, at: number, zeroMeansNone: boolean): Uint8Array {
  const sum = inetChecksum(l4, pseudoSum(new Uint8Array(ipBytes(a.src)), new Uint8Array(ipBytes(a.dst)), proto, l4.length));
  const c = sum === 0 && zeroMeansNone ? 0xffff : sum;
  l4[at] = c >> 8;
  l4[at + 1] = c & 0xff;
  return l4;
}

export function udp(a: L3 & { sport: number; dport: number; payload?: Uint8Array }): Uint8Array {
  const payload = a.payload ?? new Uint8Array(0);
  const l4 = new Uint8Array(8 + payload.length);
  const v = new DataView(l4.buffer);
  v.setUint16(0, a.sport);
  v.setUint16(2, a.dport);
  v.setUint16(4, l4.length);
  l4.set(payload, 8);
  return ipv4(a, 17, withPseudoChecksum(a, 17, l4, 6, true));
}

const TCP_FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32 };

export function tcp(a: L3 & { sport: number; dport: number; flags: string; seq?: number; ack?: number; window?: number; payload?: Uint8Array }): Uint8Array {
  const payload = a.payload ?? new Uint8Array(0);
  const l4 = new Uint8Array(20 + payload.length);
  const v = new DataView(l4.buffer);
  v.setUint16(0, a.sport);
  v.setUint16(2, a.dport);
  v.setUint32(4, (a.seq ?? 0) >>> 0);
  v.setUint32(8, (a.ack ?? 0) >>> 0);
  l4[12] = 5 << 4;
  l4[13] = [...a.flags].reduce((f, c) => f | (TCP_FLAG_BITS[c] ?? 0), 0);
  v.setUint16(14, a.window ?? 65535);
  l4.set(payload, 20);
  return ipv4(a, 6, withPseudoChecksum(a, 6, l4, 16, false));
}

function icmp(a: L3, type: number, code: number, rest: Uint8Array, body: Uint8Array): Uint8Array {
  const l4 = new Uint8Array(8 + body.length);
  l4[0] = type;
  l4[1] = code;
  l4.set(rest.subarray(0, 4), 4);
  l4.set(body, 8);
  const c = inetChecksum(l4);
  l4[2] = c >> 8;
  l4[3] = c & 0xff;
  return ipv4(a, 1, l4);
}

export function icmpEcho(a: L3 & { type: 0 | 8; id: number; seq: number; payload?: Uint8Array }): Uint8Array {
  const rest = new Uint8Array([a.id >> 8, a.id & 0xff, a.seq >> 8, a.seq & 0xff]);
  return icmp(a, a.type, 0, rest, a.payload ?? new Uint8Array(32).fill(0x61));
}

/** An ICMP error quoting `original` (an IP packet): its header and 8 bytes after it, as RFC 792 asks. */
export function icmpError(a: L3 & { type: number; code: number; original: Uint8Array; quoteBytes?: number }): Uint8Array {
  const ihl = (a.original[0] & 0xf) * 4;
  const quoted = a.original.subarray(0, Math.min(a.original.length, a.quoteBytes ?? ihl + 8));
  return icmp(a, a.type, a.code, new Uint8Array(4), quoted);
}

export function esp(a: L3 & { spi: number; seq: number; payload?: Uint8Array }): Uint8Array {
  const payload = a.payload ?? new Uint8Array(48).fill(0xee);
  const l4 = new Uint8Array(8 + payload.length);
  const v = new DataView(l4.buffer);
  v.setUint32(0, a.spi >>> 0);
  v.setUint32(4, a.seq >>> 0);
  l4.set(payload, 8);
  return ipv4(a, 50, l4);
}

/** AH with a 12-byte ICV (HMAC-SHA1-96): 24 bytes of header, then the protected payload
 * (by default, for next header 4, a tunnelled ICMP echo between two inner addresses). */
export function ah(a: L3 & { spi: number; seq: number; nextHeader: number; payload?: Uint8Array }): Uint8Array {
  const inner = () => icmpEcho({ srcMac: a.srcMac, dstMac: a.dstMac, src: '10.1.0.1', dst: '10.2.0.1', type: 8, id: 1, seq: a.seq }).subarray(ETH_HEADER);
  const payload = a.payload ?? (a.nextHeader === 4 ? inner() : new Uint8Array(40).fill(0xaa));
  const l4 = new Uint8Array(24 + payload.length);
  const v = new DataView(l4.buffer);
  l4[0] = a.nextHeader;
  l4[1] = 24 / 4 - 2;
  v.setUint32(4, a.spi >>> 0);
  v.setUint32(8, a.seq >>> 0);
  l4.fill(0x5c, 12, 24);
  l4.set(payload, 24);
  return ipv4(a, 51, l4);
}

export interface IkePayload {
  type: number;
  body: Uint8Array;
}

/** An IKEv1 (ISAKMP) or IKEv2 message in UDP; payloads are chained with generic payload headers. */
export function ike(a: L3 & { sport: number; dport: number; icookie: bigint; rcookie: bigint; version: 1 | 2; exchange: number; flags?: number; messageId?: number; payloads?: IkePayload[]; nonEspMarker?: boolean }): Uint8Array {
  const payloads = a.payloads ?? [];
  const body = payloads.reduce((n, p) => n + 4 + p.body.length, 0);
  const msg = new Uint8Array(28 + body);
  const v = new DataView(msg.buffer);
  v.setBigUint64(0, a.icookie);
  v.setBigUint64(8, a.rcookie);
  msg[16] = payloads.length ? payloads[0].type : 0;
  msg[17] = a.version === 2 ? 0x20 : 0x10;
  msg[18] = a.exchange;
  msg[19] = a.flags ?? (a.version === 2 ? 0x08 : 0);
  v.setUint32(20, a.messageId ?? 0);
  v.setUint32(24, msg.length);
  let at = 28;
  payloads.forEach((p, i) => {
    msg[at] = i + 1 < payloads.length ? payloads[i + 1].type : 0;
    v.setUint16(at + 2, 4 + p.body.length);
    msg.set(p.body, at + 4);
    at += 4 + p.body.length;
  });
  const payload = a.nonEspMarker ? new Uint8Array([0, 0, 0, 0, ...msg]) : msg;
  return udp({ ...a, payload });
}

function arp(a: L2 & { op: 1 | 2; senderIp: string; targetIp: string; targetMac: string }): Uint8Array {
  const p = new Uint8Array(28);
  const v = new DataView(p.buffer);
  v.setUint16(0, 1);
  v.setUint16(2, 0x0800);
  p[4] = 6;
  p[5] = 4;
  v.setUint16(6, a.op);
  p.set(macBytes(a.srcMac), 8);
  p.set(ipBytes(a.senderIp), 14);
  p.set(macBytes(a.targetMac), 18);
  p.set(ipBytes(a.targetIp), 24);
  return ethernet(a, 0x0806, p);
}

export function arpRequest(a: { srcMac: string; senderIp: string; targetIp: string }): Uint8Array {
  return arp({ ...a, dstMac: 'ff:ff:ff:ff:ff:ff', op: 1, targetMac: '00:00:00:00:00:00' });
}

export function arpReply(a: L2 & { senderIp: string; targetIp: string }): Uint8Array {
  return arp({ ...a, op: 2, targetMac: a.dstMac });
}

/** Splits an IPv4 frame into fragments whose IP packets fit `mtu` (RFC 791: offsets in 8-byte units). */
export function fragment(frame: Uint8Array, mtu: number): Uint8Array[] {
  const ip = frame.subarray(ETH_HEADER);
  const ihl = (ip[0] & 0xf) * 4;
  const total = (ip[2] << 8) | ip[3];
  const data = ip.subarray(ihl, total);
  const step = Math.floor((mtu - ihl) / 8) * 8;
  const out: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += step) {
    const chunk = data.subarray(off, Math.min(off + step, data.length));
    const f = new Uint8Array(ETH_HEADER + ihl + chunk.length);
    f.set(frame.subarray(0, ETH_HEADER + ihl));
    f.set(chunk, ETH_HEADER + ihl);
    const h = f.subarray(ETH_HEADER);
    const v = new DataView(h.buffer, h.byteOffset);
    v.setUint16(2, ihl + chunk.length);
    const more = off + step < data.length ? 0x2000 : 0;
    v.setUint16(6, more | (off / 8) | (v.getUint16(6) & 0x4000));
    v.setUint16(10, 0);
    v.setUint16(10, inetChecksum(h.subarray(0, ihl)));
    out.push(f);
  }
  return out;
}

export interface ParsedFrame {
  eth: { dst: string; src: string; type: number };
  arp?: { op: number; senderMac: string; senderIp: string; targetMac: string; targetIp: string };
  ip?: { src: string; dst: string; proto: number; ttl: number; id: number; mf: boolean; df: boolean; fragOffset: number; totalLength: number; headerChecksumOk: boolean };
  udp?: { sport: number; dport: number; length: number; checksumOk: boolean | null; payload: Uint8Array };
  tcp?: { sport: number; dport: number; seq: number; ack: number; flags: number; checksumOk: boolean | null; payload: Uint8Array };
  icmp?: { type: number; code: number; id: number; seq: number; checksumOk: boolean | null };
  esp?: { spi: number; seq: number };
  ah?: { spi: number; seq: number; nextHeader: number };
  ike?: { icookie: bigint; rcookie: bigint; version: number; exchange: number; flags: number; nonEspMarker: boolean };
}

/** Parses what is there; a truncated or malformed layer is left out, never thrown about. */
export function parseFrame(f: Uint8Array): ParsedFrame {
  const out: ParsedFrame = { eth: { dst: '', src: '', type: 0 } };
  if (f.length < ETH_HEADER) return out;
  out.eth = { dst: macStr(f, 0), src: macStr(f, 6), type: (f[12] << 8) | f[13] };
  const p = f.subarray(ETH_HEADER);
  if (out.eth.type === 0x0806 && p.length >= 28) {
    out.arp = { op: (p[6] << 8) | p[7], senderMac: macStr(p, 8), senderIp: ipStr(p, 14), targetMac: macStr(p, 18), targetIp: ipStr(p, 24) };
    return out;
  }
  if (out.eth.type !== 0x0800 || p.length < IP_HEADER || p[0] >> 4 !== 4) return out;
  const ihl = (p[0] & 0xf) * 4;
  const total = (p[2] << 8) | p[3];
  if (ihl < IP_HEADER || total < ihl || total > p.length) return out;
  const flags = (p[6] << 8) | p[7];
  out.ip = {
    src: ipStr(p, 12), dst: ipStr(p, 16), proto: p[9], ttl: p[8], id: (p[4] << 8) | p[5],
    mf: (flags & 0x2000) !== 0, df: (flags & 0x4000) !== 0, fragOffset: (flags & 0x1fff) * 8, totalLength: total,
    headerChecksumOk: inetChecksum(p.subarray(0, ihl)) === 0,
  };
  if (out.ip.fragOffset !== 0) return out;
  const l4 = p.subarray(ihl, total);
  const whole = !out.ip.mf;
  const pseudo = (proto: number) => pseudoSum(p.subarray(12, 16), p.subarray(16, 20), proto, l4.length);
  const v = new DataView(l4.buffer, l4.byteOffset, l4.length);
  if (out.ip.proto === 17 && l4.length >= 8) {
    const sum = v.getUint16(6);
    out.udp = { sport: v.getUint16(0), dport: v.getUint16(2), length: v.getUint16(4), payload: l4.subarray(8), checksumOk: !whole ? null : sum === 0 ? true : inetChecksum(l4, pseudo(17)) === 0 };
    // UDP 4500 carries IKE behind a zero non-ESP marker, and ESP-in-UDP otherwise (RFC 3948).
    const natT = out.udp.sport === 4500 || out.udp.dport === 4500;
    const marker = natT && l4.length >= 12 && v.getUint32(8) === 0;
    const ikePort = natT || out.udp.sport === 500 || out.udp.dport === 500;
    const body = marker ? l4.subarray(12) : natT ? new Uint8Array(0) : l4.subarray(8);
    if (ikePort && body.length >= 28 && (body[17] >> 4 === 1 || body[17] >> 4 === 2)) {
      const b = new DataView(body.buffer, body.byteOffset, body.length);
      out.ike = { icookie: b.getBigUint64(0), rcookie: b.getBigUint64(8), version: body[17] >> 4, exchange: body[18], flags: body[19], nonEspMarker: marker };
    }
  } else if (out.ip.proto === 6 && l4.length >= 20) {
    const off = (l4[12] >> 4) * 4;
    out.tcp = { sport: v.getUint16(0), dport: v.getUint16(2), seq: v.getUint32(4), ack: v.getUint32(8), flags: l4[13], payload: l4.subarray(Math.min(off, l4.length)), checksumOk: whole ? inetChecksum(l4, pseudo(6)) === 0 : null };
  } else if (out.ip.proto === 1 && l4.length >= 8) {
    out.icmp = { type: l4[0], code: l4[1], id: v.getUint16(4), seq: v.getUint16(6), checksumOk: whole ? inetChecksum(l4) === 0 : null };
  } else if (out.ip.proto === 50 && l4.length >= 8) {
    out.esp = { spi: v.getUint32(0), seq: v.getUint32(4) };
  } else if (out.ip.proto === 51 && l4.length >= 12) {
    out.ah = { spi: v.getUint32(4), seq: v.getUint32(8), nextHeader: l4[0] };
  }
  return out;
}
