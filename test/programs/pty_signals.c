/* Signals from a terminal: ^C ^\ ^Z (ISIG) to the foreground group, with and without NOFLSH,
 * TIOCSIG, SIGWINCH on a size change (and not on an unchanged one), the default actions
 * (^Z stops, SIGCONT continues), and SIGHUP to the session leader when the master closes. The
 * child makes itself a session leader (setsid) so nothing depends on how the test was started. */
#include "pty_util.h"

static int rep[2], cmd[2];

static void on_sig(int sig) {
  char c = sig == SIGINT ? 'I' : sig == SIGQUIT ? 'Q' : sig == SIGTSTP ? 'Z' : sig == SIGWINCH ? 'W' :
           sig == SIGCONT ? 'C' : '?';
  if (write(rep[1], &c, 1) != 1) _exit(9);
}

static void child(int no, int m) {
  close(m);
  close(rep[0]);
  close(cmd[1]);
  setsid();
  int s = open_slave(no, O_RDWR);
  if (s < 0) _exit(3);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sig;
  int sigs[] = { SIGINT, SIGQUIT, SIGTSTP, SIGWINCH };
  for (int i = 0; i < 4; i++) sigaction(sigs[i], &sa, NULL);
  char c = 'R';
  if (write(rep[1], &c, 1) != 1) _exit(4);
  for (;;) {
    int r = read(cmd[0], &c, 1);
    if (r == 0) _exit(0);
    if (r < 0) continue; /* EINTR */
    if (c == 'd') {
      signal(SIGTSTP, SIG_DFL);
      signal(SIGINT, SIG_DFL);
      if (write(rep[1], "D", 1) != 1) _exit(5);
    }
  }
}

/* What the child reported within a moment ("" if nothing). */
static void reports(const char *label) {
  char b[16];
  int n = drain(rep[0], b, sizeof b, 300);
  printf("%s: \"%.*s\"\n", label, n, b);
}

int main(void) {
  setup();
  int no;
  int m = new_pty(&no);
  if (pipe(rep) || pipe(cmd)) return 1;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) child(no, m);
  close(rep[1]);
  close(cmd[0]);
  reports("child ready");
  int s2 = open_slave(no, O_RDWR | O_NOCTTY);
  int pg = -1;
  SHOW("TIOCGPGRP via master", ioctl(m, TIOCGPGRP, &pg));
  REL("  foreground group is the child's", pg == pid);
  SHOW("TIOCGSID via master", ioctl(m, TIOCGSID, &pg));
  REL("  session is the child's", pg == pid);
  SHOW("TIOCGPGRP on slave, not our ctty", ioctl(s2, TIOCGPGRP, &pg));

  put(m, "abc\003");
  reports("^C");
  show_out("  echo", m);
  int n = -1;
  put(m, "\n");
  usleep(50000);
  ioctl(s2, FIONREAD, &n);
  printf("  input after ^C and newline: %d\n", n);
  tcflush(s2, TCIFLUSH);
  show_out("  echo", m);
  put(m, "\034");
  reports("^\\");
  show_out("  echo", m);
  put(m, "\032");
  reports("^Z");
  show_out("  echo", m);

  struct termios t;
  tcgetattr(s2, &t);
  t.c_lflag |= NOFLSH;
  tcsetattr(s2, TCSANOW, &t);
  put(m, "xy\003\n");
  reports("^C with NOFLSH");
  usleep(50000);
  ioctl(s2, FIONREAD, &n);
  printf("  input kept: %d\n", n);
  tcflush(s2, TCIFLUSH);
  t.c_lflag &= ~(NOFLSH | ECHO);
  tcsetattr(s2, TCSANOW, &t);
  put(m, "\003");
  reports("^C without ECHO");
  show_out("  echo", m);
  t.c_lflag &= ~ISIG;
  t.c_lflag |= ECHO;
  tcsetattr(s2, TCSANOW, &t);
  put(m, "\003\n");
  reports("^C without ISIG");
  show_out("  echo", m);
  tcflush(s2, TCIFLUSH);
  t.c_lflag |= ISIG;
  t.c_cc[VINTR] = 'q';
  tcsetattr(s2, TCSANOW, &t);
  put(m, "q");
  reports("VINTR changed to q");
  show_out("  echo", m);
  t.c_cc[VINTR] = 3;
  tcsetattr(s2, TCSANOW, &t);

  SHOW("TIOCSIG", ioctl(m, TIOCSIG, SIGINT));
  reports("  child got");
  SHOW("TIOCSIG 0", ioctl(m, TIOCSIG, 0));
  SHOW("TIOCSIG 65", ioctl(m, TIOCSIG, 65));

  struct winsize w = { 30, 100, 0, 0 };
  SHOW("TIOCSWINSZ", ioctl(m, TIOCSWINSZ, &w));
  reports("  child got");
  SHOW("TIOCSWINSZ same size", ioctl(m, TIOCSWINSZ, &w));
  reports("  child got");
  w.ws_col = 101;
  SHOW("TIOCSWINSZ on slave", ioctl(s2, TIOCSWINSZ, &w));
  reports("  child got");

  /* Default actions. */
  if (write(cmd[1], "d", 1) != 1) return 1;
  reports("defaults set");
  /* The child's group is orphaned (its parent is in another session): a terminal stop
   * signal is discarded, not acted on (Linux's is_current_pgrp_orphaned). */
  put(m, "\032");
  usleep(300000);
  show_wait("^Z to an orphaned group", pid, WUNTRACED | WNOHANG);
  show_out("  echo", m);

  /* The master closes: the session leader gets SIGHUP (default: dies). */

  close(m);
  show_wait("master closed", pid, 0);
  show_read("slave after hangup", s2, 10);
  close(s2);
  return 0;
}
