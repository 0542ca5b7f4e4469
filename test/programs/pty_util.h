/* Helpers for the pseudo-terminal programs. On Linux the bytes written to one side of a pty
 * reach the other side's line discipline from a work queue, a moment later; so every read here
 * waits with poll until the other side has been quiet for a while, and prints the bytes with
 * control characters escaped. */
#ifndef TSV_PTY_UTIL_H
#define TSV_PTY_UTIL_H
#include "check.h"
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

/* Reads what fd delivers until it has been silent for quiet_ms (or n bytes). */
__attribute__((unused)) static int drain(int fd, char *buf, int n, int quiet_ms) {
  int got = 0;
  while (got < n) {
    struct pollfd p = { fd, POLLIN, 0 };
    int r = poll(&p, 1, quiet_ms);
    if (r <= 0 || !(p.revents & POLLIN)) break;
    int k = read(fd, buf + got, n - got);
    if (k <= 0) break;
    got += k;
  }
  return got;
}

__attribute__((unused)) static void show_bytes(const char *label, const char *b, int n) {
  printf("%s: %d \"", label, n);
  for (int i = 0; i < n; i++) {
    unsigned char c = b[i];
    if (c == '\n') printf("\\n");
    else if (c == '\r') printf("\\r");
    else if (c == '\b') printf("\\b");
    else if (c == '\\') printf("\\\\");
    else if (c < 32 || c >= 127) printf("\\x%02x", c);
    else putchar(c);
  }
  printf("\"\n");
}

/* Reads the master's pending output and prints it. */
__attribute__((unused)) static void show_out(const char *label, int m) {
  char b[512];
  int n = drain(m, b, sizeof b, 100);
  show_bytes(label, b, n);
}

/* One read from fd once it is readable (or after 2 s): what the reader gets in one call. */
__attribute__((unused)) static void show_read(const char *label, int fd, int n) {
  char b[512];
  struct pollfd p = { fd, POLLIN, 0 };
  poll(&p, 1, 2000);
  errno = 0;
  int r = read(fd, b, n);
  if (r < 0) printf("%s: -1 %s\n", label, errname(errno));
  else show_bytes(label, b, r);
}

__attribute__((unused)) static void put(int fd, const char *s) {
  if (write(fd, s, strlen(s)) != (ssize_t)strlen(s)) printf("short write\n");
}

/* A new pair: master (O_NOCTTY) and its unlocked slave's number. */
__attribute__((unused)) static int new_pty(int *slave_no) {
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  if (m < 0) { perror("posix_openpt"); exit(97); }
  if (grantpt(m) || unlockpt(m)) { perror("unlockpt"); exit(97); }
  unsigned n;
  if (ioctl(m, TIOCGPTN, &n)) { perror("TIOCGPTN"); exit(97); }
  *slave_no = n;
  return m;
}

__attribute__((unused)) static int open_slave(int no, int flags) {
  char path[64];
  snprintf(path, sizeof path, "/dev/pts/%d", no);
  return open(path, flags);
}

/* Waits for the state change of pid and prints it without the pid. */
__attribute__((unused)) static void show_wait(const char *label, pid_t pid, int flags) {
  int st = 0;
  pid_t r = waitpid(pid, &st, flags);
  if (r < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
  if (r == 0) { printf("%s: none\n", label); return; }
  if (WIFEXITED(st)) printf("%s: exited %d\n", label, WEXITSTATUS(st));
  else if (WIFSIGNALED(st)) printf("%s: killed by %d\n", label, WTERMSIG(st));
  else if (WIFSTOPPED(st)) printf("%s: stopped by %d\n", label, WSTOPSIG(st));
  else if (WIFCONTINUED(st)) printf("%s: continued\n", label);
}
#endif
