// pthread_create + pthread_join of a thread that returns at once, N times; prints nanoseconds
// per iteration (clone with CLONE_VM|CLONE_THREAD|CLONE_SETTLS|CLONE_CHILD_CLEARTID, thread
// start, exit, and the futex wake that ends the join).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static void *fn(void *arg) { return arg; }

static void one(long i) {
  pthread_t t;
  void *r;
  if (pthread_create(&t, NULL, fn, (void *)i)) { fprintf(stderr, "pthread_create failed\n"); exit(1); }
  if (pthread_join(t, &r) || r != (void *)i) { fprintf(stderr, "pthread_join failed\n"); exit(1); }
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 2000;
  for (long i = 0; i < n / 10 + 1; i++) one(i); // warm up (and fill glibc's stack cache)
  double a = now_ns();
  for (long i = 0; i < n; i++) one(i);
  double b = now_ns();
  printf("%.1f\n", (b - a) / n);
  return 0;
}
