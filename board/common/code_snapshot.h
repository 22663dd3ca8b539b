// wasm3's compiled code kept in flash instead of the heap (ports that define BOARD_CODE_SNAPSHOT: the
// RP2040). wasm3 compiles each function the first time it runs and keeps that code in RAM for good:
// about 170 KiB on a Cortex-M0+ once traffic of every kind and the console have run, two thirds of the
// RP2040's heap. Compiled code is data the interpreter reads, so it can live in flash, read in place
// like the module itself; but it holds the addresses of wasm3's own objects in RAM (functions, globals,
// the module), which only the same firmware image parsing the same module finds again.
//
// So the build makes it: board/rp2040-w5500/snapshot.ts boots the image in rp2040js with a request in
// the region after the image (__code_snapshot); engine_start then compiles every function into that
// region, which the emulator's flash lets it write, turns each call to a function not yet compiled into
// a direct call, and writes a header; the script appends what it wrote to the image. At every boot,
// engine_start checks the header against this image (a hash of it), against the code it describes (a
// hash of the rest of the region) and where wasm3's objects lie, and
// takes the compiled code from flash; any mismatch says so on the console and compiles in RAM as
// before. One function, process(), is compiled into a RAM array instead and copied there at boot, for
// the XIP cache's sake (code_snapshot.c). wasm3 itself is unchanged at run time: its edits (board.mk)
// only route where a code page and a function's constants are allocated, and note the calls that
// op_Compile would patch.
#pragma once
#include <stddef.h>
#include <stdint.h>

/** wasm3's hooks (its sources edited by board.mk). */
void *board_code_page_alloc(size_t bytes);
size_t board_code_page_size(size_t bytes);
void *board_code_constants(const void *from, size_t bytes);
void board_code_call_site(void *const *op, void *op_call);

struct M3Runtime;
struct M3Module;
/** After m3_ParseModule: a request in the region turns the hooks on (its table needs `functions` rows). */
void code_snapshot_open(uint32_t functions);
/** After m3_LoadModule: 1 when every function's compiled code came from flash (then do not link). */
int code_snapshot_restore(struct M3Runtime *runtime, struct M3Module *module);
/** After linking, when a request was found: compiles every function into flash and writes the header. */
int code_snapshot_compile(struct M3Runtime *runtime, struct M3Module *module);
