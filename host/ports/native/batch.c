// Moves frames in batches between a port's descriptor and the module's slot rings, with no
// JavaScript per frame. Reading fills consecutive input slots until EAGAIN or the share of the ring
// given is full: a TAP needs one read() per frame (the tun driver hands out one frame per call; readv
// only scatters that one frame), an AF_PACKET socket takes up to RX_QUEUE frames in one recvmmsg().
// On both, a TCP super-frame (the sender's TSO/GSO, a NIC's GRO) is cut into frames by split.c.
// Writing walks the output ring once: a run of TCP segments of one flow leaves as one super-frame
// (merge.c, one writev), other frames with one write() each on a TAP and one sendmmsg() per batch on an
// AF_PACKET port. A frame the kernel refuses is counted as a drop, never retried. Frames carry a
// virtio-net header both ways on both kinds (IFF_VNET_HDR, PACKET_VNET_HDR).
#define _GNU_SOURCE
#include "ports.h"
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_IP_FRAME (14 + 65535)
#define MAX_BATCH 1024 // config.ts's limits.batch and limits.outSlots stay within 4096; chunks of this

static inline void put16(uint8_t *at, uint16_t v) { at[0] = (uint8_t)v; at[1] = (uint8_t)(v >> 8); }
static inline uint16_t get16(const uint8_t *at) { return (uint16_t)(at[0] | at[1] << 8); }
static inline uint32_t get32(const uint8_t *at) { return (uint32_t)at[0] | (uint32_t)at[1] << 8 | (uint32_t)at[2] << 16 | (uint32_t)at[3] << 24; }

// A frame longer than the slot keeps its true length (capped at 0xffff) so the module counts it.
static inline void fill_slot(uint8_t *slot, uint16_t port_no, size_t length) {
  put16(slot + SLOT_PORT, port_no);
  put16(slot + SLOT_LENGTH, (uint16_t)(length > 0xffff ? 0xffff : length));
}

static uint32_t read_tap(struct port_io *p, uint8_t *ring, uint32_t slot_bytes, uint16_t port_no, uint32_t max) {
  uint32_t n = 0, slot_data = slot_bytes - SLOT_DATA;
  struct virtio_net_hdr vnet;
  struct split_state *split = &p->split;
  while (n < max) {
    if (split->active) { n += split_next(split, ring + (size_t)n * slot_bytes, slot_bytes, port_no, max - n); continue; }
    uint8_t *slot = ring + (size_t)n * slot_bytes;
    // A super-frame's first slot_data bytes land in the slot, the rest in split.buf after room for them.
    struct iovec iov[3] = { { &vnet, sizeof vnet }, { slot + SLOT_DATA, slot_data }, { split->buf + slot_data, sizeof split->buf - slot_data } };
    ssize_t r = readv(p->fd, iov, 3);
    if (r < 0 && errno == EINTR) continue;
    if (r <= (ssize_t)sizeof vnet) break; // EAGAIN: drained; EIO: the interface is down, frames resume when it is up
    uint32_t length = (uint32_t)r - sizeof vnet;
    if (vnet.gso_type != VIRTIO_NET_HDR_GSO_NONE || length > slot_data) {
      memcpy(split->buf, slot + SLOT_DATA, slot_data);
      if (split_start(split, &vnet, split->buf, length, slot_data)) { p->stats.rx_split++; continue; }
      // Not one we cut: the slot keeps its true length and the module counts an oversize frame.
    } else if (vnet.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
      finish_checksum(slot + SLOT_DATA, length, vnet.csum_start, vnet.csum_offset);
    }
    fill_slot(slot, port_no, length);
    n++;
  }
  return n;
}

int port_buffers(struct port_io *p) {
  if (p->kind != KIND_PACKET) return 1;
  void *m = mmap(NULL, (size_t)RX_QUEUE * RX_STRIDE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) return 0;
  p->rxq.buf = m;
  return 1;
}

void release_port(struct port_io *p) {
  if (p->rxq.buf) munmap(p->rxq.buf, (size_t)RX_QUEUE * RX_STRIDE);
  p->rxq.buf = NULL;
  p->split.active = 0;
}

