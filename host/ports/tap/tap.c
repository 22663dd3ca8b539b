// Opens a Linux TAP interface for natpass run: TUNSETIFF with IFF_TAP | IFF_NO_PI, so each read() is
// one Ethernet frame and each write() sends one. Returns the file descriptor; reading and writing are
// done from JavaScript. Needs CAP_NET_ADMIN (root) or a TAP the user owns.
#include <node_api.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <errno.h>
#include <stdio.h>

static napi_value open_tap(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[IFNAMSIZ];
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok || len == 0) {
    napi_throw_type_error(env, NULL, "openTap(name) needs an interface name");
    return NULL;
  }
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "cannot open /dev/net/tun: %s", strerror(errno));
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, len < IFNAMSIZ - 1 ? len : IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "TUNSETIFF %s: %s", name, strerror(errno));
    close(fd);
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  napi_value result;
  napi_create_int32(env, fd, &result);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "openTap", NAPI_AUTO_LENGTH, open_tap, NULL, &fn);
  napi_set_named_property(env, exports, "openTap", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
