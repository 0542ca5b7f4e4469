/* tsvisor-test: sandbox-only
 * Dies of SIGSEGV by writing through a NULL pointer. `tsvisor do` must then exit with 128+11=139,
 * as a shell reports a signal death. (Natively the status is a signal, not an exit code.) */
#include "check.h"

int main(int argc, char **argv) {
  setup();
  printf("about to fault\n");
  /* volatile: the compiler may not drop or reorder the faulting store */
  volatile int *p = (volatile int *)(long)(argc - 1);
  *p = 42;
  printf("survived the fault?!\n");
  return 0;
}
