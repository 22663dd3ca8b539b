// The wasm3 engine (the default): wasm3's fixed start-up sequence (environment, runtime, parse, load,
// link, find) on the module kept in flash, every M3Result checked and printed. wasm3 keeps the parsed
// module and each function's compiled code in the heap; its value stack is painted to measure its use.
#include <stdio.h>
#include <string.h>
#include "board_config.h"
#include "code_snapshot.h"
#include "engine.h"
#include "module.h"
#include "wasm3.h"
#include "m3_env.h"

extern char *heap_peak;
extern char __heap_start;

static IM3Runtime runtime;
static IM3Function fn_process;

static m3ApiRawFunction(natpass_abort) {
  m3ApiGetArg(uint32_t, msg);
  m3ApiGetArg(uint32_t, file);
  m3ApiGetArg(uint32_t, line);
  m3ApiGetArg(uint32_t, column);
  (void)msg; (void)file; (void)_mem;
  printf("natpass: module abort at %lu:%lu\n", (unsigned long)line, (unsigned long)column);
  m3ApiTrap(m3Err_trapAbort);
}

// The link table for module "natpass": one row per import.
static const struct { const char *module, *name, *signature; M3RawCall function; } links[] = {
  { "natpass", "abort",  "v(iiii)", natpass_abort },
};

// wasm3's value stack grows up from runtime->stack; painted at start, its deepest use is the last
// byte that lost the paint. BOARD_WASM3_STACK_BYTES is sized by this figure (make size).
#define VALUE_STACK_PAINT 0xa5
uint32_t engine_value_stack_used(uint32_t *bytes) {
  const uint8_t *p = runtime->stack;
  uint32_t n = BOARD_WASM3_STACK_BYTES;
  *bytes = n;
  while (n > 0 && p[n - 1] == VALUE_STACK_PAINT) n--;
  return n;
}

const char *engine_name(void) { return "wasm3 " M3_VERSION; }

static int failed(const char *step, M3Result r) {
  if (!r) return 0;
  M3ErrorInfo info;
  if (runtime) m3_GetErrorInfo(runtime, &info);
  printf("natpass: %s failed: %s%s%s\n", step, r, runtime && info.message ? " - " : "", runtime && info.message ? info.message : "");
  return 1;
}

uint32_t engine_call(const char *name, int argc, uint32_t a, uint32_t b, int *ok) {
  IM3Function fn;
  uint32_t ret = 0;
  *ok = 0;
  if (failed(name, m3_FindFunction(&fn, runtime, name))) return 0;
  const void *args[2] = { &a, &b };
  if (failed(name, m3_Call(fn, argc, args))) return 0;
  if (m3_GetRetCount(fn)) {
    const void *rets[1] = { &ret };
    if (failed(name, m3_GetResults(fn, 1, rets))) return 0;
  }
  *ok = 1;
  return ret;
}

uint32_t engine_process(uint32_t count, uint32_t now, int *ok) {
  const void *args[2] = { &count, &now };
  *ok = 0;
  if (failed("process", m3_Call(fn_process, 2, args))) return 0;
  uint32_t produced = 0;
  const void *rets[1] = { &produced };
  m3_GetResults(fn_process, 1, rets);
  *ok = 1;
  return produced;
}

uint8_t *engine_memory(uint32_t *bytes) {
  uint32_t size;
  uint8_t *mem = m3_GetMemory(runtime, &size, 0);
  if (bytes) *bytes = size;
  return mem;
}

int engine_start(void) {
  IM3Environment env = m3_NewEnvironment();
  if (!env) { printf("natpass: m3_NewEnvironment failed\n"); return 0; }
  runtime = m3_NewRuntime(env, BOARD_WASM3_STACK_BYTES, NULL);
  if (!runtime) { printf("natpass: m3_NewRuntime failed\n"); return 0; }
  memset(runtime->stack, VALUE_STACK_PAINT, BOARD_WASM3_STACK_BYTES); // its high-water mark, for margins
  IM3Module module;
  // The bytes stay in flash: wasm3 keeps pointers into them rather than copying.
  if (failed("m3_ParseModule", m3_ParseModule(env, &module, natpass_wasm, (uint32_t)(natpass_wasm_end - natpass_wasm)))) return 0;
  // Linear memory is allocated once, at the size the default config's tables need (measured at build
  // time), so init finds it large enough: growing it page by page would copy it each time (newlib's
  // realloc) and leave holes in a heap with no room to spare. wasm3's memoryLimit allocates only those
  // bytes of the last 64 KiB page; the module is told the same limit (host_loop.c's init_with).
  uint32_t pages = (natpass_memory_bytes + 0xffff) >> 16;
  if (module->memoryInfo.initPages < pages) module->memoryInfo.initPages = pages;
  runtime->memoryLimit = natpass_memory_bytes;
  code_snapshot_open(module->numFunctions);
  if (failed("m3_LoadModule", m3_LoadModule(runtime, module))) return 0;
  // Compiled code from flash (code_snapshot.h) has its imports linked already.
  if (!code_snapshot_restore(runtime, module)) {
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
      M3Result r = m3_LinkRawFunction(module, links[i].module, links[i].name, links[i].signature, links[i].function);
      if (r != m3Err_functionLookupFailed && failed("m3_LinkRawFunction", r)) return 0;
    }
    if (!code_snapshot_compile(runtime, module)) return 0;
  }
  printf("natpass: module loaded (%lu bytes in flash), heap used %lu KiB\n", (unsigned long)(natpass_wasm_end - natpass_wasm),
         (unsigned long)((heap_peak - &__heap_start) / 1024));
  return !failed("m3_FindFunction(process)", m3_FindFunction(&fn_process, runtime, "process"));
}
