// fork + _exit + waitpid, N times, timed from inside the program (process start-up is not in
// the figure); prints nanoseconds per iteration. The parent touches a few MiB first so the fork
// has a realistic address space to copy-on-write, and the child writes one page of it.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static void one(char *heap) {
  pid_t p = fork();
  if (p < 0) { perror("fork"); exit(1); }
  if (p == 0) {
    heap[0] = 1; // one copy-on-write fault
    _exit(0);
  }
  int st;
  if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "bad child\n"); exit(1); }
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000;
  size_t sz = 4 << 20;
  char *heap = malloc(sz);
  memset(heap, 7, sz);
  for (long i = 0; i < n / 10 + 1; i++) one(heap); // warm up
  double a = now_ns();
  for (long i = 0; i < n; i++) one(heap);
  double b = now_ns();
  printf("%.1f\n", (b - a) / n);
  return 0;
}
