// wasm3's compiled code in flash (code_snapshot.h says why and how). Without BOARD_CODE_SNAPSHOT the
// hooks are wasm3's own behaviour: code pages and constants in the heap, pages in 1 KiB steps.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "board_config.h"
#include "code_snapshot.h"
#include "m3_env.h"
#include "m3_compile.h"

#ifndef BOARD_CODE_SNAPSHOT

void *board_code_page_alloc(size_t bytes) { return m3_Malloc(bytes); }
size_t board_code_page_size(size_t bytes) { return (bytes + d_m3CodePageAlignSize - 1) & ~(size_t)(d_m3CodePageAlignSize - 1); }
void *board_code_constants(const void *from, size_t bytes) { return m3_CopyMem(from, bytes); }
void board_code_call_site(void *const *op, void *op_call) { (void)op; (void)op_call; }
void code_snapshot_open(uint32_t functions) { (void)functions; }
int code_snapshot_restore(struct M3Runtime *runtime, struct M3Module *module) { (void)runtime; (void)module; return 0; }
int code_snapshot_compile(struct M3Runtime *runtime, struct M3Module *module) { (void)runtime; (void)module; return 1; }

#else

// The region after the image, up to the config slots (link.ld).
extern uint8_t __code_snapshot[], __code_snapshot_end[], __image_start[], __image_end[];

#define SNAPSHOT_MAGIC   0x3370636eu // "ncp3": compiled code follows
#define SNAPSHOT_REQUEST 0x3f70636eu // "ncp?": the build asks for it (snapshot.ts)
// In flash, code pages are large: fewer bridges between pages (an op_Branch each), no heap to spare.
#define FLASH_PAGE_BYTES (32 * 1024)
// One function's code stays in RAM: the export that runs for every batch of frames, where the fast path
// is inlined. rp2040js reads flash at RAM speed, but on silicon every read of flash goes through the
// 16 KiB XIP cache, where a NAT hit's compiled code and wasm3's op handlers evicted each other (the cache
// model, xip-cache.ts: 106.5 misses a frame with it in flash, 21.0 with it here; docs/board.md).
// Compiled at build time into this array (a fixed address, so the code may point into itself) and copied
// into it from flash at every boot, as .data is. wasm3 compiles a function into several pages (an else
// block or a loop's exit goes on a page of its own), so hot_ram is carved into pages of wasm3's usual
// 1 KiB steps while HOT_FUNCTION compiles; the function takes 12 KiB of them.
#define HOT_FUNCTION "process"
#define HOT_BYTES (12 * 1024)
#define HOT_PAGE_ALIGN 1024 // wasm3's own step (d_m3CodePageAlignSize): 256 took 13 KiB, 1 KiB 12
static uint8_t hot_ram[HOT_BYTES] __attribute__((aligned(8)));
static uint32_t hot_top; // bytes of hot_ram in use
static int hot;          // compiling HOT_FUNCTION: its pages come from hot_ram while it has room

typedef struct {
  pc_t compiled;
  void *constants;
  uint16_t max_stack_slots, ret_slots, ret_and_arg_slots, locals, local_bytes, constant_bytes;
} snapshot_function;

typedef struct {
  uint32_t magic;
  uint32_t bytes;      // header, table, code pages and constants
  uint32_t image_hash; // of the image before the region: the firmware and the module it parsed
  uint32_t code_hash;  // of the region from `functions` to its end: a copy cut short or damaged is refused
  uint32_t functions;
  uint32_t hot_at, hot_bytes; // where in the region the copy of hot_ram lies, and its length (0: none)
  // Where wasm3's objects lay when the code was compiled: the code holds their addresses.
  uintptr_t runtime, module, function_array, globals;
  snapshot_function function[];
} snapshot_header;

static snapshot_header *const header = (snapshot_header *)(void *)__code_snapshot;
static int requested;        // the region held a request (the header is cleared as it is taken)
static int compiling;        // and the hooks allocate in the region
static uint8_t *region_top;  // the next free byte of the region while compiling
static void *const **call_sites;
static void *op_call;
static uint32_t call_site_count, call_site_capacity;

/** FNV-1a over whole words of [from, to) (both word-aligned). */
static uint32_t hash_words(const void *from, const void *to) {
  uint32_t h = 2166136261u;
  // FNV-1a over words, with the high half folded down each step: a multiply carries a change only
  // upward, so without the fold two changes in bit 31 of two words would cancel.
  for (const uint32_t *p = from; p < (const uint32_t *)to; p++) { h = (h ^ *p) * 16777619u; h ^= h >> 16; }
  return h;
}

