/* Pipe capacity and atomicity as Linux counts them (page-sized buffers): PIPE_BUF writes
 * are all-or-nothing, bigger ones partial, poll's POLLOUT needs a free buffer;
 * F_GETPIPE_SZ/F_SETPIPE_SZ rounding, EBUSY when shrinking below the buffers in use, the
 * pipe-max-size limit (EPERM) for an unprivileged process; O_DIRECT packet mode.
 * (Growing past pipe-max-size as root is not checked: it depends on CAP_SYS_RESOURCE,
 * which the host's root may lack while the sandbox's root has it.) */
#include "check.h"
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

static char big[1 << 20];

static int pollout(int fd) {
  struct pollfd p = { fd, POLLOUT, 0 };
  poll(&p, 1, 0);
  return (p.revents & POLLOUT) != 0;
}

static void drain(int fd) {
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
  while (read(fd, big, sizeof big) > 0) {}
  fcntl(fd, F_SETFL, fl);
}

int main(void) {
  setup();
  make_tmpdir("pipe_limits");
  signal(SIGPIPE, SIG_IGN);
  int p[2];
  pipe2(p, O_NONBLOCK);

  /* ---- capacity and atomicity ---- */
  SHOW("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
  SHOW("fill all but 100 bytes", write(p[1], big, 65536 - 100));
  REL("POLLOUT with a partial buffer left", pollout(p[1]));
  SHOW("write 200 (atomic, no free buffer)", write(p[1], big, 200));
  SHOW("write 50 (fits the last buffer)", write(p[1], big, 50));
  SHOW("write 5000 (no free buffer)", write(p[1], big, 5000));
  char b[8192];
  SHOW("read 4096", read(p[0], b, 4096));
  REL("POLLOUT after a buffer freed", pollout(p[1]));
  SHOW("write 5000 (partial)", write(p[1], big, 5000));
  drain(p[0]);
  SHOW("write 1", write(p[1], "a", 1));
  SHOW("read 1", read(p[0], b, 1));
  /* a buffer half-read still takes a slot: 16 writes of 4000 bytes fill the pipe */
  for (int i = 0; i < 16; i++) write(p[1], big, 4000);
  SHOW("17th write of 4000", write(p[1], big, 4000));
  SHOW("write 96 (merges into the last buffer)", write(p[1], big, 96));
  SHOW("FIONREAD-equivalent read all", read(p[0], big, sizeof big));

  /* ---- F_SETPIPE_SZ ---- */
  SHOW("SETPIPE_SZ 0", fcntl(p[0], F_SETPIPE_SZ, 0));
  SHOW("SETPIPE_SZ 1", fcntl(p[0], F_SETPIPE_SZ, 1));
  SHOW("SETPIPE_SZ 5000", fcntl(p[0], F_SETPIPE_SZ, 5000));
  SHOW("SETPIPE_SZ 65537", fcntl(p[1], F_SETPIPE_SZ, 65537));
  SHOW("SETPIPE_SZ 1 MiB", fcntl(p[1], F_SETPIPE_SZ, 1 << 20));
  SHOW("SETPIPE_SZ 2^31+1", fcntl(p[1], F_SETPIPE_SZ, (1UL << 31) + 1));
  SHOW("SETPIPE_SZ -1 (as unsigned)", fcntl(p[1], F_SETPIPE_SZ, -1));
  SHOW("SETPIPE_SZ 65536", fcntl(p[1], F_SETPIPE_SZ, 65536));
  SHOW("write 3 pages", write(p[1], big, 3 * 4096));
  SHOW("shrink to 2 pages (3 in use)", fcntl(p[1], F_SETPIPE_SZ, 8192));
  SHOW("shrink to 4 pages", fcntl(p[1], F_SETPIPE_SZ, 16384));
  SHOW("write 2 pages", write(p[1], big, 2 * 4096));
  SHOW("F_GETPIPE_SZ", fcntl(p[1], F_GETPIPE_SZ));
  drain(p[0]);
  SHOW("write 1 byte twice", write(p[1], "x", 1) + write(p[1], "y", 1));
  SHOW("shrink to 1 page (1 buffer in use)", fcntl(p[1], F_SETPIPE_SZ, 1));
  drain(p[0]);
  int fd = open(tmp("f"), O_RDWR | O_CREAT, 0600);
  SHOW("F_GETPIPE_SZ on a file", fcntl(fd, F_GETPIPE_SZ));
  SHOW("F_SETPIPE_SZ on a file", fcntl(fd, F_SETPIPE_SZ, 4096));
  close(fd);
  unlink(tmp("f"));

  /* unprivileged: growing past pipe-max-size is EPERM, below it is fine */
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) { printf("setuid failed\n"); _exit(1); }
    int q[2];
    pipe(q);
    SHOW("unprivileged SETPIPE_SZ 1 MiB", fcntl(q[0], F_SETPIPE_SZ, 1 << 20));
    SHOW("unprivileged SETPIPE_SZ 2 MiB", fcntl(q[0], F_SETPIPE_SZ, 2 << 20));
    SHOW("unprivileged SETPIPE_SZ 4096", fcntl(q[0], F_SETPIPE_SZ, 4096));
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  close(p[0]);
  close(p[1]);

  /* ---- O_DIRECT: packet mode ---- */
  SHOW("pipe2 O_DIRECT", pipe2(p, O_DIRECT | O_NONBLOCK));
  SHOW("write packet 5", write(p[1], "hello", 5));
  SHOW("write packet 3", write(p[1], "abc", 3));
  SHOW("write packet 6000 (two packets)", write(p[1], big, 6000));
  memset(b, 0, sizeof b);
  SHOW("read 100 gets one packet", read(p[0], b, 100));
  printf("  %s\n", b);
  SHOW("read 2 of a 3-byte packet", read(p[0], b, 2));
  SHOW("read next (rest was dropped)", read(p[0], b, 8192));
  SHOW("read second piece of the big write", read(p[0], b, 8192));
  SHOW("read empty", read(p[0], b, 10));
  for (int i = 0; i < 16; i++) write(p[1], "z", 1);
  SHOW("17th one-byte packet (16 slots)", write(p[1], "z", 1));
  drain(p[0]);
  printf("F_GETFL O_DIRECT: %d\n", (fcntl(p[1], F_GETFL) & O_DIRECT) != 0);
  SHOW("F_SETFL clears O_DIRECT", fcntl(p[1], F_SETFL, O_NONBLOCK));
  write(p[1], "12", 2);
  write(p[1], "34", 2);
  SHOW("stream again: read 10", read(p[0], b, 10));
  close(p[0]);
  close(p[1]);
  cleanup();
  return 0;
}
