// ARP for IPv4 over Ethernet (RFC 826). Offsets are from the start of the ARP packet.

export const ARP_HTYPE = 0;
export const ARP_PTYPE = 2;
export const ARP_HLEN = 4;
export const ARP_PLEN = 5;
export const ARP_OPER = 6;
export const ARP_SHA = 8;
export const ARP_SPA = 14;
export const ARP_THA = 18;
export const ARP_TPA = 24;
export const ARP_LEN: u32 = 28;

export const ARP_HTYPE_ETHERNET: u32 = 1; // with ARP_HLEN 6 (ETH_ADDR_LEN)
export const ARP_PLEN_IPV4: u8 = 4; // ARP_PTYPE is the EtherType of IPv4 (ETHERTYPE_IPV4)

export const ARP_REQUEST: u32 = 1;
export const ARP_REPLY: u32 = 2;
