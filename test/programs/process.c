/* Process basics: ids (only relations: the sandbox may map users differently), set_tid_address,
 * set_robust_list, arch_prctl, uname, sysinfo, umask, sched_getaffinity, sched_yield,
 * prlimit64/getrlimit/setrlimit. Values that legitimately differ (pid, uid, release string,
 * memory sizes, CPU count, inherited limits) are reduced to sanity relations. */
#include "check.h"
#include <sched.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/utsname.h>
#include <sys/sysinfo.h>
#include <sys/resource.h>
#include <asm/prctl.h>
#include <linux/futex.h>

struct robust_list_head_ { void *list; long futex_offset; void *list_op_pending; };

int main(void) {
  setup();

  /* ids */
  uid_t r, e, s;
  gid_t gr, ge, gs;
  SHOW("getresuid", getresuid(&r, &e, &s));
  REL("  ruid==getuid euid==geteuid suid==euid", r == getuid() && e == geteuid() && s == e);
  SHOW("getresgid", getresgid(&gr, &ge, &gs));
  REL("  rgid==getgid egid==getegid sgid==egid", gr == getgid() && ge == getegid() && gs == ge);
  REL("euid==uid", geteuid() == getuid());
  REL("egid==gid", getegid() == getgid());
  int ng = getgroups(0, NULL);
  REL("getgroups(0) >= 0", ng >= 0);
  gid_t groups[256];
  REL("getgroups(n) == getgroups(0)", getgroups(256, groups) == ng);
  SHOW("getgroups negative", syscall(SYS_getgroups, -1, groups));
  SHOW("getresuid bad pointer", syscall(SYS_getresuid, (void *)1, &e, &s));
  REL("getpid == gettid (one thread)", getpid() == syscall(SYS_gettid));
  REL("getpid > 0", getpid() > 0);
  REL("getppid >= 0", getppid() >= 0);

  /* set_tid_address returns the caller's tid; set_robust_list checks the size */
  static int tidword;
  REL("set_tid_address returns tid", syscall(SYS_set_tid_address, &tidword) == syscall(SYS_gettid));
  static struct robust_list_head_ head = { &head, 0, NULL };
  SHOW("set_robust_list", syscall(SYS_set_robust_list, &head, sizeof head));
  SHOW("set_robust_list bad size", syscall(SYS_set_robust_list, &head, sizeof head + 1));

  /* arch_prctl: FS base is glibc's thread pointer, which is pthread_self() */
  unsigned long fs = 0;
  SHOW("arch_prctl ARCH_GET_FS", syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
  REL("  FS == pthread_self()", fs == (unsigned long)pthread_self());
  REL("  FS points at itself (TCB self pointer)", *(unsigned long *)fs == fs);
  SHOW("arch_prctl ARCH_SET_FS same value", syscall(SYS_arch_prctl, ARCH_SET_FS, fs));
  unsigned long fs2 = 0;
  syscall(SYS_arch_prctl, ARCH_GET_FS, &fs2);
  REL("  unchanged", fs2 == fs);
  SHOW("arch_prctl ARCH_GET_FS bad pointer", syscall(SYS_arch_prctl, ARCH_GET_FS, (void *)1));
  SHOW("arch_prctl bad code", syscall(SYS_arch_prctl, 0x9999, &fs));
  SHOW("arch_prctl ARCH_SET_FS non-canonical", syscall(SYS_arch_prctl, ARCH_SET_FS, 0x8000000000000000ul));

  /* uname: sysname/machine are fixed; release/version are the sandbox's own */
  struct utsname u;
  SHOW("uname", uname(&u));
  printf("  sysname: %s\n", u.sysname);
  printf("  machine: %s\n", u.machine);
  REL("  release nonempty and starts with a digit", u.release[0] >= '0' && u.release[0] <= '9');
  REL("  version nonempty", u.version[0] != 0);
  REL("  nodename nonempty", u.nodename[0] != 0);
  SHOW("uname bad pointer", syscall(SYS_uname, (void *)1));

  /* sysinfo */
  struct sysinfo si;
  SHOW("sysinfo", sysinfo(&si));
  REL("  totalram > 0", si.totalram > 0);
  REL("  freeram <= totalram", si.freeram <= si.totalram);
  REL("  mem_unit >= 1", si.mem_unit >= 1);
  REL("  procs >= 1", si.procs >= 1);
  REL("  uptime >= 0", si.uptime >= 0);
  SHOW("sysinfo bad pointer", syscall(SYS_sysinfo, (void *)1));

  /* umask: returns the previous mask; only the low 9 bits are kept */
  umask(022);
  SHOW("umask(077) returns previous (022 -> 18)", umask(077));
  SHOW("umask(0) returns 077 (63)", umask(0));
  umask(07777);
  SHOW("umask(07777) kept 0777 (511)", umask(022));

  /* sched_getaffinity: raw syscall returns the number of bytes written */
  cpu_set_t set;
  CPU_ZERO(&set);
  long n = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
  REL("sched_getaffinity returns a multiple of 8", n > 0 && n % 8 == 0);
  REL("  at least one CPU", CPU_COUNT(&set) >= 1);
  SHOW("sched_getaffinity size 1", syscall(SYS_sched_getaffinity, 0, 1, &set));
  SHOW("sched_getaffinity size not multiple of 8", syscall(SYS_sched_getaffinity, 0, 12, &set));
  SHOW("sched_getaffinity bad pointer", syscall(SYS_sched_getaffinity, 0, sizeof set, (void *)1));
  REL("sched_getaffinity of self by tid", syscall(SYS_sched_getaffinity, syscall(SYS_gettid), sizeof set, &set) == n);
  SHOW("sched_yield", sched_yield());

  /* rlimits */
  struct rlimit rl, rl2;
  SHOW("getrlimit NOFILE", getrlimit(RLIMIT_NOFILE, &rl));
  REL("  cur <= max", rl.rlim_cur <= rl.rlim_max);
  REL("  cur >= 64", rl.rlim_cur >= 64);
  SHOW("getrlimit STACK", getrlimit(RLIMIT_STACK, &rl2));
  REL("  cur <= max (or infinite)", rl2.rlim_cur <= rl2.rlim_max);
  SHOW("getrlimit bad resource", getrlimit(99, &rl2));
  SHOW("getrlimit bad pointer", syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)1));
  struct rlimit lower = { 100, rl.rlim_max };
  struct rlimit prev;
  SHOW("prlimit64 set NOFILE cur=100", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &lower, &prev));
  REL("  old value returned", prev.rlim_cur == rl.rlim_cur && prev.rlim_max == rl.rlim_max);
  getrlimit(RLIMIT_NOFILE, &rl2);
  SHOW("  getrlimit cur", (long)rl2.rlim_cur);
  SHOW("  open fd >= 100 now fails", dup2(0, 100));
  SHOW("  F_DUPFD 99 works", fcntl(0, F_DUPFD, 99));
  close(99);
  struct rlimit bad = { 200, 100 };
  SHOW("setrlimit cur > max", setrlimit(RLIMIT_NOFILE, &bad));
  SHOW("prlimit64 bad resource", syscall(SYS_prlimit64, 0, 99, NULL, &prev));
  SHOW("prlimit64 get only", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &prev));
  SHOW("  cur", (long)prev.rlim_cur);
  SHOW("prlimit64 own pid", syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, NULL, &prev));
  SHOW("prlimit64 bad new pointer", syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, (void *)1, NULL));
  SHOW("restore NOFILE", setrlimit(RLIMIT_NOFILE, &rl));
  struct rlimit as;
  getrlimit(RLIMIT_AS, &as);
  REL("RLIMIT_AS readable", as.rlim_cur <= as.rlim_max);
  return 0;
}
