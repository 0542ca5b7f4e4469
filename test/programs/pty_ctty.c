/* Controlling terminals: acquisition on open and with TIOCSCTTY (steal rule), TIOCNOTTY,
 * TIOCGPGRP/TIOCSPGRP/TIOCGSID and their error paths, /dev/tty with and without a controlling
 * terminal, SIGTTIN/SIGTTOU for background groups (EIO when ignored), and SIGHUP to the
 * foreground group when the session leader exits. Every session is made with setsid() in a
 * child, so nothing depends on how the test itself was started. */
#include "pty_util.h"

static int m, no;

/* Runs f in a child and waits for it (children print; the parent only waits). */
static void in_child(const char *label, void (*f)(void)) {
  printf("== %s\n", label);
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) {
    f();
    fflush(stdout);
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) printf("child status %x\n", st);
}

static int gv;
static pid_t fork_print(void) {
  fflush(stdout);
  return fork();
}

static void bg_read(void) {
  setpgid(0, 0);
  char c;
  errno = 0;
  int r = read(gv, &c, 1);
  printf("  bg read: %d %s\n", r, errname(errno));
  fflush(stdout);
  _exit(0);
}

static void bg_write(void) {
  setpgid(0, 0);
  errno = 0;
  int r = write(gv, "w", 1);
  printf("  bg write: %d %s\n", r, errname(errno));
  fflush(stdout);
  _exit(0);
}

static void bg_tcsetattr(void) {
  setpgid(0, 0);
  struct termios t;
  tcgetattr(gv, &t);
  errno = 0;
  int r = tcsetattr(gv, TCSANOW, &t);
  printf("  bg tcsetattr: %d %s\n", r, errname(errno));
  fflush(stdout);
  _exit(0);
}

static void run_bg(const char *label, void (*f)(void), int ignore) {
  printf(" %s\n", label);
  pid_t g = fork_print();
  if (g == 0) {
    if (ignore) signal(ignore, SIG_IGN);
    f();
  }
  setpgid(g, g);
  show_wait("  state", g, WUNTRACED);
  kill(g, SIGKILL);
  waitpid(g, NULL, 0);
}

