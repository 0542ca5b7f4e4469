/* Signals. First the state calls (rt_sigaction, rt_sigprocmask, sigaltstack), kept exactly and read
 * back; raw syscalls are used there for the kernel's own struct layout and flags, since glibc adds
 * SA_RESTORER and hides some errors. Then delivery: siginfo for kill/tgkill/sigqueue/
 * rt_sigqueueinfo, blocking and queueing (real-time signals queue with their values, standard ones
 * do not), synchronous faults (SIGSEGV MAPERR/ACCERR/non-executable/general protection, SIGBUS past
 * EOF, SIGFPE, SIGTRAP from int3, SIGILL from ud2 with the handler moving RIP), nested handlers,
 * SA_NODEFER, SA_RESETHAND, the alternate stack (SS_ONSTACK, SS_AUTODISARM, stack overflow),
 * SA_RESTART versus EINTR (pipe read, nanosleep, futex with and without a timeout, wait4),
 * restart_syscall after SIGSTOP/SIGCONT, sigsuspend, sigtimedwait, pause,
 * the FP/SSE/AVX state across a handler that scribbles on it (synchronously and interrupting a
 * spin loop), the XSAVE frame contents, and rt_sigreturn installing an edited uc_sigmask.
 * Addresses and pids are printed only as relations. */
#include "check.h"
#include <signal.h>
#include <stdint.h>
#include <setjmp.h>
#include <time.h>
#include <ucontext.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

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

static void state_checks(void) {
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
}

/* ======================================================================================
 * Delivery (issue 3). Every test installs what it needs and puts the default back.
 * ====================================================================================== */

static void reset_all(void) {
  for (int s = 1; s <= 64; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    signal(s, SIG_DFL);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  stack_t ss = { .ss_sp = NULL, .ss_size = 0, .ss_flags = SS_DISABLE };
  sigaltstack(&ss, NULL);
  struct itimerval off = { { 0, 0 }, { 0, 0 } };
  setitimer(ITIMER_REAL, &off, NULL);
}

static void on(int sig, void (*h)(int, siginfo_t *, void *), int flags, const int *mask_sigs) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = h;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  for (; mask_sigs && *mask_sigs; mask_sigs++) {
    if (*mask_sigs == -1) sigfillset(&sa.sa_mask);
    else sigaddset(&sa.sa_mask, *mask_sigs);
  }
  if (sigaction(sig, &sa, NULL)) printf("sigaction(%d) failed: %s\n", sig, errname(errno));
}
static const int FULL_MASK[] = { -1, 0 };

static void block(int sig) { sigset_t s; sigemptyset(&s); sigaddset(&s, sig); sigprocmask(SIG_BLOCK, &s, NULL); }
static void unblock(int sig) { sigset_t s; sigemptyset(&s); sigaddset(&s, sig); sigprocmask(SIG_UNBLOCK, &s, NULL); }
static int is_blocked(int sig) { sigset_t s; sigprocmask(SIG_BLOCK, NULL, &s); return sigismember(&s, sig); }
static int is_pending(int sig) { sigset_t s; sigpending(&s); return sigismember(&s, sig); }

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void arm_alarm_ms(int ms) {
  struct itimerval it = { { 0, 0 }, { ms / 1000, (ms % 1000) * 1000 } };
  setitimer(ITIMER_REAL, &it, NULL);
}

/* ---- a handler that records the siginfo ---- */
static siginfo_t last;
static volatile int nhandled;
static void record(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)uc;
  last = *si;
  nhandled++;
}

/* ---- a log of handler entries/exits for ordering tests ---- */
static char trace[256];
static void tr(const char *s) { strncat(trace, s, sizeof trace - strlen(trace) - 1); }
static void trace_rt(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  char b[32];
  if (sig >= SIGRTMIN) snprintf(b, sizeof b, "RTMIN+%d:%d ", sig - SIGRTMIN, si->si_value.sival_int);
  else snprintf(b, sizeof b, "%d ", sig);
  tr(b);
}

/* ---- faults ---- */
static sigjmp_buf jb;
static void fault_jump(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  last = *si;
  last.si_signo = sig;
  siglongjmp(jb, 1);
}
/* Small functions in assembly so their addresses are exact. */
extern char tsv_int3[], tsv_after_int3[], tsv_ud2[], tsv_after_ud2[], tsv_hlt[];
__asm__(".text\n"
        ".globl tsv_int3\n tsv_int3: int3\n"
        ".globl tsv_after_int3\n tsv_after_int3: ret\n"
        ".globl tsv_ud2\n tsv_ud2: ud2\n"
        ".globl tsv_after_ud2\n tsv_after_ud2: ret\n"
        ".globl tsv_hlt\n tsv_hlt: hlt\n ret\n");
static volatile unsigned long trap_rip;
static void on_trap(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  last = *si;
  last.si_signo = sig;
  trap_rip = uc->uc_mcontext.gregs[REG_RIP];
}
static void on_ill_skip(int sig, siginfo_t *si, void *ucv) {
  ucontext_t *uc = ucv;
  last = *si;
  last.si_signo = sig;
  trap_rip = uc->uc_mcontext.gregs[REG_RIP];
  uc->uc_mcontext.gregs[REG_RIP] += 2; /* skip the ud2: rt_sigreturn must honour the new RIP */
}

