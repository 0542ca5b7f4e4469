/* fork, vfork, clone and execve, and the wait family: the status words wait4 builds (exit codes,
 * signal deaths, stops, continues), waitid's siginfo (WEXITED/WSTOPPED/WCONTINUED, WNOHANG,
 * WNOWAIT), the error paths (ECHILD, EINVAL), __WCLONE/__WALL, process-group waits, pidfds,
 * SIGCHLD (its siginfo, SA_NOCLDSTOP, SIG_IGN auto-reaping), copy-on-write memory after fork,
 * and execve: re-exec of /proc/self/exe with arguments, close-on-exec, signal dispositions and
 * the mask across exec, exec from a second thread, #! scripts and the exec errors.
 *
 * Children never print while the parent may print: the parent waits for a child before saying
 * anything about it, so the output is a pure function of the semantics. Pids are only compared,
 * never printed. A child that dies of a core-dumping signal has its core bit left out of what is
 * printed (it depends on the host's core_pattern and on RLIMIT_CORE, not on the sandbox). */
#include "check.h"
#include <signal.h>
#include <stdint.h>
#include <pthread.h>
#include <time.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/prctl.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* "exited 3", "signaled 15", "stopped 19", "continued", with the raw word when it is
 * deterministic (no core-dumping signal involved). */
static void show_status(const char *label, int st) {
  if (WIFEXITED(st)) printf("%s: exited %d (raw 0x%04x)\n", label, WEXITSTATUS(st), st);
  else if (WIFSIGNALED(st)) {
    int s = WTERMSIG(st);
    int core_sig = s == SIGQUIT || s == SIGILL || s == SIGTRAP || s == SIGABRT || s == SIGBUS || s == SIGFPE ||
                   s == SIGSEGV || s == SIGXCPU || s == SIGXFSZ || s == SIGSYS;
    if (core_sig) printf("%s: signaled %d\n", label, s);
    else printf("%s: signaled %d (raw 0x%04x, core %d)\n", label, s, st, WCOREDUMP(st) ? 1 : 0);
  } else if (WIFSTOPPED(st)) printf("%s: stopped %d (raw 0x%04x)\n", label, WSTOPSIG(st), st);
  else if (WIFCONTINUED(st)) printf("%s: continued (raw 0x%04x)\n", label, st);
  else printf("%s: unknown status %#x\n", label, st);
}

/* waitpid for one child, printing the decoded status. */
static void reap(const char *label, pid_t pid, int options) {
  int st = 0;
  pid_t r = waitpid(pid, &st, options);
  if (r == -1) { printf("%s: waitpid -1 %s\n", label, errname(errno)); return; }
  if (r != pid) { printf("%s: waitpid returned another pid (%s)\n", label, r == 0 ? "0" : "other"); return; }
  show_status(label, st);
}

