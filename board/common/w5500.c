// W5500 MACRAW driver, shared by the boards that carry W5500s (rp2040-w5500, esp32c3-w5500). Every
// access is one SPI frame in variable-length data mode: a 16-bit offset, a control byte (block select,
// read/write), then the data; the board frames it with a GPIO chip select (w5500.h), so a frame can be
// longer than the SPI controller's FIFO or buffer. The RX buffer holds [u16 length incl. itself][frame]
// records; pointers are 16-bit and the chip wraps them inside its buffers itself.
#include "w5500.h"
// The board's SPI, as static functions in its own directory's w5500_port.h, so that they are inlined
// here: w5500_select and w5500_deselect (a GPIO chip select, held across several transfers: one W5500
// SPI frame), and w5500_transfer (shift n bytes out, tx or zeros, and in, rx or discarded).
#include "w5500_port.h"
#include <string.h>

// A port without DMA gives no w5500_dma_start: the staged driver's transfers then run at once.
#ifndef W5500_DMA
static void w5500_dma_start(w5500 *c, const uint8_t *tx, uint8_t *rx, size_t n) { w5500_transfer(c, tx, rx, n); }
static int w5500_dma_busy(w5500 *c) { (void)c; return 0; }
#endif

#define BLOCK_COMMON 0
#define BLOCK_S0_REG 1
#define BLOCK_S0_TX 2
#define BLOCK_S0_RX 3
#define WRITE 0x04

#define MR 0x0000
#define SIMR 0x0018
#define VERSIONR 0x0039
#define Sn_MR 0x0000
#define Sn_CR 0x0001
#define Sn_IR 0x0002
#define Sn_SR 0x0003
#define Sn_RXBUF_SIZE 0x001e
#define Sn_TXBUF_SIZE 0x001f
#define Sn_TX_FSR 0x0020
#define Sn_TX_WR 0x0024
#define Sn_RX_RSR 0x0026
#define Sn_RX_RD 0x0028
#define Sn_IMR 0x002c
#define CR_OPEN 0x01
#define CR_SEND 0x20
#define CR_RECV 0x40
#define IR_SEND_OK 0x10
#define IR_RECV 0x04
#define MR_MACRAW 0x04
#define SR_MACRAW 0x42
#define SPIN_LIMIT 100000 // polls before a command or a transmission is given up as lost

/** Selects the chip and sends an SPI frame's address phase; the data phase follows until deselect. */
static void begin(w5500 *c, uint16_t offset, uint8_t control) {
  uint8_t head[3] = { (uint8_t)(offset >> 8), (uint8_t)offset, control };
  w5500_select(c);
  w5500_transfer(c, head, 0, 3);
}

static void end(w5500 *c) { w5500_deselect(c); }

static void access(w5500 *c, uint16_t offset, uint8_t control, const uint8_t *tx, uint8_t *rx, size_t n) {
  if (n <= 5) {
    // A register access fits the SPI FIFOs (8 bytes) with its address phase: one transfer, so the bus
    // does not stop between address and data while the FIFO empties (a 64-byte frame's forwarding takes
    // about four such accesses).
    uint8_t b[8]; // filled as far as used: an initialiser zeroed the rest by a memset call
    b[0] = (uint8_t)(offset >> 8), b[1] = (uint8_t)offset, b[2] = control;
    for (size_t i = 0; i < n; i++) b[3 + i] = tx ? tx[i] : 0;
    w5500_select(c);
    w5500_transfer(c, b, b, 3 + n); // each byte is sent before the byte received in its place is stored
    end(c);
    if (rx) for (size_t i = 0; i < n; i++) rx[i] = b[3 + i];
    return;
  }
  begin(c, offset, control);
  w5500_transfer(c, tx, rx, n);
  end(c);
}

