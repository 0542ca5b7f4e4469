/* mmap (anonymous private/shared, file-backed private, MAP_FIXED, MAP_FIXED_NOREPLACE,
 * MAP_POPULATE, MAP_NORESERVE), munmap and mprotect, with their error paths. Addresses are
 * never printed: only "ok", errno names, and relations (same address, contents). Faults on
 * PROT_NONE pages are not provoked (signal delivery is a later issue); mincore is used to ask
 * whether a range is mapped at all (ENOMEM when it is not). */
#include "check.h"
#include <sys/mman.h>
#include <stdint.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static long PG;

/* 1 if every page of [p, p+len) is mapped, 0 if some page is not (mincore's ENOMEM). */
static int mapped(void *p, size_t len) {
  unsigned char vec[64];
  return mincore(p, len, vec) == 0;
}

int main(void) {
  setup();
  make_tmpdir("mmap");
  PG = sysconf(_SC_PAGESIZE);
  printf("page size: %ld\n", PG);

  /* anonymous private: zero-filled, writable */
  char *a = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  OKP("mmap anon private", a);
  REL("  page aligned", ((uintptr_t)a & (PG - 1)) == 0);
  int zero = 1;
  for (long i = 0; i < 4 * PG; i += 512) zero &= a[i] == 0;
  REL("  zero filled", zero);
  strcpy(a + PG, "private data");
  printf("  readback: %s\n", a + PG);
  REL("  mapped", mapped(a, 4 * PG));

  /* anonymous shared */
  char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  OKP("mmap anon shared", s);
  strcpy(s, "shared data");
  printf("  readback: %s\n", s);

  /* MAP_FIXED replaces part of an existing mapping with fresh zero pages */
  char *fx = mmap(a + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  OKP("mmap MAP_FIXED over existing", fx);
  REL("  at requested address", fx == a + PG);
  REL("  old contents gone", fx[0] == 0);
  /* MAP_FIXED_NOREPLACE over an existing mapping fails with EEXIST */
  OKP("MAP_FIXED_NOREPLACE over existing", mmap(a + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0));
  /* ... and succeeds on a hole */
  SHOW("munmap middle page", munmap(a + 2 * PG, PG));
  REL("  hole unmapped", !mapped(a + 2 * PG, PG));
  REL("  neighbours still mapped", mapped(a + PG, PG) && mapped(a + 3 * PG, PG));
  char *nr = mmap(a + 2 * PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  OKP("MAP_FIXED_NOREPLACE into hole", nr);
  REL("  at requested address", nr == a + 2 * PG);
  /* a hint without MAP_FIXED is honoured when free */
  SHOW("munmap all 4", munmap(a, 4 * PG));
  char *h = mmap(a, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  OKP("mmap with free hint", h);
  REL("  hint honoured", h == a);
  munmap(h, PG);

  /* file-backed private: sees file contents; writes stay private */
  int fd = open(tmp("f"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  char page[8192];
  memset(page, 'F', sizeof page);
  memcpy(page, "file header", 11);
  write(fd, page, 2 * PG);
  write(fd, "tail", 4); /* file is 2 pages + 4 bytes */
  char *fm = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  OKP("mmap file private", fm);
  printf("  head: %.11s\n", fm);
  printf("  tail: %.4s then zero: %d\n", fm + 2 * PG, fm[2 * PG + 4] == 0 && fm[3 * PG - 1] == 0);
  fm[0] = 'X';
  char rb[16] = { 0 };
  pread(fd, rb, 11, 0);
  printf("  file after private write: %s\n", rb);
  printf("  mapping after private write: %.11s\n", fm);
  char *fo = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, PG);
  OKP("mmap file private offset 1 page", fo);
  printf("  first byte: %c\n", fo[0]);
  munmap(fo, PG);
  char *fp = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  OKP("mmap file MAP_POPULATE", fp);
  printf("  head: %.11s\n", fp);
  munmap(fp, PG);
  munmap(fm, 3 * PG);
  char *nrs = mmap(NULL, 1 << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  OKP("mmap 1 GiB MAP_NORESERVE", nrs);
  nrs[(1 << 29)] = 1;
  REL("  touch middle", nrs[(1 << 29)] == 1);
  munmap(nrs, 1 << 30);
  char *pop = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  OKP("mmap anon MAP_POPULATE", pop);
  unsigned char vec[4] = { 9, 9, 9, 9 };
  SHOW("  mincore", mincore(pop, 4 * PG, vec));
  printf("  resident: %d %d %d %d\n", vec[0] & 1, vec[1] & 1, vec[2] & 1, vec[3] & 1);
  munmap(pop, 4 * PG);

  /* mprotect */
  char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  strcpy(m, "keep");
  SHOW("mprotect PROT_READ", mprotect(m, PG, PROT_READ));
  printf("  still readable: %s\n", m);
  SHOW("mprotect PROT_NONE", mprotect(m + PG, PG, PROT_NONE));
  SHOW("mprotect back to RW", mprotect(m, 3 * PG, PROT_READ | PROT_WRITE));
  m[PG] = 'w';
  REL("  writable again", m[PG] == 'w' && strcmp(m, "keep") == 0);
  SHOW("mprotect unaligned", mprotect(m + 1, PG, PROT_READ));
  SHOW("mprotect bad prot", mprotect(m, PG, 0x100));
  SHOW("mprotect len 0", mprotect(m, 0, PROT_READ));
  SHOW("mprotect PROT_GROWSDOWN on non-stack", mprotect(m, PG, PROT_READ | PROT_GROWSDOWN));
  munmap(m + 2 * PG, PG);
  SHOW("mprotect partly unmapped", mprotect(m, 3 * PG, PROT_READ));
  SHOW("mprotect unmapped", mprotect(m + 2 * PG, PG, PROT_READ));
  /* a private mapping of a read-only fd may become writable (copy-on-write) */
  int ro = open(tmp("f"), O_RDONLY);
  char *rs = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, ro, 0);
  OKP("mmap O_RDONLY fd MAP_PRIVATE PROT_READ", rs);
  SHOW("mprotect it PROT_WRITE", mprotect(rs, PG, PROT_READ | PROT_WRITE));
  rs[0] = 'P';
  REL("  private write visible in mapping only", rs[0] == 'P' && pread(ro, rb, 1, 0) == 1 && rb[0] == 'f');
  munmap(rs, PG);

  /* munmap */
  SHOW("munmap unaligned", munmap(m + 1, PG));
  SHOW("munmap len 0", munmap(m, 0));
  SHOW("munmap already unmapped range", munmap(m + 2 * PG, PG));
  SHOW("munmap rest", munmap(m, 2 * PG));
  REL("  gone", !mapped(m, 2 * PG));
  SHOW("munmap above TASK_SIZE", munmap((void *)0xffff800000000000ul, PG));

  /* mmap errors */
  OKP("mmap len 0", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  OKP("mmap neither PRIVATE nor SHARED", mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0));
  OKP("mmap PRIVATE|SHARED", mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  OKP("mmap MAP_FIXED unaligned", mmap((void *)0x10000001, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
  OKP("mmap bad fd", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, 999, 0));
  OKP("mmap unaligned offset", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 1));
  OKP("mmap huge length", mmap(NULL, (size_t)-PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  int wo = open(tmp("f"), O_WRONLY);
  OKP("mmap O_WRONLY fd", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, wo, 0));
  OKP("mmap O_RDONLY fd SHARED+WRITE", mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
  OKP("mmap O_RDONLY fd PRIVATE+WRITE", (rs = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0)));
  munmap(rs, PG);
  int dirfd = open(tsv_dir, O_RDONLY | O_DIRECTORY);
  OKP("mmap a directory", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, dirfd, 0));
  int p[2];
  pipe(p);
  OKP("mmap a pipe", mmap(NULL, PG, PROT_READ, MAP_PRIVATE, p[0], 0));
  OKP("mmap MAP_FIXED above TASK_SIZE", mmap((void *)0x800000000000ul, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));

  /* many small mappings and unmapping every other one: the VMA bookkeeping stays consistent */
  char *big = mmap(NULL, 32 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for (int i = 0; i < 32; i++) big[i * PG] = (char)i;
  for (int i = 0; i < 32; i += 2) munmap(big + i * PG, PG);
  int good = 1;
  for (int i = 1; i < 32; i += 2) good &= big[i * PG] == (char)i && mapped(big + i * PG, PG) && !mapped(big + (i - 1) * PG, PG);
  REL("checkerboard unmap keeps odd pages", good);
  SHOW("munmap whole range with holes", munmap(big, 32 * PG));
  REL("  all gone", !mapped(big + PG, PG) && !mapped(big + 31 * PG, PG));

  close(fd); close(ro); close(wo); close(dirfd); close(p[0]); close(p[1]);
  munmap(s, PG);
  cleanup();
  return 0;
}
