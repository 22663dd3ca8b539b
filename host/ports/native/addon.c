// N-API glue for native frame ports: open(kind, name) gives a handle number; poll(handle, fn) calls fn
// once per readiness event (libuv, level-triggered: a port not drained fires again next turn);
// read/write move whole batches between descriptors and the module's rings (batch.c); stats and
// close. Bad arguments throw a one-line error; nothing here aborts the process.
#include <node_api.h>
#include <uv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ports.h"

#define MAX_PORTS 256 // handles are never reused (libuv may still hold a closed one), so this bounds opens per process

struct handle {
  struct port_io io;
  uv_poll_t poll;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  int open, polling;
};

static struct handle *handles[MAX_PORTS];

#define THROW(env, ...) do { char m_[200]; snprintf(m_, sizeof m_, __VA_ARGS__); napi_throw_error(env, NULL, m_); return NULL; } while (0)

static int args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  return argc >= want;
}

static int get_u32(napi_env env, napi_value v, uint32_t *out) {
  return napi_get_value_uint32(env, v, out) == napi_ok;
}

static struct handle *get_handle(napi_env env, napi_value v) {
  uint32_t id;
  if (!get_u32(env, v, &id) || id >= MAX_PORTS || !handles[id] || !handles[id]->open) return NULL;
  return handles[id];
}

static uint8_t *get_bytes(napi_env env, napi_value v, size_t *len) {
  napi_typedarray_type type;
  void *data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, len, &data, &ab, &off) != napi_ok || type != napi_uint8_array) return NULL;
  return data;
}

static napi_value number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

// open(kind: 'tap' | 'packet', name): handle
static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  char kind[16], name[32], err[160];
  size_t klen, nlen;
  if (!args(env, info, 2, argv) || napi_get_value_string_utf8(env, argv[0], kind, sizeof kind, &klen) != napi_ok ||
      napi_get_value_string_utf8(env, argv[1], name, sizeof name, &nlen) != napi_ok || nlen == 0 || nlen >= 16)
    THROW(env, "open(kind, name) needs a kind and an interface name of at most 15 characters");
  int is_tap = strcmp(kind, "tap") == 0;
  if (!is_tap && strcmp(kind, "packet") != 0) THROW(env, "port kind must be tap or packet, not %s", kind);
  int id = 0;
  while (id < MAX_PORTS && handles[id]) id++;
  if (id == MAX_PORTS) THROW(env, "too many open ports");
  int fd = is_tap ? open_tap(name, err, sizeof err) : open_packet(name, err, sizeof err);
  if (fd < 0) THROW(env, "%s", err);
  struct handle *h = calloc(1, sizeof *h);
  if (!h) { close(fd); THROW(env, "out of memory"); }
  h->io.fd = fd;
  h->io.kind = is_tap ? KIND_TAP : KIND_PACKET;
  if (!port_buffers(&h->io)) { close(fd); free(h); THROW(env, "%s: cannot map receive buffers", name); }
  h->env = env;
  h->open = 1;
  handles[id] = h;
  return number(env, id);
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  struct handle *h = poll->data;
  (void)status; (void)events;
  napi_env env = h->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value fn, recv, result;
  napi_get_reference_value(env, h->callback, &fn);
  napi_get_global(env, &recv); // make_callback needs an object as receiver
  // make_callback runs the microtask queue afterwards, as any libuv-driven callback in Node does.
  if (napi_make_callback(env, h->context, recv, fn, 0, NULL, &result) != napi_ok) {
    napi_value e;
    if (napi_get_and_clear_last_exception(env, &e) == napi_ok) napi_fatal_exception(env, e);
  }
  napi_close_handle_scope(env, scope);
}

// poll(handle, fn): fn() runs whenever the port has frames to read.
static napi_value js_poll(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  struct handle *h;
  if (!args(env, info, 2, argv) || !(h = get_handle(env, argv[0]))) THROW(env, "poll(handle, fn): no such port");
  if (h->polling) THROW(env, "port is already polled");
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  napi_value name;
  napi_create_string_utf8(env, "natpass.port", NAPI_AUTO_LENGTH, &name);
  if (napi_create_reference(env, argv[1], 1, &h->callback) != napi_ok) THROW(env, "poll: fn must be a function");
  napi_async_init(env, NULL, name, &h->context);
  uv_poll_init(loop, &h->poll, h->io.fd);
  h->poll.data = h;
  uv_poll_start(&h->poll, UV_READABLE, on_readable);
  h->polling = 1;
  return NULL;
}

