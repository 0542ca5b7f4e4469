/* memfd_create: flags and name rules, /proc/self/fd and maps names, seals (F_ADD_SEALS /
 * F_GET_SEALS) and their enforcement on write, ftruncate and mmap, and MAP_SHARED mappings
 * that are truly shared: between processes, and with read()/write() on the fd. Also a
 * MAP_SHARED tmpfs-or-disk file in the scratch dir, shared between parent and child. */
#include "check.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 8
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x10
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x10
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x20
#endif

static int mfd(const char *name, unsigned flags) { return syscall(SYS_memfd_create, name, flags); }

static void show_link(const char *label, int fd) {
  char p[64], buf[512];
  snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(p, buf, sizeof buf - 1);
  if (n < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
  buf[n] = 0;
  printf("%s: %s\n", label, buf);
}

static int maps_has(const char *s) {
  FILE *f = fopen("/proc/self/maps", "r");
  char line[1024];
  int found = 0;
  while (f && fgets(line, sizeof line, f)) if (strstr(line, s)) found = 1;
  if (f) fclose(f);
  return found;
}

/* parent and child share a MAP_SHARED mapping of fd; each writes, the other reads */
static void share_test(const char *what, int fd) {
  char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) { printf("%s: mmap %s\n", what, errname(errno)); return; }
  strcpy(m, "parent");
  int p2c[2], c2p[2];
  pipe(p2c);
  pipe(c2p);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    char x;
    printf("%s child sees via inherited map: %s\n", what, m);
    strcpy(m + 4096, "from child map");
    char *m2 = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("%s child new map sees: %s\n", what, m2 + 4096);
    fflush(stdout);
    write(c2p[1], "x", 1);
    read(p2c[0], &x, 1);
    printf("%s child sees parent's pwrite: %s\n", what, m2 + 100);
    fflush(stdout);
    _exit(0);
  }
  char x, buf[64] = { 0 };
  read(c2p[0], &x, 1);
  SHOW("pread child's write", pread(fd, buf, 14, 4096));
  printf("  %s\n", buf);
  printf("%s parent map sees child's write: %s\n", what, m + 4096);
  SHOW("pwrite", pwrite(fd, "parent pwrite", 14, 100));
  printf("%s parent map sees own pwrite: %s\n", what, m + 100);
  write(p2c[1], "x", 1);
  waitpid(c, NULL, 0);
  munmap(m, 8192);
}

