/* Credentials, capabilities, prctl, sessions and process groups. The tests run as root (uid 0 natively
 * and in the container), so the program starts with every capability the environment gives root;
 * capability sets are compared, never printed (the host's bounding set and the sandbox's need not be
 * the same). Every change of identity happens in a child process so later sections start as root.
 * Covers: setresuid/setresgid/setreuid/setfsuid and their getters, setgroups/getgroups (sorted by the
 * kernel), the capability rules of setuid (dropping effective, then permitted; saved-uid 0;
 * PR_SET_KEEPCAPS), capget/capset and a capability actually being enforced (chown, DAC override),
 * PR_CAPBSET_READ/DROP, PR_SET_NAME/GET_NAME and /proc comm, PR_SET_PDEATHSIG (reported and
 * delivered), PR_SET_CHILD_SUBREAPER (orphans come to us), SIGHUP+SIGCONT to a newly orphaned
 * process group with a stopped member, PR_SET_NO_NEW_PRIVS, PR_SET_DUMPABLE, and
 * setsid/getsid/setpgid/getpgid with their error paths (EPERM, ESRCH, EINVAL, EACCES after exec). */
#include "check.h"
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/capability.h>

static uint64_t cap_eff, cap_perm, cap_inh;
static long capget_self(void) {
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  memset(d, 0, sizeof d);
  long r = syscall(SYS_capget, &h, d);
  cap_eff = d[0].effective | (uint64_t)d[1].effective << 32;
  cap_perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
  cap_inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
  return r;
}
static long capset_self(uint64_t eff, uint64_t perm, uint64_t inh) {
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  d[0].effective = (uint32_t)eff;
  d[1].effective = (uint32_t)(eff >> 32);
  d[0].permitted = (uint32_t)perm;
  d[1].permitted = (uint32_t)(perm >> 32);
  d[0].inheritable = (uint32_t)inh;
  d[1].inheritable = (uint32_t)(inh >> 32);
  return syscall(SYS_capset, &h, d);
}
#define CAPBIT(c) (1ull << (c))

static void print_ids(const char *label) {
  uid_t r, e, s;
  gid_t gr, ge, gs;
  getresuid(&r, &e, &s);
  getresgid(&gr, &ge, &gs);
  printf("%s: uid %u %u %u fsuid %d gid %u %u %u fsgid %d\n", label, r, e, s, setfsuid(-1), gr, ge, gs, setfsgid(-1));
}
static void print_groups(const char *label) {
  gid_t g[64];
  int n = getgroups(64, g);
  printf("%s: %d [", label, n);
  for (int i = 0; i < n; i++) printf("%s%u", i ? " " : "", g[i]);
  printf("]\n");
}

static void wait_child(pid_t p) {
  int st;
  if (waitpid(p, &st, 0) != p) printf("waitpid failed: %s\n", errname(errno));
  else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("child ended badly: status %#x\n", st);
}

static void sleep_ms(int ms) {
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}
static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static char comm_of(const char *path, char *out, size_t n) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) { snprintf(out, n, "(open: %s)", errname(errno)); return 0; }
  ssize_t r = read(fd, out, n - 1);
  close(fd);
  if (r < 0) r = 0;
  out[r] = 0;
  if (r > 0 && out[r - 1] == '\n') out[r - 1] = 0;
  return 1;
}

static volatile pid_t thread_tid;
static volatile int thread_named;
static volatile int thread_may_exit;
static void *naming_thread(void *arg) {
  (void)arg;
  prctl(PR_SET_NAME, "worker-thread");
  thread_tid = (pid_t)syscall(SYS_gettid);
  thread_named = 1;
  while (!thread_may_exit) sleep_ms(1);
  return NULL;
}

static volatile sig_atomic_t got_hup, got_cont;
static void on_hup(int s) { (void)s; got_hup = 1; }
static void on_cont(int s) { (void)s; got_cont = 1; }

