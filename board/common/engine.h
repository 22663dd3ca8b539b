// The engine that runs the module, one interface for both: wasm3 interpreting the module in flash
// (engine_wasm3.c, the default) or the module translated to C by Debian wabt's wasm2c and compiled into
// flash (engine_wasm2c.c, the AOT build: `make board-aot`). host_loop.c and the console call only this.
// Invariant: the linear memory is natpass_memory_bytes (module.h) long and never moves after start.
#pragma once
#include <stdint.h>

/** The engine's name and version, for the boot banner. */
const char *engine_name(void);
/** Instantiates the module; every failure is printed. 1 on success. */
int engine_start(void);
/** Calls an export with up to two i32 arguments; *ok is 0 when the call failed or trapped (printed). */
uint32_t engine_call(const char *name, int argc, uint32_t a, uint32_t b, int *ok);
/** process(count, now): the per-batch call, without the name lookup. */
uint32_t engine_process(uint32_t count, uint32_t now, int *ok);
/** The linear memory and its length in bytes. */
uint8_t *engine_memory(uint32_t *bytes);
/** The engine's own value stack: deepest use and size in bytes (wasm2c has none: its frames are on the
 *  native stack, which stack.c paints; both 0). */
uint32_t engine_value_stack_used(uint32_t *bytes);
