// Runs the packets holders let go (nat/held.ts) through the NAT step again, one at a time, until no
// holder has any left: a released packet may let others go (a released IKE request answers the overlap
// rule for the next; a first fragment releases its later fragments).
import { PORT_LAN } from "../abi";
import { Pkt } from "../ip/packet";
import { parseIpv4 } from "../ip/parse";
import { natIn2Out, natOut2In } from "../nat/napt";
import { Held, holderCount, nextHeld } from "../nat/held";

export function releaseHeld(now: u32): void {
  while (Held.ready) {
    Held.ready = false;
    for (let i = 0; i < holderCount(); i++) {
      while (nextHeld(i, now)) {
        if (!parseIpv4(Held.port, Held.frame, Held.len, now)) continue; // counted there
        Pkt.reinjected = true;
        if (Held.port == PORT_LAN) natIn2Out(); else natOut2In();
        Pkt.reinjected = false;
      }
    }
  }
}
