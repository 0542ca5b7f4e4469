/* Shared helpers for the differential test programs.
 *
 * Every program is run twice, natively and inside tsvisor, and the two stdouts are compared
 * byte for byte. So everything printed here must be a pure function of the kernel's semantics:
 * results, errno NAMES (numbers are fine too, but names make a failing diff readable), and
 * relations ("a==b: 1") instead of values that vary between runs (pids, addresses, times,
 * inode numbers, random temp-dir names, user names).
 */
#ifndef TSV_CHECK_H
#define TSV_CHECK_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

/* errno -> its symbolic name. Written out (rather than strerrorname_np) so the table is the same
 * whatever libc the programs are linked against and so a reader sees which names we expect. */
__attribute__((unused)) static const char *errname(int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC) E(EBADF)
    E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(ENOTBLK) E(EBUSY) E(EEXIST) E(EXDEV)
    E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(ETXTBSY)
    E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE) E(EDOM) E(ERANGE) E(EDEADLK)
    E(ENAMETOOLONG) E(ENOLCK) E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(ENOMSG) E(EIDRM) E(ENODATA)
    E(ETIME) E(EOVERFLOW) E(EBADFD) E(ENOTSOCK) E(EOPNOTSUPP) E(ETIMEDOUT) E(ECANCELED)
    E(EBADMSG) E(ERESTART) E(ENOTCONN) E(ECONNREFUSED) E(EADDRINUSE) E(EPROTONOSUPPORT)
    E(EISCONN) E(EALREADY) E(EINPROGRESS) E(EMSGSIZE) E(EAFNOSUPPORT) E(ENOPROTOOPT) E(ECONNRESET)
    E(EADDRNOTAVAIL) E(EDESTADDRREQ) E(ENOBUFS) E(ESOCKTNOSUPPORT) E(EPROTOTYPE) E(ENETUNREACH)
    E(ECONNABORTED) E(EHOSTUNREACH)
#undef E
    case 0: return "OK";
  }
  static char buf[32];
  snprintf(buf, sizeof buf, "E%d", e);
  return buf;
}

/* Line-buffered stdout: if the program dies in the sandbox the lines it printed so far still
 * reach the test's diff, which then shows exactly where it stopped. */
__attribute__((unused)) static void setup(void) { setvbuf(stdout, NULL, _IOLBF, 0); }

/* Print the raw result of a call: "label: N" or "label: -1 ENAME". For calls whose successful
 * result is deterministic (0, byte counts, lowest-free fd numbers). errno is read right after
 * the call by the macro so nothing in between can clobber it. */
__attribute__((unused)) static void show_(const char *label, long r, int e) {
  if (r == -1) printf("%s: -1 %s\n", label, errname(e));
  else printf("%s: %ld\n", label, r);
}
#define SHOW(label, expr) do { errno = 0; long r_ = (long)(expr); show_(label, r_, errno); } while (0)

/* Like SHOW but for calls whose successful value varies between runs (addresses, times):
 * success prints "ok", failure prints the errno name. */
__attribute__((unused)) static void ok_(const char *label, long r, int e) {
  if (r == -1) printf("%s: -1 %s\n", label, errname(e));
  else printf("%s: ok\n", label);
}
#define OK(label, expr) do { errno = 0; long r_ = (long)(expr); ok_(label, r_, errno); } while (0)

/* For the pointer-returning calls (mmap, mremap): MAP_FAILED is the failure value. */
#define OKP(label, expr) do { errno = 0; void *p_ = (void *)(expr); \
  ok_(label, p_ == MAP_FAILED ? -1L : 0L, errno); } while (0)

/* A boolean relation, printed as 0/1. */
#define REL(label, cond) printf("%s: %d\n", label, (cond) ? 1 : 0)

/* The programs' scratch space: /tmp/tsv-test-NAME-XXXXXX. The random part is never printed; the
 * programs chdir into it or build paths from it. */
static char tsv_dir[128];
__attribute__((unused)) static const char *make_tmpdir(const char *name) {
  snprintf(tsv_dir, sizeof tsv_dir, "/tmp/tsv-test-%s-XXXXXX", name);
  if (!mkdtemp(tsv_dir)) { perror("mkdtemp"); exit(99); }
  return tsv_dir;
}
static char tsv_path_buf[8][512];
static int tsv_path_next;
/* tmp("f") -> "<tmpdir>/f"; a small ring of buffers so several can be live in one call. */
__attribute__((unused)) static const char *tmp(const char *rel) {
  char *b = tsv_path_buf[tsv_path_next++ % 8];
  snprintf(b, sizeof tsv_path_buf[0], "%s/%s", tsv_dir, rel);
  return b;
}

/* Remove whatever a program left in its directory (normally the program has already unlinked
 * everything as part of its checks; this is the safety net so failed runs do not litter /tmp).
 * Prints one line so a failure to clean up shows in the diff too. */
__attribute__((unused)) static void rm_tree(const char *path) {
  DIR *d = opendir(path);
  if (d) {
    struct dirent *de;
    while ((de = readdir(d))) {
      if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
      char sub[1024];
      snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
      struct stat st;
      if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) rm_tree(sub);
      else unlink(sub);
    }
    closedir(d);
  }
  rmdir(path);
}
__attribute__((unused)) static void cleanup(void) {
  if (chdir("/") != 0) perror("chdir /");
  rm_tree(tsv_dir);
  struct stat st;
  REL("cleanup removed tmpdir", stat(tsv_dir, &st) == -1 && errno == ENOENT);
}

/* Write a whole string to a path (creating/truncating it), for setting up fixtures. */
__attribute__((unused)) static void put_file(const char *path, const char *s) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s)) { perror(path); exit(98); }
  close(fd);
}

#endif
