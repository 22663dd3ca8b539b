// Init and the per-batch loop: parse the config, carve every table once, then for each frame in the
// input ring dispatch by EtherType. Output frames are appended to the output ring. Timer work (idle
// sessions, ARP retries, held fragments, ALG timeouts) runs once per 10 ms of module time, bounded.
import { SLOT_BYTES, SLOT_PORT, SLOT_LENGTH, SLOT_DATA, FRAME_MAX, PORT_COUNT, PORT_LAN } from "../abi";
import { Config, parseConfig, CFG_OK, ERR_MEMORY, capacity, C_BATCH, C_OUT_SLOTS, IPSEC_MULTI } from "../config";
import { arenaReset, arenaTake } from "../arena";
import { Counter, count, countersReset } from "../counters";
import { get16 } from "../wire/bytes";
import { ETH_DST, ETH_TYPE, ETH_HEADER_LEN, ETHERTYPE_ARP, ETHERTYPE_IPV4, isBroadcast, macEquals } from "../wire/ethernet";
import { Out, portMac } from "../link/emit";
import { arpInit, handleArp, arpTick } from "../link/arp";
import { icmpLocalInit } from "../ip/icmp-local";
import { handleIpv4 } from "./dispatch";
import { portsInit } from "../nat/ports";
import { hostsInit } from "../nat/hosts";
import { mappingsInit } from "../nat/mappings";
import { sessionsInit, expireSessions } from "../nat/sessions";
import { fragmentsInit, fragmentsTick } from "../nat/fragments";
import { registerAlg, algInit, algAfterBatch, algTick, algNextHeld } from "../nat/algs";
import { registerHolder, Held } from "../nat/held";
import { fragmentsNextHeld } from "../nat/fragments";
import { releaseHeld } from "./reinject";
import { fastForward, FAST_MIN_LEN } from "../nat/fast";
import { IPSEC_ALG } from "../alg/ipsec";
import { workCallEnd } from "../work";

export class Rings {
  static inRing: usize = 0;
  static outRing: usize = 0;
  static inSlots: u32 = 0;
  static outSlots: u32 = 0;
}

let ready = false;
// The fast path can be switched off (index.ts fastPath): every frame then takes the long way, which is
// how the tests hold the fast path to the long way's results, and a way to rule it out when debugging.
let fastOn = true;

export function routerFastPath(on: bool): void {
  fastOn = on;
}

export let clockMs: u32 = 0;
let tickedMs: u32 = 0; // the clock at the last timer sweep
const SWEEP_MS: u32 = 10;

export function routerInit(length: u32, nowMs: u32): i32 {
  ready = false;
  const rc = parseConfig(length);
  if (rc != CFG_OK) return rc;
  arenaReset();
  countersReset();
  clockMs = nowMs;
  tickedMs = nowMs;
  Rings.inSlots = capacity(C_BATCH);
  Rings.outSlots = capacity(C_OUT_SLOTS);
  Rings.inRing = arenaTake(<usize>Rings.inSlots * SLOT_BYTES);
  Rings.outRing = arenaTake(<usize>Rings.outSlots * SLOT_BYTES);
  if (Rings.inRing == 0 || Rings.outRing == 0) return ERR_MEMORY;
  Out.ring = Rings.outRing;
  Out.slots = Rings.outSlots;
  Out.used = 0;
  registerAlg(IPSEC_ALG);
  registerHolder(fragmentsNextHeld);
  registerHolder(algNextHeld());
  const ok = arpInit() && icmpLocalInit() && portsInit(Config.ikePorts, Config.ikePortCount, Config.ipsecMode == IPSEC_MULTI) &&
    hostsInit() && mappingsInit() && sessionsInit() && fragmentsInit() && algInit();
  if (!ok) return ERR_MEMORY;
  ready = true;
  return CFG_OK;
}

function handleFrame(port: u16, frame: usize, len: u32, now: u32): void {
  if (len < ETH_HEADER_LEN) { count(Counter.DropRunt); return; }
  // Only frames for our MAC, or broadcasts (ARP requests), are ours; a switch flooding others is not an error.
  if (!macEquals(frame + ETH_DST, portMac(port)) && !isBroadcast(frame + ETH_DST)) { count(Counter.DropNotForUs); return; }
  const type = get16(frame + ETH_TYPE);
  if (type == ETHERTYPE_IPV4) {
    if (isBroadcast(frame + ETH_DST)) { count(Counter.DropNotForUs); return; }
    handleIpv4(port, frame, len, now);
  } else if (type == ETHERTYPE_ARP) {
    handleArp(port, frame, len, now);
  } else {
    count(Counter.DropEtherType);
  }
}

// Inlined into the exported process(): one call less per batch.
@inline export function routerProcess(n: u32, nowMs: u32): u32 {
  Out.used = 0;
  if (!ready) return 0;
  clockMs = nowMs;
  if (n > Rings.inSlots) n = Rings.inSlots;
  // rx_frames is not counted here: it is rx_lan + rx_wan + drop_bad_port (counters.ts countersSettle).
  let slot = Rings.inRing;
  // The fast path is offered frames of FAST_MIN_LEN to FRAME_MAX bytes, none while it is off: one
  // unsigned compare a frame (len - FAST_MIN_LEN wraps for a shorter frame). A local: one read per batch.
  const fastSpan: u32 = fastOn ? FRAME_MAX - FAST_MIN_LEN + 1 : 0;
  for (let i: u32 = 0; i < n; i++, slot += SLOT_BYTES) {
    const port = load<u16>(slot, SLOT_PORT);
    const len = <u32>load<u16>(slot, SLOT_LENGTH);
    if (port >= PORT_COUNT) { count(Counter.DropBadPort); continue; }
    if (len - FAST_MIN_LEN < fastSpan && fastForward(port, slot + SLOT_DATA, len, nowMs)) continue; // counted there
    count(port == PORT_LAN ? Counter.RxLan : Counter.RxWan);
    if (len > FRAME_MAX) { count(Counter.DropOversize); continue; }
    handleFrame(port, slot + SLOT_DATA, len, nowMs);
    if (Held.ready) releaseHeld(nowMs); // what this frame let go (a first fragment's later fragments)
  }
  if (Held.waiting) algAfterBatch(nowMs); // the ALG's queue lets packets go as waits end
  if (Held.ready) releaseHeld(nowMs);
  // The incremental timer sweeps advance once per SWEEP_MS of module time, not once per call: a host
  // that calls once per frame or two (a small board's batch) would otherwise pay for a sweep with each
  // frame. Every timer is seconds long or at least 100 ms (config.ts), so none is late by more than this.
  if (nowMs - tickedMs >= SWEEP_MS) {
    tickedMs = nowMs;
    expireSessions(nowMs);
    arpTick(nowMs);
    fragmentsTick(nowMs);
    algTick(nowMs);
  }
  workCallEnd();
  return Out.used;
}
