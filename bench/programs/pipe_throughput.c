// Moves MIB mebibytes through a pipe in 64 KiB writes from a child to its parent and
// prints nanoseconds per 64 KiB chunk.
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536

int main(int argc, char **argv) {
  long mib = argc > 1 ? atol(argv[1]) : 256;
  long chunks = mib * 16;
  static char buf[CHUNK];
  int p[2];
  if (pipe(p) < 0) { perror("pipe"); return 1; }
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t c = fork();
  if (c == 0) {
    close(p[0]);
    for (long i = 0; i < chunks; i++) {
      size_t off = 0;
      while (off < CHUNK) {
        ssize_t w = write(p[1], buf + off, CHUNK - off);
        if (w <= 0) _exit(1);
        off += w;
      }
    }
    _exit(0);
  }
  close(p[1]);
  long total = 0;
  for (;;) {
    ssize_t r = read(p[0], buf, CHUNK);
    if (r < 0) { perror("read"); return 1; }
    if (r == 0) break;
    total += r;
  }
  int st;
  waitpid(c, &st, 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  if (total != chunks * CHUNK || st != 0) { fprintf(stderr, "short: %ld\n", total); return 1; }
  printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / chunks);
  return 0;
}
