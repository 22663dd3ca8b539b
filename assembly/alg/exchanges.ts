// SA-creating IKE exchanges, tracked per IKE session from their clear headers (RFC 7296 3.1, RFC 2409 5.5):
// a request opens an exchange on the side that sent it; the other side's answer with the same message
// ID closes it and means one more child SA exists, whose inbound SPI the ALG must bind (alg/binding.ts).
//   IKEv2: IKE_AUTH and CREATE_CHILD_SA; the Response flag tells answers from requests. Several IKE_AUTH
//          round trips (EAP) create one child SA, so IKE_AUTH counts once per IKE SA. A CREATE_CHILD_SA
//          that rekeys the IKE SA itself creates no ESP SA; it cannot be told apart (the payloads are
//          encrypted), so it counts: an extra count makes a host a candidate too many, never too few.
//   IKEv1: Quick Mode (three messages, one message ID): the first message from a side opens, the other
//          side's answer closes; the third message is neither (its message ID was answered).
import { get32 } from "../wire/bytes";
import { IKE_VERSION, IKE_EXCHANGE, IKE_FLAGS, IKE_MESSAGE_ID, IKEV1_QUICK_MODE, IKEV2_AUTH, IKEV2_CREATE_CHILD_SA } from "../wire/ipsec";
import {
  ikeAt, K_OPEN, K_OWED, K_FLAGS, K_DONE_AT, K_DONE_MSGID, K_HOST_MSGID, K_HOST_OPEN_AT, K_REMOTE_MSGID, K_REMOTE_OPEN_AT,
  OPEN_BY_HOST, OPEN_BY_REMOTE, FLAG_AUTH_COUNTED,
} from "./ike-sessions";

const IKEV2_FLAG_RESPONSE: u8 = 0x20;
const OWED_MAX: u8 = 15;

@inline function createsChildSa(ike: usize): bool {
  const exchange = load<u8>(ike + IKE_EXCHANGE);
  return (load<u8>(ike + IKE_VERSION) >> 4) == 2
    ? exchange == IKEV2_AUTH || exchange == IKEV2_CREATE_CHILD_SA
    : exchange == IKEV1_QUICK_MODE;
}

@inline function sideBit(fromHost: bool): u8 {
  return fromHost ? OPEN_BY_HOST : OPEN_BY_REMOTE;
}

@inline function openMsgId(s: usize, side: u8): u32 {
  return side == OPEN_BY_HOST ? load<u32>(s, K_HOST_MSGID) : load<u32>(s, K_REMOTE_MSGID);
}

@inline function isOpen(s: usize, side: u8, msgId: u32): bool {
  return (load<u8>(s, K_OPEN) & side) != 0 && openMsgId(s, side) == msgId;
}

/** True when this message answers an exchange the other side opened. */
function answers(s: usize, ike: usize, fromHost: bool): bool {
  const msgId = get32(ike + IKE_MESSAGE_ID);
  const other = sideBit(!fromHost);
  if ((load<u8>(ike + IKE_VERSION) >> 4) == 2 && (load<u8>(ike + IKE_FLAGS) & IKEV2_FLAG_RESPONSE) == 0) return false;
  return isOpen(s, other, msgId);
}

/**
 * True when the message in `ike` (session k) is a request that opens a new SA-creating exchange: the
 * overlap rule (alg/hold.ts) may make it wait. A retransmitted request of an exchange already open is
 * not new, nor is an answer, nor IKEv1's third Quick Mode message.
 */
export function opensExchange(k: u32, ike: usize, fromHost: bool): bool {
  if (!createsChildSa(ike)) return false;
  const s = ikeAt(k);
  const msgId = get32(ike + IKE_MESSAGE_ID);
  if ((load<u8>(ike + IKE_VERSION) >> 4) == 2) {
    if ((load<u8>(ike + IKE_FLAGS) & IKEV2_FLAG_RESPONSE) != 0) return false;
  } else {
    if (answers(s, ike, fromHost) || (load<u32>(s, K_DONE_AT) != 0 && load<u32>(s, K_DONE_MSGID) == msgId)) return false;
  }
  return !isOpen(s, sideBit(fromHost), msgId);
}

/** Notes the message in `ike` on session k: opens an exchange, or closes one and counts its child SA. */
export function trackExchange(k: u32, ike: usize, fromHost: bool, now: u32): void {
  if (!createsChildSa(ike)) return;
  const s = ikeAt(k);
  const msgId = get32(ike + IKE_MESSAGE_ID);
  if (answers(s, ike, fromHost)) {
    store<u8>(s, load<u8>(s, K_OPEN) & ~sideBit(!fromHost), K_OPEN);
    store<u32>(s, msgId, K_DONE_MSGID);
    store<u32>(s, now == 0 ? 1 : now, K_DONE_AT);
    const flags = load<u8>(s, K_FLAGS);
    if (load<u8>(ike + IKE_EXCHANGE) == IKEV2_AUTH) {
      if ((flags & FLAG_AUTH_COUNTED) != 0) return;
      store<u8>(s, flags | FLAG_AUTH_COUNTED, K_FLAGS);
    }
    const owed = load<u8>(s, K_OWED);
    if (owed < OWED_MAX) store<u8>(s, owed + 1, K_OWED);
    return;
  }
  if (!opensExchange(k, ike, fromHost)) return;
  const side = sideBit(fromHost);
  store<u8>(s, load<u8>(s, K_OPEN) | side, K_OPEN);
  if (side == OPEN_BY_HOST) {
    store<u32>(s, msgId, K_HOST_MSGID);
    store<u32>(s, now, K_HOST_OPEN_AT);
  } else {
    store<u32>(s, msgId, K_REMOTE_MSGID);
    store<u32>(s, now, K_REMOTE_OPEN_AT);
  }
}

/** The time the newest still-open exchange of session `s` was opened, or `none` when none is open. */
export function openedAt(s: usize, none: u32): u32 {
  const open = load<u8>(s, K_OPEN);
  if (open == 0) return none;
  const h = load<u32>(s, K_HOST_OPEN_AT), r = load<u32>(s, K_REMOTE_OPEN_AT);
  if (open == OPEN_BY_HOST) return h;
  if (open == OPEN_BY_REMOTE) return r;
  return <i32>(h - r) > 0 ? h : r;
}
