// NAPT mappings (RFC 4787 "endpoint-independent mapping"): one per internal endpoint and protocol,
// (inAddr, inPort) <-> (WAN address, extPort). A mapping has no record of its own: its sessions all
// carry its endpoints (nat/flow.ts), and the first of its session list, the lead, stands for it in two
// hash indexes, by inside endpoint and by external port. When the lead leaves, the next session takes
// its place in them (nat/sessions.ts); the last one's removal ends the mapping. Capacity counts
// mappings (config limits.mappings), not records.
import { capacity, C_MAPPINGS } from "../config";
import { arenaTake } from "../arena";
import { hash3 } from "./hash";
import { Flow, flowAt, NO_FLOW } from "./flow";
import { workStep } from "../work";

class Mappings {
  static inBuckets: usize = 0; // u16 lead per bucket
  static extBuckets: usize = 0;
  static mask: u32 = 0;
  static slots: u32 = 0;
  static live: u32 = 0;
}

export function mappingsInit(): bool {
  const n = capacity(C_MAPPINGS);
  let buckets: u32 = 16;
  while (buckets < n) buckets <<= 1;
  Mappings.slots = n;
  Mappings.mask = buckets - 1;
  Mappings.live = 0;
  Mappings.inBuckets = arenaTake(<usize>buckets * 2);
  Mappings.extBuckets = arenaTake(<usize>buckets * 2);
  if (Mappings.inBuckets == 0 || Mappings.extBuckets == 0) return false;
  memory.fill(Mappings.inBuckets, 0xff, <usize>buckets * 2);
  memory.fill(Mappings.extBuckets, 0xff, <usize>buckets * 2);
  return true;
}

// Keys in wire order, as the flow record keeps them.
@inline function inBucket(proto: u8, inAddrW: u32, inPortW: u32): usize {
  return Mappings.inBuckets + (<usize>(hash3(inAddrW, inPortW, proto) & Mappings.mask) << 1);
}

@inline function extBucket(proto: u8, extPortW: u32): usize {
  return Mappings.extBuckets + (<usize>(hash3(extPortW, 0x5a5a, proto) & Mappings.mask) << 1);
}

/** The lead flow of the mapping of an inside endpoint (wire order), or NO_FLOW. */
export function leadByInside(proto: u8, inAddrW: u32, inPortW: u32): u32 {
  let i = <u32>load<u16>(inBucket(proto, inAddrW, inPortW));
  while (i != NO_FLOW) {
    const f = flowAt(i);
    if (f.inAddr == inAddrW && <u32>f.inPort == inPortW && f.proto == proto) return i;
    i = f.mapNextIn;
  }
  return NO_FLOW;
}

/** The lead flow of the mapping holding an external port (wire order), or NO_FLOW. */
export function leadByOutside(proto: u8, extPortW: u32): u32 {
  let i = <u32>load<u16>(extBucket(proto, extPortW));
  while (i != NO_FLOW) {
    const f = flowAt(i);
    if (<u32>f.extPort == extPortW && f.proto == proto) return i;
    i = f.mapNextOut;
  }
  return NO_FLOW;
}

/** Makes flow i (its endpoints filled in) the lead of its mapping in both indexes. */
export function linkLead(i: u32): void {
  const f = flowAt(i);
  const ib = inBucket(f.proto, f.inAddr, f.inPort), eb = extBucket(f.proto, f.extPort);
  f.mapNextIn = load<u16>(ib);
  store<u16>(ib, <u16>i);
  f.mapNextOut = load<u16>(eb);
  store<u16>(eb, <u16>i);
}

/** Takes lead i out of both indexes. */
export function unlinkLead(i: u32): void {
  const f = flowAt(i);
  unlinkIn(inBucket(f.proto, f.inAddr, f.inPort), i);
  unlinkOut(extBucket(f.proto, f.extPort), i);
}

function unlinkIn(bucket: usize, i: u32): void {
  let at = bucket; // where the link to the next candidate lies
  let j = <u32>load<u16>(at);
  while (j != NO_FLOW) {
    workStep();
    const f = flowAt(j);
    if (j == i) { store<u16>(at, f.mapNextIn); return; }
    at = changetype<usize>(f) + offsetof<Flow>("mapNextIn");
    j = f.mapNextIn;
  }
}

function unlinkOut(bucket: usize, i: u32): void {
  let at = bucket;
  let j = <u32>load<u16>(at);
  while (j != NO_FLOW) {
    workStep();
    const f = flowAt(j);
    if (j == i) { store<u16>(at, f.mapNextOut); return; }
    at = changetype<usize>(f) + offsetof<Flow>("mapNextOut");
    j = f.mapNextOut;
  }
}

/** A mapping began (its lead was linked) or ended. */
export function mappingCounted(began: bool): void {
  if (began) Mappings.live++; else Mappings.live--;
}

export function mappingSlots(): u32 { return Mappings.slots; }
export function mappingsLive(): u32 { return Mappings.live; }
export function mappingsFree(): u32 { return Mappings.slots - Mappings.live; }
