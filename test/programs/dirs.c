/* mkdir/mkdirat/rmdir/unlink/unlinkat/rename/renameat/renameat2 and getdents64 on a directory
 * the program creates. getdents64 order is filesystem-specific (tmpfs returns newest first), so
 * the listing is sorted before printing; d_type and the "." / ".." entries are checked. */
#include "check.h"
#include <stdint.h>

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* List a directory with raw getdents64 in small chunks (forcing several calls), print sorted. */
static void list(const char *label, const char *path) {
  int fd = open(path, O_RDONLY | O_DIRECTORY);
  if (fd < 0) { printf("%s: open -1 %s\n", label, errname(errno)); return; }
  char *names[64];
  int n = 0, calls = 0;
  char buf[128]; /* small on purpose: a few entries per call */
  for (;;) {
    long r = syscall(SYS_getdents64, fd, buf, sizeof buf);
    if (r < 0) { printf("%s: getdents64 -1 %s\n", label, errname(errno)); break; }
    if (r == 0) break;
    calls++;
    for (long off = 0; off < r;) {
      struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
      char *e = malloc(300);
      const char *t = d->d_type == DT_DIR ? "d" : d->d_type == DT_REG ? "f" : d->d_type == DT_LNK ? "l" : "?";
      snprintf(e, 300, "%s(%s)", d->d_name, t);
      if (n < 64) names[n++] = e;
      off += d->d_reclen;
    }
  }
  qsort(names, n, sizeof names[0], cmp);
  printf("%s:", label);
  for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
  printf("\n");
  /* 128 bytes cannot hold more than 5 entries, so a long listing must have taken several calls
   * (each picking up at the offset the previous one left). */
  if (n > 5) REL("  took several getdents64 calls", calls > 1);
  /* after EOF another call still returns 0 */
  SHOW("  getdents64 at eof", syscall(SYS_getdents64, fd, buf, sizeof buf));
  /* rewinding with lseek restarts the listing */
  SHOW("  lseek 0", lseek(fd, 0, SEEK_SET));
  REL("  getdents64 after rewind > 0", syscall(SYS_getdents64, fd, buf, sizeof buf) > 0);
  close(fd);
}

