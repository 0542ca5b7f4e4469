/* dup/dup2/dup3 and fcntl(F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL).
 * Fd numbers are printed relative to a base fd so the test does not depend on how many fds the
 * harness leaves open; the lowest-free rule is what is checked. F_GETFL values are printed in
 * octal as the kernel returns them (on x86-64 that includes O_LARGEFILE, 0100000). */
#include "check.h"
#include <sys/resource.h>

int main(void) {
  setup();
  make_tmpdir("fds");
  put_file(tmp("f"), "abcdef");

  int base = open(tmp("f"), O_RDONLY);
  REL("open ok", base >= 0);
  int d1 = dup(base);
  SHOW("dup -> base+1", d1 - base);
  /* dup shares the file offset */
  char c;
  read(base, &c, 1);
  SHOW("offset shared through dup", lseek(d1, 0, SEEK_CUR));
  SHOW("dup bad fd", dup(999));
  SHOW("dup negative", dup(-1));

  SHOW("dup2 to base+10 -> base+10", dup2(base, base + 10) - base);
  SHOW("dup2 same fd", dup2(base, base) - base);
  SHOW("dup2 bad oldfd same fd", dup2(999, 999));
  SHOW("dup2 bad oldfd", dup2(999, base + 11));
  SHOW("dup2 newfd negative", dup2(base, -1));
  /* dup2 onto an open fd closes it silently; the new fd is not close-on-exec */
  int other = open(tmp("f"), O_RDONLY);
  SHOW("dup2 onto open fd", dup2(base, other) - base);
  SHOW("  F_GETFD of dup2 result", fcntl(other, F_GETFD));
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  SHOW("dup2 newfd >= RLIMIT_NOFILE", dup2(base, (int)rl.rlim_cur));
  SHOW("dup2 newfd huge", syscall(SYS_dup2, base, 0x7fffffff));

  SHOW("dup3 O_CLOEXEC", dup3(base, base + 12, O_CLOEXEC) - base);
  SHOW("  F_GETFD", fcntl(base + 12, F_GETFD));
  SHOW("dup3 flags 0", dup3(base, base + 13, 0) - base);
  SHOW("  F_GETFD", fcntl(base + 13, F_GETFD));
  SHOW("dup3 same fd", dup3(base, base, 0));
  SHOW("dup3 bad flags", dup3(base, base + 14, O_NONBLOCK));
  SHOW("dup3 bad oldfd", dup3(999, base + 14, 0));

  /* F_DUPFD: lowest free >= arg */
  SHOW("F_DUPFD 0 -> lowest free", fcntl(base, F_DUPFD, 0) - base);
  SHOW("F_DUPFD base+10 -> next free above", fcntl(base, F_DUPFD, base + 10) - base);
  SHOW("F_DUPFD_CLOEXEC base+20", fcntl(base, F_DUPFD_CLOEXEC, base + 20) - base);
  SHOW("  F_GETFD", fcntl(base + 20, F_GETFD));
  SHOW("F_DUPFD negative", fcntl(base, F_DUPFD, -1));
  SHOW("F_DUPFD >= RLIMIT_NOFILE", fcntl(base, F_DUPFD, (int)rl.rlim_cur));
  SHOW("F_DUPFD bad fd", fcntl(999, F_DUPFD, 0));

  /* F_GETFD / F_SETFD */
  SHOW("F_GETFD fresh", fcntl(base, F_GETFD));
  SHOW("F_SETFD FD_CLOEXEC", fcntl(base, F_SETFD, FD_CLOEXEC));
  SHOW("F_GETFD", fcntl(base, F_GETFD));
  SHOW("  dup'd fd unaffected", fcntl(d1, F_GETFD));
  SHOW("F_SETFD other bits ignored", fcntl(base, F_SETFD, 0xfe));
  SHOW("F_GETFD", fcntl(base, F_GETFD));
  SHOW("F_SETFD 0", fcntl(base, F_SETFD, 0));
  SHOW("F_GETFD", fcntl(base, F_GETFD));
  int ce = open(tmp("f"), O_RDONLY | O_CLOEXEC);
  SHOW("F_GETFD of O_CLOEXEC open", fcntl(ce, F_GETFD));
  SHOW("F_GETFD bad fd", fcntl(999, F_GETFD));

  /* F_GETFL / F_SETFL */
  int rw = open(tmp("f"), O_RDWR | O_APPEND);
  printf("F_GETFL O_RDONLY: %o\n", fcntl(base, F_GETFL));
  printf("F_GETFL O_RDWR|O_APPEND: %o\n", fcntl(rw, F_GETFL));
  int wo = open(tmp("f"), O_WRONLY | O_NONBLOCK);
  printf("F_GETFL O_WRONLY|O_NONBLOCK: %o\n", fcntl(wo, F_GETFL));
  printf("F_GETFL O_CLOEXEC not shown: %o\n", fcntl(ce, F_GETFL));
  SHOW("F_SETFL O_NONBLOCK", fcntl(rw, F_SETFL, O_NONBLOCK));
  printf("  F_GETFL: %o (O_APPEND cleared, access mode kept)\n", fcntl(rw, F_GETFL));
  SHOW("F_SETFL O_APPEND|O_WRONLY", fcntl(rw, F_SETFL, O_APPEND | O_WRONLY));
  printf("  F_GETFL: %o (access mode cannot change)\n", fcntl(rw, F_GETFL));
  SHOW("F_SETFL O_CREAT|O_TRUNC ignored", fcntl(rw, F_SETFL, O_CREAT | O_TRUNC | O_APPEND));
  printf("  F_GETFL: %o\n", fcntl(rw, F_GETFL));
  /* status flags live in the open file description: dup shares them */
  int rwd = dup(rw);
  fcntl(rw, F_SETFL, O_NONBLOCK);
  printf("  dup sees F_SETFL: %o\n", fcntl(rwd, F_GETFL));
  SHOW("F_GETFL bad fd", fcntl(999, F_GETFL));
  SHOW("F_SETFL bad fd", fcntl(999, F_SETFL, 0));
  int op = open(tmp("f"), O_PATH);
  printf("F_GETFL O_PATH: %o\n", fcntl(op, F_GETFL));
  SHOW("F_GETFD O_PATH", fcntl(op, F_GETFD));

  SHOW("fcntl bad cmd", fcntl(base, 9999));
  SHOW("fcntl bad cmd on bad fd", fcntl(999, 9999));

  /* close frees the number for reuse */
  SHOW("close base+10", close(base + 10));
  SHOW("F_DUPFD base+10 reuses it", fcntl(base, F_DUPFD, base + 10) - base);

  for (int i = base; i < base + 32; i++) close(i);
  SHOW("after closing all, open -> base", open(tmp("f"), O_RDONLY) - base);
  close(base);
  cleanup();
  return 0;
}
