/* mremap (grow in place, grow by moving, shrink, move to a fixed address), madvise(MADV_DONTNEED)
 * semantics for private anonymous, shared anonymous and private file mappings, and mincore's
 * interface (touched pages resident, error paths). Whether an untouched page counts as resident
 * is a host-memory detail, so only pages that were written are asked about. */
#include "check.h"
#include <sys/mman.h>
#include <stdint.h>

static long PG;

static int mapped(void *p, size_t len) {
  unsigned char vec[256];
  return mincore(p, len, vec) == 0;
}

static char *anon(size_t len) {
  return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

/* An address that is certainly unmapped right now: map a page and unmap it. Called right before
 * each use, since a later mmap could legitimately reuse any earlier hole. */
static char *hole(void) {
  char *h = anon(PG);
  munmap(h, PG);
  return h;
}

int main(void) {
  setup();
  make_tmpdir("mremap");
  PG = sysconf(_SC_PAGESIZE);

  /* grow in place: reserve 4 pages, free the upper 3, grow the first page into them */
  char *a = anon(4 * PG);
  munmap(a + PG, 3 * PG);
  strcpy(a, "grow me");
  char *g = mremap(a, PG, 4 * PG, 0);
  OKP("mremap grow in place (no MAYMOVE)", g);
  REL("  same address", g == a);
  REL("  contents kept", strcmp(g, "grow me") == 0);
  REL("  new tail zero and writable", g[3 * PG] == 0 && (g[3 * PG] = 1));

  /* shrink */
  char *sh = mremap(g, 4 * PG, 2 * PG, 0);
  OKP("mremap shrink", sh);
  REL("  same address", sh == g);
  REL("  tail unmapped", !mapped(g + 2 * PG, 2 * PG));
  REL("  head kept", strcmp(sh, "grow me") == 0);

  /* grow blocked by a neighbour: ENOMEM without MAYMOVE, moves with it */
  char *b = anon(2 * PG);
  strcpy(b, "blocked");
  char *blocker = mmap(b + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (blocker == MAP_FAILED) { /* something already there: that blocks just as well */ blocker = NULL; }
  OKP("mremap grow blocked, no MAYMOVE", mremap(b, 2 * PG, 8 * PG, 0));
  char *mv = mremap(b, 2 * PG, 8 * PG, MREMAP_MAYMOVE);
  OKP("mremap grow blocked, MAYMOVE", mv);
  REL("  moved", mv != b);
  REL("  contents moved", strcmp(mv, "blocked") == 0);
  REL("  old range unmapped", !mapped(b, 2 * PG)); /* checked before any new mmap */
  if (blocker) munmap(blocker, PG);

  /* move to a fixed address (replacing whatever was there) */
  char *dst = anon(8 * PG);
  dst[0] = 'D';
  char *fx = mremap(mv, 8 * PG, 8 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
  OKP("mremap MREMAP_FIXED", fx);
  REL("  at requested address", fx == dst);
  REL("  contents are the moved ones", strcmp(fx, "blocked") == 0);
  REL("  source unmapped", !mapped(mv, 8 * PG));

  /* shared anonymous: mremap with old_size 0 makes a second view of the same pages */
  char *sa = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  char *alias = mremap(sa, 0, PG, MREMAP_MAYMOVE);
  OKP("mremap old_size 0 on shared (alias)", alias);
  strcpy(sa, "through sa");
  REL("  alias sees write", strcmp(alias, "through sa") == 0);
  OKP("mremap old_size 0 on private", mremap(sh, 0, PG, MREMAP_MAYMOVE));

  /* error paths */
  OKP("mremap unaligned old", mremap(sh + 1, PG, 2 * PG, MREMAP_MAYMOVE));
  OKP("mremap new_size 0", mremap(sh, PG, 0, MREMAP_MAYMOVE));
  OKP("mremap bad flags", mremap(sh, PG, 2 * PG, 0x80));
  OKP("mremap FIXED without MAYMOVE", mremap(sh, PG, PG, MREMAP_FIXED, dst));
  OKP("mremap FIXED unaligned new", mremap(sh, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst + 1));
  OKP("mremap FIXED overlapping", mremap(fx, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, fx + PG));
  OKP("mremap unmapped old", mremap(hole(), PG, 2 * PG, MREMAP_MAYMOVE));
  /* one mapping split in two VMAs by a protection change: the old range must lie in one */
  char *two = anon(2 * PG);
  mprotect(two + PG, PG, PROT_READ);
  OKP("mremap old range spans two VMAs", mremap(two, 2 * PG, 3 * PG, MREMAP_MAYMOVE));
  munmap(two, 2 * PG);

  /* madvise(MADV_DONTNEED) */
  char *p = anon(2 * PG);
  memset(p, 'x', 2 * PG);
  SHOW("madvise DONTNEED private anon", madvise(p, PG, MADV_DONTNEED));
  REL("  first page zeroed", p[0] == 0 && p[PG - 1] == 0);
  REL("  second page untouched", p[PG] == 'x');
  strcpy(sa, "shared survives");
  SHOW("madvise DONTNEED shared anon", madvise(sa, PG, MADV_DONTNEED));
  printf("  content: %s\n", sa);
  int fd = open(tmp("f"), O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, "from the file", 13);
  char *fp = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  memcpy(fp, "PRIVATE COPY!", 13);
  printf("  file private before: %.13s\n", fp);
  SHOW("madvise DONTNEED private file", madvise(fp, PG, MADV_DONTNEED));
  printf("  file private after: %.13s\n", fp);
  SHOW("madvise NORMAL", madvise(p, 2 * PG, MADV_NORMAL));
  SHOW("madvise unaligned", madvise(p + 1, PG, MADV_DONTNEED));
  SHOW("madvise bad advice", madvise(p, PG, 12345));
  SHOW("madvise len 0", madvise(p, 0, MADV_DONTNEED));
  SHOW("madvise NORMAL on unmapped", madvise(hole(), PG, MADV_NORMAL));
  SHOW("madvise DONTNEED on unmapped", madvise(hole(), PG, MADV_DONTNEED));

  /* mincore */
  unsigned char vec[8];
  memset(p, 1, 2 * PG);
  memset(vec, 0xee, sizeof vec);
  SHOW("mincore touched pages", mincore(p, 2 * PG, vec));
  printf("  vec: %d %d (byte after: %x)\n", vec[0] & 1, vec[1] & 1, vec[2]);
  SHOW("mincore partial page length rounds up", mincore(p, PG + 1, vec));
  SHOW("mincore unaligned", mincore(p + 1, PG, vec));
  SHOW("mincore unmapped", mincore(hole(), PG, vec));
  SHOW("mincore bad vec", syscall(SYS_mincore, p, PG, (void *)1));
  SHOW("mincore len 0", mincore(p, 0, vec));
  SHOW("mincore above TASK_SIZE", mincore((void *)0x800000000000ul, PG, vec));

  munmap(p, 2 * PG); munmap(fp, PG); munmap(sa, PG); munmap(alias, PG); munmap(fx, 8 * PG); munmap(sh, 2 * PG);
  close(fd);
  cleanup();
  return 0;
}
