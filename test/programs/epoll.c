/* epoll, eventfd and timerfd: creation and error paths, level- and edge-triggered readiness of a
 * pipe, EPOLLONESHOT re-arming, epoll inside epoll (and loops), closing a watched fd, blocking
 * waits woken by a child and by a signal, eventfd counter and semaphore modes, timerfd one-shot,
 * periodic and absolute timers. Timing-dependent values are printed as relations only. */
#include "check.h"
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

static int ep_ctl(int ep, int op, int fd, uint32_t ev, uint64_t data) {
  struct epoll_event e = { .events = ev, .data.u64 = data };
  return epoll_ctl(ep, op, fd, &e);
}

/* epoll_wait with a small array; prints count and each (events, data) sorted by data. */
static void wait_show(const char *label, int ep, int max, int timeout) {
  struct epoll_event evs[8];
  errno = 0;
  int n = epoll_wait(ep, evs, max, timeout);
  if (n < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++)
      if (evs[j].data.u64 < evs[i].data.u64) { struct epoll_event x = evs[i]; evs[i] = evs[j]; evs[j] = x; }
  printf("%s: %d", label, n);
  for (int i = 0; i < n; i++) printf(" [%#x %llu]", evs[i].events, (unsigned long long)evs[i].data.u64);
  printf("\n");
}

static void on_alarm(int s) { (void)s; }
static volatile int alarms;
static void count_alarm(int s) { (void)s; alarms++; }

static void test_create(void) {
  printf("-- create\n");
  SHOW("epoll_create(0)", epoll_create(0));
  SHOW("epoll_create(-1)", epoll_create(-1));
  int a = epoll_create(1);
  REL("epoll_create(1) >= 0", a >= 0);
  SHOW("F_GETFD", fcntl(a, F_GETFD));
  close(a);
  SHOW("epoll_create1(bad flag)", epoll_create1(1));
  SHOW("epoll_create1(O_NONBLOCK)", epoll_create1(O_NONBLOCK));
  int b = epoll_create1(EPOLL_CLOEXEC);
  SHOW("F_GETFD cloexec", fcntl(b, F_GETFD));
  char link[64], target[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", b);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n >= 0) target[n] = 0; else strcpy(target, errname(errno));
  printf("fd link: %s\n", target);
  char buf[8];
  SHOW("read epoll fd", read(b, buf, 8));
  close(b);
}

static void test_ctl_errors(void) {
  printf("-- ctl errors\n");
  int ep = epoll_create1(0), p[2];
  pipe(p);
  SHOW("ADD pipe", ep_ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1));
  SHOW("ADD again EEXIST", ep_ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1));
  SHOW("MOD write end ENOENT", ep_ctl(ep, EPOLL_CTL_MOD, p[1], EPOLLOUT, 2));
  SHOW("DEL write end ENOENT", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
  SHOW("bad op", ep_ctl(ep, 99, p[0], EPOLLIN, 1));
  SHOW("bad epfd", ep_ctl(999, EPOLL_CTL_ADD, p[0], EPOLLIN, 1));
  SHOW("bad fd", ep_ctl(ep, EPOLL_CTL_ADD, 999, EPOLLIN, 1));
  SHOW("epfd not epoll", ep_ctl(p[1], EPOLL_CTL_ADD, p[0], EPOLLIN, 1));
  SHOW("add self", ep_ctl(ep, EPOLL_CTL_ADD, ep, EPOLLIN, 1));
  SHOW("NULL event", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], NULL));
  SHOW("bad event ptr", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], (struct epoll_event *)8));
  SHOW("DEL with NULL", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  SHOW("DEL again", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
  make_tmpdir("epoll");
  int rf = open(tmp("reg"), O_RDWR | O_CREAT, 0600);
  SHOW("ADD regular file EPERM", ep_ctl(ep, EPOLL_CTL_ADD, rf, EPOLLIN, 1));
  int dfd = open(tsv_dir, O_RDONLY | O_DIRECTORY);
  SHOW("ADD directory EPERM", ep_ctl(ep, EPOLL_CTL_ADD, dfd, EPOLLIN, 1));
  close(rf); close(dfd);
  unlink(tmp("reg"));
  cleanup();
  /* EPOLLEXCLUSIVE */
  SHOW("ADD EXCLUSIVE", ep_ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 1));
  SHOW("MOD EXCLUSIVE entry", ep_ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN, 1));
  SHOW("MOD with EXCLUSIVE", ep_ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLEXCLUSIVE, 1));
  SHOW("ADD EXCLUSIVE|ONESHOT", ep_ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT | EPOLLEXCLUSIVE | EPOLLONESHOT, 2));
  int inner = epoll_create1(0);
  SHOW("ADD EXCLUSIVE epoll", ep_ctl(ep, EPOLL_CTL_ADD, inner, EPOLLIN | EPOLLEXCLUSIVE, 3));
  /* wait errors */
  struct epoll_event evs[2];
  SHOW("wait maxevents 0", epoll_wait(ep, evs, 0, 0));
  SHOW("wait maxevents -1", syscall(SYS_epoll_wait, ep, evs, -1, 0));
  SHOW("wait bad epfd", epoll_wait(999, evs, 2, 0));
  SHOW("wait not epoll", epoll_wait(p[0], evs, 2, 0));
  SHOW("wait NULL events", syscall(SYS_epoll_wait, ep, NULL, 2, 0));
  write(p[1], "x", 1);
  SHOW("wait ready, bad events ptr", syscall(SYS_epoll_wait, ep, (void *)8, 2, 0));
  sigset_t ss;
  sigemptyset(&ss);
  SHOW("pwait bad sigsetsize", syscall(SYS_epoll_pwait, ep, evs, 2, 0, &ss, 4));
  struct timespec bad = { 0, 1000000000 };
  SHOW("pwait2 bad timespec", syscall(SYS_epoll_pwait2, ep, evs, 2, &bad, NULL, 8));
  SHOW("pwait2 bad timespec ptr", syscall(SYS_epoll_pwait2, ep, evs, 2, (void *)8, NULL, 8));
  close(inner); close(ep); close(p[0]); close(p[1]);
}