// read(handle, mem, ring, slotBytes, portNo, first, max): frames read into slots first.. of the ring
static napi_value js_read(napi_env env, napi_callback_info info) {
  napi_value argv[7];
  struct handle *h;
  size_t len;
  uint8_t *mem;
  uint32_t ring, slot_bytes, port_no, first, max;
  if (!args(env, info, 7, argv) || !(h = get_handle(env, argv[0])) || !(mem = get_bytes(env, argv[1], &len)) ||
      !get_u32(env, argv[2], &ring) || !get_u32(env, argv[3], &slot_bytes) || !get_u32(env, argv[4], &port_no) ||
      !get_u32(env, argv[5], &first) || !get_u32(env, argv[6], &max))
    THROW(env, "read(handle, mem, ring, slotBytes, portNo, first, max): bad arguments");
  if (slot_bytes <= SLOT_DATA || port_no > 1 || (uint64_t)ring + ((uint64_t)first + max) * slot_bytes > len)
    THROW(env, "read: the ring does not fit in memory");
  return number(env, read_batch(&h->io, mem + ring + (size_t)first * slot_bytes, slot_bytes, (uint16_t)port_no, max));
}

// write(lan, wan, mem, outRing, slotBytes, count): transmits the output ring's frames
static napi_value js_write(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  struct handle *lan, *wan;
  size_t len;
  uint8_t *mem;
  uint32_t ring, slot_bytes, count;
  if (!args(env, info, 6, argv) || !(lan = get_handle(env, argv[0])) || !(wan = get_handle(env, argv[1])) ||
      !(mem = get_bytes(env, argv[2], &len)) || !get_u32(env, argv[3], &ring) || !get_u32(env, argv[4], &slot_bytes) ||
      !get_u32(env, argv[5], &count))
    THROW(env, "write(lan, wan, mem, outRing, slotBytes, count): bad arguments");
  if (slot_bytes <= SLOT_DATA || (uint64_t)ring + (uint64_t)count * slot_bytes > len) THROW(env, "write: the ring does not fit in memory");
  struct port_io *ports[2] = { &lan->io, &wan->io };
  write_batch(ports, mem, len, ring, slot_bytes, count);
  return NULL;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1], obj;
  struct handle *h;
  if (!args(env, info, 1, argv) || !(h = get_handle(env, argv[0]))) THROW(env, "stats(handle): no such port");
  refresh_kernel_drops(&h->io);
  const struct port_stats *s = &h->io.stats;
  napi_create_object(env, &obj);
  napi_set_named_property(env, obj, "rxBatches", number(env, s->rx_batches));
  napi_set_named_property(env, obj, "rxFrames", number(env, s->rx_frames));
  napi_set_named_property(env, obj, "rxFull", number(env, s->rx_full));
  napi_set_named_property(env, obj, "txFrames", number(env, s->tx_frames));
  napi_set_named_property(env, obj, "txDrops", number(env, s->tx_drops));
  napi_set_named_property(env, obj, "kernelDrops", number(env, s->kernel_drops));
  napi_set_named_property(env, obj, "txMerged", number(env, s->tx_merged));
  napi_set_named_property(env, obj, "rxSplit", number(env, s->rx_split));
  return obj;
}

static void after_close(uv_handle_t *poll) {
  struct handle *h = poll->data;
  close(h->io.fd);
  release_port(&h->io);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  struct handle *h;
  if (!args(env, info, 1, argv) || !(h = get_handle(env, argv[0]))) return NULL; // closing twice is harmless
  h->open = 0;
  if (h->polling) {
    uv_poll_stop(&h->poll);
    napi_delete_reference(env, h->callback);
    napi_async_destroy(env, h->context);
    uv_close((uv_handle_t *)&h->poll, after_close); // the descriptor closes once libuv lets go of it
  } else {
    close(h->io.fd);
    release_port(&h->io);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  static const struct { const char *name; napi_callback fn; } fns[] = {
    { "open", js_open }, { "poll", js_poll }, { "read", js_read }, { "write", js_write }, { "stats", js_stats }, { "close", js_close },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
