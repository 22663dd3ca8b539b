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

#define BLOCK_COMMON 0
#define BLOCK_S0_REG 1
#define BLOCK_S0_TX 2
#define BLOCK_S0_RX 3
#define WRITE 0x04

#define MR 0x0000
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
#define CR_OPEN 0x01
#define CR_SEND 0x20
#define CR_RECV 0x40
#define IR_SEND_OK 0x10
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
