/* close_range: flags and ranges, CLOSE_RANGE_CLOEXEC, and CLOSE_RANGE_UNSHARE in a child
 * that shares the fd table (clone with CLONE_FILES): with UNSHARE only the child's copy
 * loses the fds; without it the parent's table loses them too. */
#include "check.h"
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

static int lo, hi, unshare_flag;
static char stack[65536] __attribute__((aligned(16)));

static int child(void *arg) {
  (void)arg;
  long r = syscall(SYS_close_range, lo, hi, unshare_flag);
  /* the child's own view right after */
  _exit(r == 0 && fcntl(lo, F_GETFD) == -1 ? 0 : 1);
}

static void shared_close(const char *label, int flags) {
  lo = open("/dev/null", O_RDONLY);
  hi = dup(lo);
  unshare_flag = flags;
  pid_t c = clone(child, stack + sizeof stack, CLONE_FILES | SIGCHLD, NULL);
  int st = 0;
  waitpid(c, &st, 0);
  printf("%s: child ok %d, parent still has fds %d %d\n", label, WIFEXITED(st) && WEXITSTATUS(st) == 0,
         fcntl(lo, F_GETFD) != -1, fcntl(hi, F_GETFD) != -1);
  close(lo);
  close(hi);
}

int main(void) {
  setup();
  int a = open("/dev/null", O_RDONLY);
  int b = dup(a), c = dup(a);
  SHOW("unknown flag", syscall(SYS_close_range, a, c, 0x80));
  SHOW("first > last", syscall(SYS_close_range, c, a, 0));
  SHOW("CLOEXEC on [b, c]", syscall(SYS_close_range, b, c, CLOSE_RANGE_CLOEXEC));
  printf("FD_CLOEXEC a %d b %d c %d\n", fcntl(a, F_GETFD), fcntl(b, F_GETFD), fcntl(c, F_GETFD));
  SHOW("close [b, ~0]", syscall(SYS_close_range, b, ~0U, 0));
  printf("open a %d b %d c %d\n", fcntl(a, F_GETFD) != -1, fcntl(b, F_GETFD) != -1, fcntl(c, F_GETFD) != -1);
  SHOW("empty range past the table", syscall(SYS_close_range, 1000, 2000, 0));
  SHOW("UNSHARE on an unshared table", syscall(SYS_close_range, 1000, 2000, CLOSE_RANGE_UNSHARE));
  close(a);
  shared_close("shared table, no UNSHARE", 0);
  shared_close("shared table, UNSHARE", CLOSE_RANGE_UNSHARE);
  shared_close("shared table, UNSHARE|CLOEXEC", CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC);
  return 0;
}
