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
import { IKE_EXCHANGE, IKE_FLAGS, IKE_MESSAGE_ID, IKEV1_QUICK_MODE, IKEV2_AUTH, IKEV2_CREATE_CHILD_SA, IKEV2_FLAG_RESPONSE, ikeMajorVersion } from "../wire/ipsec";
import { IkeSession, ikeAt, openSlotOf, OPEN_SLOTS, FLAG_AUTH_COUNTED, FLAG_PAID, FLAG_OUT_NEW } from "./ike-sessions";

const OWED_MAX: u8 = 15;

@inline function createsChildSa(ike: usize): bool {
  const exchange = load<u8>(ike + IKE_EXCHANGE);
  return ikeMajorVersion(ike) == 2
    ? exchange == IKEV2_AUTH || exchange == IKEV2_CREATE_CHILD_SA
    : exchange == IKEV1_QUICK_MODE;
}


/** The open slot of `side` (0 host, 1 remote) holding `msgId`, or -1. */
function openSlot(s: IkeSession, side: u32, msgId: u32): i32 {
  const open = <u32>s.open;
  for (let i = side * 2; i < side * 2 + 2; i++) {
    if ((open & (1 << i)) != 0 && openSlotOf(s, i).msgId == msgId) return <i32>i;
  }
  return -1;
}

@inline function sideOf(fromHost: bool): u32 {
  return fromHost ? 0 : 1;
}

@inline function isResponse(ike: usize): bool {
  return ikeMajorVersion(ike) == 2 && (load<u8>(ike + IKE_FLAGS) & IKEV2_FLAG_RESPONSE) != 0;
}

/** The slot of the other side's exchange this message answers, or -1. */
function answered(s: IkeSession, ike: usize, fromHost: bool): i32 {
  if (ikeMajorVersion(ike) == 2 && !isResponse(ike)) return -1;
  return openSlot(s, sideOf(!fromHost), get32(ike + IKE_MESSAGE_ID));
}

@inline function doneBefore(s: IkeSession, msgId: u32): bool {
  return s.doneAt != 0 && (s.doneMsgId == msgId || s.doneMsgIdBefore == msgId);
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
  if (ikeMajorVersion(ike) == 1 && (answered(s, ike, fromHost) >= 0 || doneBefore(s, msgId))) return false;
  return openSlot(s, sideOf(fromHost), msgId) < 0;
}

/** Notes the message in `ike` on session k: opens an exchange, or closes one and counts its child SA. */
export function trackExchange(k: u32, ike: usize, fromHost: bool, now: u32): void {
  if (!createsChildSa(ike)) return;
  const s = ikeAt(k);
  const msgId = get32(ike + IKE_MESSAGE_ID);
  const slot = answered(s, ike, fromHost);
  if (slot >= 0) {
    s.open = s.open & ~(<u8>1 << <u8>slot);
    s.doneMsgIdBefore = s.doneMsgId;
    s.doneMsgId = msgId;
    s.doneAt = now == 0 ? 1 : now;
    let flags = s.flags & ~(FLAG_PAID | FLAG_OUT_NEW); // a new SA pair: evidence starts over
    if (load<u8>(ike + IKE_EXCHANGE) == IKEV2_AUTH) {
      const counted = (flags & FLAG_AUTH_COUNTED) != 0;
      s.flags = flags | FLAG_AUTH_COUNTED;
      if (counted) return;
    } else {
      s.flags = flags;
    }
    const owed = s.owed;
    if (owed < OWED_MAX) s.owed = owed + 1;
    return;
  }
  if (!opensExchange(k, ike, fromHost)) return;
  // A free slot of this side, else the side's older one.
  const side = sideOf(fromHost);
  const open = <u32>s.open;
  let use = side * 2;
  if ((open & (1 << use)) != 0) {
    const other = use + 1;
    if ((open & (1 << other)) == 0 || <i32>(openSlotOf(s, other).at - openSlotOf(s, use).at) < 0) use = other;
  }
  const opened = openSlotOf(s, use);
  opened.msgId = msgId;
  opened.at = now;
  s.open = <u8>(open | (1 << use));
}

/** The time the newest still-open exchange of session `s` was opened, or `none` when none is open. */
export function openedAt(s: IkeSession, none: u32): u32 {
  const open = <u32>s.open;
  let at = none;
  for (let i: u32 = 0; i < OPEN_SLOTS; i++) {
    if ((open & (1 << i)) == 0) continue;
    const t = openSlotOf(s, i).at;
    if (at == none || <i32>(t - at) > 0) at = t;
  }
  return at;
}
