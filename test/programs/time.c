/* Clocks, sleeps and getrandom. Times are never printed: only monotonicity, ordering and
 * "slept at least as long as asked". Raw syscalls are used where glibc would answer from the
 * vDSO (the sandbox need not provide a vDSO that matches the host's), so the sentry is asked. */
#include "check.h"
#include <time.h>
#include <sys/time.h>
#include <sys/random.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

static long raw_clock_gettime(clockid_t c, struct timespec *t) { return syscall(SYS_clock_gettime, c, t); }

int main(void) {
  setup();
  struct timespec a, b, res;

  /* CLOCK_MONOTONIC never goes backwards, through libc (vDSO) and through the raw syscall */
  int ok = 1;
  raw_clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < 2000; i++) {
    if (i & 1) clock_gettime(CLOCK_MONOTONIC, &b); else raw_clock_gettime(CLOCK_MONOTONIC, &b);
    if (ns(b) < ns(a)) ok = 0;
    a = b;
  }
  REL("CLOCK_MONOTONIC nondecreasing over 2000 reads", ok);
  REL("tv_nsec in range", a.tv_nsec >= 0 && a.tv_nsec < 1000000000);
  SHOW("raw clock_gettime REALTIME", raw_clock_gettime(CLOCK_REALTIME, &a));
  REL("  after 2020", a.tv_sec > 1577836800);
  const clockid_t clocks[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
                               CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID };
  const char *names[] = { "REALTIME", "MONOTONIC", "MONOTONIC_RAW", "REALTIME_COARSE", "MONOTONIC_COARSE", "BOOTTIME",
                          "PROCESS_CPUTIME", "THREAD_CPUTIME" };
  for (int i = 0; i < 8; i++) {
    char l[64];
    snprintf(l, sizeof l, "raw clock_gettime %s", names[i]);
    SHOW(l, raw_clock_gettime(clocks[i], &a));
  }
  SHOW("clock_gettime bad clock", raw_clock_gettime(12345, &a));
  SHOW("clock_gettime bad pointer", raw_clock_gettime(CLOCK_MONOTONIC, (void *)1));

  /* clock_getres: high-resolution clocks report 1ns; bad clocks EINVAL */
  SHOW("raw clock_getres MONOTONIC", syscall(SYS_clock_getres, CLOCK_MONOTONIC, &res));
  printf("  res: %ld.%09ld\n", (long)res.tv_sec, res.tv_nsec);
  SHOW("raw clock_getres REALTIME", syscall(SYS_clock_getres, CLOCK_REALTIME, &res));
  printf("  res: %ld.%09ld\n", (long)res.tv_sec, res.tv_nsec);
  SHOW("clock_getres NULL res", syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
  SHOW("clock_getres bad clock", syscall(SYS_clock_getres, 12345, &res));

  /* gettimeofday and time agree with CLOCK_REALTIME to within a second */
  struct timeval tv;
  SHOW("raw gettimeofday", syscall(SYS_gettimeofday, &tv, NULL));
  raw_clock_gettime(CLOCK_REALTIME, &a);
  REL("  agrees with CLOCK_REALTIME", a.tv_sec - tv.tv_sec <= 1 && a.tv_sec >= tv.tv_sec);
  REL("  tv_usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
  SHOW("gettimeofday NULL NULL", syscall(SYS_gettimeofday, NULL, NULL));
  SHOW("gettimeofday bad pointer", syscall(SYS_gettimeofday, (void *)1, NULL));
  time_t t1 = 0;
  long t0 = syscall(SYS_time, &t1);
  REL("raw time returns and stores the same", t0 == t1);
  REL("  agrees with gettimeofday", t0 - tv.tv_sec <= 1 && t0 >= tv.tv_sec);
  SHOW("time(NULL) > 0", syscall(SYS_time, NULL) > 0);
  SHOW("time bad pointer", syscall(SYS_time, (void *)1));

  /* nanosleep 10 ms: at least 10 ms pass (upper bound is generous: the sandbox is slower) */
  struct timespec req = { 0, 10 * 1000 * 1000 }, rem = { 9, 9 };
  raw_clock_gettime(CLOCK_MONOTONIC, &a);
  SHOW("nanosleep 10ms", syscall(SYS_nanosleep, &req, &rem));
  raw_clock_gettime(CLOCK_MONOTONIC, &b);
  REL("  slept >= 10ms", ns(b) - ns(a) >= 10 * 1000 * 1000);
  REL("  slept < 5s", ns(b) - ns(a) < 5000LL * 1000 * 1000);
  SHOW("nanosleep 0", syscall(SYS_nanosleep, &(struct timespec){ 0, 0 }, NULL));
  SHOW("nanosleep bad tv_nsec", syscall(SYS_nanosleep, &(struct timespec){ 0, 1000000000 }, NULL));
  SHOW("nanosleep negative", syscall(SYS_nanosleep, &(struct timespec){ -1, 0 }, NULL));
  SHOW("nanosleep bad pointer", syscall(SYS_nanosleep, (void *)1, NULL));

  /* clock_nanosleep: relative, absolute (deadline in the past returns at once), bad clock */
  raw_clock_gettime(CLOCK_MONOTONIC, &a);
  SHOW("clock_nanosleep relative 10ms", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, NULL));
  raw_clock_gettime(CLOCK_MONOTONIC, &b);
  REL("  slept >= 10ms", ns(b) - ns(a) >= 10 * 1000 * 1000);
  struct timespec dl = b;
  dl.tv_nsec += 10 * 1000 * 1000;
  if (dl.tv_nsec >= 1000000000) { dl.tv_sec++; dl.tv_nsec -= 1000000000; }
  SHOW("clock_nanosleep TIMER_ABSTIME +10ms", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL));
  raw_clock_gettime(CLOCK_MONOTONIC, &a);
  REL("  woke at or after the deadline", ns(a) >= ns(dl));
  SHOW("clock_nanosleep TIMER_ABSTIME in the past", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &(struct timespec){ 1, 0 }, NULL));
  SHOW("clock_nanosleep REALTIME relative 1ms", syscall(SYS_clock_nanosleep, CLOCK_REALTIME, 0, &(struct timespec){ 0, 1000000 }, NULL));
  SHOW("clock_nanosleep bad clock", syscall(SYS_clock_nanosleep, 12345, 0, &req, NULL));
  SHOW("clock_nanosleep THREAD_CPUTIME", syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL));
  SHOW("clock_nanosleep bad tv_nsec", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &(struct timespec){ 0, -1 }, NULL));
  /* libc's wrapper returns the error number instead of setting errno */
  int rc = clock_nanosleep(12345, 0, &req, NULL);
  printf("libc clock_nanosleep bad clock returns: %s\n", errname(rc));

  /* getrandom */
  unsigned char r1[64], r2[64];
  SHOW("getrandom 64", syscall(SYS_getrandom, r1, 64, 0));
  SHOW("getrandom 64 again", syscall(SYS_getrandom, r2, 64, 0));
  REL("  differ", memcmp(r1, r2, 64) != 0);
  SHOW("getrandom 0 bytes", syscall(SYS_getrandom, r1, 0, 0));
  SHOW("getrandom GRND_NONBLOCK", syscall(SYS_getrandom, r1, 16, GRND_NONBLOCK));
  SHOW("getrandom GRND_RANDOM", syscall(SYS_getrandom, r1, 16, GRND_RANDOM));
  SHOW("getrandom GRND_INSECURE", syscall(SYS_getrandom, r1, 16, 0x0004));
  SHOW("getrandom bad flags", syscall(SYS_getrandom, r1, 16, 0x100));
  SHOW("getrandom RANDOM|INSECURE", syscall(SYS_getrandom, r1, 16, GRND_RANDOM | 0x0004));
  SHOW("getrandom bad pointer", syscall(SYS_getrandom, (void *)1, 16, 0));
  static unsigned char big[1 << 20];
  REL("getrandom 1 MiB returns > 0", syscall(SYS_getrandom, big, sizeof big, 0) > 0);
  return 0;
}
