// Prints the wall-clock time (ns since the epoch) as its first act: the benchmark compares
// it with the moment `start` was called to time start-to-first-instruction.
#include <stdio.h>
#include <time.h>

int main(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  printf("%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
  return 0;
}
