// IPsec on the wire: ESP (RFC 4303), AH (RFC 4302), the ISAKMP/IKEv1 header (RFC 2408) and IKEv2 (RFC 7296),
// and the NAT-T non-ESP marker (RFC 3948). Offsets from the start of each header.

export const ESP_SPI = 0;
export const ESP_SEQ = 4;
export const ESP_MIN_LEN: u32 = 8;

export const AH_NEXT_HEADER = 0;
export const AH_PAYLOAD_LEN = 1;
export const AH_SPI = 4;
export const AH_SEQ = 8;
export const AH_MIN_LEN: u32 = 12;

// IKE header: the same 28-byte shape in IKEv1 and IKEv2; the version's major nibble tells them apart.
export const IKE_ICOOKIE = 0; // IKEv1 initiator cookie / IKEv2 initiator SPI
export const IKE_RCOOKIE = 8;
export const IKE_NEXT_PAYLOAD = 16;
export const IKE_VERSION = 17;
export const IKE_EXCHANGE = 18;
export const IKE_FLAGS = 19;
export const IKE_MESSAGE_ID = 20;
export const IKE_LENGTH = 24;
export const IKE_HEADER_LEN: u32 = 28;
/** The two cookies (SPIs) that name an IKE SA: what an ICMP error must quote to name a session. */
export const IKE_SPIS_LEN: u32 = 16;

export const IKEV1_FLAG_ENCRYPTION: u8 = 0x01; // RFC 2408 3.1: the payloads after the header are encrypted
export const IKEV2_FLAG_RESPONSE: u8 = 0x20; // RFC 7296 3.1

/** The major version (1: ISAKMP/IKEv1, 2: IKEv2), the high nibble of the version octet. */
@inline export function ikeMajorVersion(ike: usize): u8 {
  return load<u8>(ike + IKE_VERSION) >> 4;
}

export const IKE_PAYLOAD_NEXT = 0; // generic payload header
export const IKE_PAYLOAD_LENGTH = 2;
export const IKE_PAYLOAD_HEADER: u32 = 4;

// IKEv1 exchange types (RFC 2408 / 2409)
export const IKEV1_MAIN_MODE: u8 = 2;
export const IKEV1_AGGRESSIVE: u8 = 4;
export const IKEV1_INFORMATIONAL: u8 = 5;
export const IKEV1_QUICK_MODE: u8 = 32;
// IKEv2 exchange types (RFC 7296 3.1)
export const IKEV2_SA_INIT: u8 = 34;
export const IKEV2_AUTH: u8 = 35;
export const IKEV2_CREATE_CHILD_SA: u8 = 36;
export const IKEV2_INFORMATIONAL: u8 = 37;

// Payload types that the advisor reads in clear messages
export const IKEV1_PAYLOAD_ID: u8 = 5;
export const IKEV1_PAYLOAD_VENDOR_ID: u8 = 13;
export const IKEV1_PAYLOAD_NAT_D: u8 = 20; // RFC 3947
export const IKEV1_PAYLOAD_NAT_D_DRAFT: u8 = 130; // draft-ietf-ipsec-nat-t-ike-02/03
export const IKEV2_PAYLOAD_NOTIFY: u8 = 41;
export const IKEV2_PAYLOAD_SK: u8 = 46; // Encrypted and Authenticated (RFC 7296 3.14): all after it is encrypted
// The Notify payload's body (RFC 7296 3.10), from the end of the generic payload header
export const IKEV2_NOTIFY_PROTOCOL = 0;
export const IKEV2_NOTIFY_SPI_SIZE = 1;
export const IKEV2_NOTIFY_TYPE = 2;
export const IKEV2_NOTIFY_HEADER: u32 = 4; // then the SPI (SPI_SIZE bytes), then the notification data
export const NAT_D_HASH_LEN: u32 = 20; // a NAT_DETECTION_*_IP notification's data: a SHA-1 hash (RFC 7296 2.23)
// The Identification payload's body (RFC 2407 4.6.2)
export const IKEV1_ID_TYPE = 0;
export const IKEV2_NOTIFY_NAT_D_SOURCE: u32 = 16388;
export const IKEV2_NOTIFY_NAT_D_DEST: u32 = 16389;
export const IKE_ID_IPV4_ADDR: u8 = 1;

/** UDP 4500 carries IKE behind a 4-byte zero "non-ESP marker"; anything else there is ESP (RFC 3948 2.2). */
export const NON_ESP_MARKER_LEN: u32 = 4;
export const NATT_PORT: u32 = 4500;

/** True for exchanges that create IKE or child SAs, after which the peer's first inbound SPI is expected. */
export function negotiatesSa(exchange: u8): bool {
  return exchange == IKEV1_MAIN_MODE || exchange == IKEV1_AGGRESSIVE || exchange == IKEV1_QUICK_MODE ||
    exchange == IKEV2_SA_INIT || exchange == IKEV2_AUTH || exchange == IKEV2_CREATE_CHILD_SA;
}
