/* futex beyond WAIT/WAKE: FUTEX_WAKE_OP (every op and comparison, then with waiters on both words),
 * FUTEX_REQUEUE and FUTEX_CMP_REQUEUE (EAGAIN on a value mismatch, a requeued waiter woken later
 * through the second word), FUTEX_WAIT_BITSET/FUTEX_WAKE_BITSET (bit selection, CLOCK_REALTIME
 * absolute timeouts), the PI operations (raw LOCK_PI/TRYLOCK_PI/UNLOCK_PI and a PTHREAD_PRIO_INHERIT
 * mutex contended by 4 threads), robust mutexes (an owner thread, and an owner process, dying with
 * the lock held: EOWNERDEAD, pthread_mutex_consistent, ENOTRECOVERABLE), and shared versus private
 * futexes across fork.
 *
 * Wake counts are only deterministic if the waiters are really asleep in the kernel when the wake
 * comes. A waiter announces itself and then calls FUTEX_WAIT; the main thread waits until
 * /proc/self/task/TID/stat says the waiter is sleeping (state S), which for these threads can only
 * be the futex wait, and falls back to a generous sleep where /proc cannot tell. */
#include "check.h"
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/wait.h>

static long futex(void *uaddr, int op, uint32_t val, const void *ts_or_val2, void *uaddr2, uint32_t val3) {
  return syscall(SYS_futex, uaddr, op, val, ts_or_val2, uaddr2, val3);
}
#define VAL2(n) ((const void *)(uintptr_t)(n))

