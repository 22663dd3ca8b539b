// The running module as the board layer's other files see it (host_loop.c owns the wasm3 runtime).
#pragma once
#include <stdint.h>

// Embedded at build time (module.S): the module, the default config record, and the linear memory
// (bytes) that config needs.
extern const uint8_t natpass_wasm[];
extern const uint8_t natpass_wasm_end[];
extern const uint8_t natpass_config[];
extern const uint32_t natpass_config_len;
extern const uint32_t natpass_memory_bytes;

/** Calls an export with up to two i32 arguments; *ok is 0 when wasm3 reported an error (printed). */
uint32_t module_call(const char *name, int argc, uint32_t a, uint32_t b, int *ok);
/** The module's linear memory (it does not move after init: memory grows only in init). */
uint8_t *module_memory(void);
/** Re-initialises the module from a config record, as Restart System does; 0 on success. */
int module_restart(const uint8_t *record, uint32_t len);
