// NAPT mappings (RFC 4787 "endpoint-independent mapping"): one per internal endpoint and protocol,
// (inAddr, inPort) <-> (extAddr, extPort), found by either side through two hash indexes.
// A mapping lives while it has sessions (nat/sessions.ts): the last session's expiry removes it,
// releasing its port and its place in the host's quota and share (hosts.ts). Fixed records, free list,
// no scans.
import { capacity, C_MAPPINGS } from "../config";
import { arenaTake } from "../arena";
import { Counter, count } from "../counters";
import { NO_INDEX, hash3, bucketCountFor } from "./hash";
import { unlinkFrom, pushFront, threadFree } from "./chains";
import { releasePort } from "./ports";
import { hostRelease } from "./hosts";

export const M_PROTO = 0; // u8
export const M_FLAGS = 1; // u8
export const M_USED = 2; // u8
export const M_IN_ADDR = 4;
export const M_EXT_ADDR = 8;
export const M_IN_PORT = 12; // u16
export const M_EXT_PORT = 14; // u16
export const M_NEXT_IN = 16;
export const M_NEXT_EXT = 20;
export const M_SESSIONS = 24; // head of this mapping's session list (doubly linked: sessions.ts S_SIBLING)
export const M_SESSION_COUNT = 28;
export const M_CREATED = 32; // its sessions keep the time of last use (sessions.ts mappingIdleMs)
export const M_FREE = 36;
export const M_BYTES: u32 = 40;

export const MAPPING_STATIC: u8 = 1; // port owned by a Server List entry (reserved, never released)

class Mappings {
  static base: usize = 0;
  static slots: u32 = 0;
  static inBuckets: usize = 0;
  static extBuckets: usize = 0;
  static bucketMask: u32 = 0;
  static freeHead: u32 = NO_INDEX;
  static live: u32 = 0;
}

@inline export function mappingAt(i: u32): usize {
  return Mappings.base + <usize>i * M_BYTES;
}

export function mappingsInit(): bool {
  const n = capacity(C_MAPPINGS);
  const buckets = bucketCountFor(n);
  Mappings.slots = n;
  Mappings.bucketMask = buckets - 1;
  Mappings.base = arenaTake(<usize>n * M_BYTES);
  Mappings.inBuckets = arenaTake(<usize>buckets * 4);
  Mappings.extBuckets = arenaTake(<usize>buckets * 4);
  if (Mappings.base == 0 || Mappings.inBuckets == 0 || Mappings.extBuckets == 0) return false;
  memory.fill(Mappings.inBuckets, 0xff, <usize>buckets * 4);
  memory.fill(Mappings.extBuckets, 0xff, <usize>buckets * 4);
  Mappings.freeHead = threadFree(Mappings.base, M_BYTES, n, M_FREE);
  Mappings.live = 0;
  return true;
}

@inline function inBucket(proto: u8, addr: u32, port: u32): usize {
  return Mappings.inBuckets + (<usize>(hash3(addr, port, proto) & Mappings.bucketMask) << 2);
}

@inline function extBucket(proto: u8, addr: u32, port: u32): usize {
  return Mappings.extBuckets + (<usize>(hash3(addr, port ^ 0x5a5a0000, proto) & Mappings.bucketMask) << 2);
}

export function findMappingByInside(proto: u8, addr: u32, port: u32): u32 {
  let i = load<u32>(inBucket(proto, addr, port));
  while (i != NO_INDEX) {
    const m = mappingAt(i);
    if (load<u32>(m, M_IN_ADDR) == addr && <u32>load<u16>(m, M_IN_PORT) == port && load<u8>(m, M_PROTO) == proto) return i;
    i = load<u32>(m, M_NEXT_IN);
  }
  return NO_INDEX;
}

export function findMappingByOutside(proto: u8, addr: u32, port: u32): u32 {
  let i = load<u32>(extBucket(proto, addr, port));
  while (i != NO_INDEX) {
    const m = mappingAt(i);
    if (load<u32>(m, M_EXT_ADDR) == addr && <u32>load<u16>(m, M_EXT_PORT) == port && load<u8>(m, M_PROTO) == proto) return i;
    i = load<u32>(m, M_NEXT_EXT);
  }
  return NO_INDEX;
}

/** Inserts a mapping whose port and quota the caller already claimed; NO_INDEX when the table is full. */
export function addMapping(proto: u8, inAddr: u32, inPort: u32, extAddr: u32, extPort: u32, flags: u8, now: u32): u32 {
  const i = Mappings.freeHead;
  if (i == NO_INDEX) { count(Counter.DropMappingTableFull); return NO_INDEX; }
  const m = mappingAt(i);
  Mappings.freeHead = load<u32>(m, M_FREE);
  memory.fill(m, 0, M_BYTES);
  store<u8>(m, proto, M_PROTO);
  store<u8>(m, flags, M_FLAGS);
  store<u8>(m, 1, M_USED);
  store<u32>(m, inAddr, M_IN_ADDR);
  store<u32>(m, extAddr, M_EXT_ADDR);
  store<u16>(m, <u16>inPort, M_IN_PORT);
  store<u16>(m, <u16>extPort, M_EXT_PORT);
  store<u32>(m, NO_INDEX, M_SESSIONS);
  store<u32>(m, now, M_CREATED);
  pushFront(inBucket(proto, inAddr, inPort), Mappings.base, M_BYTES, i, M_NEXT_IN);
  pushFront(extBucket(proto, extAddr, extPort), Mappings.base, M_BYTES, i, M_NEXT_EXT);
  Mappings.live++;
  count(Counter.MappingsCreated);
  return i;
}

/** Removes a mapping with no sessions left, returning its port and quota. */
export function removeMapping(i: u32): void {
  const m = mappingAt(i);
  const proto = load<u8>(m, M_PROTO);
  const inAddr = load<u32>(m, M_IN_ADDR), extAddr = load<u32>(m, M_EXT_ADDR);
  const inPort = <u32>load<u16>(m, M_IN_PORT), extPort = <u32>load<u16>(m, M_EXT_PORT);
  unlinkFrom(inBucket(proto, inAddr, inPort), Mappings.base, M_BYTES, i, M_NEXT_IN);
  unlinkFrom(extBucket(proto, extAddr, extPort), Mappings.base, M_BYTES, i, M_NEXT_EXT);
  releasePort(proto, extPort);
  hostRelease(inAddr);
  store<u8>(m, 0, M_USED);
  store<u32>(m, Mappings.freeHead, M_FREE);
  Mappings.freeHead = i;
  Mappings.live--;
  count(Counter.MappingsExpired);
}

export function mappingSlots(): u32 { return Mappings.slots; }
export function mappingsLive(): u32 { return Mappings.live; }
export function mappingsFree(): u32 { return Mappings.slots - Mappings.live; }
