// Transmit-side TCP segment merging for TAP ports (opened with IFF_VNET_HDR): consecutive output frames
// of one TCP flow that continue each other (same headers, contiguous sequence numbers, equal payload
// sizes but the last) leave as one super-frame of up to 64 KB with a virtio-net header asking for TSO,
// the TCP checksum left to the offload (RFC 793 pseudo-header sum in the field, as a NIC expects).
// The receiving stack then handles one packet per 64 KB instead of one per segment, as Linux's own
// forwarding does with GSO. The module still translates every segment itself (its slots stay 1,536
// bytes, so the boards pay nothing). Anything unusual (options in IP, SYN/FIN/RST/URG, ECN, fragments,
// headers that differ) is sent as it is.
#include "ports.h"
#include <linux/virtio_net.h>
#include <string.h>

#define ETH_LEN 14
#define IP_LEN 20 // merged frames carry no IP options
#define IP_TOTAL_LENGTH (ETH_LEN + 2)
#define IP_FRAGMENT (ETH_LEN + 6)
#define IP_TTL (ETH_LEN + 8)
#define IP_PROTOCOL (ETH_LEN + 9)
#define IP_CHECKSUM (ETH_LEN + 10)
#define IP_SRC (ETH_LEN + 12)
#define TCP (ETH_LEN + IP_LEN)
#define TCP_SEQ (TCP + 4)
#define TCP_ACK (TCP + 8)
#define TCP_OFFSET (TCP + 12)
#define TCP_FLAGS (TCP + 13)
#define TCP_CHECKSUM (TCP + 16)
#define TCP_OPTIONS (TCP + 20)
#define FLAG_PSH 0x08
#define FLAG_ACK 0x10
#define IP_DF 0x4000
#define MAX_IP_LENGTH 65535

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static inline void put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static uint16_t fold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

/** A frame that may take part in a merge: IPv4 without options or fragmentation, TCP with only ACK
 *  (and PSH) set, some payload. Fills the header length and payload size. */
static int mergeable(const uint8_t *f, uint32_t len, uint32_t *hdr_len, uint32_t *payload) {
  if (len < TCP_OPTIONS || be16(f + 12) != 0x0800 || f[ETH_LEN] != 0x45 || f[IP_PROTOCOL] != 6) return 0;
  if ((be16(f + IP_FRAGMENT) & ~IP_DF) != 0 || (f[ETH_LEN + 1] & 3) != 0) return 0; // fragments; ECN marks
  uint32_t ip_total = be16(f + IP_TOTAL_LENGTH), tcp_len = (uint32_t)(f[TCP_OFFSET] >> 4) * 4;
  if (tcp_len < 20 || ETH_LEN + ip_total > len || IP_LEN + tcp_len >= ip_total) return 0; // no payload: nothing to merge
  if ((f[TCP_FLAGS] & ~FLAG_PSH) != FLAG_ACK || (f[TCP_OFFSET] & 0x0f) != 0) return 0;
  *hdr_len = TCP + tcp_len;
  *payload = ip_total - IP_LEN - tcp_len;
  return 1;
}

int tcp_segment(const uint8_t *frame, uint32_t length) {
  uint32_t hdr_len, payload;
  return mergeable(frame, length, &hdr_len, &payload);
}

void finish_checksum(uint8_t *frame, uint32_t length, uint32_t start, uint32_t offset) {
  if (start + offset + 2 > length) return; // a header that does not fit the frame: left for the module to drop
  uint32_t sum = 0;
  for (uint32_t i = start; i + 1 < length; i += 2) sum += be16(frame + i);
  if ((length - start) & 1) sum += (uint32_t)frame[length - 1] << 8;
  uint16_t checksum = (uint16_t)~fold(sum);
  // In UDP (the field at offset 6) zero means "no checksum": a computed zero is sent as 0xffff (RFC 768).
  put_be16(frame + start + offset, checksum == 0 && offset == 6 ? 0xffff : checksum);
}