static void sleep_ms(int ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

/* The state letter of a thread (or process) from /proc, or 0 if it cannot be read. */
static char task_state(pid_t pid, pid_t tid) {
  char path[96], buf[512];
  snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return 0;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : 0;
}
/* Wait until the task is asleep (state S) for a little while in a row. */
static void wait_asleep(pid_t pid, pid_t tid) {
  int streak = 0;
  for (int i = 0; i < 5000 && streak < 3; i++) {
    char s = task_state(pid, tid);
    if (s == 0) { sleep_ms(200); return; }
    streak = s == 'S' ? streak + 1 : 0;
    sleep_ms(1);
  }
  sleep_ms(5);
}

/* ---- waiter threads ---- */
struct waiter {
  pthread_t th;
  uint32_t *word;
  uint32_t expect;
  uint32_t bitset;
  int use_bitset;
  volatile pid_t tid;
  volatile long result;
  volatile int err;
  atomic_int done;
};
static void *waiter_fn(void *arg) {
  struct waiter *w = arg;
  w->tid = (pid_t)syscall(SYS_gettid);
  long r = w->use_bitset ? futex(w->word, FUTEX_WAIT_BITSET_PRIVATE, w->expect, NULL, NULL, w->bitset)
                         : futex(w->word, FUTEX_WAIT_PRIVATE, w->expect, NULL, NULL, 0);
  w->err = r == -1 ? errno : 0;
  w->result = r;
  atomic_store(&w->done, 1);
  return NULL;
}
static void start_waiter(struct waiter *w, uint32_t *word, uint32_t expect) {
  memset(w, 0, sizeof *w);
  w->word = word;
  w->expect = expect;
  pthread_create(&w->th, NULL, waiter_fn, w);
  while (!w->tid) sched_yield();
  wait_asleep(getpid(), w->tid);
}
static void start_bitset_waiter(struct waiter *w, uint32_t *word, uint32_t expect, uint32_t bitset) {
  memset(w, 0, sizeof *w);
  w->word = word;
  w->expect = expect;
  w->bitset = bitset;
  w->use_bitset = 1;
  pthread_create(&w->th, NULL, waiter_fn, w);
  while (!w->tid) sched_yield();
  wait_asleep(getpid(), w->tid);
}
static int count_done(struct waiter *ws, int n) {
  int c = 0;
  for (int i = 0; i < n; i++) c += atomic_load(&ws[i].done);
  return c;
}
/* Wait (bounded) until `n` waiters have finished; returns how many have. */
static int settle(struct waiter *ws, int n, int want) {
  for (int i = 0; i < 5000 && count_done(ws, n) < want; i++) sleep_ms(1);
  sleep_ms(5);
  return count_done(ws, n);
}

/* ---- PI and robust mutexes ---- */
static pthread_mutex_t pi_mu;
static long pi_counter;
static void *pi_worker(void *arg) {
  (void)arg;
  for (int i = 0; i < 20000; i++) {
    pthread_mutex_lock(&pi_mu);
    pi_counter++;
    pthread_mutex_unlock(&pi_mu);
  }
  return NULL;
}

static uint32_t pi_word;
static volatile pid_t pi_holder_tid;
static atomic_int pi_release;
static void *pi_holder(void *arg) {
  (void)arg;
  pi_holder_tid = (pid_t)syscall(SYS_gettid);
  futex(&pi_word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
  atomic_store(&pi_release, 1);
  while (atomic_load(&pi_release) != 2) sleep_ms(1);
  futex(&pi_word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
  return NULL;
}

static pthread_mutex_t robust_mu;
static void *lock_and_die(void *arg) {
  pthread_mutex_t *m = arg;
  pthread_mutex_lock(m);
  return NULL; /* exits holding it */
}

static const char *perr(int e);
/* A robust (optionally also priority-inheriting) mutex whose owner thread exits holding it. */
static void robust_checks(int pi) {
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  if (pi) pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
  pthread_mutex_init(&robust_mu, &a);
  pthread_mutexattr_destroy(&a);
  const char *kind = pi ? "robust PI mutex" : "robust mutex";
  pthread_t t;
  pthread_create(&t, NULL, lock_and_die, &robust_mu);
  pthread_join(t, NULL);
  printf("%s, owner thread exited holding it: lock -> %s\n", kind, perr(pthread_mutex_lock(&robust_mu)));
  printf("  pthread_mutex_consistent: %s\n", perr(pthread_mutex_consistent(&robust_mu)));
  printf("  unlock: %s\n", perr(pthread_mutex_unlock(&robust_mu)));
  printf("  lock again: %s\n", perr(pthread_mutex_lock(&robust_mu)));
  pthread_mutex_unlock(&robust_mu);
  /* not made consistent: unusable afterwards */
  pthread_create(&t, NULL, lock_and_die, &robust_mu);
  pthread_join(t, NULL);
  printf("  owner died again: trylock -> %s\n", perr(pthread_mutex_trylock(&robust_mu)));
  printf("  unlock without consistent: %s\n", perr(pthread_mutex_unlock(&robust_mu)));
  printf("  lock -> %s\n", perr(pthread_mutex_lock(&robust_mu)));
  pthread_mutex_destroy(&robust_mu);
}

static const char *perr(int e) {
  if (e == EOWNERDEAD) return "EOWNERDEAD";
  if (e == ENOTRECOVERABLE) return "ENOTRECOVERABLE";
  return errname(e);
}

int main(void) {
  setup();
  static uint32_t f1, f2;

  /* ---- FUTEX_WAKE_OP arithmetic and comparisons, no waiters ---- */
  {
    static const struct { const char *name; int op; } ops[] = {
      { "SET", FUTEX_OP_SET }, { "ADD", FUTEX_OP_ADD }, { "OR", FUTEX_OP_OR }, { "ANDN", FUTEX_OP_ANDN }, { "XOR", FUTEX_OP_XOR },
    };
    for (int shift = 0; shift < 2; shift++)
      for (unsigned i = 0; i < 5; i++) {
        f2 = 0x0f0;
        int op = ops[i].op | (shift ? FUTEX_OP_OPARG_SHIFT : 0);
        long r = futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &f2, FUTEX_OP(op, 5, FUTEX_OP_CMP_EQ, 0));
        printf("WAKE_OP %s%s 5 on 0xf0: ret %ld, word now %#x\n", ops[i].name, shift ? "|ARG_SHIFT" : "", r, f2);
      }
    /* each comparison of the OLD value of uaddr2 against cmparg decides whether uaddr2's
     * waiter is woken too (the return value counts it) */
    static const char *cmps[] = { "EQ", "NE", "LT", "LE", "GT", "GE" };
    static const uint32_t args[] = { 6, 7, 8 };
    for (int c = 0; c < 6; c++)
      for (int k = 0; k < 3; k++) {
        struct waiter w;
        f2 = 7;
        start_waiter(&w, &f2, 7);
        long r = futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &f2, FUTEX_OP(FUTEX_OP_ADD, 1, c, args[k]));
        printf("WAKE_OP ADD 1, old 7 CMP_%s %u: ret %ld, word now %u\n", cmps[c], args[k], r, f2);
        if (r == 0) futex(&f2, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        pthread_join(w.th, NULL);
      }
    f2 = 3;
    SHOW("WAKE_OP bad op", futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &f2, FUTEX_OP(7, 1, FUTEX_OP_CMP_EQ, 0)));
    printf("  word after a bad op: %u\n", f2);
    SHOW("WAKE_OP bad cmp", futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &f2, FUTEX_OP(FUTEX_OP_SET, 1, 7, 0)));
    printf("  word after a bad cmp: %u\n", f2);
    SHOW("WAKE_OP uaddr2 unmapped", futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), (void *)8, FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)));
    SHOW("WAKE_OP uaddr2 unaligned", futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), (char *)&f2 + 2, FUTEX_OP(FUTEX_OP_SET, 1, 0, 0)));
  }

  /* ---- FUTEX_WAKE_OP with waiters on both words ---- */
  {
    struct waiter w[4];
    f1 = 0;
    f2 = 0;
    start_waiter(&w[0], &f1, 0);
    start_waiter(&w[1], &f1, 0);
    start_waiter(&w[2], &f2, 0);
    start_waiter(&w[3], &f2, 0);
    /* old f2 == 0, so the comparison holds: wake 1 on f1 and 1 on f2 */
    SHOW("WAKE_OP (1 on f1, 1 on f2 if old f2 == 0), SET f2 = 1",
         futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &f2, FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)));
    printf("  f2 = %u, waiters finished: %d\n", f2, settle(w, 4, 2));
    /* old f2 == 1 now, the comparison fails: only f1's waiter is woken */
    SHOW("WAKE_OP again (comparison now false)",
         futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, VAL2(1), &f2, FUTEX_OP(FUTEX_OP_SET, 2, FUTEX_OP_CMP_EQ, 0)));
    printf("  f2 = %u, waiters finished: %d\n", f2, settle(w, 4, 3));
    SHOW("WAKE f2", futex(&f2, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    for (int i = 0; i < 4; i++) pthread_join(w[i].th, NULL);
    int all0 = 1;
    for (int i = 0; i < 4; i++) all0 &= w[i].result == 0;
    REL("  every waiter's FUTEX_WAIT returned 0", all0);
  }

  /* ---- FUTEX_REQUEUE / FUTEX_CMP_REQUEUE ---- */
  {
    struct waiter w[3];
    f1 = 0;
    f2 = 0;
    for (int i = 0; i < 3; i++) start_waiter(&w[i], &f1, 0);
    SHOW("CMP_REQUEUE with a stale value", futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(1), &f2, 99));
    printf("  waiters finished: %d\n", settle(w, 3, 0));
    SHOW("CMP_REQUEUE wake 1, requeue 1 to f2", futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(1), &f2, 0));
    printf("  waiters finished: %d\n", settle(w, 3, 1));
    SHOW("WAKE f1 (one left there)", futex(&f1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    printf("  waiters finished: %d\n", settle(w, 3, 2));
    SHOW("WAKE f2 (the requeued one)", futex(&f2, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    printf("  waiters finished: %d\n", settle(w, 3, 3));
    for (int i = 0; i < 3; i++) pthread_join(w[i].th, NULL);
    for (int i = 0; i < 3; i++) start_waiter(&w[i], &f1, 0);
    SHOW("REQUEUE wake 0, requeue all to f2", futex(&f1, FUTEX_REQUEUE_PRIVATE, 0, VAL2(INT_MAX), &f2, 0));
    SHOW("  WAKE f1", futex(&f1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    SHOW("  WAKE f2 wakes 2", futex(&f2, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0));
    printf("  waiters finished: %d\n", settle(w, 3, 2));
    SHOW("  WAKE f2 wakes the last", futex(&f2, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    printf("  waiters finished: %d\n", settle(w, 3, 3));
    for (int i = 0; i < 3; i++) pthread_join(w[i].th, NULL);
    SHOW("CMP_REQUEUE negative nr_requeue", futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(-1), &f2, 0));
    SHOW("CMP_REQUEUE negative nr_wake", futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, (uint32_t)-1, VAL2(1), &f2, 0));
    SHOW("CMP_REQUEUE nobody waiting", futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, VAL2(1), &f2, 0));
  }

  /* ---- bitsets and CLOCK_REALTIME deadlines ---- */
  {
    struct waiter w[3];
    f1 = 0;
    start_bitset_waiter(&w[0], &f1, 0, 0x1);
    start_bitset_waiter(&w[1], &f1, 0, 0x2);
    start_bitset_waiter(&w[2], &f1, 0, 0x6);
    SHOW("WAKE_BITSET 0x2 (matches two)", futex(&f1, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 0x2));
    printf("  waiters finished: %d (0x1 waiter done: %d)\n", settle(w, 3, 2), atomic_load(&w[0].done));
    SHOW("WAKE_BITSET 0x8 (matches none)", futex(&f1, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL, 0x8));
    SHOW("WAKE (plain wake is MATCH_ANY)", futex(&f1, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    for (int i = 0; i < 3; i++) pthread_join(w[i].th, NULL);

    struct timespec dl, now;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_nsec += 30 * 1000000L;
    if (dl.tv_nsec >= 1000000000L) { dl.tv_sec++; dl.tv_nsec -= 1000000000L; }
    SHOW("WAIT_BITSET|CLOCK_REALTIME absolute 30 ms ahead",
         futex(&f1, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &dl, NULL, FUTEX_BITSET_MATCH_ANY));
    clock_gettime(CLOCK_REALTIME, &now);
    REL("  woke at or after the deadline", now.tv_sec > dl.tv_sec || (now.tv_sec == dl.tv_sec && now.tv_nsec >= dl.tv_nsec));
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec -= 1;
    SHOW("WAIT_BITSET|CLOCK_REALTIME deadline in the past", futex(&f1, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &dl, NULL, FUTEX_BITSET_MATCH_ANY));
    SHOW("WAIT_BITSET|CLOCK_REALTIME wrong value", futex(&f1, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 1, &dl, NULL, FUTEX_BITSET_MATCH_ANY));
    SHOW("WAKE_BITSET with CLOCK_REALTIME flag", futex(&f1, FUTEX_WAKE_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, FUTEX_BITSET_MATCH_ANY));
    SHOW("WAKE with CLOCK_REALTIME flag", futex(&f1, FUTEX_WAKE_PRIVATE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0));
  }

  /* ---- PI futexes, raw ---- */
  {
    pid_t tid = (pid_t)syscall(SYS_gettid);
    pi_word = 0;
    SHOW("LOCK_PI uncontended", futex(&pi_word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    REL("  word == our tid", pi_word == (uint32_t)tid);
    SHOW("LOCK_PI again (we own it)", futex(&pi_word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    SHOW("TRYLOCK_PI while we own it", futex(&pi_word, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    SHOW("UNLOCK_PI", futex(&pi_word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    printf("  word: %u\n", pi_word);
    SHOW("UNLOCK_PI when not the owner", futex(&pi_word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    SHOW("TRYLOCK_PI free", futex(&pi_word, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    REL("  word == our tid", pi_word == (uint32_t)tid);
    futex(&pi_word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    pi_word = 0x3ffffff0; /* "owned" by a tid that does not exist */
    SHOW("LOCK_PI on a word naming a dead owner", futex(&pi_word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    pi_word = 0;

    /* contended: another thread holds it; our LOCK_PI sleeps and sets FUTEX_WAITERS */
    pthread_t h;
    atomic_store(&pi_release, 0);
    pthread_create(&h, NULL, pi_holder, NULL);
    while (atomic_load(&pi_release) != 1) sched_yield();
    REL("holder's tid is in the word", (pi_word & FUTEX_TID_MASK) == (uint32_t)pi_holder_tid);
    SHOW("TRYLOCK_PI while another thread owns it", futex(&pi_word, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_nsec += 20 * 1000000L;
    if (dl.tv_nsec >= 1000000000L) { dl.tv_sec++; dl.tv_nsec -= 1000000000L; }
    SHOW("LOCK_PI with a 20 ms (CLOCK_REALTIME absolute) timeout", futex(&pi_word, FUTEX_LOCK_PI_PRIVATE, 0, &dl, NULL, 0));
    REL("  FUTEX_WAITERS was set by the kernel", (pi_word & FUTEX_WAITERS) != 0);
    atomic_store(&pi_release, 2);
    SHOW("LOCK_PI blocking until the holder unlocks", futex(&pi_word, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    REL("  the word now names us", (pi_word & FUTEX_TID_MASK) == (uint32_t)tid);
    pthread_join(h, NULL);
    SHOW("UNLOCK_PI", futex(&pi_word, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    printf("  word: %u\n", pi_word);

    /* a PTHREAD_PRIO_INHERIT mutex contended by 4 threads */
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    printf("setprotocol PRIO_INHERIT: %s\n", perr(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT)));
    pthread_mutex_init(&pi_mu, &a);
    pthread_mutexattr_destroy(&a);
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, pi_worker, NULL);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    printf("PI mutex counter: %ld (expected 80000)\n", pi_counter);
    printf("  trylock: %s\n", perr(pthread_mutex_trylock(&pi_mu)));
    printf("  trylock again: %s\n", perr(pthread_mutex_trylock(&pi_mu)));
    pthread_mutex_unlock(&pi_mu);
    pthread_mutex_destroy(&pi_mu);
  }

  /* ---- robust mutexes ---- */
  {
    robust_checks(0);
    /* a process-shared robust mutex whose owner process dies */
    pthread_mutex_t *sm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(sm, &a);
    pthread_mutexattr_destroy(&a);
    pid_t p = fork();
    if (p == 0) {
      pthread_mutex_lock(sm);
      _exit(0);
    }
    waitpid(p, NULL, 0);
    printf("shared robust mutex, owner process exited: lock -> %s\n", perr(pthread_mutex_lock(sm)));
    printf("  consistent: %s\n", perr(pthread_mutex_consistent(sm)));
    printf("  unlock: %s\n", perr(pthread_mutex_unlock(sm)));
    /* the dying owner holds it while we are already waiting */
    p = fork();
    if (p == 0) {
      pthread_mutex_lock(sm);
      sleep_ms(100);
      _exit(0);
    }
    while (pthread_mutex_trylock(sm) == 0) { pthread_mutex_unlock(sm); sched_yield(); }
    printf("  a waiter blocked when the owner dies: lock -> %s\n", perr(pthread_mutex_lock(sm)));
    pthread_mutex_consistent(sm);
    pthread_mutex_unlock(sm);
    waitpid(p, NULL, 0);
    munmap(sm, 4096);
  }

  /* ---- shared versus private futexes across fork ---- */
  {
    uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    *w = 0;
    pid_t p = fork();
    if (p == 0) {
      long r = futex(w, FUTEX_WAIT, 0, &(struct timespec){ 10, 0 }, NULL, 0);
      _exit(r == 0 ? 0 : 1);
    }
    wait_asleep(p, p);
    SHOW("shared WAKE of a child's shared WAIT on a MAP_SHARED word", futex(w, FUTEX_WAKE, 1, NULL, NULL, 0));
    int st;
    waitpid(p, &st, 0);
    printf("  child's wait returned 0: %d\n", WEXITSTATUS(st) == 0);
    p = fork();
    if (p == 0) {
      long r = futex(w, FUTEX_WAIT_PRIVATE, 0, &(struct timespec){ 0, 300 * 1000000L }, NULL, 0);
      _exit(r == -1 && errno == ETIMEDOUT ? 0 : 1);
    }
    wait_asleep(p, p);
    SHOW("private WAKE does not reach another process's private WAIT", futex(w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
    SHOW("  nor does a shared WAKE", futex(w, FUTEX_WAKE, 1, NULL, NULL, 0));
    waitpid(p, &st, 0);
    printf("  the child's wait timed out: %d\n", WEXITSTATUS(st) == 0);
    /* CLONE_CHILD_CLEARTID-style wake across processes: a child writes then wakes */
    *w = 0;
    p = fork();
    if (p == 0) {
      sleep_ms(30);
      __atomic_store_n(w, 1, __ATOMIC_SEQ_CST);
      futex(w, FUTEX_WAKE, 1, NULL, NULL, 0);
      _exit(0);
    }
    while (__atomic_load_n(w, __ATOMIC_SEQ_CST) == 0) futex(w, FUTEX_WAIT, 0, NULL, NULL, 0);
    printf("woken by a child's store + wake: word %u\n", *w);
    waitpid(p, NULL, 0);
    munmap(w, 4096);
  }

  /* last, because glibc asserts (and aborts the process) if the kernel's answer is wrong */
  robust_checks(1);
  return 0;
}
