/* Helpers shared by the inet_* differential programs (after check.h). */
#ifndef TSV_INET_UTIL_H
#define TSV_INET_UTIL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#define SA(p) ((struct sockaddr *)(p))

__attribute__((unused)) static void nshow_(const char *label, long r, int e) {
  if (r == -1) printf("%s: -1 %s\n", label, errname(e));
  else printf("%s: %ld\n", label, r);
}

__attribute__((unused)) static struct sockaddr_in lo4(in_port_t port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = port;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

__attribute__((unused)) static int same4(const struct sockaddr_in *x, const struct sockaddr_in *y) {
  return x->sin_family == y->sin_family && x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
}

__attribute__((unused)) static int geti(int fd, int level, int name) {
  int v = -12345;
  socklen_t l = sizeof v;
  if (getsockopt(fd, level, name, &v, &l) < 0) return -1000 - errno;
  return v;
}

__attribute__((unused)) static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

__attribute__((unused)) static void wait_in(int fd) {
  struct pollfd p = { fd, POLLIN, 0 };
  poll(&p, 1, -1);
}

/* A TCP connection to *a, or the program ends. */
__attribute__((unused)) static int connect4(const struct sockaddr_in *a) {
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (c < 0 || connect(c, SA(a), sizeof *a) < 0) { perror("connect4"); exit(96); }
  return c;
}

#define NSHOW(label, expr) do { errno = 0; long r_ = (long)(expr); nshow_(label, r_, errno); } while (0)
/* For calls returning a varying value (an fd): "ok" or the errno. */
#define NOK(label, expr) do { errno = 0; long r_ = (long)(expr); \
  if (r_ == -1) printf("%s: -1 %s\n", label, errname(errno)); else printf("%s: ok\n", label); } while (0)

#endif
