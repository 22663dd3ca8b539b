// The ALG hook interface of the NAT core (netfilter conntrack helpers are the model): the core calls
// these before its session lookup; an ALG that does not handle the packet answers NotMine. Each ALG
// declares what it attaches to in its own file; this is the only place the core reaches them.
import { Verdict } from "../router/packet";
import { ipsecIn2Out, ipsecOut2In, ipsecAfterBatch, ipsecTick, ipsecInit, ipsecInspectsUdp } from "./ipsec";

export function algInit(): bool {
  return ipsecInit();
}

export function algIn2Out(): Verdict {
  return ipsecIn2Out();
}

export function algOut2In(): Verdict {
  return ipsecOut2In();
}

/** True when an ALG looks at UDP datagrams to this port, in either direction: such flows never take
 *  the express path (nat/express.ts), so every datagram reaches the ALG. */
export function algInspectsUdp(dport: u32): bool {
  return ipsecInspectsUdp(dport);
}

/** Work an ALG does after every batch, however little time passed (router.ts). */
export function algAfterBatch(now: u32): void {
  ipsecAfterBatch(now);
}

/** An ALG's timer sweep (router.ts: once per 10 ms of module time). */
export function algTick(now: u32): void {
  ipsecTick(now);
}
