// Two threads hand a token back and forth through a futex word: each round trip is two
// FUTEX_WAKEs and (normally) two FUTEX_WAITs that really sleep. Prints nanoseconds per round trip.
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static _Atomic unsigned word; // whose turn: 0 = main, 1 = partner
static long rounds;

static void wait_for(unsigned want) {
  unsigned v;
  while ((v = atomic_load(&word)) != want) syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}
static void hand_to(unsigned who) {
  atomic_store(&word, who);
  syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *partner(void *arg) {
  (void)arg;
  for (long i = 0; i < rounds; i++) {
    wait_for(1);
    hand_to(0);
  }
  return NULL;
}

static double run(long n) {
  rounds = n;
  atomic_store(&word, 0);
  pthread_t t;
  pthread_create(&t, NULL, partner, NULL);
  double a = now_ns();
  for (long i = 0; i < n; i++) {
    hand_to(1);
    wait_for(0);
  }
  double b = now_ns();
  pthread_join(t, NULL);
  return (b - a) / n;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 20000;
  run(n / 10 + 1); // warm up
  printf("%.1f\n", run(n));
  return 0;
}
