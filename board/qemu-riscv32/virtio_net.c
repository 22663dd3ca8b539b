// virtio-net over virtio-mmio (virtio 1.x, section 4.2 of the spec), polled. The driver negotiates
// VERSION_1 and MAC only, so every frame carries the 12-byte header, all zero on transmit (no offloads).
// Receive buffers are posted once and handed back after each frame is copied out; transmit copies the
// frame (behind its header) into the transmit arena, so the caller's memory (the module's ring) is free
// at once. QEMU transmits a queue's frames from its main loop, later than the notify: with one full-
// sized buffer per frame the driver waited for it (40,812 instructions per frame under -icount instead
// of 6,501), while an arena of 4 KiB holds dozens of small frames and two full-sized ones in flight.
#include <string.h>
#include "virtio_net.h"

#define REG(n, off) (*(volatile uint32_t *)((n) + (off)))
#define MAGIC 0x000
#define VERSION 0x004
#define DEVICE_ID 0x008
#define DEVICE_FEATURES 0x010
#define DEVICE_FEATURES_SEL 0x014
#define DRIVER_FEATURES 0x020
#define DRIVER_FEATURES_SEL 0x024
#define QUEUE_SEL 0x030
#define QUEUE_NUM_MAX 0x034
#define QUEUE_NUM 0x038
#define QUEUE_READY 0x044
#define QUEUE_NOTIFY 0x050
#define STATUS 0x070
#define QUEUE_DESC 0x080
#define QUEUE_DRIVER 0x090
#define QUEUE_DEVICE 0x0a0
#define CONFIG 0x100

#define S_ACKNOWLEDGE 1
#define S_DRIVER 2
#define S_DRIVER_OK 4
#define S_FEATURES_OK 8
#define F_MAC (1u << 5)
#define F_VERSION_1_HIGH (1u << 0) // feature bit 32
#define DESC_F_WRITE 2
#define RXQ 0
#define TXQ 1
#define SPIN_LIMIT 1000000 // polls of a full transmit queue before the frame is given up

int vnet_probe(uintptr_t base, uint8_t mac[6]) {
  if (REG(base, MAGIC) != 0x74726976 || REG(base, VERSION) != 2 || REG(base, DEVICE_ID) != 1) return 0;
  for (int i = 0; i < 6; i++) mac[i] = *(volatile uint8_t *)(base + CONFIG + i);
  return 1;
}

static int queue_init(uintptr_t base, int q, unsigned num, const void *desc, const void *avail, const void *used) {
  REG(base, QUEUE_SEL) = q;
  if (REG(base, QUEUE_READY) != 0 || REG(base, QUEUE_NUM_MAX) < num) return -1;
  REG(base, QUEUE_NUM) = num;
  REG(base, QUEUE_DESC) = (uint32_t)(uintptr_t)desc;
  REG(base, QUEUE_DESC + 4) = 0;
  REG(base, QUEUE_DRIVER) = (uint32_t)(uintptr_t)avail;
  REG(base, QUEUE_DRIVER + 4) = 0;
  REG(base, QUEUE_DEVICE) = (uint32_t)(uintptr_t)used;
  REG(base, QUEUE_DEVICE + 4) = 0;
  REG(base, QUEUE_READY) = 1;
  return 0;
}

int vnet_init(vnet *n, uintptr_t base) {
  memset(n, 0, sizeof *n);
  n->base = base;
  if (!vnet_probe(base, n->mac)) return -1;
  REG(base, STATUS) = 0; // reset
  REG(base, STATUS) = S_ACKNOWLEDGE;
  REG(base, STATUS) = S_ACKNOWLEDGE | S_DRIVER;
  REG(base, DEVICE_FEATURES_SEL) = 0;
  uint32_t low = REG(base, DEVICE_FEATURES) & F_MAC;
  REG(base, DEVICE_FEATURES_SEL) = 1;
  if (!(REG(base, DEVICE_FEATURES) & F_VERSION_1_HIGH)) return -1;
  REG(base, DRIVER_FEATURES_SEL) = 0;
  REG(base, DRIVER_FEATURES) = low;
  REG(base, DRIVER_FEATURES_SEL) = 1;
  REG(base, DRIVER_FEATURES) = F_VERSION_1_HIGH;
  REG(base, STATUS) = S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK;
  if (!(REG(base, STATUS) & S_FEATURES_OK)) return -1;
  for (uint16_t i = 0; i < VNET_RX_BUFS; i++) {
    n->rxq.desc[i] = (struct vq_desc){ (uint32_t)(uintptr_t)n->rx_buf[i], VNET_BUF, DESC_F_WRITE, 0 };
    n->rxq.avail.ring[i] = i;
  }
  n->rxq.avail.idx = VNET_RX_BUFS;
  n->tx_free = VNET_TX_BUFS;
  if (queue_init(base, RXQ, VNET_RX_BUFS, n->rxq.desc, &n->rxq.avail, &n->rxq.used)) return -1;
  if (queue_init(base, TXQ, VNET_TX_BUFS, n->txq.desc, &n->txq.avail, &n->txq.used)) return -1;
  REG(base, STATUS) = S_ACKNOWLEDGE | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK;
  __sync_synchronize();
  REG(base, QUEUE_NOTIFY) = RXQ;
  return 0;
}

