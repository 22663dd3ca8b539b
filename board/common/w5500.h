// WIZnet W5500 in MACRAW mode: socket 0 takes all 16 KiB of TX and of RX buffer and carries whole
// Ethernet frames; the natpass module does all filtering and addressing. The protocol is here; the
// board gives the SPI bus and chip select in its w5500_port.h (w5500.c says what).
#pragma once
#include <stdint.h>
#include <stddef.h>

typedef struct {
  uint32_t spi;      // the board's SPI controller
  uint8_t cs, reset; // GPIO numbers
  uint8_t send_pending;
  uint32_t rx_dropped, tx_dropped;
} w5500;

/** Resets the chip and opens socket 0 in MACRAW mode; 0 on success, else -1 (no chip answers). */
int w5500_init(w5500 *chip);
/** Reads one received frame into buf; returns its length, or 0 when none waits (or it was dropped). */
size_t w5500_receive(w5500 *chip, uint8_t *buf, size_t cap);
/** Queues one frame for transmission; 0 on success, -1 when the chip had no room (counted). */
int w5500_send(w5500 *chip, const uint8_t *frame, size_t len);

