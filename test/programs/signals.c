/* rt_sigaction, rt_sigprocmask and sigaltstack: the state must be kept exactly and read back
 * (delivery is a later issue, so no signal is ever raised here). Raw syscalls are used for the
 * kernel's own struct layout and flags, since glibc adds SA_RESTORER and hides some errors.
 * Handler addresses are printed only as relations ("== handler"). */
#include "check.h"
#include <signal.h>
#include <stdint.h>

/* The kernel's struct sigaction on x86-64. */
struct ksigaction {
  void *handler;
  unsigned long flags;
  void *restorer;
  uint64_t mask;
};
#define SA_RESTORER_ 0x04000000
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif

static void h1(int s) { (void)s; }
static void restorer(void) {}

static long rt_sigaction(int sig, const struct ksigaction *act, struct ksigaction *old, size_t sz) {
  return syscall(SYS_rt_sigaction, sig, act, old, sz);
}
static long rt_sigprocmask(int how, const uint64_t *set, uint64_t *old, size_t sz) {
  return syscall(SYS_rt_sigprocmask, how, set, old, sz);
}
#define BIT(s) (1ull << ((s) - 1))

int main(void) {
  setup();
  struct ksigaction act, old;

  /* initial state, as a fresh exec from a default-disposition parent leaves it */
  uint64_t m = 0xdead;
  SHOW("rt_sigprocmask read initial mask", rt_sigprocmask(SIG_BLOCK, NULL, &m, 8));
  printf("  initial mask: %llx\n", (unsigned long long)m);
  memset(&old, 0x55, sizeof old);
  SHOW("rt_sigaction read SIGUSR1", rt_sigaction(SIGUSR1, NULL, &old, 8));
  REL("  SIG_DFL", old.handler == SIG_DFL);
  printf("  flags=%lx mask=%llx\n", old.flags, (unsigned long long)old.mask);

  /* set a handler and read it back exactly */
  act.handler = (void *)h1;
  act.flags = SA_RESTORER_ | SA_SIGINFO | SA_RESTART | SA_ONSTACK;
  act.restorer = (void *)restorer;
  act.mask = BIT(SIGUSR2) | BIT(SIGTERM) | BIT(SIGRTMIN + 3);
  SHOW("rt_sigaction set SIGUSR1", rt_sigaction(SIGUSR1, &act, NULL, 8));
  memset(&old, 0, sizeof old);
  SHOW("rt_sigaction read back", rt_sigaction(SIGUSR1, NULL, &old, 8));
  REL("  handler", old.handler == (void *)h1);
  REL("  restorer", old.restorer == (void *)restorer);
  printf("  flags=%lx mask=%llx\n", old.flags, (unsigned long long)old.mask);
  /* SIGKILL and SIGSTOP in sa_mask are silently dropped */
  act.mask = BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGINT);
  act.flags = SA_RESTORER_ | SA_NODEFER | SA_RESETHAND;
  SHOW("rt_sigaction set with KILL/STOP in mask", rt_sigaction(SIGUSR2, &act, &old, 8));
  rt_sigaction(SIGUSR2, NULL, &old, 8);
  printf("  stored flags=%lx mask=%llx\n", old.flags, (unsigned long long)old.mask);
  /* old action returned while setting a new one */
  act.handler = SIG_IGN;
  act.flags = SA_RESTORER_;
  act.mask = 0;
  memset(&old, 0, sizeof old);
  SHOW("rt_sigaction swap SIGUSR1 to SIG_IGN", rt_sigaction(SIGUSR1, &act, &old, 8));
  REL("  old handler returned", old.handler == (void *)h1);
  rt_sigaction(SIGUSR1, NULL, &old, 8);
  REL("  now SIG_IGN", old.handler == SIG_IGN);
  /* unknown flag bits are stored as given */
  act.handler = SIG_DFL;
  act.flags = SA_RESTORER_ | 0x00000100;
  SHOW("rt_sigaction unknown flag bit", rt_sigaction(SIGHUP, &act, NULL, 8));
  rt_sigaction(SIGHUP, NULL, &old, 8);
  printf("  flags=%lx\n", old.flags);
  act.flags = SA_RESTORER_;
  /* real-time signals work like the rest */
  act.handler = (void *)h1;
  SHOW("rt_sigaction SIGRTMAX (64)", rt_sigaction(64, &act, NULL, 8));
  act.handler = SIG_DFL;
  rt_sigaction(64, &act, NULL, 8);

  /* errors */
  SHOW("rt_sigaction SIGKILL", rt_sigaction(SIGKILL, &act, NULL, 8));
  SHOW("rt_sigaction SIGSTOP", rt_sigaction(SIGSTOP, &act, NULL, 8));
  SHOW("rt_sigaction read SIGKILL", rt_sigaction(SIGKILL, NULL, &old, 8));
  SHOW("rt_sigaction signal 0", rt_sigaction(0, &act, NULL, 8));
  SHOW("rt_sigaction signal 65", rt_sigaction(65, &act, NULL, 8));
  SHOW("rt_sigaction bad sigsetsize", rt_sigaction(SIGUSR1, &act, NULL, 4));
  SHOW("rt_sigaction bad act pointer", rt_sigaction(SIGUSR1, (void *)1, NULL, 8));
  SHOW("rt_sigaction bad oldact pointer", rt_sigaction(SIGUSR1, NULL, (void *)1, 8));
  /* libc view of the same state */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = h1;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGALRM);
  sa.sa_flags = SA_RESTART;
  SHOW("libc sigaction SIGTERM", sigaction(SIGTERM, &sa, NULL));
  struct sigaction sb;
  sigaction(SIGTERM, NULL, &sb);
  REL("  handler", sb.sa_handler == h1);
  REL("  mask has SIGALRM only", sigismember(&sb.sa_mask, SIGALRM) && !sigismember(&sb.sa_mask, SIGINT));
  printf("  flags=%x\n", sb.sa_flags);
  SHOW("libc signal(SIGPIPE, SIG_IGN) != SIG_ERR", signal(SIGPIPE, SIG_IGN) == SIG_ERR ? -1 : 0);

  /* rt_sigprocmask */
  uint64_t set = BIT(SIGUSR1) | BIT(SIGINT), cur;
  SHOW("SIG_BLOCK USR1|INT", rt_sigprocmask(SIG_BLOCK, &set, NULL, 8));
  rt_sigprocmask(SIG_BLOCK, NULL, &cur, 8);
  printf("  mask: %llx\n", (unsigned long long)cur);
  set = BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGTERM);
  SHOW("SIG_BLOCK KILL|STOP|TERM", rt_sigprocmask(SIG_BLOCK, &set, &cur, 8));
  printf("  old mask: %llx\n", (unsigned long long)cur);
  rt_sigprocmask(SIG_BLOCK, NULL, &cur, 8);
  printf("  mask (KILL/STOP dropped): %llx\n", (unsigned long long)cur);
  set = BIT(SIGINT);
  SHOW("SIG_UNBLOCK INT", rt_sigprocmask(SIG_UNBLOCK, &set, NULL, 8));
  rt_sigprocmask(SIG_BLOCK, NULL, &cur, 8);
  printf("  mask: %llx\n", (unsigned long long)cur);
  set = BIT(SIGRTMIN) | BIT(64) | BIT(SIGHUP);
  SHOW("SIG_SETMASK RTMIN|64|HUP", rt_sigprocmask(SIG_SETMASK, &set, &cur, 8));
  printf("  old mask: %llx\n", (unsigned long long)cur);
  rt_sigprocmask(SIG_SETMASK, NULL, &cur, 8);
  printf("  mask: %llx\n", (unsigned long long)cur);
  SHOW("bad how", rt_sigprocmask(99, &set, NULL, 8));
  SHOW("bad how with NULL set", rt_sigprocmask(99, NULL, &cur, 8));
  SHOW("bad sigsetsize", rt_sigprocmask(SIG_BLOCK, &set, NULL, 16));
  SHOW("bad set pointer", rt_sigprocmask(SIG_BLOCK, (void *)1, NULL, 8));
  SHOW("bad oldset pointer", rt_sigprocmask(SIG_BLOCK, NULL, (void *)1, 8));
  sigset_t ls;
  sigemptyset(&ls);
  sigprocmask(SIG_SETMASK, &ls, NULL);
  sigprocmask(SIG_BLOCK, NULL, &ls);
  REL("libc sigprocmask cleared", !sigismember(&ls, SIGHUP) && !sigismember(&ls, SIGUSR1));

  /* sigaltstack */
  stack_t ss, oss;
  memset(&oss, 0x55, sizeof oss);
  SHOW("sigaltstack read initial", sigaltstack(NULL, &oss));
  printf("  flags=%d size=%zu sp_null=%d\n", oss.ss_flags, oss.ss_size, oss.ss_sp == NULL);
  static char stk[65536];
  ss.ss_sp = stk;
  ss.ss_size = sizeof stk;
  ss.ss_flags = 0;
  SHOW("sigaltstack set", sigaltstack(&ss, NULL));
  memset(&oss, 0, sizeof oss);
  SHOW("sigaltstack read back", sigaltstack(NULL, &oss));
  REL("  sp", oss.ss_sp == stk);
  printf("  flags=%d size=%zu\n", oss.ss_flags, oss.ss_size);
  ss.ss_size = 1024;
  SHOW("sigaltstack too small", sigaltstack(&ss, NULL));
  ss.ss_size = sizeof stk;
  ss.ss_flags = 0x1234;
  SHOW("sigaltstack bad flags", sigaltstack(&ss, NULL));
  ss.ss_flags = SS_AUTODISARM;
  SHOW("sigaltstack SS_AUTODISARM", sigaltstack(&ss, &oss));
  sigaltstack(NULL, &oss);
  printf("  flags=%x\n", oss.ss_flags);
  ss.ss_flags = SS_ONSTACK;
  SHOW("sigaltstack SS_ONSTACK (treated as 0)", sigaltstack(&ss, NULL));
  sigaltstack(NULL, &oss);
  printf("  flags=%x\n", oss.ss_flags);
  ss.ss_flags = SS_DISABLE;
  ss.ss_size = 0;
  SHOW("sigaltstack disable", sigaltstack(&ss, &oss));
  REL("  old sp returned", oss.ss_sp == stk);
  sigaltstack(NULL, &oss);
  printf("  flags=%d size=%zu\n", oss.ss_flags, oss.ss_size);
  SHOW("sigaltstack bad ss pointer", syscall(SYS_sigaltstack, (void *)1, NULL));
  SHOW("sigaltstack bad oss pointer", syscall(SYS_sigaltstack, NULL, (void *)1));
  return 0;
}
