// The packet being handled: one set of globals filled by the IPv4 input step, read by every later stage.
// Only one packet is in flight at a time (the module is single-threaded), so globals cost nothing.

export class Pkt {
  static now: u32 = 0;
  static port: u16 = 0; // ingress port
  static frame: usize = 0;
  static len: u32 = 0; // frame length, trimmed to the IP total length
  static ip: usize = 0;
  static hl: u32 = 0; // IP header length in bytes
  static ipLen: u32 = 0; // IP total length
  static proto: u8 = 0;
  static src: u32 = 0;
  static dst: u32 = 0;
  static wireSrc: u32 = 0; // the addresses as received: src and dst change when the packet is rewritten
  static wireDst: u32 = 0;
  static l4: usize = 0; // 0 when this fragment carries no transport header
  static l4Len: u32 = 0; // transport bytes present in this packet
  static fragment: bool = false;
  static reinjected: bool = false; // a held packet let go again (nat/held.ts): no stage may hold it again
}

/** Verdicts every stage returns: the caller acts on them, no stage decides for another. */
export const enum Verdict {
  Forwarded, // the stage sent (or queued) the packet
  Dropped, // the stage dropped and counted it
  NotMine, // the stage does not handle this packet: the next stage decides
  Consumed, // the stage kept it (held for later)
  Translated, // the stage rewrote it: the NAT core delivers it in the packet's direction
}
