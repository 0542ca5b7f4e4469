/* mknod/mknodat (types, EPERM/EINVAL/EEXIST, umask, CAP_MKNOD for devices checked in an
 * unprivileged child) and FIFOs: fifo_open's blocking and O_NONBLOCK rules (ENXIO for a
 * writer without readers), one buffer shared by all opens, EOF, unlink while open, a
 * blocking open that a child completes, and one interrupted by a signal. */
#include "check.h"
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

static void on_alarm(int s) { (void)s; }

static void show_type(const char *label, const char *p) {
  struct stat st;
  if (lstat(p, &st) != 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
  printf("%s: mode %o rdev %u:%u size %ld\n", label, st.st_mode, major(st.st_rdev), minor(st.st_rdev), (long)st.st_size);
}

int main(void) {
  setup();
  make_tmpdir("mknod_fifo");
  chmod(tmp(""), 0777);
  umask(022);

  /* ---- mknod ---- */
  SHOW("mknod S_IFDIR", mknod(tmp("d"), S_IFDIR | 0755, 0));
  SHOW("mknod bad type", mknod(tmp("x"), 0170000 | 0644, 0));
  SHOW("mknod mode 0 (regular)", mknod(tmp("r0"), 0644, 0));
  show_type("  r0", tmp("r0"));
  SHOW("mknod S_IFREG", mknod(tmp("r"), S_IFREG | 0666, 0));
  show_type("  r (umask 022)", tmp("r"));
  SHOW("mknod existing", mknod(tmp("r"), S_IFREG | 0644, 0));
  SHOW("mknod S_IFIFO", mknod(tmp("fifo"), S_IFIFO | 0666, 0));
  show_type("  fifo", tmp("fifo"));
  SHOW("mknod S_IFSOCK", mknod(tmp("sock"), S_IFSOCK | 0755, 0));
  show_type("  sock", tmp("sock"));
  SHOW("open a socket file", open(tmp("sock"), O_RDWR));
  SHOW("mknod char 1:3 as root", mknod(tmp("null"), S_IFCHR | 0666, makedev(1, 3)));
  show_type("  null", tmp("null"));
  SHOW("mknod block 7:0 as root", mknod(tmp("blk"), S_IFBLK | 0600, makedev(7, 0)));
  show_type("  blk", tmp("blk"));
  SHOW("mknod in a missing dir", mknod(tmp("no/x"), S_IFIFO | 0600, 0));
  SHOW("mknod bad path pointer", mknod((const char *)8, S_IFIFO | 0600, 0));
  SHOW("mknod empty path", mknod("", S_IFIFO | 0600, 0));
  int dfd = open(tmp(""), O_RDONLY | O_DIRECTORY);
  SHOW("mknodat", mknodat(dfd, "fifo2", S_IFIFO | 0600, 0));
  show_type("  fifo2", tmp("fifo2"));
  SHOW("mknodat trailing slash", mknodat(dfd, "fifo3/", S_IFIFO | 0600, 0));
  SHOW("mknodat bad dirfd", mknodat(-5, "fifo4", S_IFIFO | 0600, 0));
  SHOW("mkfifo", mkfifo(tmp("fifo5"), 0600));
  mkdir(tmp("ro"), 0555);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) { printf("setuid failed\n"); _exit(1); }
    SHOW("unprivileged mknod char", mknod(tmp("c2"), S_IFCHR | 0600, makedev(1, 3)));
    SHOW("unprivileged mknod block", mknod(tmp("b2"), S_IFBLK | 0600, makedev(7, 0)));
    SHOW("unprivileged mknod char in a read-only dir", mknod(tmp("ro/c"), S_IFCHR | 0600, makedev(1, 3)));
    SHOW("unprivileged mknod fifo", mknod(tmp("f2"), S_IFIFO | 0600, 0));
    SHOW("unprivileged mknod whiteout 0:0", mknod(tmp("w"), S_IFCHR | 0600, 0));
    show_type("  w", tmp("w"));
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);

  /* ---- FIFO open rules ---- */
  const char *f = tmp("fifo");
  SHOW("open O_WRONLY|O_NONBLOCK without readers", open(f, O_WRONLY | O_NONBLOCK));
  int r = open(f, O_RDONLY | O_NONBLOCK);
  REL("open O_RDONLY|O_NONBLOCK without writers", r >= 0);
  char b[64] = { 0 };
  SHOW("read: no writer yet is EOF", read(r, b, sizeof b));
  int w = open(f, O_WRONLY | O_NONBLOCK);
  REL("open O_WRONLY|O_NONBLOCK with a reader", w >= 0);
  SHOW("read empty with a writer", read(r, b, sizeof b));
  SHOW("write", write(w, "through the fifo", 16));
  int rw = open(f, O_RDWR);
  REL("open O_RDWR never waits", rw >= 0);
  SHOW("read via the O_RDWR open (same buffer)", read(rw, b, 8));
  SHOW("read the rest via the first reader", read(r, b, sizeof b));
  struct stat st;
  fstat(w, &st);
  REL("fstat S_ISFIFO", S_ISFIFO(st.st_mode));
  SHOW("lseek", lseek(r, 0, SEEK_SET));
  SHOW("F_GETPIPE_SZ", fcntl(r, F_GETPIPE_SZ));
  char link[512], want[512];
  snprintf(want, sizeof want, "%s", f);
  snprintf(b, sizeof b, "/proc/self/fd/%d", r);
  ssize_t n = readlink(b, link, sizeof link - 1);
  link[n > 0 ? n : 0] = 0;
  REL("/proc/self/fd shows the path", strcmp(link, want) == 0);
  SHOW("unlink while open", unlink(f));
  SHOW("write after unlink", write(w, "x", 1));
  SHOW("read after unlink", read(r, b, sizeof b));
  close(w);
  close(rw);
  SHOW("read with all writers gone", read(r, b, sizeof b));
  close(r);

  /* ---- blocking opens ---- */
  f = tmp("fifo2");
  fflush(stdout);
  c = fork();
  if (c == 0) {
    int wfd = open(f, O_WRONLY); /* waits for the parent's reader */
    write(wfd, "hi", 2);
    _exit(0);
  }
  usleep(50000);
  r = open(f, O_RDONLY);
  REL("blocking O_RDONLY open completes", r >= 0);
  memset(b, 0, sizeof b);
  n = read(r, b, sizeof b);
  printf("read %zd \"%s\"\n", n, b);
  waitpid(c, NULL, 0);
  SHOW("EOF after the writer exits", read(r, b, sizeof b));
  close(r);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = { { 0, 0 }, { 0, 100000 } };
  setitimer(ITIMER_REAL, &it, NULL);
  SHOW("blocking open without a writer, SIGALRM", open(f, O_RDONLY));
  setitimer(ITIMER_REAL, &it, NULL);
  SHOW("blocking write-open without a reader, SIGALRM", open(f, O_WRONLY));
  SHOW("O_WRONLY|O_NONBLOCK still no reader", open(f, O_WRONLY | O_NONBLOCK));
  /* a reader killed while waiting in open stops counting */
  fflush(stdout);
  c = fork();
  if (c == 0) {
    open(f, O_RDONLY);
    _exit(0);
  }
  usleep(50000);
  int w2 = open(f, O_WRONLY | O_NONBLOCK);
  REL("writer opens while a reader waits", w2 >= 0);
  close(w2);
  /* that open released the reader: make a new one wait, then kill it */
  waitpid(c, NULL, 0);
  c = fork();
  if (c == 0) {
    open(f, O_RDONLY);
    _exit(0);
  }
  usleep(50000);
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);
  SHOW("O_WRONLY|O_NONBLOCK after the waiting reader was killed", open(f, O_WRONLY | O_NONBLOCK));

  close(dfd);
  cleanup();
  return 0;
}