static void read_bytes(w5500 *c, uint8_t block, uint16_t offset, uint8_t *buf, size_t n) { access(c, offset, block << 3, 0, buf, n); }
static void write_bytes(w5500 *c, uint8_t block, uint16_t offset, const uint8_t *buf, size_t n) { access(c, offset, (block << 3) | WRITE, buf, 0, n); }
static uint8_t read8(w5500 *c, uint8_t block, uint16_t offset) { uint8_t v; read_bytes(c, block, offset, &v, 1); return v; }
static void write8(w5500 *c, uint8_t block, uint16_t offset, uint8_t v) { write_bytes(c, block, offset, &v, 1); }

static void write16(w5500 *c, uint8_t block, uint16_t offset, uint16_t v) {
  uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
  write_bytes(c, block, offset, b, 2);
}

static int command(w5500 *c, uint8_t cmd) {
  write8(c, BLOCK_S0_REG, Sn_CR, cmd);
  for (int i = 0; i < SPIN_LIMIT; i++) if (read8(c, BLOCK_S0_REG, Sn_CR) == 0) return 0;
  return -1;
}

int w5500_init(w5500 *c) {
  write8(c, BLOCK_COMMON, MR, 0x80); // software reset (the hardware reset line was pulsed by the board)
  for (int i = 0; i < SPIN_LIMIT && (read8(c, BLOCK_COMMON, MR) & 0x80); i++) {}
  if (read8(c, BLOCK_COMMON, VERSIONR) != 0x04) return -1;
  for (uint8_t s = 0; s < 8; s++) { // all 16 KiB of each buffer to socket 0
    write8(c, (uint8_t)(s * 4 + 1), Sn_RXBUF_SIZE, s == 0 ? 16 : 0);
    write8(c, (uint8_t)(s * 4 + 1), Sn_TXBUF_SIZE, s == 0 ? 16 : 0);
  }
  // MACRAW without the MAC filter: the module sees every frame and drops what is not its own.
  write8(c, BLOCK_S0_REG, Sn_MR, MR_MACRAW);
  if (command(c, CR_OPEN) != 0) return -1;
  // SEND_OK alone (a reset enables every socket interrupt): the datasheet sets a bit of Sn_IR only where
  // Sn_IMR enables it, so a board without INTn, which reads SEND_OK over SPI, needs it enabled too. INTn,
  // low while any bit of Sn_IR is set, only where the board wires it (SIMR): see send_idle.
  write8(c, BLOCK_S0_REG, Sn_IMR, IR_SEND_OK);
  write8(c, BLOCK_COMMON, SIMR, c->intn_mask ? 1 : 0);
  return read8(c, BLOCK_S0_REG, Sn_SR) == SR_MACRAW ? 0 : -1;
}

// A packet costs few SPI frames, each with its own chip select and 3-byte address phase: adjacent
// registers are read together, and a record's length and its frame are one read.

size_t w5500_receive(w5500 *c, uint8_t *buf, size_t cap) {
  // RX_RSR and RX_RD in one read. RSR may change while it is read, but only upwards (the chip adds
  // frames; only RECV, ours, takes them away), so a torn value is nonzero only if RSR is: enough to know
  // a record waits. Its length comes from the record itself.
  uint8_t regs[4];
  read_bytes(c, BLOCK_S0_REG, Sn_RX_RSR, regs, 4);
  if ((regs[0] | regs[1]) == 0) return 0;
  uint16_t rd = (uint16_t)(regs[2] << 8 | regs[3]);
  // The record's 2-byte length (counting itself), then in the same SPI frame the frame if it is kept.
  uint8_t head[2];
  begin(c, rd, BLOCK_S0_RX << 3);
  w5500_transfer(c, 0, head, 2);
  uint16_t record = (uint16_t)(head[0] << 8 | head[1]);
  size_t len = record >= 2 ? record - 2u : 0;
  int keep = len >= 14 && len <= cap;
  if (keep) w5500_transfer(c, 0, buf, len);
  else c->rx_dropped++;
  end(c);
  write16(c, BLOCK_S0_REG, Sn_RX_RD, (uint16_t)(rd + (record >= 2 ? record : 2)));
  command(c, CR_RECV);
  return keep ? len : 0;
}