size_t vnet_receive(vnet *n, uint8_t *buf, size_t cap) {
  volatile uint16_t *used_idx = &n->rxq.used.idx;
  if (*used_idx == n->rx_seen) return 0;
  __sync_synchronize(); // the used entry and the buffer after the index that announced them
  struct vq_used_elem e = n->rxq.used.ring[n->rx_seen % VNET_RX_BUFS];
  n->rx_seen++;
  size_t len = e.len >= VNET_HDR ? e.len - VNET_HDR : 0;
  int keep = e.id < VNET_RX_BUFS && len >= 14 && len <= cap;
  if (keep) memcpy(buf, n->rx_buf[e.id] + VNET_HDR, len);
  else n->rx_dropped++;
  if (e.id < VNET_RX_BUFS) { // hand the buffer back
    n->rxq.avail.ring[n->rxq.avail.idx % VNET_RX_BUFS] = (uint16_t)e.id;
    __sync_synchronize();
    n->rxq.avail.idx++;
    __sync_synchronize();
    REG(n->base, QUEUE_NOTIFY) = RXQ;
  }
  return keep ? len : 0;
}

/** Takes back the descriptors the device has finished with, and their room in the arena. QEMU
 *  completes a queue's buffers in the order they were made available, so the oldest goes first. */
static void reap(vnet *n) {
  volatile uint16_t *used_idx = &n->txq.used.idx;
  while (*used_idx != n->tx_seen) { n->tx_seen++; n->tx_free++; }
  if (n->tx_free == VNET_TX_BUFS) n->tx_head = n->tx_tail = 0;
  else n->tx_head = n->tx_start[n->tx_seen % VNET_TX_BUFS];
}

/** Where a buffer of `size` bytes fits in the arena after the frames in flight, or -1. */
static int arena_place(vnet *n, uint32_t size) {
  if (n->tx_free == 0) return -1;
  if (n->tx_free == VNET_TX_BUFS) return 0; // empty (reap reset it)
  if (n->tx_tail > n->tx_head) { // in flight: [head, tail); free: [tail, end) and [0, head)
    if (n->tx_tail + size <= VNET_TX_ARENA) return n->tx_tail;
    return size < n->tx_head ? 0 : -1;
  }
  return n->tx_tail + size < n->tx_head ? n->tx_tail : -1; // wrapped: free is [tail, head)
}

int vnet_send(vnet *n, const uint8_t *frame, size_t len) {
  if (len + VNET_HDR > VNET_BUF) { n->tx_dropped++; return -1; }
  uint32_t size = (uint32_t)(len + VNET_HDR + 3) & ~3u;
  int at;
  for (int i = 0; reap(n), (at = arena_place(n, size)) < 0; i++)
    if (i == SPIN_LIMIT) { n->tx_dropped++; return -1; }
  __sync_synchronize();
  uint16_t slot = n->txq.avail.idx % VNET_TX_BUFS; // descriptors are used in order too
  uint8_t *buf = n->tx_arena + at;
  memset(buf, 0, VNET_HDR);
  memcpy(buf + VNET_HDR, frame, len);
  n->txq.desc[slot] = (struct vq_desc){ (uint32_t)(uintptr_t)buf, (uint32_t)(len + VNET_HDR), 0, 0 };
  n->tx_start[slot] = (uint16_t)at;
  n->tx_tail = (uint16_t)(at + size);
  n->txq.avail.ring[slot] = slot;
  __sync_synchronize();
  n->txq.avail.idx++;
  n->tx_free--;
  __sync_synchronize();
  REG(n->base, QUEUE_NOTIFY) = TXQ;
  return 0;
}
