// A virtio-net device on a virtio-mmio transport (virtio 1.x, "version 2" registers), polled: one
// receive and one transmit split virtqueue, with buffers the driver owns (frames are copied in and out).
// Transmit buffers are carved in order from one arena, as the device completes them in order.
#pragma once
#include <stdint.h>
#include <stddef.h>

#define VNET_RX_BUFS 4 // the device holds frames for us in these; QEMU queues the rest until one frees
#define VNET_TX_BUFS 16   // frames in flight to the device, each in the transmit arena:
#define VNET_TX_ARENA 4096 // QEMU sends them when its main loop runs, so many small ones must fit
#define VNET_HDR 12    // struct virtio_net_hdr with num_buffers, which VIRTIO_F_VERSION_1 always uses
#define VNET_BUF (VNET_HDR + 1536)

struct vq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct vq_used_elem { uint32_t id, len; };

typedef struct {
  struct vq_desc desc[VNET_RX_BUFS];
  struct { uint16_t flags, idx, ring[VNET_RX_BUFS], used_event; } avail;
  struct { uint16_t flags, idx; struct vq_used_elem ring[VNET_RX_BUFS]; uint16_t avail_event; } used __attribute__((aligned(4)));
} vnet_rxq;

typedef struct {
  struct vq_desc desc[VNET_TX_BUFS];
  struct { uint16_t flags, idx, ring[VNET_TX_BUFS], used_event; } avail;
  struct { uint16_t flags, idx; struct vq_used_elem ring[VNET_TX_BUFS]; uint16_t avail_event; } used __attribute__((aligned(4)));
} vnet_txq;

typedef struct {
  uintptr_t base;  // the virtio-mmio transport
  uint8_t mac[6];
  vnet_rxq rxq __attribute__((aligned(16)));
  vnet_txq txq __attribute__((aligned(16)));
  uint16_t rx_seen, tx_seen, tx_free;
  uint16_t tx_head, tx_tail;            // the arena's oldest frame in flight, and where the next goes
  uint16_t tx_start[VNET_TX_BUFS];      // each descriptor's place in the arena
  uint32_t rx_dropped, tx_dropped;
  uint8_t rx_buf[VNET_RX_BUFS][VNET_BUF] __attribute__((aligned(4)));
  uint8_t tx_arena[VNET_TX_ARENA] __attribute__((aligned(4)));
} vnet;

/** Whether a virtio-net device sits behind the transport at base; reads its MAC into *mac. */
int vnet_probe(uintptr_t base, uint8_t mac[6]);
/** Resets and starts the device; 0 on success, -1 when it refuses our features or queue size. */
int vnet_init(vnet *n, uintptr_t base);
/** Copies one received frame into buf; returns its length, or 0 when none waits (or it was dropped). */
size_t vnet_receive(vnet *n, uint8_t *buf, size_t cap);
/** Queues one frame for transmission; 0 on success, -1 when it is too long or the queue stays full. */
int vnet_send(vnet *n, const uint8_t *frame, size_t len);