int w5500_send(w5500 *c, const uint8_t *frame, size_t len) {
  // One SEND at a time: the previous one must have completed (SEND_OK) before the next is issued.
  if (c->send_pending) {
    int i = 0;
    while (i < SPIN_LIMIT && !(read8(c, BLOCK_S0_REG, Sn_IR) & IR_SEND_OK)) i++;
    write8(c, BLOCK_S0_REG, Sn_IR, IR_SEND_OK);
    c->send_pending = 0;
  }
  // TX_FSR, TX_RD and TX_WR in one read. With no SEND in flight (waited for above) FSR stands still,
  // so one read is exact.
  uint8_t regs[6];
  read_bytes(c, BLOCK_S0_REG, Sn_TX_FSR, regs, 6);
  if ((size_t)(regs[0] << 8 | regs[1]) < len) { c->tx_dropped++; return -1; }
  uint16_t wr = (uint16_t)(regs[4] << 8 | regs[5]);
  write_bytes(c, BLOCK_S0_TX, wr, frame, len);
  write16(c, BLOCK_S0_REG, Sn_TX_WR, (uint16_t)(wr + len));
  if (command(c, CR_SEND) != 0) { c->tx_dropped++; return -1; }
  c->send_pending = 1;
  return 0;
}

// ---- The staged driver: SPI by DMA while the caller works (the RP2040 runs process() meanwhile) ----
// Per chip one transfer at a time is in flight on its bus: a read-ahead of the RX buffer into rx_stage
// or the write of tx_stage's frames into the TX buffer. settle() finishes it, and only then does the CPU
// use the bus again: it deselects the chip once the last byte has been clocked in, so nothing is torn.
// Received bytes count as taken (RX_RD moves past them) once they are in rx_stage; records are cut from
// the stream only as far as it has arrived. Frames too large for a stage go the direct, synchronous way
// after everything staged before them, so each port's order holds both ways.

enum { W5500_IDLE, W5500_RX, W5500_TX };
// A read-ahead starts once the unread stream is under this: enough records (4 of a 64-byte frame) to
// serve a batch while it runs; the rest of the stage is its room, so each pays its fixed cost (7 + 3 +
// 13 bytes of registers) for several frames.
#define READ_AHEAD_LOW 256

static uint16_t be16(const uint8_t *b) { return (uint16_t)(b[0] << 8 | b[1]); }

/** memcpy for frames between the stages and the module's rings, into a word-aligned destination (a
 *  ring slot's frame, or a stage frame after ones of whole words) by words: loaded as words, or as
 *  halfword pairs when the source is only halfword-aligned (a record's frame follows its 2-byte length);
 *  unrolled by four. newlib-nano's memcpy went byte by byte unless both sides were word-aligned (8 % of
 *  the cycles per frame). Other alignments by halfwords or bytes. */
typedef uint32_t __attribute__((may_alias)) w5500_u32;
typedef uint16_t __attribute__((may_alias)) w5500_u16;
static void copy(uint8_t *dst, const uint8_t *src, size_t n) {
  uintptr_t d = (uintptr_t)dst, s = (uintptr_t)src;
  if ((d & 3) == 0 && (s & 3) == 0) {
    w5500_u32 *o = (w5500_u32 *)dst;
    const w5500_u32 *i = (const w5500_u32 *)src;
    for (; n >= 16; n -= 16, o += 4, i += 4) { uint32_t a = i[0], b = i[1], c = i[2], e = i[3]; o[0] = a; o[1] = b; o[2] = c; o[3] = e; }
    for (; n >= 4; n -= 4) *o++ = *i++;
    dst = (uint8_t *)o, src = (const uint8_t *)i;
  } else if ((d & 3) == 0 && (s & 1) == 0) {
    w5500_u32 *o = (w5500_u32 *)dst;
    const w5500_u16 *i = (const w5500_u16 *)src;
    for (; n >= 16; n -= 16, o += 4, i += 8) {
      o[0] = i[0] | (uint32_t)i[1] << 16; o[1] = i[2] | (uint32_t)i[3] << 16;
      o[2] = i[4] | (uint32_t)i[5] << 16; o[3] = i[6] | (uint32_t)i[7] << 16;
    }
    for (; n >= 4; n -= 4, i += 2) *o++ = i[0] | (uint32_t)i[1] << 16;
    dst = (uint8_t *)o, src = (const uint8_t *)i;
  } else if (((d | s) & 1) == 0) {
    for (; n >= 2; n -= 2, dst += 2, src += 2) *(w5500_u16 *)dst = *(const w5500_u16 *)src;
  }
  while (n--) *dst++ = *src++;
}