static void show_fault(const char *label, void *expect_addr, int check_addr) {
  printf("%s: signo=%d code=%d", label, last.si_signo, last.si_code);
  if (check_addr) printf(" addr_match=%d", last.si_addr == expect_addr);
  printf("\n");
}

/* ---- nesting ---- */
static void nest_usr2(int sig, siginfo_t *si, void *uc) { (void)sig; (void)si; (void)uc; tr("2<> "); }
static void nest_usr1(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)si; (void)uc;
  tr("1< ");
  raise(SIGUSR2);
  tr("1> ");
}
static volatile int depth, maxdepth, calls;
static void reenter(int sig, siginfo_t *si, void *uc) {
  (void)si; (void)uc;
  depth++;
  if (depth > maxdepth) maxdepth = depth;
  if (++calls < 3) raise(sig);
  depth--;
}

/* ---- alternate stack ---- */
static char altstack[1 << 16];
static volatile uintptr_t handler_sp, handler_sp2;
static volatile int inner_ss_flags;
static void where_am_i(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)si; (void)uc;
  volatile char here;
  handler_sp = (uintptr_t)&here;
  stack_t o;
  sigaltstack(NULL, &o);
  inner_ss_flags = o.ss_flags;
}
static void where_am_i_nested(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)si; (void)uc;
  volatile char here;
  handler_sp = (uintptr_t)&here;
  raise(SIGUSR2); /* also SA_ONSTACK: its frame goes below ours on the same stack */
}
static void where_am_i_2(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)si; (void)uc;
  volatile char here;
  handler_sp2 = (uintptr_t)&here;
}
static int on_alt(uintptr_t sp) { return sp >= (uintptr_t)altstack && sp < (uintptr_t)altstack + sizeof altstack; }

static int overflow_pipe;
static void on_overflow(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  volatile char here;
  int msg[3] = { sig, si->si_code, on_alt((uintptr_t)&here) };
  if (write(overflow_pipe, msg, sizeof msg)) {}
  _exit(42);
}
static volatile int recurse_limit = 1 << 30;
static int recurse(int n) {
  volatile char buf[4096];
  if (n > recurse_limit) return 0;
  buf[0] = (char)n;
  buf[4095] = (char)n;
  return recurse(n + 1) + buf[0] + buf[4095];
}

/* ---- SA_RESTART / EINTR ---- */
static int ctl_w = -1;
static volatile int alarms;
static void on_alarm(int sig, siginfo_t *si, void *uc) {
  (void)sig; (void)si; (void)uc;
  alarms++;
  if (ctl_w >= 0 && write(ctl_w, "w", 1)) {} /* tell the writer child to write now */
}

static volatile uint32_t futex_word;
static void on_alarm_futex(int sig, siginfo_t *si, void *uc) {
  on_alarm(sig, si, uc);
  futex_word = 1; /* no wake: only a restarted wait notices */
}

/* Read from a pipe whose writer child writes only once our SIGALRM handler has run.
 * No timing race: the handler runs after the read was interrupted, whatever the delays. */
static void read_interrupted(const char *label, int flags) {
  int ctl[2], data[2];
  if (pipe(ctl) || pipe(data)) exit(1);
  pid_t c = fork();
  if (c == 0) {
    char ch;
    close(ctl[1]);
    close(data[0]);
    if (read(ctl[0], &ch, 1) != 1) _exit(1);
    if (write(data[1], "data", 4) != 4) _exit(2);
    _exit(0);
  }
  close(ctl[0]);
  close(data[1]);
  ctl_w = ctl[1];
  alarms = 0;
  on(SIGALRM, on_alarm, flags, NULL);
  arm_alarm_ms(100);
  char buf[16];
  errno = 0;
  long r = read(data[0], buf, sizeof buf);
  int e = errno;
  printf("%s\n", label);
  show_("  first read", r, e);
  if (r < 0) {
    r = read(data[0], buf, sizeof buf);
    printf("  second read: %ld\n", r);
  }
  printf("  handler ran %d time(s)\n", alarms);
  int st;
  waitpid(c, &st, 0);
  close(ctl[1]);
  close(data[0]);
  ctl_w = -1;
  signal(SIGALRM, SIG_DFL);
}