int main(int argc, char **argv) {
  /* exec'd helper: report that the exec happened, then hold until the pipe closes */
  if (argc > 3 && !strcmp(argv[1], "child-mode") && !strcmp(argv[2], "hold")) {
    int fd = atoi(argv[3]);
    char c;
    if (write(fd, "x", 1) != 1) return 1;
    while (read(0, &c, 1) > 0) {}
    return 0;
  }
  setup();
  make_tmpdir("creds");

  print_ids("start");
  SHOW("capget", capget_self());
  uint64_t eff0 = cap_eff, perm0 = cap_perm;
  REL("  root has capabilities, effective == permitted", eff0 != 0 && eff0 == perm0);
  REL("  CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_SETUID, CAP_SETGID, CAP_SETPCAP present",
      (eff0 & (CAPBIT(CAP_CHOWN) | CAPBIT(CAP_DAC_OVERRIDE) | CAPBIT(CAP_SETUID) | CAPBIT(CAP_SETGID) | CAPBIT(CAP_SETPCAP))) ==
          (CAPBIT(CAP_CHOWN) | CAPBIT(CAP_DAC_OVERRIDE) | CAPBIT(CAP_SETUID) | CAPBIT(CAP_SETGID) | CAPBIT(CAP_SETPCAP)));
  printf("  inheritable: %llx\n", (unsigned long long)cap_inh);

  /* ---- ids and groups, then dropping root ---- */
  pid_t p = fork();
  if (p == 0) {
    gid_t gs[3] = { 30, 10, 20 };
    SHOW("setgroups {30,10,20}", setgroups(3, gs));
    print_groups("  getgroups (kernel keeps them sorted)");
    SHOW("  getgroups(0) counts", getgroups(0, NULL));
    gid_t one;
    SHOW("  getgroups with a too-small buffer", getgroups(1, &one));
    SHOW("setgroups 0", setgroups(0, NULL));
    print_groups("  getgroups");
    static gid_t many[NGROUPS_MAX + 1];
    SHOW("setgroups NGROUPS_MAX+1", setgroups(NGROUPS_MAX + 1, many));
    SHOW("setgroups bad pointer", syscall(SYS_setgroups, 2, (void *)1));
    SHOW("setresgid 100 200 300", setresgid(100, 200, 300));
    print_ids("  ids");
    SHOW("setregid -1 300", setregid(-1, 300));
    print_ids("  ids");
    printf("setfsgid(555) returns the old fsgid: %d\n", setfsgid(555));
    print_ids("  ids");
    SHOW("setgid 0 (root: sets all three)", setgid(0));
    print_ids("  ids");

    SHOW("setresuid 1000 1001 0", setresuid(1000, 1001, 0));
    print_ids("  ids");
    capget_self();
    REL("  effective cleared, permitted kept (saved uid is 0)", cap_eff == 0 && cap_perm == perm0);
    SHOW("  chown now fails", chown(tsv_dir, 1, 1));
    printf("setfsuid(0) with fsuid 1001 and no CAP_SETUID: returns %d\n", setfsuid(0));
    print_ids("  ids (saved uid 0 allows it)");
    SHOW("setresuid -1 0 -1 (back to euid 0 through the saved uid)", setresuid(-1, 0, -1));
    print_ids("  ids");
    capget_self();
    REL("  effective restored to permitted", cap_eff == perm0);
    SHOW("setuid 65534 as euid 0 (sets all three)", setuid(65534));
    print_ids("  ids");
    capget_self();
    REL("  effective and permitted now empty", cap_eff == 0 && cap_perm == 0);
    SHOW("setuid 0", setuid(0));
    SHOW("seteuid 0", seteuid(0));
    SHOW("setresuid 0 -1 -1", setresuid(0, -1, -1));
    SHOW("setreuid -1 0", setreuid(-1, 0));
    SHOW("setresuid -1 -1 -1 (no change)", setresuid(-1, -1, -1));
    SHOW("setuid 65534 (own uid)", setuid(65534));
    SHOW("setgid 0", setgid(0));
    SHOW("setgroups", setgroups(0, NULL));
    printf("setfsuid(0) unprivileged: returns %d\n", setfsuid(0));
    print_ids("  ids (fsuid unchanged)");
    SHOW("capset raising effective", capset_self(CAPBIT(CAP_CHOWN), 0, 0));
    SHOW("capset raising permitted", capset_self(0, CAPBIT(CAP_CHOWN), 0));
    SHOW("PR_CAPBSET_READ CAP_CHOWN (bounding set untouched)", prctl(PR_CAPBSET_READ, CAP_CHOWN));
    SHOW("kill(parent, 0) as another user", kill(getppid(), 0));
    exit(0);
  }
  wait_child(p);

  /* ---- PR_SET_KEEPCAPS, capset, capabilities enforced ---- */
  p = fork();
  if (p == 0) {
    SHOW("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS));
    SHOW("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1));
    SHOW("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS));
    SHOW("PR_SET_KEEPCAPS 2", prctl(PR_SET_KEEPCAPS, 2));
    SHOW("setresuid 1000 1000 1000", setresuid(1000, 1000, 1000));
    capget_self();
    REL("  permitted kept, effective cleared", cap_perm == perm0 && cap_eff == 0);
    SHOW("capset effective = {CAP_SETUID}", capset_self(CAPBIT(CAP_SETUID), perm0, 0));
    capget_self();
    REL("  effective is exactly CAP_SETUID", cap_eff == CAPBIT(CAP_SETUID));
    SHOW("setresuid 0 0 0 with CAP_SETUID", setresuid(0, 0, 0));
    print_ids("  ids");
    capget_self();
    REL("  euid 0 again: effective = permitted", cap_eff == perm0);
    exit(0);
  }
  wait_child(p);
  p = fork();
  if (p == 0) {
    put_file(tmp("f"), "x");
    put_file(tmp("secret"), "s");
    chmod(tmp("secret"), 0);
    SHOW("capset dropping CAP_CHOWN and CAP_DAC_OVERRIDE from effective",
         capset_self(perm0 & ~(CAPBIT(CAP_CHOWN) | CAPBIT(CAP_DAC_OVERRIDE) | CAPBIT(CAP_DAC_READ_SEARCH)), perm0, 0));
    capget_self();
    REL("  gone from effective, still permitted", !(cap_eff & CAPBIT(CAP_CHOWN)) && (cap_perm & CAPBIT(CAP_CHOWN)));
    SHOW("  chown to another user as root without CAP_CHOWN", chown(tmp("f"), 1000, 1000));
    SHOW("  open a mode-000 file without CAP_DAC_OVERRIDE", open(tmp("secret"), O_RDONLY));
    SHOW("capset raising them again", capset_self(perm0, perm0, 0));
    SHOW("  chown", chown(tmp("f"), 1000, 1000));
    OK("  open the mode-000 file", open(tmp("secret"), O_RDONLY));
    SHOW("capset with effective not in permitted", capset_self(perm0, perm0 & ~CAPBIT(CAP_KILL), 0) == -1 ? -1 : -2);
    SHOW("capset dropping CAP_KILL from permitted and effective", capset_self(perm0 & ~CAPBIT(CAP_KILL), perm0 & ~CAPBIT(CAP_KILL), 0));
    SHOW("capset raising permitted back", capset_self(perm0, perm0, 0));
    struct __user_cap_header_struct h = { 0x12345678, 0 };
    struct __user_cap_data_struct d[2];
    SHOW("capget bad version", syscall(SYS_capget, &h, d));
    printf("  kernel wrote back version %#x\n", h.version);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    h.pid = getppid();
    SHOW("capget of another process", syscall(SYS_capget, &h, d));
    SHOW("capset of another process", syscall(SYS_capset, &h, d));
    SHOW("PR_CAPBSET_READ CAP_CHOWN", prctl(PR_CAPBSET_READ, CAP_CHOWN));
    SHOW("PR_CAPBSET_READ 63", prctl(PR_CAPBSET_READ, 63));
    SHOW("PR_CAPBSET_DROP CAP_CHOWN", prctl(PR_CAPBSET_DROP, CAP_CHOWN));
    SHOW("  PR_CAPBSET_READ CAP_CHOWN", prctl(PR_CAPBSET_READ, CAP_CHOWN));
    capget_self();
    REL("  still in effective (the bounding set limits only exec)", (cap_eff & CAPBIT(CAP_CHOWN)) != 0);
    unlink(tmp("f"));
    unlink(tmp("secret"));
    exit(0);
  }
  wait_child(p);

  /* ---- names ---- */
  {
    SHOW("PR_SET_NAME tsv-creds-test-longname", prctl(PR_SET_NAME, "tsv-creds-test-longname"));
    char name[32];
    memset(name, 0, sizeof name);
    SHOW("PR_GET_NAME", prctl(PR_GET_NAME, name));
    printf("  name: \"%s\"\n", name);
    char c[64];
    comm_of("/proc/self/comm", c, sizeof c);
    printf("  /proc/self/comm: \"%s\"\n", c);
    pthread_t t;
    pthread_create(&t, NULL, naming_thread, NULL);
    while (!thread_named) sleep_ms(1);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", thread_tid);
    comm_of(path, c, sizeof c);
    printf("  a thread's own name: \"%s\"\n", c);
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", getpid());
    comm_of(path, c, sizeof c);
    printf("  main thread's name unchanged: \"%s\"\n", c);
    thread_may_exit = 1;
    pthread_join(t, NULL);
    SHOW("PR_SET_NAME bad pointer", prctl(PR_SET_NAME, (void *)1));
  }

  /* ---- simple prctl state ---- */
  {
    int sig = -1;
    SHOW("PR_GET_PDEATHSIG", prctl(PR_GET_PDEATHSIG, &sig));
    printf("  %d\n", sig);
    SHOW("PR_SET_PDEATHSIG SIGUSR1", prctl(PR_SET_PDEATHSIG, SIGUSR1));
    prctl(PR_GET_PDEATHSIG, &sig);
    printf("  now %d\n", sig);
    SHOW("PR_SET_PDEATHSIG 65", prctl(PR_SET_PDEATHSIG, 65));
    p = fork();
    if (p == 0) {
      int s = -1;
      prctl(PR_GET_PDEATHSIG, &s);
      _exit(s);
    }
    int st;
    waitpid(p, &st, 0);
    printf("  a child's pdeathsig (cleared by fork): %d\n", WEXITSTATUS(st));
    prctl(PR_SET_PDEATHSIG, 0);
    SHOW("PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE));
    SHOW("PR_SET_DUMPABLE 0", prctl(PR_SET_DUMPABLE, 0));
    SHOW("  PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE));
    SHOW("PR_SET_DUMPABLE 2", prctl(PR_SET_DUMPABLE, 2));
    SHOW("PR_SET_DUMPABLE 1", prctl(PR_SET_DUMPABLE, 1));
    p = fork();
    if (p == 0) {
      SHOW("PR_SET_NO_NEW_PRIVS 1", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
      SHOW("  PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
      SHOW("PR_SET_NO_NEW_PRIVS 0 (cannot be undone)", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
      SHOW("PR_SET_NO_NEW_PRIVS with a nonzero unused argument", prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0));
      SHOW("PR_GET_CHILD_SUBREAPER in a fresh child", prctl(PR_GET_CHILD_SUBREAPER, &sig) == 0 ? sig : -2);
      exit(0);
    }
    wait_child(p);
    SHOW("prctl unknown option", prctl(0x7fff1234, 0, 0, 0, 0));
  }

  /* ---- subreaper: orphans come to us ---- */
  {
    SHOW("PR_SET_CHILD_SUBREAPER 1", prctl(PR_SET_CHILD_SUBREAPER, 1));
    int v = -1;
    prctl(PR_GET_CHILD_SUBREAPER, &v);
    printf("  PR_GET_CHILD_SUBREAPER: %d\n", v);
    pid_t me = getpid();
    int rp[2], gp[2];
    if (pipe(rp) || pipe(gp)) return 1;
    pid_t mid = fork();
    if (mid == 0) {
      pid_t midpid = getpid();
      pid_t g = fork();
      if (g == 0) {
        char c;
        close(gp[1]);
        if (read(gp[0], &c, 1) < 0) _exit(1); /* EOF when the middle process has gone */
        long long t0 = now_ms();
        while (getppid() == midpid && now_ms() - t0 < 5000) sleep_ms(1);
        int msg[2] = { getppid() == me, getpid() };
        if (write(rp[1], msg, sizeof msg) != sizeof msg) _exit(2);
        _exit(33);
      }
      _exit(0);
    }
    close(gp[0]);
    close(gp[1]);
    wait_child(mid);
    int msg[2] = { 0, 0 };
    REL("orphaned grandchild reported", read(rp[0], msg, sizeof msg) == sizeof msg);
    REL("  its new parent is us (the subreaper)", msg[0]);
    int st = 0;
    pid_t got = waitpid(-1, &st, 0);
    REL("  we reaped it", got == msg[1]);
    printf("  its status: exited=%d code=%d\n", WIFEXITED(st), WEXITSTATUS(st));
    close(rp[0]);
    close(rp[1]);

    /* PR_SET_PDEATHSIG fires when the parent dies; the orphan is then ours to reap */
    int ready[2];
    if (pipe(ready)) return 1;
    mid = fork();
    if (mid == 0) {
      pid_t midpid = getpid();
      pid_t g = fork();
      if (g == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != midpid) raise(SIGTERM); /* the parent already went: same outcome */
        if (write(ready[1], "r", 1) != 1) _exit(3);
        for (;;) pause();
      }
      char c;
      if (read(ready[0], &c, 1) != 1) _exit(4);
      _exit(0);
    }
    wait_child(mid);
    st = 0;
    got = waitpid(-1, &st, 0);
    REL("pdeathsig: the orphan was reaped by us", got > 0);
    printf("  its status: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    close(ready[0]);
    close(ready[1]);

    /* A process group that becomes orphaned while it has a stopped member gets SIGHUP and
     * SIGCONT. Tree: us -> A (new session S) -> B (new group G in S) -> C (in G, stops itself).
     * When B exits, C's new parent is us, outside S, so nothing connects G to S any more. */
    int rep[2];
    if (pipe(rep)) return 1;
    pid_t a = fork();
    if (a == 0) {
      close(rep[0]);
      if (setsid() < 0) _exit(10);
      pid_t b = fork();
      if (b == 0) {
        if (setpgid(0, 0)) _exit(11);
        pid_t c = fork();
        if (c == 0) {
          signal(SIGHUP, on_hup);
          signal(SIGCONT, on_cont);
          raise(SIGSTOP);
          long long t0 = now_ms();
          while ((!got_hup || !got_cont) && now_ms() - t0 < 5000) sleep_ms(1);
          int m[3] = { got_hup, got_cont, getpgrp() == getpid() ? 0 : 1 };
          if (write(rep[1], m, sizeof m) != sizeof m) _exit(12);
          _exit(0);
        }
        int cst;
        if (waitpid(c, &cst, WUNTRACED) != c || !WIFSTOPPED(cst)) _exit(13);
        _exit(0); /* G becomes orphaned here */
      }
      int bst;
      waitpid(b, &bst, 0);
      _exit(WIFEXITED(bst) ? WEXITSTATUS(bst) : 14);
    }
    close(rep[1]);
    wait_child(a);
    int m[3] = { 0, 0, 0 };
    REL("orphaned process group: the stopped member reported", read(rep[0], m, sizeof m) == sizeof m);
    printf("  got SIGHUP %d, SIGCONT %d, still in the group %d\n", m[0], m[1], m[2]);
    st = 0;
    got = waitpid(-1, &st, 0);
    REL("  reaped by us", got > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(rep[0]);
    SHOW("no more children", waitpid(-1, &st, WNOHANG));
    SHOW("PR_SET_CHILD_SUBREAPER 0", prctl(PR_SET_CHILD_SUBREAPER, 0));
  }

  /* ---- sessions and process groups ---- */
  {
    pid_t mypg = getpgrp(), mysid = getsid(0);
    REL("getpgrp == getpgid(0)", mypg == getpgid(0));
    REL("getsid(0) == getsid(getpid())", mysid == getsid(getpid()));
    p = fork();
    if (p == 0) {
      REL("[child] inherits the group", getpgid(0) == mypg);
      REL("[child] inherits the session", getsid(0) == mysid);
      SHOW("[child] setpgid(0, 0)", setpgid(0, 0));
      REL("[child]   pgid == pid", getpgid(0) == getpid());
      SHOW("[child] setsid as a group leader", setsid());
      SHOW("[child] setpgid back into the parent's group", setpgid(0, mypg));
      REL("[child]   back", getpgid(0) == mypg);
      exit(0);
    }
    wait_child(p);
    p = fork();
    if (p == 0) {
      pid_t s = setsid();
      REL("[child] setsid returns the new sid == pid", s == getpid());
      REL("[child]   getsid(0) == pid", getsid(0) == getpid());
      REL("[child]   getpgid(0) == pid", getpgid(0) == getpid());
      REL("[child]   getsid(parent) is still the old session", getsid(getppid()) == mysid);
      SHOW("[child] setsid again", setsid());
      SHOW("[child] setpgid(0, 0) as session leader", setpgid(0, 0));
      SHOW("[child] setpgid into the parent's group (other session)", setpgid(0, mypg));
      pid_t q = fork();
      if (q == 0) {
        SHOW("[grandchild] setpgid into a group of another session", setpgid(0, mypg));
        SHOW("[grandchild] setpgid to a group that does not exist", setpgid(0, 0x3ffffff0));
        SHOW("[grandchild] setpgid(0, 0)", setpgid(0, 0));
        exit(0);
      }
      wait_child(q);
      exit(0);
    }
    wait_child(p);
    SHOW("setpgid of a pid that does not exist", setpgid(0x3ffffff0, 0));
    SHOW("setpgid negative pgid", setpgid(0, -1));
    SHOW("getpgid of a pid that does not exist", getpgid(0x3ffffff0));
    SHOW("getsid of a pid that does not exist", getsid(0x3ffffff0));

    /* the parent moves its children between groups; not after they exec */
    int go[2];
    if (pipe(go)) return 1;
    pid_t c1 = fork();
    if (c1 == 0) { char ch; close(go[1]); while (read(go[0], &ch, 1) > 0) {} _exit(0); }
    pid_t c2 = fork();
    if (c2 == 0) { char ch; close(go[1]); while (read(go[0], &ch, 1) > 0) {} _exit(0); }
    SHOW("setpgid(c1, c1) from the parent", setpgid(c1, c1));
    SHOW("setpgid(c2, c1) joins c1's group", setpgid(c2, c1));
    REL("  getpgid(c2) == c1", getpgid(c2) == c1);
    SHOW("setpgid(c2, own pid) back to a new group", setpgid(c2, c2));
    int hold[2], told[2];
    if (pipe(hold) || pipe(told)) return 1;
    pid_t c3 = fork();
    if (c3 == 0) {
      char fdbuf[16];
      dup2(hold[0], 0);
      close(hold[1]);
      close(told[0]);
      snprintf(fdbuf, sizeof fdbuf, "%d", told[1]);
      execl("/proc/self/exe", "creds-hold", "child-mode", "hold", fdbuf, (char *)NULL);
      _exit(20);
    }
    close(hold[0]);
    close(told[1]);
    char ch;
    REL("exec'd child started", read(told[0], &ch, 1) == 1);
    SHOW("setpgid of a child after it exec'd", setpgid(c3, c3));
    close(hold[1]);
    close(told[0]);
    wait_child(c3);
    close(go[0]);
    close(go[1]);
    wait_child(c1);
    wait_child(c2);
  }

  cleanup();
  return 0;
}