static void leader(void) {
  SHOW("setsid", setsid() > 0);
  SHOW("open /dev/tty without ctty", open("/dev/tty", O_RDWR));
  int s = open_slave(no, O_RDWR | O_NOCTTY);
  gv = s;
  SHOW("open /dev/tty after O_NOCTTY open", open("/dev/tty", O_RDWR));
  int v = 0;
  SHOW("TIOCGPGRP not ctty", ioctl(s, TIOCGPGRP, &v));
  SHOW("TIOCGSID not ctty", ioctl(s, TIOCGSID, &v));
  v = getpgrp();
  SHOW("TIOCSPGRP not ctty", ioctl(s, TIOCSPGRP, &v));
  SHOW("TIOCNOTTY not ctty", ioctl(s, TIOCNOTTY));
  SHOW("TIOCGPGRP via master, no session", ioctl(m, TIOCGPGRP, &v));
  printf("  pgrp %d\n", v);
  SHOW("TIOCGSID via master, no session", ioctl(m, TIOCGSID, &v));
  SHOW("TIOCSCTTY", ioctl(s, TIOCSCTTY, 0));
  SHOW("TIOCSCTTY again", ioctl(s, TIOCSCTTY, 0));
  SHOW("TIOCGPGRP", ioctl(s, TIOCGPGRP, &v));
  REL("  is our group", v == getpgrp());
  SHOW("TIOCGSID", ioctl(s, TIOCGSID, &v));
  REL("  is our session", v == getsid(0));
  SHOW("TIOCGPGRP EFAULT", ioctl(s, TIOCGPGRP, (void *)8));
  REL("tcgetpgrp", tcgetpgrp(s) == getpgrp());
  REL("tcgetsid", tcgetsid(s) == getsid(0));
  int t = open("/dev/tty", O_RDWR);
  REL("open /dev/tty", t >= 0);
  char name[64];
  REL("ttyname of /dev/tty", ttyname_r(t, name, sizeof name) == 0 && strcmp(name, "/dev/tty") == 0);
  printf("  /dev/tty nonblock: %d\n", (fcntl(t, F_GETFL) & O_NONBLOCK) != 0);
  put(t, "via /dev/tty\n");
  show_out("  master got", m);
  int no2, m2 = new_pty(&no2);
  int s2 = open_slave(no2, O_RDWR);
  SHOW("second terminal not acquired on open", ioctl(s2, TIOCGSID, &v));
  SHOW("TIOCSCTTY second terminal", ioctl(s2, TIOCSCTTY, 0));
  close(s2);
  close(m2);

  v = getppid() == 1 ? 1 : getpgid(getppid());
  SHOW("TIOCSPGRP other session", ioctl(s, TIOCSPGRP, &v));
  v = 0x3ffffff;
  SHOW("TIOCSPGRP no such group", ioctl(s, TIOCSPGRP, &v));
  v = -1;
  SHOW("TIOCSPGRP negative", ioctl(s, TIOCSPGRP, &v));
  SHOW("TIOCSPGRP EFAULT", ioctl(s, TIOCSPGRP, (void *)8));

  /* Background groups. */
  run_bg("read from background", bg_read, 0);
  run_bg("read from background, SIGTTIN ignored", bg_read, SIGTTIN);
  run_bg("write from background without TOSTOP", bg_write, 0);
  show_out("  master got", m);
  struct termios tio;
  tcgetattr(s, &tio);
  tio.c_lflag |= TOSTOP;
  tcsetattr(s, TCSANOW, &tio);
  run_bg("write from background with TOSTOP", bg_write, 0);
  run_bg("write with TOSTOP, SIGTTOU ignored", bg_write, SIGTTOU);
  show_out("  master got", m);
  run_bg("tcsetattr from background", bg_tcsetattr, 0);
  run_bg("tcsetattr from background, SIGTTOU ignored", bg_tcsetattr, SIGTTOU);
  tio.c_lflag &= ~TOSTOP;
  tcsetattr(s, TCSANOW, &tio);

  /* An orphaned background group: its reads fail with EIO (no SIGTTIN). */
  {
    int pp[2];
    if (pipe(pp)) return;
    pid_t b = fork_print();
    if (b == 0) {
      setpgid(0, 0);
      if (fork() == 0) {
        usleep(200000); /* until the group's parent is gone */
        char c;
        errno = 0;
        int r = read(s, &c, 1);
        char msg[64];
        int n = snprintf(msg, sizeof msg, "  orphaned bg read: %d %s\n", r, errname(errno));
        if (write(pp[1], msg, n) != n) _exit(1);
        _exit(0);
      }
      _exit(0);
    }
    close(pp[1]);
    waitpid(b, NULL, 0);
    char msg[64];
    int n = read(pp[0], msg, sizeof msg);
    printf("%.*s", n > 0 ? n : 0, msg);
    close(pp[0]);
  }

  /* Moving the foreground. */
  pid_t g = fork_print();
  if (g == 0) {
    setpgid(0, 0);
    pause();
    _exit(0);
  }
  setpgid(g, g);
  SHOW("tcsetpgrp to child group", tcsetpgrp(s, g));
  REL("  foreground is the child's group", tcgetpgrp(s) == g);
  signal(SIGTTOU, SIG_IGN);
  SHOW("tcsetpgrp back, from background (SIGTTOU ignored)", tcsetpgrp(s, getpgrp()));
  signal(SIGTTOU, SIG_DFL);
  kill(g, SIGKILL);
  waitpid(g, NULL, 0);

  /* A non-leader cannot take a terminal; another session can steal it with arg 1 (root). */
  g = fork_print();
  if (g == 0) {
    SHOW(" non-leader TIOCSCTTY", ioctl(s, TIOCSCTTY, 0));
    setsid();
    SHOW(" other session TIOCSCTTY", ioctl(s, TIOCSCTTY, 0));
    SHOW(" other session TIOCSCTTY steal", ioctl(s, TIOCSCTTY, 1));
    int sid = 0;
    ioctl(m, TIOCGSID, &sid);
    REL("  terminal now controls the thief's session", sid == getpid());
    fflush(stdout);
    _exit(0);
  }
  waitpid(g, NULL, 0);
  SHOW("open /dev/tty after the steal", open("/dev/tty", O_RDWR));
  SHOW("TIOCGSID via master after the thief exited", ioctl(m, TIOCGSID, &v));
  SHOW("TIOCSCTTY take back", ioctl(s, TIOCSCTTY, 0));

  /* TIOCNOTTY by the session leader: SIGHUP + SIGCONT to the foreground group (ours). */
  signal(SIGHUP, SIG_IGN);
  SHOW("TIOCNOTTY", ioctl(s, TIOCNOTTY));
  SHOW("open /dev/tty after TIOCNOTTY", open("/dev/tty", O_RDWR));
  SHOW("TIOCGPGRP after TIOCNOTTY", ioctl(s, TIOCGPGRP, &v));
  SHOW("TIOCGSID via master after TIOCNOTTY", ioctl(m, TIOCGSID, &v));
  close(s);
  close(t);
}

static int hup[2];
static void on_hup(int sig) {
  (void)sig;
  if (write(hup[1], "H", 1) != 1) _exit(8);
  _exit(0);
}

/* Acquisition on open; the leader's exit sends SIGHUP to the foreground group. */
static void acquire(void) {
  setsid();
  int s = open_slave(no, O_RDWR);
  int v = 0;
  SHOW("open without O_NOCTTY acquires", ioctl(s, TIOCGSID, &v));
  REL("  our session", v == getsid(0));
  pid_t g = fork_print();
  if (g == 0) {
    signal(SIGHUP, on_hup);
    setpgid(0, 0);
    if (write(hup[1], "R", 1) != 1) _exit(7);
    for (;;) pause();
  }
  setpgid(g, g);
  char c;
  if (read(hup[0], &c, 1) != 1) printf("no ready\n");
  SHOW("tcsetpgrp child", tcsetpgrp(s, g));
  /* Exit now: the child's group is in the foreground. */
}

static void non_leader_open(void) {
  int s = open_slave(no, O_RDWR);
  int v;
  SHOW("non-leader open does not acquire", ioctl(s, TIOCGSID, &v));
}

int main(void) {
  setup();
  m = new_pty(&no);
  in_child("leader", leader);
  in_child("non-leader open", non_leader_open);
  if (pipe(hup)) return 1;
  in_child("acquire and exit", acquire);
  char c = 0;
  struct pollfd p = { hup[0], POLLIN, 0 };
  poll(&p, 1, 3000);
  if (read(hup[0], &c, 1) != 1) c = '-';
  printf("foreground child after leader exit: %c\n", c);
  close(m);
  return 0;
}
