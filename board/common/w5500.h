// WIZnet W5500 in MACRAW mode: socket 0 takes all 16 KiB of TX and of RX buffer and carries whole
// Ethernet frames; the natpass module does all filtering and addressing. The protocol is here; the
// board gives the SPI bus and chip select in its w5500_port.h (w5500.c says what).
#pragma once
#include <stdint.h>
#include <stddef.h>

#define W5500_TX_FRAMES 16 // frames one transmit stage holds at most

typedef struct {
  uint32_t spi;      // the board's SPI controller
  uint8_t cs, reset; // GPIO numbers
  uint32_t intn_mask; // 1 << the GPIO the chip's INTn drives, where the board wires and reads it; else 0
  uint8_t dma;       // the board's first of two DMA channels for this chip (TX, then RX), if it has DMA
  uint8_t send_pending;
  uint32_t rx_dropped, tx_dropped;
  // The staged driver (w5500_stage_*), for boards that overlap SPI with the module's process() by DMA.
  // The board gives the buffers. rx_stage holds a byte stream copied from the chip's RX buffer: records
  // from rx_head, complete or not, up to rx_tail; a DMA appends after rx_tail. tx_stage holds frames
  // waiting to be written to the chip's TX buffer in one SPI frame, then SENT one by one.
  uint8_t *rx_stage, *tx_stage;
  uint16_t rx_cap, tx_cap;
  uint16_t rx_head, rx_tail, rx_rd; // rx_rd: the chip's RX_RD once the transfer in flight is done
  uint16_t tx_len, tx_base, dma_len;
  uint8_t tx_count, busy;           // busy: the transfer in flight on this chip's bus (W5500_IDLE...)
  uint8_t send_ok_set;              // SEND_OK of the last SEND seen and not yet cleared
  uint8_t rx_quiet;                 // the last register read found the RX buffer empty
  uint16_t tx_end[W5500_TX_FRAMES]; // each staged frame's end in tx_stage
  // Frames in the chip's TX buffer not yet SENT: their ends (TX buffer pointers), SENT one at a time as
  // the one before completes; tx_next is where the next stage's frames go.
  uint16_t unsent_end[W5500_TX_FRAMES];
  uint8_t unsent_head, unsent_count;
  uint16_t tx_next;
  uint16_t sent_end;                // the end of the frame SENT last (TX_WR as that SEND left it)
  uint16_t send_wire_us;            // and the least time that frame takes on a 100 Mbit/s wire, from
  uint32_t send_at;                 // its SEND, in the board's microseconds (boards with w5500_micros)
} w5500;

/** Resets the chip and opens socket 0 in MACRAW mode; 0 on success, else -1 (no chip answers). */
int w5500_init(w5500 *chip);
/** Reads one received frame into buf; returns its length, or 0 when none waits (or it was dropped). */
size_t w5500_receive(w5500 *chip, uint8_t *buf, size_t cap);
/** Queues one frame for transmission; 0 on success, -1 when the chip had no room (counted). */
int w5500_send(w5500 *chip, const uint8_t *frame, size_t len);

/** Staged receive: the next frame from the read-ahead stream into buf (its length; 0 when none is ready
 *  or it was dropped). Leaves a transfer running on the chip's bus (a read-ahead, or the staged frames'
 *  write) for the caller's next work to overlap. Frames come in the chip's order. */
size_t w5500_stage_receive(w5500 *chip, uint8_t *buf, size_t cap);
/** Staged transmit: copies the frame into the stage (the caller may reuse its memory at once); it is
 *  written and SENT by a later w5500_stage_* call, in order. 0 on success, -1 when dropped (counted). */
int w5500_stage_send(w5500 *chip, const uint8_t *frame, size_t len);
/** Starts writing the staged frames into the chip's TX buffer, if the bus is free, for the caller's next
 *  work (process()) to overlap. Until then the bus is left to SENDs: a write started at once, as each
 *  frame was staged, held the SENDs of the frames before it back for the length of the write. */
void w5500_stage_flush(w5500 *chip);
/** Before the board sleeps (boards that wire INTn): 1 when the chip holds nothing for the driver (nothing
 *  staged or waiting for SEND, no SEND on the wire, its RX buffer empty) and INTn now also signals a
 *  frame's arrival; 0 when there is work, and the board must not sleep. */
int w5500_stage_sleep(w5500 *chip);
/** After the sleep: INTn signals SEND_OK alone again, as the staged driver reads it (send_idle). */
void w5500_stage_wake(w5500 *chip);

