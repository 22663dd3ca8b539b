// The board's natpass host: start the engine (engine.h: wasm3, or the wasm2c build) on the module
// kept in flash, hand it the config record, then move frames: received frames are batched into the
// module's input ring, process(count, now) runs once per batch, and the output ring is transmitted.
// Every engine failure is printed.
// The same ABI as host/router.ts (assembly/abi.ts): slot = u16 port, u16 length, frame bytes; the numbers
// come from layout.generated.h (host/layout.ts, `make layout`).
// The config comes from the newest valid flash slot (config_store.c), else the embedded default; the
// UART carries the management console (board_console.c); Ctrl-T prints the board's memory margins.
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "board_config.h"
#include "board_console.h"
#include "config_store.h"
#include "hal.h"
#include "engine.h"
#include "layout.generated.h" // ABI_VERSION, SLOT_*: from host/layout.ts (make layout)
#include "module.h"

#define KEY_MARGINS 0x14 // Ctrl-T, as BSD's status key

extern char *heap_peak;
extern char __heap_start;

// Forwarding figures for the margins report: frames handed to process() and the time from reading
// them off the NIC to transmitting the output (make bench runs QEMU with -icount to make it meaningful).
static uint32_t frames_in, busy_us, process_us;
static uint32_t ring_in, ring_out, slot_bytes, batch, mem_bytes;

__attribute__((weak)) void hal_eth_flush(void) {}
__attribute__((weak)) void hal_idle(uint32_t wake_ms) { (void)wake_ms; }

uint32_t module_call(const char *name, int argc, uint32_t a, uint32_t b, int *ok) {
  return engine_call(name, argc, a, b, ok);
}

uint8_t *module_memory(void) { return engine_memory(NULL); }

static int32_t init_with(const uint8_t *record, uint32_t len, int *ok) {
  module_call("memoryLimit", 1, natpass_memory_bytes, 0, ok); // tables past the engine's memory: refused
  if (!*ok) return -1;
  uint32_t cfg = module_call("configPtr", 0, 0, 0, ok);
  if (!*ok) return -1;
  uint32_t cap = module_call("configCapacity", 0, 0, 0, ok);
  if (!*ok || len > cap) { *ok = 0; return -1; }
  memmove(module_memory() + cfg, record, len);
  return (int32_t)module_call("init", 2, len, hal_millis(), ok);
}

static int read_rings(void) {
  int ok;
  uint32_t abi = module_call("abiVersion", 0, 0, 0, &ok);
  if (!ok || abi != ABI_VERSION) { printf("natpass: module ABI %lu, board ABI %u\n", (unsigned long)abi, ABI_VERSION); return 0; }
  engine_memory(&mem_bytes);
  ring_in = module_call("inRing", 0, 0, 0, &ok);
  ring_out = module_call("outRing", 0, 0, 0, &ok);
  slot_bytes = module_call("slotBytes", 0, 0, 0, &ok);
  batch = module_call("batchCapacity", 0, 0, 0, &ok); // the config's limits.batch
  if (batch > BOARD_BATCH_MAX) batch = BOARD_BATCH_MAX;
  // Slots are word-aligned (the module's arena aligns to 16, SLOT_BYTES is 1536): their u16 and u32
  // fields are then read and written in place, not through memcpy calls (a Cortex-M0+ cannot inline
  // an unaligned copy: 5 calls a frame, 3.7 us on the RP2040).
  if (ok && (((uintptr_t)module_memory() | ring_in | ring_out | slot_bytes) & 3)) { printf("natpass: module rings not word-aligned\n"); return 0; }
  return ok;
}

int module_restart(const uint8_t *record, uint32_t len) {
  int ok;
  int32_t rc = init_with(record, len, &ok);
  if (!ok || rc != 0) return -1;
  return read_rings() ? 0 : -1;
}

/** The accounts saved with the config, else the default ones with fresh salts. */
static void load_accounts(const stored_record *saved) {
  int ok;
  uint32_t bytes = module_call("consoleAuthBytes", 0, 0, 0, &ok);
  if (saved && saved->auth_len == bytes) {
    memcpy(module_memory() + module_call("consoleAuthPtr", 0, 0, 0, &ok), saved->auth, bytes);
    if (module_call("consoleAuthValid", 0, 0, 0, &ok) == 1) return;
    printf("natpass: the saved accounts are not valid: default accounts\n");
  }
  hal_entropy(module_memory() + module_call("consoleInPtr", 0, 0, 0, &ok), 32);
  module_call("consoleAuthDefaults", 0, 0, 0, &ok);
}

