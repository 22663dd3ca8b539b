// One way back in for packets a stage held: the IPsec ALG's hold queue (alg/hold.ts) and fragments that
// came before their first fragment (nat/fragments.ts). A holder says when it has packets to let go
// (heldReady); the router (router/reinject.ts) then asks each holder for them, one at a time, and runs
// each through the NAT step again with Pkt.reinjected set, as the packet it was when held: after the
// IPv4 checks and the TTL decrement, before any rewrite. A stage that sees a reinjected packet must not
// hold it again.

/** The packet a holder lets go: its frame stays where the holder keeps it until the next one is asked for. */
export class Held {
  static ready: bool = false; // some holder has packets to let go
  // Some holder keeps packets whose wait ends with time (the ALG's hold queue): only then is the ALG's
  // afterBatch worth a call after each batch (router.ts), which on a board's batch of two is per frame.
  static waiting: bool = false;
  static frame: usize = 0;
  static len: u32 = 0;
  static port: u16 = 0;
}

/** A holder's next packet to let go: fills Held.frame, len and port and returns true, or false when none. */
export type NextHeld = (now: u32) => bool;

const MAX_HOLDERS = 4;
function none(now: u32): bool { return false; }

class Holders {
  static count: i32 = 0;
  static list: StaticArray<NextHeld> = [none, none, none, none];
}

/** Registers a holder (router init); registering the same one again adds nothing. */
export function registerHolder(next: NextHeld): void {
  for (let i = 0; i < Holders.count; i++) if (Holders.list[i] == next) return;
  if (Holders.count < MAX_HOLDERS) Holders.list[Holders.count++] = next;
}

/** A holder has packets to let go. */
@inline export function heldReady(): void {
  Held.ready = true;
}

@inline export function holderCount(): i32 { return Holders.count; }

/** Holder i's next packet (see NextHeld). */
export function nextHeld(i: i32, now: u32): bool {
  return Holders.list[i](now);
}