/* ---- registers across a handler ---- */
static unsigned char xin[32][64] __attribute__((aligned(64))), xout[32][64] __attribute__((aligned(64)));
static volatile int use_avx, use_avx512;
static volatile int fp_magic_ok, fp_xmm3_ok, fp_mxcsr_ok;
static volatile int sync_scribbled;
static volatile uint32_t main_mxcsr;
static void scribble(int sig, siginfo_t *si, void *ucv) {
  (void)sig; (void)si;
  ucontext_t *uc = ucv;
  /* the interrupted state is in the frame: check the XSAVE magic and one saved register */
  struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
  if (fp) {
    uint32_t *sw = (uint32_t *)((char *)fp + 464);
    uint32_t magic1 = sw[0], ext = sw[1];
    fp_magic_ok = magic1 == 0x46505853u && ext > 512 && *(uint32_t *)((char *)fp + ext - 4) == 0x46505845u;
    fp_xmm3_ok = !memcmp(&fp->_xmm[3], xin[3], 16);
    fp_mxcsr_ok = fp->mxcsr == main_mxcsr;
    /* and change one: xmm5 after sigreturn must be this */
    memset(&fp->_xmm[5], 0xa5, 16);
  }
  __asm__ volatile(
      "pcmpeqb %%xmm0, %%xmm0\n pcmpeqb %%xmm1, %%xmm1\n pcmpeqb %%xmm2, %%xmm2\n pcmpeqb %%xmm3, %%xmm3\n"
      "pcmpeqb %%xmm4, %%xmm4\n pcmpeqb %%xmm5, %%xmm5\n pcmpeqb %%xmm6, %%xmm6\n pcmpeqb %%xmm7, %%xmm7\n"
      "pcmpeqb %%xmm8, %%xmm8\n pcmpeqb %%xmm9, %%xmm9\n pcmpeqb %%xmm10, %%xmm10\n pcmpeqb %%xmm11, %%xmm11\n"
      "pcmpeqb %%xmm12, %%xmm12\n pcmpeqb %%xmm13, %%xmm13\n pcmpeqb %%xmm14, %%xmm14\n pcmpeqb %%xmm15, %%xmm15\n" ::
          : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11",
            "xmm12", "xmm13", "xmm14", "xmm15");
  if (use_avx)
    __asm__ volatile("vpcmpeqb %%ymm0, %%ymm0, %%ymm0\n vpcmpeqb %%ymm7, %%ymm7, %%ymm7\n vpcmpeqb %%ymm15, %%ymm15, %%ymm15\n"
                     "vzeroupper\n vpcmpeqb %%ymm1, %%ymm1, %%ymm1\n vpcmpeqb %%ymm9, %%ymm9, %%ymm9\n" ::
                         : "xmm0", "xmm1", "xmm7", "xmm9", "xmm15");
  if (use_avx512)
    __asm__ volatile("vpternlogd $0xff, %%zmm16, %%zmm16, %%zmm16\n vpternlogd $0xff, %%zmm31, %%zmm31, %%zmm31\n"
                     "vpternlogd $0xff, %%zmm3, %%zmm3, %%zmm3\n" ::
                         : "xmm3"); /* xmm16-31: not used by code built without AVX-512 */
  uint32_t m = 0x7f80; /* all exceptions masked, round toward zero, FTZ off */
  __asm__ volatile("ldmxcsr %0" ::"m"(m));
  uint16_t cw = 0x0c7f; /* x87: round toward zero */
  __asm__ volatile("fldcw %0" ::"m"(cw));
  sync_scribbled++;
}

#define LOAD_XMM(in) \
  "movdqu 0(" in "), %%xmm0\n movdqu 64(" in "), %%xmm1\n movdqu 128(" in "), %%xmm2\n movdqu 192(" in "), %%xmm3\n" \
  "movdqu 256(" in "), %%xmm4\n movdqu 320(" in "), %%xmm5\n movdqu 384(" in "), %%xmm6\n movdqu 448(" in "), %%xmm7\n" \
  "movdqu 512(" in "), %%xmm8\n movdqu 576(" in "), %%xmm9\n movdqu 640(" in "), %%xmm10\n movdqu 704(" in "), %%xmm11\n" \
  "movdqu 768(" in "), %%xmm12\n movdqu 832(" in "), %%xmm13\n movdqu 896(" in "), %%xmm14\n movdqu 960(" in "), %%xmm15\n"
#define STORE_XMM(out) \
  "movdqu %%xmm0, 0(" out ")\n movdqu %%xmm1, 64(" out ")\n movdqu %%xmm2, 128(" out ")\n movdqu %%xmm3, 192(" out ")\n" \
  "movdqu %%xmm4, 256(" out ")\n movdqu %%xmm5, 320(" out ")\n movdqu %%xmm6, 384(" out ")\n movdqu %%xmm7, 448(" out ")\n" \
  "movdqu %%xmm8, 512(" out ")\n movdqu %%xmm9, 576(" out ")\n movdqu %%xmm10, 640(" out ")\n movdqu %%xmm11, 704(" out ")\n" \
  "movdqu %%xmm12, 768(" out ")\n movdqu %%xmm13, 832(" out ")\n movdqu %%xmm14, 896(" out ")\n movdqu %%xmm15, 960(" out ")\n"
#define XMM_CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", \
  "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

static void fill_pattern(void) {
  for (int r = 0; r < 32; r++)
    for (int b = 0; b < 64; b++) xin[r][b] = (unsigned char)(r * 64 + b * 7 + 1);
  memset(xout, 0, sizeof xout);
}
static int xmm_ok(int skip5) {
  for (int r = 0; r < 16; r++) {
    if (r == 5 && skip5) continue;
    if (memcmp(xin[r], xout[r], 16)) return 0;
  }
  return 1;
}
static uint32_t get_mxcsr(void) { uint32_t m; __asm__ volatile("stmxcsr %0" : "=m"(m)); return m; }
static uint16_t get_fcw(void) { uint16_t c; __asm__ volatile("fnstcw %0" : "=m"(c)); return c; }

