/* brk, through sbrk and through the raw syscall (which returns the new break rather than 0/-1).
 * The break's address is randomised, so only differences and relations are printed. */
#include "check.h"
#include <sys/mman.h>
#include <stdint.h>

static int mapped(void *p, size_t len) {
  unsigned char vec[64];
  return mincore(p, len, vec) == 0;
}

int main(void) {
  setup();
  long PG = sysconf(_SC_PAGESIZE);

  uintptr_t cur = syscall(SYS_brk, 0);
  REL("raw brk(0) returns the current break", cur != 0 && cur == (uintptr_t)sbrk(0));

  /* grow by 3 pages + a bit, use the memory, shrink again */
  char *old = sbrk(0);
  char *r = sbrk(3 * PG + 100);
  REL("sbrk grow returns the old break", r == old);
  REL("sbrk(0) moved by the increment", (char *)sbrk(0) == old + 3 * PG + 100);
  int zero = 1;
  for (long i = 0; i < 3 * PG + 100; i += 64) zero &= old[i] == 0;
  REL("new memory is zero", zero);
  memset(old, 'b', 3 * PG + 100);
  REL("new memory is writable", old[3 * PG + 99] == 'b');
  REL("pages up to the new break are mapped", mapped((void *)(((uintptr_t)old + PG - 1) & ~(uintptr_t)(PG - 1)), 2 * PG));

  /* shrink: the pages above the new break are unmapped; growing again gives zeroes */
  r = sbrk(-(3 * PG + 100));
  REL("sbrk shrink returns the previous break", r == old + 3 * PG + 100);
  REL("sbrk(0) back to the start", sbrk(0) == old);
  uintptr_t top_page = ((uintptr_t)old + PG - 1) & ~(uintptr_t)(PG - 1);
  REL("freed whole pages are unmapped", !mapped((void *)(top_page + PG), PG));
  sbrk(3 * PG + 100);
  REL("regrown memory (in a freed page) is zero again", old[2 * PG + 7] == 0);
  sbrk(-(3 * PG + 100));

  /* the raw syscall: an impossible request leaves the break where it was */
  cur = syscall(SYS_brk, 0);
  REL("raw brk below start fails (returns old break)", (uintptr_t)syscall(SYS_brk, 4096) == cur);
  REL("raw brk into kernel space fails", (uintptr_t)syscall(SYS_brk, 0xffff800000001000ul) == cur);
  REL("raw brk huge fails", (uintptr_t)syscall(SYS_brk, cur + (1ul << 46)) == cur);
  uintptr_t up = syscall(SYS_brk, cur + 5 * PG);
  REL("raw brk grow returns the new break", up == cur + 5 * PG);
  memset((void *)cur, 1, 5 * PG);
  REL("raw brk shrink", (uintptr_t)syscall(SYS_brk, cur) == cur);

  /* a mapping right above the break blocks it from growing there */
  uintptr_t above = (cur + PG - 1 + 16 * PG) & ~(uintptr_t)(PG - 1);
  void *blk = mmap((void *)above, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  OKP("mmap just above the break", blk);
  REL("raw brk into the mapping fails", (uintptr_t)syscall(SYS_brk, above + PG) == cur);
  /* Linux keeps one page free between the break and the next mapping */
  REL("raw brk exactly up to the mapping fails", (uintptr_t)syscall(SYS_brk, above) == cur);
  REL("raw brk up to one page below the mapping works", (uintptr_t)syscall(SYS_brk, above - PG) == above - PG);
  syscall(SYS_brk, cur);
  munmap(blk, PG);

  /* malloc of small blocks comes from the break */
  void *m = malloc(100);
  REL("malloc(100) ok", m != NULL);
  free(m);
  errno = 0;
  REL("sbrk huge fails", sbrk(1l << 46) == (void *)-1);
  printf("  errno: %s\n", errname(errno));
  return 0;
}
