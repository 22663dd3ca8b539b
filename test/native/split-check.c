// Bad and truncated super-frames through split.c, built with AddressSanitizer by test/ports.test.ts:
// a good 10-segment TCP super-frame is cut into 10 frames whose checksums verify against a plain RFC 1071
// sum (and so are those of last segments of every length from 1 to 9 bytes); every prefix of it, and copies with one
// header field spoiled (not TCP, not IPv4, gso_size 0, header lengths too small or past the frame, a
// segment larger than a slot), is either cut within its own bytes or refused (0), never read past.
// Prints "ok CHECKS" or the first failure, and exits non-zero on a failure.
#include "../../host/ports/native/ports.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOT 1536
#define MSS 1448
#define SEGMENTS 10
#define HDR (14 + 20 + 32)

static int checks;
#define CHECK(cond, ...) do { checks++; if (!(cond)) { printf("FAIL: " __VA_ARGS__); printf("\n"); exit(1); } } while (0)

static uint8_t ring[SLOT * 64];

/** RFC 1071 over len bytes starting from sum, a word at a time: the reference for split.c's faster sum. */
static uint16_t reference(const uint8_t *p, uint32_t len, uint32_t sum) {
  for (uint32_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1) sum += (uint32_t)p[len - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)sum;
}

/** Both checksums of a cut frame verify (sum to 0xffff) and its payload is the source's at offset at. */
static int frame_ok(const uint8_t *frame, uint32_t len, const uint8_t *src, uint32_t at) {
  uint32_t tcp_len = len - 34;
  uint32_t pseudo = (uint32_t)(frame[26] << 8 | frame[27]) + (uint32_t)(frame[28] << 8 | frame[29]) +
                    (uint32_t)(frame[30] << 8 | frame[31]) + (uint32_t)(frame[32] << 8 | frame[33]) + 6 + tcp_len;
  return reference(frame + 14, 20, 0) == 0xffff && reference(frame + 34, tcp_len, pseudo) == 0xffff &&
         memcmp(frame + HDR, src + at, len - HDR) == 0;
}
static struct split_state s;

static void good_frame(uint8_t *f, uint32_t length) {
  memset(f, 0, length);
  f[12] = 0x08; // IPv4
  f[14] = 0x45; f[14 + 8] = 64; f[14 + 9] = 6;
  uint32_t ip_total = length - 14;
  f[16] = (uint8_t)(ip_total >> 8); f[17] = (uint8_t)ip_total;
  f[34 + 12] = 8 << 4; f[34 + 13] = 0x18; // 32-byte TCP header, ACK|PSH
  for (uint32_t i = HDR; i < length; i++) f[i] = (uint8_t)(i * 7);
}

/** split_start on a copy of exactly length bytes (so ASan sees any read past it), then cut it all. */
static int cut(const uint8_t *src, uint32_t length, const struct virtio_net_hdr *vnet, uint32_t *frames) {
  uint8_t *f = malloc(length ? length : 1);
  memcpy(f, src, length);
  int started = split_start(&s, vnet, f, length, SLOT - SLOT_DATA);
  *frames = 0;
  while (started && s.active) *frames += split_next(&s, ring, SLOT, 0, 64);
  free(f);
  return started;
}

int main(void) {
  uint32_t full = HDR + SEGMENTS * MSS, frames;
  uint8_t *good = malloc(full);
  good_frame(good, full);
  struct virtio_net_hdr vnet = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = MSS, .hdr_len = HDR };

  CHECK(cut(good, full, &vnet, &frames) && frames == SEGMENTS, "a good super-frame is cut into %d frames (got %u)", SEGMENTS, frames);
  for (uint32_t k = 0; k < SEGMENTS; k++) {
    uint32_t len = ring[k * SLOT + 2] | ring[k * SLOT + 3] << 8; // frames of the last call: all 10 fit 64 slots
    CHECK(len == HDR + MSS, "frame %u is %u bytes", k, len);
    CHECK(frame_ok(ring + k * SLOT + SLOT_DATA, len, good, HDR + k * MSS), "frame %u has its checksums and bytes", k);
  }
  for (uint32_t tail = 1; tail <= 9; tail++) { // last segments of odd and even lengths
    uint32_t length = HDR + 2 * MSS + tail;
    uint8_t *f = malloc(length);
    good_frame(f, length);
    CHECK(cut(f, length, &vnet, &frames) && frames == 3, "a super-frame ending in %u bytes is cut into 3", tail);
    for (uint32_t k = 0; k < 3; k++)
      CHECK(frame_ok(ring + k * SLOT + SLOT_DATA, ring[k * SLOT + 2] | ring[k * SLOT + 3] << 8, f, HDR + k * MSS),
            "frame %u of one ending in %u bytes has its checksums and bytes", k, tail);
    free(f);
  }
  for (uint32_t length = 0; length <= full; length++) {
    int started = cut(good, length, &vnet, &frames);
    CHECK(started == (length >= HDR), "a prefix of %u bytes is %s", length, started ? "cut" : "refused");
  }
  struct { const char *what; uint32_t at; uint8_t value; } spoiled[] = {
    { "an ethertype that is not IPv4", 12, 0x86 },
    { "IP version 6", 14, 0x65 },
    { "an IP header of 16 bytes", 14, 0x44 },
    { "an IP header longer than the frame", 14, 0x4f },
    { "UDP", 14 + 9, 17 },
    { "a TCP header of 16 bytes", 34 + 12, 4 << 4 },
    { "a TCP header of 0 bytes", 34 + 12, 0 },
  };
  for (size_t i = 0; i < sizeof spoiled / sizeof spoiled[0]; i++) {
    uint8_t *f = malloc(full);
    memcpy(f, good, full);
    f[spoiled[i].at] = spoiled[i].value;
    CHECK(!cut(f, full, &vnet, &frames), "%s is refused", spoiled[i].what);
    CHECK(!cut(f, HDR - 1, &vnet, &frames), "%s, cut short, is refused", spoiled[i].what);
    free(f);
  }
  struct { const char *what; uint8_t gso_type; uint16_t gso_size; } headers[] = {
    { "gso_size 0", VIRTIO_NET_HDR_GSO_TCPV4, 0 },
    { "a segment larger than a slot", VIRTIO_NET_HDR_GSO_TCPV4, SLOT },
    { "UDP GSO", VIRTIO_NET_HDR_GSO_UDP, MSS },
    { "TCP over IPv6", VIRTIO_NET_HDR_GSO_TCPV6, MSS },
    { "no GSO at all", VIRTIO_NET_HDR_GSO_NONE, MSS },
  };
  for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++) {
    struct virtio_net_hdr bad = { .gso_type = headers[i].gso_type, .gso_size = headers[i].gso_size };
    CHECK(!cut(good, full, &bad, &frames), "%s is refused", headers[i].what);
  }
  struct virtio_net_hdr ecn = vnet;
  ecn.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
  good[34 + 13] |= 0x80; // CWR
  CHECK(cut(good, full, &ecn, &frames) && frames == SEGMENTS, "an ECN super-frame is cut");
  CHECK(ring[34 + 13 + SLOT_DATA] & 0x80 && !(ring[SLOT + 34 + 13 + SLOT_DATA] & 0x80), "CWR stays on the first frame only");
  printf("ok %d\n", checks);
  free(good);
  return 0;
}
