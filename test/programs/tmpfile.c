/* O_TMPFILE: unnamed files in the scratch dir (tmpfs in the sandbox) and in a directory of
 * the root file system (the overlay in the sandbox): flags rules, link count 0, naming it
 * with linkat(AT_EMPTY_PATH) or through /proc/self/fd with AT_SYMLINK_FOLLOW, O_EXCL
 * forbidding that, and ENOENT for linking an ordinary deleted file. */
#include "check.h"
#include <sys/wait.h>

static void run(const char *dir, const char *tag) {
  char p1[512], p2[512], p3[512], lbuf[600], mag[64];
  struct stat st;
  printf("== %s\n", tag);
  int fd = open(dir, O_TMPFILE | O_RDWR, 0640);
  REL("O_TMPFILE|O_RDWR", fd >= 0);
  fstat(fd, &st);
  printf("  mode %o nlink %ld size %ld\n", st.st_mode, (long)st.st_nlink, (long)st.st_size);
  printf("  F_GETFL %o\n", fcntl(fd, F_GETFL) & ~0100000);
  SHOW("  write", write(fd, "unnamed", 7));
  snprintf(mag, sizeof mag, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(mag, lbuf, sizeof lbuf - 1);
  lbuf[n > 0 ? n : 0] = 0;
  REL("  fd link is dir/#N (deleted)", strncmp(lbuf, dir, strlen(dir)) == 0 && strstr(lbuf, "/#") != NULL &&
      strstr(lbuf, " (deleted)") != NULL);
  snprintf(p1, sizeof p1, "%s/named", dir);
  snprintf(p2, sizeof p2, "%s/named2", dir);
  snprintf(p3, sizeof p3, "%s/named3", dir);
  SHOW("  linkat AT_EMPTY_PATH", linkat(fd, "", AT_FDCWD, p1, AT_EMPTY_PATH));
  fstat(fd, &st);
  printf("  nlink now %ld\n", (long)st.st_nlink);
  char b[16] = { 0 };
  int r = open(p1, O_RDONLY);
  read(r, b, sizeof b);
  printf("  named file holds \"%s\"\n", b);
  close(r);
  SHOW("  linkat again", linkat(fd, "", AT_FDCWD, p2, AT_EMPTY_PATH));
  SHOW("  linkat onto an existing name", linkat(fd, "", AT_FDCWD, p2, AT_EMPTY_PATH));
  close(fd);
  unlink(p1);
  unlink(p2);

  fd = open(dir, O_TMPFILE | O_WRONLY, 0600);
  snprintf(mag, sizeof mag, "/proc/self/fd/%d", fd);
  SHOW("  linkat /proc/self/fd/N without AT_SYMLINK_FOLLOW", linkat(AT_FDCWD, mag, AT_FDCWD, p3, 0));
  SHOW("  linkat /proc/self/fd/N AT_SYMLINK_FOLLOW", linkat(AT_FDCWD, mag, AT_FDCWD, p3, AT_SYMLINK_FOLLOW));
  SHOW("  stat the new name", stat(p3, &st));
  printf("  mode %o nlink %ld\n", st.st_mode, (long)st.st_nlink);
  SHOW("  unlink it", unlink(p3));
  SHOW("  relink after the name went", linkat(fd, "", AT_FDCWD, p3, AT_EMPTY_PATH));
  close(fd);

  fd = open(dir, O_TMPFILE | O_RDWR | O_EXCL, 0600);
  REL("O_TMPFILE|O_EXCL", fd >= 0);
  SHOW("  linkat of an O_EXCL tmpfile", linkat(fd, "", AT_FDCWD, p1, AT_EMPTY_PATH));
  close(fd);

  fd = open(p1, O_RDWR | O_CREAT, 0600);
  unlink(p1);
  SHOW("linkat of an unlinked ordinary file", linkat(fd, "", AT_FDCWD, p1, AT_EMPTY_PATH));
  close(fd);
  SHOW("O_TMPFILE|O_RDONLY", open(dir, O_TMPFILE | O_RDONLY, 0600));
  SHOW("O_TMPFILE|O_CREAT", open(dir, O_TMPFILE | O_RDWR | O_CREAT, 0600));
  SHOW("__O_TMPFILE without O_DIRECTORY", syscall(SYS_openat, AT_FDCWD, dir, 020000000 | O_RDWR, 0600));
  put_file(p1, "x");
  SHOW("O_TMPFILE on a regular file", open(p1, O_TMPFILE | O_RDWR, 0600));
  unlink(p1);
  SHOW("O_TMPFILE on a missing dir", open(p3, O_TMPFILE | O_RDWR, 0600));
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(1);
    SHOW("unprivileged O_TMPFILE in a 0755 root-owned dir", open(dir, O_TMPFILE | O_RDWR, 0600));
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
}

int main(void) {
  setup();
  make_tmpdir("tmpfile");
  chmod(tmp(""), 0755);
  run(tsv_dir, "scratch dir");
  char root_dir[] = "/var/tmp/tsv-test-tmpfile-XXXXXX";
  if (!mkdtemp(root_dir)) { perror("mkdtemp"); return 1; }
  chmod(root_dir, 0755);
  run(root_dir, "root file system");
  rm_tree(root_dir);
  SHOW("O_TMPFILE in /proc", open("/proc", O_TMPFILE | O_RDWR, 0600));
  cleanup();
  return 0;
}
