/* futex WAIT/WAKE from a single thread: WAIT with a stale value returns EAGAIN at once, WAIT with
 * the right value and a timeout returns ETIMEDOUT, WAKE with nobody waiting returns 0, and the
 * argument checks (alignment, bad pointer, bad op, bad timeout). Threads come in a later issue,
 * so no real wake-up of a sleeper is tested here. */
#include "check.h"
#include <stdint.h>
#include <time.h>
#include <linux/futex.h>
#include <sys/mman.h>

static long futex(void *uaddr, int op, uint32_t val, const struct timespec *ts, void *uaddr2, uint32_t val3) {
  return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

static long long now_ns(void) {
  struct timespec t;
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
  setup();
  static uint32_t word = 5;
  struct timespec ms10 = { 0, 10 * 1000 * 1000 };

  SHOW("WAIT wrong value", futex(&word, FUTEX_WAIT, 4, NULL, NULL, 0));
  SHOW("WAIT_PRIVATE wrong value", futex(&word, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0));
  SHOW("WAKE nobody waiting", futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0));
  SHOW("WAKE_PRIVATE nobody waiting", futex(&word, FUTEX_WAKE_PRIVATE, 100, NULL, NULL, 0));
  SHOW("WAKE count 0", futex(&word, FUTEX_WAKE, 0, NULL, NULL, 0));

  long long t0 = now_ns();
  SHOW("WAIT right value, 10ms timeout", futex(&word, FUTEX_WAIT, 5, &ms10, NULL, 0));
  REL("  waited >= 10ms", now_ns() - t0 >= 10 * 1000 * 1000);
  t0 = now_ns();
  SHOW("WAIT_PRIVATE right value, 10ms timeout", futex(&word, FUTEX_WAIT_PRIVATE, 5, &ms10, NULL, 0));
  REL("  waited >= 10ms", now_ns() - t0 >= 10 * 1000 * 1000);
  SHOW("WAIT zero timeout", futex(&word, FUTEX_WAIT, 5, &(struct timespec){ 0, 0 }, NULL, 0));

  /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline */
  struct timespec dl;
  syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &dl);
  dl.tv_nsec += 10 * 1000 * 1000;
  if (dl.tv_nsec >= 1000000000) { dl.tv_sec++; dl.tv_nsec -= 1000000000; }
  SHOW("WAIT_BITSET absolute deadline", futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &dl, NULL, FUTEX_BITSET_MATCH_ANY));
  REL("  woke after the deadline", now_ns() >= dl.tv_sec * 1000000000LL + dl.tv_nsec);
  SHOW("WAIT_BITSET bitset 0", futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 5, &dl, NULL, 0));
  SHOW("WAKE_BITSET nobody", futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, FUTEX_BITSET_MATCH_ANY));
  SHOW("WAKE_BITSET bitset 0", futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0));

  /* argument errors */
  SHOW("WAIT unaligned", futex((char *)&word + 1, FUTEX_WAIT, 5, NULL, NULL, 0));
  SHOW("WAKE unaligned", futex((char *)&word + 1, FUTEX_WAKE, 1, NULL, NULL, 0));
  SHOW("WAIT bad tv_nsec", futex(&word, FUTEX_WAIT, 5, &(struct timespec){ 0, 1000000000 }, NULL, 0));
  SHOW("WAIT negative timeout", futex(&word, FUTEX_WAIT, 5, &(struct timespec){ -1, 0 }, NULL, 0));
  SHOW("WAIT bad timeout pointer", futex(&word, FUTEX_WAIT, 5, (void *)1, NULL, 0));
  SHOW("unknown op", futex(&word, 99, 0, NULL, NULL, 0));
  SHOW("WAIT with CLOCK_REALTIME flag", futex(&word, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, 4, NULL, NULL, 0));
  /* an unmapped (but aligned) address: WAIT must read the word and fault */
  void *h = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(h, 4096);
  SHOW("WAIT on unmapped address", futex(h, FUTEX_WAIT, 0, NULL, NULL, 0));
  SHOW("WAIT_PRIVATE on unmapped address", futex(h, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
  SHOW("WAIT on NULL", futex(NULL, FUTEX_WAIT, 0, NULL, NULL, 0));

  /* a shared anonymous mapping works as a (shared) futex word too */
  uint32_t *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  *sh = 7;
  SHOW("WAIT shared mapping wrong value", futex(sh, FUTEX_WAIT, 8, NULL, NULL, 0));
  SHOW("WAKE shared mapping", futex(sh, FUTEX_WAKE, 1, NULL, NULL, 0));
  SHOW("WAIT shared mapping 1ms", futex(sh, FUTEX_WAIT, 7, &(struct timespec){ 0, 1000000 }, NULL, 0));
  munmap(sh, 4096);
  return 0;
}
