// Times N open+read+close of a small file and prints nanoseconds per iteration.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "/etc/hostname";
  long n = argc > 2 ? atol(argv[2]) : 20000;
  char buf[4096];
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror("open"); return 1; }
    if (read(fd, buf, sizeof buf) < 0) { perror("read"); return 1; }
    close(fd);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}