static uint32_t image_hash(void) { return hash_words(__image_start, __image_end); }

/** The header's fields after the hash, the table, code pages and constants: everything the header vouches for.
 *  The header comes first in the region, so an interrupted copy can leave it without the code. */
static uint32_t code_hash(uint32_t bytes) { return hash_words(&header->functions, __code_snapshot + bytes); }

/** Zeroed bytes of the region (wasm3's m3_Malloc is calloc); only while compiling, in the emulator. */
static void *region_take(size_t bytes) {
  bytes = (bytes + 3) & ~(size_t)3;
  if (bytes > (size_t)(__code_snapshot_end - region_top)) return NULL;
  void *p = region_top;
  memset(p, 0, bytes);
  region_top += bytes;
  return p;
}

void *board_code_page_alloc(size_t bytes) {
  if (!compiling) return m3_Malloc(bytes);
  if (hot && bytes <= HOT_BYTES - hot_top) { // else in flash: wasm3 bridges to it from the last hot page
    void *p = hot_ram + hot_top;
    memset(p, 0, bytes);
    hot_top += bytes;
    return p;
  }
  return region_take(bytes);
}

size_t board_code_page_size(size_t bytes) {
  if (compiling && hot) return (bytes + HOT_PAGE_ALIGN - 1) & ~(size_t)(HOT_PAGE_ALIGN - 1);
  if (compiling) return bytes < FLASH_PAGE_BYTES ? FLASH_PAGE_BYTES : (bytes + 3) & ~(size_t)3;
  return (bytes + d_m3CodePageAlignSize - 1) & ~(size_t)(d_m3CodePageAlignSize - 1);
}

void *board_code_constants(const void *from, size_t bytes) {
  if (!compiling) return m3_CopyMem(from, bytes);
  void *p = region_take(bytes);
  if (p) memcpy(p, from, bytes);
  return p;
}

/** A call to a function not compiled yet (op_Compile, its function, its stack offset): wasm3 would patch
 *  it into op_Call the first time it runs, which flash does not allow, so it is patched here instead. */
void board_code_call_site(void *const *op, void *call) {
  if (!compiling) return;
  op_call = call;
  if (call_site_count == call_site_capacity) {
    uint32_t capacity = call_site_capacity ? 2 * call_site_capacity : 256;
    void *const **grown = realloc(call_sites, capacity * sizeof *call_sites);
    if (!grown) { compiling = 0; return; } // code_snapshot_compile reports it
    call_sites = grown, call_site_capacity = capacity;
  }
  call_sites[call_site_count++] = op;
}

void code_snapshot_open(uint32_t functions) {
  if (header->magic != SNAPSHOT_REQUEST) return;
  requested = compiling = 1;
  region_top = __code_snapshot;
  if (!region_take(sizeof(snapshot_header) + functions * sizeof(snapshot_function))) compiling = 0;
}

int code_snapshot_restore(IM3Runtime runtime, IM3Module module) {
  if (requested) return 0;
  if (header->magic != SNAPSHOT_MAGIC) {
    printf("natpass: no compiled code in flash: wasm3 compiles into RAM\n");
    return 0;
  }
  const char *why = header->image_hash != image_hash() ? "for another firmware image"
    : header->bytes > (uint32_t)(__code_snapshot_end - __code_snapshot) || (header->bytes & 3) || header->bytes < sizeof *header
      || header->code_hash != code_hash(header->bytes) ? "damaged or incomplete"
    : header->hot_bytes > sizeof hot_ram || header->hot_at > header->bytes || header->hot_bytes > header->bytes - header->hot_at ? "damaged or incomplete"
    : header->functions != module->numFunctions ? "for another module"
    : header->runtime != (uintptr_t)runtime || header->module != (uintptr_t)module || header->function_array != (uintptr_t)module->functions
      || header->globals != (uintptr_t)module->globals ? "for wasm3's objects elsewhere in RAM" : NULL;
  if (why) {
    printf("natpass: the compiled code in flash is %s (flash the whole image): wasm3 compiles into RAM\n", why);
    return 0;
  }
  memcpy(hot_ram, __code_snapshot + header->hot_at, header->hot_bytes);
  for (uint32_t i = 0; i < module->numFunctions; i++) {
    const snapshot_function *s = &header->function[i];
    IM3Function f = &module->functions[i];
    if (!s->compiled) continue; // compiled on first use, into RAM
    f->compiled = s->compiled;
    f->constants = s->constants;
    f->maxStackSlots = s->max_stack_slots;
    f->numRetSlots = s->ret_slots;
    f->numRetAndArgSlots = s->ret_and_arg_slots;
    f->numLocals = s->locals;
    f->numLocalBytes = s->local_bytes;
    f->numConstantBytes = s->constant_bytes;
    if (!f->module) f->module = module; // an import: its thunk is compiled code too
  }
  printf("natpass: compiled code from flash (%lu KiB; " HOT_FUNCTION "'s %lu bytes in RAM)\n", (unsigned long)(header->bytes / 1024),
         (unsigned long)header->hot_bytes);
  return 1;
}

