/* tsvisor-test: sandbox-only
 * Inside the sandbox the first process is pid 1 (of its own pid namespace), and /proc/self/status
 * must agree with the syscalls. Natively the numbers are whatever the host gives, so this program
 * is not differential: test/sandbox.test.mjs checks its output. */
#include "check.h"

int main(void) {
  setup();
  printf("getpid: %d\n", getpid());
  printf("gettid: %ld\n", syscall(SYS_gettid));
  printf("getppid: %d\n", getppid());
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) { printf("open /proc/self/status: -1 %s\n", errname(errno)); return 1; }
  char line[256];
  while (fgets(line, sizeof line, f)) {
    /* "Pid:" and "PPid:" exactly (not TracerPid:, NSpid: ...) */
    if (!strncmp(line, "Pid:", 4) || !strncmp(line, "PPid:", 5) || !strncmp(line, "Tgid:", 5)) printf("status %s", line);
  }
  fclose(f);
  return 0;
}
