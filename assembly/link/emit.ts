// The output ring: finished frames are copied in (or, for the fast path, referred to) for the host to
// transmit. The bottom of the link layer: ARP (link/arp.ts) and sending to a next hop (link/send.ts) use it.
import { SLOT_BYTES, SLOT_PORT, SLOT_LENGTH, SLOT_DATA, SLOT_REF, FRAME_MAX, PORT_LAN } from "../abi";
import { configBuffer, O_LAN_MAC, O_WAN_MAC } from "../config";
import { Counter, count } from "../counters";
import { ETH_MIN_FRAME } from "../wire/ethernet";

export class Out {
  static ring: usize = 0;
  static slots: u32 = 0;
  static used: u32 = 0;
}

/** Our MAC on a port: 6 bytes of the config record, whose place in memory is fixed (a constant here). */
@inline export function portMac(port: u16): usize {
  return configBuffer + (port == PORT_LAN ? O_LAN_MAC : O_WAN_MAC);
}

/** Copies a complete frame into the output ring; Ethernet minimum size is padded with zeros. */
export function emit(port: u16, frame: usize, len: u32): void {
  if (Out.used >= Out.slots) { count(Counter.OutRingFull); return; }
  if (len > FRAME_MAX) { count(Counter.DropOversize); return; }
  const slot = Out.ring + <usize>Out.used * SLOT_BYTES;
  let outLen = len;
  memory.copy(slot + SLOT_DATA, frame, len);
  if (outLen < ETH_MIN_FRAME) {
    memory.fill(slot + SLOT_DATA + outLen, 0, ETH_MIN_FRAME - outLen);
    outLen = ETH_MIN_FRAME;
  }
  store<u16>(slot, port, SLOT_PORT);
  store<u16>(slot, <u16>outLen, SLOT_LENGTH);
  Out.used++; // tx_frames is tx_lan + tx_wan (counters.ts countersSettle)
  count(port == PORT_LAN ? Counter.TxLan : Counter.TxWan);
}

/**
 * emit for the express path's frames, which lie in this batch's input ring and fit a slot; false when
 * the ring is full. The output slot refers to the frame instead of holding a copy (abi.ts SLOT_REF), and
 * padding, when needed, goes after it in its own input slot. tx_lan or tx_wan is the caller's to count
 * (counters.ts countExpress).
 */
@inline export function emitInPlace(port: u16, frame: usize, len: u32): bool {
  if (Out.used >= Out.slots) { count(Counter.OutRingFull); return false; }
  const slot = Out.ring + <usize>Out.used * SLOT_BYTES;
  let outLen = len;
  if (outLen < ETH_MIN_FRAME) {
    memory.fill(frame + outLen, 0, ETH_MIN_FRAME - outLen);
    outLen = ETH_MIN_FRAME;
  }
  // Port and length in one store (SLOT_LENGTH is SLOT_PORT + 2): a store fewer a frame.
  if (SLOT_LENGTH != SLOT_PORT + 2) ERROR("emitInPlace stores port and length as one word: host/layout.ts moved them apart");
  store<u32>(slot, <u32>port | ((outLen | SLOT_REF) << 16), SLOT_PORT);
  store<u32>(slot, frame, SLOT_DATA);
  Out.used++;
  return true;
}