// A frame staged for transmission is copied from the module's ring into the stage by DMA where the board
// gives a channel for it (w5500_copy_start, w5500_copy_wait): the CPU goes on to the next frame while the
// bytes move. One copy is in flight at a time, and what reads the stage or writes the ring waits for it:
// the next copy, the stage's write to the chip (tx_start), a received frame copied into the ring (cut),
// and the caller's process() (w5500_stage_flush). Received frames are copied by the CPU: copied by DMA
// as well, the loop reached the read-ahead at other moments and the AOT build lost 10 % (make bench:
// 20,634 / 32,108 frames/s under wasm3 / AOT both ways, 20,436 / 36,121 this way, 20,235 / 35,457 with
// no DMA copies). Elsewhere copy() does them all.
#ifdef W5500_DMA_COPY
static void copy_start(uint8_t *dst, const uint8_t *src, size_t n) {
  w5500_copy_wait();
  if (n) w5500_copy_start(dst, src, n);
}
static void copy_wait(void) { w5500_copy_wait(); }
#else
static void copy_start(uint8_t *dst, const uint8_t *src, size_t n) { copy(dst, src, n); }
static void copy_wait(void) {}
#endif

/** 1 when no SEND is on the wire: the last one's command taken (CR back to 0) and done (SEND_OK),
 *  read together as CR and IR are adjacent. Its SEND_OK stays set until the next SEND clears it.
 *  A board with a microsecond clock (w5500_micros) asks only once the frame can have left: before its
 *  time on a 100 Mbit/s wire the answer is known to be no, and each SPI frame asking cost a 64-byte
 *  frame's forwarding 760 cycles (two polls a frame of four frames SENT one after another). */
static int send_idle(w5500 *c) {
  if (!c->send_pending) return 1;
#ifdef W5500_MICROS
  if ((uint32_t)(w5500_micros() - c->send_at) < c->send_wire_us) return 0;
#endif
#ifdef W5500_INTN
  // Where INTn is wired, only SEND_OK drives it (w5500_init), and a SEND clears the SEND_OK before it
  // (pump): the pin is low once the last SEND has completed, which implies its command was taken. A
  // GPIO read instead of an SPI frame a frame.
  if (c->intn_mask) {
    if (!w5500_intn_low(c)) return 0;
    c->send_pending = 0;
    c->send_ok_set = 1;
    return 1;
  }
#endif
  uint8_t cr_ir[2];
  read_bytes(c, BLOCK_S0_REG, Sn_CR, cr_ir, 2);
  if (cr_ir[0] != 0 || !(cr_ir[1] & IR_SEND_OK)) return 0;
  c->send_pending = 0;
  c->send_ok_set = 1;
  return 1;
}

/** Waits until no SEND is on the wire and SEND_OK is clear: as w5500_send expects to find the chip. */
static void send_done(w5500 *c) {
  for (int i = 0; i < SPIN_LIMIT && !send_idle(c); i++) {}
  if (c->send_pending || c->send_ok_set) write8(c, BLOCK_S0_REG, Sn_IR, IR_SEND_OK);
  c->send_pending = 0;
  c->send_ok_set = 0;
}

