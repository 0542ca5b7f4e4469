/* Bulk data through a pty in raw mode, both ways, with blocking writes much larger than the
 * buffers (the writer must block and resume), O_NONBLOCK writes that fill the pipe (EAGAIN),
 * and readiness on both ends. Prints byte counts and checksums only. */
#include "pty_util.h"

#define TOTAL 300000

static unsigned sum_of(const unsigned char *b, int n, unsigned s) {
  for (int i = 0; i < n; i++) s = s * 31 + b[i];
  return s;
}

int main(void) {
  setup();
  int no;
  int m = new_pty(&no);
  int s = open_slave(no, O_RDWR | O_NOCTTY);
  struct termios t;
  tcgetattr(s, &t);
  cfmakeraw(&t);
  tcsetattr(s, TCSANOW, &t);
  static unsigned char buf[TOTAL];
  for (int i = 0; i < TOTAL; i++) buf[i] = (unsigned char)(i * 7 + i / 251);
  unsigned want = sum_of(buf, TOTAL, 0);
  fflush(stdout);

  /* slave -> master */
  pid_t p = fork();
  if (p == 0) {
    close(m);
    ssize_t w = write(s, buf, TOTAL);
    _exit(w == TOTAL ? 0 : 1);
  }
  static unsigned char in[65536];
  int got = 0;
  unsigned sum = 0;
  while (got < TOTAL) {
    int n = read(m, in, sizeof in);
    if (n <= 0) break;
    sum = sum_of(in, n, sum);
    got += n;
  }
  show_wait("slave writer", p, 0);
  printf("master got %d, checksum ok %d\n", got, sum == want);

  /* master -> slave */
  fflush(stdout);
  p = fork();
  if (p == 0) {
    close(m);
    int g = 0;
    unsigned sm = 0;
    while (g < TOTAL) {
      int n = read(s, in, sizeof in);
      if (n <= 0) break;
      sm = sum_of(in, n, sm);
      g += n;
    }
    _exit(g == TOTAL && sm == want ? 0 : 1);
  }
  ssize_t w = write(m, buf, TOTAL);
  printf("master wrote %zd\n", w);
  show_wait("slave reader", p, 0);

  /* Non-blocking: fill the master->slave direction until EAGAIN. */
  fcntl(m, F_SETFL, O_NONBLOCK);
  long total = 0;
  int r;
  while ((r = write(m, buf, 4096)) > 0) total += r;
  printf("nonblocking master write ends with %s, wrote 8K..20K: %d\n", errname(errno), total >= 8192 && total <= 20480);
  /* (Whether the master polls writable now is a race on Linux: its port buffer drains into the
   * discipline from a work queue.) */
  struct pollfd pf = { s, POLLIN, 0 };
  printf("slave POLLIN: %d\n", poll(&pf, 1, 0));
  tcflush(s, TCIFLUSH);
  /* And the slave->master direction. */
  fcntl(s, F_SETFL, O_NONBLOCK);
  total = 0;
  while ((r = write(s, buf, 4096)) > 0) total += r;
  printf("nonblocking slave write ends with %s, wrote 8K..20K: %d\n", errname(errno), total >= 8192 && total <= 20480);
  close(s);
  close(m);
  return 0;
}
