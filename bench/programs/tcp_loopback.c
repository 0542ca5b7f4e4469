// TCP over loopback between a child and its parent. Mode "rr N": N one-byte request /
// response round trips, prints nanoseconds per round trip. Mode "bulk MIB": MIB mebibytes
// in 64 KiB writes from the child, prints nanoseconds per 64 KiB chunk.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static int full_io(int fd, char *b, size_t n, int wr) {
  size_t off = 0;
  while (off < n) {
    ssize_t r = wr ? write(fd, b + off, n - off) : read(fd, b + off, n - off);
    if (r <= 0) return -1;
    off += r;
  }
  return 0;
}

int main(int argc, char **argv) {
  int bulk = argc > 1 && strcmp(argv[1], "bulk") == 0;
  long n = argc > 2 ? atol(argv[2]) : (bulk ? 256 : 10000);
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t al = sizeof a;
  if (l < 0 || bind(l, (void *)&a, sizeof a) || listen(l, 1) || getsockname(l, (void *)&a, &al)) {
    perror("listen");
    return 1;
  }
  static char buf[CHUNK];
  pid_t c = fork();
  if (c == 0) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(s, (void *)&a, sizeof a)) _exit(1);
    if (bulk) {
      for (long i = 0; i < n * 16; i++) if (full_io(s, buf, CHUNK, 1)) _exit(1);
    } else {
      for (long i = 0; i < n; i++) if (full_io(s, buf, 1, 0) || full_io(s, buf, 1, 1)) _exit(1);
    }
    _exit(0);
  }
  int s = accept(l, 0, 0);
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  double t0 = now();
  if (bulk) {
    long total = 0;
    for (;;) {
      ssize_t r = read(s, buf, CHUNK);
      if (r < 0) { perror("read"); return 1; }
      if (r == 0) break;
      total += r;
    }
    if (total != n * 16 * CHUNK) { fprintf(stderr, "short: %ld\n", total); return 1; }
    printf("%.1f\n", (now() - t0) / (n * 16));
  } else {
    for (long i = 0; i < n; i++) if (full_io(s, buf, 1, 1) || full_io(s, buf, 1, 0)) return 1;
    printf("%.1f\n", (now() - t0) / n);
  }
  int st;
  waitpid(c, &st, 0);
  return st == 0 ? 0 : 1;
}
