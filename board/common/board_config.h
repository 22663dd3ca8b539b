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

// wasm3 reads and writes linear memory through memcpy of 1, 2, 4 or 8 bytes, so that unaligned wasm
// addresses work. A Cortex-M0+ (ARMv6-M) faults on unaligned loads, so there GCC cannot inline those
// copies and calls newlib's memcpy for every wasm load and store: 12 % of the RP2040's instructions per
// frame (profiled in rp2040js). Here each copy takes the widest accesses its alignment allows, inline:
// words when both ends are 4-aligned, halfwords when 2-aligned (an IPv4 address behind a 14-byte
// Ethernet header), else bytes. Other cores inline the copies themselves.
#if defined(__ARM_ARCH_6M__) && !defined(__ASSEMBLER__)
#include <stdint.h>
#include <string.h>
typedef uint16_t __attribute__((may_alias)) board_u16;
typedef uint32_t __attribute__((may_alias)) board_u32;
static inline __attribute__((always_inline)) void *board_memcpy(void *d, const void *s, size_t n) {
  if (__builtin_constant_p(n) && (n == 1 || n == 2 || n == 4 || n == 8)) {
    uintptr_t a = (uintptr_t)d | (uintptr_t)s;
    if ((a & 3) == 0 && n >= 4) {
      for (size_t i = 0; i < n / 4; i++) ((board_u32 *)d)[i] = ((const board_u32 *)s)[i];
    } else if ((a & 1) == 0 && n >= 2) {
      for (size_t i = 0; i < n / 2; i++) ((board_u16 *)d)[i] = ((const board_u16 *)s)[i];
    } else {
      for (size_t i = 0; i < n; i++) ((uint8_t *)d)[i] = ((const uint8_t *)s)[i];
    }
    return d;
  }
  return memcpy(d, s, n);
}
#define memcpy(d, s, n) board_memcpy(d, s, n)
#endif
