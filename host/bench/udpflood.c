// The end-to-end bench's 64-byte UDP load: sends small datagrams to one address as fast as one core
// can (sendmmsg, 64 per call) for a number of seconds and prints how many it sent. iperf3's UDP
// sender makes one syscall per datagram and, on this shared 2-core machine, ran out of CPU before
// the routers did. Usage: udpflood ADDRESS PORT SECONDS PAYLOAD_BYTES
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define PER_CALL 64

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: udpflood ADDRESS PORT SECONDS PAYLOAD_BYTES\n"); return 2; }
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])) };
  if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) { fprintf(stderr, "udpflood: bad address %s\n", argv[1]); return 2; }
  double seconds = atof(argv[3]);
  size_t payload = (size_t)atoi(argv[4]);
  if (payload < 1 || payload > 1472 || seconds <= 0) { fprintf(stderr, "udpflood: bad seconds or payload size\n"); return 2; }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof to) < 0) { perror("udpflood"); return 1; }
  static char data[1472];
  struct iovec iov = { .iov_base = data, .iov_len = payload };
  struct mmsghdr msgs[PER_CALL];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < PER_CALL; i++) { msgs[i].msg_hdr.msg_iov = &iov; msgs[i].msg_hdr.msg_iovlen = 1; }
  double start = now_s(), end = start + seconds;
  unsigned long long sent = 0;
  while (now_s() < end) {
    int n = sendmmsg(fd, msgs, PER_CALL, 0);
    if (n > 0) sent += (unsigned long long)n; // ENOBUFS and the like: the sender's own loss, not counted as sent
  }
  printf("%llu %.3f\n", sent, now_s() - start);
  return 0;
}
