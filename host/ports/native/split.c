// Receive-side segmentation for TAP ports opened with TSO (TUNSETOFFLOAD TUN_F_CSUM | TUN_F_TSO4) and
// AF_PACKET ports (PACKET_VNET_HDR: a sender on this host with TSO/GSO, or a NIC's GRO): the kernel
// hands over a TCP super-frame of up to 64 KB with a virtio-net header, and we cut it into frames
// of gso_size bytes of payload, as a NIC would (RFC 793: sequence numbers; RFC 791: length, id and header
// checksum per frame; FIN and PSH only on the last, CWR only on the first), each with its TCP checksum
// finished, straight into the module's input slots. The module sees ordinary frames, so its rings and
// the boards are unchanged. A super-frame larger than the ring's free slots goes on in the next batch.
#include "ports.h"
#include <linux/virtio_net.h>
#include <string.h>

#define ETH_LEN 14
#define IP_TOTAL_LENGTH (ETH_LEN + 2)
#define IP_ID (ETH_LEN + 4)
#define IP_CHECKSUM (ETH_LEN + 10)
#define IP_SRC (ETH_LEN + 12)
#define TCP_SEQ 4
#define TCP_FLAGS 13
#define TCP_CHECKSUM 16
#define FLAG_FIN 0x01
#define FLAG_PSH 0x08
#define FLAG_CWR 0x80

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void put_be32(uint8_t *p, uint32_t v) { put_be16(p, (uint16_t)(v >> 16)); put_be16(p + 2, (uint16_t)v); }

/** sum plus the RFC 1071 sum of len bytes, as big-endian 16-bit words. The bytes are added 8 at a time in
 *  the host's order and the folded result swapped once: a one's complement sum does not depend on byte
 *  order (RFC 1071 2(B)). This is most of the cost of cutting a super-frame (every payload byte). */
static uint32_t sum16(const uint8_t *p, uint32_t len, uint32_t sum) {
  uint64_t acc = 0;
  uint32_t i = 0;
  for (; i + 8 <= len; i += 8) { // two 32-bit halves into 64 bits: no carry is lost
    uint64_t w;
    memcpy(&w, p + i, 8);
    acc += (w & 0xffffffff) + (w >> 32);
  }
  for (; i + 2 <= len; i += 2) {
    uint16_t h;
    memcpy(&h, p + i, 2);
    acc += h;
  }
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  acc = (acc >> 8 | acc << 8) & 0xffff;
#endif
  if (len & 1) acc += (uint32_t)p[len - 1] << 8; // the odd byte is the high half of a last word
  return sum + (uint32_t)acc;
}

static uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

int split_start(struct split_state *s, const struct virtio_net_hdr *vnet, const uint8_t *frame, uint32_t length, uint32_t slot_data) {
  const uint8_t *f = frame;
  s->active = 0;
  // ECN: the sender's CWR stays on the first frame only (below), as a NIC's TSO does.
  if ((vnet->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_TCPV4 || length < ETH_LEN + 40 || be16(f + 12) != 0x0800 || f[ETH_LEN] >> 4 != 4 || f[ETH_LEN + 9] != 6) return 0;
  uint32_t ip_len = (f[ETH_LEN] & 0x0f) * 4u;
  if (ip_len < 20 || ETH_LEN + ip_len + 20 > length) return 0;
  uint32_t tcp_len = (f[ETH_LEN + ip_len + 12] >> 4) * 4u, hdr_len = ETH_LEN + ip_len + tcp_len;
  if (tcp_len < 20 || hdr_len > length || vnet->gso_size == 0 || hdr_len + vnet->gso_size > slot_data) return 0;
  s->frame = frame;
  s->length = length;
  s->hdr_len = hdr_len;
  s->ip_len = ip_len;
  s->mss = vnet->gso_size;
  s->next = hdr_len;
  s->index = 0;
  s->active = 1;
  return 1;
}

uint32_t split_next(struct split_state *s, uint8_t *ring, uint32_t slot_bytes, uint16_t port_no, uint32_t max) {
  const uint8_t *f = s->frame;
  uint32_t n = 0, tcp = ETH_LEN + s->ip_len;
  uint16_t id0 = be16(f + IP_ID);
  uint32_t seq0 = be32(f + tcp + TCP_SEQ);
  while (n < max && s->active) {
    uint8_t *slot = ring + (size_t)n * slot_bytes, *out = slot + SLOT_DATA;
    uint32_t size = s->length - s->next < s->mss ? s->length - s->next : s->mss;
    int last = s->next + size >= s->length;
    memcpy(out, f, s->hdr_len);
    memcpy(out + s->hdr_len, f + s->next, size);
    uint32_t frame_len = s->hdr_len + size;
    put_be16(out + IP_TOTAL_LENGTH, (uint16_t)(frame_len - ETH_LEN));
    put_be16(out + IP_ID, (uint16_t)(id0 + s->index));
    out[IP_CHECKSUM] = out[IP_CHECKSUM + 1] = 0;
    put_be16(out + IP_CHECKSUM, (uint16_t)~fold(sum16(out + ETH_LEN, s->ip_len, 0)));
    put_be32(out + tcp + TCP_SEQ, seq0 + (s->next - s->hdr_len));
    if (!last) out[tcp + TCP_FLAGS] &= (uint8_t)~(FLAG_FIN | FLAG_PSH);
    if (s->index > 0) out[tcp + TCP_FLAGS] &= (uint8_t)~FLAG_CWR;
    out[tcp + TCP_CHECKSUM] = out[tcp + TCP_CHECKSUM + 1] = 0;
    uint32_t tcp_len = frame_len - tcp;
    uint32_t sum = sum16(out + IP_SRC, 8, 6 + tcp_len); // RFC 793 pseudo-header
    put_be16(out + tcp + TCP_CHECKSUM, (uint16_t)~fold(sum16(out + tcp, tcp_len, sum)));
    slot[0] = (uint8_t)port_no; slot[1] = 0; // the slot header is little-endian (host/abi.ts)
    slot[2] = (uint8_t)frame_len; slot[3] = (uint8_t)(frame_len >> 8);
    s->next += size;
    s->index++;
    if (last) s->active = 0;
    n++;
  }
  return n;
}
