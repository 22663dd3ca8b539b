// Opens the two kinds of native frame port, both non-blocking so a batch reads until EAGAIN:
//   TAP: TUNSETIFF with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, one read() or write() per Ethernet frame,
//   each behind a virtio-net header, with TSO and checksum offload on: received frames may be TCP
//   super-frames (split.c) or lack their checksum; transmitted ones may be TCP super-frames (merge.c).
//   AF_PACKET: a raw socket bound to one interface, promiscuous (natpass answers for its own MAC
//   addresses, not the NIC's), ignoring frames the host itself sends, with large socket buffers and a
//   virtio-net header on every frame (PACKET_VNET_HDR: TSO for merged TCP, checksums left by a sender).
// Needs CAP_NET_ADMIN / CAP_NET_RAW (root).
#include "ports.h"
#include <arpa/inet.h>
#include <net/if.h> // before linux/if_tun.h, which then skips linux/if.h's duplicate flags
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

// Room for a burst of a few thousand frames while the event loop is busy elsewhere.
#define SOCKET_BUFFER_BYTES (8 << 20)
#define TAP_QUEUE_FRAMES 8192

int open_tap(const char *name, char *err, size_t errlen) {
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    snprintf(err, errlen, "cannot open /dev/net/tun: %s", strerror(errno));
    return -1;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    snprintf(err, errlen, "TUNSETIFF %s: %s", name, strerror(errno));
    close(fd);
    return -1;
  }
  // The kernel queues frames for us while we wait for the CPU; 500 (the tun default) is 10 ms of a
  // 50 kpps flood, shorter than a scheduler gap on a busy machine. The AF_PACKET port's buffer holds more.
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifr.ifr_qlen = TAP_QUEUE_FRAMES;
  if (sock >= 0) { ioctl(sock, SIOCSIFTXQLEN, &ifr); close(sock); } // a shorter queue still works: no error
  // TSO and checksum offload: the kernel may hand over 64 KB TCP super-frames (split.c cuts them) and
  // frames whose checksum is still to do (batch.c finishes it).
  if (ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4) < 0) {
    snprintf(err, errlen, "TUNSETOFFLOAD %s: %s", name, strerror(errno));
    close(fd);
    return -1;
  }
  return fd;
}

int open_packet(const char *name, char *err, size_t errlen) {
  unsigned index = if_nametoindex(name);
  if (index == 0) {
    snprintf(err, errlen, "no interface named %s", name);
    return -1;
  }
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
  if (fd < 0) {
    snprintf(err, errlen, "AF_PACKET socket: %s", strerror(errno));
    return -1;
  }
  int size = SOCKET_BUFFER_BYTES, one = 1;
  // FORCE variants pass the system maximum when we are root; the plain ones are the fallback.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  if (setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one) < 0) {
    snprintf(err, errlen, "PACKET_VNET_HDR on %s: %s", name, strerror(errno));
    close(fd);
    return -1;
  }
  // Frames we send skip the qdisc layer: as a NIC driver would, we count our own drops.
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)index;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    snprintf(err, errlen, "bind to %s: %s", name, strerror(errno));
    close(fd);
    return -1;
  }
  struct packet_mreq mr;
  memset(&mr, 0, sizeof mr);
  mr.mr_ifindex = (int)index;
  mr.mr_type = PACKET_MR_PROMISC;
  if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
    snprintf(err, errlen, "promiscuous mode on %s: %s", name, strerror(errno));
    close(fd);
    return -1;
  }
  // Frames queued before the bind may belong to any interface: drain them.
  unsigned char scrap[64];
  while (recv(fd, scrap, sizeof scrap, MSG_DONTWAIT | MSG_TRUNC) >= 0) {}
  return fd;
}
