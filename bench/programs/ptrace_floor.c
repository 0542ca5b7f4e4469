// The floor of the ptrace platform: a minimal C tracer that serves every getppid of a
// child under PTRACE_SYSEMU (set rax, resume, wait), tracer and child on one CPU as
// the sentry places them. Prints nanoseconds per round trip as the child measures it.
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 100000;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(sched_getcpu(), &set);
  sched_setaffinity(0, sizeof set, &set);
  int pfd[2];
  if (pipe(pfd) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    // From here every syscall is served by the tracer; only the final write/exit matter.
    struct timespec a, b;
    for (long i = 0; i < n / 10; i++) syscall(SYS_getppid);
    clock_gettime(CLOCK_MONOTONIC, &a); // vDSO: no syscall
    for (long i = 0; i < n; i++) syscall(SYS_getppid);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n;
    char out[64];
    int len = snprintf(out, sizeof out, "%.1f\n", ns);
    syscall(SYS_write, pfd[1], out, len); // the tracer lets this one through
    syscall(SYS_exit_group, 0);
  }
  int status;
  waitpid(child, &status, 0);
  for (;;) {
    if (ptrace(PTRACE_SYSEMU, child, 0, 0) != 0) break;
    if (waitpid(child, &status, 0) < 0 || !WIFSTOPPED(status)) break;
    struct user_regs_struct r;
    ptrace(PTRACE_GETREGS, child, 0, &r);
    if (r.orig_rax == SYS_write || r.orig_rax == SYS_exit_group) {
      // Run these for real: detach and let the child finish.
      r.rip -= 2; r.rax = r.orig_rax;
      ptrace(PTRACE_SETREGS, child, 0, &r);
      ptrace(PTRACE_DETACH, child, 0, 0);
      break;
    }
    ptrace(PTRACE_POKEUSER, child, offsetof(struct user_regs_struct, rax), 1);
  }
  waitpid(child, &status, 0);
  char buf[64];
  ssize_t k = read(pfd[0], buf, sizeof buf - 1);
  if (k > 0) { buf[k] = 0; fputs(buf, stdout); }
  return 0;
}
