// The RP2040's side of the W5500 driver, included by board/common/w5500.c alone so that its calls are
// inlined there (as one file, the transfer loop specialised per call site; a call per transfer cost
// 7 us a frame): PL022 SPI transfers and chip select on SIO GPIO, which frames one W5500 SPI frame
// across several transfers.
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

static void w5500_select(w5500 *c) { REG(SIO_OUT_CLR) = 1u << c->cs; }
static void w5500_deselect(w5500 *c) { REG(SIO_OUT_SET) = 1u << c->cs; }
