// Ping-pong of one byte over a unix socketpair between two processes, each waiting in
// epoll_wait before reading; prints nanoseconds per round trip.
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void serve(int fd, long n, int first) {
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) { perror("epoll_ctl"); exit(1); }
  char c = 'x';
  if (first && write(fd, &c, 1) != 1) exit(1);
  for (long i = 0; i < n; i++) {
    struct epoll_event out;
    if (epoll_wait(ep, &out, 1, -1) != 1) { perror("epoll_wait"); exit(1); }
    if (read(fd, &c, 1) != 1) exit(1);
    if ((first && i == n - 1)) break;
    if (write(fd, &c, 1) != 1) exit(1);
  }
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 10000;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) { perror("socketpair"); return 1; }
  struct timespec a, b;
  pid_t c = fork();
  if (c == 0) {
    close(sv[0]);
    serve(sv[1], n, 0);
    _exit(0);
  }
  close(sv[1]);
  clock_gettime(CLOCK_MONOTONIC, &a);
  serve(sv[0], n, 1);
  clock_gettime(CLOCK_MONOTONIC, &b);
  close(sv[0]);
  int st;
  waitpid(c, &st, 0);
  printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}