static int start_module(void) {
  if (!engine_start()) return 0;
  int ok;
  stored_record saved;
  int have = store_load(&saved);
  int32_t rc = -1;
  if (have) {
    rc = init_with(saved.config, saved.config_len, &ok);
    if (!ok) return 0;
    if (rc == 0) printf("natpass: configuration from flash slot %c (sequence %lu)\n", 'A' + saved.slot, (unsigned long)saved.sequence);
    else printf("natpass: flash slot %c holds a config this module refuses (error %ld: %s): the default instead\n", 'A' + saved.slot, (long)rc, cfg_error_name(rc));
  }
  if (rc != 0) {
    rc = init_with(natpass_config, natpass_config_len, &ok);
    if (!ok) return 0;
    if (rc != 0) { printf("natpass: init refused the config record: error %ld (%s)\n", (long)rc, cfg_error_name(rc)); return 0; }
    if (!have) printf("natpass: no saved configuration: the default\n");
  }
  load_accounts(have ? &saved : NULL);
  if (!read_rings()) return 0;
  uint32_t mem_size;
  engine_memory(&mem_size);
  printf("natpass: %s, linear memory %lu KiB, heap used %lu KiB\n", hal_board_name(), (unsigned long)(mem_size / 1024),
         (unsigned long)((heap_peak - &__heap_start) / 1024));
  return 1;
}

static uint32_t process(uint32_t count) {
  uint32_t t0 = hal_micros();
  int ok;
  uint32_t produced = engine_process(count, hal_millis(), &ok);
  if (count) process_us += hal_micros() - t0;
  return ok ? produced : 0;
}

static void transmit(uint32_t produced) {
  uint8_t *mem = module_memory();
  for (uint32_t i = 0; i < produced; i++) {
    uint8_t *slot = __builtin_assume_aligned(mem + ring_out + i * slot_bytes, 4);
    uint16_t port, len;
    memcpy(&port, slot + SLOT_PORT, 2);
    memcpy(&len, slot + SLOT_LENGTH, 2);
    uint32_t n = len & ~SLOT_REF;
    if (!(len & SLOT_REF)) { hal_eth_tx(port, slot + SLOT_DATA, n); continue; }
    // SLOT_REF: the frame stays where it lies in the input ring, which is written again only after this.
    uint32_t at;
    memcpy(&at, slot + SLOT_DATA, 4);
    if (at <= mem_bytes && n <= mem_bytes - at) hal_eth_tx(port, mem + at, n);
  }
}

extern void stack_paint(void);
extern uint32_t stack_unused(void);

int main(void) {
  hal_init();
  stack_paint();
  printf("\nnatpass board %s: starting %s\n", hal_board_name(), engine_name());
  if (!start_module()) { printf("natpass: halted\n"); for (;;) {} }
  printf("natpass: ready\n");
  board_console_start();
  uint32_t last = hal_millis();
  for (;;) {
    uint32_t t0 = hal_micros();
    uint8_t *mem = module_memory();
    uint32_t n = 0;
    while (n < batch) {
      uint8_t *slot = __builtin_assume_aligned(mem + ring_in + n * slot_bytes, 4);
      int port;
      size_t len = hal_eth_rx(slot + SLOT_DATA, slot_bytes - SLOT_DATA, &port);
      if (len == 0) break;
      uint16_t p16 = (uint16_t)port, l16 = (uint16_t)len;
      memcpy(slot + SLOT_PORT, &p16, 2);
      memcpy(slot + SLOT_LENGTH, &l16, 2);
      n++;
    }
    hal_eth_flush();
    uint32_t now = hal_millis();
    if (n > 0 || now - last >= BOARD_TICK_MS) {
      transmit(process(n));
      if (n > 0) { frames_in += n; busy_us += hal_micros() - t0; }
      last = now;
    }
    int c = hal_uart_getc();
    if (c == KEY_MARGINS) {
      uint32_t value_stack_bytes, value_stack_used = engine_value_stack_used(&value_stack_bytes);
      printf("\nnatpass: heap peak %lu KiB, stack unused %lu bytes, %lu frames in %lu us (%lu us in process), value stack used %lu of %u bytes\n",
             (unsigned long)((heap_peak - &__heap_start) / 1024), (unsigned long)stack_unused(), (unsigned long)frames_in,
             (unsigned long)busy_us, (unsigned long)process_us, (unsigned long)value_stack_used, (unsigned)value_stack_bytes);
    } else if (c >= 0) {
      board_console_key(c);
    } else if (n == 0) {
      hal_idle(last + BOARD_TICK_MS);
    }
  }
}
