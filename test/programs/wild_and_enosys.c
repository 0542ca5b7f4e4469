/* tsvisor-test: sandbox-only
 * A wild pointer gets EFAULT and an unimplemented system call gets ENOSYS, and in both cases the
 * program simply goes on. The test feeds stdin so that read(0, ...) has data to copy: on an empty
 * pipe at EOF, read returns 0 without ever touching the buffer. The sandbox must also log the
 * unimplemented calls by name (checked by test/sandbox.test.mjs on stderr). */
#include "check.h"

int main(void) {
  setup();
  SHOW("read(0, (void*)1, 10)", syscall(SYS_read, 0, (void *)1, 10));
  SHOW("write(1, (void*)1, 10)", syscall(SYS_write, 1, (void *)1, 10));
  SHOW("open((char*)1)", syscall(SYS_open, (void *)1, O_RDONLY));
  /* 400 lies in the x86-64 gap 335..423 that upstream Linux leaves unassigned (335 itself is
   * not used: this project's VM kernel answers 335 and 336 with private calls of its own). */
  SHOW("syscall(400)", syscall(400, 0, 0, 0));
  /* lookup_dcookie (212) was removed from Linux in 6.8 and is implemented by nobody */
  SHOW("syscall(SYS_lookup_dcookie)", syscall(SYS_lookup_dcookie, 0, 0, 0));
  /* a number far beyond the table */
  SHOW("syscall(100000)", syscall(100000, 0, 0, 0));
  printf("still alive\n");
  return 0;
}
