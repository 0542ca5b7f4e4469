/* Threads: 8 threads contending on a mutex, condition-variable turn-taking in id order, a barrier,
 * __thread storage, pthread_cond_timedwait timing out, a detached thread, pthread_kill to a
 * thread blocked in sigsuspend and to one spinning in user code (the handler records the TLS id
 * of the thread it ran on), per-thread signal masks, /proc/self/task while threads exist, fork
 * from a multi-threaded process, and the exit rules of a thread group (exit from a non-main
 * thread, pthread_exit from main). Only exact totals and relations are printed: which thread
 * runs when is never part of the output. */
#include "check.h"
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <sys/wait.h>

#define NT 8
#define INCS 20000
#define ROUNDS 3

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long counter;            /* protected by mu */
static atomic_long acounter;    /* atomic, no lock */
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn;                /* protected by mu */
static char order[NT * ROUNDS * 4 + 1]; /* protected by mu */
static pthread_barrier_t bar;
static atomic_int serial_count;
static atomic_int arrived;
static atomic_int saw_all_arrived;

static __thread int tls_id = -1;
static __thread long tls_sum;
static __thread int tls_init = 42;
static __thread char tls_buf[256] = "initial tls image";
static long sums[NT];
static int inits_ok[NT];

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  inits_ok[id] = tls_id == -1 && tls_sum == 0 && tls_init == 42 && !strcmp(tls_buf, "initial tls image");
  tls_id = id;
  snprintf(tls_buf, sizeof tls_buf, "thread %d", id);
  /* mutex contention */
  for (int i = 0; i < INCS; i++) {
    pthread_mutex_lock(&mu);
    counter++;
    pthread_mutex_unlock(&mu);
    atomic_fetch_add(&acounter, 1);
    tls_sum += id * 1000 + (i % 7);
  }
  /* barrier: nobody passes before all have arrived */
  atomic_fetch_add(&arrived, 1);
  int r = pthread_barrier_wait(&bar);
  if (r == PTHREAD_BARRIER_SERIAL_THREAD) atomic_fetch_add(&serial_count, 1);
  if (atomic_load(&arrived) == NT) atomic_fetch_add(&saw_all_arrived, 1);
  /* condition variable: strict turn-taking by id, ROUNDS times */
  for (int round = 0; round < ROUNDS; round++) {
    pthread_mutex_lock(&mu);
    while (turn != id) pthread_cond_wait(&cv, &mu);
    char tag[8];
    snprintf(tag, sizeof tag, "%d", id);
    strcat(order, tag);
    turn = (turn + 1) % NT;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
  }
  /* TLS is still ours after all that */
  char expect[32];
  snprintf(expect, sizeof expect, "thread %d", id);
  sums[id] = (tls_id == id && !strcmp(tls_buf, expect)) ? tls_sum : -1;
  return (void *)(intptr_t)(id * 10);
}

/* ---- signals to specific threads ---- */
static volatile int handled_by = -1;
static volatile pid_t handled_tid;
static volatile sig_atomic_t handled;
static void on_usr1(int s) {
  (void)s;
  handled_by = tls_id;
  handled_tid = (pid_t)syscall(SYS_gettid);
  handled = 1;
}
static atomic_int ready;
static volatile pid_t target_tid;

static void *sigsuspend_target(void *arg) {
  tls_id = (int)(intptr_t)arg;
  target_tid = (pid_t)syscall(SYS_gettid);
  sigset_t empty;
  sigemptyset(&empty);
  atomic_store(&ready, 1);
  while (!handled) sigsuspend(&empty);
  return NULL;
}

static void *spinning_target(void *arg) {
  tls_id = (int)(intptr_t)arg;
  target_tid = (pid_t)syscall(SYS_gettid);
  /* SIGUSR1 is blocked in the main thread only; here it is open and we never make a syscall
   * until the handler has run, so the signal has to interrupt user code. */
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  pthread_sigmask(SIG_UNBLOCK, &s, NULL);
  atomic_store(&ready, 1);
  while (!handled) {}
  return NULL;
}

static sem_t detached_done;
static atomic_int detached_ran;
static void *detached_fn(void *arg) {
  (void)arg;
  pthread_attr_t a;
  int ds = -1;
  if (pthread_getattr_np(pthread_self(), &a) == 0) {
    pthread_attr_getdetachstate(&a, &ds);
    pthread_attr_destroy(&a);
  }
  atomic_store(&detached_ran, ds == PTHREAD_CREATE_DETACHED ? 1 : 2);
  sem_post(&detached_done);
  return NULL;
}

static pthread_barrier_t park;
static void *parked(void *arg) {
  (void)arg;
  pthread_barrier_wait(&park); /* everyone is alive */
  pthread_barrier_wait(&park); /* main has counted */
  return NULL;
}

