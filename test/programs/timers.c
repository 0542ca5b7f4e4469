/* Interval timers (ITIMER_REAL/VIRTUAL/PROF), alarm, POSIX timers (SIGEV_SIGNAL, SIGEV_THREAD_ID,
 * SIGEV_NONE, overruns, the CPU-time clocks, the error paths), times, getrusage, the CPU-time
 * clocks, getpriority/setpriority and the sched_* calls. Times are only compared (never printed);
 * the bounds are wide enough for a loaded machine. POSIX timers go through the raw syscalls so the
 * kernel's timer ids are what the program sees. */
#include "check.h"
#include <signal.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/wait.h>

static long long ns_of(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }
static long long now_ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return ns_of(t);
}
static long long tv_us(struct timeval t) { return t.tv_sec * 1000000LL + t.tv_usec; }

/* Sleep for `ms` of wall time, whatever signals arrive meanwhile. */
static void sleep_ms(int ms) {
  struct timespec dl;
  clock_gettime(CLOCK_MONOTONIC, &dl);
  dl.tv_sec += ms / 1000;
  dl.tv_nsec += (ms % 1000) * 1000000L;
  if (dl.tv_nsec >= 1000000000L) { dl.tv_sec++; dl.tv_nsec -= 1000000000L; }
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &dl, NULL) == EINTR) {}
}
/* Burn CPU in user mode for `ms` of wall time. */
static volatile unsigned long sink;
static void spin_ms(int ms) {
  long long end = now_ns(CLOCK_MONOTONIC) + ms * 1000000LL;
  while (now_ns(CLOCK_MONOTONIC) < end)
    for (int i = 0; i < 10000; i++) sink++;
}

static volatile int counts[65];
static void count_sig(int s) { counts[s]++; }
static void handle(int sig, void (*h)(int)) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = h;
  sa.sa_flags = SA_RESTART;
  sigaction(sig, &sa, NULL);
}

static long k_timer_create(clockid_t c, struct sigevent *sev, int *id) { return syscall(SYS_timer_create, c, sev, id); }
static long k_timer_settime(int id, int flags, const struct itimerspec *n, struct itimerspec *o) {
  return syscall(SYS_timer_settime, id, flags, n, o);
}
static long k_timer_gettime(int id, struct itimerspec *v) { return syscall(SYS_timer_gettime, id, v); }
static long k_timer_getoverrun(int id) { return syscall(SYS_timer_getoverrun, id); }
static long k_timer_delete(int id) { return syscall(SYS_timer_delete, id); }
static struct itimerspec its(long long value_ns, long long interval_ns) {
  struct itimerspec v;
  v.it_value.tv_sec = value_ns / 1000000000LL;
  v.it_value.tv_nsec = value_ns % 1000000000LL;
  v.it_interval.tv_sec = interval_ns / 1000000000LL;
  v.it_interval.tv_nsec = interval_ns % 1000000000LL;
  return v;
}

/* sigwaitinfo, but giving up after 5 s so a signal that never comes fails the comparison instead
 * of hanging the program. */
static int wait_sig(const sigset_t *set, siginfo_t *si) {
  struct timespec five = { 5, 0 };
  return sigtimedwait(set, si, &five);
}

/* "label: SIGRTMIN+n" / "label: SIGALRM..." or "label: -1 EAGAIN" */
static void show_sig(const char *label, int r, int e) {
  if (r == -1) printf("%s: -1 %s\n", label, errname(e));
  else if (r >= SIGRTMIN) printf("%s: SIGRTMIN+%d\n", label, r - SIGRTMIN);
  else printf("%s: %d\n", label, r);
}
#define SHOW_SIG(label, expr) do { errno = 0; int r_ = (expr); show_sig(label, r_, errno); } while (0)

static volatile pid_t waiter_tid;
static volatile pid_t waiter_got_tid;
static siginfo_t waiter_info;
static void *timer_waiter(void *arg) {
  (void)arg;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN + 1);
  waiter_tid = (pid_t)syscall(SYS_gettid);
  if (wait_sig(&s, &waiter_info) == SIGRTMIN + 1) waiter_got_tid = (pid_t)syscall(SYS_gettid);
  return NULL;
}