static void test_level(void) {
  printf("-- level-triggered\n");
  int ep = epoll_create1(0), p[2];
  char buf[16];
  pipe(p);
  ep_ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLRDHUP, 10);
  ep_ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT, 11);
  wait_show("wait: write end writable", ep, 8, 0);
  write(p[1], "abc", 3);
  wait_show("wait: both", ep, 8, 0);
  wait_show("wait again: level stays", ep, 8, 0);
  wait_show("maxevents 1", ep, 1, 0);
  SHOW("MOD write end to 0 events", ep_ctl(ep, EPOLL_CTL_MOD, p[1], 0, 11));
  wait_show("wait: read end only", ep, 8, 0);
  read(p[0], buf, 3);
  wait_show("drained: none", ep, 8, 0);
  struct pollfd pf = { ep, POLLIN, 0 };
  SHOW("poll epoll fd (none)", poll(&pf, 1, 0));
  write(p[1], "d", 1);
  SHOW("poll epoll fd (ready)", poll(&pf, 1, 0));
  printf("  revents %#x\n", pf.revents);
  read(p[0], buf, 1);
  close(p[1]);
  wait_show("writer closed: HUP", ep, 8, 0);
  close(p[0]);
  wait_show("read end closed: dropped", ep, 8, 0);
  close(ep);
}

static void test_edge(void) {
  printf("-- edge-triggered\n");
  int ep = epoll_create1(0), p[2];
  char buf[16];
  pipe(p);
  ep_ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET, 20);
  wait_show("empty", ep, 8, 0);
  write(p[1], "ab", 2);
  wait_show("after write", ep, 8, 0);
  wait_show("again: no new edge", ep, 8, 0);
  read(p[0], buf, 1);
  wait_show("partial read: no edge", ep, 8, 0);
  write(p[1], "c", 1);
  wait_show("second write: edge", ep, 8, 0);
  wait_show("again", ep, 8, 0);
  SHOW("MOD rearms", ep_ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLET, 21));
  wait_show("after MOD (data pending)", ep, 8, 0);
  read(p[0], buf, 16);
  /* ET on the write end: a read that frees space is an edge */
  ep_ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT | EPOLLET, 22);
  wait_show("write end at add", ep, 8, 0);
  wait_show("write end again", ep, 8, 0);
  fcntl(p[1], F_SETFL, O_NONBLOCK);
  char big[4096];
  memset(big, 'x', sizeof big);
  while (write(p[1], big, sizeof big) > 0) {}
  wait_show("pipe full", ep, 8, 0);
  read(p[0], big, sizeof big);
  wait_show("space freed: both edges", ep, 8, 0);
  close(p[0]); close(p[1]); close(ep);
}

