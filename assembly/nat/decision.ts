// What a stage decided for the current packet (Pkt) when it translates it: rewrite the source (in2out)
// or destination (out2in) to each target in turn, one copy each, counting `counter` per copy. Stages
// (the ALG's help, nat/algs.ts; ICMP errors) fill it and return Verdict.Translated; the NAT core
// (nat/napt.ts applyDecision) carries it out, the one place that rewrites, notes a first fragment,
// counts and delivers (hairpin included).
import { Counter } from "../counters";
import { NO_PORT } from "./translate";

/** Copies one packet may become: the IPsec ALG shares an SPI or a new IKE SA among at most 4 hosts. */
export const MAX_TARGETS: u32 = 4;

export class Decision {
  static targets: u32 = 0;
  static counter: Counter = Counter.NatIn2Out;
  // The rewrite's checksum deltas when the stage knows them (a session keeps them), else 0xffffffff:
  // the rewrite computes them (nat/translate.ts).
  static ipDelta: u32 = 0xffffffff;
  static l4Delta: u32 = 0xffffffff;
}

const targets = memory.data(<i32>MAX_TARGETS * 8, 4); // u32 address, u32 port (NO_PORT: addresses only)

/** Starts a decision: each copy counted by `counter`. */
@inline export function decide(counter: Counter): void {
  Decision.targets = 0;
  Decision.counter = counter;
  Decision.ipDelta = 0xffffffff;
  Decision.l4Delta = 0xffffffff;
}

/** Adds a copy for (addr, port), host order; past MAX_TARGETS nothing is added. */
@inline export function decideTarget(addr: u32, port: u32): void {
  if (Decision.targets >= MAX_TARGETS) return;
  const t = targets + (<usize>Decision.targets << 3);
  store<u32>(t, addr);
  store<u32>(t, port, 4);
  Decision.targets++;
}

/** The whole decision for one target: rewrite to (addr, port) and count `counter`. */
@inline export function decideOne(addr: u32, port: u32, counter: Counter): void {
  decide(counter);
  decideTarget(addr, port);
}

/** decideOne with the rewrite's deltas known (a session's). */
@inline export function decideWithDeltas(addr: u32, port: u32, ipDelta: u32, l4Delta: u32, counter: Counter): void {
  decideOne(addr, port, counter);
  Decision.ipDelta = ipDelta;
  Decision.l4Delta = l4Delta;
}

@inline export function targetAddr(i: u32): u32 { return load<u32>(targets + (<usize>i << 3)); }
@inline export function targetPort(i: u32): u32 { return load<u32>(targets + (<usize>i << 3), 4); }
