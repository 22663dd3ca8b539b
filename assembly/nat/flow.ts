// The flow record: one NAPT session, which is also the fast path's entry and, while it leads its
// mapping's session list, the mapping itself. Everything an established packet needs lies here in the
// byte order it has on the wire, so a packet is one lookup and no byte swap (nat/fast.ts).
//
// Per flow, with the default tables (docs/abi.md "Flow record" has the derivation):
//   this record                                    56 bytes
//   two session buckets (u16, in2out and out2in)     4 bytes (a bucket per flow and direction)
//   two mapping buckets (u16, inside and outside)    4 bytes (with as many mapping slots as sessions)
//   total                                          64 bytes
// Links are 16-bit flow indices (NO_FLOW: none), so a table holds at most 65,535 flows. The external
// address is always the WAN address (config), so no flow stores it.

/** The u16 link value meaning "no flow". */
export const NO_FLOW: u32 = 0xffff;
/** Most flows a table can hold: every index below NO_FLOW. */
export const FLOWS_MAX: u32 = 0xffff;

// flags: bits 0-1 are what a dump reports (SESSION_SERVER_LIST, SESSION_DEFAULT_SERVER).
export const FLOW_SERVER_LIST: u8 = 1; // opened from the WAN through a Server List entry
export const FLOW_DEFAULT_SERVER: u8 = 2; // opened from the WAN through the Default Server
export const FLOW_DUMP_FLAGS: u8 = 3;
export const FLOW_USED: u8 = 4;
export const FLOW_STATIC_PORT: u8 = 8; // its mapping's port belongs to a Server List entry (never released early)
export const FLOW_SLOW: u8 = 16; // every packet takes the long way: an ALG reads it, or it hairpins
export const FLOW_CLASS_SHIFT: u8 = 5; // bits 5-6: the idle timer class (nat/sessions.ts)
export const FLOW_CLASS_MASK: u8 = 0x60;
export const FLOW_ON_LINK: u8 = 0x80; // the remote is on the WAN's subnet: the in2out next hop is the remote itself

@unmanaged export class Flow {
  inAddr: u32; //  0  inside address (wire order)
  remAddr: u32; //  4  remote address (wire order)
  inPort: u16; //  8  inside port or ICMP identifier (wire order); with remPort, the in2out ports word
  remPort: u16; // 10  remote port (wire order); with extPort, the out2in ports word
  extPort: u16; // 12  external port (wire order)
  proto: u8; // 14
  tcpState: u8; // 15  TCP_* bits seen (nat/sessions.ts)
  flags: u8; // 16  FLOW_* bits
  sinceQueued: u8; // 17  ms from `queued` to the last use (under LRU_LAG_MS, so it fits)
  ipDeltaOut: u16; // 18  in2out IP header checksum delta, TTL decrement included (wire order)
  ipDeltaIn: u16; // 20  likewise out2in
  l4Delta: u16; // 22  in2out transport checksum delta, address and port (wire order); out2in is its complement
  nextIn: u16; // 24  chain of the in2out bucket
  nextOut: u16; // 26  chain of the out2in bucket
  lruPrev: u16; // 28  the timer class's list
  lruNext: u16; // 30  the timer class's list, or the free list
  sibPrev: u16; // 32  the mapping's session list; NO_FLOW: this flow leads the mapping
  sibNext: u16; // 34
  mapNextIn: u16; // 36  chain of the mapping's inside bucket (the lead only)
  mapNextOut: u16; // 38  chain of the mapping's outside bucket (the lead only)
  arpWan: u16; // 40  ARP entry of the in2out next hop (link/arp.ts arpRef); 0: none yet
  arpLan: u16; // 42  ARP entry of the out2in next hop (0: none yet)
  queued: u32; // 44  when the flow took its place at its timer list's tail
  packetsOut: u32; // 48  packets in2out
  packetsIn: u32; // 52  packets out2in
}

export const FLOW_BYTES: u32 = 56;

class Flows {
  static base: usize = 0;
}

/** Where the table of flows starts (nat/sessions.ts carves it). */
export function setFlowBase(base: usize): void {
  Flows.base = base;
}

@inline export function flowAt(i: u32): Flow {
  return changetype<Flow>(Flows.base + <usize>i * FLOW_BYTES);
}

@inline export function flowIndex(f: Flow): u32 {
  return <u32>((changetype<usize>(f) - Flows.base) / FLOW_BYTES);
}
