// Per-host mapping quota (RFC 4787 REQ-? "a NAT SHOULD limit mappings per host" in spirit of RFC 6888 REQ-4):
// an open-addressed table of LAN address -> live mapping count, with backward-shift deletion so it
// never fills with tombstones. A host over quota gets no new mapping; its existing flows keep working.
import { capacity, C_HOSTS, C_HOST_QUOTA } from "../config";
import { arenaTake } from "../arena";
import { mix } from "./hash";

class Hosts {
  static table: usize = 0; // u32 addr, u32 count
  static size: u32 = 0; // power of two
  static live: u32 = 0;
}

export function hostsInit(): bool {
  let size: u32 = 16;
  while (size < capacity(C_HOSTS) * 2) size <<= 1;
  Hosts.size = size;
  Hosts.live = 0;
  Hosts.table = arenaTake(<usize>size * 8);
  return Hosts.table != 0;
}

function slotOf(addr: u32): u32 {
  let i = mix(addr) & (Hosts.size - 1);
  while (true) {
    const a = load<u32>(Hosts.table + <usize>i * 8);
    if (a == 0 || a == addr) return i;
    i = (i + 1) & (Hosts.size - 1);
  }
}

/** Takes one mapping from the host's quota; false when the host (or the host table) is full. */
export function hostTake(addr: u32): bool {
  const i = slotOf(addr);
  const e = Hosts.table + <usize>i * 8;
  if (load<u32>(e) == 0) {
    if (Hosts.live >= capacity(C_HOSTS)) return false;
    store<u32>(e, addr);
    store<u32>(e, 0, 4);
    Hosts.live++;
  }
  const n = load<u32>(e, 4);
  if (n >= capacity(C_HOST_QUOTA)) return false;
  store<u32>(e, n + 1, 4);
  return true;
}

export function hostRelease(addr: u32): void {
  let i = slotOf(addr);
  let e = Hosts.table + <usize>i * 8;
  if (load<u32>(e) == 0) return;
  const n = load<u32>(e, 4) - 1;
  if (n > 0) { store<u32>(e, n, 4); return; }
  // Backward-shift delete: pull later members of the probe run into the hole.
  const mask = Hosts.size - 1;
  Hosts.live--;
  let hole = i;
  let j = (i + 1) & mask;
  while (true) {
    const ej = Hosts.table + <usize>j * 8;
    const a = load<u32>(ej);
    if (a == 0) break;
    const home = mix(a) & mask;
    // Move the entry if its home is not cyclically within (hole, j].
    const moves = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
    if (moves) {
      const to = Hosts.table + <usize>hole * 8;
      store<u32>(to, a);
      store<u32>(to, load<u32>(ej, 4), 4);
      hole = j;
    }
    j = (j + 1) & mask;
  }
  store<u32>(Hosts.table + <usize>hole * 8, 0);
  store<u32>(Hosts.table + <usize>hole * 8, 0, 4);
}

export function hostMappings(addr: u32): u32 {
  const e = Hosts.table + <usize>slotOf(addr) * 8;
  return load<u32>(e) == 0 ? 0 : load<u32>(e, 4);
}