static void test_oneshot(void) {
  printf("-- oneshot\n");
  int ep = epoll_create1(0), p[2];
  char buf[16];
  pipe(p);
  ep_ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLONESHOT, 30);
  write(p[1], "a", 1);
  wait_show("first", ep, 8, 0);
  wait_show("disarmed", ep, 8, 0);
  write(p[1], "b", 1);
  wait_show("still disarmed after write", ep, 8, 0);
  SHOW("ADD again EEXIST", ep_ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 30));
  SHOW("MOD rearm", ep_ctl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 31));
  wait_show("rearmed", ep, 8, 0);
  wait_show("disarmed again", ep, 8, 0);
  read(p[0], buf, 16);
  close(p[0]); close(p[1]); close(ep);
}

static void test_nested_and_close(void) {
  printf("-- nested\n");
  int outer = epoll_create1(0), inner = epoll_create1(0), p[2];
  char buf[16];
  pipe(p);
  ep_ctl(inner, EPOLL_CTL_ADD, p[0], EPOLLIN, 40);
  SHOW("ADD inner to outer", ep_ctl(outer, EPOLL_CTL_ADD, inner, EPOLLIN, 41));
  SHOW("ADD outer to inner ELOOP", ep_ctl(inner, EPOLL_CTL_ADD, outer, EPOLLIN, 42));
  wait_show("outer: nothing", outer, 8, 0);
  write(p[1], "x", 1);
  wait_show("outer sees inner", outer, 8, 0);
  wait_show("inner", inner, 8, 0);
  read(p[0], buf, 1);
  wait_show("outer after drain", outer, 8, 0);
  close(inner);
  close(outer);
  printf("-- close and dup\n");
  int ep = epoll_create1(0);
  ep_ctl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT, 50);
  int d = dup(p[1]);
  close(p[1]);
  wait_show("closed fd but dup alive: still reported", ep, 8, 0);
  SHOW("DEL via closed fd EBADF", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
  SHOW("DEL via dup ENOENT", epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL));
  close(d);
  wait_show("last fd closed: gone", ep, 8, 0);
  close(p[0]);
  close(ep);
}

static void test_blocking(void) {
  printf("-- blocking\n");
  int ep = epoll_create1(0), p[2];
  char buf[16];
  pipe(p);
  ep_ctl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 60);
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  wait_show("timeout 50ms", ep, 8, 50);
  clock_gettime(CLOCK_MONOTONIC, &b);
  long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
  REL("waited >= 50ms", ms >= 50);
  struct timespec ts = { 0, 20000000 };
  SHOW("pwait2 20ms", syscall(SYS_epoll_pwait2, ep, (struct epoll_event[2]){}, 2, &ts, NULL, 8));
  pid_t c = fork();
  if (c == 0) {
    usleep(50000);
    write(p[1], "z", 1);
    _exit(0);
  }
  wait_show("woken by child", ep, 8, -1);
  waitpid(c, NULL, 0);
  read(p[0], buf, 1);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  alarm(1);
  wait_show("interrupted (SA_RESTART ignored)", ep, 8, -1);
  /* epoll_pwait with SIGALRM blocked by its mask: the timeout wins */
  sigset_t m;
  sigemptyset(&m);
  sigaddset(&m, SIGALRM);
  alarm(0);
  struct epoll_event ev[2];
  SHOW("pwait with mask, timeout", epoll_pwait(ep, ev, 2, 30, &m));
  /* a SIGALRM arriving during that wait stays pending until the call returns */
  alarms = 0;
  sa.sa_handler = count_alarm;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval itv = { { 0, 0 }, { 0, 20000 } };
  setitimer(ITIMER_REAL, &itv, NULL);
  SHOW("pwait masks SIGALRM for 100ms", epoll_pwait(ep, ev, 2, 100, &m));
  printf("  handler ran after the call: %d\n", alarms);
  SHOW("pwait2 without mask interrupted", ({ setitimer(ITIMER_REAL, &itv, NULL);
    syscall(SYS_epoll_pwait2, ep, ev, 2, NULL, NULL, 8); }));
  printf("  handler ran: %d\n", alarms);
  /* blocking on eventfd through epoll */
  int efd = eventfd(0, 0);
  ep_ctl(ep, EPOLL_CTL_ADD, efd, EPOLLIN | EPOLLET, 61);
  c = fork();
  if (c == 0) {
    usleep(30000);
    uint64_t one = 1;
    write(efd, &one, 8);
    _exit(0);
  }
  wait_show("woken by eventfd", ep, 8, 5000);
  waitpid(c, NULL, 0);
  close(efd); close(p[0]); close(p[1]); close(ep);
}