/** SENDs the frames written and not yet SENT, as far as the wire lets without waiting (the bus is
 *  free). Each SEND is one write of CR and, in the same SPI frame, IR: clearing the SEND_OK of the one
 *  before, which completed before this was issued; this one cannot complete within that byte's 256 ns
 *  (its frame takes 5.8 us or more on the wire). */
static void pump(w5500 *c) {
  while (c->unsent_count && send_idle(c)) {
    uint16_t end = c->unsent_end[c->unsent_head];
    write16(c, BLOCK_S0_REG, Sn_TX_WR, end);
    uint8_t cr_ir[2] = { CR_SEND, IR_SEND_OK };
    write_bytes(c, BLOCK_S0_REG, Sn_CR, cr_ir, c->send_ok_set ? 2 : 1);
#ifdef W5500_MICROS
    // Preamble, the frame (padded to 60 bytes) and its FCS at 80 ns a byte; x 81 / 1024 errs short.
    uint16_t len = (uint16_t)(end - c->sent_end);
    c->send_at = w5500_micros();
    c->send_wire_us = (uint16_t)((((len < 60 ? 60u : len) + 8u + 4u) * 81u) >> 10);
#endif
    c->sent_end = end;
    c->send_ok_set = 0;
    c->send_pending = 1;
    c->unsent_head = (uint8_t)((c->unsent_head + 1) % W5500_TX_FRAMES);
    c->unsent_count--;
  }
}

/** Finishes the transfer in flight if it is done (or waits for it with wait); 1 when the bus is free. */
static int settle(w5500 *c, int wait) {
  if (c->busy == W5500_IDLE) return 1;
  if (w5500_dma_busy(c)) {
    if (!wait) return 0;
    while (w5500_dma_busy(c)) {}
  }
  __asm volatile("" ::: "memory"); // the DMA wrote the stage behind the compiler's back
  end(c);
  if (c->busy == W5500_RX) {
    c->rx_tail = (uint16_t)(c->rx_tail + c->dma_len);
    write16(c, BLOCK_S0_REG, Sn_RX_RD, c->rx_rd);
    command(c, CR_RECV);
  } else {
    // The frames lie in the TX buffer one after another from tx_base: queue them for SEND.
    for (uint8_t i = 0; i < c->tx_count; i++) {
      c->unsent_end[(c->unsent_head + c->unsent_count) % W5500_TX_FRAMES] = (uint16_t)(c->tx_base + c->tx_end[i]);
      c->unsent_count++;
    }
    c->tx_next = (uint16_t)(c->tx_base + c->tx_len);
    c->tx_len = 0;
    c->tx_count = 0;
  }
  c->busy = W5500_IDLE;
  return 1;
}

/** Starts writing the staged frames into the TX buffer after those not yet SENT (the bus is free; at
 *  most W5500_TX_FRAMES frames wait for SEND, staged and unsent together). */
static void tx_start(w5500 *c) {
  copy_wait(); // the last frame staged is all there
  // TX_FSR, TX_RD, TX_WR, RX_RSR (for rx_quiet) in one read. FSR counts neither the SEND on the wire
  // (it only grows meanwhile) nor the frames we wrote past TX_WR and have not SENT.
  uint8_t regs[8];
  read_bytes(c, BLOCK_S0_REG, Sn_TX_FSR, regs, 8);
  c->rx_quiet = be16(regs + 6) == 0;
  uint16_t wr = be16(regs + 4);
  if (!c->unsent_count) c->tx_next = c->sent_end = wr;
  uint16_t unsent = (uint16_t)(c->tx_next - wr);
  if (be16(regs) < unsent || be16(regs) - unsent < c->tx_len) { c->tx_dropped += c->tx_count; c->tx_len = 0; c->tx_count = 0; return; }
  c->tx_base = c->tx_next;
  begin(c, c->tx_base, (BLOCK_S0_TX << 3) | WRITE);
  __asm volatile("" ::: "memory");
  w5500_dma_start(c, c->tx_stage, 0, c->tx_len);
  c->busy = W5500_TX;
}

