/* tmpfs semantics (in /dev/shm, a tmpfs natively and in the sandbox): hard links and
 * link counts, ctime updates, symlinks, rename with RENAME_NOREPLACE / RENAME_EXCHANGE
 * and its error rules, sparse files and st_blocks, truncate, utimensat with nanoseconds,
 * UTIME_NOW and UTIME_OMIT, statfs. */
#include "check.h"
#include <sys/statfs.h>
#include <sys/time.h>
#include <linux/fs.h>

static char dir[128];
static struct timespec *volatile badts = (struct timespec *)8;
static const char *in(const char *rel) {
  static char b[8][256];
  static int i;
  char *p = b[i++ % 8];
  snprintf(p, 256, "%s/%s", dir, rel);
  return p;
}

static long ren(const char *a, const char *b, unsigned flags) {
  return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags);
}

static int nlink(const char *p) {
  struct stat st;
  return lstat(p, &st) == 0 ? (int)st.st_nlink : -errno;
}

static struct timespec ctim(const char *p) {
  struct stat st;
  lstat(p, &st);
  return st.st_ctim;
}

static int later(struct timespec a, struct timespec b) {
  return b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec > a.tv_nsec);
}

static char *slurp(const char *p) {
  static char b[64];
  int fd = open(p, O_RDONLY);
  ssize_t n = fd < 0 ? -1 : read(fd, b, sizeof b - 1);
  if (fd >= 0) close(fd);
  b[n < 0 ? 0 : n] = 0;
  return b;
}

