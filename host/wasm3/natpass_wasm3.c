// The wasm3 engine for Node: a small N-API addon that runs the natpass module under the real wasm3
// interpreter. It follows wasm3's fixed start-up sequence (environment -> runtime -> parse -> load ->
// link -> find -> call), reports every M3Result as text, links the module's one import
// (natpass.abort), and exposes linear memory as an ArrayBuffer that is re-made only when wasm3 moves it.
#include <node_api.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "wasm3.h"

#define STACK_BYTES (256 * 1024)
#define MAX_FUNCS 64
#define MAX_ARGS 8

typedef struct {
  IM3Environment env;
  IM3Runtime runtime;
  uint8_t *wasm; // wasm3 keeps pointers into the bytes: they live as long as the runtime
  char abort_message[512];
  struct { char name[48]; IM3Function fn; } funcs[MAX_FUNCS];
  int nfuncs;
  napi_ref memory_ref;
  uint8_t *memory_ptr;
  uint32_t memory_size;
} Engine;

static const char TRAP_ABORT[] = "[trap] natpass.abort";

static napi_value throw_error(napi_env env, const char *what, const char *detail) {
  char msg[700];
  snprintf(msg, sizeof msg, "wasm3: %s%s%s", what, detail ? ": " : "", detail ? detail : "");
  napi_throw_error(env, NULL, msg);
  return NULL;
}

// Reads an AssemblyScript string (UTF-16LE, byte length stored 4 bytes before it) as ASCII.
static void read_as_string(uint8_t *mem, uint32_t size, uint32_t ptr, char *out, size_t cap) {
  out[0] = 0;
  if (ptr < 4 || ptr > size) return;
  uint32_t bytes;
  memcpy(&bytes, mem + ptr - 4, 4);
  if ((uint64_t)ptr + bytes > size) return;
  size_t n = 0;
  for (uint32_t i = 0; i + 1 < bytes && n + 1 < cap; i += 2) {
    uint16_t c = (uint16_t)(mem[ptr + i] | (mem[ptr + i + 1] << 8));
    out[n++] = c < 128 ? (char)c : '?';
  }
  out[n] = 0;
}

static m3ApiRawFunction(natpass_abort) {
  m3ApiGetArg(uint32_t, msg);
  m3ApiGetArg(uint32_t, file);
  m3ApiGetArg(uint32_t, line);
  m3ApiGetArg(uint32_t, column);
  Engine *e = (Engine *)m3_GetUserData(runtime);
  uint32_t size = m3_GetMemorySize(runtime);
  char m[200], f[200];
  read_as_string((uint8_t *)_mem, size, msg, m, sizeof m);
  read_as_string((uint8_t *)_mem, size, file, f, sizeof f);
  snprintf(e->abort_message, sizeof e->abort_message, "module abort: %s at %s:%u:%u", m, f, line, column);
  m3ApiTrap(TRAP_ABORT);
}

static void engine_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  Engine *e = (Engine *)data;
  if (e->memory_ref) napi_delete_reference(env, e->memory_ref);
  if (e->runtime) m3_FreeRuntime(e->runtime);
  if (e->env) m3_FreeEnvironment(e->env);
  free(e->wasm);
  free(e);
}

static Engine *unwrap(napi_env env, napi_value v) {
  Engine *e = NULL;
  if (napi_get_value_external(env, v, (void **)&e) != napi_ok) return NULL;
  return e;
}

// load(bytes: Uint8Array) -> engine handle
static napi_value load(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *data;
  size_t length;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  if (argc < 1 || napi_get_typedarray_info(env, argv[0], &type, &length, &data, &ab, &offset) != napi_ok || type != napi_uint8_array)
    return throw_error(env, "load() needs the module bytes as a Uint8Array", NULL);
  Engine *e = calloc(1, sizeof(Engine));
  e->wasm = malloc(length);
  memcpy(e->wasm, data, length);
  M3Result r;
  e->env = m3_NewEnvironment();
  if (!e->env) { engine_finalize(env, e, NULL); return throw_error(env, "m3_NewEnvironment failed", NULL); }
  e->runtime = m3_NewRuntime(e->env, STACK_BYTES, e);
  if (!e->runtime) { engine_finalize(env, e, NULL); return throw_error(env, "m3_NewRuntime failed", NULL); }
  IM3Module module;
  if ((r = m3_ParseModule(e->env, &module, e->wasm, (uint32_t)length))) { engine_finalize(env, e, NULL); return throw_error(env, "m3_ParseModule", r); }
  if ((r = m3_LoadModule(e->runtime, module))) { m3_FreeModule(module); engine_finalize(env, e, NULL); return throw_error(env, "m3_LoadModule", r); }
  // The link table: module "natpass", one import.
  static const struct { const char *module, *name, *signature; M3RawCall fn; } links[] = {
    { "natpass", "abort", "v(iiii)", natpass_abort },
  };
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    r = m3_LinkRawFunction(module, links[i].module, links[i].name, links[i].signature, links[i].fn);
    if (r && r != m3Err_functionLookupFailed) { engine_finalize(env, e, NULL); return throw_error(env, "m3_LinkRawFunction", r); }
  }
  if ((r = m3_RunStart(module))) { engine_finalize(env, e, NULL); return throw_error(env, "m3_RunStart", r); }
  napi_value handle;
  napi_create_external(env, e, engine_finalize, NULL, &handle);
  return handle;
}

