/* tsvisor-test: sandbox-only (driven by test/tty.test.mjs, which runs it natively too)
 *
 * An interactive busybox sh on a pseudo-terminal, driven like a person at a terminal: it opens
 * /dev/ptmx, starts `busybox sh -i` on the slave as a session leader with the slave as its
 * controlling terminal, types commands and reads the screen. Checks: a command's output, ^C
 * ending a foreground `sleep 100` (the prompt comes back, $? = 130), ^Z stopping one ($? =
 * 148), `stty size` following TIOCSWINSZ on the master, `tty`, and exit. Prints "NAME: ok" or
 * "NAME: FAIL" with what the screen showed. argv[1]: the busybox binary. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

static int m;
static char screen[65536];
static int len;

static long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Reads the master until needle appears (after `from`) or ms pass. */
static int wait_for(const char *needle, int ms) {
  long end = now_ms() + ms;
  for (;;) {
    screen[len] = 0;
    if (memmem(screen, len, needle, strlen(needle))) return 1;
    long left = end - now_ms();
    if (left <= 0) return 0;
    struct pollfd p = { m, POLLIN, 0 };
    if (poll(&p, 1, (int)left) <= 0) continue;
    int n = read(m, screen + len, sizeof screen - 1 - len);
    if (n <= 0) return 0;
    len += n;
  }
}

static void clear(void) { len = 0; }

static void type(const char *s) {
  if (write(m, s, strlen(s)) != (ssize_t)strlen(s)) perror("write");
}

static void report(const char *name, int ok) {
  if (ok) {
    printf("%s: ok\n", name);
  } else {
    printf("%s: FAIL, screen: \"", name);
    for (int i = 0; i < len; i++) {
      unsigned char c = screen[i];
      if (c >= 32 && c < 127 && c != '\\') putchar(c);
      else printf("\\x%02x", c);
    }
    printf("\"\n");
  }
  fflush(stdout);
}

/* Types a command and waits for `expect` and then the next prompt. */
static void step(const char *name, const char *cmd, const char *expect) {
  clear();
  type(cmd);
  int ok = wait_for(expect, 10000);
  if (ok) {
    char *at = memmem(screen, len, expect, strlen(expect));
    int off = at - screen + strlen(expect);
    memmove(screen, screen + off, len - off);
    len -= off;
    ok = wait_for("PS1> ", 10000);
  }
  report(name, ok);
}

int main(int argc, char **argv) {
  const char *busybox = argc > 1 ? argv[1] : "/bin/busybox";
  setvbuf(stdout, NULL, _IOLBF, 0);
  m = posix_openpt(O_RDWR | O_NOCTTY);
  if (m < 0 || grantpt(m) || unlockpt(m)) { perror("ptmx"); return 1; }
  struct winsize w = { 24, 80, 0, 0 };
  ioctl(m, TIOCSWINSZ, &w);
  char *slave = ptsname(m);
  char expect_tty[80];
  snprintf(expect_tty, sizeof expect_tty, "%s\r\n", slave);
  pid_t pid = fork();
  if (pid == 0) {
    setsid();
    int s = open(slave, O_RDWR);
    if (s < 0) { perror("open slave"); _exit(1); }
    dup2(s, 0); dup2(s, 1); dup2(s, 2);
    if (s > 2) close(s);
    close(m);
    char *env[] = { "PS1=PS1> ", "HOME=/", "PATH=/usr/bin:/bin", "TERM=dumb", NULL };
    execle(busybox, "sh", "-i", NULL, env);
    _exit(127);
  }
  report("prompt", wait_for("PS1> ", 15000));
  step("command output", "echo hel''lo $((6*7))\n", "hello 42\r\n");
  step("tty", "tty\n", expect_tty);
  step("stty size", "stty size\n", "24 80\r\n");

  clear();
  type("sleep 100\n");
  usleep(500000);
  type("\003");
  int ok = wait_for("^C", 5000) && wait_for("PS1> ", 5000);
  report("^C ends sleep", ok);
  step("status after ^C", "echo st=$?\n", "st=130\r\n");

  clear();
  type("sleep 100\n");
  usleep(500000);
  type("\032");
  ok = wait_for("PS1> ", 5000);
  report("^Z stops sleep", ok);
  step("status after ^Z", "echo st=$?\n", "st=148\r\n");
  clear();
  type("fg\n");
  ok = wait_for("sleep 100", 5000);
  usleep(500000);
  type("\003");
  ok = ok && wait_for("PS1> ", 5000);
  report("fg, then ^C", ok);
  step("status after fg and ^C", "echo st=$?\n", "st=130\r\n");
  clear();
  type("sleep 100\n");
  usleep(500000);
  type("\032");
  report("^Z again", wait_for("PS1> ", 5000));
  step("kill the stopped job", "kill -9 %1; sleep 0.2; echo killed\n", "killed\r\n");

  w.ws_row = 40;
  w.ws_col = 100;
  ioctl(m, TIOCSWINSZ, &w);
  step("stty size after resize", "stty size\n", "40 100\r\n");
  step("SIGWINCH trap", "trap 'echo winch-trapped' WINCH; kill -WINCH $$; echo done\n", "winch-trapped\r\n");

  clear();
  type("exit\n");
  int st = 0;
  long end = now_ms() + 10000;
  pid_t r = 0;
  while ((r = waitpid(pid, &st, WNOHANG)) == 0 && now_ms() < end) {
    char b[256];
    struct pollfd p = { m, POLLIN, 0 };
    if (poll(&p, 1, 100) > 0 && read(m, b, sizeof b) <= 0) usleep(10000);
  }
  report("exit", r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  return 0;
}
