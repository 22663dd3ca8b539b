// Ethernet II (IEEE 802.3 framing without FCS). The module sees untagged frames: the board strips VLAN tags.

export const ETH_DST = 0;
export const ETH_SRC = 6;
export const ETH_TYPE = 12;
export const ETH_HEADER_LEN: u32 = 14;
export const ETH_MIN_FRAME: u32 = 60; // without FCS: shorter frames are padded on transmit
export const ETH_ADDR_LEN: u32 = 6;
/** The I/G bit of a MAC's first octet (IEEE 802): set for group (multicast and broadcast) addresses. */
export const MAC_GROUP_BIT: u8 = 0x01;

export const ETHERTYPE_IPV4: u32 = 0x0800;
export const ETHERTYPE_ARP: u32 = 0x0806;

@inline export function isBroadcast(mac: usize): bool {
  return load<u32>(mac) == 0xffffffff && load<u16>(mac, 4) == 0xffff;
}

@inline export function isGroup(mac: usize): bool {
  return (load<u8>(mac) & MAC_GROUP_BIT) != 0;
}

@inline export function setBroadcast(mac: usize): void {
  store<u32>(mac, 0xffffffff);
  store<u16>(mac, 0xffff, 4);
}

@inline export function macEquals(a: usize, b: usize): bool {
  return load<u32>(a) == load<u32>(b) && load<u16>(a, 4) == load<u16>(b, 4);
}

@inline export function copyMac(dst: usize, src: usize): void {
  store<u32>(dst, load<u32>(src));
  store<u16>(dst, load<u16>(src, 4), 4);
}
