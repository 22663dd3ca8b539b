// The IPsec advisor: what the technote explains in prose, said per tunnel. Each finding has a stable
// code; its one-line reason and suggested fix are in ADVISOR_CATALOG (exported, so every host and the
// console show the same words). Findings are kept per (code, host, remote) with a count, in a bounded
// table whose oldest entry is replaced when full. It also reads the clear IKE payloads it needs:
// NAT-T vendor IDs and NAT-D payloads (RFC 3947, RFC 7296 2.23) and IKEv1 aggressive-mode identities.
import { FINDING_SLOTS } from "../config";
import { arenaTake } from "../arena";
import { Counter, count } from "../counters";
import { get16, get32 } from "../wire/bytes";
import {
  IKE_NEXT_PAYLOAD, IKE_FLAGS, IKE_EXCHANGE, IKE_HEADER_LEN, IKE_PAYLOAD_LENGTH, IKE_PAYLOAD_HEADER,
  IKEV1_AGGRESSIVE, IKEV1_PAYLOAD_ID, IKEV1_PAYLOAD_VENDOR_ID, IKEV1_PAYLOAD_NAT_D, IKEV1_PAYLOAD_NAT_D_DRAFT,
  IKEV2_PAYLOAD_NOTIFY, IKEV2_NOTIFY_NAT_D_SOURCE, IKEV2_NOTIFY_NAT_D_DEST, IKE_ID_IPV4_ADDR, IKE_PAYLOAD_NEXT,
  IKEV1_FLAG_ENCRYPTION, IKEV1_ID_TYPE, IKEV2_PAYLOAD_SK, IKEV2_NOTIFY_SPI_SIZE, IKEV2_NOTIFY_TYPE, IKEV2_NOTIFY_HEADER, NAT_D_HASH_LEN,
} from "../wire/ipsec";
import { NATT_NAT_D, NATT_VENDOR_ID } from "./ike-sessions";

export const FINDING_AH_THROUGH_PAT: u32 = 1;
export const FINDING_NO_NAT_T: u32 = 2;
export const FINDING_AGGRESSIVE_ID_IP: u32 = 3;
export const FINDING_ESP_TO_DEFAULT_SERVER: u32 = 4;
export const FINDING_MANUAL_KEYS: u32 = 5;

/** code|name|reason|fix, one finding per line. Append only: codes are stable. */
export const ADVISOR_CATALOG = "1|AH_THROUGH_PAT|AH authenticates the IP source address, which PAT rewrites, so the peer will discard every packet|Use ESP instead of AH, or give this host a Transparent Map so its address is not rewritten\n2|NO_NAT_T|The peers did not negotiate NAT-T (no NAT-T vendor ID or NAT-D payloads in the clear IKE messages), so raw ESP depends on this ALG and only one negotiation per remote can be in flight|Enable NAT traversal (NAT-T, UDP 4500) on both peers\n3|AGGRESSIVE_ID_IP|IKEv1 aggressive mode sends an IP-address identity in the clear, and the peer sees the WAN address instead of it|Use an FQDN or user-FQDN identity, or tell the peer to expect the WAN address\n4|ESP_TO_DEFAULT_SERVER|ESP/AH from the WAN goes to the default server because no Server List entry owns UDP 500|Add a Server List entry for UDP 500 to the VPN host, or use the multi mode\n5|MANUAL_KEYS|ESP with no IKE exchange seen (manual keys): an inbound SPI is bound only while a single LAN host talks ESP to this remote|Prefer IKE with NAT-T, or keep one manual-key host per remote gateway";

/** A finding about one host's traffic with one remote, 24 bytes. */
@unmanaged class Finding {
  code: u32; //  0  FINDING_*
  host: u32; //  4
  remote: u32; //  8
  count: u32; // 12  occurrences
  last: u32; // 16  when it was last seen
  used: u8; // 20
  reserved: u8; // 21
  reserved2: u16; // 22
}
const F_BYTES: u32 = 24;

let findings: usize = 0;

export function advisorInit(): bool {
  if (offsetof<Finding>() != F_BYTES) return false;
  findings = arenaTake(<usize>FINDING_SLOTS * F_BYTES);
  return findings != 0;
}

@inline function findingAt(i: u32): Finding {
  return changetype<Finding>(findings + <usize>i * F_BYTES);
}

/** Records one occurrence of a finding about a host's traffic with a remote. */
export function advise(code: u32, host: u32, remote: u32, now: u32): void {
  let victim = findingAt(0);
  let oldest: u32 = 0;
  for (let i: u32 = 0; i < FINDING_SLOTS; i++) {
    const f = findingAt(i);
    if (f.used == 0) { victim = f; oldest = 0xffffffff; continue; }
    if (f.code == code && f.host == host && f.remote == remote) {
      f.count = f.count + 1;
      f.last = now;
      return;
    }
    const age = now - f.last;
    if (oldest != 0xffffffff && age >= oldest) { oldest = age; victim = f; }
  }
  victim.code = code;
  victim.host = host;
  victim.remote = remote;
  victim.count = 1;
  victim.last = now;
  victim.used = 1;
  count(Counter.AdvisorFindings);
}

