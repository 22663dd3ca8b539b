// The AOT engine: the module translated to C by Debian wabt's wasm2c (build/board/w2c/natpass_w2c.c,
// made by board.mk) and compiled into flash, so no parsed module or compiled code lives in RAM. The
// linear memory is a static array of exactly natpass_memory_bytes (wasm_rt_board.c); a trap (bounds,
// unreachable, call depth) longjmps back here and fails the call, as wasm3 fails it.
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include "engine.h"
#include "module.h"
#include "natpass_w2c.h"
#include "natpass_w2c_imports.h"
#include "wasm_rt_board.h"

static Z_np_instance_t np;

// Exports by name, each behind one signature: (a, b) -> u32. The rows are the exports the board calls;
// a signature that changes in the module stops the build here.
typedef uint32_t (*export_fn)(uint32_t a, uint32_t b);
#define R0(n) static uint32_t x_##n(uint32_t a, uint32_t b) { (void)a; (void)b; return Z_npZ_##n(&np); }
#define R1(n) static uint32_t x_##n(uint32_t a, uint32_t b) { (void)b; return Z_npZ_##n(&np, a); }
#define R2(n) static uint32_t x_##n(uint32_t a, uint32_t b) { return Z_npZ_##n(&np, a, b); }
#define V0(n) static uint32_t x_##n(uint32_t a, uint32_t b) { (void)a; (void)b; Z_npZ_##n(&np); return 0; }
#define V1(n) static uint32_t x_##n(uint32_t a, uint32_t b) { (void)b; Z_npZ_##n(&np, a); return 0; }
R0(abiVersion) R0(batchCapacity) R0(configCapacity) R0(configPtr) R0(consoleAuthBytes) V0(consoleAuthDefaults)
R0(consoleAuthPtr) R0(consoleAuthValid) V0(consoleClearPending) R2(consoleFeed) R0(consoleInCapacity) R0(consoleInPtr)
R0(consoleOutPtr) R0(consolePending) R0(consoleStagedLen) R0(consoleStagedPtr) R1(consoleStart) R0(inRing) R2(init)
V1(memoryLimit) R0(outRing) R0(slotBytes) R0(memoryUsed) R2(process)
#define ROW(n) { #n, x_##n }
static const struct { const char *name; export_fn fn; } exports[] = {
  ROW(abiVersion), ROW(batchCapacity), ROW(configCapacity), ROW(configPtr), ROW(consoleAuthBytes), ROW(consoleAuthDefaults),
  ROW(consoleAuthPtr), ROW(consoleAuthValid), ROW(consoleClearPending), ROW(consoleFeed), ROW(consoleInCapacity), ROW(consoleInPtr),
  ROW(consoleOutPtr), ROW(consolePending), ROW(consoleStagedLen), ROW(consoleStagedPtr), ROW(consoleStart), ROW(inRing), ROW(init),
  ROW(memoryLimit), ROW(outRing), ROW(slotBytes), ROW(memoryUsed), ROW(process),
};

const char *engine_name(void) { return "wasm2c (AOT, wabt " BOARD_WABT_VERSION ")"; }

uint32_t engine_value_stack_used(uint32_t *bytes) { *bytes = 0; return 0; }

uint8_t *engine_memory(uint32_t *bytes) {
  if (bytes) *bytes = np.w2c_memory.size;
  return np.w2c_memory.data;
}

// One call into the module under a trap target. `volatile`: the result is written after setjmp.
static uint32_t guarded(const char *name, export_fn fn, uint32_t a, uint32_t b, int *ok) {
  jmp_buf target;
  volatile uint32_t ret = 0;
  *ok = 0;
  wasm_rt_trap_t trap = (wasm_rt_trap_t)setjmp(target);
  if (trap) {
    wasm_rt_board_trap_target(NULL);
    printf("natpass: %s failed: %s\n", name, wasm_rt_board_strerror(trap));
    return 0;
  }
  wasm_rt_board_trap_target(&target);
  ret = fn(a, b);
  wasm_rt_board_trap_target(NULL);
  *ok = 1;
  return ret;
}

uint32_t engine_call(const char *name, int argc, uint32_t a, uint32_t b, int *ok) {
  (void)argc;
  for (size_t i = 0; i < sizeof exports / sizeof exports[0]; i++)
    if (!strcmp(exports[i].name, name)) return guarded(name, exports[i].fn, a, b, ok);
  printf("natpass: %s failed: no such export in the board's table (engine_wasm2c.c)\n", name);
  *ok = 0;
  return 0;
}

uint32_t engine_process(uint32_t count, uint32_t now, int *ok) {
  return guarded("process", x_process, count, now, ok);
}

#if NATPASS_IMPORTS_ABORT
// The link table for module "natpass": AssemblyScript's abort, as engine_wasm3.c links it.
struct Z_natpass_instance_t;
void Z_natpassZ_abort(struct Z_natpass_instance_t *ctx, u32 msg, u32 file, u32 line, u32 column) {
  (void)ctx; (void)msg; (void)file;
  printf("natpass: module abort at %lu:%lu\n", (unsigned long)line, (unsigned long)column);
  wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);
}
static void instantiate(uint32_t a, uint32_t b) { (void)a; (void)b; Z_np_instantiate(&np, NULL); }
#else
static void instantiate(uint32_t a, uint32_t b) { (void)a; (void)b; Z_np_instantiate(&np); }
#endif
static uint32_t instantiate_fn(uint32_t a, uint32_t b) { instantiate(a, b); return 0; }

int engine_start(void) {
  wasm_rt_init();
  Z_np_init_module();
  int ok;
  guarded("instantiate", instantiate_fn, 0, 0, &ok);
  if (ok) printf("natpass: module instantiated, code in flash, linear memory a static %lu bytes\n", (unsigned long)natpass_memory_bytes);
  return ok;
}
