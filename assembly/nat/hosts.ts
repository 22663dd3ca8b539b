// Per-host accounting and shares (RFC 6888 REQ-4/REQ-5, docs/fairness.md): an open-addressed table of
// LAN address -> live mappings and sessions, with backward-shift deletion so it never fills with
// tombstones. Each table (mappings, sessions) keeps a floor for every host the hosts table can hold:
// `owed` is the sum of what hosts still lack of their floor, and a host past its floor takes a free
// record only while more than `owed` stay free. So a host below its floor always finds one, however
// much another host took. A host over quota or share gets no new entry; its existing flows keep working.
import { capacity, C_HOSTS, C_HOST_QUOTA, C_MAPPINGS, C_SESSIONS } from "../config";
import { arenaTake } from "../arena";
import { Counter, count } from "../counters";
import { mix } from "./hash";
import { workStep } from "../work";

/** A LAN host's accounting, 12 bytes; addr 0 marks an empty slot. */
@unmanaged class HostEntry {
  addr: u32; // 0
  mappings: u32; // 4  live mappings
  sessions: u32; // 8  live sessions
}
const H_BYTES: u32 = 12;

class Hosts {
  static table: usize = 0;
  static size: u32 = 0; // power of two
  static live: u32 = 0;
  static mappingFloor: u32 = 0;
  static mappingOwed: u32 = 0;
  static sessionFloor: u32 = 0;
  static sessionOwed: u32 = 0;
}

/** Every host's floor of a table: an eighth of it shared by the hosts the hosts table can hold, at
 *  least one record; none when the table has fewer than two records per host. */
export function floorOf(slots: u32, hosts: u32): u32 {
  if (hosts * 2 > slots) return 0;
  return max<u32>(1, slots / (hosts * 8));
}

export function hostsInit(): bool {
  if (offsetof<HostEntry>() != H_BYTES) return false;
  let size: u32 = 16;
  while (size < capacity(C_HOSTS) * 2) size <<= 1;
  Hosts.size = size;
  Hosts.live = 0;
  Hosts.mappingFloor = floorOf(capacity(C_MAPPINGS), capacity(C_HOSTS));
  Hosts.mappingOwed = Hosts.mappingFloor * capacity(C_HOSTS);
  Hosts.sessionFloor = floorOf(capacity(C_SESSIONS), capacity(C_HOSTS));
  Hosts.sessionOwed = Hosts.sessionFloor * capacity(C_HOSTS);
  Hosts.table = arenaTake(<usize>size * H_BYTES);
  return Hosts.table != 0;
}

@inline function entryAt(i: u32): HostEntry {
  return changetype<HostEntry>(Hosts.table + <usize>i * H_BYTES);
}

function slotOf(addr: u32): u32 {
  let i = mix(addr) & (Hosts.size - 1);
  while (true) {
    const a = entryAt(i).addr;
    if (a == 0 || a == addr) return i;
    workStep();
    i = (i + 1) & (Hosts.size - 1);
  }
}

/** A host past its floor takes one of `free` records only while more than `owed` stay free. */
@inline function admits(held: u32, floor: u32, owed: u32, free: u32): bool {
  return held < floor ? free > 0 : free > owed;
}

/** Takes one mapping for the host, of `free` left in the table; false, counted, when the host is at its
 *  quota or its share, or the hosts table or the mappings table is full. */
export function hostTake(addr: u32, free: u32): bool {
  const e = entryAt(slotOf(addr));
  const known = e.addr != 0;
  const n = known ? e.mappings : 0;
  if (n >= capacity(C_HOST_QUOTA) || (!known && Hosts.live >= capacity(C_HOSTS))) { count(Counter.DropHostQuota); return false; }
  if (!admits(n, Hosts.mappingFloor, Hosts.mappingOwed, free)) {
    count(free == 0 ? Counter.DropMappingTableFull : Counter.DropHostShare);
    return false;
  }
  if (!known) {
    e.addr = addr;
    e.sessions = 0;
    Hosts.live++;
  }
  e.mappings = n + 1;
  if (n < Hosts.mappingFloor) Hosts.mappingOwed--;
  return true;
}

/** Returns one mapping of the host's; the host leaves the table with its last. */
export function hostRelease(addr: u32): void {
  const i = slotOf(addr);
  const e = entryAt(i);
  if (e.addr == 0) return;
  const n = e.mappings - 1;
  if (n < Hosts.mappingFloor) Hosts.mappingOwed++;
  if (n > 0) { e.mappings = n; return; }
  forget(i);
}

/** Backward-shift delete: pull later members of the probe run into the hole. */
function forget(i: u32): void {
  const mask = Hosts.size - 1;
  Hosts.live--;
  let hole = i;
  let j = (i + 1) & mask;
  while (true) {
    const ej = entryAt(j);
    const a = ej.addr;
    if (a == 0) break;
    workStep();
    const home = mix(a) & mask;
    // Move the entry if its home is not cyclically within (hole, j].
    const moves = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
    if (moves) {
      memory.copy(changetype<usize>(entryAt(hole)), changetype<usize>(ej), H_BYTES);
      hole = j;
    }
    j = (j + 1) & mask;
  }
  memory.fill(changetype<usize>(entryAt(hole)), 0, H_BYTES);
}

export function hostMappings(addr: u32): u32 {
  const e = entryAt(slotOf(addr));
  return e.addr == 0 ? 0 : e.mappings;
}

/** The host's live sessions (0 for a host without mappings). */
export function hostSessions(addr: u32): u32 {
  const e = entryAt(slotOf(addr));
  return e.addr == 0 ? 0 : e.sessions;
}

/** Takes one of `free` free sessions for the host when its share admits it (see the header): one probe
 *  on the path of every new flow. False, and nothing counted, when it does not. */
export function hostSessionTake(addr: u32, free: u32): bool {
  const e = entryAt(slotOf(addr));
  if (e.addr == 0) return free > 0; // no mapping of its own (cannot happen: addSession has one)
  const n = e.sessions;
  if (!admits(n, Hosts.sessionFloor, Hosts.sessionOwed, free)) return false;
  if (n < Hosts.sessionFloor) Hosts.sessionOwed--;
  e.sessions = n + 1;
  return true;
}

/** True when removing one of the host's sessions leaves it more than `others` and at least its floor:
 *  a session a host with `others` sessions may evict when it finds no room. */
export function hostSessionsAbove(addr: u32, others: u32): bool {
  const n = hostSessions(addr);
  return n > others + 1 && n > Hosts.sessionFloor;
}

/** Counts a session taken (`took`) or given back by a host that holds a mapping. */
export function hostSessionCount(addr: u32, took: bool): void {
  const e = entryAt(slotOf(addr));
  if (e.addr == 0) return;
  const n = e.sessions;
  if (took) {
    if (n < Hosts.sessionFloor) Hosts.sessionOwed--;
    e.sessions = n + 1;
  } else {
    if (n - 1 < Hosts.sessionFloor) Hosts.sessionOwed++;
    e.sessions = n - 1;
  }
}
