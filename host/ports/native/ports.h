// Shared between the native port files: what an open port is and what it counts.
// open.c makes descriptors, batch.c moves frames between them and the module's slot rings, split.c
// and merge.c cut and build 64 KB TCP super-frames on the way, addon.c is the N-API glue (handles,
// libuv readiness, JavaScript calls).
#ifndef NATPASS_PORTS_H
#define NATPASS_PORTS_H
#include <stddef.h>
#include <stdint.h>
#include <linux/virtio_net.h>

enum port_kind { KIND_TAP = 0, KIND_PACKET = 1 };

// Slot layout of the module's rings (SLOT_PORT, SLOT_LENGTH, SLOT_DATA, SLOT_REF): u16 port, u16 length,
// then the bytes. From host/layout.ts, the one description, as the boards read it (`make layout`).
#include "../../../board/common/layout.generated.h"

// Counted per port; the status output reads them. Doubles so JavaScript gets them as numbers.
struct port_stats {
  double rx_batches;   // read calls that returned at least one frame
  double rx_frames;
  double rx_full;      // batches that stopped because their share of the ring was full
  double tx_frames;
  double tx_drops;     // frames the kernel refused (queue full, interface down): lost as on a wire
  double kernel_drops; // AF_PACKET only: frames the kernel dropped before we read them
  double tx_merged;    // TCP super-frames sent (each carries several tx_frames, merge.c)
  double rx_split;     // TCP super-frames received and cut into frames (split.c)
};

#define SUPER_FRAME_MAX (14 + 65535) // an Ethernet header and the largest IPv4 packet

// A TCP super-frame being cut into frames (split.c), carried from one batch to the next if need be.
// frame points at its bytes: buf on a TAP, a receive buffer of rx_queue on an AF_PACKET port.
struct split_state {
  int active;
  uint32_t length, hdr_len, ip_len, mss, next, index;
  const uint8_t *frame;
  uint8_t buf[SUPER_FRAME_MAX]; // TAP only
};

// AF_PACKET only: what one recvmmsg() took, each frame (up to a 64 KB super-frame) in its own buffer,
// handed to the slots (copied, or cut by split.c) over as many batches as it takes. The buffers are
// one anonymous mapping: a page is resident only once a frame reached it (a 64-byte flood touches one
// page per buffer, a TCP super-frame up to 17).
#define RX_QUEUE 128
#define RX_STRIDE (17 * 4096) // SUPER_FRAME_MAX rounded up to pages
struct rx_queue {
  uint8_t *buf; // RX_QUEUE x RX_STRIDE
  struct virtio_net_hdr vnet[RX_QUEUE];
  uint32_t length[RX_QUEUE]; // each frame's true length (MSG_TRUNC), 0 when even its header was cut short
  uint32_t head, count;      // frames head..count-1 wait for slots
};

struct port_io {
  int fd;
  enum port_kind kind;
  struct port_stats stats;
  struct split_state split;
  struct rx_queue rxq; // AF_PACKET only
};

// open.c: each returns a non-blocking descriptor, or -1 with a one-line reason in err.
int open_tap(const char *name, char *err, size_t errlen);
int open_packet(const char *name, char *err, size_t errlen);

// batch.c
uint32_t read_batch(struct port_io *p, uint8_t *ring, uint32_t slot_bytes, uint16_t port_no, uint32_t max);
void write_batch(struct port_io *ports[2], const uint8_t *mem, size_t mem_len, uint32_t out_ring,
                 uint32_t slot_bytes, uint32_t count);
void refresh_kernel_drops(struct port_io *p);
int port_buffers(struct port_io *p);   // 0 when the AF_PACKET receive buffers cannot be mapped
void release_port(struct port_io *p); // unmaps them (the descriptor is closed by the caller)

// split.c: split_start takes the super-frame at frame (0: not one we cut; frame stays untouched until
// the cut ends); split_next fills slots.
int split_start(struct split_state *s, const struct virtio_net_hdr *vnet, const uint8_t *frame, uint32_t length, uint32_t slot_data);
uint32_t split_next(struct split_state *s, uint8_t *ring, uint32_t slot_bytes, uint16_t port_no, uint32_t max);

// merge.c. merge_tcp: how many of frames[0..count) merge into one TCP super-frame (0: none, send frames[0] alone);
// the super-frame goes to out (64 KB + a header's room) with its virtio-net header.
#define MERGE_MAX 64 // frames looked at per merge; 64 x 1,460 bytes passes 64 KB
int tcp_segment(const uint8_t *frame, uint32_t length); // may take part in a merge
void finish_checksum(uint8_t *frame, uint32_t length, uint32_t start, uint32_t offset); // RFC 1071, where a NEEDS_CSUM header says
uint32_t merge_tcp(const uint8_t *const frames[], const uint32_t lengths[], uint32_t count,
                   uint8_t *out, struct virtio_net_hdr *vnet, uint32_t *out_len);
#endif