/** Starts reading ahead what the RX buffer holds into rx_stage's free room (the bus is free). */
static void rx_start(w5500 *c, size_t min_room) {
  if ((size_t)(c->rx_cap - c->rx_tail + c->rx_head) < min_room) return;
  if (c->rx_head) { // keep the unread stream at the stage's start
    memmove(c->rx_stage, c->rx_stage + c->rx_head, (size_t)(c->rx_tail - c->rx_head));
    c->rx_tail = (uint16_t)(c->rx_tail - c->rx_head);
    c->rx_head = 0;
  }
  size_t room = (size_t)(c->rx_cap - c->rx_tail);
  if (room < min_room) return;
  // RSR read high byte first: if it grows meanwhile (only the chip adds, only RECV takes away) the
  // value read is at most what is there when its low byte is read, so every byte read ahead exists.
  uint8_t regs[4];
  read_bytes(c, BLOCK_S0_REG, Sn_RX_RSR, regs, 4);
  size_t n = be16(regs);
  c->rx_quiet = n == 0;
  if (n == 0) return;
  if (n > room) n = room;
  uint16_t rd = be16(regs + 2);
  begin(c, rd, BLOCK_S0_RX << 3);
  w5500_dma_start(c, 0, c->rx_stage + c->rx_tail, n);
  c->dma_len = (uint16_t)n;
  c->rx_rd = (uint16_t)(rd + n);
  c->busy = W5500_RX;
}

/** Gives the bus work to overlap with the caller's: SENDs that are due, and (with read_ahead, when no
 *  frames are staged) a read-ahead. The staged frames' write waits for w5500_stage_flush. */
static void kick(w5500 *c, int read_ahead) {
  if (c->busy != W5500_IDLE) return;
  pump(c);
  if (read_ahead && !c->tx_count) rx_start(c, c->rx_cap > READ_AHEAD_LOW ? (size_t)(c->rx_cap - READ_AHEAD_LOW) : 1);
}

void w5500_stage_flush(w5500 *c) {
  copy_wait(); // the caller's next work writes the ring a staged frame is copied from
  settle(c, 0);
  if (c->busy != W5500_IDLE) return;
  pump(c);
  if (c->tx_count && c->unsent_count + c->tx_count <= W5500_TX_FRAMES) tx_start(c);
}

#ifdef W5500_INTN
int w5500_stage_sleep(w5500 *c) {
  if (!c->intn_mask || c->busy != W5500_IDLE || c->tx_count || c->unsent_count || c->rx_head != c->rx_tail || !send_idle(c)) return 0;
  // RECV joins SEND_OK on INTn, and both are cleared: the last SEND's SEND_OK (it is done) would hold
  // INTn low, and RECV may be left from frames already read.
  write8(c, BLOCK_S0_REG, Sn_IMR, IR_SEND_OK | IR_RECV);
  write8(c, BLOCK_S0_REG, Sn_IR, IR_SEND_OK | IR_RECV);
  c->send_ok_set = 0;
  // A frame that came before RECV was cleared is counted here; one after it pulls INTn low.
  uint8_t rsr[2];
  read_bytes(c, BLOCK_S0_REG, Sn_RX_RSR, rsr, 2);
  if (be16(rsr) == 0) return 1;
  w5500_stage_wake(c);
  return 0;
}

void w5500_stage_wake(w5500 *c) {
  write8(c, BLOCK_S0_REG, Sn_IMR, IR_SEND_OK);
  // The datasheet also says INTn is low while any bit of Sn_IR is set, whatever Sn_IMR says now (SIR):
  // a RECV left set would then hold INTn low, and send_idle would take every SEND for done. Cleared after
  // the mask, so that no new RECV can be set behind it.
  write8(c, BLOCK_S0_REG, Sn_IR, IR_RECV);
}
#endif

