// Board-wide limits in one place: wasm3's sizes and the host loop's batch. The module's own table
// sizes come from each port's config record (board/<port>/board-config.json).
#pragma once

#ifndef BOARD_WASM3_STACK_BYTES // a port may set its own (board.mk)
#define BOARD_WASM3_STACK_BYTES   (8 * 1024)    // wasm3's value stack: 2.7 KiB used by NAT, IPsec and console (make size)
#endif
#define BOARD_BATCH_MAX           8             // frames per process() call, at most (and at most limits.batch)
#define BOARD_TICK_MS             50            // process(0, now) at least this often, for timers
#define BOARD_FRAME_MAX           1536

// wasm3 configuration (read by m3_config.h through -include of this file)
#define d_m3HasWASI                 0
#define d_m3HasFloat                0           // the module uses no floating point
#define d_m3MaxFunctionStackHeight  512         // 128 overruns real modules (measured)
#define d_m3CodePageAlignSize       1024        // 4096 wasted 5 KiB of heap in half-filled pages; 512 more
#define d_m3LogOutput               0
#define d_m3VerboseErrorMessages    1

// wasm3's loads and stores (its m3_exec.h, edited by board/board.mk) go through BOARD_LOAD and
// BOARD_STORE. Where the core takes unaligned accesses (the M3) they are the memcpy wasm3 had, which
// GCC inlines. A Cortex-M0+ (ARMv6-M) faults on unaligned accesses, so GCC cannot inline those copies
// and called newlib's memcpy for every wasm load and store (12 % of the RP2040's instructions per frame,
// profiled in rp2040js). There each access takes the widest width the wasm address allows, inline:
// a word when 4-aligned, halfwords when 2-aligned (an IPv4 address behind a 14-byte Ethernet header),
// else bytes, with the aligned case laid out as the straight path. Only the wasm address is tested: the
// other side is a C variable of its own type. RV32 takes the same path: GCC's RISC-V tuning treats
// unaligned accesses as slow (the ESP32-C3 traps or emulates them), so memcpy became byte loads.
#if (defined(__ARM_ARCH_6M__) || defined(__riscv)) && !defined(__ASSEMBLER__)
#include <stdint.h>
#include <string.h>
typedef uint16_t __attribute__((may_alias)) board_u16;
typedef uint32_t __attribute__((may_alias)) board_u32;
static inline __attribute__((always_inline)) uint32_t board_load_n(const uint8_t *p, size_t n) {
  uintptr_t a = (uintptr_t)p;
  if (n == 1) return *p;
  if (n == 2) return __builtin_expect((a & 1) == 0, 1) ? *(const board_u16 *)p : (uint32_t)p[0] | (uint32_t)p[1] << 8;
  if (__builtin_expect((a & 3) == 0, 1)) return *(const board_u32 *)p;
  if ((a & 1) == 0) return (uint32_t)((const board_u16 *)p)[0] | (uint32_t)((const board_u16 *)p)[1] << 16;
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline __attribute__((always_inline)) void board_store_n(uint8_t *p, uint32_t v, size_t n) {
  uintptr_t a = (uintptr_t)p;
  if (n == 1) { *p = (uint8_t)v; return; }
  if (n == 2) {
    if (__builtin_expect((a & 1) == 0, 1)) *(board_u16 *)p = (uint16_t)v;
    else { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
    return;
  }
  if (__builtin_expect((a & 3) == 0, 1)) *(board_u32 *)p = v;
  else if ((a & 1) == 0) { ((board_u16 *)p)[0] = (uint16_t)v; ((board_u16 *)p)[1] = (uint16_t)(v >> 16); }
  else { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24); }
}
// 8-byte accesses (i64, which the module does not use: check-module.ts) keep memcpy.
#define BOARD_LOAD(v, p) do { if (sizeof (v) == 8) memcpy (&(v), (p), 8); else (v) = (__typeof__ (v)) board_load_n ((p), sizeof (v)); } while (0)
#define BOARD_STORE(p, v) do { if (sizeof (v) == 8) memcpy ((p), &(v), 8); else board_store_n ((p), (uint32_t) (v), sizeof (v)); } while (0)
#else
#define BOARD_LOAD(v, p) memcpy (&(v), (p), sizeof (v))
#define BOARD_STORE(p, v) memcpy ((p), &(v), sizeof (v))
#endif
