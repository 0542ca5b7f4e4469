// fork + execve + waitpid of a static binary (this program itself, in its "child" mode, which
// exits at once), N times; prints nanoseconds per iteration. The path of /proc/self/exe is
// resolved once, so the loop measures fork, exec (ELF load) and exit/wait, not /proc.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static char self[4096];

static void one(void) {
  pid_t p = fork();
  if (p < 0) { perror("fork"); exit(1); }
  if (p == 0) {
    execl(self, "fork_exec", "child", (char *)NULL);
    _exit(127);
  }
  int st;
  if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) != 0) { fprintf(stderr, "bad child %#x\n", st); exit(1); }
}

int main(int argc, char **argv) {
  if (argc > 1 && !strcmp(argv[1], "child")) return 0;
  long n = argc > 1 ? atol(argv[1]) : 500;
  ssize_t l = readlink("/proc/self/exe", self, sizeof self - 1);
  if (l < 0) { perror("readlink /proc/self/exe"); return 1; }
  self[l] = 0;
  for (long i = 0; i < n / 10 + 1; i++) one(); // warm up
  double a = now_ns();
  for (long i = 0; i < n; i++) one();
  double b = now_ns();
  printf("%.1f\n", (b - a) / n);
  return 0;
}
