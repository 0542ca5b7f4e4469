/* splice, tee, vmsplice, sendfile and copy_file_range: which ends must be pipes, offsets
 * (ESPIPE on pipes, updated through the pointer, f_pos untouched), SPLICE_F_NONBLOCK and
 * O_NONBLOCK, EPIPE, O_APPEND rules, copy_file_range's EXDEV/EINVAL/EBADF/EISDIR checks and
 * same-file overlap, and a splice that blocks until a child writes. */
#include "check.h"
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <sys/wait.h>

static void show_pipe(const char *label, int rfd) {
  char b[128] = { 0 };
  int fl = fcntl(rfd, F_GETFL);
  fcntl(rfd, F_SETFL, fl | O_NONBLOCK);
  ssize_t n = read(rfd, b, sizeof b - 1);
  fcntl(rfd, F_SETFL, fl);
  printf("%s: %zd \"%s\"\n", label, n, n > 0 ? b : "");
}

static void show_file(const char *label, int fd) {
  char b[128] = { 0 };
  ssize_t n = pread(fd, b, sizeof b - 1, 0);
  for (ssize_t i = 0; i < n; i++) if (b[i] == 0) b[i] = '.';
  printf("%s: %zd \"%s\"\n", label, n, n > 0 ? b : "");
}

