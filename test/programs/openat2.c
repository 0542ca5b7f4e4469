/* openat2: struct open_how size rules (EINVAL/E2BIG/EFAULT), strict flag/mode/resolve
 * checks, and the RESOLVE_* restrictions: BENEATH (EXDEV for .., absolute paths and
 * symlinks), IN_ROOT (clamped to the dirfd), NO_SYMLINKS / NO_MAGICLINKS (ELOOP),
 * NO_XDEV (EXDEV at mount crossings), CACHED. */
#include "check.h"
#include <linux/openat2.h>

static long o2(int dfd, const char *p, unsigned long flags, unsigned long mode, unsigned long resolve) {
  struct open_how h = { .flags = flags, .mode = mode, .resolve = resolve };
  return syscall(SYS_openat2, dfd, p, &h, sizeof h);
}

static void t2(const char *label, int dfd, const char *p, unsigned long flags, unsigned long resolve) {
  errno = 0;
  long fd = o2(dfd, p, flags, 0, resolve);
  if (fd < 0) printf("%s: -1 %s\n", label, errname(errno));
  else {
    printf("%s: ok\n", label);
    close(fd);
  }
}

int main(void) {
  setup();
  make_tmpdir("openat2");
  mkdir(tmp("root"), 0755);
  mkdir(tmp("root/a"), 0755);
  put_file(tmp("root/a/f"), "x");
  put_file(tmp("outside"), "y");
  symlink("/etc", tmp("root/lnk_abs"));
  symlink("../outside", tmp("root/lnk_up"));
  symlink("a/f", tmp("root/lnk_rel"));
  symlink("a", tmp("root/sub"));
  int root = open(tmp("root"), O_RDONLY | O_DIRECTORY);

  /* ---- struct size and flag checks ---- */
  struct { struct open_how h; unsigned long extra; } big = { { O_RDONLY, 0, 0 }, 0 };
  SHOW("size 0", syscall(SYS_openat2, root, "a/f", &big, 0));
  SHOW("size 23", syscall(SYS_openat2, root, "a/f", &big, 23));
  SHOW("size 4097", syscall(SYS_openat2, root, "a/f", &big, 4097));
  long fd = syscall(SYS_openat2, root, "a/f", &big, 32);
  REL("size 32, zero tail", fd >= 0);
  close(fd);
  big.extra = 1;
  SHOW("size 32, non-zero tail", syscall(SYS_openat2, root, "a/f", &big, 32));
  SHOW("bad how pointer", syscall(SYS_openat2, root, "a/f", (void *)8, 24));
  SHOW("bad path pointer", o2(root, (const char *)8, O_RDONLY, 0, 0));
  SHOW("empty path", o2(root, "", O_RDONLY, 0, 0));
  SHOW("unknown flag bit", o2(root, "a/f", 0x40000000, 0, 0));
  SHOW("flag bit 40", o2(root, "a/f", 1UL << 40, 0, 0));
  SHOW("unknown resolve bit", o2(root, "a/f", O_RDONLY, 0, 0x40));
  SHOW("BENEATH|IN_ROOT", o2(root, "a/f", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT));
  SHOW("mode without O_CREAT", o2(root, "a/f", O_RDONLY, 0644, 0));
  SHOW("mode 010000 with O_CREAT", o2(root, "a/g", O_RDWR | O_CREAT, 010644, 0));
  SHOW("O_DIRECTORY|O_CREAT", o2(root, "a/g", O_RDWR | O_CREAT | O_DIRECTORY, 0644, 0));
  SHOW("O_PATH|O_RDWR", o2(root, "a/f", O_PATH | O_RDWR, 0, 0));
  fd = o2(root, "a/f", O_PATH | O_CLOEXEC, 0, 0);
  REL("O_PATH|O_CLOEXEC ok", fd >= 0);
  SHOW("  FD_CLOEXEC", fcntl(fd, F_GETFD));
  close(fd);
  SHOW("O_TMPFILE without write", o2(root, "a", O_TMPFILE | O_RDONLY, 0600, 0));
  SHOW("__O_TMPFILE without O_DIRECTORY", o2(root, "a", 020000000 | O_RDWR, 0600, 0));
  fd = o2(root, "a", O_TMPFILE | O_RDWR, 0600, RESOLVE_BENEATH);
  REL("O_TMPFILE beneath ok", fd >= 0);
  close(fd);
  SHOW("O_TMPFILE mode 010000", o2(root, "a", O_TMPFILE | O_RDWR, 010600, 0));
  SHOW("CACHED with O_CREAT", o2(root, "a/g", O_RDWR | O_CREAT, 0644, RESOLVE_CACHED));
  fd = o2(root, "a/g", O_RDWR | O_CREAT | O_EXCL, 0640, 0);
  REL("O_CREAT ok", fd >= 0);
  struct stat st;
  fstat(fd, &st);
  printf("  mode %o\n", st.st_mode);
  close(fd);
  SHOW("bad dirfd", o2(-7, "a/f", O_RDONLY, 0, 0));
  SHOW("bad dirfd BENEATH", o2(-7, "a/f", O_RDONLY, 0, RESOLVE_BENEATH));
  int filefd = open(tmp("outside"), O_RDONLY);
  SHOW("file as dirfd BENEATH", o2(filefd, "x", O_RDONLY, 0, RESOLVE_BENEATH));
  close(filefd);

  /* ---- RESOLVE_BENEATH ---- */
  t2("BENEATH a/f", root, "a/f", O_RDONLY, RESOLVE_BENEATH);
  t2("BENEATH a/../a/f", root, "a/../a/f", O_RDONLY, RESOLVE_BENEATH);
  t2("BENEATH ../outside", root, "../outside", O_RDONLY, RESOLVE_BENEATH);
  t2("BENEATH ..", root, "..", O_RDONLY, RESOLVE_BENEATH);
  t2("BENEATH /etc/passwd", root, "/etc/passwd", O_RDONLY, RESOLVE_BENEATH);
  t2("BENEATH lnk_abs", root, "lnk_abs", O_RDONLY, RESOLVE_BENEATH);
  t2("BENEATH lnk_up", root, "lnk_up", O_RDONLY, RESOLVE_BENEATH);
  t2("BENEATH lnk_rel", root, "lnk_rel", O_RDONLY, RESOLVE_BENEATH);
  t2("BENEATH sub/f", root, "sub/f", O_RDONLY, RESOLVE_BENEATH);
  t2("BENEATH lnk_abs O_PATH|O_NOFOLLOW", root, "lnk_abs", O_PATH | O_NOFOLLOW, RESOLVE_BENEATH);
  /* ---- RESOLVE_IN_ROOT ---- */
  t2("IN_ROOT /a/f", root, "/a/f", O_RDONLY, RESOLVE_IN_ROOT);
  t2("IN_ROOT ../../a/f", root, "../../a/f", O_RDONLY, RESOLVE_IN_ROOT);
  t2("IN_ROOT lnk_abs (/etc inside root)", root, "lnk_abs", O_RDONLY, RESOLVE_IN_ROOT);
  t2("IN_ROOT lnk_up (clamped)", root, "lnk_up", O_RDONLY, RESOLVE_IN_ROOT);
  symlink("/a/f", tmp("root/lnk_abs2"));
  t2("IN_ROOT lnk_abs2 -> /a/f", root, "lnk_abs2", O_RDONLY, RESOLVE_IN_ROOT);
  t2("no IN_ROOT lnk_abs2", root, "lnk_abs2", O_RDONLY, 0);
  /* ---- symlinks and magic links ---- */
  t2("NO_SYMLINKS lnk_rel", root, "lnk_rel", O_RDONLY, RESOLVE_NO_SYMLINKS);
  t2("NO_SYMLINKS sub/f", root, "sub/f", O_RDONLY, RESOLVE_NO_SYMLINKS);
  t2("NO_SYMLINKS lnk_rel O_PATH|O_NOFOLLOW", root, "lnk_rel", O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS);
  t2("NO_SYMLINKS a/f", root, "a/f", O_RDONLY, RESOLVE_NO_SYMLINKS);
  char mag[64];
  int tf = open(tmp("root/a/f"), O_RDONLY);
  snprintf(mag, sizeof mag, "/proc/self/fd/%d", tf);
  t2("magic link, no flags", AT_FDCWD, mag, O_RDONLY, 0);
  t2("NO_MAGICLINKS magic link", AT_FDCWD, mag, O_RDONLY, RESOLVE_NO_MAGICLINKS);
  t2("NO_MAGICLINKS magic link O_PATH|O_NOFOLLOW", AT_FDCWD, mag, O_PATH | O_NOFOLLOW, RESOLVE_NO_MAGICLINKS);
  t2("NO_SYMLINKS magic link", AT_FDCWD, mag, O_RDONLY, RESOLVE_NO_SYMLINKS);
  t2("NO_MAGICLINKS /proc/self/status", AT_FDCWD, "/proc/self/status", O_RDONLY, RESOLVE_NO_MAGICLINKS);
  close(tf);
  /* ---- mounts ---- */
  int slash = open("/", O_RDONLY | O_DIRECTORY);
  t2("NO_XDEV into /proc", slash, "proc/self/status", O_RDONLY, RESOLVE_NO_XDEV);
  t2("no NO_XDEV into /proc", slash, "proc/self/status", O_RDONLY, 0);
  int proc = open("/proc", O_RDONLY | O_DIRECTORY);
  t2("NO_XDEV .. out of /proc", proc, "../etc/passwd", O_RDONLY, RESOLVE_NO_XDEV);
  t2("NO_XDEV inside /proc", proc, "self/status", O_RDONLY, RESOLVE_NO_XDEV);
  t2("NO_XDEV within the scratch dir", root, "a/f", O_RDONLY, RESOLVE_NO_XDEV);
  t2("NO_XDEV absolute symlink to /etc", root, "lnk_abs/passwd", O_RDONLY, RESOLVE_NO_XDEV);
  close(proc);
  close(slash);
  /* ---- cached ---- */
  t2("CACHED a/f (just used)", root, "a/f", O_RDONLY, RESOLVE_CACHED);

  close(root);
  cleanup();
  return 0;
}