/** One recvmmsg() of up to want frames into the receive buffers; how many came. */
static uint32_t receive_packets(struct port_io *p, uint32_t want) {
  static struct mmsghdr msgs[RX_QUEUE];
  static struct iovec iov[RX_QUEUE][2];
  struct rx_queue *q = &p->rxq;
  if (want > RX_QUEUE) want = RX_QUEUE;
  memset(msgs, 0, sizeof msgs[0] * want);
  for (uint32_t k = 0; k < want; k++) {
    iov[k][0] = (struct iovec){ &q->vnet[k], sizeof q->vnet[k] };
    iov[k][1] = (struct iovec){ q->buf + (size_t)k * RX_STRIDE, SUPER_FRAME_MAX };
    msgs[k].msg_hdr.msg_iov = iov[k];
    msgs[k].msg_hdr.msg_iovlen = 2;
  }
  int got;
  do got = recvmmsg(p->fd, msgs, want, MSG_DONTWAIT | MSG_TRUNC, NULL); while (got < 0 && errno == EINTR);
  if (got <= 0) return 0;
  for (int k = 0; k < got; k++) {
    // MSG_TRUNC makes msg_len the frame's true length, so an oversize frame reaches the module's count.
    // A frame shorter than its virtio-net header (the kernel never sends one) becomes a runt.
    q->length[k] = msgs[k].msg_len > sizeof q->vnet[k] ? msgs[k].msg_len - sizeof q->vnet[k] : 0;
    if (q->length[k] == 0) memset(&q->vnet[k], 0, sizeof q->vnet[k]);
  }
  q->head = 0;
  q->count = (uint32_t)got;
  return (uint32_t)got;
}

// Frames wait in the receive buffers until slots take them: a small one is copied into its slot (one
// memcpy of its length; the syscalls and the kernel's work cost a hundred times more), a TCP super-frame
// larger than a slot is cut by split.c straight from its buffer. A new recvmmsg() runs only once every
// frame of the last one has gone, so the buffer of a super-frame being cut stays untouched.
static uint32_t read_packet(struct port_io *p, uint8_t *ring, uint32_t slot_bytes, uint16_t port_no, uint32_t max) {
  struct rx_queue *q = &p->rxq;
  struct split_state *split = &p->split;
  uint32_t n = 0, slot_data = slot_bytes - SLOT_DATA;
  while (n < max) {
    if (split->active) { n += split_next(split, ring + (size_t)n * slot_bytes, slot_bytes, port_no, max - n); continue; }
    if (q->head == q->count && receive_packets(p, max - n) == 0) break;
    uint32_t k = q->head++, length = q->length[k];
    const uint8_t *frame = q->buf + (size_t)k * RX_STRIDE;
    const struct virtio_net_hdr *vnet = &q->vnet[k];
    // A frame longer than its buffer (past 64 KB) was cut short by the kernel: never split, it is oversize.
    if (length > slot_data && length <= SUPER_FRAME_MAX && split_start(split, vnet, frame, length, slot_data)) {
      p->stats.rx_split++;
      continue;
    }
    // Anything else larger than a slot (not TCP over IPv4, gso_size 0, headers past the frame) keeps its
    // true length and the module counts it (drop_oversize), as a frame too long for the wire.
    uint8_t *slot = ring + (size_t)n * slot_bytes;
    memcpy(slot + SLOT_DATA, frame, length < slot_data ? length : slot_data);
    // A sender on this host that left its checksum to the offload (veth, tx checksumming on): finish it.
    if (vnet->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM && length <= slot_data)
      finish_checksum(slot + SLOT_DATA, length, vnet->csum_start, vnet->csum_offset);
    fill_slot(slot, port_no, length);
    n++;
  }
  return n;
}

uint32_t read_batch(struct port_io *p, uint8_t *ring, uint32_t slot_bytes, uint16_t port_no, uint32_t max) {
  uint32_t n = p->kind == KIND_TAP ? read_tap(p, ring, slot_bytes, port_no, max) : read_packet(p, ring, slot_bytes, port_no, max);
  if (n > 0) {
    p->stats.rx_batches++;
    p->stats.rx_frames += n;
    if (n == max) p->stats.rx_full++;
  }
  return n;
}

static void send_one(struct port_io *p, const struct virtio_net_hdr *vnet, const uint8_t *frame, uint32_t length, uint32_t frames) {
  struct iovec iov[2] = { { (void *)vnet, sizeof *vnet }, { (void *)frame, length } };
  ssize_t w;
  do w = writev(p->fd, iov, 2); while (w < 0 && errno == EINTR);
  if (w == (ssize_t)(length + sizeof *vnet)) p->stats.tx_frames += frames;
  else p->stats.tx_drops += frames;
}

