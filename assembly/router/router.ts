// Init and the per-batch loop: parse the config, carve every table once, then for each frame in
// the input ring dispatch by port and EtherType. Output frames are appended to the output ring.
import { SLOT_BYTES, SLOT_PORT, SLOT_LENGTH, SLOT_DATA, FRAME_MAX, PORT_COUNT } from "../abi";
import { parseConfig, CFG_OK, ERR_MEMORY, capacity, C_BATCH, C_OUT_SLOTS } from "../config";
import { arenaReset, arenaTake } from "../arena";
import { Counter, count, countersReset } from "../counters";

export class Rings {
  static inRing: usize = 0;
  static outRing: usize = 0;
  static inSlots: u32 = 0;
  static outSlots: u32 = 0;
  static outCount: u32 = 0;
}

let ready = false;

export function routerInit(length: u32, nowMs: u32): i32 {
  ready = false;
  const rc = parseConfig(length);
  if (rc != CFG_OK) return rc;
  arenaReset();
  countersReset();
  Rings.inSlots = capacity(C_BATCH);
  Rings.outSlots = capacity(C_OUT_SLOTS);
  Rings.inRing = arenaTake(<usize>Rings.inSlots * SLOT_BYTES);
  Rings.outRing = arenaTake(<usize>Rings.outSlots * SLOT_BYTES);
  if (Rings.inRing == 0 || Rings.outRing == 0) return ERR_MEMORY;
  ready = true;
  return CFG_OK;
}

export function routerProcess(n: u32, nowMs: u32): u32 {
  Rings.outCount = 0;
  if (!ready) return 0;
  if (n > Rings.inSlots) n = Rings.inSlots;
  for (let i: u32 = 0; i < n; i++) {
    const slot = Rings.inRing + <usize>i * SLOT_BYTES;
    const port = load<u16>(slot, SLOT_PORT);
    const len = <u32>load<u16>(slot, SLOT_LENGTH);
    count(Counter.RxFrames);
    if (port >= PORT_COUNT) { count(Counter.DropBadPort); continue; }
    if (len > FRAME_MAX) { count(Counter.DropOversize); continue; }
    count(port == 0 ? Counter.RxLan : Counter.RxWan);
  }
  return Rings.outCount;
}
