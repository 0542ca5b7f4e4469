/* The line discipline: default termios, canonical editing (ERASE, KILL, WERASE, LNEXT, EOF,
 * EOL), echo flags (ECHO, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL, ECHOPRT), input translation
 * (ICRNL, INLCR, IGNCR), output processing (OPOST, ONLCR, OCRNL, XTABS, OLCUC), raw mode with
 * VMIN/VTIME, FIONREAD, TCFLSH, TCXONC, window size, O_NONBLOCK. */
#include "pty_util.h"
#include <time.h>
#include <termio.h>

static int m, s;

static void set(tcflag_t iflag_on, tcflag_t iflag_off, tcflag_t oflag_on, tcflag_t oflag_off, tcflag_t lflag_on,
                tcflag_t lflag_off) {
  struct termios t;
  tcgetattr(s, &t);
  t.c_iflag = (t.c_iflag | iflag_on) & ~iflag_off;
  t.c_oflag = (t.c_oflag | oflag_on) & ~oflag_off;
  t.c_lflag = (t.c_lflag | lflag_on) & ~lflag_off;
  if (tcsetattr(s, TCSANOW, &t)) perror("tcsetattr");
}

static struct termios orig;
static void reset(void) {
  tcsetattr(s, TCSAFLUSH, &orig);
  char b[512];
  drain(m, b, sizeof b, 50);
}

/* Types `in` on the master, prints the echo and the slave's first read. */
static void type(const char *label, const char *in) {
  printf("-- %s\n", label);
  put(m, in);
  show_out("  echo", m);
  show_read("  read", s, 200);
}

