// The ESP32-C3's side of the W5500 driver, included by board/common/w5500.c alone so that its calls are
// inlined there: GP-SPI2 transfers through its 64-byte buffer and chip selects on GPIO (board.c sets
// up the bus and the pins).
#pragma once
#include "esp32c3.h"
#include "w5500.h"

/** One W5500 transfer in pieces of the controller's 64-byte buffer; chip select stays low across them
 *  (a GPIO), so the W5500 sees one SPI frame. The buffer's first byte is W0's lowest. */
static void w5500_transfer(w5500 *c, const uint8_t *tx, uint8_t *rx, size_t n) {
  (void)c;
  while (n > 0) {
    size_t k = n < SPI_BUFFER_BYTES ? n : SPI_BUFFER_BYTES;
    for (size_t i = 0; i < k; i += 4) {
      uint32_t w = 0;
      if (tx) for (size_t j = 0; j < 4 && i + j < k; j++) w |= (uint32_t)tx[i + j] << (8 * j);
      REG(SPI_W0 + i) = w;
    }
    REG(SPI_MS_DLEN) = (uint32_t)(k * 8 - 1);
    REG(SPI_CMD) = SPI_CMD_UPDATE; // move the settings into the SPI clock domain
    while (REG(SPI_CMD) & SPI_CMD_UPDATE) {}
    REG(SPI_CMD) = SPI_CMD_USR;
    while (REG(SPI_CMD) & SPI_CMD_USR) {}
    if (rx) {
      for (size_t i = 0; i < k; i += 4) {
        uint32_t w = REG(SPI_W0 + i);
        for (size_t j = 0; j < 4 && i + j < k; j++) rx[i + j] = (uint8_t)(w >> (8 * j));
      }
      rx += k;
    }
    if (tx) tx += k;
    n -= k;
  }
}

static void w5500_select(w5500 *c) { REG(GPIO_OUT_W1TC) = 1u << c->cs; }
static void w5500_deselect(w5500 *c) { REG(GPIO_OUT_W1TS) = 1u << c->cs; }