int main(void) {
  setup();
  make_tmpdir("dirs");
  umask(022);
  SHOW("chdir", chdir(tsv_dir));

  list("empty dir", ".");
  SHOW("mkdir sub", mkdir("sub", 0755));
  SHOW("mkdir sub again", mkdir("sub", 0755));
  SHOW("mkdir under missing", mkdir("missing/x", 0755));
  SHOW("mkdir trailing slash", mkdir("sub2/", 0755));
  SHOW("rmdir trailing slash", rmdir("sub2/"));
  int dfd = open(".", O_RDONLY | O_DIRECTORY);
  SHOW("mkdirat", mkdirat(dfd, "sub/inner", 0700));
  SHOW("mkdirat bad dirfd", mkdirat(999, "x", 0700));
  put_file("file1", "1");
  put_file("file2", "22");
  put_file("sub/deep", "x");
  SHOW("mkdir over file", mkdir("file1", 0755));
  SHOW("mkdir through file", mkdir("file1/x", 0755));
  for (int i = 0; i < 12; i++) {
    char n[32];
    snprintf(n, sizeof n, "many-%02d-with-a-longish-name", i);
    put_file(n, "");
  }
  list("populated dir", ".");
  list("subdir", "sub");

  /* getdents64 errors */
  char buf[256];
  int f = open("file1", O_RDONLY);
  SHOW("getdents64 on file", syscall(SYS_getdents64, f, buf, sizeof buf));
  SHOW("getdents64 bad fd", syscall(SYS_getdents64, 999, buf, sizeof buf));
  int d2 = open("sub", O_RDONLY | O_DIRECTORY);
  SHOW("getdents64 buffer too small", syscall(SYS_getdents64, d2, buf, 10));
  close(d2);
  close(f);

  /* rmdir / unlink */
  SHOW("rmdir non-empty", rmdir("sub"));
  SHOW("rmdir file", rmdir("file1"));
  SHOW("rmdir missing", rmdir("nope"));
  SHOW("rmdir .", rmdir("."));
  SHOW("rmdir ..", rmdir("sub/.."));
  SHOW("unlink dir", unlink("sub"));
  SHOW("unlink missing", unlink("nope"));
  SHOW("unlink through file", unlink("file1/x"));
  SHOW("unlinkat file", unlinkat(dfd, "file2", 0));
  SHOW("unlinkat file again", unlinkat(dfd, "file2", 0));
  SHOW("unlinkat AT_REMOVEDIR on file", unlinkat(dfd, "file1", AT_REMOVEDIR));
  SHOW("unlinkat dir without flag", unlinkat(dfd, "sub/inner", 0));
  SHOW("unlinkat AT_REMOVEDIR dir", unlinkat(dfd, "sub/inner", AT_REMOVEDIR));
  SHOW("unlinkat bad flags", unlinkat(dfd, "file1", 0x8000));
  for (int i = 0; i < 12; i++) {
    char n[32];
    snprintf(n, sizeof n, "many-%02d-with-a-longish-name", i);
    unlink(n);
  }

  /* rename family */
  SHOW("rename file", rename("file1", "renamed"));
  SHOW("rename missing", rename("file1", "x"));
  SHOW("rename into missing dir", rename("renamed", "nodir/x"));
  put_file("other", "other");
  SHOW("rename over existing file", rename("renamed", "other"));
  list("after renames", ".");
  SHOW("rename file over dir", rename("other", "sub"));
  SHOW("mkdir e", mkdir("e", 0755));
  SHOW("rename dir over file", rename("e", "other"));
  SHOW("rename dir over empty dir", rename("e", "sub/inner2") == 0 ? rename("sub/inner2", "e") : -1);
  SHOW("rename dir over non-empty dir", rename("e", "sub"));
  SHOW("rename dir into itself", rename("sub", "sub/deeper"));
  SHOW("rename same file", rename("other", "other"));
  SHOW("renameat", renameat(dfd, "other", dfd, "sub/moved"));
  list("subdir after renameat", "sub");
  SHOW("renameat2 NOREPLACE onto existing", syscall(SYS_renameat2, dfd, "sub/moved", dfd, "sub/deep", RENAME_NOREPLACE));
  SHOW("renameat2 NOREPLACE to new name", syscall(SYS_renameat2, dfd, "sub/moved", dfd, "sub/moved2", RENAME_NOREPLACE));
  SHOW("renameat2 bad flags", syscall(SYS_renameat2, dfd, "sub/moved2", dfd, "x", 0x100));
  SHOW("renameat2 NOREPLACE|EXCHANGE", syscall(SYS_renameat2, dfd, "sub/moved2", dfd, "sub/deep", RENAME_NOREPLACE | RENAME_EXCHANGE));
  SHOW("renameat2 flags 0", syscall(SYS_renameat2, dfd, "sub/moved2", dfd, "back", 0));
  int fb = open("back", O_RDONLY);
  memset(buf, 0, sizeof buf);
  SHOW("read renamed file", read(fb, buf, sizeof buf));
  printf("  data: %s\n", buf);
  close(fb);
  SHOW("renameat bad dirfd", renameat(999, "back", dfd, "x"));

  /* an open directory fd keeps working after its directory is removed */
  SHOW("mkdir gone", mkdir("gone", 0755));
  int g = open("gone", O_RDONLY | O_DIRECTORY);
  SHOW("rmdir gone", rmdir("gone"));
  SHOW("getdents64 on removed dir", syscall(SYS_getdents64, g, buf, sizeof buf));
  SHOW("openat in removed dir", openat(g, "x", O_RDWR | O_CREAT, 0644));
  close(g);

  close(dfd);
  SHOW("unlink back", unlink("back"));
  SHOW("unlink sub/deep", unlink("sub/deep"));
  SHOW("rmdir sub", rmdir("sub"));
  SHOW("rmdir e", rmdir("e"));
  list("finally empty", ".");
  cleanup();
  return 0;
}
