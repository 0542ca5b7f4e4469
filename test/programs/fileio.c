/* File I/O: open/openat/creat/read/write/pread64/pwrite64/readv/writev/lseek/close and their
 * error paths. Fds are printed relative to the first one we open: Linux hands out the lowest
 * free number, and that rule is part of what the sandbox must get right. */
#include "check.h"
#include <sys/uio.h>
#include <limits.h>

int main(void) {
  setup();
  make_tmpdir("fileio");
  umask(022);

  /* creat + write + lowest-free fd numbering */
  int a = creat(tmp("a"), 0644);
  REL("creat ok", a >= 0);
  int b = open(tmp("a"), O_RDONLY);
  SHOW("second fd - first", b - a);
  SHOW("write 11", write(a, "hello world", 11));
  SHOW("write 0", write(a, "", 0));
  SHOW("read from creat fd (O_WRONLY)", read(a, (char[4]){0}, 4));
  SHOW("close a", close(a));
  SHOW("close a again", close(a));
  int c = open(tmp("a"), O_RDWR);
  SHOW("reuses freed fd", c == a);

  char buf[64];
  memset(buf, 0, sizeof buf);
  SHOW("read 5", read(b, buf, 5));
  printf("  data: %s\n", buf);
  SHOW("read rest", read(b, buf, sizeof buf));
  SHOW("read at eof", read(b, buf, sizeof buf));
  SHOW("write to O_RDONLY", write(b, "x", 1));

  /* lseek */
  SHOW("lseek SEEK_SET 6", lseek(b, 6, SEEK_SET));
  memset(buf, 0, sizeof buf);
  SHOW("read after seek", read(b, buf, 5));
  printf("  data: %s\n", buf);
  SHOW("lseek SEEK_CUR -3", lseek(b, -3, SEEK_CUR));
  SHOW("lseek SEEK_END 0", lseek(b, 0, SEEK_END));
  SHOW("lseek SEEK_END +100", lseek(b, 100, SEEK_END));
  SHOW("read past eof", read(b, buf, 4));
  SHOW("lseek negative", lseek(b, -1, SEEK_SET));
  SHOW("lseek bad whence", lseek(b, 0, 42));
  SHOW("lseek bad fd", lseek(1000, 0, SEEK_SET));

  /* pread/pwrite do not move the offset */
  SHOW("lseek to 2", lseek(c, 2, SEEK_SET));
  SHOW("pwrite at 0", pwrite(c, "HE", 2, 0));
  SHOW("offset after pwrite", lseek(c, 0, SEEK_CUR));
  memset(buf, 0, sizeof buf);
  SHOW("pread at 0", pread(c, buf, 11, 0));
  printf("  data: %s\n", buf);
  SHOW("offset after pread", lseek(c, 0, SEEK_CUR));
  SHOW("pread past eof", pread(c, buf, 4, 1000));
  SHOW("pread negative offset", pread(c, buf, 4, -1));
  SHOW("pwrite negative offset", pwrite(c, buf, 4, -1));
  SHOW("pwrite beyond eof", pwrite(c, "Z", 1, 20));
  struct stat st;
  fstat(c, &st);
  SHOW("size after sparse pwrite", st.st_size);
  memset(buf, 'x', sizeof buf);
  SHOW("pread across hole", pread(c, buf, 32, 9));
  printf("  hole bytes zero: %d\n", buf[2] == 0 && buf[10] == 0 && buf[11] == 'Z');

  /* readv / writev */
  struct iovec iov[3];
  char p1[3], p2[4], p3[50];
  iov[0] = (struct iovec){ "ab", 2 };
  iov[1] = (struct iovec){ "", 0 };
  iov[2] = (struct iovec){ "cdef", 4 };
  int v = open(tmp("v"), O_RDWR | O_CREAT | O_TRUNC, 0600);
  SHOW("writev", writev(v, iov, 3));
  SHOW("lseek 0", lseek(v, 0, SEEK_SET));
  memset(p1, 0, sizeof p1); memset(p2, 0, sizeof p2); memset(p3, 0, sizeof p3);
  iov[0] = (struct iovec){ p1, 2 };
  iov[1] = (struct iovec){ p2, 3 };
  iov[2] = (struct iovec){ p3, 10 };
  SHOW("readv", readv(v, iov, 3));
  printf("  parts: %s|%s|%s\n", p1, p2, p3);
  SHOW("readv iovcnt -1", readv(v, iov, -1));
  SHOW("readv iovcnt > IOV_MAX", readv(v, iov, IOV_MAX + 1));
  SHOW("writev iovcnt 0", writev(v, iov, 0));
  SHOW("readv bad fd", readv(999, iov, 1));
  struct iovec neg = { p1, (size_t)-1 };
  SHOW("readv huge len", syscall(SYS_readv, v, &neg, 1));

  /* O_APPEND: every write goes to the end whatever the offset */
  int ap = open(tmp("v"), O_WRONLY | O_APPEND);
  SHOW("lseek append fd to 0", lseek(ap, 0, SEEK_SET));
  SHOW("append write", write(ap, "XY", 2));
  SHOW("offset after append", lseek(ap, 0, SEEK_CUR));
  close(ap);
  /* O_TRUNC */
  int tr = open(tmp("v"), O_WRONLY | O_TRUNC);
  fstat(tr, &st);
  SHOW("size after O_TRUNC", st.st_size);
  close(tr);

  /* openat relative to a directory fd, and AT_FDCWD */
  int dfd = open(tsv_dir, O_RDONLY | O_DIRECTORY);
  int r = openat(dfd, "a", O_RDONLY);
  REL("openat dirfd ok", r >= 0);
  close(r);
  SHOW("openat dirfd missing", openat(dfd, "nope", O_RDONLY));
  SHOW("openat dirfd is a file", openat(b, "a", O_RDONLY));
  SHOW("openat bad dirfd", openat(777, "a", O_RDONLY));
  SHOW("openat bad dirfd absolute path", (r = openat(777, "/", O_RDONLY)) >= 0 ? 0 : -1);
  if (r >= 0) close(r);
  SHOW("chdir tmp", chdir(tsv_dir));
  r = openat(AT_FDCWD, "a", O_RDONLY);
  REL("openat AT_FDCWD ok", r >= 0);
  close(r);

  /* error paths */
  SHOW("open missing", open(tmp("missing"), O_RDONLY));
  SHOW("open missing dir component", open(tmp("nodir/x"), O_RDONLY));
  SHOW("open file as dir component", open(tmp("a/x"), O_RDONLY));
  SHOW("open O_DIRECTORY on file", open(tmp("a"), O_RDONLY | O_DIRECTORY));
  SHOW("open O_CREAT|O_EXCL existing", open(tmp("a"), O_WRONLY | O_CREAT | O_EXCL, 0644));
  SHOW("open dir O_WRONLY", open(tsv_dir, O_WRONLY));
  SHOW("open dir O_RDWR", open(tsv_dir, O_RDWR));
  SHOW("open O_CREAT on dir", open(tsv_dir, O_RDONLY | O_CREAT, 0644));
  SHOW("open empty path", open("", O_RDONLY));
  SHOW("creat in missing dir", creat(tmp("nodir/x"), 0644));
  SHOW("open O_TMPFILE without dir", open(tmp("a"), O_TMPFILE | O_RDWR, 0600));
  /* O_CREAT|O_DIRECTORY is rejected outright since Linux 6.4 */
  SHOW("open O_CREAT|O_DIRECTORY", open(tmp("newdir"), O_RDONLY | O_CREAT | O_DIRECTORY, 0755));
  char longname[300];
  memset(longname, 'n', 299);
  longname[299] = 0;
  SHOW("open component > NAME_MAX", open(longname, O_RDONLY));
  SHOW("creat component > NAME_MAX", creat(longname, 0644));
  static char longpath[PATH_MAX + 100];
  for (int i = 0; i < PATH_MAX + 90; i += 2) { longpath[i] = 'd'; longpath[i + 1] = '/'; }
  SHOW("open path > PATH_MAX", open(longpath, O_RDONLY));
  SHOW("read bad fd", read(555, buf, 1));
  SHOW("write bad fd", write(555, buf, 1));
  SHOW("read negative fd", read(-1, buf, 1));
  SHOW("close bad fd", close(555));
  SHOW("pread on dir", pread(dfd, buf, 1, 0));
  SHOW("read on dir", read(dfd, buf, 1));
  SHOW("write on O_PATH fd", ({ int o = open(tmp("a"), O_PATH); long x = write(o, "a", 1); int e = errno; close(o); errno = e; x; }));

  close(b); close(c); close(v); close(dfd);
  SHOW("unlink a", unlink(tmp("a")));
  SHOW("unlink v", unlink(tmp("v")));
  cleanup();
  return 0;
}
