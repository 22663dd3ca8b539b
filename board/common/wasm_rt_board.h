// Our own implementation of the wasm-rt runtime functions (wabt's wasm-rt.h) that wasm2c's output calls,
// for a board with no OS: no mmap, no signals, no guard pages. See wasm_rt_board.c.
#pragma once
#include <setjmp.h>
#include "wasm-rt.h"

/** Where wasm_rt_trap jumps (setjmp's value is the trap), or NULL: a trap with no target halts. */
void wasm_rt_board_trap_target(jmp_buf *target);
/** A trap's name, as wasm3 words its own. */
const char *wasm_rt_board_strerror(wasm_rt_trap_t trap);
