// The runtime functions wasm2c's generated code needs (declared by Debian wabt's wasm-rt.h), written
// for the board: linear memory is one static array of exactly NATPASS_MEMORY_BYTES (the default
// config's memoryUsed, board.mk), so there is no heap allocation, no mmap and no guard page; every load
// and store is bounds-checked by the generated code against `size` (wasm-rt.h turns the signal-handler
// check off on 32-bit targets). Like wasm3 with memoryLimit, the last 64 KiB page is only partly
// backed: `size` stops at the array's end and memory.grow past it fails. A trap longjmps to the target
// engine_wasm2c.c set. One instance only: there is one module on the board.
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "wasm_rt_board.h"

#define PAGE 65536u
#define MAX_FUNC_TYPES 48 // distinct signatures in the module (17 on 2026-12-03)
#define MAX_TYPE_ARITY 20 // params + results of one signature (12 at most on 2026-12-03)
#define MAX_TABLE 64      // function-table entries (42 on 2026-12-03: the console's screens, the stages)

static uint8_t linear_memory[NATPASS_MEMORY_BYTES] __attribute__((aligned(8)));
static wasm_rt_funcref_t table_storage[MAX_TABLE];
static jmp_buf *trap_target;
static bool initialized;
uint32_t wasm_rt_call_stack_depth;

void wasm_rt_init(void) { initialized = true; }
bool wasm_rt_is_initialized(void) { return initialized; }
void wasm_rt_free(void) { initialized = false; }

void wasm_rt_board_trap_target(jmp_buf *target) { trap_target = target; }

void wasm_rt_trap(wasm_rt_trap_t trap) {
  wasm_rt_call_stack_depth = 0; // every call into the module starts from the host, at depth 0
  if (trap_target) longjmp(*trap_target, (int)trap);
  printf("natpass: wasm trap %s outside a call: halted\n", wasm_rt_board_strerror(trap));
  for (;;) {}
}

const char *wasm_rt_board_strerror(wasm_rt_trap_t trap) {
  switch (trap) {
  case WASM_RT_TRAP_OOB: return "[trap] out of bounds memory access";
  case WASM_RT_TRAP_INT_OVERFLOW: return "[trap] integer overflow";
  case WASM_RT_TRAP_DIV_BY_ZERO: return "[trap] integer divide by zero";
  case WASM_RT_TRAP_INVALID_CONVERSION: return "[trap] invalid conversion to integer";
  case WASM_RT_TRAP_UNREACHABLE: return "[trap] unreachable executed";
  case WASM_RT_TRAP_CALL_INDIRECT: return "[trap] indirect call type mismatch";
  case WASM_RT_TRAP_EXHAUSTION: return "[trap] stack overflow";
  default: return "[trap] unknown";
  }
}

// Signatures are registered by value: the same params and results give the same index, which
// call_indirect compares against the table entry's.
static struct { uint32_t params, results; wasm_rt_type_t types[MAX_TYPE_ARITY]; } func_types[MAX_FUNC_TYPES];
static uint32_t func_type_count;

/** A module past this runtime's fixed sizes: said plainly at boot (raise the constant above). */
static void too_many(const char *what, uint32_t n) {
  printf("natpass: the module has %lu %s, more than wasm_rt_board.c holds: halted\n", (unsigned long)n, what);
  for (;;) {}
}

uint32_t wasm_rt_register_func_type(uint32_t params, uint32_t results, ...) {
  wasm_rt_type_t types[MAX_TYPE_ARITY];
  uint32_t n = params + results;
  if (n > MAX_TYPE_ARITY) too_many("parameters and results in one signature", n);
  va_list ap;
  va_start(ap, results);
  for (uint32_t i = 0; i < n; i++) types[i] = (wasm_rt_type_t)va_arg(ap, int);
  va_end(ap);
  for (uint32_t i = 0; i < func_type_count; i++)
    if (func_types[i].params == params && func_types[i].results == results && !memcmp(func_types[i].types, types, n * sizeof types[0])) return i + 1;
  if (func_type_count == MAX_FUNC_TYPES) too_many("signatures", func_type_count + 1);
  func_types[func_type_count].params = params;
  func_types[func_type_count].results = results;
  memcpy(func_types[func_type_count].types, types, n * sizeof types[0]);
  return ++func_type_count; // 0 stays free: a null table entry's type
}

static uint32_t backed_bytes(uint32_t pages) {
  uint64_t bytes = (uint64_t)pages * PAGE;
  return bytes < sizeof linear_memory ? (uint32_t)bytes : (uint32_t)sizeof linear_memory;
}

void wasm_rt_allocate_memory(wasm_rt_memory_t *mem, uint32_t initial_pages, uint32_t max_pages) {
  uint32_t limit = (uint32_t)((sizeof linear_memory + PAGE - 1) / PAGE);
  if (initial_pages > limit) wasm_rt_trap(WASM_RT_TRAP_OOB);
  memset(linear_memory, 0, sizeof linear_memory);
  mem->data = linear_memory;
  mem->pages = initial_pages;
  mem->max_pages = max_pages < limit ? max_pages : limit;
  mem->size = backed_bytes(initial_pages);
}

uint32_t wasm_rt_grow_memory(wasm_rt_memory_t *mem, uint32_t delta) {
  uint32_t old = mem->pages;
  if (delta > mem->max_pages - old) return UINT32_MAX;
  mem->pages = old + delta;
  mem->size = backed_bytes(mem->pages); // zeroed at allocation
  return old;
}

void wasm_rt_free_memory(wasm_rt_memory_t *mem) { mem->data = NULL; mem->size = 0; mem->pages = 0; }

void wasm_rt_allocate_funcref_table(wasm_rt_funcref_table_t *table, uint32_t elements, uint32_t max_elements) {
  if (elements > MAX_TABLE) too_many("function-table entries", elements);
  memset(table_storage, 0, sizeof table_storage);
  table->data = table_storage;
  table->size = elements;
  table->max_size = max_elements < MAX_TABLE ? max_elements : MAX_TABLE;
}

void wasm_rt_free_funcref_table(wasm_rt_funcref_table_t *table) { table->data = NULL; table->size = 0; }
