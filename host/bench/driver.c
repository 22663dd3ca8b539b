// Native bench driver: runs the natpass module compiled to C by wasm2c (the ceiling), or under wasm3
// linked in directly (for instruction counts without Node in the way). It moves frames exactly as
// host/router.ts does: slots of {u16 port, u16 length, bytes} in the input ring, one process() call
// per batch. Input files come from host/bench/bench.ts: the config record and the frame set.
//   driver CONFIG.bin FRAMES.bin BATCH FLOWS MODE(hits|misses) PACKETS RUNS
// Prints one JSON line: {"pps":[...runs...]}.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FRAME_BYTES 64

static uint8_t *mem_base(void);
static uint32_t call0(const char *name);
static uint32_t call2(const char *name, uint32_t a, uint32_t b);
static void backend_load(void);

#if defined(BACKEND_WASM2C)
#include "natpass_w2c.h"
static Z_np_instance_t inst;
#if NATPASS_IMPORTS_ABORT
struct Z_natpass_instance_t;
void Z_natpassZ_abort(struct Z_natpass_instance_t *ctx, u32 m, u32 f, u32 l, u32 c) {
  (void)ctx; (void)m; (void)f;
  fprintf(stderr, "module abort at line %u:%u\n", l, c);
  exit(3);
}
#endif
static void backend_load(void) {
  wasm_rt_init();
  Z_np_init_module();
#if NATPASS_IMPORTS_ABORT
  Z_np_instantiate(&inst, NULL);
#else
  Z_np_instantiate(&inst);
#endif
}
static uint8_t *mem_base(void) { return Z_npZ_memory(&inst)->data; }
static uint32_t call0(const char *name) {
  if (!strcmp(name, "configPtr")) return Z_npZ_configPtr(&inst);
  if (!strcmp(name, "inRing")) return Z_npZ_inRing(&inst);
  if (!strcmp(name, "slotBytes")) return Z_npZ_slotBytes(&inst);
  fprintf(stderr, "no export %s\n", name); exit(2);
}
static uint32_t call2(const char *name, uint32_t a, uint32_t b) {
  if (!strcmp(name, "init")) return Z_npZ_init(&inst, a, b);
  if (!strcmp(name, "process")) return Z_npZ_process(&inst, a, b);
  fprintf(stderr, "no export %s\n", name); exit(2);
}
#define PROCESS(n, t) Z_npZ_process(&inst, (n), (t))
#elif defined(BACKEND_WASM3)
#include "wasm3.h"
static IM3Runtime rt;
static IM3Function f_process;
static uint8_t *wasm_bytes;
static m3ApiRawFunction(natpass_abort) { (void)_sp; (void)_mem; (void)runtime; fprintf(stderr, "module abort\n"); exit(3); }
static void check(M3Result r, const char *what) { if (r) { fprintf(stderr, "%s: %s\n", what, r); exit(2); } }
static void backend_load(void) {
  FILE *f = fopen(getenv("NATPASS_WASM") ? getenv("NATPASS_WASM") : "build/natpass.wasm", "rb");
  if (!f) { perror("natpass.wasm"); exit(2); }
  fseek(f, 0, SEEK_END); long n = ftell(f); fseek(f, 0, SEEK_SET);
  wasm_bytes = malloc(n);
  if (fread(wasm_bytes, 1, n, f) != (size_t)n) exit(2);
  fclose(f);
  IM3Environment env = m3_NewEnvironment();
  rt = m3_NewRuntime(env, 256 * 1024, NULL);
  IM3Module mod;
  check(m3_ParseModule(env, &mod, wasm_bytes, n), "parse");
  check(m3_LoadModule(rt, mod), "load");
  M3Result r = m3_LinkRawFunction(mod, "natpass", "abort", "v(iiii)", natpass_abort);
  if (r && r != m3Err_functionLookupFailed) check(r, "link");
  check(m3_FindFunction(&f_process, rt, "process"), "find process");
}
static uint8_t *mem_base(void) { uint32_t s; return m3_GetMemory(rt, &s, 0); }
static uint32_t callv(const char *name, int argc, uint32_t a, uint32_t b) {
  IM3Function fn;
  check(m3_FindFunction(&fn, rt, name), name);
  const void *args[2] = { &a, &b };
  check(m3_Call(fn, argc, args), name);
  uint32_t ret = 0;
  const void *rets[1] = { &ret };
  if (m3_GetRetCount(fn)) check(m3_GetResults(fn, 1, rets), name);
  return ret;
}
static uint32_t call0(const char *name) { return callv(name, 0, 0, 0); }
static uint32_t call2(const char *name, uint32_t a, uint32_t b) { return callv(name, 2, a, b); }
static uint32_t process_fast(uint32_t n, uint32_t t) {
  const void *args[2] = { &n, &t };
  m3_Call(f_process, 2, args);
  return 0;
}
#define PROCESS(n, t) process_fast((n), (t))
#else
#error define BACKEND_WASM2C or BACKEND_WASM3
#endif

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(2); }
  fseek(f, 0, SEEK_END); *len = ftell(f); fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(*len);
  if (fread(b, 1, *len, f) != *len) exit(2);
  fclose(f);
  return b;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t *config; static size_t config_len;