static int count_tasks(void) {
  DIR *d = opendir("/proc/self/task");
  if (!d) return -1;
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d))) if (de->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

static void *exit_from_thread(void *arg) {
  (void)arg;
  struct timespec ts = { 0, 20 * 1000000L };
  nanosleep(&ts, NULL);
  exit(7); /* exit_group from a non-main thread */
}
static void *last_thread(void *arg) {
  (void)arg;
  struct timespec ts = { 0, 50 * 1000000L };
  nanosleep(&ts, NULL);
  return NULL; /* the last thread of the process returns: the process exits 0 */
}
static void *exits_with_sys_exit(void *arg) {
  (void)arg;
  syscall(SYS_exit, 3); /* exits only this thread */
  return NULL;
}

/* a fresh thread always starts from the TLS initial image, even when it reuses a stack */
static void *worker_id_only(void *arg) {
  int fresh = tls_id == -1 && tls_init == 42;
  tls_id = (int)(intptr_t)arg;
  tls_init = 0;
  return (void *)(intptr_t)(fresh ? tls_id + 1 : -100000);
}

int main(void) {
  setup();
  pthread_t th[NT];

  /* ---- mutex, barrier, condvar, TLS ---- */
  pthread_barrier_init(&bar, NULL, NT);
  tls_id = 99;
  for (int i = 0; i < NT; i++) {
    int r = pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i);
    if (r) { printf("pthread_create: %s\n", errname(r)); return 1; }
  }
  long joined = 0;
  for (int i = 0; i < NT; i++) {
    void *ret;
    pthread_join(th[i], &ret);
    joined += (long)(intptr_t)ret;
  }
  printf("mutex counter: %ld (expected %d)\n", counter, NT * INCS);
  printf("atomic counter: %ld\n", (long)atomic_load(&acounter));
  printf("barrier serial threads: %d\n", atomic_load(&serial_count));
  printf("threads that saw all %d arrivals after the barrier: %d\n", NT, atomic_load(&saw_all_arrived));
  printf("condvar order: %s\n", order);
  long total = 0;
  for (int i = 0; i < NT; i++) {
    printf("  tls sum of thread %d: %ld\n", i, sums[i]);
    total += sums[i];
  }
  printf("tls total: %ld\n", total);
  int ok = 1;
  for (int i = 0; i < NT; i++) ok &= inits_ok[i];
  REL("every thread started with the TLS initial image", ok);
  REL("main thread's TLS untouched", tls_id == 99 && tls_sum == 0 && tls_init == 42);
  printf("sum of join values: %ld\n", joined);
  pthread_barrier_destroy(&bar);

  /* ---- pthread_cond_timedwait times out ---- */
  {
    pthread_mutex_lock(&mu);
    struct timespec dl, now;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_nsec += 50 * 1000000L;
    if (dl.tv_nsec >= 1000000000L) { dl.tv_sec++; dl.tv_nsec -= 1000000000L; }
    int r = pthread_cond_timedwait(&cv, &mu, &dl);
    clock_gettime(CLOCK_REALTIME, &now);
    printf("pthread_cond_timedwait: %s\n", errname(r));
    REL("  returned after the deadline", now.tv_sec > dl.tv_sec || (now.tv_sec == dl.tv_sec && now.tv_nsec >= dl.tv_nsec));
    REL("  mutex held again", pthread_mutex_trylock(&mu) == EBUSY);
    pthread_mutex_unlock(&mu);
    /* a monotonic-clock condvar, the way C++ and Rust use it */
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_t mcv;
    pthread_cond_init(&mcv, &ca);
    pthread_mutex_lock(&mu);
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_nsec += 30 * 1000000L;
    if (dl.tv_nsec >= 1000000000L) { dl.tv_sec++; dl.tv_nsec -= 1000000000L; }
    r = pthread_cond_timedwait(&mcv, &mu, &dl);
    clock_gettime(CLOCK_MONOTONIC, &now);
    printf("pthread_cond_timedwait CLOCK_MONOTONIC: %s\n", errname(r));
    REL("  returned after the deadline", now.tv_sec > dl.tv_sec || (now.tv_sec == dl.tv_sec && now.tv_nsec >= dl.tv_nsec));
    pthread_mutex_unlock(&mu);
    pthread_cond_destroy(&mcv);
  }

  /* ---- a detached thread ---- */
  {
    sem_init(&detached_done, 0, 0);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_t t;
    printf("pthread_create detached: %s\n", errname(pthread_create(&t, &a, detached_fn, NULL)));
    pthread_attr_destroy(&a);
    while (sem_wait(&detached_done) == -1 && errno == EINTR) {}
    printf("detached thread ran (1 = saw itself detached): %d\n", atomic_load(&detached_ran));
  }

  /* ---- pthread_kill ---- */
  {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    /* block SIGUSR1 in main; the threads inherit the mask and open it themselves */
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, &old);

    pthread_t t;
    atomic_store(&ready, 0);
    handled = 0;
    pthread_create(&t, NULL, sigsuspend_target, (void *)(intptr_t)5);
    while (!atomic_load(&ready)) sched_yield();
    printf("pthread_kill to a thread in sigsuspend: %s\n", errname(pthread_kill(t, SIGUSR1)));
    pthread_join(t, NULL);
    printf("  handler ran on the thread with tls id %d\n", handled_by);
    REL("  handler's gettid is the target's", handled_tid == target_tid);

    atomic_store(&ready, 0);
    handled = 0;
    handled_by = -1;
    pthread_create(&t, NULL, spinning_target, (void *)(intptr_t)6);
    while (!atomic_load(&ready)) sched_yield();
    printf("pthread_kill to a thread spinning in user code: %s\n", errname(pthread_kill(t, SIGUSR1)));
    pthread_join(t, NULL);
    printf("  handler ran on the thread with tls id %d\n", handled_by);
    REL("  handler's gettid is the target's", handled_tid == target_tid);

    /* a thread-directed signal to a thread that blocks it stays pending on that thread only */
    sigset_t pend;
    sigemptyset(&pend);
    handled = 0;
    printf("pthread_kill to self with SIGUSR1 blocked: %s\n", errname(pthread_kill(pthread_self(), SIGUSR1)));
    sigpending(&pend);
    REL("  pending", sigismember(&pend, SIGUSR1));
    REL("  handler not run yet", !handled);
    tls_id = 77;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    REL("  handler ran on unblock, in main", handled && handled_by == 77);
    printf("pthread_kill with signal 0 (existence check): %s\n", errname(pthread_kill(pthread_self(), 0)));
    printf("pthread_kill with an invalid signal: %s\n", errname(pthread_kill(pthread_self(), 999)));
    SHOW("tgkill to a tid that is not in our group", syscall(SYS_tgkill, getpid(), 0x3ffffff0, SIGUSR1));
    SHOW("tgkill with tgid <= 0", syscall(SYS_tgkill, 0, syscall(SYS_gettid), SIGUSR1));
    signal(SIGUSR1, SIG_DFL);
  }

  /* ---- /proc/self/task while threads exist; fork from a multi-threaded process ---- */
  {
    pthread_barrier_init(&park, NULL, 4);
    pthread_t t[3];
    for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, parked, NULL);
    pthread_barrier_wait(&park);
    printf("/proc/self/task entries with 3 extra threads: %d\n", count_tasks());
    int p[2];
    if (pipe(p)) return 1;
    pid_t c = fork();
    if (c == 0) {
      int n = count_tasks();
      /* the child's only thread is a copy of the forking one, and its mutexes still work */
      pthread_mutex_lock(&mu);
      pthread_mutex_unlock(&mu);
      if (write(p[1], &n, sizeof n) != sizeof n) _exit(1);
      _exit(0);
    }
    int st, n = -2;
    waitpid(c, &st, 0);
    if (read(p[0], &n, sizeof n) != sizeof n) n = -3;
    printf("fork from a 4-thread process: child has %d thread(s), exit %d\n", n, WEXITSTATUS(st));
    close(p[0]);
    close(p[1]);
    pthread_barrier_wait(&park);
    for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
    pthread_barrier_destroy(&park);
  }

  /* ---- thread-group exit rules, each in a child process ---- */
  {
    int st;
    pid_t c = fork();
    if (c == 0) {
      pthread_t t;
      pthread_create(&t, NULL, exit_from_thread, NULL);
      for (;;) pause();
    }
    waitpid(c, &st, 0);
    printf("exit(7) from a non-main thread: exited=%d code=%d\n", WIFEXITED(st), WEXITSTATUS(st));
    c = fork();
    if (c == 0) {
      pthread_t t;
      pthread_create(&t, NULL, last_thread, NULL);
      pthread_exit(NULL); /* main goes first; the process lives on */
    }
    waitpid(c, &st, 0);
    printf("pthread_exit in main, last thread returns: exited=%d code=%d\n", WIFEXITED(st), WEXITSTATUS(st));
    c = fork();
    if (c == 0) {
      pthread_t t;
      pthread_create(&t, NULL, exits_with_sys_exit, NULL);
      pthread_join(t, NULL); /* CLONE_CHILD_CLEARTID wakes the joiner */
      _exit(9);
    }
    waitpid(c, &st, 0);
    printf("thread SYS_exit then join: exited=%d code=%d\n", WIFEXITED(st), WEXITSTATUS(st));
    c = fork();
    if (c == 0) {
      pthread_t t;
      pthread_create(&t, NULL, (void *(*)(void *))pause, NULL);
      return 12; /* returning from main is exit(): the blocked thread goes too */
    }
    waitpid(c, &st, 0);
    printf("return from main with a blocked thread: exited=%d code=%d\n", WIFEXITED(st), WEXITSTATUS(st));
  }

  /* ---- many short-lived threads (create/join churn) ---- */
  {
    long s = 0;
    for (int i = 0; i < 200; i++) {
      pthread_t t;
      pthread_create(&t, NULL, worker_id_only, (void *)(intptr_t)i);
      void *r;
      pthread_join(t, &r);
      s += (long)(intptr_t)r;
    }
    printf("200 create/join: sum %ld\n", s);
  }

  /* last, because glibc aborts the process if the futex call misbehaves */
  {
    struct timespec past = { 0, 0 };
    pthread_mutex_lock(&mu);
    printf("pthread_cond_timedwait with a deadline at the epoch: %s\n", errname(pthread_cond_timedwait(&cv, &mu, &past)));
    pthread_mutex_unlock(&mu);
  }
  return 0;
}
