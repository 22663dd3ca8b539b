// The RP2040's side of the W5500 driver, included by board/common/w5500.c alone so that its calls are
// inlined there (as one file, the transfer loop specialised per call site; a call per transfer cost
// 7 us a frame): PL022 SPI transfers and chip select on SIO GPIO, which frames one W5500 SPI frame
// across several transfers; and the DMA transfers of the staged driver (w5500.c), two channels per chip
// paced by its SPI controller's DREQs.
#pragma once
#include "w5500.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define SSPDR 0x08
#define SSPSR 0x0c
#define SSPSR_RNE 4u
#define SIO_OUT_SET 0xd0000014
#define SIO_OUT_CLR 0xd0000018

/** Shifts n bytes out (tx, or zeros) and in (rx, or discarded). Both FIFOs are empty between calls,
 *  so the first 8 bytes go straight into the TX FIFO, and after that each byte received makes room for
 *  the next: never more than the FIFOs' depth in flight, and no status polling but for RX data. Kept
 *  tight because at 31.25 MHz a byte lasts 32 cycles, about what one loop turn costs. */
static void w5500_transfer(w5500 *c, const uint8_t *tx, uint8_t *rx, size_t n) {
  volatile uint32_t *dr = (volatile uint32_t *)(c->spi + SSPDR), *sr = (volatile uint32_t *)(c->spi + SSPSR);
  size_t sent = n < 8 ? n : 8, got = 0;
  for (size_t i = 0; i < sent; i++) *dr = tx ? tx[i] : 0;
  while (got < n) {
    while (!(*sr & SSPSR_RNE)) {}
    uint8_t b = (uint8_t)*dr;
    if (rx) rx[got] = b;
    got++;
    if (sent < n) { *dr = tx ? tx[sent] : 0; sent++; }
  }
}

/** The board's microsecond timer (TIMERAWL), for the driver to know when a SEND can have finished. */
#define W5500_MICROS 1
static uint32_t w5500_micros(void) { return REG(0x40054028); }

/** INTn asserted (low), read from SIO's GPIO inputs. */
#define W5500_INTN 1
static int w5500_intn_low(w5500 *c) { return !(REG(0xd0000004) & c->intn_mask); }

static void w5500_select(w5500 *c) { REG(SIO_OUT_CLR) = 1u << c->cs; }
static void w5500_deselect(w5500 *c) { REG(SIO_OUT_SET) = 1u << c->cs; }

// ---- DMA: channel c->dma feeds the TX FIFO, c->dma + 1 drains the RX FIFO ----
#define W5500_DMA 1
#define DMA_BASE 0x50000000u
#define DMA_READ_ADDR(ch) (DMA_BASE + 0x40 * (ch) + 0x00)
#define DMA_WRITE_ADDR(ch) (DMA_BASE + 0x40 * (ch) + 0x04)
#define DMA_TRANS_COUNT(ch) (DMA_BASE + 0x40 * (ch) + 0x08)
#define DMA_CTRL_TRIG(ch) (DMA_BASE + 0x40 * (ch) + 0x0c)
#define DMA_EN 1u
#define DMA_INCR_READ (1u << 4)
#define DMA_INCR_WRITE (1u << 5)
#define DMA_CHAIN_TO(ch) ((uint32_t)(ch) << 11) // to itself: no chaining
#define DMA_TREQ(dreq) ((uint32_t)(dreq) << 15)
#define DMA_IRQ_QUIET (1u << 21)
#define DMA_BUSY (1u << 24)
#define SPI0_BASE 0x4003c000u
#define DREQ_SPI0_TX 16 // SPI1's are the next two

/** Starts shifting n bytes (n > 0) out (tx, or zeros) and in (rx, or discarded) by DMA; both FIFOs are
 *  empty. Byte transfers paced by the controller's DREQs: the TX channel keeps the FIFO fed, the RX
 *  channel empties it as bytes arrive, so the RX FIFO cannot overrun. The RX channel is armed first. */
static void w5500_dma_start(w5500 *c, const uint8_t *tx, uint8_t *rx, size_t n) {
  // Both in RAM: a read-ahead may be in flight while the config is written to flash with XIP off, when a
  // DMA read from flash would fail and leave the RX channel waiting forever.
  static uint8_t zero, sink;
  uint32_t dreq = DREQ_SPI0_TX + (c->spi == SPI0_BASE ? 0 : 2), dr = c->spi + SSPDR;
  uint32_t base = DMA_EN | DMA_IRQ_QUIET;
  REG(DMA_READ_ADDR(c->dma + 1)) = dr;
  REG(DMA_WRITE_ADDR(c->dma + 1)) = rx ? (uint32_t)rx : (uint32_t)&sink;
  REG(DMA_TRANS_COUNT(c->dma + 1)) = n;
  REG(DMA_READ_ADDR(c->dma)) = tx ? (uint32_t)tx : (uint32_t)&zero;
  REG(DMA_WRITE_ADDR(c->dma)) = dr;
  REG(DMA_TRANS_COUNT(c->dma)) = n;
  __asm volatile("dmb" ::: "memory"); // the buffer's bytes are in SRAM before the DMA reads them
  REG(DMA_CTRL_TRIG(c->dma + 1)) = base | DMA_CHAIN_TO(c->dma + 1) | DMA_TREQ(dreq + 1) | (rx ? DMA_INCR_WRITE : 0);
  REG(DMA_CTRL_TRIG(c->dma)) = base | DMA_CHAIN_TO(c->dma) | DMA_TREQ(dreq) | (tx ? DMA_INCR_READ : 0);
}

/** 1 while the transfer started last is in flight: the RX channel finishes once the last byte is in. */
static int w5500_dma_busy(w5500 *c) { return (REG(DMA_CTRL_TRIG(c->dma + 1)) & DMA_BUSY) != 0; }

// ---- DMA: channel 4 copies frames from the module's ring into a transmit stage, unpaced ----
#define W5500_DMA_COPY 1
#define DMA_COPY_CHANNEL 4
#define DMA_SIZE(log2_bytes) ((uint32_t)(log2_bytes) << 2)
#define DMA_TREQ_PERMANENT 0x3f

/** Waits until the copy started last is done, and lets no read of its bytes move before. */
static void w5500_copy_wait(void) {
  while (REG(DMA_CTRL_TRIG(DMA_COPY_CHANNEL)) & DMA_BUSY) {}
  __asm volatile("" ::: "memory");
}

/** Starts copying n bytes (n > 0), by words, halfwords or bytes as both ends and n allow. */
static void w5500_copy_start(uint8_t *dst, const uint8_t *src, size_t n) {
  uint32_t align = (uint32_t)dst | (uint32_t)src | (uint32_t)n, size = (align & 3) == 0 ? 2 : (align & 1) == 0 ? 1 : 0;
  REG(DMA_READ_ADDR(DMA_COPY_CHANNEL)) = (uint32_t)src;
  REG(DMA_WRITE_ADDR(DMA_COPY_CHANNEL)) = (uint32_t)dst;
  REG(DMA_TRANS_COUNT(DMA_COPY_CHANNEL)) = n >> size;
  __asm volatile("dmb" ::: "memory"); // the source's bytes are in SRAM before the DMA reads them
  REG(DMA_CTRL_TRIG(DMA_COPY_CHANNEL)) = DMA_EN | DMA_IRQ_QUIET | DMA_SIZE(size) | DMA_INCR_READ | DMA_INCR_WRITE |
                                         DMA_CHAIN_TO(DMA_COPY_CHANNEL) | DMA_TREQ(DMA_TREQ_PERMANENT);
}