static void show_siginfo(const char *label, const siginfo_t *si, pid_t pid) {
  printf("%s: signo=%d code=%d status=%d pid_match=%d\n", label, si->si_signo, si->si_code, si->si_status,
         si->si_pid == pid);
}

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void sleep_ms(int ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

/* A child that waits for signals forever (used as a target for kill). */
static pid_t spawn_pauser(void) {
  pid_t p = fork();
  if (p == 0) {
    for (;;) pause();
  }
  return p;
}

static void on_usr1(int s) { (void)s; }

/* ---------- the re-exec'd modes ---------- */

static int child_mode(int argc, char **argv) {
  setup();
  const char *mode = argc > 2 ? argv[2] : "";
  if (!strcmp(mode, "exit")) return atoi(argv[3]);
  if (!strcmp(mode, "exec-check")) {
    /* argv: argv0 child-mode exec-check <cloexec fd> <plain fd> */
    int cfd = atoi(argv[3]), pfd = atoi(argv[4]);
    printf("[exec'd child] argv0=%s argc=%d\n", argv[0], argc);
    SHOW("[exec'd child] F_GETFD on the O_CLOEXEC fd", fcntl(cfd, F_GETFD));
    SHOW("[exec'd child] F_GETFD on the plain fd", fcntl(pfd, F_GETFD));
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    REL("[exec'd child] handled SIGUSR1 is SIG_DFL after exec", sa.sa_handler == SIG_DFL);
    sigaction(SIGUSR2, NULL, &sa);
    REL("[exec'd child] ignored SIGUSR2 stays SIG_IGN", sa.sa_handler == SIG_IGN);
    sigaction(SIGTERM, NULL, &sa);
    REL("[exec'd child] SIGTERM (SA_ONSTACK handler) is SIG_DFL", sa.sa_handler == SIG_DFL);
    sigset_t m;
    sigprocmask(SIG_BLOCK, NULL, &m);
    REL("[exec'd child] SIGHUP still blocked", sigismember(&m, SIGHUP));
    REL("[exec'd child] SIGUSR1 not blocked", !sigismember(&m, SIGUSR1));
    sigpending(&m);
    REL("[exec'd child] pending SIGHUP survived exec", sigismember(&m, SIGHUP));
    stack_t ss;
    sigaltstack(NULL, &ss);
    printf("[exec'd child] sigaltstack flags after exec: %d\n", ss.ss_flags);
    /* Tell the parent our pid through the plain fd (it compares it with fork's result). */
    pid_t me = getpid();
    if (write(pfd, &me, sizeof me) != sizeof me) return 90;
    return 42;
  }
  if (!strcmp(mode, "mt-exec")) {
    /* exec'd by the second thread of a two-thread process */
    pid_t before = (pid_t)atol(argv[3]);
    REL("[mt-exec] pid kept across exec from a thread", getpid() == before);
    REL("[mt-exec] tid == pid", syscall(SYS_gettid) == getpid());
    int n = 0;
    DIR *d = opendir("/proc/self/task");
    if (d) {
      struct dirent *de;
      while ((de = readdir(d))) if (de->d_name[0] != '.') n++;
      closedir(d);
    }
    printf("[mt-exec] threads after exec: %d\n", n);
    return 0;
  }
  if (!strcmp(mode, "sleep")) {
    sleep_ms(atoi(argv[3]));
    return 0;
  }
  printf("unknown child mode %s\n", mode);
  return 99;
}

/* #! interpreter mode: Linux passes the whole rest of the #! line as ONE argument. */
static int script_mode(int argc, char **argv) {
  setup();
  printf("[script] argc=%d argv1=\"%s\"\n", argc, argv[1]);
  const char *s = argc > 2 ? argv[2] : "";
  size_t n = strlen(s);
  REL("[script] argv2 is the script path", n > 10 && !strcmp(s + n - 10, "/script.sh"));
  for (int i = 3; i < argc; i++) printf("[script] argv%d=%s\n", i, argv[i]);
  return 17;
}

static void *exec_from_thread(void *arg) {
  char pidbuf[32];
  snprintf(pidbuf, sizeof pidbuf, "%ld", (long)(intptr_t)arg);
  execl("/proc/self/exe", "fw-mt", "child-mode", "mt-exec", pidbuf, (char *)NULL);
  _exit(91);
}

static volatile sig_atomic_t chld_count;
static void on_chld(int s) { (void)s; chld_count++; }

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "child-mode")) return child_mode(argc, argv);
  if (argc > 1 && !strcmp(argv[1], "child-mode script")) return script_mode(argc, argv);
  setup();
  make_tmpdir("fork_wait");
  int st;

  /* ---- exit codes ---- */
  int codes[] = { 0, 1, 3, 127, 255, 256, 257 };
  for (unsigned i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    pid_t p = fork();
    if (p == 0) _exit(codes[i]);
    char l[64];
    snprintf(l, sizeof l, "_exit(%d)", codes[i]);
    reap(l, p, 0);
  }
  {
    pid_t p = fork();
    if (p == 0) exit(5); /* through atexit/stdio */
    reap("exit(5)", p, 0);
    p = fork();
    if (p == 0) return 6; /* return from main */
    reap("return 6 from main", p, 0);
    p = fork();
    if (p == 0) { syscall(SYS_exit, 8); _exit(99); } /* exit of the only thread */
    reap("SYS_exit(8) single thread", p, 0);
  }

  /* ---- killed by signals ---- */
  {
    pid_t p = spawn_pauser();
    SHOW("kill SIGTERM", kill(p, SIGTERM));
    reap("child killed by SIGTERM", p, 0);
    p = spawn_pauser();
    kill(p, SIGKILL);
    reap("child killed by SIGKILL", p, 0);
    p = spawn_pauser();
    kill(p, SIGUSR1);
    reap("child killed by SIGUSR1 (default action)", p, 0);
    p = fork();
    if (p == 0) { prctl(PR_SET_DUMPABLE, 0); abort(); }
    reap("child abort()", p, 0);
    p = fork();
    if (p == 0) { prctl(PR_SET_DUMPABLE, 0); *(volatile int *)0 = 1; _exit(98); }
    reap("child null store", p, 0);
    p = fork();
    if (p == 0) { raise(SIGWINCH); raise(SIGCHLD); raise(SIGURG); _exit(4); } /* default ignore */
    reap("child raising default-ignored signals", p, 0);
    p = fork();
    if (p == 0) { signal(SIGTERM, SIG_IGN); raise(SIGTERM); _exit(9); }
    reap("child raising an ignored SIGTERM", p, 0);
  }

  /* ---- stop / continue, wait4 flavour ---- */
  {
    pid_t p = spawn_pauser();
    SHOW("WNOHANG on a running child", waitpid(p, &st, WNOHANG));
    SHOW("kill SIGSTOP", kill(p, SIGSTOP));
    reap("WUNTRACED after SIGSTOP", p, WUNTRACED);
    SHOW("WUNTRACED again (stop already reported)", waitpid(p, &st, WUNTRACED | WNOHANG));
    SHOW("kill SIGCONT", kill(p, SIGCONT));
    reap("WCONTINUED after SIGCONT", p, WCONTINUED);
    SHOW("WCONTINUED again (already reported)", waitpid(p, &st, WCONTINUED | WNOHANG));
    /* SIGTSTP is discarded for a process in an orphaned process group, which ours may be
     * (it depends on how the test was started): give the child a group of its own, whose
     * parent (us) is in another group of the same session. */
    setpgid(p, p);
    kill(p, SIGTSTP);
    reap("WUNTRACED after SIGTSTP", p, WUNTRACED);
    kill(p, SIGKILL); /* SIGKILL ends a stopped process */
    reap("stopped child killed by SIGKILL", p, 0);
  }

  /* ---- waitid ---- */
  {
    siginfo_t si;
    pid_t p = spawn_pauser();
    memset(&si, 0x5a, sizeof si);
    SHOW("waitid WEXITED|WNOHANG on a running child", waitid(P_PID, p, &si, WEXITED | WNOHANG));
    printf("  signo=%d pid_is_0=%d\n", si.si_signo, si.si_pid == 0);
    kill(p, SIGSTOP);
    memset(&si, 0, sizeof si);
    SHOW("waitid WSTOPPED", waitid(P_PID, p, &si, WSTOPPED));
    show_siginfo("  stopped", &si, p);
    kill(p, SIGCONT);
    memset(&si, 0, sizeof si);
    SHOW("waitid WCONTINUED", waitid(P_PID, p, &si, WCONTINUED));
    show_siginfo("  continued", &si, p);
    kill(p, SIGTERM);
    memset(&si, 0, sizeof si);
    SHOW("waitid WEXITED|WNOWAIT (killed)", waitid(P_PID, p, &si, WEXITED | WNOWAIT));
    show_siginfo("  killed", &si, p);
    memset(&si, 0, sizeof si);
    SHOW("waitid WEXITED (reaps)", waitid(P_PID, p, &si, WEXITED));
    show_siginfo("  killed", &si, p);
    SHOW("waitid again", waitid(P_PID, p, &si, WEXITED));

    p = fork();
    if (p == 0) _exit(7);
    memset(&si, 0, sizeof si);
    SHOW("waitid P_ALL WEXITED|WNOWAIT", waitid(P_ALL, 0, &si, WEXITED | WNOWAIT));
    show_siginfo("  exited", &si, p);
    memset(&si, 0, sizeof si);
    SHOW("waitid P_PID WEXITED|WNOWAIT again", waitid(P_PID, p, &si, WEXITED | WNOWAIT));
    show_siginfo("  still there", &si, p);
    reap("  waitpid after WNOWAIT", p, 0);
    SHOW("waitid with no options", waitid(P_ALL, 0, &si, 0));
    SHOW("waitid bad idtype", waitid((idtype_t)42, 0, &si, WEXITED));
    SHOW("waitid no children", waitid(P_ALL, 0, &si, WEXITED));
    SHOW("waitid no children WNOHANG", waitid(P_ALL, 0, &si, WEXITED | WNOHANG));
  }

  /* ---- errors ---- */
  SHOW("wait with no children", wait(&st));
  SHOW("waitpid(-1) with no children", waitpid(-1, &st, 0));
  SHOW("waitpid of the parent", waitpid(getppid(), &st, 0));
  SHOW("waitpid of self", waitpid(getpid(), &st, 0));
  SHOW("waitpid of a pid that does not exist", waitpid(0x3ffffff0, &st, 0));
  SHOW("waitpid bad options", waitpid(-1, &st, 0x100000));
  SHOW("wait4 with WNOWAIT", syscall(SYS_wait4, -1, &st, WNOWAIT, NULL));
  {
    pid_t p = fork();
    if (p == 0) _exit(0);
    SHOW("wait4 status pointer bad", syscall(SYS_wait4, p, (void *)1, 0, NULL));
    SHOW("  waitpid after the EFAULT (the child was reaped anyway)", waitpid(p, &st, WNOHANG));
  }

  /* ---- wait4 rusage, process-group waits ---- */
  {
    pid_t p = fork();
    if (p == 0) {
      long long t0 = now_ns();
      volatile unsigned long x = 0;
      while (now_ns() - t0 < 150 * 1000000LL) x++;
      _exit(0);
    }
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    REL("wait4 with rusage", wait4(p, &st, 0, &ru) == p);
    REL("  child's user+sys time > 0", ru.ru_utime.tv_sec + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec > 0);
    struct rusage rc;
    getrusage(RUSAGE_CHILDREN, &rc);
    REL("  RUSAGE_CHILDREN includes it", rc.ru_utime.tv_sec * 1000000L + rc.ru_utime.tv_usec + rc.ru_stime.tv_sec * 1000000L +
                                           rc.ru_stime.tv_usec >= ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec);

    int go[2];
    if (pipe(go)) return 1;
    p = fork();
    if (p == 0) {
      char c;
      setpgid(0, 0);
      close(go[1]);
      if (read(go[0], &c, 1) < 0) _exit(97);
      _exit(11);
    }
    close(go[0]);
    setpgid(p, p); /* both sides, as shells do */
    REL("child in its own group", getpgid(p) == p);
    SHOW("waitpid(0) with the only child in another group", waitpid(0, &st, WNOHANG));
    SHOW("waitpid(-pgid) WNOHANG while it runs", waitpid(-p, &st, WNOHANG));
    close(go[1]);
    st = 0;
    REL("waitpid(-pgid) collects it", waitpid(-p, &st, 0) == p);
    show_status("  status", st);
    SHOW("waitpid(-pgid) again", waitpid(-p, &st, 0));
  }

  /* ---- clone children: __WCLONE and __WALL ---- */
  {
    long p = syscall(SYS_clone, 0 /* no exit signal */, NULL, NULL, NULL, NULL);
    if (p == 0) _exit(3);
    SHOW("waitpid of a clone child without __WCLONE", waitpid((pid_t)p, &st, 0));
    reap("waitpid __WCLONE", (pid_t)p, __WCLONE);
    p = syscall(SYS_clone, SIGCHLD, NULL, NULL, NULL, NULL);
    if (p == 0) _exit(4);
    SHOW("waitpid __WCLONE of a normal child", waitpid((pid_t)p, &st, __WCLONE | WNOHANG));
    reap("waitpid __WALL of a normal child", (pid_t)p, __WALL);
    signal(SIGUSR2, SIG_IGN);
    p = syscall(SYS_clone, SIGUSR2, NULL, NULL, NULL, NULL); /* exit signal other than SIGCHLD */
    if (p == 0) _exit(5);
    reap("waitpid __WALL of a SIGUSR2-exit-signal child", (pid_t)p, __WALL);
    signal(SIGUSR2, SIG_DFL);
  }

  /* ---- pidfd ---- */
  {
    pid_t p = spawn_pauser();
    int fd = (int)syscall(SYS_pidfd_open, p, 0);
    REL("pidfd_open", fd >= 0);
    SHOW("pidfd_send_signal SIGTERM", syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    SHOW("waitid P_PIDFD", waitid((idtype_t)P_PIDFD, fd, &si, WEXITED));
    show_siginfo("  via pidfd", &si, p);
    SHOW("pidfd_send_signal to the reaped child", syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0));
    close(fd);
    kill(p, SIGKILL); /* only matters if the pidfd calls failed: do not leave the child behind */
    waitpid(p, NULL, 0);
    SHOW("pidfd_open of a pid that does not exist", syscall(SYS_pidfd_open, 0x3ffffff0, 0));
    SHOW("pidfd_open bad flags", syscall(SYS_pidfd_open, getpid(), 0x1));
  }

  /* ---- SIGCHLD ---- */
  {
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &old);
    pid_t p = fork();
    if (p == 0) _exit(4);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    struct timespec five = { 5, 0 }, short_wait = { 0, 100 * 1000000L };
    /* blocked, so generated and queued even though SIGCHLD's default action is to ignore it */
    SHOW("sigtimedwait SIGCHLD (blocked, default disposition)", sigtimedwait(&chld, &si, &five));
    show_siginfo("  SIGCHLD info", &si, p);
    reap("  reaped", p, 0);

    /* a stop sends SIGCHLD (CLD_STOPPED) unless SA_NOCLDSTOP */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sigaction(SIGCHLD, &sa, NULL);
    p = spawn_pauser();
    kill(p, SIGSTOP);
    waitpid(p, &st, WUNTRACED);
    memset(&si, 0, sizeof si);
    /* The stop and continue notifications may reach us a moment after wait saw the state
     * change, so the positive cases wait (up to 5 s) and the negative one for 100 ms. */
    SHOW("SIGCHLD for a stop", sigtimedwait(&chld, &si, &five));
    show_siginfo("  stop info", &si, p);
    kill(p, SIGCONT);
    waitpid(p, &st, WCONTINUED);
    memset(&si, 0, sizeof si);
    SHOW("SIGCHLD for a continue", sigtimedwait(&chld, &si, &five));
    show_siginfo("  continue info", &si, p);
    sa.sa_flags = SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    kill(p, SIGSTOP);
    waitpid(p, &st, WUNTRACED);
    SHOW("SIGCHLD for a stop with SA_NOCLDSTOP", sigtimedwait(&chld, &si, &short_wait));
    kill(p, SIGKILL);
    waitpid(p, &st, 0);
    SHOW("SIGCHLD for the kill", sigtimedwait(&chld, &si, &five));
    printf("  code=%d status=%d\n", si.si_code, si.si_status);
    sigprocmask(SIG_SETMASK, &old, NULL);
    REL("  the handler never ran (always blocked)", chld_count == 0);

    /* SIG_IGN for SIGCHLD: children are reaped by the kernel; wait ends with ECHILD */
    signal(SIGCHLD, SIG_IGN);
    p = fork();
    if (p == 0) _exit(0);
    SHOW("wait with SIGCHLD ignored", wait(&st));
    /* SA_NOCLDWAIT with a handler: the same, and the handler still runs */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_NOCLDWAIT;
    sigaction(SIGCHLD, &sa, NULL);
    chld_count = 0;
    p = fork();
    if (p == 0) _exit(0);
    SHOW("wait with SA_NOCLDWAIT", wait(&st));
    REL("  the SIGCHLD handler still ran", chld_count == 1);
    signal(SIGCHLD, SIG_DFL);
  }

  /* ---- copy-on-write after fork ---- */
  {
    static int global = 1;
    int local = 2;
    int *heap = malloc(sizeof *heap);
    *heap = 3;
    size_t big = 4 << 20;
    unsigned char *region = malloc(big);
    for (size_t i = 0; i < big; i++) region[i] = (unsigned char)(i * 7);
    int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int *wipe = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int *nofork = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *shared = 10; *priv = 20; *wipe = 30; *nofork = 40;
    SHOW("madvise MADV_WIPEONFORK", madvise(wipe, 4096, MADV_WIPEONFORK));
    SHOW("madvise MADV_DONTFORK", madvise(nofork, 4096, MADV_DONTFORK));
    int rp[2];
    if (pipe(rp)) return 1;
    pid_t p = fork();
    if (p == 0) {
      int seen[6] = { global, local, *heap, *shared, *priv, *wipe };
      global = 100; local = 200; *heap = 300; *shared = 11; *priv = 21;
      memset(region, 0xee, big);
      if (write(rp[1], seen, sizeof seen) != sizeof seen) _exit(96);
      *(volatile int *)nofork = 1; /* not mapped in the child: SIGSEGV */
      _exit(0);
    }
    reap("child touching a MADV_DONTFORK page", p, 0);
    int seen[6];
    REL("child saw the parent's values", read(rp[0], seen, sizeof seen) == sizeof seen);
    printf("  child saw: global=%d local=%d heap=%d shared=%d private=%d wipeonfork=%d\n", seen[0], seen[1], seen[2],
           seen[3], seen[4], seen[5]);
    printf("  parent now: global=%d local=%d heap=%d shared=%d private=%d wipeonfork=%d dontfork=%d\n", global, local,
           *heap, *shared, *priv, *wipe, *nofork);
    int intact = 1;
    for (size_t i = 0; i < big; i++) if (region[i] != (unsigned char)(i * 7)) { intact = 0; break; }
    REL("  parent's 4 MiB region intact after the child overwrote it", intact);
    close(rp[0]); close(rp[1]);
    /* the parent writing after fork does not show in the child either */
    int cp[2];
    if (pipe(cp) || pipe(rp)) return 1;
    p = fork();
    if (p == 0) {
      char c;
      close(cp[1]);
      if (read(cp[0], &c, 1) != 1) _exit(95);
      int v[2] = { global, region[12345] };
      if (write(rp[1], v, sizeof v) != sizeof v) _exit(94);
      _exit(0);
    }
    global = 555;
    region[12345] = 0x42;
    if (write(cp[1], "g", 1) != 1) return 1;
    reap("child reading after the parent wrote", p, 0);
    int v[2];
    REL("  read", read(rp[0], v, sizeof v) == sizeof v);
    printf("  child saw global=%d region[12345]=%#x\n", v[0], v[1]);
    close(cp[0]); close(cp[1]); close(rp[0]); close(rp[1]);
    free(region);
    free(heap);
  }

  /* ---- vfork ---- */
  {
    static volatile int vshared;
    static volatile int vppid_ok;
    vshared = 1;
    pid_t me = getpid();
    pid_t p = vfork();
    if (p == 0) {
      vshared = 2; /* shares the parent's memory until it exits or execs */
      vppid_ok = getppid() == me;
      _exit(12);
    }
    REL("vfork: the child's store is visible (shared memory)", vshared == 2);
    REL("vfork: child saw us as its parent", vppid_ok);
    reap("vfork child", p, 0);
    p = vfork();
    if (p == 0) {
      execl("/proc/self/exe", "fw-vfork", "child-mode", "exit", "13", (char *)NULL);
      _exit(92);
    }
    reap("vfork + execve", p, 0);
    long long t0 = now_ns();
    p = vfork();
    if (p == 0) {
      struct timespec ts = { 0, 100 * 1000000L };
      nanosleep(&ts, NULL);
      _exit(14);
    }
    REL("vfork: parent suspended until the child exits (>= 100 ms)", now_ns() - t0 >= 100 * 1000000LL);
    reap("vfork sleeper", p, 0);
  }

  /* ---- execve ---- */
  {
    pid_t p = fork();
    if (p == 0) {
      execl("/proc/self/exe", "fw-exit", "child-mode", "exit", "33", (char *)NULL);
      _exit(93);
    }
    reap("re-exec of /proc/self/exe with \"exit 33\"", p, 0);

    int cl[2], pl[2];
    if (pipe2(cl, O_CLOEXEC) || pipe(pl)) return 1;
    struct sigaction sa, sa_old1, sa_old2, sa_oldt;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, &sa_old1);
    sa.sa_flags = SA_ONSTACK | SA_RESTART;
    sigaction(SIGTERM, &sa, &sa_oldt);
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    sigaction(SIGUSR2, &sa, &sa_old2);
    sigset_t hup, old;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    sigprocmask(SIG_BLOCK, &hup, &old);
    static char altstk[65536];
    stack_t ss = { .ss_sp = altstk, .ss_size = sizeof altstk, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    p = fork();
    if (p == 0) {
      char a[16], b[16];
      raise(SIGHUP); /* stays pending across exec */
      snprintf(a, sizeof a, "%d", cl[1]);
      snprintf(b, sizeof b, "%d", pl[1]);
      close(cl[0]);
      close(pl[0]);
      execl("/proc/self/exe", "fw-child", "child-mode", "exec-check", a, b, (char *)NULL);
      _exit(94);
    }
    close(cl[1]);
    close(pl[1]);
    reap("exec-check child", p, 0);
    char buf[16];
    SHOW("read the O_CLOEXEC pipe (EOF: exec closed the child's end)", read(cl[0], buf, sizeof buf));
    pid_t reported = 0;
    SHOW("read the plain pipe (the exec'd child wrote its pid)", read(pl[0], &reported, sizeof reported));
    REL("  same pid before and after exec", reported == p);
    close(cl[0]);
    close(pl[0]);
    sigprocmask(SIG_SETMASK, &old, NULL);
    sigaction(SIGUSR1, &sa_old1, NULL);
    sigaction(SIGUSR2, &sa_old2, NULL);
    sigaction(SIGTERM, &sa_oldt, NULL);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);

    /* exec from the second thread of a process */
    p = fork();
    if (p == 0) {
      pthread_t t;
      pthread_create(&t, NULL, exec_from_thread, (void *)(intptr_t)getpid());
      for (;;) pause();
    }
    reap("exec from a non-leader thread", p, 0);

    /* #! scripts: the interpreter gets the rest of the line as one argument */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) { perror("readlink"); return 1; }
    self[n] = 0;
    char script[8192];
    snprintf(script, sizeof script, "#!%s child-mode script\n", self);
    put_file(tmp("script.sh"), script);
    chmod(tmp("script.sh"), 0755);
    p = fork();
    if (p == 0) {
      execl(tmp("script.sh"), "whatever-argv0", "extra1", "extra2", (char *)NULL);
      _exit(95);
    }
    reap("#! script", p, 0);

    /* errors: execve returns and the process carries on */
    char *const args[] = { "x", NULL };
    char *const env[] = { NULL };
    SHOW("execve of a missing file", execve(tmp("missing"), args, env));
    SHOW("execve of a directory", execve(tsv_dir, args, env));
    put_file(tmp("noexec"), "#!/bin/sh\nexit 0\n");
    chmod(tmp("noexec"), 0644);
    SHOW("execve of a file without x bits", execve(tmp("noexec"), args, env));
    put_file(tmp("garbage"), "this is not an executable\n");
    chmod(tmp("garbage"), 0755);
    SHOW("execve of an x file that is neither ELF nor #!", execve(tmp("garbage"), args, env));
    put_file(tmp("badinterp"), "#!/nonexistent/interpreter\n");
    chmod(tmp("badinterp"), 0755);
    SHOW("execve of a #! script with a missing interpreter", execve(tmp("badinterp"), args, env));
    SHOW("execve bad path pointer", syscall(SYS_execve, (void *)1, args, env));
    SHOW("execve bad argv pointer", syscall(SYS_execve, "/proc/self/exe", (void *)1, env));
    SHOW("execve path through a file", execve("/proc/self/exe/x", args, env));
    REL("still running after the failed execs", getpid() > 0);
  }

  /* ---- exit of a multi-threaded process ---- */
  {
    pid_t p = fork();
    if (p == 0) {
      pthread_t t;
      pthread_create(&t, NULL, (void *(*)(void *))pause, NULL);
      _exit(21); /* exit_group takes the other thread along */
    }
    reap("_exit with a second thread blocked", p, 0);
  }

  /* ---- a grandchild outliving its parent is reparented (to init or a subreaper) ---- */
  {
    int rp[2], gp[2];
    if (pipe(rp) || pipe(gp)) return 1;
    pid_t mid = fork();
    if (mid == 0) {
      close(rp[0]);
      close(gp[1]);
      pid_t midpid = getpid();
      pid_t g = fork();
      if (g == 0) {
        char c;
        int rel[3];
        pid_t first = midpid;
        if (read(gp[0], &c, 1) < 0) _exit(1); /* wait until the middle process has gone */
        /* the middle process exits right after its last write; wait for the reparenting */
        long long t0 = now_ns();
        while (getppid() == first && now_ns() - t0 < 5000 * 1000000LL) sleep_ms(1);
        rel[0] = first != getppid();
        rel[1] = getppid() != 0;
        rel[2] = 1;
        if (write(rp[1], rel, sizeof rel) != sizeof rel) _exit(2);
        _exit(0);
      }
      _exit(0);
    }
    close(rp[1]);
    close(gp[0]);
    reap("middle process", mid, 0);
    if (write(gp[1], "x", 1) != 1) return 1;
    close(gp[1]);
    int rel[3] = { 0, 0, 0 };
    REL("grandchild reported", read(rp[0], rel, sizeof rel) == sizeof rel);
    REL("  its parent changed when the middle process died", rel[0]);
    REL("  its new parent is a real process", rel[1]);
    char c;
    SHOW("  EOF once the grandchild exits", read(rp[0], &c, 1));
    close(rp[0]);
  }

  cleanup();
  return 0;
}
