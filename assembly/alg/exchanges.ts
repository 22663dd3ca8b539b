// SA-creating IKE exchanges, tracked per IKE session from their clear headers (RFC 7296 3.1, RFC 2409 5.5):
// a request opens an exchange on the side that sent it; the other side's answer with the same message
// ID closes it and means one more child SA exists, whose inbound SPI the ALG must bind (alg/binding.ts).
//   IKEv2: IKE_AUTH and CREATE_CHILD_SA; the Response flag tells answers from requests. Several IKE_AUTH
//          round trips (EAP) create one child SA, so IKE_AUTH counts once per IKE SA. A CREATE_CHILD_SA
//          that rekeys the IKE SA itself, a failed IKE_AUTH and the losing side of a rekey collision create
//          no ESP SA; they cannot be told apart (the payloads are encrypted), so they count: an extra count
//          makes a host a candidate too many, never too few (alg/binding.ts ranks such hosts last).
//   IKEv1: Quick Mode (three messages, one message ID): the first message from a side opens, the other
//          side's answer closes; the third message is neither (its message ID was answered).
// Each side may have two exchanges outstanding (an IKEv2 window of 2, two Quick Modes at once); a third
// request replaces the side's oldest.
import { get32 } from "../wire/bytes";
import { IKE_VERSION, IKE_EXCHANGE, IKE_FLAGS, IKE_MESSAGE_ID, IKEV1_QUICK_MODE, IKEV2_AUTH, IKEV2_CREATE_CHILD_SA } from "../wire/ipsec";
import { ikeAt, K_OPEN, K_OWED, K_FLAGS, K_DONE_AT, K_DONE_MSGIDS, K_OPENS, OPEN_SLOTS, FLAG_AUTH_COUNTED, FLAG_PAID, FLAG_OUT_NEW } from "./ike-sessions";

const IKEV2_FLAG_RESPONSE: u8 = 0x20;
const OWED_MAX: u8 = 15;

@inline function createsChildSa(ike: usize): bool {
  const exchange = load<u8>(ike + IKE_EXCHANGE);
  return (load<u8>(ike + IKE_VERSION) >> 4) == 2
    ? exchange == IKEV2_AUTH || exchange == IKEV2_CREATE_CHILD_SA
    : exchange == IKEV1_QUICK_MODE;
}

@inline function slotAt(s: usize, i: u32): usize {
  return s + K_OPENS + (i << 3);
}

/** The open slot of `side` (0 host, 1 remote) holding `msgId`, or -1. */
function openSlot(s: usize, side: u32, msgId: u32): i32 {
  const open = <u32>load<u8>(s, K_OPEN);
  for (let i = side * 2; i < side * 2 + 2; i++) {
    if ((open & (1 << i)) != 0 && load<u32>(slotAt(s, i)) == msgId) return <i32>i;
  }
  return -1;
}

@inline function sideOf(fromHost: bool): u32 {
  return fromHost ? 0 : 1;
}

@inline function isResponse(ike: usize): bool {
  return (load<u8>(ike + IKE_VERSION) >> 4) == 2 && (load<u8>(ike + IKE_FLAGS) & IKEV2_FLAG_RESPONSE) != 0;
}

/** The slot of the other side's exchange this message answers, or -1. */
function answered(s: usize, ike: usize, fromHost: bool): i32 {
  if ((load<u8>(ike + IKE_VERSION) >> 4) == 2 && !isResponse(ike)) return -1;
  return openSlot(s, sideOf(!fromHost), get32(ike + IKE_MESSAGE_ID));
}

@inline function doneBefore(s: usize, msgId: u32): bool {
  return load<u32>(s, K_DONE_AT) != 0 && (load<u32>(s, K_DONE_MSGIDS) == msgId || load<u32>(s, K_DONE_MSGIDS + 4) == msgId);
}

/**
 * True when the message in `ike` (session k) is a request that opens a new SA-creating exchange: the
 * overlap rule (alg/hold.ts) may make it wait. A retransmitted request of an exchange already open is
 * not new, nor is an answer, nor IKEv1's third Quick Mode message.
 */
export function opensExchange(k: u32, ike: usize, fromHost: bool): bool {
  if (!createsChildSa(ike) || isResponse(ike)) return false;
  const s = ikeAt(k);
  const msgId = get32(ike + IKE_MESSAGE_ID);
  if ((load<u8>(ike + IKE_VERSION) >> 4) == 1 && (answered(s, ike, fromHost) >= 0 || doneBefore(s, msgId))) return false;
  return openSlot(s, sideOf(fromHost), msgId) < 0;
}

/** Notes the message in `ike` on session k: opens an exchange, or closes one and counts its child SA. */
export function trackExchange(k: u32, ike: usize, fromHost: bool, now: u32): void {
  if (!createsChildSa(ike)) return;
  const s = ikeAt(k);
  const msgId = get32(ike + IKE_MESSAGE_ID);
  const slot = answered(s, ike, fromHost);
  if (slot >= 0) {
    store<u8>(s, load<u8>(s, K_OPEN) & ~(<u8>1 << <u8>slot), K_OPEN);
    store<u32>(s, load<u32>(s, K_DONE_MSGIDS), K_DONE_MSGIDS + 4);
    store<u32>(s, msgId, K_DONE_MSGIDS);
    store<u32>(s, now == 0 ? 1 : now, K_DONE_AT);
    let flags = load<u8>(s, K_FLAGS) & ~(FLAG_PAID | FLAG_OUT_NEW); // a new SA pair: evidence starts over
    if (load<u8>(ike + IKE_EXCHANGE) == IKEV2_AUTH) {
      const counted = (flags & FLAG_AUTH_COUNTED) != 0;
      store<u8>(s, flags | FLAG_AUTH_COUNTED, K_FLAGS);
      if (counted) return;
    } else {
      store<u8>(s, flags, K_FLAGS);
    }
    const owed = load<u8>(s, K_OWED);
    if (owed < OWED_MAX) store<u8>(s, owed + 1, K_OWED);
    return;
  }
  if (!opensExchange(k, ike, fromHost)) return;
  // A free slot of this side, else the side's older one.
  const side = sideOf(fromHost);
  const open = <u32>load<u8>(s, K_OPEN);
  let use = side * 2;
  if ((open & (1 << use)) != 0) {
    const other = use + 1;
    if ((open & (1 << other)) == 0 || <i32>(load<u32>(slotAt(s, other), 4) - load<u32>(slotAt(s, use), 4)) < 0) use = other;
  }
  store<u32>(slotAt(s, use), msgId);
  store<u32>(slotAt(s, use), now, 4);
  store<u8>(s, <u8>(open | (1 << use)), K_OPEN);
}

/** The time the newest still-open exchange of session `s` was opened, or `none` when none is open. */
export function openedAt(s: usize, none: u32): u32 {
  const open = <u32>load<u8>(s, K_OPEN);
  let at = none;
  for (let i: u32 = 0; i < OPEN_SLOTS; i++) {
    if ((open & (1 << i)) == 0) continue;
    const t = load<u32>(slotAt(s, i), 4);
    if (at == none || <i32>(t - at) > 0) at = t;
  }
  return at;
}