static uint8_t *frames; static size_t nframes;
static uint32_t clock_ms = 1;

static void restart(void) {
  memcpy(mem_base() + call0("configPtr"), config, config_len);
  if (call2("init", (uint32_t)config_len, clock_ms)) { fprintf(stderr, "init refused the config\n"); exit(2); }
  // Frame 0 is the gateway's ARP request: the router learns the next hop before the flows start.
  uint8_t *ring = mem_base() + call0("inRing");
  uint16_t hdr[2] = { 1, FRAME_BYTES };
  memcpy(ring, hdr, 4);
  memcpy(ring + 4, frames, FRAME_BYTES);
  PROCESS(1, clock_ms);
}

/* Sends `packets` frames from flows [1, flows] (cycling), `batch` per process() call. */
__attribute__((noinline)) uint64_t run_cell(uint32_t batch, uint32_t flows, uint64_t packets, uint64_t start) {
  uint32_t slot = call0("slotBytes");
  uint8_t *ring = mem_base() + call0("inRing");
  uint64_t k = start;
  for (uint64_t sent = 0; sent < packets; sent += batch) {
    for (uint32_t i = 0; i < batch; i++, k++) {
      uint8_t *s = ring + (size_t)i * slot;
      s[0] = 0; s[1] = 0; s[2] = FRAME_BYTES; s[3] = 0;
      memcpy(s + 4, frames + (1 + (k % flows)) * FRAME_BYTES, FRAME_BYTES);
    }
    PROCESS(batch, clock_ms);
  }
  return k - start;
}

int main(int argc, char **argv) {
  if (argc < 8) { fprintf(stderr, "usage: driver CONFIG FRAMES BATCH FLOWS hits|misses PACKETS RUNS\n"); return 2; }
  config = read_file(argv[1], &config_len);
  size_t flen;
  frames = read_file(argv[2], &flen);
  nframes = flen / FRAME_BYTES;
  uint32_t batch = atoi(argv[3]), flows = atoi(argv[4]);
  int misses = !strcmp(argv[5], "misses");
  uint64_t packets = strtoull(argv[6], NULL, 10);
  int runs = atoi(argv[7]);
  if (flows + 1 > nframes) { fprintf(stderr, "only %zu frames\n", nframes); return 2; }
  backend_load();
  printf("{\"pps\":[");
  for (int r = 0; r < runs; r++) {
    restart();
    if (!misses) run_cell(batch, flows, flows, 0); // warm: every flow has its session
    uint64_t n = misses ? flows : packets;
    double t0 = now_s();
    uint64_t sent = run_cell(batch, flows, n, 0);
    double dt = now_s() - t0;
    printf("%s%.0f", r ? "," : "", sent / dt);
    clock_ms += 1;
  }
  printf("]}\n");
  return 0;
}
