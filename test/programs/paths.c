/* getcwd/chdir/fchdir, readlink/readlinkat, access/faccessat/faccessat2, and path resolution
 * corner cases (., .., trailing slashes, ENAMETOOLONG). The temp dir's random name is never
 * printed: cwd results are compared against it instead. Tests run as root on CI, where
 * permission bits other than execute are bypassed, so EACCES is exercised with X_OK on a
 * file that has no execute bit at all (refused even to root). */
#include "check.h"
#include <limits.h>

int main(int argc, char **argv) {
  setup();
  make_tmpdir("paths");
  umask(022);
  char cwd[PATH_MAX];

  SHOW("chdir tmpdir", chdir(tsv_dir));
  REL("getcwd == tmpdir", getcwd(cwd, sizeof cwd) && strcmp(cwd, tsv_dir) == 0);
  /* the raw syscall returns the length including the NUL */
  REL("raw getcwd returns strlen+1", syscall(SYS_getcwd, cwd, sizeof cwd) == (long)strlen(tsv_dir) + 1);
  SHOW("raw getcwd size 1", syscall(SYS_getcwd, cwd, 1));
  SHOW("raw getcwd size 0", syscall(SYS_getcwd, cwd, 0));
  SHOW("raw getcwd exact size", syscall(SYS_getcwd, cwd, strlen(tsv_dir) + 1) > 0 ? 0 : -1);
  SHOW("raw getcwd one short", syscall(SYS_getcwd, cwd, strlen(tsv_dir)));

  SHOW("mkdir a", mkdir("a", 0755));
  SHOW("mkdir a/b", mkdir("a/b", 0755));
  SHOW("chdir a/b", chdir("a/b"));
  getcwd(cwd, sizeof cwd);
  REL("getcwd ends with /a/b", strlen(cwd) > 4 && strcmp(cwd + strlen(cwd) - 4, "/a/b") == 0);
  SHOW("chdir ..", chdir(".."));
  getcwd(cwd, sizeof cwd);
  REL("getcwd ends with /a", strcmp(cwd + strlen(cwd) - 2, "/a") == 0);
  SHOW("chdir ./b/../b/.", chdir("./b/../b/."));
  getcwd(cwd, sizeof cwd);
  REL("getcwd ends with /a/b again", strcmp(cwd + strlen(cwd) - 4, "/a/b") == 0);
  SHOW("chdir /", chdir("/"));
  getcwd(cwd, sizeof cwd);
  printf("getcwd at root: %s\n", cwd);
  SHOW("chdir /..", chdir("/.."));
  getcwd(cwd, sizeof cwd);
  printf("getcwd after /..: %s\n", cwd);
  SHOW("chdir //tmp///", chdir("//tmp///"));
  getcwd(cwd, sizeof cwd);
  printf("getcwd after //tmp///: %s\n", cwd);

  /* fchdir */
  int d = open(tsv_dir, O_RDONLY | O_DIRECTORY);
  SHOW("fchdir tmpdir", fchdir(d));
  REL("getcwd == tmpdir", getcwd(cwd, sizeof cwd) && strcmp(cwd, tsv_dir) == 0);
  put_file("f", "data");
  int f = open("f", O_RDONLY);
  SHOW("fchdir to file", fchdir(f));
  SHOW("fchdir bad fd", fchdir(999));
  int opath = open("a", O_PATH);
  SHOW("fchdir O_PATH dir", fchdir(opath));
  close(opath);
  SHOW("fchdir back", fchdir(d));

  /* chdir errors */
  SHOW("chdir missing", chdir("nope"));
  SHOW("chdir file", chdir("f"));
  SHOW("chdir through file", chdir("f/x"));
  SHOW("chdir empty", chdir(""));
  char longname[300];
  memset(longname, 'z', 299);
  longname[299] = 0;
  SHOW("chdir long name", chdir(longname));

  /* a removed cwd: getcwd fails with ENOENT, relative creation fails too */
  SHOW("chdir a/b", chdir("a/b"));
  SHOW("rmdir own cwd", rmdir("../b"));
  SHOW("raw getcwd in removed dir", syscall(SYS_getcwd, cwd, sizeof cwd));
  SHOW("create in removed cwd", open("x", O_CREAT | O_WRONLY, 0644));
  SHOW("chdir .. from removed dir", chdir(".."));
  getcwd(cwd, sizeof cwd);
  REL("back in a", strcmp(cwd + strlen(cwd) - 2, "/a") == 0);
  SHOW("fchdir tmpdir", fchdir(d));

  /* readlink / readlinkat */
  char lb[PATH_MAX];
  long n = readlink("/proc/self/exe", lb, sizeof lb);
  REL("readlink /proc/self/exe > 0", n > 0);
  if (n > 0) {
    lb[n] = 0;
    const char *base = strrchr(lb, '/');
    const char *abase = strrchr(argv[0], '/');
    REL("  exe basename == argv0 basename", base && strcmp(base + 1, abase ? abase + 1 : argv[0]) == 0);
    REL("  exe is absolute", lb[0] == '/');
  }
  REL("readlink small buffer truncates", readlink("/proc/self/exe", lb, 3) == 3);
  SHOW("readlink bufsiz 0", syscall(SYS_readlink, "/proc/self/exe", lb, 0));
  SHOW("readlink bufsiz -1", syscall(SYS_readlink, "/proc/self/exe", lb, -1));
  SHOW("readlink regular file", readlink("f", lb, sizeof lb));
  SHOW("readlink dir", readlink("a", lb, sizeof lb));
  SHOW("readlink missing", readlink("nope", lb, sizeof lb));
  SHOW("readlink through file", readlink("f/x", lb, sizeof lb));
  SHOW("readlink empty", readlink("", lb, sizeof lb));
  n = readlink("/etc/os-release", lb, sizeof lb);
  if (n >= 0) { lb[n] = 0; printf("readlink /etc/os-release: %s\n", lb); }
  else printf("readlink /etc/os-release: -1 %s\n", errname(errno));
  int proc = open("/proc/self", O_RDONLY | O_DIRECTORY);
  n = readlinkat(proc, "exe", lb, sizeof lb);
  REL("readlinkat(/proc/self fd, exe) > 0", n > 0);
  n = readlinkat(AT_FDCWD, "/proc/self/exe", lb, sizeof lb);
  REL("readlinkat AT_FDCWD > 0", n > 0);
  SHOW("readlinkat bad dirfd", readlinkat(999, "exe", lb, sizeof lb));
  SHOW("readlinkat file as dirfd", readlinkat(f, "exe", lb, sizeof lb));
  n = readlinkat(proc, "cwd", lb, sizeof lb);
  if (n > 0) lb[n] = 0;
  REL("readlink /proc/self/cwd == tmpdir", n > 0 && strcmp(lb, tsv_dir) == 0);
  close(proc);
  n = readlink("/proc/self/fd/1", lb, 0 + sizeof lb);
  REL("readlink /proc/self/fd/1 > 0", n > 0);

  /* access / faccessat / faccessat2 */
  SHOW("access F_OK", access("f", F_OK));
  SHOW("access R_OK", access("f", R_OK));
  SHOW("access X_OK on 0644 file", access("f", X_OK));
  SHOW("access X_OK on dir", access("a", X_OK));
  SHOW("access missing", access("nope", F_OK));
  SHOW("access through file", access("f/x", F_OK));
  SHOW("access bad mode", access("f", 8));
  SHOW("access /bin/sh X_OK", access("/bin/sh", X_OK));
  SHOW("faccessat dirfd", faccessat(d, "f", R_OK, 0));
  SHOW("raw faccessat (no flags arg)", syscall(SYS_faccessat, d, "f", R_OK));
  SHOW("faccessat bad dirfd", syscall(SYS_faccessat, 999, "f", R_OK));
  SHOW("faccessat2 AT_EACCESS", syscall(SYS_faccessat2, d, "f", R_OK, AT_EACCESS));
  SHOW("faccessat2 AT_SYMLINK_NOFOLLOW", syscall(SYS_faccessat2, AT_FDCWD, "/proc/self/exe", F_OK, AT_SYMLINK_NOFOLLOW));
  SHOW("faccessat2 AT_EMPTY_PATH", syscall(SYS_faccessat2, f, "", R_OK, AT_EMPTY_PATH));
  SHOW("faccessat2 empty path no flag", syscall(SYS_faccessat2, f, "", R_OK, 0));
  SHOW("faccessat2 bad flags", syscall(SYS_faccessat2, d, "f", R_OK, 0x1));
  SHOW("faccessat2 bad mode", syscall(SYS_faccessat2, d, "f", 0x10, 0));
  SHOW("faccessat2 X_OK on 0644 file", syscall(SYS_faccessat2, d, "f", X_OK, 0));

  /* name length limits */
  SHOW("access long component", access(longname, F_OK));
  static char longpath[PATH_MAX + 10];
  for (int i = 0; i < PATH_MAX + 4; i += 2) { longpath[i] = 'a'; longpath[i + 1] = '/'; }
  SHOW("access path > PATH_MAX", access(longpath, F_OK));
  SHOW("mkdir long component", mkdir(longname, 0755));
  longname[255] = 0; /* exactly NAME_MAX is fine (just missing) */
  SHOW("access NAME_MAX component", access(longname, F_OK));

  close(f);
  close(d);
  SHOW("unlink f", unlink("f"));
  SHOW("rmdir a", rmdir("a"));
  cleanup();
  return 0;
}