int main(void) {
  setup();
  struct itimerval it, old;

  /* ---- ITIMER_REAL ---- */
  handle(SIGALRM, count_sig);
  it = (struct itimerval){ { 0, 10000 }, { 0, 10000 } };
  long long t0 = now_ns(CLOCK_MONOTONIC);
  SHOW("setitimer ITIMER_REAL 10 ms periodic", setitimer(ITIMER_REAL, &it, NULL));
  sleep_ms(200);
  setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 0 } }, &old);
  long long elapsed_ms = (now_ns(CLOCK_MONOTONIC) - t0) / 1000000;
  REL("  at least 5 SIGALRMs in 200 ms", counts[SIGALRM] >= 5);
  REL("  no more than elapsed/period + 1", counts[SIGALRM] <= elapsed_ms / 10 + 1);
  printf("  old interval returned by the disarm: %ld us\n", (long)old.it_interval.tv_usec);
  it = (struct itimerval){ { 0, 250000 }, { 5, 0 } };
  setitimer(ITIMER_REAL, &it, NULL);
  SHOW("getitimer ITIMER_REAL", getitimer(ITIMER_REAL, &old));
  REL("  0 < remaining <= 5 s", tv_us(old.it_value) > 0 && tv_us(old.it_value) <= 5000000);
  REL("  remaining > 4 s", tv_us(old.it_value) > 4000000);
  printf("  interval: %ld.%06ld\n", (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
  SHOW("setitimer disarm", setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 0 } }, &old));
  REL("  old value <= 5 s", tv_us(old.it_value) <= 5000000 && tv_us(old.it_value) > 0);
  getitimer(ITIMER_REAL, &old);
  printf("  after disarm: value %ld.%06ld interval %ld.%06ld\n", (long)old.it_value.tv_sec, (long)old.it_value.tv_usec,
         (long)old.it_interval.tv_sec, (long)old.it_interval.tv_usec);
  SHOW("setitimer tv_usec = 1000000", setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 1000000 } }, NULL));
  SHOW("setitimer negative tv_sec", setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { -1, 0 } }, NULL));
  SHOW("setitimer bad which", setitimer(7, &it, NULL));
  SHOW("getitimer bad which", getitimer(7, &old));
  SHOW("getitimer bad pointer", syscall(SYS_getitimer, ITIMER_REAL, (void *)1));

  /* ---- alarm ---- */
  SHOW("alarm(5) with nothing armed", alarm(5));
  SHOW("alarm(3) returns the remaining 5 s (rounded)", alarm(3));
  getitimer(ITIMER_REAL, &old);
  REL("  alarm is ITIMER_REAL: value <= 3 s, no interval", tv_us(old.it_value) <= 3000000 && tv_us(old.it_interval) == 0);
  sleep_ms(650);
  SHOW("alarm(0) after 0.65 s returns 2 (2.35 s left)", alarm(0));
  SHOW("alarm(0) again", alarm(0));
  counts[SIGALRM] = 0;
  setitimer(ITIMER_REAL, &(struct itimerval){ { 0, 0 }, { 0, 1 } }, NULL); /* 1 us */
  sleep_ms(20);
  printf("1 us one-shot ITIMER_REAL fired %d time(s)\n", counts[SIGALRM]);

  /* ---- ITIMER_VIRTUAL and ITIMER_PROF count CPU time ---- */
  handle(SIGVTALRM, count_sig);
  handle(SIGPROF, count_sig);
  it = (struct itimerval){ { 0, 0 }, { 0, 30000 } };
  SHOW("setitimer ITIMER_VIRTUAL 30 ms", setitimer(ITIMER_VIRTUAL, &it, NULL));
  getitimer(ITIMER_VIRTUAL, &old);
  /* Linux reports up to one tick more than was set for the CPU timers */
  REL("  getitimer: 0 < value <= 30 ms + a tick", tv_us(old.it_value) > 0 && tv_us(old.it_value) <= 45000);
  long long wall0 = now_ns(CLOCK_MONOTONIC);
  while (!counts[SIGVTALRM] && now_ns(CLOCK_MONOTONIC) - wall0 < 5000000000LL) spin_ms(1);
  printf("  SIGVTALRM while spinning: %d\n", counts[SIGVTALRM]);
  sleep_ms(50);
  printf("  count after sleeping 50 ms more (one-shot, no CPU used): %d\n", counts[SIGVTALRM]);
  SHOW("setitimer ITIMER_PROF 30 ms", setitimer(ITIMER_PROF, &it, NULL));
  wall0 = now_ns(CLOCK_MONOTONIC);
  while (!counts[SIGPROF] && now_ns(CLOCK_MONOTONIC) - wall0 < 5000000000LL) spin_ms(1);
  printf("  SIGPROF while spinning: %d\n", counts[SIGPROF]);

  /* ---- POSIX timers ---- */
  {
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN);
    sigaddset(&rt, SIGRTMIN + 1);
    sigaddset(&rt, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &rt, NULL);
    sigset_t just0;
    sigemptyset(&just0);
    sigaddset(&just0, SIGRTMIN);

    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN;
    sev.sigev_value.sival_int = 77;
    int t = -1;
    SHOW("timer_create CLOCK_MONOTONIC SIGEV_SIGNAL", k_timer_create(CLOCK_MONOTONIC, &sev, &t));
    REL("  id >= 0", t >= 0);
    struct itimerspec v = its(10000000, 0), ov;
    SHOW("timer_settime 10 ms one-shot", k_timer_settime(t, 0, &v, NULL));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    SHOW_SIG("signal arrives", wait_sig(&just0, &si));
    printf("  code=%d value=%d overrun=%d timerid_match=%d\n", si.si_code, si.si_value.sival_int, si.si_overrun,
           si.si_timerid == t);
    SHOW("timer_gettime after expiry", k_timer_gettime(t, &v));
    printf("  value %ld.%09ld interval %ld.%09ld\n", (long)v.it_value.tv_sec, v.it_value.tv_nsec,
           (long)v.it_interval.tv_sec, v.it_interval.tv_nsec);

    v = its(1000000000, 0);
    k_timer_settime(t, 0, &v, NULL);
    k_timer_gettime(t, &v);
    REL("timer_gettime: 0.5 s < value <= 1 s", ns_of(v.it_value) > 500000000 && ns_of(v.it_value) <= 1000000000);
    v = its(0, 0);
    SHOW("timer_settime disarm returns the old value", k_timer_settime(t, 0, &v, &ov));
    REL("  old value <= 1 s", ns_of(ov.it_value) > 0 && ns_of(ov.it_value) <= 1000000000);

    /* overruns: a 5 ms periodic timer whose signal stays blocked for 100 ms */
    v = its(5000000, 5000000);
    k_timer_settime(t, 0, &v, NULL);
    sleep_ms(100);
    memset(&si, 0, sizeof si);
    wait_sig(&just0, &si);
    REL("periodic timer with the signal blocked: si_overrun > 0", si.si_overrun > 0);
    long ovr = k_timer_getoverrun(t);
    REL("  timer_getoverrun > 0", ovr > 0);
    REL("  timer_getoverrun == si_overrun", ovr == si.si_overrun);
    v = its(0, 0);
    k_timer_settime(t, 0, &v, NULL);
    struct timespec zero = { 0, 0 };
    /* it may have fired once more between the wait and the disarm */
    while (sigtimedwait(&just0, &si, &zero) > 0) {}

    /* absolute expiry in the past fires at once */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    v = (struct itimerspec){ { 0, 0 }, { now.tv_sec - 1, now.tv_nsec } };
    SHOW("timer_settime TIMER_ABSTIME in the past", k_timer_settime(t, TIMER_ABSTIME, &v, NULL));
    struct timespec sec = { 1, 0 };
    SHOW_SIG("  signal arrives", sigtimedwait(&just0, &si, &sec));

    SHOW("timer_delete", k_timer_delete(t));
    SHOW("timer_delete again", k_timer_delete(t));
    SHOW("timer_settime on the deleted timer", k_timer_settime(t, 0, &v, NULL));
    SHOW("timer_gettime on the deleted timer", k_timer_gettime(t, &v));
    SHOW("timer_getoverrun on the deleted timer", k_timer_getoverrun(t));

    /* SIGEV_THREAD_ID: the signal goes to that thread */
    pthread_t th;
    pthread_create(&th, NULL, timer_waiter, NULL);
    while (!waiter_tid) sched_yield();
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = SIGRTMIN + 1;
    sev.sigev_value.sival_int = 88;
    sev._sigev_un._tid = waiter_tid;
    SHOW("timer_create SIGEV_THREAD_ID", k_timer_create(CLOCK_MONOTONIC, &sev, &t));
    v = its(10000000, 0);
    k_timer_settime(t, 0, &v, NULL);
    pthread_join(th, NULL);
    REL("  delivered to the named thread", waiter_got_tid == waiter_tid);
    printf("  code=%d value=%d\n", waiter_info.si_code, waiter_info.si_value.sival_int);
    k_timer_delete(t);
    sev._sigev_un._tid = 0x3ffffff0;
    SHOW("timer_create SIGEV_THREAD_ID, tid not ours", k_timer_create(CLOCK_MONOTONIC, &sev, &t));

    /* SIGEV_NONE: expires silently; timer_gettime still tracks it */
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_NONE;
    SHOW("timer_create SIGEV_NONE", k_timer_create(CLOCK_MONOTONIC, &sev, &t));
    v = its(500000000, 0);
    k_timer_settime(t, 0, &v, NULL);
    sleep_ms(20);
    k_timer_gettime(t, &v);
    REL("  counting down", ns_of(v.it_value) > 0 && ns_of(v.it_value) < 500000000);
    v = its(10000000, 0);
    k_timer_settime(t, 0, &v, NULL);
    sleep_ms(30);
    k_timer_gettime(t, &v);
    REL("  expired: value 0", ns_of(v.it_value) == 0);
    sigset_t pend;
    sigpending(&pend);
    REL("  no signal", !sigismember(&pend, SIGRTMIN) && !sigismember(&pend, SIGALRM));
    k_timer_delete(t);

    /* a NULL sigevent means SIGEV_SIGNAL with SIGALRM and the timer id as value */
    counts[SIGALRM] = 0;
    SHOW("timer_create with NULL sigevent", k_timer_create(CLOCK_REALTIME, NULL, &t));
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, NULL);
    v = its(5000000, 0);
    k_timer_settime(t, 0, &v, NULL);
    memset(&si, 0, sizeof si);
    SHOW_SIG("  signal arrives", wait_sig(&alrm, &si));
    printf("  code=%d value_is_id=%d\n", si.si_code, si.si_value.sival_int == t);
    sigprocmask(SIG_UNBLOCK, &alrm, NULL);
    k_timer_delete(t);

    /* a process CPU-time timer fires after CPU time, not wall time */
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN + 2;
    SHOW("timer_create CLOCK_PROCESS_CPUTIME_ID", k_timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &t));
    v = its(30000000, 0);
    k_timer_settime(t, 0, &v, NULL);
    sigset_t just2;
    sigemptyset(&just2);
    sigaddset(&just2, SIGRTMIN + 2);
    int fired = 0;
    wall0 = now_ns(CLOCK_MONOTONIC);
    while (!fired && now_ns(CLOCK_MONOTONIC) - wall0 < 5000000000LL) {
      spin_ms(2);
      fired = sigtimedwait(&just2, &si, &zero) == SIGRTMIN + 2;
    }
    REL("  fired while spinning", fired);
    k_timer_delete(t);

    /* errors */
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN;
    SHOW("timer_create bad clock", k_timer_create(12345, &sev, &t));
    sev.sigev_notify = 99;
    SHOW("timer_create bad sigev_notify", k_timer_create(CLOCK_MONOTONIC, &sev, &t));
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = 0;
    SHOW("timer_create signal 0", k_timer_create(CLOCK_MONOTONIC, &sev, &t));
    sev.sigev_signo = 65;
    SHOW("timer_create signal 65", k_timer_create(CLOCK_MONOTONIC, &sev, &t));
    sev.sigev_signo = SIGRTMIN;
    SHOW("timer_create bad timer id pointer", k_timer_create(CLOCK_MONOTONIC, &sev, (void *)1));
    k_timer_create(CLOCK_MONOTONIC, &sev, &t);
    v = (struct itimerspec){ { 0, 0 }, { 0, 1000000000 } };
    SHOW("timer_settime tv_nsec = 1e9", k_timer_settime(t, 0, &v, NULL));
    SHOW("timer_settime bad flags are ignored", k_timer_settime(t, 0x100, &(struct itimerspec){ { 0, 0 }, { 0, 0 } }, NULL));
    k_timer_delete(t);
    SHOW("timer_delete of an id never created", k_timer_delete(123456));
    sigprocmask(SIG_UNBLOCK, &rt, NULL);
  }

  /* ---- times, getrusage, CPU clocks ---- */
  {
    struct tms a, b;
    clock_t c0 = times(&a);
    long long cpu0 = now_ns(CLOCK_PROCESS_CPUTIME_ID), th0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    /* (th0 is read after cpu0, so the thread's growth below is not overstated) */
    struct rusage r0, r1, rt, rc;
    getrusage(RUSAGE_SELF, &r0);
    long long wall = now_ns(CLOCK_MONOTONIC);
    spin_ms(200);
    wall = now_ns(CLOCK_MONOTONIC) - wall;
    clock_t c1 = times(&b);
    /* the thread's figures first: the process's, read later, must be at least as large */
    long long th1 = now_ns(CLOCK_THREAD_CPUTIME_ID), cpu1 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
    getrusage(RUSAGE_THREAD, &rt);
    getrusage(RUSAGE_SELF, &r1);
    REL("times() return value moves forward", c1 > c0);
    REL("tms_utime grows over 200 ms of spinning", b.tms_utime > a.tms_utime);
    REL("times(NULL) works", times(NULL) != (clock_t)-1);
    REL("CLOCK_PROCESS_CPUTIME_ID grew by >= 50 ms", cpu1 - cpu0 >= 50000000LL);
    REL("  and by no more than the wall time + 50 ms", cpu1 - cpu0 <= wall + 50000000LL);
    REL("CLOCK_THREAD_CPUTIME_ID grew by >= 50 ms", th1 - th0 >= 50000000LL);
    REL("process clock (read after) >= thread clock", cpu1 >= th1);
    REL("getrusage SELF utime grew", tv_us(r1.ru_utime) > tv_us(r0.ru_utime));
    REL("getrusage THREAD <= SELF (read after)", tv_us(rt.ru_utime) + tv_us(rt.ru_stime) <= tv_us(r1.ru_utime) + tv_us(r1.ru_stime));
    REL("ru_maxrss > 0", r1.ru_maxrss > 0);
    getrusage(RUSAGE_CHILDREN, &rc);
    REL("RUSAGE_CHILDREN is zero before any child", tv_us(rc.ru_utime) == 0 && tv_us(rc.ru_stime) == 0);
    pid_t p = fork();
    if (p == 0) { spin_ms(100); _exit(0); }
    waitpid(p, NULL, 0);
    getrusage(RUSAGE_CHILDREN, &rc);
    REL("RUSAGE_CHILDREN after a spinning child", tv_us(rc.ru_utime) + tv_us(rc.ru_stime) > 0);
    struct tms c;
    times(&c);
    REL("tms_cutime after the child", c.tms_cutime + c.tms_cstime > 0);
    SHOW("getrusage bad who", getrusage(7, &r0));
    clockid_t cid;
    printf("clock_getcpuclockid(self): %s\n", errname(clock_getcpuclockid(0, &cid)));
    struct timespec ts;
    SHOW("  clock_gettime on it", clock_gettime(cid, &ts));
    pthread_getcpuclockid(pthread_self(), &cid);
    SHOW("pthread_getcpuclockid clock_gettime", clock_gettime(cid, &ts));
    SHOW("clock_getres PROCESS_CPUTIME", clock_getres(CLOCK_PROCESS_CPUTIME_ID, &ts));
    printf("  res: %ld.%09ld\n", (long)ts.tv_sec, ts.tv_nsec);
    SHOW("clock_nanosleep on the thread CPU clock", syscall(SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, &ts, NULL));
  }

  /* ---- priorities ---- */
  {
    errno = 0;
    int nice0 = getpriority(PRIO_PROCESS, 0);
    REL("getpriority ok", errno == 0);
    SHOW("setpriority 5", setpriority(PRIO_PROCESS, 0, 5));
    SHOW("  getpriority", getpriority(PRIO_PROCESS, 0));
    SHOW("  raw getpriority (20 - nice)", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    SHOW("  getpriority PRIO_PROCESS by pid", getpriority(PRIO_PROCESS, getpid()));
    pid_t p = fork();
    if (p == 0) _exit(getpriority(PRIO_PROCESS, 0));
    int st;
    waitpid(p, &st, 0);
    printf("  a child inherits nice %d\n", WEXITSTATUS(st));
    p = fork();
    if (p == 0) {
      if (setuid(65534)) _exit(100);
      errno = 0;
      int r = setpriority(PRIO_PROCESS, 0, 4);
      _exit(r == -1 ? errno : 0);
    }
    waitpid(p, &st, 0);
    printf("  an unprivileged child lowering its nice: %s\n", errname(WEXITSTATUS(st)));
    SHOW("setpriority 100 (clamped to 19)", setpriority(PRIO_PROCESS, 0, 100));
    SHOW("  getpriority", getpriority(PRIO_PROCESS, 0));
    SHOW("setpriority -100 as root (clamped to -20)", setpriority(PRIO_PROCESS, 0, -100));
    SHOW("  getpriority", getpriority(PRIO_PROCESS, 0));
    SHOW("restore", setpriority(PRIO_PROCESS, 0, nice0));
    REL("  restored", getpriority(PRIO_PROCESS, 0) == nice0);
    SHOW("getpriority bad which", getpriority(7, 0));
    SHOW("getpriority of a pid that does not exist", getpriority(PRIO_PROCESS, 0x3ffffff0));
    SHOW("setpriority of a pid that does not exist", setpriority(PRIO_PROCESS, 0x3ffffff0, 0));
  }

  /* ---- scheduling policy ---- */
  {
    SHOW("sched_getscheduler", sched_getscheduler(0));
    SHOW("sched_get_priority_max(SCHED_FIFO)", sched_get_priority_max(SCHED_FIFO));
    SHOW("sched_get_priority_min(SCHED_FIFO)", sched_get_priority_min(SCHED_FIFO));
    SHOW("sched_get_priority_max(SCHED_RR)", sched_get_priority_max(SCHED_RR));
    SHOW("sched_get_priority_max(SCHED_OTHER)", sched_get_priority_max(SCHED_OTHER));
    SHOW("sched_get_priority_min(SCHED_OTHER)", sched_get_priority_min(SCHED_OTHER));
    SHOW("sched_get_priority_max(SCHED_BATCH)", sched_get_priority_max(SCHED_BATCH));
    SHOW("sched_get_priority_max(SCHED_IDLE)", sched_get_priority_max(SCHED_IDLE));
    SHOW("sched_get_priority_max(99)", sched_get_priority_max(99));
    struct sched_param sp = { 0 };
    SHOW("sched_getparam", sched_getparam(0, &sp));
    printf("  priority %d\n", sp.sched_priority);
    SHOW("sched_setscheduler SCHED_BATCH", sched_setscheduler(0, SCHED_BATCH, &sp));
    SHOW("  sched_getscheduler", sched_getscheduler(0));
    SHOW("sched_setscheduler SCHED_IDLE", sched_setscheduler(0, SCHED_IDLE, &sp));
    SHOW("  sched_getscheduler", sched_getscheduler(0));
    SHOW("sched_setscheduler SCHED_OTHER", sched_setscheduler(0, SCHED_OTHER, &sp));
    SHOW("  sched_getscheduler", sched_getscheduler(0));
    sp.sched_priority = 1;
    SHOW("sched_setscheduler SCHED_OTHER priority 1", sched_setscheduler(0, SCHED_OTHER, &sp));
    sp.sched_priority = 0;
    SHOW("sched_setscheduler bad policy", sched_setscheduler(0, 42, &sp));
    SHOW("sched_setparam priority 0", sched_setparam(0, &sp));
    SHOW("sched_getscheduler of a pid that does not exist", sched_getscheduler(0x3ffffff0));
    SHOW("sched_getscheduler pid -1", sched_getscheduler(-1));
    struct timespec q;
    SHOW("sched_rr_get_interval", sched_rr_get_interval(0, &q));
    REL("  non-negative", q.tv_sec >= 0 && q.tv_nsec >= 0);
    unsigned cpu = 9999, node = 9999;
    SHOW("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
    REL("  cpu < configured CPUs", cpu < (unsigned)sysconf(_SC_NPROCESSORS_CONF));
    SHOW("sched_yield", sched_yield());
  }
  return 0;
}
