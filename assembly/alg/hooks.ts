// The ALG hook interface of the NAT core (netfilter conntrack helpers are the model): the core calls
// these before its session lookup; an ALG that does not handle the packet answers NotMine. Each ALG
// declares what it attaches to in its own file; this is the only place the core reaches them.
import { Verdict } from "../router/packet";
import { ipsecIn2Out, ipsecOut2In, ipsecAfterBatch, ipsecTick, ipsecInit, ipsecInspectsUdp, ipsecQuoteOwner, QuoteOwner } from "./ipsec";

export { QuoteOwner };

export function algInit(): bool {
  return ipsecInit();
}

export function algIn2Out(): Verdict {
  return ipsecIn2Out();
}

export function algOut2In(): Verdict {
  return ipsecOut2In();
}

/** True when an ALG looks at UDP datagrams between these ports, in either direction: such flows never
 *  take the express path (nat/express.ts), so every datagram reaches the ALG. */
export function algInspectsUdp(sport: u32, dport: u32): bool {
  return ipsecInspectsUdp(sport, dport);
}

/** For an ICMP error whose quoted packet no NAT session explains (nat/icmp-errors.ts): true when an ALG
 *  knows the inside endpoint (QuoteOwner) of the quoted ESP, AH or IKE packet. */
export function algQuoteOwner(out2in: bool, proto: u8, src: u32, dst: u32, l4: usize, l4Bytes: u32): bool {
  return ipsecQuoteOwner(out2in, proto, src, dst, l4, l4Bytes);
}

/** Work an ALG does after every batch, however little time passed (router.ts). */
export function algAfterBatch(now: u32): void {
  ipsecAfterBatch(now);
}

/** An ALG's timer sweep (router.ts: once per 10 ms of module time). */
export function algTick(now: u32): void {
  ipsecTick(now);
}