export function findingSlots(): u32 { return FINDING_SLOTS; }

/** Dump row: code, host, remote, count, ageMs. */
export function findingRow(i: u32, row: usize, now: u32): bool {
  const f = findingAt(i);
  if (f.used == 0) return false;
  store<u32>(row, f.code, 0);
  store<u32>(row, f.host, 4);
  store<u32>(row, f.remote, 8);
  store<u32>(row, f.count, 12);
  store<u32>(row, now - f.last, 16);
  return true;
}

// RFC 3947's NAT-T vendor ID is MD5("RFC 3947"); drafts 02/02n/03 used others. First word of each.
@inline function isNatTVendorId(body: usize, len: u32): bool {
  if (len != 16) return false;
  const w = get32(body);
  return w == 0x4a131c81 || w == 0x90cb8091 || w == 0xcd604643 || w == 0x7d9419a6;
}

export class IkeFacts {
  static natT: u8 = 0; // NATT_* bits seen in this message
  static ipIdentity: bool = false; // an aggressive-mode ID payload of type ID_IPV4_ADDR
  static natDSource: usize = 0; // IKEv2: the 20-byte hash of the first NAT_DETECTION_SOURCE_IP, or 0
  static natDDest: usize = 0; // IKEv2: the 20-byte hash of NAT_DETECTION_DESTINATION_IP, or 0
}

/**
 * Walks the clear payloads of an IKE message (`ike` points at the IKE header, `len` bytes present).
 * Stops at an encrypted payload (IKEv2 SK, IKEv1 encryption flag) and at anything malformed.
 */
export function inspectIke(ike: usize, len: u32, version: u8): void {
  IkeFacts.natT = 0;
  IkeFacts.ipIdentity = false;
  IkeFacts.natDSource = 0;
  IkeFacts.natDDest = 0;
  if (version == 1 && (load<u8>(ike + IKE_FLAGS) & IKEV1_FLAG_ENCRYPTION) != 0) return; // IKEv1 E flag: payloads are encrypted
  const exchange = load<u8>(ike + IKE_EXCHANGE);
  let next = load<u8>(ike + IKE_NEXT_PAYLOAD);
  let at: u32 = IKE_HEADER_LEN;
  for (let n = 0; n < 32 && next != 0; n++) {
    if (at + IKE_PAYLOAD_HEADER > len) return;
    const p = ike + at;
    const plen = get16(p + IKE_PAYLOAD_LENGTH);
    if (plen < IKE_PAYLOAD_HEADER || at + plen > len) return;
    const body = p + IKE_PAYLOAD_HEADER;
    const blen = plen - IKE_PAYLOAD_HEADER;
    if (version == 1) {
      if (next == IKEV1_PAYLOAD_VENDOR_ID && isNatTVendorId(body, blen)) IkeFacts.natT |= NATT_VENDOR_ID;
      if (next == IKEV1_PAYLOAD_NAT_D || next == IKEV1_PAYLOAD_NAT_D_DRAFT) IkeFacts.natT |= NATT_NAT_D;
      if (next == IKEV1_PAYLOAD_ID && exchange == IKEV1_AGGRESSIVE && blen >= 1 && load<u8>(body + IKEV1_ID_TYPE) == IKE_ID_IPV4_ADDR) IkeFacts.ipIdentity = true;
    } else {
      if (next == IKEV2_PAYLOAD_SK) return; // everything after is encrypted
      if (next == IKEV2_PAYLOAD_NOTIFY && blen >= IKEV2_NOTIFY_HEADER) {
        const type = get16(body + IKEV2_NOTIFY_TYPE);
        if (type == IKEV2_NOTIFY_NAT_D_SOURCE || type == IKEV2_NOTIFY_NAT_D_DEST) IkeFacts.natT |= NATT_NAT_D;
        // protocol, SPI size 0, type, then the SHA-1 hash
        const hash = blen == IKEV2_NOTIFY_HEADER + NAT_D_HASH_LEN && load<u8>(body + IKEV2_NOTIFY_SPI_SIZE) == 0 ? body + IKEV2_NOTIFY_HEADER : 0;
        if (type == IKEV2_NOTIFY_NAT_D_SOURCE && IkeFacts.natDSource == 0) IkeFacts.natDSource = hash;
        if (type == IKEV2_NOTIFY_NAT_D_DEST) IkeFacts.natDDest = hash;
      }
    }
    next = load<u8>(p + IKE_PAYLOAD_NEXT);
    at += plen;
  }
}