int main(void) {
  setup();
  make_tmpdir("memfd");
  struct stat st;
  char name[300];

  /* ---- creation rules ---- */
  SHOW("unknown flag", mfd("x", 0x100));
  SHOW("EXEC|NOEXEC_SEAL", mfd("x", MFD_EXEC | MFD_NOEXEC_SEAL));
  SHOW("bad name pointer", mfd((const char *)8, 0));
  memset(name, 'a', sizeof name);
  name[250] = 0;
  SHOW("name of 250 bytes", mfd(name, 0));
  name[249] = 0;
  int big = mfd(name, 0);
  REL("name of 249 bytes ok", big >= 0);
  close(big);
  int fd = mfd("test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  REL("memfd_create ok", fd >= 0);
  SHOW("F_GETFD", fcntl(fd, F_GETFD));
  printf("F_GETFL: %o\n", fcntl(fd, F_GETFL) & ~0100000);
  show_link("fd link", fd);
  SHOW("fstat", fstat(fd, &st));
  printf("  mode %o size %ld nlink %ld\n", st.st_mode, (long)st.st_size, (long)st.st_nlink);
  int empty = mfd("", 0);
  show_link("empty name link", empty);
  close(empty);

  /* ---- data, read/write/mmap sharing ---- */
  SHOW("ftruncate 8192", ftruncate(fd, 8192));
  SHOW("write", write(fd, "hello", 5));
  SHOW("lseek end", lseek(fd, 0, SEEK_END));
  fstat(fd, &st);
  printf("  st_blocks after one small write: %ld\n", (long)st.st_blocks);
  share_test("memfd", fd);
  char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  REL("maps shows /memfd:test (deleted)", maps_has("/memfd:test (deleted)"));
  m[10] = 'Z';
  char c = 0;
  SHOW("pread byte written through the map", pread(fd, &c, 1, 10));
  printf("  %c\n", c);

  /* ---- seals ---- */
  SHOW("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
  SHOW("F_ADD_SEALS unknown bit", fcntl(fd, F_ADD_SEALS, 0x100));
  SHOW("F_ADD_SEALS WRITE while mapped shared writable", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  munmap(m, 4096);
  m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
  SHOW("F_ADD_SEALS SHRINK|GROW (private map ok)", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
  SHOW("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
  SHOW("ftruncate smaller", ftruncate(fd, 4096));
  SHOW("ftruncate bigger", ftruncate(fd, 16384));
  SHOW("ftruncate same", ftruncate(fd, 8192));
  char fdp[64];
  snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", fd);
  SHOW("truncate by path, smaller", truncate(fdp, 100));
  SHOW("open O_TRUNC", open(fdp, O_RDWR | O_TRUNC));
  SHOW("pwrite inside", pwrite(fd, "abc", 3, 8000));
  SHOW("pwrite crossing the end in one page", pwrite(fd, "abcdefghijkl", 12, 8190));
  static char big2[8192];
  SHOW("pwrite over a page then past the end", pwrite(fd, big2, 8192, 2048));
  SHOW("pwrite at the end", pwrite(fd, "x", 1, 8192));
  SHOW("F_ADD_SEALS WRITE", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
  SHOW("write sealed", pwrite(fd, "x", 1, 0));
  OKP("mmap shared PROT_WRITE sealed", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  char *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  REL("mmap shared read-only ok", ro != MAP_FAILED);
  SHOW("mprotect it writable", mprotect(ro, 4096, PROT_READ | PROT_WRITE));
  char *pw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  REL("mmap private writable ok", pw != MAP_FAILED);
  pw[0] = 'q';
  SHOW("F_ADD_SEALS SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
  SHOW("F_ADD_SEALS after SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
  SHOW("F_GET_SEALS", fcntl(fd, F_GET_SEALS));
  munmap(ro, 4096);
  munmap(pw, 4096);
  munmap(m, 4096);

  /* ---- F_SEAL_FUTURE_WRITE: existing writable maps keep working ---- */
  int f2 = mfd("future", MFD_ALLOW_SEALING);
  ftruncate(f2, 4096);
  char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f2, 0);
  SHOW("F_ADD_SEALS FUTURE_WRITE while mapped", fcntl(f2, F_ADD_SEALS, F_SEAL_FUTURE_WRITE));
  strcpy(w, "still writable");
  char b2[32] = { 0 };
  SHOW("pread", pread(f2, b2, 14, 0));
  printf("  %s\n", b2);
  SHOW("write after FUTURE_WRITE", write(f2, "x", 1));
  OKP("new shared writable map", mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f2, 0));
  SHOW("ftruncate (no SHRINK/GROW seal)", ftruncate(f2, 100));
  munmap(w, 4096);
  close(f2);

  /* ---- default seals, access mode ---- */
  int f3 = mfd("noseal", 0);
  SHOW("F_GET_SEALS without ALLOW_SEALING", fcntl(f3, F_GET_SEALS));
  SHOW("F_ADD_SEALS without ALLOW_SEALING", fcntl(f3, F_ADD_SEALS, F_SEAL_WRITE));
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", f3);
  int f3r = open(p, O_RDONLY);
  REL("reopen read-only through /proc/self/fd", f3r >= 0);
  SHOW("F_ADD_SEALS on read-only fd", fcntl(f3r, F_ADD_SEALS, F_SEAL_WRITE));
  SHOW("F_GET_SEALS on read-only fd", fcntl(f3r, F_GET_SEALS));
  close(f3r);
  close(f3);
  int pp[2];
  pipe(pp);
  SHOW("F_GET_SEALS on a pipe", fcntl(pp[0], F_GET_SEALS));
  SHOW("F_ADD_SEALS on a pipe", fcntl(pp[1], F_ADD_SEALS, F_SEAL_WRITE));
  close(pp[0]);
  close(pp[1]);
  int f4 = mfd("noexec", MFD_NOEXEC_SEAL);
  fstat(f4, &st);
  printf("NOEXEC_SEAL mode %o seals %d\n", st.st_mode, fcntl(f4, F_GET_SEALS));
  close(f4);
  int f5 = mfd("exec", MFD_EXEC);
  fstat(f5, &st);
  printf("EXEC mode %o seals %d\n", st.st_mode, fcntl(f5, F_GET_SEALS));
  close(f5);
  int f6 = mfd("exec", MFD_EXEC | MFD_ALLOW_SEALING);
  SHOW("ADD_SEALS EXEC on an executable memfd", fcntl(f6, F_ADD_SEALS, F_SEAL_EXEC));
  SHOW("  seals", fcntl(f6, F_GET_SEALS));
  SHOW("  fchmod changing exec bits", fchmod(f6, 0666));
  SHOW("  fchmod keeping them", fchmod(f6, 0755));
  close(f6);

  /* ---- the mapping outlives the fd ---- */
  int f7 = mfd("outlive", 0);
  write(f7, "kept after close", 17);
  char *k = mmap(NULL, 4096, PROT_READ, MAP_SHARED, f7, 0);
  close(f7);
  printf("after close: %s\n", k);
  munmap(k, 4096);

  /* ---- MAP_PRIVATE: sees the file until written, then writes stay private ---- */
  int fp = mfd("private", 0);
  write(fp, "original", 8);
  char *pm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fp, 0);
  pwrite(fp, "CHANGED!", 8, 0);
  printf("private map sees a later file write: %.8s\n", pm);
  fflush(stdout);
  pid_t pc = fork();
  if (pc == 0) { memcpy(pm, "child...", 8); _exit(0); }
  waitpid(pc, NULL, 0);
  printf("after the child wrote its copy: %.8s\n", pm);
  memcpy(pm, "mine....", 8);
  char pb[9] = { 0 };
  pread(fp, pb, 8, 0);
  printf("private write: map %.8s, file %s\n", pm, pb);
  munmap(pm, 4096);
  close(fp);

  /* ---- SIGBUS past the end of a shared mapping, until the file grows ---- */
  int f9 = mfd("bus", 0);
  ftruncate(f9, 4096);
  char *bm = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, f9, 0);
  fflush(stdout);
  pid_t bc = fork();
  if (bc == 0) { bm[4096] = 1; _exit(0); }
  int bst;
  waitpid(bc, &bst, 0);
  printf("touch past EOF: %s\n", WIFSIGNALED(bst) ? (WTERMSIG(bst) == SIGBUS ? "SIGBUS" : "other signal") : "no fault");
  ftruncate(f9, 8192);
  bm[4096] = 'g';
  SHOW("after growing, pread", pread(f9, &c, 1, 4096));
  printf("  %c\n", c);
  munmap(bm, 8192);
  close(f9);

  /* ---- growing the file under a shared mapping ---- */
  int f8 = mfd("grow", 0);
  ftruncate(f8, 4096);
  char *g = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, f8, 0);
  SHOW("ftruncate to 1 MiB", ftruncate(f8, 1 << 20));
  g[(1 << 20) - 1] = 'E';
  SHOW("pread last byte", pread(f8, &c, 1, (1 << 20) - 1));
  printf("  %c\n", c);
  SHOW("ftruncate to 0", ftruncate(f8, 0));
  SHOW("ftruncate to 1 MiB again", ftruncate(f8, 1 << 20));
  printf("map after shrink+grow reads zero: %d\n", g[(1 << 20) - 1]);
  munmap(g, 1 << 20);
  close(f8);

  /* ---- a file in the scratch dir, MAP_SHARED between processes ---- */
  int tf = open(tmp("shared"), O_RDWR | O_CREAT, 0600);
  ftruncate(tf, 8192);
  share_test("file", tf);
  close(tf);
  unlink(tmp("shared"));
  close(fd);
  cleanup();
  return 0;
}
