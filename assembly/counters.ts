// Every counter and drop reason, in one list (host/layout.ts COUNTERS, written here by `make layout`):
// the enum gives the index into the counter array, COUNTER_NAMES the name the host shows (exported as
// a string, so the host never keeps a copy). Append only: the index is part of the ABI seen by
// state.json readers; test/layout.test.ts fails when an existing counter moves.
export { Counter, COUNTER_NAMES } from "./generated/counters";
import { Counter } from "./generated/counters";
import { PORT_LAN } from "./generated/abi";

export const counterBase = memory.data(<i32>Counter.Count * 4, 16);

@inline export function count(c: Counter): void {
  countMany(c, 1);
}

@inline export function countMany(c: Counter, n: u32): void {
  const p = counterAt(c);
  store<u32>(p, load<u32>(p) + n);
}

// Frames the fast path forwarded, by ingress port (nat/fast.ts): one count per frame instead of four,
// folded into their counters by countersSettle. Globals, not memory: the native build (wasm2c) keeps a
// global in the instance, so a count is one add there, not a load, an add, a store and the memory base
// read again after it.
let expressLan: u32 = 0, expressWan: u32 = 0;

/** A frame received on `port` and forwarded by the express path: rx_<port>, nat_in2out or nat_out2in,
 *  tx_<other port> and express_forwarded, as countersSettle will count it. */
@inline export function countExpress(port: u16): void {
  if (port == PORT_LAN) expressLan++; else expressWan++; // port is a constant where this is inlined
}

/**
 * Counters that are sums are not counted per frame but written here, before anyone reads the counters
 * (the counters() export, the console): the express path's tally goes into the four counters of each
 * of its frames, every frame received is rx_lan, rx_wan or drop_bad_port, and every frame sent tx_lan
 * or tx_wan.
 */
export function countersSettle(): void {
  const lan = expressLan, wan = expressWan; // by ingress port
  expressLan = 0;
  expressWan = 0;
  countMany(Counter.RxLan, lan);
  countMany(Counter.NatIn2Out, lan);
  countMany(Counter.TxWan, lan);
  countMany(Counter.RxWan, wan);
  countMany(Counter.NatOut2In, wan);
  countMany(Counter.TxLan, wan);
  countMany(Counter.ExpressForwarded, lan + wan);
  store<u32>(counterAt(Counter.RxFrames), counterOf(Counter.RxLan) + counterOf(Counter.RxWan) + counterOf(Counter.DropBadPort));
  store<u32>(counterAt(Counter.TxFrames), counterOf(Counter.TxLan) + counterOf(Counter.TxWan));
}

/** Where counter c lies: the counters are a u32 array, indexed by the enum. */
@inline function counterAt(c: Counter): usize {
  return counterBase + (<usize>c << 2);
}

@inline function counterOf(c: Counter): u32 {
  return load<u32>(counterAt(c));
}

/** A counter's value (call countersSettle first for the sums), for readers such as the console. */
export function counterValue(c: Counter): u32 {
  return counterOf(c);
}

export function countersReset(): void {
  memory.fill(counterBase, 0, <usize>Counter.Count * 4);
  expressLan = 0;
  expressWan = 0;
}
