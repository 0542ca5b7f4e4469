/* The device nodes and /proc/self files of issue 2's first VFS: /dev/null, /dev/zero,
 * /dev/full, /dev/random, /dev/urandom, /proc/self/{exe,fd,cmdline,status,stat,maps}. Random
 * bytes, pids and addresses are never printed: only lengths, shapes and relations. */
#include "check.h"

static long slurp(const char *path, char *buf, size_t n) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  long total = 0, r;
  while (total < (long)n - 1 && (r = read(fd, buf + total, n - 1 - total)) > 0) total += r;
  buf[total] = 0;
  close(fd);
  return total;
}

int main(int argc, char **argv) {
  setup();
  char buf[8192];

  int n = open("/dev/null", O_RDWR);
  SHOW("/dev/null read", read(n, buf, sizeof buf));
  SHOW("/dev/null write", write(n, "abc", 3));
  SHOW("/dev/null lseek", lseek(n, 100, SEEK_SET));
  close(n);

  int z = open("/dev/zero", O_RDWR);
  memset(buf, 'x', 100);
  SHOW("/dev/zero read 100", read(z, buf, 100));
  int allzero = 1;
  for (int i = 0; i < 100; i++) allzero &= buf[i] == 0;
  REL("  all zero", allzero);
  SHOW("/dev/zero write", write(z, "abc", 3));
  SHOW("/dev/zero pread", pread(z, buf, 10, 12345));
  close(z);

  int f = open("/dev/full", O_RDWR);
  SHOW("/dev/full write", write(f, "abc", 3));
  SHOW("/dev/full read", read(f, buf, 10));
  close(f);

  int u = open("/dev/urandom", O_RDONLY);
  SHOW("/dev/urandom read 64", read(u, buf, 64));
  char buf2[64];
  read(u, buf2, 64);
  REL("  two reads differ", memcmp(buf, buf2, 64) != 0);
  close(u);
  int rnd = open("/dev/random", O_RDONLY);
  SHOW("/dev/random read 16", read(rnd, buf, 16));
  close(rnd);
  struct stat st;
  const char *devs[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom" };
  for (int i = 0; i < 5; i++) {
    stat(devs[i], &st);
    printf("%s: chr=%d %u:%u\n", devs[i], S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
  }

  /* /proc/self/fd lists exactly the open fds (the listing's own fd included). The set itself
   * depends on what the caller leaked to us, so it is compared with what fcntl(F_GETFD) says
   * is open rather than printed. */
  int extra = open("/dev/null", O_RDONLY);
  int fdd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
  char listed[1024] = { 0 }, open_now[1024] = { 0 };
  for (int i = 0; i < 1024; i++) open_now[i] = fcntl(i, F_GETFD) != -1;
  DIR *d = fdopendir(fdd);
  struct dirent *de;
  int bogus = 0;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    int i = atoi(de->d_name);
    if (i >= 0 && i < 1024) listed[i] = 1; else bogus = 1;
  }
  closedir(d);
  REL("/proc/self/fd listing == open fds", !bogus && memcmp(listed, open_now, sizeof listed) == 0);
  REL("  includes 0 1 2 and the new fds", listed[0] && listed[1] && listed[2] && listed[extra] && listed[fdd]);
  char lb[256];
  snprintf(buf, sizeof buf, "/proc/self/fd/%d", extra);
  long l = readlink(buf, lb, sizeof lb - 1);
  lb[l > 0 ? l : 0] = 0;
  printf("readlink /proc/self/fd/N of /dev/null: %s\n", lb);
  close(extra);
  SHOW("readlink closed /proc/self/fd/N", readlink(buf, lb, sizeof lb));

  /* /proc/self/cmdline: argv, NUL-separated */
  l = slurp("/proc/self/cmdline", buf, sizeof buf);
  long want = 0;
  for (int i = 0; i < argc; i++) want += strlen(argv[i]) + 1;
  REL("cmdline length == argv bytes", l == want);
  REL("cmdline starts with argv[0]", l > 0 && strcmp(buf, argv[0]) == 0);
  if (argc > 1) REL("cmdline second arg", strcmp(buf + strlen(buf) + 1, argv[1]) == 0);

  /* /proc/self/status: Name is the executable's basename cut at 15 chars; Pid == getpid */
  l = slurp("/proc/self/status", buf, sizeof buf);
  REL("status readable", l > 0);
  const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
  char want_name[64];
  snprintf(want_name, sizeof want_name, "Name:\t%.15s\n", base);
  REL("status Name line", strstr(buf, want_name) == buf);
  char *pl = strstr(buf, "\nPid:\t");
  REL("status Pid == getpid", pl && atoi(pl + 6) == getpid());
  pl = strstr(buf, "\nPPid:\t");
  REL("status PPid == getppid", pl && atoi(pl + 7) == getppid());
  /* /proc/self/stat: "pid (comm) state ..." */
  l = slurp("/proc/self/stat", buf, sizeof buf);
  REL("stat starts with pid", atoi(buf) == getpid());
  char want_comm[64];
  snprintf(want_comm, sizeof want_comm, "(%.15s) R ", base);
  REL("stat comm and state R", strstr(buf, want_comm) != NULL);
  /* /proc/self/maps names the executable and has a [stack] line */
  l = slurp("/proc/self/maps", buf, sizeof buf);
  REL("maps has [stack]", strstr(buf, "[stack]") != NULL);
  REL("maps names the executable", strstr(buf, base) != NULL);
  SHOW("open /proc/self/nonexistent", open("/proc/self/nonexistent", O_RDONLY));
  return 0;
}