static IM3Function find(Engine *e, const char *name, M3Result *r) {
  for (int i = 0; i < e->nfuncs; i++) if (strcmp(e->funcs[i].name, name) == 0) return e->funcs[i].fn;
  IM3Function fn;
  if ((*r = m3_FindFunction(&fn, e->runtime, name))) return NULL;
  if (e->nfuncs < MAX_FUNCS && strlen(name) < sizeof e->funcs[0].name) {
    strcpy(e->funcs[e->nfuncs].name, name);
    e->funcs[e->nfuncs++].fn = fn;
  }
  return fn;
}

// call(handle, name, ...i32 args) -> i32 (0 for void)
static napi_value call(napi_env env, napi_callback_info info) {
  size_t argc = 2 + MAX_ARGS;
  napi_value argv[2 + MAX_ARGS];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Engine *e = argc >= 2 ? unwrap(env, argv[0]) : NULL;
  if (!e) return throw_error(env, "call(handle, name, ...args) needs an engine handle", NULL);
  char name[64];
  size_t n;
  if (napi_get_value_string_utf8(env, argv[1], name, sizeof name, &n) != napi_ok) return throw_error(env, "call: the function name must be a string", NULL);
  M3Result r = NULL;
  IM3Function fn = find(e, name, &r);
  if (!fn) return throw_error(env, name, r);
  uint32_t nargs = m3_GetArgCount(fn);
  if (nargs != argc - 2) {
    char detail[96];
    snprintf(detail, sizeof detail, "takes %u argument(s), got %zu", nargs, argc - 2);
    return throw_error(env, name, detail);
  }
  int32_t values[MAX_ARGS];
  const void *ptrs[MAX_ARGS];
  for (uint32_t i = 0; i < nargs; i++) {
    napi_get_value_int32(env, argv[2 + i], &values[i]);
    ptrs[i] = &values[i];
  }
  e->abort_message[0] = 0;
  r = m3_Call(fn, nargs, ptrs);
  if (r) {
    if (r == TRAP_ABORT || e->abort_message[0]) return throw_error(env, e->abort_message, NULL);
    M3ErrorInfo ei;
    m3_GetErrorInfo(e->runtime, &ei);
    return throw_error(env, name, ei.message ? ei.message : r);
  }
  int32_t result = 0;
  if (m3_GetRetCount(fn) > 0) {
    const void *rets[1] = { &result };
    if ((r = m3_GetResults(fn, 1, rets))) return throw_error(env, "m3_GetResults", r);
  }
  napi_value out;
  napi_create_int32(env, result, &out);
  return out;
}

// memory(handle) -> ArrayBuffer over wasm3's linear memory (the same object until wasm3 moves it)
static napi_value memory(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  Engine *e = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (!e) return throw_error(env, "memory(handle) needs an engine handle", NULL);
  uint32_t size = 0;
  uint8_t *ptr = m3_GetMemory(e->runtime, &size, 0);
  napi_value buf;
  if (e->memory_ref && ptr == e->memory_ptr && size == e->memory_size) {
    napi_get_reference_value(env, e->memory_ref, &buf);
    if (buf) return buf;
  }
  if (e->memory_ref) {
    // The old view must not be used any more: detach it so stale reads fail loudly.
    napi_value old;
    napi_get_reference_value(env, e->memory_ref, &old);
    if (old) napi_detach_arraybuffer(env, old);
    napi_delete_reference(env, e->memory_ref);
    e->memory_ref = NULL;
  }
  if (napi_create_external_arraybuffer(env, ptr, size, NULL, NULL, &buf) != napi_ok) return throw_error(env, "cannot expose linear memory", NULL);
  napi_create_reference(env, buf, 1, &e->memory_ref);
  e->memory_ptr = ptr;
  e->memory_size = size;
  return buf;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "load", NULL, load, NULL, NULL, NULL, napi_default, NULL },
    { "call", NULL, call, NULL, NULL, NULL, napi_default, NULL },
    { "memory", NULL, memory, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
