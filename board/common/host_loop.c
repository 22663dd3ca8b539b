// The board's natpass host: start wasm3 on the module kept in flash, hand it the config record, then
// move frames: received frames are batched into the module's input ring, process(count, now) runs
// once per batch, and the output ring is transmitted. Every M3Result is checked and printed.
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
#include "layout.generated.h" // ABI_VERSION, SLOT_*: from host/layout.ts (make layout)
#include "module.h"
#include "wasm3.h"
#include "m3_env.h"

#define KEY_MARGINS 0x14 // Ctrl-T, as BSD's status key

extern char *heap_peak;
extern char __heap_start;

static IM3Runtime runtime;
// Forwarding figures for the margins report: frames handed to process() and the time from reading
// them off the NIC to transmitting the output (make bench runs QEMU with -icount to make it meaningful).
static uint32_t frames_in, busy_us, process_us;
static IM3Function fn_process;
static uint32_t ring_in, ring_out, slot_bytes, batch, mem_bytes;

static m3ApiRawFunction(natpass_abort) {
  m3ApiGetArg(uint32_t, msg);
  m3ApiGetArg(uint32_t, file);
  m3ApiGetArg(uint32_t, line);
  m3ApiGetArg(uint32_t, column);
  (void)msg; (void)file; (void)_mem;
  printf("natpass: module abort at %lu:%lu\n", (unsigned long)line, (unsigned long)column);
  m3ApiTrap(m3Err_trapAbort);
}

// The link table for module "natpass": one row per import.
static const struct { const char *module, *name, *signature; M3RawCall function; } links[] = {
  { "natpass", "abort",  "v(iiii)", natpass_abort },
};

// wasm3's value stack grows up from runtime->stack; painted at start, its deepest use is the last
// byte that lost the paint. BOARD_WASM3_STACK_BYTES is sized by this figure (make size).
#define VALUE_STACK_PAINT 0xa5
static uint32_t value_stack_used(void) {
  const uint8_t *p = runtime->stack;
  uint32_t n = BOARD_WASM3_STACK_BYTES;
  while (n > 0 && p[n - 1] == VALUE_STACK_PAINT) n--;
  return n;
}

static int failed(const char *step, M3Result r) {
  if (!r) return 0;
  M3ErrorInfo info;
  if (runtime) m3_GetErrorInfo(runtime, &info);
  printf("natpass: %s failed: %s%s%s\n", step, r, runtime && info.message ? " - " : "", runtime && info.message ? info.message : "");
  return 1;
}

uint32_t module_call(const char *name, int argc, uint32_t a, uint32_t b, int *ok) {
  IM3Function fn;
  uint32_t ret = 0;
  *ok = 0;
  if (failed(name, m3_FindFunction(&fn, runtime, name))) return 0;
  const void *args[2] = { &a, &b };
  if (failed(name, m3_Call(fn, argc, args))) return 0;
  if (m3_GetRetCount(fn)) {
    const void *rets[1] = { &ret };
    if (failed(name, m3_GetResults(fn, 1, rets))) return 0;
  }
  *ok = 1;
  return ret;
}

uint8_t *module_memory(void) {
  uint32_t size;
  return m3_GetMemory(runtime, &size, 0);
}

static int32_t init_with(const uint8_t *record, uint32_t len, int *ok) {
  module_call("memoryLimit", 1, natpass_memory_bytes, 0, ok); // tables past what wasm3 allocated: refused
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
  m3_GetMemory(runtime, &mem_bytes, 0);
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
  IM3Environment env = m3_NewEnvironment();
  if (!env) { printf("natpass: m3_NewEnvironment failed\n"); return 0; }
  runtime = m3_NewRuntime(env, BOARD_WASM3_STACK_BYTES, NULL);
  if (!runtime) { printf("natpass: m3_NewRuntime failed\n"); return 0; }
  memset(runtime->stack, VALUE_STACK_PAINT, BOARD_WASM3_STACK_BYTES); // its high-water mark, for margins
  IM3Module module;
  // The bytes stay in flash: wasm3 keeps pointers into them rather than copying.
  if (failed("m3_ParseModule", m3_ParseModule(env, &module, natpass_wasm, (uint32_t)(natpass_wasm_end - natpass_wasm)))) return 0;
  // Linear memory is allocated once, at the size the default config's tables need (measured at build
  // time), so init finds it large enough: growing it page by page would copy it each time (newlib's
  // realloc) and leave holes in a heap with no room to spare. wasm3's memoryLimit allocates only those
  // bytes of the last 64 KiB page; the module is told the same limit (init_with).
  uint32_t pages = (natpass_memory_bytes + 0xffff) >> 16;
  if (module->memoryInfo.initPages < pages) module->memoryInfo.initPages = pages;
  runtime->memoryLimit = natpass_memory_bytes;
  if (failed("m3_LoadModule", m3_LoadModule(runtime, module))) return 0;
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    M3Result r = m3_LinkRawFunction(module, links[i].module, links[i].name, links[i].signature, links[i].function);
    if (r != m3Err_functionLookupFailed && failed("m3_LinkRawFunction", r)) return 0;
  }
  printf("natpass: module loaded, heap used %lu KiB\n", (unsigned long)((heap_peak - &__heap_start) / 1024));
  if (failed("m3_FindFunction(process)", m3_FindFunction(&fn_process, runtime, "process"))) return 0;
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
  m3_GetMemory(runtime, &mem_size, 0);
  printf("natpass: %s, module %lu bytes in flash, linear memory %lu KiB, heap used %lu KiB\n", hal_board_name(),
         (unsigned long)(natpass_wasm_end - natpass_wasm), (unsigned long)(mem_size / 1024),
         (unsigned long)((heap_peak - &__heap_start) / 1024));
  return 1;
}

static uint32_t process(uint32_t count) {
  uint32_t now = hal_millis();
  const void *args[2] = { &count, &now };
  uint32_t t0 = hal_micros();
  M3Result r = m3_Call(fn_process, 2, args);
  if (count) process_us += hal_micros() - t0;
  if (r) { failed("process", r); return 0; }
  uint32_t produced = 0;
  const void *rets[1] = { &produced };
  m3_GetResults(fn_process, 1, rets);
  return produced;
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
  printf("\nnatpass board %s: starting wasm3 %s\n", hal_board_name(), M3_VERSION);
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
    uint32_t now = hal_millis();
    if (n > 0 || now - last >= BOARD_TICK_MS) {
      transmit(process(n));
      if (n > 0) { frames_in += n; busy_us += hal_micros() - t0; }
      last = now;
    }
    int c = hal_uart_getc();
    if (c == KEY_MARGINS) {
      printf("\nnatpass: heap peak %lu KiB, stack unused %lu bytes, %lu frames in %lu us (%lu us in process), value stack used %lu of %u bytes\n",
             (unsigned long)((heap_peak - &__heap_start) / 1024), (unsigned long)stack_unused(), (unsigned long)frames_in,
             (unsigned long)busy_us, (unsigned long)process_us, (unsigned long)value_stack_used(), BOARD_WASM3_STACK_BYTES);
    } else if (c >= 0) {
      board_console_key(c);
    }
  }
}
