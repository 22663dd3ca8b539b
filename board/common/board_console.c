// The management console on the board's UART: the module draws the technote's Main Menu (the same
// assembly/console code as natpass console and telnet in Node); this file moves keystrokes in and the
// screen out, and carries out what the user asked for: Save writes the A/B flash slots (config_store.c),
// Restart System re-initialises the module from the saved record. host/console/session.ts is its twin.
#include <stdio.h>
#include <string.h>
#include "board_console.h"
#include "config_store.h"
#include "hal.h"
#include "layout.generated.h"
#include "module.h"

#define ESC 0x1b
#define ESC_WAIT_MS 50 // how long a lone ESC waits for the rest of an escape sequence

#define PENDING_SAVE 1
#define PENDING_RESTART 2

static void show(uint32_t len) {
  int ok;
  uint32_t ptr = module_call("consoleOutPtr", 0, 0, 0, &ok);
  if (!ok) return;
  const uint8_t *screen = module_memory() + ptr;
  for (uint32_t i = 0; i < len; i++) hal_uart_putc((char)screen[i]);
}

static uint32_t live_record(const uint8_t **record) {
  int ok;
  uint32_t ptr = module_call("configPtr", 0, 0, 0, &ok);
  *record = module_memory() + ptr;
  return (*record)[CFG_O_LENGTH] | ((*record)[CFG_O_LENGTH + 1] << 8); // u16, little-endian
}

static void carry_out(void) {
  int ok;
  uint32_t flags = module_call("consolePending", 0, 0, 0, &ok);
  if (!ok || flags == 0) return;
  module_call("consoleClearPending", 0, 0, 0, &ok);
  // The staged and auth records are static data of the module: init does not touch them.
  uint8_t *mem = module_memory();
  const uint8_t *staged = mem + module_call("consoleStagedPtr", 0, 0, 0, &ok);
  uint32_t staged_len = module_call("consoleStagedLen", 0, 0, 0, &ok);
  const uint8_t *auth = mem + module_call("consoleAuthPtr", 0, 0, 0, &ok);
  uint32_t auth_len = module_call("consoleAuthBytes", 0, 0, 0, &ok);
  if (flags & PENDING_SAVE) {
    // A password change alone saves the live config with the new accounts.
    const uint8_t *config = staged;
    uint32_t config_len = staged_len;
    if (!(flags & PENDING_RESTART)) config_len = live_record(&config);
    int slot;
    if (store_save(config, config_len, auth, auth_len, &slot) != 0) printf("\r\nnatpass: saving to flash failed: the old configuration stays\r\n");
    else printf("\r\nnatpass: configuration saved to flash slot %c\r\n", 'A' + slot);
  }
  if (flags & PENDING_RESTART) {
    if (module_restart(staged, staged_len) == 0) printf("natpass: restarted with the new configuration\r\n");
    else if (module_restart(natpass_config, natpass_config_len) == 0) printf("natpass: the module refused the new configuration: running the default\r\n");
    else printf("natpass: the module refused the new configuration and the default\r\n");
  }
}

/** The next console byte, or -1 when none arrives within `ms`. */
static int byte_within(uint32_t ms) {
  uint32_t since = hal_millis();
  int c;
  while ((c = hal_uart_getc()) < 0)
    if (hal_millis() - since >= ms) return -1;
  return c;
}

void board_console_start(void) {
  int ok;
  uint32_t len = module_call("consoleStart", 1, hal_millis(), 0, &ok);
  if (ok) show(len);
}

void board_console_key(int first) {
  int ok;
  uint32_t in = module_call("consoleInPtr", 0, 0, 0, &ok);
  uint32_t cap = module_call("consoleInCapacity", 0, 0, 0, &ok);
  if (!ok) return;
  uint8_t *buf = module_memory() + in;
  // Take what has arrived, in one feed. An arrow key is ESC [ B: on a UART its bytes arrive one by
  // one, so inside an escape sequence wait briefly for the rest and hand it over whole, or the menu
  // would read Esc (back) and then text.
  uint32_t n = 0;
  int c = first, esc = 0; // 0 text, 1 after ESC, 2 inside ESC [ or ESC O until the final byte
  for (;;) {
    buf[n++] = (uint8_t)c;
    if (esc == 2) esc = c >= 0x40 && c <= 0x7e ? 0 : 2;
    else if (esc == 1) esc = c == '[' || c == 'O' ? 2 : 0;
    else if (c == ESC) esc = 1;
    if (n >= cap) break;
    c = esc ? byte_within(ESC_WAIT_MS) : hal_uart_getc();
    if (c < 0) break;
  }
  uint32_t len = module_call("consoleFeed", 2, n, hal_millis(), &ok);
  if (!ok) return;
  show(len);
  carry_out();
}
