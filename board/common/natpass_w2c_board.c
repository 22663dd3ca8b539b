// wasm2c's C for the module (build/board/w2c/natpass_w2c.c), compiled with the board's loads and stores:
// the generated code reads and writes linear memory through wasm_rt_memcpy (wasm-rt.h), which on a core
// that faults on unaligned accesses (the M0+) or treats them as slow (RV32) cannot be inlined as one
// access and becomes a call to memcpy or byte loads. Here a 2- or 4-byte copy takes the whole access when
// both sides are aligned (the C side is a local of that type, so in effect the wasm address), as
// board_config.h's BOARD_LOAD does for wasm3; anything else keeps memcpy. The M3 keeps wasm-rt.h's.
#include "wasm-rt.h"
#include "board_config.h"

#if defined(__ARM_ARCH_6M__) || defined(__riscv)
static inline __attribute__((always_inline)) void *board_w2c_memcpy(void *d, const void *s, size_t n) {
  uintptr_t a = (uintptr_t)d | (uintptr_t)s;
  if (n == 4 && __builtin_expect((a & 3) == 0, 1)) { *(board_u32 *)d = *(const board_u32 *)s; return d; }
  if (n == 2 && __builtin_expect((a & 1) == 0, 1)) { *(board_u16 *)d = *(const board_u16 *)s; return d; }
  if (n == 1) { *(uint8_t *)d = *(const uint8_t *)s; return d; }
  return __builtin_memcpy(d, s, n);
}
#undef wasm_rt_memcpy
#define wasm_rt_memcpy board_w2c_memcpy
#endif

#include "natpass_w2c.c"