/** Cuts the next record from the stream: 1 with *len (0 when dropped), or 0 when it has not all arrived.
 *  A record larger than the whole stage is finished straight from the chip (the bus must be free). */
static int cut(w5500 *c, uint8_t *buf, size_t cap, size_t *len) {
  size_t avail = (size_t)(c->rx_tail - c->rx_head);
  if (avail < 2) return 0;
  const uint8_t *at = c->rx_stage + c->rx_head;
  uint16_t record = be16(at);
  size_t step = record >= 2 ? record : 2, n = step - 2;
  int keep = n >= 14 && n <= cap;
  copy_wait(); // buf may be the ring slot a staged frame is being copied from
  if (step <= avail) {
    if (keep) copy(buf, at + 2, n);
    c->rx_head = (uint16_t)(c->rx_head + step);
  } else if (step > c->rx_cap) {
    if (c->busy != W5500_IDLE) return 0;
    size_t have = avail - 2, rest = step - avail;
    if (keep) {
      copy(buf, at + 2, have);
      begin(c, c->rx_rd, BLOCK_S0_RX << 3);
      w5500_transfer(c, 0, buf + have, rest);
      end(c);
    }
    c->rx_rd = (uint16_t)(c->rx_rd + rest);
    write16(c, BLOCK_S0_REG, Sn_RX_RD, c->rx_rd);
    command(c, CR_RECV);
    c->rx_head = c->rx_tail = 0;
  } else {
    return 0;
  }
  if (!keep) c->rx_dropped++;
  *len = keep ? n : 0;
  return 1;
}

size_t w5500_stage_receive(w5500 *c, uint8_t *buf, size_t cap) {
  size_t len = 0;
  settle(c, 0);
  int got = cut(c, buf, cap, &len);
  if (!got && c->busy == W5500_RX) { // the rest is on its way
    settle(c, 1);
    got = cut(c, buf, cap, &len);
  }
  int empty = 0; // the chip was just found holding nothing: no read-ahead to try
  // Nothing staged: read what the chip holds now, unless frames wait to go out and the last look
  // found nothing to read (tx_start looks again).
  if (!got && c->busy == W5500_IDLE && !(c->tx_count && c->rx_quiet)) {
    rx_start(c, 1);
    empty = c->busy == W5500_IDLE;
    settle(c, 1);
    got = cut(c, buf, cap, &len);
  }
  kick(c, !empty);
  return got ? len : 0;
}

/** Room in the stage for a frame of len bytes (and in the count of frames awaiting SEND). */
static int stage_room(const w5500 *c, size_t len) {
  return len <= (size_t)(c->tx_cap - c->tx_len) && c->tx_count + c->unsent_count < W5500_TX_FRAMES;
}

int w5500_stage_send(w5500 *c, const uint8_t *frame, size_t len) {
  settle(c, 0);
  // Without room, the bus moves what waits until there is: the transfer in flight finished, the staged
  // frames written, SENDs as the wire frees. A frame larger than the stage waits until everything before
  // it has been SENT (it goes the direct way after them). Either way frames leave in the order they came.
  int direct = len > c->tx_cap;
  for (int i = 0; direct ? (c->busy != W5500_IDLE || c->tx_count || c->unsent_count) : !stage_room(c, len); i++) {
    if (i == SPIN_LIMIT) { c->tx_dropped++; return -1; } // the wire never freed
    if (c->busy != W5500_IDLE) settle(c, 1);
    else if (c->tx_count && c->unsent_count + c->tx_count <= W5500_TX_FRAMES) tx_start(c);
    else pump(c);
  }
  if (direct) {
    send_done(c);
    return w5500_send(c, frame, len);
  }
  copy_start(c->tx_stage + c->tx_len, frame, len);
  c->tx_len = (uint16_t)(c->tx_len + len);
  c->tx_end[c->tx_count++] = c->tx_len;
  if (c->busy == W5500_IDLE) pump(c);
  return 0;
}