/* Upper halves of ymm0-15 and zmm16-31 (where the CPU has them), across a raise(). */
static int wide_regs_preserved(void) {
  if (!use_avx) return 1;
  long pid = getpid(), tid = syscall(SYS_gettid);
  memset(xout, 0, sizeof xout);
  long nr = SYS_tgkill;
  __asm__ volatile("vmovdqu 0(%[in]), %%ymm0\n vmovdqu 64(%[in]), %%ymm1\n vmovdqu 448(%[in]), %%ymm7\n"
                   "vmovdqu 576(%[in]), %%ymm9\n vmovdqu 960(%[in]), %%ymm15\n"
                   "syscall\n"
                   "vmovdqu %%ymm0, 0(%[out])\n vmovdqu %%ymm1, 64(%[out])\n vmovdqu %%ymm7, 448(%[out])\n"
                   "vmovdqu %%ymm9, 576(%[out])\n vmovdqu %%ymm15, 960(%[out])\n vzeroupper\n"
                   : "+a"(nr)
                   : [in] "r"(xin), [out] "r"(xout), "D"(pid), "S"(tid), "d"((long)SIGUSR1)
                   : "rcx", "r11", "memory", XMM_CLOBBERS);
  int ok = 1;
  int regs[] = { 0, 1, 7, 9, 15 };
  for (int i = 0; i < 5; i++) ok &= !memcmp(xin[regs[i]], xout[regs[i]], 32);
  if (use_avx512) {
    nr = SYS_tgkill;
    memset(xout, 0, sizeof xout);
    __asm__ volatile("vmovdqu64 0(%[in]), %%zmm16\n vmovdqu64 192(%[in]), %%zmm3\n vmovdqu64 1984(%[in]), %%zmm31\n"
                     "syscall\n"
                     "vmovdqu64 %%zmm16, 0(%[out])\n vmovdqu64 %%zmm3, 192(%[out])\n vmovdqu64 %%zmm31, 1984(%[out])\n"
                     "vzeroupper\n"
                     : "+a"(nr)
                     : [in] "r"(xin), [out] "r"(xout), "D"(pid), "S"(tid), "d"((long)SIGUSR1)
                     : "rcx", "r11", "memory", "xmm3"); /* zmm16-31: see above */
    ok &= !memcmp(xin[0], xout[0], 64) && !memcmp(xin[3], xout[3], 64) && !memcmp(xin[31], xout[31], 64);
  }
  return ok;
}

static volatile int async_flag;
static void scribble_async(int sig, siginfo_t *si, void *uc) {
  scribble(sig, si, uc);
  async_flag = 1;
}

/* ---- rt_sigreturn with an edited mask ---- */
static void edit_mask(int sig, siginfo_t *si, void *ucv) {
  (void)sig; (void)si;
  ucontext_t *uc = ucv;
  sigaddset(&uc->uc_sigmask, SIGUSR2);
  sigdelset(&uc->uc_sigmask, SIGHUP);
  sigaddset(&uc->uc_sigmask, SIGKILL); /* dropped by the kernel on return */
}

