// Times a find-like walk (opendir/readdir/lstat of every entry, as find does) of a tree,
// repeated R times, and prints milliseconds per walk.
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static long entries;

static void walk(char *path, size_t len) {
  DIR *d = opendir(path);
  if (d == NULL) { perror(path); exit(1); }
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    size_t n = strlen(e->d_name);
    path[len] = '/';
    memcpy(path + len + 1, e->d_name, n + 1);
    struct stat st;
    if (lstat(path, &st) < 0) { perror(path); exit(1); }
    entries++;
    if (S_ISDIR(st.st_mode)) walk(path, len + 1 + n);
    path[len] = 0;
  }
  closedir(d);
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: walk_tree ROOT R\n"); return 2; }
  int r = atoi(argv[2]);
  char path[4096];
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < r; i++) {
    strcpy(path, argv[1]);
    walk(path, strlen(path));
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  if (entries == 0) return 1;
  printf("%.3f\n", ((b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6) / r);
  return 0;
}