/** Takes hot_ram's pages off one of wasm3's page lists and appends `rest` to what is left. */
static void keep_off_hot_pages(IM3CodePage *list, IM3CodePage rest) {
  while (*list) {
    if ((uint8_t *)*list >= hot_ram && (uint8_t *)*list < hot_ram + HOT_BYTES) *list = (*list)->info.next;
    else list = &(*list)->info.next;
  }
  *list = rest;
}

/** Compiles HOT_FUNCTION first, into hot_ram: wasm3's open pages are set aside meanwhile so that it takes
 *  a new page, and the page stays off wasm3's lists after, so that no other function is compiled into it. */
static int compile_hot(IM3Runtime runtime, IM3Module module) {
  IM3Function f = NULL;
  for (uint32_t i = 0; i < module->numFunctions && !f; i++)
    for (uint16_t n = 0; n < module->functions[i].numNames; n++)
      if (!strcmp(module->functions[i].names[n], HOT_FUNCTION)) { f = &module->functions[i]; break; }
  if (!f || f->compiled || !f->wasm) return 1; // no such function: everything in flash
  IM3CodePage open = runtime->pagesOpen, full = runtime->pagesFull;
  runtime->pagesOpen = runtime->pagesFull = NULL;
  hot = 1;
  M3Result r = CompileFunction(f);
  hot = 0;
  keep_off_hot_pages(&runtime->pagesOpen, open);
  keep_off_hot_pages(&runtime->pagesFull, full);
  if (r) printf("natpass: compiling " HOT_FUNCTION " failed: %s\n", r);
  return !r;
}

int code_snapshot_compile(IM3Runtime runtime, IM3Module module) {
  if (!requested) return 1;
  if (!compiling) { printf("natpass: no room in flash for the compiled code's table\n"); return 0; }
  if (!compile_hot(runtime, module)) return 0;
  for (uint32_t i = 0; i < module->numFunctions; i++) {
    IM3Function f = &module->functions[i];
    if (f->compiled || !f->wasm) continue;
    M3Result r = CompileFunction(f);
    if (r) { printf("natpass: compiling function %lu into flash failed: %s\n", (unsigned long)i, r); return 0; }
  }
  if (!compiling) { printf("natpass: out of heap noting calls while compiling into flash\n"); return 0; }
  for (uint32_t i = 0; i < call_site_count; i++) {
    void **op = (void **)call_sites[i];
    IM3Function callee = op[1];
    op[0] = op_call, op[1] = (void *)callee->compiled;
  }
  // hot_ram's code is final once its calls are linked: its copy goes into the region, for every boot.
  uint32_t hot_bytes = hot_top;
  void *hot_copy = region_take(hot_bytes);
  if (hot_bytes && !hot_copy) { printf("natpass: no room in flash for " HOT_FUNCTION "'s code\n"); return 0; }
  if (hot_bytes) memcpy(hot_copy, hot_ram, hot_bytes);
  header->hot_at = hot_bytes ? (uint32_t)((uint8_t *)hot_copy - __code_snapshot) : 0;
  header->hot_bytes = hot_bytes;
  for (uint32_t i = 0; i < module->numFunctions; i++) {
    IM3Function f = &module->functions[i];
    header->function[i] = (snapshot_function){ f->compiled, f->constants, f->maxStackSlots, f->numRetSlots, f->numRetAndArgSlots,
                                               f->numLocals, f->numLocalBytes, f->numConstantBytes };
  }
  header->bytes = (uint32_t)(region_top - __code_snapshot);
  header->image_hash = image_hash();
  header->functions = module->numFunctions;
  header->runtime = (uintptr_t)runtime, header->module = (uintptr_t)module;
  header->function_array = (uintptr_t)module->functions, header->globals = (uintptr_t)module->globals;
  header->code_hash = code_hash(header->bytes); // last but the magic: nothing in the region changes after this
  header->magic = SNAPSHOT_MAGIC;
  compiling = 0;
  printf("natpass: compiled code written to flash: %lu bytes at 0x%08lx, %lu calls linked\n", (unsigned long)header->bytes,
         (unsigned long)(uintptr_t)__code_snapshot, (unsigned long)call_site_count);
  return 1;
}

#endif