/** The frame in output slot k, or NULL when its offset lies outside memory (the module never does that). */
static const uint8_t *out_frame(const uint8_t *mem, size_t mem_len, uint32_t out_ring, uint32_t slot_bytes, uint32_t k,
                                uint16_t *port_no, uint32_t *length) {
  const uint8_t *slot = mem + out_ring + (size_t)k * slot_bytes;
  uint16_t len = get16(slot + SLOT_LENGTH);
  size_t at = len & SLOT_REF ? get32(slot + SLOT_DATA) : (size_t)(slot + SLOT_DATA - mem);
  *port_no = get16(slot + SLOT_PORT) & 1;
  *length = len & ~SLOT_REF;
  return at + *length <= mem_len ? mem + at : NULL;
}

/** Merges output slot first with the TCP segments after it on the same port into super (merge.c);
 *  returns how many slots the super-frame holds, or 0 when slot first leaves alone. */
static uint32_t try_merge(uint16_t port_no, const uint8_t *frame, uint32_t length, const uint8_t *mem, size_t mem_len,
                          uint32_t out_ring, uint32_t slot_bytes, uint32_t first, uint32_t count,
                          uint8_t *super, struct virtio_net_hdr *vnet, uint32_t *super_len) {
  if (!tcp_segment(frame, length)) return 0; // most frames stop here, before any look ahead
  const uint8_t *frames[MERGE_MAX] = { frame };
  uint32_t lengths[MERGE_MAX] = { length }, n = 1;
  while (n < MERGE_MAX && first + n < count) {
    uint16_t port;
    const uint8_t *f = out_frame(mem, mem_len, out_ring, slot_bytes, first + n, &port, &lengths[n]);
    if (!f || port != port_no || !tcp_segment(f, lengths[n])) break;
    frames[n++] = f;
  }
  uint32_t merged = merge_tcp(frames, lengths, n, super, vnet, super_len);
  return merged > 1 ? merged : 0;
}

// One sendmmsg() per run of frames; a frame the kernel refuses is skipped and counted.
static void send_packet_run(struct port_io *p, struct mmsghdr *msgs, uint32_t count) {
  uint32_t done = 0;
  while (done < count) {
    int sent = sendmmsg(p->fd, msgs + done, count - done, MSG_DONTWAIT);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) { p->stats.tx_drops++; done++; continue; }
    p->stats.tx_frames += sent;
    done += (uint32_t)sent;
  }
}

void write_batch(struct port_io *ports[2], const uint8_t *mem, size_t mem_len, uint32_t out_ring,
                 uint32_t slot_bytes, uint32_t count) {
  static struct mmsghdr msgs[2][MAX_BATCH];
  static struct iovec iov[2][MAX_BATCH][2];
  static uint8_t super[MAX_IP_FRAME];
  static const struct virtio_net_hdr plain; // no offload asked: the frame is sent as it is
  uint32_t queued[2] = {0, 0};
  for (uint32_t k = 0; k < count; k++) {
    uint16_t port_no;
    uint32_t length, super_len;
    const uint8_t *frame = out_frame(mem, mem_len, out_ring, slot_bytes, k, &port_no, &length);
    if (!frame) continue; // a bad offset is not sent
    struct port_io *p = ports[port_no];
    struct virtio_net_hdr vnet;
    uint32_t merged = try_merge(port_no, frame, length, mem, mem_len, out_ring, slot_bytes, k, count, super, &vnet, &super_len);
    if (merged) {
      // Frames queued before it leave first, so the port keeps the ring's order.
      if (queued[port_no]) { send_packet_run(p, msgs[port_no], queued[port_no]); queued[port_no] = 0; }
      send_one(p, &vnet, super, super_len, merged);
      p->stats.tx_merged++;
      k += merged - 1;
      continue;
    }
    if (p->kind == KIND_TAP) { send_one(p, &plain, frame, length, 1); continue; }
    uint32_t q = queued[port_no]++;
    iov[port_no][q][0] = (struct iovec){ .iov_base = (void *)&plain, .iov_len = sizeof plain };
    iov[port_no][q][1] = (struct iovec){ .iov_base = (void *)frame, .iov_len = length };
    memset(&msgs[port_no][q], 0, sizeof msgs[0][0]);
    msgs[port_no][q].msg_hdr.msg_iov = iov[port_no][q];
    msgs[port_no][q].msg_hdr.msg_iovlen = 2;
    if (queued[port_no] == MAX_BATCH) { send_packet_run(p, msgs[port_no], MAX_BATCH); queued[port_no] = 0; }
  }
  for (int i = 0; i < 2; i++) if (queued[i]) send_packet_run(ports[i], msgs[i], queued[i]);
}

void refresh_kernel_drops(struct port_io *p) {
  if (p->kind != KIND_PACKET) return;
  struct tpacket_stats st;
  socklen_t len = sizeof st;
  // The kernel resets these counts on every read, so they are added up here.
  if (getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) p->stats.kernel_drops += st.tp_drops;
}