/** next continues first's flow: every header byte equal but the IP length, id and checksum and the
 *  TCP sequence number, checksum and PSH flag. */
static int same_flow(const uint8_t *first, const uint8_t *next, uint32_t hdr_len) {
  return memcmp(first, next, IP_TOTAL_LENGTH) == 0 &&                       // Ethernet, IP version and TOS
         memcmp(first + IP_FRAGMENT, next + IP_FRAGMENT, 4) == 0 &&         // DF, TTL, protocol
         memcmp(first + IP_SRC, next + IP_SRC, 12) == 0 &&                  // addresses and ports
         memcmp(first + TCP_ACK, next + TCP_ACK, 5) == 0 &&                 // ack number, data offset
         (first[TCP_FLAGS] & ~FLAG_PSH) == (next[TCP_FLAGS] & ~FLAG_PSH) &&
         memcmp(first + TCP_FLAGS + 1, next + TCP_FLAGS + 1, 2) == 0 &&     // window
         memcmp(first + TCP_CHECKSUM + 2, next + TCP_CHECKSUM + 2, hdr_len - TCP_CHECKSUM - 2) == 0; // urgent pointer, options
}

uint32_t merge_tcp(const uint8_t *const frames[], const uint32_t lengths[], uint32_t count,
                   uint8_t *out, struct virtio_net_hdr *vnet, uint32_t *out_len) {
  uint32_t hdr_len, mss, payload;
  memset(vnet, 0, sizeof *vnet);
  const uint8_t *first = frames[0];
  if (count < 2 || !mergeable(first, lengths[0], &hdr_len, &mss) || mss == 0 || (first[TCP_FLAGS] & FLAG_PSH)) return 0;
  uint32_t n = 1, total = mss, expected = be32(first + TCP_SEQ) + mss;
  uint8_t flags = first[TCP_FLAGS];
  while (n < count) {
    const uint8_t *f = frames[n];
    uint32_t h;
    if (!mergeable(f, lengths[n], &h, &payload) || h != hdr_len || payload == 0 || payload > mss ||
        be32(f + TCP_SEQ) != expected || !same_flow(first, f, hdr_len) || hdr_len - ETH_LEN + total + payload > MAX_IP_LENGTH) break;
    total += payload;
    expected += payload;
    flags |= f[TCP_FLAGS];
    n++;
    if (payload < mss || (f[TCP_FLAGS] & FLAG_PSH)) break; // a short or pushed segment ends the run
  }
  if (n < 2) return 0;
  memcpy(out, first, hdr_len);
  uint32_t at = hdr_len;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t h, p;
    mergeable(frames[k], lengths[k], &h, &p);
    memcpy(out + at, frames[k] + hdr_len, p);
    at += p;
  }
  uint32_t ip_total = at - ETH_LEN, tcp_total = ip_total - IP_LEN;
  put_be16(out + IP_TOTAL_LENGTH, (uint16_t)ip_total);
  out[TCP_FLAGS] = flags;
  out[IP_CHECKSUM] = out[IP_CHECKSUM + 1] = 0;
  uint32_t sum = 0;
  for (int i = 0; i < IP_LEN; i += 2) sum += be16(out + ETH_LEN + i);
  put_be16(out + IP_CHECKSUM, (uint16_t)~fold(sum));
  // The pseudo-header sum, not complemented: the offload adds the segment and complements (virtio 1.1, 5.1.6.2).
  sum = 6 + tcp_total;
  for (int i = 0; i < 8; i += 2) sum += be16(out + IP_SRC + i);
  put_be16(out + TCP_CHECKSUM, fold(sum));
  vnet->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  vnet->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
  vnet->hdr_len = (uint16_t)hdr_len;
  vnet->gso_size = (uint16_t)mss;
  vnet->csum_start = TCP;
  vnet->csum_offset = 16;
  *out_len = at;
  return n;
}