static void test_eventfd(void) {
  printf("-- eventfd\n");
  uint64_t v;
  int e = eventfd(3, EFD_NONBLOCK);
  printf("F_GETFL: %o\n", fcntl(e, F_GETFL));
  SHOW("short read", read(e, &v, 4));
  SHOW("read", read(e, &v, 8));
  printf("  value %llu\n", (unsigned long long)v);
  SHOW("read empty EAGAIN", read(e, &v, 8));
  v = 5;
  SHOW("short write", write(e, &v, 7));
  SHOW("write 5", write(e, &v, 8));
  SHOW("write 5", write(e, &v, 8));
  uint64_t two[2] = {0, 0};
  SHOW("read 16-byte buffer", read(e, two, 16));
  printf("  value %llu\n", (unsigned long long)two[0]);
  v = UINT64_MAX;
  SHOW("write ~0 EINVAL", write(e, &v, 8));
  v = UINT64_MAX - 1;
  SHOW("write max", write(e, &v, 8));
  v = 1;
  SHOW("write past max EAGAIN", write(e, &v, 8));
  struct pollfd pf = { e, POLLIN | POLLOUT, 0 };
  poll(&pf, 1, 0);
  printf("  revents at max %#x\n", pf.revents);
  SHOW("read", read(e, &v, 8));
  printf("  value %#llx\n", (unsigned long long)v);
  poll(&pf, 1, 0);
  printf("  revents at 0 %#x\n", pf.revents);
  v = 0;
  SHOW("write 0", write(e, &v, 8));
  SHOW("read after write 0", read(e, &v, 8));
  close(e);
  SHOW("eventfd2 bad flags", syscall(SYS_eventfd2, 0, 0x10));
  e = eventfd(2, EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK);
  SHOW("F_GETFD", fcntl(e, F_GETFD));
  for (int i = 0; i < 3; i++) {
    errno = 0;
    v = 0;
    long r = read(e, &v, 8);
    printf("sem read %d: %ld %s value %llu\n", i, r, r < 0 ? errname(errno) : "", (unsigned long long)v);
  }
  char link[64], target[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", e);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n >= 0) target[n] = 0; else strcpy(target, errname(errno));
  printf("fd link: %s\n", target);
  close(e);
  /* blocking read woken by a child's write */
  e = eventfd(0, 0);
  pid_t c = fork();
  if (c == 0) {
    usleep(30000);
    v = 7;
    write(e, &v, 8);
    _exit(0);
  }
  SHOW("blocking read", read(e, &v, 8));
  printf("  value %llu\n", (unsigned long long)v);
  waitpid(c, NULL, 0);
  close(e);
}

static long ts_ms(struct timespec t) { return t.tv_sec * 1000 + t.tv_nsec / 1000000; }

static void test_timerfd(void) {
  printf("-- timerfd\n");
  SHOW("create bad clock", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
  SHOW("create bad flags", timerfd_create(CLOCK_MONOTONIC, 1));
  int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  REL("created", t >= 0);
  SHOW("F_GETFD", fcntl(t, F_GETFD));
  printf("F_GETFL: %o\n", fcntl(t, F_GETFL));
  uint64_t v;
  SHOW("read unarmed EAGAIN", read(t, &v, 8));
  SHOW("short read", read(t, &v, 4));
  SHOW("write", write(t, &v, 8));
  struct itimerspec its, old;
  memset(&its, 0, sizeof its);
  SHOW("gettime unarmed", timerfd_gettime(t, &old));
  printf("  %ld %ld %ld %ld\n", (long)old.it_value.tv_sec, old.it_value.tv_nsec, (long)old.it_interval.tv_sec, old.it_interval.tv_nsec);
  its.it_value.tv_nsec = 1000000000;
  SHOW("settime bad nsec", timerfd_settime(t, 0, &its, NULL));
  its.it_value.tv_nsec = 0;
  SHOW("settime bad flags", timerfd_settime(t, 4, &its, NULL));
  SHOW("settime NULL", timerfd_settime(t, 0, NULL, NULL));
  SHOW("settime bad fd", timerfd_settime(999, 0, &its, NULL));
  int notimer = eventfd(0, 0);
  SHOW("settime not timerfd", timerfd_settime(notimer, 0, &its, NULL));
  SHOW("gettime not timerfd", timerfd_gettime(notimer, &old));
  close(notimer);
  SHOW("gettime bad fd", timerfd_gettime(999, &old));
  SHOW("gettime bad ptr", timerfd_gettime(t, (void *)8));
  /* one-shot, relative */
  its.it_value.tv_sec = 5;
  SHOW("settime 5s", timerfd_settime(t, 0, &its, NULL));
  timerfd_gettime(t, &old);
  REL("gettime value in (4s,5s]", ts_ms(old.it_value) > 4000 && ts_ms(old.it_value) <= 5000);
  its.it_value.tv_sec = 0;
  its.it_value.tv_nsec = 20000000;
  SHOW("settime 20ms returns old", timerfd_settime(t, 0, &its, &old));
  REL("old value in (4s,5s]", ts_ms(old.it_value) > 4000 && ts_ms(old.it_value) <= 5000);
  int ep = epoll_create1(0);
  ep_ctl(ep, EPOLL_CTL_ADD, t, EPOLLIN, 70);
  wait_show("epoll on timerfd", ep, 8, 2000);
  SHOW("read", read(t, &v, 8));
  printf("  expirations %llu\n", (unsigned long long)v);
  SHOW("read again EAGAIN", read(t, &v, 8));
  timerfd_gettime(t, &old);
  printf("  expired one-shot gettime: %ld %ld\n", (long)old.it_value.tv_sec, old.it_value.tv_nsec);
  /* periodic */
  its.it_value.tv_nsec = 10000000;
  its.it_interval.tv_nsec = 10000000;
  timerfd_settime(t, 0, &its, NULL);
  usleep(105000);
  SHOW("read periodic", read(t, &v, 8));
  REL("expirations >= 9", v >= 9);
  REL("expirations <= 30", v <= 30);
  timerfd_gettime(t, &old);
  REL("interval 10ms", old.it_interval.tv_sec == 0 && old.it_interval.tv_nsec == 10000000);
  REL("value <= 10ms", old.it_value.tv_sec == 0 && old.it_value.tv_nsec <= 10000000);
  memset(&its, 0, sizeof its);
  SHOW("disarm", timerfd_settime(t, 0, &its, NULL));
  SHOW("read disarmed EAGAIN", read(t, &v, 8));
  close(ep);
  close(t);
  /* absolute, on each clock; a past time fires at once */
  int clocks[3] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME };
  const char *names[3] = { "REALTIME", "MONOTONIC", "BOOTTIME" };
  for (int i = 0; i < 3; i++) {
    t = timerfd_create(clocks[i], 0);
    struct timespec now;
    clock_gettime(clocks[i], &now);
    memset(&its, 0, sizeof its);
    its.it_value = now;
    its.it_value.tv_nsec += 30000000;
    if (its.it_value.tv_nsec >= 1000000000) { its.it_value.tv_sec++; its.it_value.tv_nsec -= 1000000000; }
    printf("%s abs settime: %d\n", names[i], timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL));
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    long r = read(t, &v, 8);
    clock_gettime(CLOCK_MONOTONIC, &b);
    long waited = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
    printf("  blocking read %ld value %llu waited>=20ms %d\n", r, (unsigned long long)v, waited >= 20);
    its.it_value.tv_sec = 1;
    its.it_value.tv_nsec = 0;
    its.it_interval.tv_sec = 1;
    timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL);
    r = read(t, &v, 8);
    printf("  past abs periodic: read %ld, many expirations %d\n", r, v > 1000);
    if (clocks[i] == CLOCK_REALTIME)
      printf("  CANCEL_ON_SET accepted: %d\n", timerfd_settime(t, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL));
    close(t);
  }
}

int main(void) {
  setup();
  test_create();
  test_ctl_errors();
  test_level();
  test_edge();
  test_oneshot();
  test_nested_and_close();
  test_blocking();
  test_eventfd();
  test_timerfd();
  return 0;
}