static long ms_since(struct timespec *a) {
  struct timespec b;
  clock_gettime(CLOCK_MONOTONIC, &b);
  return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

int main(void) {
  setup();
  int no;
  m = new_pty(&no);
  s = open_slave(no, O_RDWR | O_NOCTTY);
  struct termios t;
  SHOW("tcgetattr", tcgetattr(s, &orig));
  printf("iflag %o oflag %o cflag %o lflag %o\n", orig.c_iflag, orig.c_oflag, orig.c_cflag, orig.c_lflag);
  printf("cc:");
  for (int i = 0; i < 17; i++) printf(" %d", orig.c_cc[i]);
  printf("\nspeed %d %d\n", (int)cfgetispeed(&orig), (int)cfgetospeed(&orig));
  SHOW("tcgetattr master", tcgetattr(m, &t));
  REL("master shows the slave's termios", t.c_lflag == orig.c_lflag && t.c_iflag == orig.c_iflag);
  SHOW("TCGETS EFAULT", ioctl(s, TCGETS, (void *)8));
  SHOW("TCSETS EFAULT", ioctl(s, TCSETS, (void *)8));

  struct termio tio1;
  memset(&tio1, 0x55, sizeof tio1);
  SHOW("TCGETA", ioctl(s, TCGETA, &tio1));
  printf("  termio %o %o %o %o line %d cc %d %d %d pad %d\n", tio1.c_iflag, tio1.c_oflag, tio1.c_cflag, tio1.c_lflag,
         tio1.c_line, tio1.c_cc[0], tio1.c_cc[4], tio1.c_cc[7], ((unsigned char *)&tio1)[17]);
  tio1.c_lflag &= ~ECHO;
  SHOW("TCSETA", ioctl(s, TCSETA, &tio1));
  tcgetattr(s, &t);
  printf("  lflag now %o\n", t.c_lflag);
  SHOW("TCGETA EFAULT", ioctl(s, TCGETA, (void *)8));
  tcsetattr(s, TCSANOW, &orig);

  type("plain line", "abc\n");
  type("erase", "abcd\177\177x\n");
  type("erase past start", "a\177\177\177b\n");
  type("kill (ECHOKE)", "junk text\025ok\n");
  type("werase", "one two  three\027\027four\n");
  type("lnext", "a\026\003b\n");
  type("control echo", "x\001\033y\n");
  type("erase of control char", "q\001\177\n");
  type("cr to nl (ICRNL)", "cr\r");
  type("eof at start", "\004");
  type("eof after text", "ab\004");
  type("tab erase", "ab\tc\177\177\n");

  set(0, 0, 0, 0, 0, ECHOKE);
  type("kill without ECHOKE", "junk\025ok\n");
  reset();
  set(0, 0, 0, 0, 0, ECHOE);
  type("erase without ECHOE", "ab\177c\n");
  reset();
  set(0, 0, 0, 0, ECHOPRT, ECHOE);
  type("ECHOPRT", "abc\177\177d\n");
  reset();
  set(0, 0, 0, 0, 0, ECHOCTL);
  type("no ECHOCTL", "x\001y\n");
  reset();
  set(0, 0, 0, 0, ECHONL, ECHO);
  type("ECHONL without ECHO", "secret\n");
  reset();
  set(0, 0, 0, 0, 0, ECHO);
  type("no echo", "quiet\n");
  reset();
  set(IGNCR, 0, 0, 0, 0, 0);
  type("IGNCR", "a\rb\n");
  reset();
  set(INLCR, ICRNL, 0, 0, 0, ICANON);
  type("INLCR raw", "a\nb");
  reset();
  set(0, ICRNL, 0, 0, 0, 0);
  type("no ICRNL", "x\ry\n");
  reset();
  tcgetattr(s, &t);
  t.c_cc[VEOL] = '!';
  tcsetattr(s, TCSANOW, &t);
  type("VEOL", "hey!rest\n");
  show_read("  next", s, 200);
  reset();

  /* Output processing. */
  printf("-- output\n");
  put(s, "a\nb\tc\r\n");
  show_out("  ONLCR", m);
  set(0, 0, OCRNL | XTABS, 0, 0, 0);
  put(s, "a\rb\tc\n");
  show_out("  OCRNL XTABS", m);
  reset();
  set(0, 0, OLCUC, 0, 0, 0);
  put(s, "MiXed\n");
  show_out("  OLCUC", m);
  reset();
  set(0, 0, 0, OPOST, 0, 0);
  put(s, "raw\n");
  show_out("  no OPOST", m);
  reset();

  /* A line longer than the 4096-byte buffer: the last slot keeps being replaced, so the
   * newline still ends a (truncated) line. */
  set(0, 0, 0, 0, 0, ECHO);
  {
    static char longl[5001];
    memset(longl, 'a', 5000);
    longl[4999] = 'z';
    longl[5000] = '\n';
    SHOW("write long line", write(m, longl, 5001));
    usleep(100000);
    int k = -1;
    ioctl(s, FIONREAD, &k);
    printf("  FIONREAD %d\n", k);
    static char got[8192];
    struct pollfd pl = { s, POLLIN, 0 };
    poll(&pl, 1, 1000);
    int r = read(s, got, sizeof got);
    printf("  read %d, last %d, first %c\n", r, r > 0 ? got[r - 1] : -1, got[0]);
  }
  reset();

  /* Canonical FIONREAD counts complete lines only. */
  int n = -1;
  put(m, "part");
  drain(m, (char[64]){0}, 64, 100);
  SHOW("FIONREAD partial line", ioctl(s, FIONREAD, &n));
  printf("  n=%d\n", n);
  put(m, "ial\nnext");
  drain(m, (char[64]){0}, 64, 100);
  SHOW("FIONREAD with a line", ioctl(s, FIONREAD, &n));
  printf("  n=%d\n", n);
  SHOW("TCFLSH in", ioctl(s, TCFLSH, TCIFLUSH));
  SHOW("FIONREAD after flush", ioctl(s, FIONREAD, &n));
  printf("  n=%d\n", n);
  SHOW("TCFLSH bad", ioctl(s, TCFLSH, 7));
  SHOW("TCXONC bad", ioctl(s, TCXONC, 9));
  SHOW("TCXONC TCOON", ioctl(s, TCXONC, TCOON));
  SHOW("tcdrain", tcdrain(s));
  fcntl(s, F_SETFL, O_NONBLOCK);
  SHOW("nonblocking read, nothing", read(s, &n, 1));
  fcntl(s, F_SETFL, 0);

  /* Raw mode: VMIN/VTIME. */
  cfmakeraw(&t);
  tcgetattr(s, &t);
  cfmakeraw(&t);
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 0;
  SHOW("raw", tcsetattr(s, TCSANOW, &t));
  char b[64];
  SHOW("MIN 0 TIME 0 empty", read(s, b, sizeof b));
  put(m, "xy");
  drain(m, b, 0, 100);
  usleep(50000);
  SHOW("MIN 0 TIME 0 data", read(s, b, sizeof b));
  t.c_cc[VTIME] = 2;
  tcsetattr(s, TCSANOW, &t);
  struct timespec a;
  clock_gettime(CLOCK_MONOTONIC, &a);
  SHOW("MIN 0 TIME 2 empty", read(s, b, sizeof b));
  long el = ms_since(&a);
  REL("  waited ~200ms", el >= 150 && el < 1000);
  t.c_cc[VMIN] = 3;
  t.c_cc[VTIME] = 0;
  tcsetattr(s, TCSANOW, &t);
  put(m, "12");
  usleep(50000);
  struct pollfd p = { s, POLLIN, 0 };
  SHOW("poll below MIN", poll(&p, 1, 100));
  SHOW("FIONREAD below MIN", ioctl(s, FIONREAD, &n));
  printf("  n=%d\n", n);
  put(m, "34");
  SHOW("poll at MIN", poll(&p, 1, 1000));
  SHOW("MIN 3 read", read(s, b, sizeof b));
  t.c_cc[VMIN] = 5;
  t.c_cc[VTIME] = 2;
  tcsetattr(s, TCSANOW, &t);
  put(m, "ab");
  usleep(50000);
  clock_gettime(CLOCK_MONOTONIC, &a);
  SHOW("MIN 5 TIME 2 short", read(s, b, sizeof b));
  el = ms_since(&a);
  REL("  inter-byte timer", el >= 100 && el < 1000);
  SHOW("MIN 5 TIME 2 small buffer", (put(m, "cdefgh"), usleep(50000), read(s, b, 2)));
  tcflush(s, TCIFLUSH);
  t.c_cc[VMIN] = 1;
  t.c_cc[VTIME] = 0;
  t.c_oflag |= OPOST | ONLCR;
  tcsetattr(s, TCSANOW, &t);
  put(m, "\003\r");
  usleep(50000);
  SHOW("raw keeps ^C and CR", read(s, b, sizeof b));
  printf("  %d %d\n", b[0], b[1]);
  show_out("  raw echo", m);

  /* Window size. */
  struct winsize w = {0}, w2 = {0};
  SHOW("TIOCGWINSZ", ioctl(s, TIOCGWINSZ, &w));
  printf("  %d %d\n", w.ws_row, w.ws_col);
  w.ws_row = 40; w.ws_col = 132;
  SHOW("TIOCSWINSZ master", ioctl(m, TIOCSWINSZ, &w));
  SHOW("TIOCGWINSZ slave", ioctl(s, TIOCGWINSZ, &w2));
  printf("  %d %d\n", w2.ws_row, w2.ws_col);
  SHOW("TIOCSWINSZ EFAULT", ioctl(s, TIOCSWINSZ, (void *)8));

  /* TCSAFLUSH drops pending input. */
  put(m, "pending");
  usleep(50000);
  tcgetattr(s, &t);
  SHOW("TCSAFLUSH", tcsetattr(s, TCSAFLUSH, &t));
  SHOW("FIONREAD after TCSAFLUSH", ioctl(s, FIONREAD, &n));
  printf("  n=%d\n", n);
  struct pollfd pp;
  /* IXON: ^S stops output (a non-blocking write gets EAGAIN), ^Q restarts it. */
  tcsetattr(s, TCSANOW, &orig);
  put(m, "\023");
  usleep(100000);
  fcntl(s, F_SETFL, O_NONBLOCK);
  SHOW("write while stopped", write(s, "z", 1));
  pp = (struct pollfd){ s, POLLOUT, 0 };
  SHOW("POLLOUT while stopped", poll(&pp, 1, 0));
  put(m, "\021");
  usleep(100000);
  SHOW("write after ^Q", write(s, "z", 1));
  fcntl(s, F_SETFL, 0);
  show_out("  master got", m);

  /* Packet mode: data packets, and status bytes for flushes and flow control. */
  tcsetattr(s, TCSANOW, &orig);
  drain(m, b, sizeof b, 50);
  int one = 1, zero = 0, pk = -1;
  SHOW("TIOCPKT", ioctl(m, TIOCPKT, &one));
  SHOW("TIOCGPKT", ioctl(m, TIOCGPKT, &pk));
  printf("  packet %d\n", pk);
  put(s, "data");
  show_read("  data packet", m, 100);
  tcflush(s, TCIFLUSH);
  pp = (struct pollfd){ m, POLLIN | POLLPRI, 0 };
  SHOW("poll with status", poll(&pp, 1, 1000));
  printf("  revents %x\n", pp.revents);
  show_read("  TCIFLUSH status", m, 100);
  tcflush(s, TCOFLUSH);
  show_read("  TCOFLUSH status", m, 100);
  tcflow(s, TCOOFF);
  show_read("  TCOOFF status", m, 100);
  tcflow(s, TCOON);
  show_read("  TCOON status", m, 100);
  tcgetattr(s, &t);
  t.c_iflag &= ~IXON;
  tcsetattr(s, TCSANOW, &t);
  show_read("  IXON off status", m, 100);
  t.c_iflag |= IXON;
  tcsetattr(s, TCSANOW, &t);
  show_read("  IXON on status", m, 100);
  put(m, "ab\003");
  usleep(100000);
  show_read("  ^C status", m, 100);
  show_read("  ^C echo", m, 100);
  SHOW("TIOCPKT off", ioctl(m, TIOCPKT, &zero));
  put(s, "plain");
  show_read("  no packet", m, 100);
  close(s);
  close(m);
  return 0;
}
