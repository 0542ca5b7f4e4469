/* fstat/stat/lstat/newfstatat/statx. Inode and device numbers, times and owners vary between
 * runs (and legitimately between host and sandbox), so only sizes, types, permission bits, link
 * counts and relations between the calls are printed. */
#include "check.h"
#include <linux/stat.h>

static void show_stat(const char *label, const struct stat *st) {
  const char *t = S_ISREG(st->st_mode) ? "reg" : S_ISDIR(st->st_mode) ? "dir" : S_ISLNK(st->st_mode) ? "lnk"
      : S_ISCHR(st->st_mode) ? "chr" : S_ISFIFO(st->st_mode) ? "fifo" : "other";
  printf("  %s: type=%s perm=%04o", label, t, st->st_mode & 07777);
  if (!S_ISDIR(st->st_mode)) printf(" size=%lld nlink=%lu", (long long)st->st_size, (unsigned long)st->st_nlink);
  printf("\n");
}

int main(void) {
  setup();
  make_tmpdir("stat");
  umask(022);

  /* mode 0666 & ~umask(027) -> 0640 */
  umask(027);
  put_file(tmp("f"), "0123456789");
  umask(022);
  struct stat s1, s2, s3;

  SHOW("stat file", stat(tmp("f"), &s1));
  show_stat("stat", &s1);
  int fd = open(tmp("f"), O_RDONLY);
  SHOW("fstat file", fstat(fd, &s2));
  show_stat("fstat", &s2);
  REL("stat/fstat same ino+dev", s1.st_ino == s2.st_ino && s1.st_dev == s2.st_dev);
  SHOW("lstat file", lstat(tmp("f"), &s3));
  REL("lstat==stat for regular file", s3.st_ino == s1.st_ino && s3.st_mode == s1.st_mode);
  REL("blocks nonnegative", s1.st_blocks >= 0);
  REL("mtime sane (after 2020)", s1.st_mtime > 1577836800);

  /* a directory: mode from mkdir & ~umask */
  SHOW("mkdir d 0775", mkdir(tmp("d"), 0775));
  SHOW("stat dir", stat(tmp("d"), &s1));
  show_stat("dir", &s1);
  REL("new dir nlink>=2", s1.st_nlink >= 2);

  /* newfstatat: relative to a dir fd, AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW */
  int dfd = open(tsv_dir, O_RDONLY | O_DIRECTORY);
  SHOW("fstatat dirfd rel", fstatat(dfd, "f", &s1, 0));
  show_stat("fstatat", &s1);
  SHOW("fstatat AT_EMPTY_PATH", fstatat(fd, "", &s3, AT_EMPTY_PATH));
  REL("AT_EMPTY_PATH == fstat", s3.st_ino == s2.st_ino);
  SHOW("fstatat empty path without flag", fstatat(fd, "", &s3, 0));
  SHOW("fstatat bad flags", syscall(SYS_newfstatat, dfd, "f", &s3, 0x4000000));
  SHOW("fstatat bad dirfd", fstatat(999, "f", &s3, 0));
  SHOW("fstatat file as dirfd", fstatat(fd, "f", &s3, 0));
  SHOW("fstatat AT_FDCWD absolute", fstatat(AT_FDCWD, tmp("f"), &s3, 0));

  /* symlinks that exist on any Debian host: /proc/self/exe always; /etc/os-release usually */
  SHOW("lstat /proc/self/exe", lstat("/proc/self/exe", &s1));
  REL("  is symlink", S_ISLNK(s1.st_mode));
  SHOW("stat /proc/self/exe", stat("/proc/self/exe", &s1));
  REL("  target is regular", S_ISREG(s1.st_mode));
  SHOW("fstatat NOFOLLOW /proc/self/exe", fstatat(AT_FDCWD, "/proc/self/exe", &s1, AT_SYMLINK_NOFOLLOW));
  REL("  is symlink", S_ISLNK(s1.st_mode));
  if (lstat("/etc/os-release", &s1) == 0 && S_ISLNK(s1.st_mode)) {
    struct stat t;
    REL("/etc/os-release: symlink size == target length", readlink("/etc/os-release", (char[256]){0}, 256) == s1.st_size);
    REL("/etc/os-release: stat follows", stat("/etc/os-release", &t) == 0 && S_ISREG(t.st_mode));
  } else {
    printf("/etc/os-release is not a symlink here\n");
  }

  /* statx */
  struct statx sx;
  SHOW("statx file", syscall(SYS_statx, AT_FDCWD, tmp("f"), 0, STATX_BASIC_STATS, &sx));
  REL("  mask has basic stats", (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
  printf("  size=%llu mode=%o nlink=%u blksize>0=%d\n", (unsigned long long)sx.stx_size, sx.stx_mode, sx.stx_nlink, sx.stx_blksize > 0);
  REL("  ino matches stat", sx.stx_ino == s2.st_ino);
  REL("  dev matches stat", makedev(sx.stx_dev_major, sx.stx_dev_minor) == s2.st_dev);
  SHOW("statx AT_EMPTY_PATH", syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_SIZE, &sx));
  printf("  size=%llu\n", (unsigned long long)sx.stx_size);
  SHOW("statx mask 0", syscall(SYS_statx, AT_FDCWD, tmp("f"), 0, 0, &sx));
  SHOW("statx reserved mask bit", syscall(SYS_statx, AT_FDCWD, tmp("f"), 0, 0x80000000u, &sx));
  SHOW("statx bad flags", syscall(SYS_statx, AT_FDCWD, tmp("f"), 0x40000000, STATX_BASIC_STATS, &sx));
  SHOW("statx bad sync type", syscall(SYS_statx, AT_FDCWD, tmp("f"), AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &sx));
  SHOW("statx missing", syscall(SYS_statx, AT_FDCWD, tmp("zz"), 0, STATX_BASIC_STATS, &sx));
  SHOW("statx NOFOLLOW link", syscall(SYS_statx, AT_FDCWD, "/proc/self/exe", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx));
  REL("  is symlink", S_ISLNK(sx.stx_mode));

  /* fstat of special files */
  int p[2];
  pipe(p);
  SHOW("fstat pipe", fstat(p[0], &s1));
  REL("  is fifo", S_ISFIFO(s1.st_mode));
  SHOW("stat /dev/null", stat("/dev/null", &s1));
  printf("  chr=%d rdev=%u:%u perm=%04o\n", S_ISCHR(s1.st_mode), major(s1.st_rdev), minor(s1.st_rdev), s1.st_mode & 07777);
  SHOW("stat /", stat("/", &s1));
  REL("  is dir", S_ISDIR(s1.st_mode));
  SHOW("stat /tmp", stat("/tmp", &s1));
  printf("  perm=%04o\n", s1.st_mode & 07777);

  /* errors */
  SHOW("stat missing", stat(tmp("zz"), &s1));
  SHOW("stat through file", stat(tmp("f/x"), &s1));
  SHOW("stat empty path", stat("", &s1));
  SHOW("lstat missing", lstat(tmp("zz"), &s1));
  SHOW("fstat bad fd", fstat(999, &s1));
  SHOW("fstat closed fd", ({ close(p[1]); fstat(p[1], &s1); }));
  char longname[300];
  memset(longname, 'q', 299);
  longname[299] = 0;
  SHOW("stat long name", stat(longname, &s1));

  /* the size seen through one fd follows writes through another */
  int w = open(tmp("f"), O_WRONLY | O_APPEND);
  write(w, "abc", 3);
  fstat(fd, &s1);
  SHOW("size after append", s1.st_size);
  int t = open(tmp("f"), O_WRONLY | O_TRUNC);
  fstat(fd, &s1);
  SHOW("size after O_TRUNC", s1.st_size);
  close(t);

  close(w); close(fd); close(dfd); close(p[0]);
  cleanup();
  return 0;
}