static void delivery_checks(void) {
  pid_t me = getpid();

  /* ---- siginfo for each way of sending ---- */
  on(SIGUSR1, record, 0, NULL);
  memset(&last, 0, sizeof last);
  SHOW("kill(self, SIGUSR1)", kill(me, SIGUSR1));
  printf("  handled=%d signo=%d code=%d pid_match=%d uid_match=%d\n", nhandled, last.si_signo, last.si_code,
         last.si_pid == me, last.si_uid == getuid());
  memset(&last, 0, sizeof last);
  SHOW("tgkill(self, SIGUSR1)", syscall(SYS_tgkill, me, syscall(SYS_gettid), SIGUSR1));
  printf("  signo=%d code=%d pid_match=%d\n", last.si_signo, last.si_code, last.si_pid == me);
  memset(&last, 0, sizeof last);
  SHOW("raise(SIGUSR1)", raise(SIGUSR1));
  printf("  signo=%d code=%d\n", last.si_signo, last.si_code);
  on(SIGRTMIN + 1, record, 0, NULL);
  memset(&last, 0, sizeof last);
  SHOW("sigqueue(self, SIGRTMIN+1, 1234)", sigqueue(me, SIGRTMIN + 1, (union sigval){ .sival_int = 1234 }));
  printf("  signo-SIGRTMIN=%d code=%d value=%d pid_match=%d uid_match=%d\n", last.si_signo - SIGRTMIN, last.si_code,
         last.si_value.sival_int, last.si_pid == me, last.si_uid == getuid());
  siginfo_t q;
  memset(&q, 0, sizeof q);
  q.si_signo = SIGUSR1;
  q.si_code = -42;
  q.si_pid = 4242;
  q.si_value.sival_int = 77;
  memset(&last, 0, sizeof last);
  SHOW("rt_sigqueueinfo to self with code -42", syscall(SYS_rt_sigqueueinfo, me, SIGUSR1, &q));
  printf("  code=%d pid=%d value=%d\n", last.si_code, last.si_pid, last.si_value.sival_int);
  memset(&last, 0, sizeof last);
  SHOW("rt_tgsigqueueinfo to self", syscall(SYS_rt_tgsigqueueinfo, me, syscall(SYS_gettid), SIGUSR1, &q));
  printf("  code=%d pid=%d value=%d\n", last.si_code, last.si_pid, last.si_value.sival_int);
  {
    pid_t c = fork();
    if (c == 0) { for (;;) pause(); }
    q.si_code = 0; /* SI_USER may not be forged for another process */
    SHOW("rt_sigqueueinfo SI_USER to another process", syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &q));
    q.si_code = SI_TKILL;
    SHOW("rt_sigqueueinfo SI_TKILL to another process", syscall(SYS_rt_sigqueueinfo, c, SIGUSR1, &q));
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
  }
  SHOW("kill signal 0 (existence)", kill(me, 0));
  SHOW("kill a pid that does not exist", kill(0x3ffffff0, SIGUSR1));
  SHOW("kill signal 65", kill(me, 65));
  SHOW("tgkill signal -1", syscall(SYS_tgkill, me, me, -1));
  signal(SIGUSR1, SIG_DFL);
  signal(SIGRTMIN + 1, SIG_DFL);

  /* ---- blocking, pending, queueing ---- */
  on(SIGUSR1, trace_rt, 0, FULL_MASK);
  on(SIGRTMIN + 2, trace_rt, 0, FULL_MASK);
  on(SIGRTMIN + 3, trace_rt, 0, FULL_MASK);
  sigset_t blk, old;
  sigemptyset(&blk);
  sigaddset(&blk, SIGUSR1);
  sigaddset(&blk, SIGRTMIN + 2);
  sigaddset(&blk, SIGRTMIN + 3);
  sigprocmask(SIG_BLOCK, &blk, &old);
  sigqueue(me, SIGRTMIN + 3, (union sigval){ .sival_int = 1 });
  sigqueue(me, SIGRTMIN + 3, (union sigval){ .sival_int = 2 });
  sigqueue(me, SIGRTMIN + 2, (union sigval){ .sival_int = 10 });
  sigqueue(me, SIGRTMIN + 2, (union sigval){ .sival_int = 20 });
  sigqueue(me, SIGRTMIN + 2, (union sigval){ .sival_int = 30 });
  kill(me, SIGUSR1);
  kill(me, SIGUSR1); /* a standard signal does not queue: one delivery */
  REL("blocked signals pending, no handler run", is_pending(SIGUSR1) && is_pending(SIGRTMIN + 2) && trace[0] == 0);
  sigprocmask(SIG_SETMASK, &old, NULL);
  printf("delivery order after unblocking: %s\n", trace);
  REL("nothing pending afterwards", !is_pending(SIGUSR1) && !is_pending(SIGRTMIN + 2) && !is_pending(SIGRTMIN + 3));
  trace[0] = 0;
  /* a blocked signal is kept even when ignored; setting SIG_IGN again discards it */
  signal(SIGUSR2, SIG_IGN);
  block(SIGUSR2);
  kill(me, SIGUSR2);
  REL("blocked + ignored signal is pending", is_pending(SIGUSR2));
  signal(SIGUSR2, SIG_IGN);
  REL("  sigaction(SIG_IGN) discards it", !is_pending(SIGUSR2));
  kill(me, SIGUSR2);
  signal(SIGUSR2, SIG_DFL); /* USR2's default action is to terminate, so it stays pending */
  REL("  pending again; SIG_DFL (terminate) keeps it", is_pending(SIGUSR2));
  signal(SIGUSR2, SIG_IGN);
  unblock(SIGUSR2);
  signal(SIGUSR2, SIG_DFL);
  block(SIGWINCH);
  kill(me, SIGWINCH);
  signal(SIGWINCH, SIG_DFL);
  REL("SIG_DFL on a default-ignore signal discards the pending one", !is_pending(SIGWINCH));
  unblock(SIGWINCH);

  /* ---- faults ---- */
  on(SIGSEGV, fault_jump, SA_NODEFER, NULL);
  on(SIGBUS, fault_jump, SA_NODEFER, NULL);
  on(SIGFPE, fault_jump, SA_NODEFER, NULL);
  char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(page, 4096);
  if (!sigsetjmp(jb, 1)) { (void)*(volatile int *)(page + 8); printf("no fault?\n"); }
  show_fault("read of an unmapped page", page + 8, 1);
  page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (!sigsetjmp(jb, 1)) { *(volatile int *)(page + 100) = 1; printf("no fault?\n"); }
  show_fault("write to a read-only page", page + 100, 1);
  munmap(page, 4096);
  page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  page[0] = (char)0xc3; /* ret, but the page is not executable */
  if (!sigsetjmp(jb, 1)) { ((void (*)(void))page)(); printf("no fault?\n"); }
  show_fault("call into a non-executable page", page, 1);
  munmap(page, 4096);
  if (!sigsetjmp(jb, 1)) { (void)*(volatile long *)0x8000000000001000ul; printf("no fault?\n"); }
  show_fault("read of a non-canonical address (general protection)", NULL, 1);
  if (!sigsetjmp(jb, 1)) { ((void (*)(void))tsv_hlt)(); printf("no fault?\n"); }
  show_fault("hlt in user mode", NULL, 1);
  {
    int fd = open(tmp("bus"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (ftruncate(fd, 4096)) perror("ftruncate");
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (!sigsetjmp(jb, 1)) { (void)*(volatile char *)(m + 4096 + 16); printf("no fault?\n"); }
    show_fault("read past the end of a mapped file", m + 4096 + 16, 1);
    REL("  the page inside the file is fine", m[10] == 0);
    munmap(m, 8192);
    unlink(tmp("bus"));
  }
  volatile int zero = 0, one = 1, minint = (int)0x80000000u, minus1 = -1;
  if (!sigsetjmp(jb, 1)) { printf("no fault? %d\n", one / zero); }
  show_fault("integer division by zero", NULL, 0);
  if (!sigsetjmp(jb, 1)) { printf("no fault? %d\n", minint / minus1); }
  show_fault("INT_MIN / -1", NULL, 0);
  on(SIGTRAP, on_trap, 0, NULL);
  memset(&last, 0, sizeof last);
  ((void (*)(void))tsv_int3)();
  show_fault("int3 (handler returns, execution continues)", NULL, 1);
  REL("  RIP in the frame is just after the int3", trap_rip == (unsigned long)tsv_after_int3);
  on(SIGILL, on_ill_skip, 0, NULL);
  memset(&last, 0, sizeof last);
  ((void (*)(void))tsv_ud2)();
  show_fault("ud2 (handler advances RIP past it)", tsv_ud2, 1);
  REL("  RIP in the frame is the ud2", trap_rip == (unsigned long)tsv_ud2);
  /* a fault with the signal blocked kills (the kernel unblocks and resets it) */
  {
    pid_t c = fork();
    if (c == 0) {
      block(SIGSEGV);
      *(volatile int *)8 = 1;
      _exit(3);
    }
    int st;
    waitpid(c, &st, 0);
    printf("SIGSEGV while blocked: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    c = fork();
    if (c == 0) {
      signal(SIGSEGV, SIG_IGN);
      *(volatile int *)8 = 1;
      _exit(3);
    }
    waitpid(c, &st, 0);
    printf("SIGSEGV while ignored: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
  }
  reset_all();

  /* ---- nested handlers ---- */
  trace[0] = 0;
  on(SIGUSR1, nest_usr1, 0, NULL);
  on(SIGUSR2, nest_usr2, 0, NULL);
  raise(SIGUSR1);
  printf("USR1 handler raising USR2: %s\n", trace);
  trace[0] = 0;
  static const int mask_usr2[] = { SIGUSR2, 0 };
  on(SIGUSR1, nest_usr1, 0, mask_usr2);
  raise(SIGUSR1);
  printf("same with USR2 in USR1's sa_mask: %s\n", trace);
  depth = maxdepth = calls = 0;
  on(SIGUSR1, reenter, SA_NODEFER, NULL);
  raise(SIGUSR1);
  printf("SA_NODEFER self-raise: calls=%d max depth=%d\n", calls, maxdepth);
  depth = maxdepth = calls = 0;
  on(SIGUSR1, reenter, 0, NULL);
  raise(SIGUSR1);
  printf("without SA_NODEFER: calls=%d max depth=%d\n", calls, maxdepth);
  /* the handler's mask is the old mask + sa_mask + the signal; restored on return */
  REL("mask restored after the handlers", !is_blocked(SIGUSR1) && !is_blocked(SIGUSR2));

  /* ---- SA_RESETHAND ---- */
  nhandled = 0;
  on(SIGUSR1, record, SA_RESETHAND, NULL);
  raise(SIGUSR1);
  struct sigaction cur;
  sigaction(SIGUSR1, NULL, &cur);
  printf("SA_RESETHAND: handled=%d now SIG_DFL=%d flags=%#x\n", nhandled, cur.sa_handler == SIG_DFL,
         cur.sa_flags & ~0x04000000);
  {
    pid_t c = fork();
    if (c == 0) {
      on(SIGUSR1, record, SA_RESETHAND, NULL);
      raise(SIGUSR1);
      raise(SIGUSR1); /* default action now */
      _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("  second raise in a child: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
  }
  reset_all();

  /* ---- sigaltstack ---- */
  {
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
    SHOW("sigaltstack", sigaltstack(&ss, NULL));
    on(SIGUSR1, where_am_i, SA_ONSTACK, NULL);
    raise(SIGUSR1);
    REL("SA_ONSTACK handler runs on the alternate stack", on_alt(handler_sp));
    printf("  ss_flags inside: %d\n", inner_ss_flags);
    stack_t o;
    sigaltstack(NULL, &o);
    printf("  ss_flags after: %d\n", o.ss_flags);
    on(SIGUSR1, where_am_i, 0, NULL);
    raise(SIGUSR1);
    REL("handler without SA_ONSTACK runs on the normal stack", !on_alt(handler_sp));
    printf("  ss_flags inside: %d\n", inner_ss_flags);
    on(SIGUSR1, where_am_i_nested, SA_ONSTACK, NULL);
    on(SIGUSR2, where_am_i_2, SA_ONSTACK, NULL);
    raise(SIGUSR1);
    REL("nested SA_ONSTACK handler: same stack, below the first frame",
        on_alt(handler_sp) && on_alt(handler_sp2) && handler_sp2 < handler_sp);
    ss.ss_flags = SS_AUTODISARM;
    sigaltstack(&ss, NULL);
    on(SIGUSR1, where_am_i, SA_ONSTACK, NULL);
    raise(SIGUSR1);
    REL("SS_AUTODISARM: handler on the alternate stack", on_alt(handler_sp));
    printf("  ss_flags inside: %#x\n", (unsigned)inner_ss_flags);
    sigaltstack(NULL, &o);
    printf("  ss_flags after: %#x\n", (unsigned)o.ss_flags);
    SHOW("disable while not on it", sigaltstack(&(stack_t){ .ss_flags = SS_DISABLE }, NULL));
    reset_all();

    /* stack overflow caught on the alternate stack, in a child with a 1 MiB stack limit */
    int p[2];
    if (pipe(p)) exit(1);
    pid_t c = fork();
    if (c == 0) {
      close(p[0]);
      overflow_pipe = p[1];
      struct rlimit rl = { 1 << 20, 1 << 20 };
      setrlimit(RLIMIT_STACK, &rl);
      stack_t s2 = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
      sigaltstack(&s2, NULL);
      on(SIGSEGV, on_overflow, SA_ONSTACK, NULL);
      recurse(0);
      _exit(1);
    }
    close(p[1]);
    int st, msg[3] = { 0, 0, 0 };
    waitpid(c, &st, 0);
    REL("stack overflow: handler reported", read(p[0], msg, sizeof msg) == sizeof msg);
    printf("  signo=%d code=%d on_altstack=%d exit=%d\n", msg[0], msg[1], msg[2], WEXITSTATUS(st));
    close(p[0]);
  }

  /* ---- SA_RESTART versus EINTR ---- */
  read_interrupted("pipe read, handler without SA_RESTART", 0);
  read_interrupted("pipe read, handler with SA_RESTART", SA_RESTART);
  {
    alarms = 0;
    on(SIGALRM, on_alarm, SA_RESTART, NULL);
    struct timespec req = { 0, 900 * 1000000L }, rem = { 0, 0 };
    arm_alarm_ms(100);
    SHOW("nanosleep with an SA_RESTART handler (never restarted)", nanosleep(&req, &rem));
    REL("  remaining time reported, less than asked", rem.tv_sec == 0 && rem.tv_nsec > 0 && rem.tv_nsec < 900 * 1000000L);
    /* futex: a wait with a timeout is never restarted (restart block, EINTR); one without a
     * timeout is restarted under SA_RESTART, and the restarted wait then sees the word the
     * handler changed (EAGAIN) */
    futex_word = 0;
    arm_alarm_ms(100);
    SHOW("futex wait with a 2 s timeout, SA_RESTART handler",
         syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, &(struct timespec){ 2, 0 }, NULL, 0));
    on(SIGALRM, on_alarm_futex, SA_RESTART, NULL);
    futex_word = 0;
    arm_alarm_ms(100);
    SHOW("futex wait, no timeout, SA_RESTART handler changes the word (restarted: EAGAIN)",
         syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
    on(SIGALRM, on_alarm_futex, 0, NULL);
    futex_word = 0;
    arm_alarm_ms(100);
    SHOW("futex wait, no timeout, handler without SA_RESTART",
         syscall(SYS_futex, &futex_word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
    on(SIGALRM, on_alarm, SA_RESTART, NULL);
    arm_alarm_ms(100);
    SHOW("pause", pause());
    printf("  alarms handled: %d\n", alarms);
    signal(SIGALRM, SIG_DFL);
    /* wait4 is restarted with SA_RESTART */
    pid_t c = fork();
    if (c == 0) {
      struct timespec ts = { 0, 400 * 1000000L };
      nanosleep(&ts, NULL);
      _exit(5);
    }
    alarms = 0;
    on(SIGALRM, on_alarm, SA_RESTART, NULL);
    arm_alarm_ms(100);
    int st = 0;
    REL("waitpid restarted across an SA_RESTART handler", waitpid(c, &st, 0) == c && WEXITSTATUS(st) == 5);
    printf("  alarms handled: %d\n", alarms);
    arm_alarm_ms(0);
    signal(SIGALRM, SIG_DFL);
    /* a stop and continue of a process in nanosleep: restart_syscall finishes the sleep */
    int rp[2];
    if (pipe(rp)) exit(1);
    c = fork();
    if (c == 0) {
      struct timespec ts = { 0, 300 * 1000000L };
      long long t0 = now_ns();
      int r = nanosleep(&ts, NULL);
      int msg[2] = { r == -1 ? errno : r, now_ns() - t0 >= 300 * 1000000LL };
      if (write(rp[1], msg, sizeof msg)) {}
      _exit(0);
    }
    struct timespec ts = { 0, 50 * 1000000L };
    nanosleep(&ts, NULL);
    kill(c, SIGSTOP);
    waitpid(c, &st, WUNTRACED);
    kill(c, SIGCONT);
    waitpid(c, &st, 0);
    int msg[2] = { -2, -2 };
    if (read(rp[0], msg, sizeof msg) != sizeof msg) msg[0] = -3;
    printf("nanosleep across SIGSTOP/SIGCONT: returned %s, slept the full time %d\n", msg[0] ? errname(msg[0]) : "0", msg[1]);
    close(rp[0]);
    close(rp[1]);
  }
  reset_all();

  /* ---- sigsuspend, sigtimedwait, pause ---- */
  {
    nhandled = 0;
    on(SIGUSR1, record, 0, NULL);
    block(SIGUSR1);
    pid_t c = fork();
    if (c == 0) {
      kill(getppid(), SIGUSR1);
      _exit(0);
    }
    sigset_t empty;
    sigemptyset(&empty);
    memset(&last, 0, sizeof last);
    SHOW("sigsuspend until a child's SIGUSR1", sigsuspend(&empty));
    printf("  handled=%d code=%d from_child=%d\n", nhandled, last.si_code, last.si_pid == c);
    REL("  mask restored (SIGUSR1 blocked again)", is_blocked(SIGUSR1));
    waitpid(c, NULL, 0);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    block(SIGUSR2);
    struct timespec t50 = { 0, 50 * 1000000L };
    long long t0 = now_ns();
    SHOW("sigtimedwait 50 ms, nothing comes", sigtimedwait(&set, NULL, &t50));
    REL("  waited >= 50 ms", now_ns() - t0 >= 50 * 1000000LL);
    struct timespec zero = { 0, 0 };
    SHOW("sigtimedwait zero timeout", sigtimedwait(&set, NULL, &zero));
    struct timespec bad = { 0, 1000000000L };
    SHOW("sigtimedwait bad timeout", sigtimedwait(&set, NULL, &bad));
    sigqueue(me, SIGUSR2, (union sigval){ .sival_int = 5 });
    siginfo_t si;
    memset(&si, 0, sizeof si);
    SHOW("sigtimedwait with SIGUSR2 pending", sigtimedwait(&set, &si, &t50));
    printf("  code=%d value=%d\n", si.si_code, si.si_value.sival_int);
    sigaddset(&set, SIGUSR1);
    kill(me, SIGUSR2);
    kill(me, SIGUSR1);
    SHOW("sigwaitinfo with USR1 and USR2 pending (lowest first)", sigwaitinfo(&set, &si));
    SHOW("  then", sigwaitinfo(&set, &si));
    REL("  the handler did not run", nhandled == 1);
    reset_all();

    on(SIGALRM, record, 0, NULL);
    arm_alarm_ms(100);
    memset(&last, 0, sizeof last);
    SHOW("pause woken by SIGALRM", pause());
    printf("  signo=%d code=%d\n", last.si_signo, last.si_code);
    reset_all();
  }

  /* ---- registers survive a handler that scribbles on them ---- */
  {
    use_avx = __builtin_cpu_supports("avx");
    use_avx512 = __builtin_cpu_supports("avx512f");
    on(SIGUSR1, scribble, 0, NULL);
    fill_pattern();
    uint32_t mx0 = get_mxcsr();
    uint16_t cw0 = get_fcw();
    main_mxcsr = mx0;
    long pid = me, tid = syscall(SYS_gettid);
    long nr = SYS_tgkill;
    __asm__ volatile(LOAD_XMM("%[in]") "syscall\n" STORE_XMM("%[out]")
                     : "+a"(nr)
                     : [in] "r"(xin), [out] "r"(xout), "D"(pid), "S"(tid), "d"((long)SIGUSR1)
                     : "rcx", "r11", "memory", XMM_CLOBBERS);
    printf("signal during a tgkill with xmm0-15 live: handler ran %d\n", sync_scribbled);
    REL("  xmm0-15 preserved (except xmm5)", xmm_ok(1));
    unsigned char a5[16];
    memset(a5, 0xa5, 16);
    REL("  xmm5 is what the handler wrote into its ucontext", !memcmp(xout[5], a5, 16));
    REL("  MXCSR preserved", get_mxcsr() == mx0);
    REL("  x87 control word preserved", get_fcw() == cw0);
    REL("  frame: XSAVE magic numbers", fp_magic_ok);
    REL("  frame: saved xmm3 is the interrupted value", fp_xmm3_ok);
    REL("  frame: saved MXCSR is the interrupted value", fp_mxcsr_ok);
    REL("ymm/zmm state preserved (1 without AVX)", wide_regs_preserved());

    /* asynchronous: a timer signal arrives while we spin in user code with xmm0-15 live */
    async_flag = 0;
    on(SIGALRM, scribble_async, 0, NULL);
    fill_pattern();
    arm_alarm_ms(20);
    unsigned long spins = 4000000000ul;
    __asm__ volatile(LOAD_XMM("%[in]")
                     "1: cmpl $0, (%[flag])\n jne 2f\n dec %[n]\n jnz 1b\n"
                     "2:\n" STORE_XMM("%[out]")
                     : [n] "+r"(spins)
                     : [in] "r"(xin), [out] "r"(xout), [flag] "r"(&async_flag)
                     : "memory", "cc", XMM_CLOBBERS);
    REL("SIGALRM interrupted a user-mode spin loop", async_flag == 1);
    REL("  xmm0-15 preserved (except xmm5)", xmm_ok(1));
    REL("  MXCSR preserved", get_mxcsr() == mx0);
    reset_all();
  }

  /* ---- rt_sigreturn installs the mask the handler left in its ucontext ---- */
  {
    block(SIGHUP);
    on(SIGUSR1, edit_mask, 0, NULL);
    raise(SIGUSR1);
    printf("after a handler edited uc_sigmask: USR2 blocked=%d HUP blocked=%d USR1 blocked=%d\n", is_blocked(SIGUSR2),
           is_blocked(SIGHUP), is_blocked(SIGUSR1));
    sigset_t m;
    sigprocmask(SIG_BLOCK, NULL, &m);
    REL("  SIGKILL not in the mask", !sigismember(&m, SIGKILL));
    reset_all();
  }
}

int main(void) {
  setup();
  make_tmpdir("signals");
  state_checks();
  reset_all();
  delivery_checks();
  cleanup();
  return 0;
}
