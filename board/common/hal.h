// The board layer's hardware interface: what the natpass host loop (host_loop.c) needs from a board.
// Each port directory (qemu-mps2-an385/, rp2040-w5500/) implements it; nothing else touches hardware.
#pragma once
#include <stdint.h>
#include <stddef.h>

enum { HAL_PORT_LAN = 0, HAL_PORT_WAN = 1 };

void hal_init(void);
/** Milliseconds since boot (wraps at 2^32, like the module's clock). */
uint32_t hal_millis(void);
/** Microseconds since boot (wraps), for the board's own forwarding-time figures. */
uint32_t hal_micros(void);
/** Receives one frame into buf (at most cap bytes); returns its length and sets *port, or 0 if none waits. */
size_t hal_eth_rx(uint8_t *buf, size_t cap, int *port);
/** Transmits one frame on a port; returns 0 on success. */
int hal_eth_tx(int port, const uint8_t *frame, size_t len);
/** Called once a loop, before process() would run: a board whose transmissions are staged starts
 *  moving them over its bus, to overlap with process(). host_loop.c has an empty default. */
void hal_eth_flush(void);
/** Called when a loop found no frame and no key: a board that can sleeps until a frame or a key arrives
 *  or its millisecond clock reaches wake_ms (the next timer tick), else returns at once (it may return
 *  early). host_loop.c has an empty default: the loop then polls. */
void hal_idle(uint32_t wake_ms);
void hal_uart_putc(char c);
/** A received console byte, or -1. */
int hal_uart_getc(void);
const char *hal_board_name(void);

// Two flash sectors for the saved config (config_store.c): read in place, erase to 0xFF, program
// (NOR semantics: programming only clears bits). Each returns 0 on success.
#define HAL_FLASH_SLOT_BYTES 8192
const uint8_t *hal_flash_slot(int slot);
int hal_flash_erase(int slot);
int hal_flash_program(int slot, uint32_t offset, const uint8_t *data, size_t len);
/** Fills buf with len bytes of the best entropy the board has (salts for the default accounts). */
void hal_entropy(uint8_t *buf, size_t len);
