// Times N stat() calls spread over a tree of D directories x F files (made by bench/run.mjs
// as ROOT/dI/fJ) and prints nanoseconds per stat. The sequence of names is fixed.
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

int main(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: stat_tree ROOT DIRS FILES N\n"); return 2; }
  const char *root = argv[1];
  int dirs = atoi(argv[2]), files = atoi(argv[3]);
  long n = atol(argv[4]);
  char path[4096];
  struct stat st;
  unsigned x = 12345;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (long i = 0; i < n; i++) {
    x = x * 1103515245u + 12345u;
    unsigned k = (x >> 8) % (unsigned)(dirs * files);
    snprintf(path, sizeof path, "%s/d%u/f%u", root, k / files, k % files);
    if (stat(path, &st) < 0) { perror(path); return 1; }
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
  return 0;
}