int main(void) {
  setup();
  umask(022);
  strcpy(dir, "/dev/shm/tsv-tmpfs-XXXXXX");
  if (!mkdtemp(dir)) { perror("mkdtemp"); return 99; }

  struct statfs sf;
  SHOW("statfs", statfs(dir, &sf));
  printf("f_type tmpfs: %d bsize %ld namelen %ld frsize %ld\n", sf.f_type == 0x01021994, (long)sf.f_bsize,
         (long)sf.f_namelen, (long)sf.f_frsize);
  printf("dir nlink fresh: %d\n", nlink(dir));

  /* hard links */
  put_file(in("a"), "A");
  struct timespec c0 = ctim(in("a"));
  usleep(10000);
  SHOW("link", link(in("a"), in("b")));
  printf("nlink a b: %d %d\n", nlink(in("a")), nlink(in("b")));
  REL("link changes ctime", later(c0, ctim(in("a"))));
  SHOW("link exists", link(in("a"), in("b")));
  SHOW("link missing", link(in("zz"), in("c")));
  SHOW("link dir", link(dir, in("d")));
  SHOW("link into missing dir", link(in("a"), in("no/x")));
  c0 = ctim(in("b"));
  usleep(10000);
  SHOW("unlink a", unlink(in("a")));
  printf("nlink b: %d\n", nlink(in("b")));
  REL("unlink changes ctime of other name", later(c0, ctim(in("b"))));
  SHOW("linkat AT_SYMLINK_FOLLOW", linkat(AT_FDCWD, in("b"), AT_FDCWD, in("c"), AT_SYMLINK_FOLLOW));
  SHOW("linkat bad flags", linkat(AT_FDCWD, in("b"), AT_FDCWD, in("c2"), 0x1));
  printf("nlink after linkat: %d\n", nlink(in("b")));

  /* directories' link counts */
  mkdir(in("d"), 0755);
  printf("nlink parent with d: %d\n", nlink(dir));
  mkdir(in("d/e"), 0755);
  printf("nlink d with e: %d\n", nlink(in("d")));
  rmdir(in("d/e"));
  printf("nlink d after rmdir: %d\n", nlink(in("d")));
  struct stat st;
  lstat(in("d"), &st);
  printf("empty dir size: %ld blocks %ld\n", (long)st.st_size, (long)st.st_blocks);

  /* symlinks */
  SHOW("symlink", symlink("b", in("s")));
  lstat(in("s"), &st);
  printf("symlink mode %o size %ld nlink %ld\n", st.st_mode, (long)st.st_size, (long)st.st_nlink);
  char lb[64];
  ssize_t n = readlink(in("s"), lb, sizeof lb);
  printf("readlink: %zd %.*s\n", n, (int)(n > 0 ? n : 0), lb);
  SHOW("readlink small", readlink(in("s"), lb, 0));
  SHOW("readlink not link", readlink(in("b"), lb, sizeof lb));
  SHOW("symlink exists", symlink("x", in("s")));
  SHOW("symlink empty target", symlink("", in("s2")));
  SHOW("dangling", symlink("nowhere", in("dang")));
  SHOW("open dangling", open(in("dang"), O_RDONLY));
  SHOW("creat through dangling", open(in("dang"), O_CREAT | O_WRONLY, 0644) >= 0);
  REL("created target", access(in("nowhere"), F_OK) == 0);
  SHOW("O_NOFOLLOW", open(in("s"), O_RDONLY | O_NOFOLLOW));
  SHOW("link to symlink (no follow)", linkat(AT_FDCWD, in("s"), AT_FDCWD, in("s3"), 0));
  lstat(in("s3"), &st);
  printf("hard link to symlink is link: %d nlink %ld\n", S_ISLNK(st.st_mode), (long)st.st_nlink);

  /* rename */
  put_file(in("r1"), "one");
  put_file(in("r2"), "two");
  mkdir(in("rd1"), 0755);
  mkdir(in("rd2"), 0755);
  put_file(in("rd2/x"), "x");
  SHOW("noreplace existing", ren(in("r1"), in("r2"), RENAME_NOREPLACE));
  SHOW("noreplace|exchange", ren(in("r1"), in("r2"), RENAME_NOREPLACE | RENAME_EXCHANGE));
  SHOW("bad flag", ren(in("r1"), in("r2"), 8));
  put_file(in("w1"), "w");
  SHOW("whiteout|exchange", ren(in("w1"), in("r1"), RENAME_WHITEOUT | RENAME_EXCHANGE));
  SHOW("whiteout", ren(in("w1"), in("w2"), RENAME_WHITEOUT));
  lstat(in("w1"), &st);
  printf("whiteout: chr %d rdev %d:%d mode %o nlink %ld\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev),
         st.st_mode & 07777, (long)st.st_nlink);
  SHOW("whiteout over existing", ren(in("w2"), in("r1"), RENAME_WHITEOUT | RENAME_NOREPLACE));
  SHOW("exchange files", ren(in("r1"), in("r2"), RENAME_EXCHANGE));
  printf("after exchange: r1=%s ", slurp(in("r1")));
  printf("r2=%s\n", slurp(in("r2")));
  SHOW("exchange missing", ren(in("r1"), in("r9"), RENAME_EXCHANGE));
  SHOW("exchange file and dir", ren(in("r1"), in("rd1"), RENAME_EXCHANGE));
  REL("r1 is dir now", stat(in("r1"), &st) == 0 && S_ISDIR(st.st_mode));
  SHOW("exchange back", ren(in("r1"), in("rd1"), RENAME_EXCHANGE));
  SHOW("exchange dir into own child", ren(in("rd2"), in("rd2/x"), RENAME_EXCHANGE));
  SHOW("noreplace new", ren(in("r1"), in("r3"), RENAME_NOREPLACE));
  SHOW("file over dir", rename(in("r3"), in("rd1")));
  SHOW("dir over file", rename(in("rd1"), in("r2")));
  SHOW("dir over nonempty dir", rename(in("rd1"), in("rd2")));
  SHOW("dir into itself", rename(in("rd2"), in("rd2/sub")));
  SHOW("dir onto empty dir", rename(in("rd2"), in("rd1")));
  REL("rd1 has x", access(in("rd1/x"), F_OK) == 0);
  printf("nlink dir after dir rename: %d\n", nlink(dir));
  SHOW("same file hardlinks", rename(in("b"), in("c")));
  REL("both names kept", access(in("b"), F_OK) == 0 && access(in("c"), F_OK) == 0);
  SHOW("rename missing", rename(in("zz"), in("zz2")));
  SHOW("rename to missing dir", rename(in("r2"), in("no/r2")));
  SHOW("rename trailing slash file", rename(in("r2"), in("r4/")));
  SHOW("rename . ", rename(in("rd1/."), in("q")));
  SHOW("rename onto itself", rename(in("r2"), in("r2")));
  mkdir(in("rd3"), 0755);
  SHOW("rename dir with slash", rename(in("rd3/"), in("rd4/")));
  c0 = ctim(in("r2"));
  usleep(10000);
  rename(in("r2"), in("r5"));
  REL("rename changes ctime", later(c0, ctim(in("r5"))));

  /* sparse files, truncate */
  int fd = open(in("sp"), O_CREAT | O_RDWR, 0644);
  fstat(fd, &st);
  printf("empty: size %ld blocks %ld\n", (long)st.st_size, (long)st.st_blocks);
  SHOW("ftruncate 1M", ftruncate(fd, 1 << 20));
  fstat(fd, &st);
  printf("truncated up: size %ld blocks %ld\n", (long)st.st_size, (long)st.st_blocks);
  pwrite(fd, "x", 1, 600000);
  fstat(fd, &st);
  printf("one page written: size %ld blocks %ld\n", (long)st.st_size, (long)st.st_blocks);
  char z[4] = { 1, 1, 1, 1 };
  pread(fd, z, 4, 1000);
  printf("hole reads zero: %d\n", z[0] == 0 && z[3] == 0);
  SHOW("seek data from 0", lseek(fd, 0, SEEK_DATA));
  SHOW("seek hole from 0", lseek(fd, 0, SEEK_HOLE));
  SHOW("seek hole in data page", lseek(fd, 600001, SEEK_HOLE));
  SHOW("seek data in data page", lseek(fd, 600001, SEEK_DATA));
  SHOW("seek data after last", lseek(fd, 610000, SEEK_DATA));
  SHOW("seek hole near end", lseek(fd, (1 << 20) - 1, SEEK_HOLE));
  SHOW("seek data at size", lseek(fd, 1 << 20, SEEK_DATA));
  SHOW("seek hole at size", lseek(fd, 1 << 20, SEEK_HOLE));
  SHOW("seek data negative", lseek(fd, -1, SEEK_DATA));
  pwrite(fd, "y", 1, (1 << 20) - 1);
  SHOW("seek hole to end with data at end", lseek(fd, 600001, SEEK_HOLE));
  SHOW("seek data last page", lseek(fd, 610000, SEEK_DATA));
  SHOW("ftruncate shrink", ftruncate(fd, 10));
  fstat(fd, &st);
  printf("shrunk: size %ld blocks %ld\n", (long)st.st_size, (long)st.st_blocks);
  SHOW("ftruncate negative", ftruncate(fd, -1));
  SHOW("truncate path", truncate(in("sp"), 5));
  SHOW("truncate dir", truncate(in("rd1"), 0));
  SHOW("truncate missing", truncate(in("zz"), 0));
  int ro = open(in("sp"), O_RDONLY);
  SHOW("ftruncate rdonly fd", ftruncate(ro, 0));
  close(ro);
  close(fd);

  /* utimensat */
  struct timespec ts[2] = { { 1000, 123456789 }, { 2000, 987654321 } };
  SHOW("utimensat ns", utimensat(AT_FDCWD, in("sp"), ts, 0));
  stat(in("sp"), &st);
  printf("atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec,
         st.st_mtim.tv_nsec);
  ts[0].tv_nsec = UTIME_OMIT;
  ts[1].tv_sec = 3000;
  ts[1].tv_nsec = 5;
  SHOW("utimensat omit atime", utimensat(AT_FDCWD, in("sp"), ts, 0));
  stat(in("sp"), &st);
  printf("atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec,
         st.st_mtim.tv_nsec);
  ts[0].tv_nsec = UTIME_NOW;
  ts[1].tv_nsec = UTIME_OMIT;
  SHOW("utimensat now atime", utimensat(AT_FDCWD, in("sp"), ts, 0));
  stat(in("sp"), &st);
  printf("atime recent %d mtime %ld\n", st.st_atim.tv_sec > 1000000000, (long)st.st_mtim.tv_sec);
  ts[0].tv_nsec = 1000000000;
  SHOW("utimensat bad nsec", utimensat(AT_FDCWD, in("sp"), ts, 0));
  ts[0].tv_nsec = -1;
  SHOW("utimensat negative nsec", utimensat(AT_FDCWD, in("sp"), ts, 0));
  SHOW("utimensat bad flags", utimensat(AT_FDCWD, in("sp"), NULL, 0x4));
  SHOW("utimensat symlink nofollow", utimensat(AT_FDCWD, in("s"), NULL, AT_SYMLINK_NOFOLLOW));
  SHOW("utimensat missing", utimensat(AT_FDCWD, in("zz"), NULL, 0));
  SHOW("utimensat bad ptr", utimensat(AT_FDCWD, in("sp"), badts, 0));
  fd = open(in("sp"), O_RDONLY);
  SHOW("futimens", futimens(fd, NULL));
  SHOW("utimensat fd null path", syscall(SYS_utimensat, fd, NULL, NULL, 0));
  SHOW("utimensat AT_FDCWD null path", syscall(SYS_utimensat, AT_FDCWD, NULL, NULL, 0));
  SHOW("utimensat empty path", utimensat(fd, "", NULL, 0));
  SHOW("utimensat AT_EMPTY_PATH", utimensat(fd, "", NULL, AT_EMPTY_PATH));
  close(fd);
  struct timeval tv[2] = { { 5, 6 }, { 7, 8 } };
  SHOW("utimes", utimes(in("sp"), tv));
  stat(in("sp"), &st);
  printf("utimes: atime %ld.%09ld mtime %ld.%09ld\n", (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
         (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  tv[0].tv_usec = 1000000;
  SHOW("utimes bad usec", utimes(in("sp"), tv));

  /* directory mtime/ctime on create and remove */
  lstat(dir, &st);
  struct timespec m0 = st.st_mtim;
  usleep(10000);
  put_file(in("new"), "n");
  lstat(dir, &st);
  REL("create moves dir mtime", later(m0, st.st_mtim));

  rm_tree(dir);
  REL("removed", access(dir, F_OK) == -1);
  return 0;
}
