/* signalfd/signalfd4: reading pending signals of a set as struct signalfd_siginfo, the
 * thread and process queues, readiness for poll and epoll, blocking reads woken by a send,
 * flags, changing the set of an existing signalfd, SIGKILL/SIGSTOP dropped from the set,
 * and the error paths. */
#include "check.h"
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <pthread.h>

static void show_info(const char *label, struct signalfd_siginfo *si) {
  printf("%s: signo=%u code=%d errno=%d pid_is_self=%d uid=%u int=%d ptr=%llu status=%d\n", label, si->ssi_signo,
         si->ssi_code, si->ssi_errno, si->ssi_pid == (unsigned)getpid(), si->ssi_uid, si->ssi_int,
         (unsigned long long)si->ssi_ptr, si->ssi_status);
}

static int sfd_raw(int fd, sigset_t *m, long size, int flags) {
  return syscall(SYS_signalfd4, fd, m, size, flags);
}

static void *thread_kill(void *arg) {
  usleep(50000);
  kill(getpid(), (int)(long)arg);
  return NULL;
}

int main(void) {
  setup();
  REL("siginfo size", sizeof(struct signalfd_siginfo) == 128);
  REL("ssi_addr offset", offsetof(struct signalfd_siginfo, ssi_addr) == 72);
  sigset_t m, all;
  sigemptyset(&m);
  sigaddset(&m, SIGUSR1);
  sigaddset(&m, SIGUSR2);
  sigaddset(&m, SIGRTMIN + 1);
  sigaddset(&m, SIGCHLD);
  sigprocmask(SIG_BLOCK, &m, NULL);

  /* error paths */
  SHOW("sizemask 4", sfd_raw(-1, &m, 4, 0));
  SHOW("sizemask 16", sfd_raw(-1, &m, 16, 0));
  SHOW("bad flags", sfd_raw(-1, &m, 8, 1));
  SHOW("bad mask ptr", sfd_raw(-1, (sigset_t *)8, 8, 0));
  SHOW("bad fd", sfd_raw(99, &m, 8, 0));
  int pfd[2];
  pipe(pfd);
  SHOW("not a signalfd", sfd_raw(pfd[0], &m, 8, 0));
  SHOW("old signalfd syscall", syscall(SYS_signalfd, -1, &m, 8) >= 0);

  int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
  REL("signalfd ok", fd >= 0);
  SHOW("cloexec", fcntl(fd, F_GETFD));
  SHOW("flags", fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE));
  struct signalfd_siginfo si[4];
  SHOW("read empty", read(fd, si, sizeof si));
  SHOW("read small", read(fd, si, 127));
  SHOW("write", write(fd, si, 128));
  struct pollfd p = { fd, POLLIN, 0 };
  SHOW("poll empty", poll(&p, 1, 0));

  kill(getpid(), SIGUSR1);
  SHOW("poll pending", poll(&p, 1, 0));
  printf("revents: %d\n", p.revents);
  SHOW("read one", read(fd, si, sizeof si));
  show_info("usr1", &si[0]);
  SHOW("read again", read(fd, si, sizeof si));

  /* merged standard signals, queued real-time ones, thread-directed first */
  kill(getpid(), SIGUSR2);
  kill(getpid(), SIGUSR2);
  union sigval v = { .sival_int = 42 };
  sigqueue(getpid(), SIGRTMIN + 1, v);
  v.sival_int = 43;
  sigqueue(getpid(), SIGRTMIN + 1, v);
  syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
  SHOW("read many", read(fd, si, sizeof si));
  for (int i = 0; i < 4; i++) show_info("many", &si[i]);
  SHOW("read drained", read(fd, si, sizeof si));

  /* A partial buffer: only whole records. */
  kill(getpid(), SIGUSR1);
  kill(getpid(), SIGUSR2);
  SHOW("read 200 bytes", read(fd, si, 200));
  SHOW("read rest", read(fd, si, 128));
  show_info("rest", &si[0]);

  /* Changing the set: SIGUSR2 only; SIGKILL and SIGSTOP vanish from the set silently. */
  sigset_t m2;
  sigemptyset(&m2);
  sigaddset(&m2, SIGUSR2);
  sigaddset(&m2, SIGKILL);
  sigaddset(&m2, SIGSTOP);
  SHOW("update same fd", signalfd(fd, &m2, 0) == fd);
  kill(getpid(), SIGUSR1);
  SHOW("usr1 not in set", read(fd, si, sizeof si));
  kill(getpid(), SIGUSR2);
  SHOW("usr2 in set", read(fd, si, sizeof si));
  sigset_t pend;
  sigpending(&pend);
  REL("usr1 still pending", sigismember(&pend, SIGUSR1));
  SHOW("update flags ignored", fcntl(fd, F_GETFL) & O_NONBLOCK);
  sigemptyset(&m2);
  sigaddset(&m2, SIGUSR1);
  signalfd(fd, &m2, 0);
  SHOW("usr1 after update", read(fd, si, sizeof si));

  /* epoll readiness */
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 7 };
  SHOW("epoll add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
  struct epoll_event out;
  SHOW("epoll empty", epoll_wait(ep, &out, 1, 0));
  kill(getpid(), SIGUSR1);
  SHOW("epoll ready", epoll_wait(ep, &out, 1, 0));
  printf("epoll data: %u events %u\n", out.data.u32, out.events);
  read(fd, si, sizeof si);
  SHOW("epoll drained", epoll_wait(ep, &out, 1, 1));

  /* Blocking read woken by a signal sent later (from another thread). */
  int bfd = signalfd(-1, &m, 0);
  pthread_t th;
  pthread_create(&th, NULL, thread_kill, (void *)(long)SIGUSR2);
  SHOW("blocking read", read(bfd, si, sizeof si));
  show_info("blocked", &si[0]);
  pthread_join(th, NULL);

  /* poll wakes when the signal arrives */
  pthread_create(&th, NULL, thread_kill, (void *)(long)SIGUSR1);
  p.fd = bfd;
  p.revents = 0;
  SHOW("poll wakes", poll(&p, 1, 5000));
  pthread_join(th, NULL);
  SHOW("read after poll", read(bfd, si, sizeof si));

  /* SIGCHLD from a child; the child reads its own signals after fork. */
  pid_t c = fork();
  if (c == 0) {
    struct signalfd_siginfo csi;
    SHOW("child read empty", read(fd, &csi, sizeof csi));
    kill(getpid(), SIGUSR1);
    SHOW("child read own", read(fd, &csi, sizeof csi));
    _exit(3);
  }
  int st;
  waitpid(c, &st, 0);
  sigemptyset(&m2);
  sigaddset(&m2, SIGCHLD);
  signalfd(fd, &m2, 0);
  SHOW("read sigchld", read(fd, si, sizeof si));
  printf("chld: signo=%u code=%d status=%d pid_is_child=%d\n", si[0].ssi_signo, si[0].ssi_code, si[0].ssi_status,
         si[0].ssi_pid == (unsigned)c);

  /* Interrupting a blocking read with an unblocked handled signal: EINTR. */
  sigemptyset(&all);
  close(fd);
  close(bfd);
  SHOW("closed read", read(fd, si, sizeof si));
  return 0;
}