int main(void) {
  setup();
  make_tmpdir("splice");
  signal(SIGPIPE, SIG_IGN);
  int p[2], q[2];
  pipe(p);
  pipe(q);
  int f = open(tmp("src"), O_RDWR | O_CREAT, 0644);
  write(f, "0123456789abcdefghij", 20);
  int g = open(tmp("dst"), O_RDWR | O_CREAT, 0644);
  int wo = open(tmp("src"), O_WRONLY);
  int ap = open(tmp("dst"), O_WRONLY | O_APPEND);
  loff_t off;

  /* ---- splice argument rules ---- */
  SHOW("splice len 0, bad flags", splice(f, NULL, p[1], NULL, 0, 0x100));
  SHOW("splice bad flags", splice(f, NULL, p[1], NULL, 5, 0x100));
  SHOW("splice bad fd", splice(-1, NULL, p[1], NULL, 5, 0));
  off = 0;
  SHOW("splice offset on a pipe (in)", splice(p[0], &off, q[1], NULL, 5, 0));
  SHOW("splice offset on a pipe (out)", splice(f, NULL, p[1], &off, 5, 0));
  SHOW("splice file to file", splice(f, NULL, g, NULL, 5, 0));
  SHOW("splice write-only in", splice(wo, NULL, p[1], NULL, 5, 0));
  SHOW("splice into a read end", splice(f, NULL, p[0], NULL, 5, 0));
  SHOW("splice pipe to itself", splice(p[0], NULL, p[1], NULL, 5, 0));
  SHOW("splice bad offset pointer", splice(f, (loff_t *)8, p[1], NULL, 5, 0));
  off = -1;
  SHOW("splice negative offset", splice(f, &off, p[1], NULL, 5, 0));

  /* ---- file -> pipe ---- */
  off = 3;
  SHOW("splice file@3 -> pipe", splice(f, &off, p[1], NULL, 5, 0));
  printf("  off now %ld, f_pos %ld\n", (long)off, (long)lseek(f, 0, SEEK_CUR));
  lseek(f, 10, SEEK_SET);
  SHOW("splice file (f_pos 10) -> pipe", splice(f, NULL, p[1], NULL, 4, 0));
  printf("  f_pos %ld\n", (long)lseek(f, 0, SEEK_CUR));
  off = 100;
  SHOW("splice past EOF", splice(f, &off, p[1], NULL, 4, 0));
  /* ---- pipe -> pipe, pipe -> file ---- */
  SHOW("splice pipe -> pipe 3", splice(p[0], NULL, q[1], NULL, 3, 0));
  show_pipe("q holds", q[0]);
  off = 2;
  SHOW("splice pipe -> file@2", splice(p[0], NULL, g, &off, 100, 0));
  printf("  off now %ld, f_pos %ld\n", (long)off, (long)lseek(g, 0, SEEK_CUR));
  show_file("dst", g);
  write(p[1], "XY", 2);
  SHOW("splice pipe -> file at f_pos", splice(p[0], NULL, g, NULL, 100, 0));
  printf("  f_pos %ld\n", (long)lseek(g, 0, SEEK_CUR));
  write(p[1], "Z", 1);
  SHOW("splice pipe -> O_APPEND file", splice(p[0], NULL, ap, NULL, 1, 0));
  show_pipe("drain", p[0]);
  /* ---- nonblocking and EOF ---- */
  SHOW("splice empty pipe NONBLOCK", splice(p[0], NULL, g, NULL, 5, SPLICE_F_NONBLOCK));
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  SHOW("splice empty O_NONBLOCK pipe", splice(p[0], NULL, g, NULL, 5, 0));
  fcntl(p[0], F_SETFL, 0);
  fcntl(q[1], F_SETFL, O_NONBLOCK);
  static char fill[65536];
  SHOW("fill q", write(q[1], fill, sizeof fill));
  SHOW("splice into a full O_NONBLOCK pipe", splice(f, NULL, q[1], NULL, 5, 0));
  fcntl(q[1], F_SETFL, 0);
  SHOW("splice into a full pipe NONBLOCK flag", splice(f, NULL, q[1], NULL, 5, SPLICE_F_NONBLOCK));
  close(q[0]);
  close(q[1]);
  pipe(q);
  int e[2];
  pipe(e);
  close(e[1]);
  SHOW("splice from a pipe without writers", splice(e[0], NULL, g, NULL, 5, 0));
  close(e[0]);
  pipe(e);
  close(e[0]);
  SHOW("splice into a pipe without readers", splice(f, NULL, e[1], NULL, 5, 0));
  close(e[1]);

  /* ---- tee ---- */
  write(p[1], "teedata", 7);
  SHOW("tee 3", tee(p[0], q[1], 3, 0));
  show_pipe("q after tee", q[0]);
  SHOW("tee same pipe", tee(p[0], p[1], 3, 0));
  SHOW("tee file", tee(f, q[1], 3, 0));
  SHOW("tee bad flags", tee(p[0], q[1], 3, 0x100));
  SHOW("tee len 0", tee(p[0], q[1], 0, 0));
  SHOW("tee wrong ends", tee(p[1], q[0], 3, 0));
  show_pipe("p keeps all", p[0]);
  SHOW("tee empty NONBLOCK", tee(p[0], q[1], 3, SPLICE_F_NONBLOCK));

  /* ---- vmsplice ---- */
  struct iovec v[2] = { { "vm", 2 }, { "splice", 6 } };
  SHOW("vmsplice into write end", vmsplice(p[1], v, 2, 0));
  char r1[4] = { 0 }, r2[8] = { 0 };
  struct iovec rv[2] = { { r1, 3 }, { r2, 7 } };
  SHOW("vmsplice from read end", vmsplice(p[0], rv, 2, 0));
  printf("  %s|%s\n", r1, r2);
  SHOW("vmsplice on a file", vmsplice(f, v, 1, 0));
  SHOW("vmsplice bad flags", vmsplice(p[1], v, 1, 0x100));
  SHOW("vmsplice too many iovecs", vmsplice(p[1], v, 1025, 0));
  SHOW("vmsplice empty read NONBLOCK", vmsplice(p[0], rv, 1, SPLICE_F_NONBLOCK));

  /* ---- sendfile ---- */
  ftruncate(g, 0);
  lseek(g, 0, SEEK_SET);
  off = 5;
  SHOW("sendfile file@5 -> file", sendfile(g, f, &off, 6));
  printf("  off now %ld, in f_pos %ld, out f_pos %ld\n", (long)off, (long)lseek(f, 0, SEEK_CUR), (long)lseek(g, 0, SEEK_CUR));
  lseek(f, 18, SEEK_SET);
  SHOW("sendfile at f_pos, short at EOF", sendfile(g, f, NULL, 100));
  printf("  in f_pos %ld\n", (long)lseek(f, 0, SEEK_CUR));
  show_file("dst", g);
  off = 0;
  SHOW("sendfile file -> pipe", sendfile(p[1], f, &off, 4));
  show_pipe("p", p[0]);
  write(p[1], "x", 1);
  SHOW("sendfile pipe in", sendfile(g, p[0], NULL, 1));
  SHOW("sendfile pipe in with offset", sendfile(g, p[0], &off, 1));
  show_pipe("drain", p[0]);
  SHOW("sendfile O_APPEND out", sendfile(ap, f, &off, 1));
  SHOW("sendfile bad offset pointer", sendfile(g, f, (off_t *)8, 1));
  SHOW("sendfile write-only in", sendfile(g, wo, NULL, 1));
  SHOW("sendfile bad out", sendfile(-1, f, NULL, 1));
  off = -5;
  SHOW("sendfile negative offset", sendfile(g, f, &off, 1));
  fcntl(q[1], F_SETFL, O_NONBLOCK);
  write(q[1], fill, sizeof fill);
  off = 0;
  SHOW("sendfile into a full O_NONBLOCK pipe", sendfile(q[1], f, &off, 4));
  close(q[0]);
  close(q[1]);

  /* sendfile from a socket (no offset: ESPIPE with one) into a file and into a pipe */
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  write(sv[1], "from a socket", 13);
  ftruncate(g, 0);
  lseek(g, 0, SEEK_SET);
  off = 0;
  SHOW("sendfile socket with offset", sendfile(g, sv[0], &off, 5));
  SHOW("sendfile socket -> file", sendfile(g, sv[0], NULL, 6));
  show_file("dst", g);
  pipe(q);
  SHOW("sendfile socket -> pipe", sendfile(q[1], sv[0], NULL, 100));
  show_pipe("q", q[0]);
  close(sv[0]);
  close(sv[1]);

  /* ---- copy_file_range ---- */
  ftruncate(g, 0);
  loff_t oi = 2, oo = 0;
  SHOW("cfr", copy_file_range(f, &oi, g, &oo, 5, 0));
  printf("  oi %ld oo %ld\n", (long)oi, (long)oo);
  show_file("dst", g);
  lseek(f, 0, SEEK_SET);
  lseek(g, 10, SEEK_SET);
  SHOW("cfr at f_pos", copy_file_range(f, NULL, g, NULL, 3, 0));
  printf("  in f_pos %ld out f_pos %ld\n", (long)lseek(f, 0, SEEK_CUR), (long)lseek(g, 0, SEEK_CUR));
  show_file("dst", g);
  SHOW("cfr flags", copy_file_range(f, NULL, g, NULL, 3, 1));
  oi = 0; oo = 5;
  SHOW("cfr same file overlapping", copy_file_range(f, &oi, f, &oo, 10, 0));
  oi = 0; oo = 30;
  SHOW("cfr same file apart", copy_file_range(f, &oi, f, &oo, 10, 0));
  show_file("src", f);
  oi = 100;
  SHOW("cfr past EOF", copy_file_range(f, &oi, g, NULL, 10, 0));
  oi = -1;
  SHOW("cfr negative offset", copy_file_range(f, &oi, g, NULL, 10, 0));
  int d = open(tmp(""), O_RDONLY | O_DIRECTORY);
  SHOW("cfr from a directory", copy_file_range(d, NULL, g, NULL, 10, 0));
  close(d);
  SHOW("cfr from a pipe", copy_file_range(p[0], NULL, g, NULL, 10, 0));
  SHOW("cfr into O_APPEND", copy_file_range(f, NULL, ap, NULL, 10, 0));
  SHOW("cfr from write-only", copy_file_range(wo, NULL, g, NULL, 10, 0));
  SHOW("cfr bad fd", copy_file_range(f, NULL, -1, NULL, 10, 0));
  SHOW("cfr bad offset pointer", copy_file_range(f, (loff_t *)8, g, NULL, 10, 0));
  int pf = open("/proc/self/status", O_RDONLY);
  SHOW("cfr across file systems", copy_file_range(pf, NULL, g, NULL, 10, 0));
  close(pf);

  /* ---- a splice that waits for a writer ---- */
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    usleep(50000);
    write(p[1], "late", 4);
    _exit(0);
  }
  ftruncate(g, 0);
  off = 0;
  SHOW("splice blocks until the child writes", splice(p[0], NULL, g, &off, 10, 0));
  waitpid(c, NULL, 0);
  show_file("dst", g);

  close(f); close(g); close(wo); close(ap);
  unlink(tmp("src"));
  unlink(tmp("dst"));
  cleanup();
  return 0;
}
