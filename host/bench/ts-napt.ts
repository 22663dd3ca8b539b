// The baseline: the NAPT fast path as a TypeScript developer would write it without WASM — a Map
// keyed by strings, DataView parsing, objects per flow. Same behaviour for the bench's traffic
// (validate IPv4, decrement TTL, endpoint-independent mapping with port preservation, rewrite the
// source, fix the IP and UDP/TCP checksums incrementally). Not used by the router; only measured.

interface Mapping { extPort: number; lastSeen: number }
interface Session { mapping: Mapping; lastSeen: number; packets: number }

export class TsNapt {
  private mappings = new Map<string, Mapping>();
  private sessions = new Map<string, Session>();
  private usedPorts = new Set<number>();
  private nextPort = 1024;
  constructor(private wanAddr: number, private gatewayMac: Uint8Array, private wanMac: Uint8Array) {}

  private static checksum(b: Uint8Array, off: number, len: number): number {
    let sum = 0;
    for (let i = 0; i < len; i += 2) sum += (b[off + i] << 8) | b[off + i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    return ~sum & 0xffff;
  }

  private static adjust(check: number, oldWord: number, newWord: number): number {
    let sum = (~check & 0xffff) + (~oldWord & 0xffff) + newWord;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    return ~sum & 0xffff;
  }

  /** Translates one LAN frame in place; returns false when it is dropped. */
  in2out(frame: Uint8Array, now: number): boolean {
    const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
    if (frame.length < 34 || v.getUint16(12) !== 0x0800 || frame[14] >> 4 !== 4) return false;
    const ihl = (frame[14] & 0xf) * 4;
    if (TsNapt.checksum(frame, 14, ihl) !== 0) return false;
    const proto = frame[23];
    if (proto !== 17 && proto !== 6) return false;
    const ttl = frame[22];
    if (ttl <= 1) return false;
    const src = v.getUint32(26);
    const dst = v.getUint32(30);
    const l4 = 14 + ihl;
    const sport = v.getUint16(l4);
    const dport = v.getUint16(l4 + 2);
    const skey = `${proto}:${src}:${sport}:${dst}:${dport}`;
    let s = this.sessions.get(skey);
    if (!s) {
      const key = `${proto}:${src}:${sport}`;
      let m = this.mappings.get(key);
      if (!m) {
        let port = sport;
        for (let tries = 0; this.usedPorts.has(port); tries++) {
          if (tries > 64512) return false; // every port taken
          port = this.nextPort = this.nextPort >= 65535 ? 1024 : this.nextPort + 1;
        }
        this.usedPorts.add(port);
        m = { extPort: port, lastSeen: now };
        this.mappings.set(key, m);
      }
      s = { mapping: m, lastSeen: now, packets: 0 };
      this.sessions.set(skey, s);
    }
    s.lastSeen = now;
    s.packets++;
    const m = s.mapping;
    m.lastSeen = now;
    const oldTtlWord = (ttl << 8) | proto;
    frame[22] = ttl - 1;
    let ipCheck = TsNapt.adjust(v.getUint16(24), oldTtlWord, ((ttl - 1) << 8) | proto);
    const csumAt = l4 + (proto === 17 ? 6 : 16);
    let l4Check = v.getUint16(csumAt);
    for (const [o, n] of [[src >>> 16, this.wanAddr >>> 16], [src & 0xffff, this.wanAddr & 0xffff]]) {
      ipCheck = TsNapt.adjust(ipCheck, o, n);
      if (l4Check !== 0) l4Check = TsNapt.adjust(l4Check, o, n);
    }
    if (l4Check !== 0) l4Check = TsNapt.adjust(l4Check, sport, m.extPort);
    v.setUint32(26, this.wanAddr);
    v.setUint16(l4, m.extPort);
    v.setUint16(24, ipCheck);
    v.setUint16(csumAt, l4Check);
    frame.set(this.gatewayMac, 0);
    frame.set(this.wanMac, 6);
    return true;
  }
}
