// The ALG interface of the NAT core (netfilter conntrack helpers are the model). An ALG declares itself
// as an AlgRecord (its name, what it attaches to, and its entry points) and the router registers it at
// start (router/router.ts); the core calls it through this record only, so the NAT layer never imports
// an ALG and ALGs sit above it. Help entry points answer with a Verdict: NotMine lets the core go on
// with its session lookup.
import { Verdict } from "../ip/packet";
import { NO_PORT } from "./translate";
import { NextHeld } from "./held";

/** What an ALG says of the inside endpoint of a packet an ICMP error quotes (nat/icmp-errors.ts). */
export class QuoteOwner {
  static addr: u32 = 0;
  static port: u32 = NO_PORT; // NO_PORT: the quote has no port to rewrite (ESP, AH)
}

function noInit(): bool { return true; }
function notMine(): Verdict { return Verdict.NotMine; }
function noPorts(inPort: u32, remPort: u32, extPort: u32): bool { return false; }
function noQuote(out2in: bool, proto: u8, src: u32, dst: u32, l4: usize, l4Bytes: u32): bool { return false; }
function noTimer(now: u32): void {}

export class AlgRecord {
  constructor(
    public name: string,
    public protocols: string, // what it attaches to, for people: "UDP 500/4500, ESP, AH"
    public init: () => bool, // carve its tables (router init)
    public in2out: () => Verdict, // help a LAN packet (Pkt) before the session lookup
    public out2in: () => Verdict, // help a WAN packet
    public readsUdpFlow: (inPort: u32, remPort: u32, extPort: u32) => bool, // a UDP flow it reads either way: never on the fast path
    public quoteOwner: (out2in: bool, proto: u8, src: u32, dst: u32, l4: usize, l4Bytes: u32) => bool, // fills QuoteOwner
    public afterBatch: (now: u32) => void, // after each batch while it holds packets (nat/held.ts Held.waiting)
    public tick: (now: u32) => void, // once per 10 ms of module time
    public nextHeld: NextHeld, // the packets it held, let go (nat/held.ts)
  ) {}
}

function noneHeld(now: u32): bool { return false; }
const NO_ALG = new AlgRecord("none", "", noInit, notMine, notMine, noPorts, noQuote, noTimer, noTimer, noneHeld);

class Algs {
  static alg: AlgRecord = NO_ALG;
}

/** The router's choice at start (one ALG today: the IPsec passthrough). */
export function registerAlg(alg: AlgRecord): void { Algs.alg = alg; }

export function algInit(): bool { return Algs.alg.init(); }
export function algIn2Out(): Verdict { return Algs.alg.in2out(); }
export function algOut2In(): Verdict { return Algs.alg.out2in(); }
export function algReadsUdpFlow(inPort: u32, remPort: u32, extPort: u32): bool { return Algs.alg.readsUdpFlow(inPort, remPort, extPort); }
export function algQuoteOwner(out2in: bool, proto: u8, src: u32, dst: u32, l4: usize, l4Bytes: u32): bool {
  return Algs.alg.quoteOwner(out2in, proto, src, dst, l4, l4Bytes);
}
export function algAfterBatch(now: u32): void { Algs.alg.afterBatch(now); }
export function algTick(now: u32): void { Algs.alg.tick(now); }
export function algNextHeld(): NextHeld { return Algs.alg.nextHeld; }
