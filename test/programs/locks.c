/* flock(2) and fcntl record locks (POSIX and OFD): conflicts across processes, sharing by
 * open file description, splitting/merging of ranges, release on close of any fd, F_GETLK
 * reports, argument errors, blocking waits (granted, interrupted by a signal, EDEADLK). */
#include "check.h"
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>

static int fd1;
static const char *path;

static void getlk(const char *label, int fd, int cmd, short type, long start, long len) {
  struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len, .l_pid = 0 };
  errno = 0;
  int r = fcntl(fd, cmd, &fl);
  if (r < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
  if (fl.l_type == F_UNLCK) printf("%s: unlocked\n", label);
  else printf("%s: type %d start %ld len %ld pid %s\n", label, fl.l_type, (long)fl.l_start, (long)fl.l_len,
              fl.l_pid == -1 ? "-1" : fl.l_pid == getppid() ? "parent" : fl.l_pid == getpid() ? "self" : "other");
}

static int setlk(int fd, int cmd, short type, short whence, long start, long len) {
  struct flock fl = { .l_type = type, .l_whence = whence, .l_start = start, .l_len = len, .l_pid = 0 };
  return fcntl(fd, cmd, &fl);
}

/* Runs fn in a child process (a different lock owner) and waits for it. */
static void in_child(void (*fn)(void)) {
  fflush(stdout);
  pid_t p = fork();
  if (p == 0) { fn(); fflush(stdout); _exit(0); }
  int st;
  waitpid(p, &st, 0);
}

static void child_probe1(void) {
  int fd = open(path, O_RDWR);
  getlk("child GETLK WR [5,6)", fd, F_GETLK, F_WRLCK, 5, 1);
  getlk("child GETLK RD [25,26)", fd, F_GETLK, F_RDLCK, 25, 1);
  getlk("child GETLK WR [25,26)", fd, F_GETLK, F_WRLCK, 25, 1);
  getlk("child GETLK WR [12,13)", fd, F_GETLK, F_WRLCK, 12, 1);
  SHOW("child SETLK WR [10,20)", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 10));
  SHOW("child SETLK WR [5,15) conflicts", setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, 10));
  SHOW("child SETLK RD [20,30) shares", setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 20, 10));
  SHOW("child OFD_SETLK RD [25,26) shares", setlk(fd, F_OFD_SETLK, F_RDLCK, SEEK_SET, 25, 1));
  SHOW("child OFD_SETLK WR [0,1) conflicts", setlk(fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1));
}

static void child_probe2(void) {
  int fd = open(path, O_RDWR);
  getlk("split: [3,4)", fd, F_GETLK, F_WRLCK, 3, 1);
  getlk("split: [2,3)", fd, F_GETLK, F_WRLCK, 2, 1);
  getlk("split: [5,6)", fd, F_GETLK, F_WRLCK, 5, 1);
}

static void child_probe3(void) {
  int fd = open(path, O_RDWR);
  getlk("merged: [4,5)", fd, F_GETLK, F_WRLCK, 4, 1);
}

static void child_probe4(void) {
  int fd = open(path, O_RDWR);
  getlk("converted RD probe [3,4)", fd, F_GETLK, F_RDLCK, 3, 1);
  getlk("converted WR probe [3,4)", fd, F_GETLK, F_WRLCK, 3, 1);
  getlk("converted WR probe [1,2)", fd, F_GETLK, F_WRLCK, 1, 1);
  getlk("converted WR probe [8,9)", fd, F_GETLK, F_WRLCK, 8, 1);
  getlk("negative len [45,46)", fd, F_GETLK, F_WRLCK, 45, 1);
  getlk("to EOF [1000,1001)", fd, F_GETLK, F_WRLCK, 1000, 1);
  getlk("SEEK_END lock [95,96)", fd, F_GETLK, F_WRLCK, 95, 1);
}

static void child_probe5(void) {
  int fd = open(path, O_RDWR);
  getlk("after close of another fd [3,4)", fd, F_GETLK, F_WRLCK, 3, 1);
  getlk("after close of another fd [1000,1001)", fd, F_GETLK, F_WRLCK, 1000, 1);
}

static void child_flock(void) {
  int fd = open(path, O_RDONLY);
  SHOW("child flock SH|NB on new open (parent holds EX)", flock(fd, LOCK_SH | LOCK_NB));
  SHOW("child flock EX on inherited fd (same description)", flock(fd1, LOCK_EX | LOCK_NB));
}

static void on_alarm(int s) { (void)s; }

static void arm_alarm(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: the wait ends with EINTR */
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval it = { { 0, 0 }, { 0, 100000 } };
  setitimer(ITIMER_REAL, &it, NULL);
}

int main(void) {
  setup();
  make_tmpdir("locks");
  path = tmp("f");
  char zeros[100] = { 0 };
  fd1 = open(path, O_RDWR | O_CREAT, 0644);
  SHOW("write 100", write(fd1, zeros, 100));

  /* ---- flock ---- */
  SHOW("flock bad fd", flock(-1, LOCK_SH));
  SHOW("flock op 0", flock(fd1, 0));
  SHOW("flock SH|EX", flock(fd1, LOCK_SH | LOCK_EX));
  SHOW("flock UN|NB (nothing held)", flock(fd1, LOCK_UN | LOCK_NB));
  int fd2 = open(path, O_RDONLY);
  int dupfd = dup(fd1);
  SHOW("flock EX fd1", flock(fd1, LOCK_EX));
  SHOW("flock EX again (same type)", flock(fd1, LOCK_EX));
  SHOW("flock EX|NB second description", flock(fd2, LOCK_EX | LOCK_NB));
  SHOW("flock SH|NB second description", flock(fd2, LOCK_SH | LOCK_NB));
  SHOW("flock EX|NB through dup", flock(dupfd, LOCK_EX | LOCK_NB));
  in_child(child_flock);
  SHOW("downgrade fd1 to SH", flock(fd1, LOCK_SH | LOCK_NB));
  SHOW("fd2 SH|NB now", flock(fd2, LOCK_SH | LOCK_NB));
  SHOW("fd1 upgrade EX|NB fails", flock(fd1, LOCK_EX | LOCK_NB));
  SHOW("fd2 EX|NB (fd1 lost its lock on the failed upgrade)", flock(fd2, LOCK_EX | LOCK_NB));
  SHOW("fd2 UN", flock(fd2, LOCK_UN));
  SHOW("fd1 EX|NB", flock(fd1, LOCK_EX | LOCK_NB));
  SHOW("close fd1 (dup still open)", close(fd1));
  SHOW("fd2 SH|NB still blocked", flock(fd2, LOCK_SH | LOCK_NB));
  SHOW("close dup (last reference)", close(dupfd));
  SHOW("fd2 SH|NB after last close", flock(fd2, LOCK_SH | LOCK_NB));
  int pfd = open(path, O_PATH);
  SHOW("flock on O_PATH", flock(pfd, LOCK_SH));
  close(pfd);
  /* flock and fcntl locks do not interact */
  fd1 = open(path, O_RDWR);
  SHOW("fcntl WR beside flock SH", setlk(fd1, F_SETLK, F_WRLCK, SEEK_SET, 0, 0));
  SHOW("unlock", setlk(fd1, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
  /* blocking flock interrupted by a signal */
  arm_alarm();
  SHOW("flock EX blocks, SIGALRM", flock(fd1, LOCK_EX));
  SHOW("fd2 UN", flock(fd2, LOCK_UN));
  close(fd2);

  /* ---- argument errors ---- */
  int ro = open(path, O_RDONLY), wo = open(path, O_WRONLY);
  SHOW("RDLCK on O_WRONLY", setlk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
  SHOW("WRLCK on O_RDONLY", setlk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
  SHOW("UNLCK on O_RDONLY", setlk(ro, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
  SHOW("negative start", setlk(fd1, F_SETLK, F_WRLCK, SEEK_SET, -1, 1));
  SHOW("SEEK_END before 0", setlk(fd1, F_SETLK, F_WRLCK, SEEK_END, -200, 1));
  SHOW("negative len past 0", setlk(fd1, F_SETLK, F_WRLCK, SEEK_SET, 5, -10));
  SHOW("bad whence", setlk(fd1, F_SETLK, F_WRLCK, 7, 0, 1));
  SHOW("bad type", setlk(fd1, F_SETLK, 7, SEEK_SET, 0, 1));
  getlk("GETLK type UNLCK", fd1, F_GETLK, F_UNLCK, 0, 1);
  SHOW("SETLK bad pointer", fcntl(fd1, F_SETLK, (void *)8));
  struct flock bad = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 5 };
  SHOW("OFD_SETLK l_pid 5", fcntl(fd1, F_OFD_SETLK, &bad));
  SHOW("OFD_GETLK l_pid 5", fcntl(fd1, F_OFD_GETLK, &bad));
  SHOW("SETLK l_pid ignored", fcntl(fd1, F_SETLK, &bad));
  SHOW("lock at a huge offset", setlk(fd1, F_SETLK, F_WRLCK, SEEK_SET, 0x7000000000000000L, 16));
  SHOW("lock up to OFFSET_MAX", setlk(fd1, F_SETLK, F_WRLCK, SEEK_SET, 0x7ffffffffffffff0L, 16));
  SHOW("lock past OFFSET_MAX", setlk(fd1, F_SETLK, F_WRLCK, SEEK_SET, 0x7ffffffffffffff0L, 17));
  SHOW("SEEK_END start past OFFSET_MAX", setlk(fd1, F_SETLK, F_WRLCK, SEEK_END, 0x7fffffffffffffffL, 1));
  SHOW("unlock all", setlk(fd1, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
  close(ro);
  close(wo);

  /* ---- POSIX record locks between processes ---- */
  SHOW("WR [0,10)", setlk(fd1, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
  SHOW("RD [20,30)", setlk(fd1, F_SETLK, F_RDLCK, SEEK_SET, 20, 10));
  getlk("own locks never conflict", fd1, F_GETLK, F_WRLCK, 0, 100);
  in_child(child_probe1);
  SHOW("unlock [3,5)", setlk(fd1, F_SETLK, F_UNLCK, SEEK_SET, 3, 2));
  in_child(child_probe2);
  SHOW("WR [3,5) again", setlk(fd1, F_SETLK, F_WRLCK, SEEK_SET, 3, 2));
  in_child(child_probe3);
  SHOW("RD [2,4) inside WR", setlk(fd1, F_SETLK, F_RDLCK, SEEK_SET, 2, 2));
  SHOW("WR start 50 len -10", setlk(fd1, F_SETLK, F_WRLCK, SEEK_SET, 50, -10));
  SHOW("WR from 1000 to EOF", setlk(fd1, F_SETLK, F_WRLCK, SEEK_SET, 1000, 0));
  SHOW("WR SEEK_END -5 len 1", setlk(fd1, F_SETLK, F_WRLCK, SEEK_END, -5, 1));
  in_child(child_probe4);
  int other = open(path, O_RDONLY);
  SHOW("close another fd of the file", close(other));
  in_child(child_probe5);

  /* ---- OFD locks ---- */
  int o1 = open(path, O_RDWR), o2 = open(path, O_RDWR);
  SHOW("OFD WR [0,10) on o1", setlk(o1, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10));
  SHOW("OFD WR [5,6) on o2 (same process)", setlk(o2, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1));
  SHOW("POSIX WR [5,6) (same process)", setlk(o2, F_SETLK, F_WRLCK, SEEK_SET, 5, 1));
  getlk("OFD_GETLK from o2", o2, F_OFD_GETLK, F_RDLCK, 0, 1);
  getlk("GETLK from o2", o2, F_GETLK, F_RDLCK, 9, 1);
  getlk("OFD_GETLK from o1 (own)", o1, F_OFD_GETLK, F_WRLCK, 0, 1);
  SHOW("close o2", close(o2));
  o2 = open(path, O_RDWR);
  SHOW("OFD still held after closing other fds", setlk(o2, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1));
  int o1d = dup(o1);
  SHOW("close o1 (dup remains)", close(o1));
  SHOW("still held", setlk(o2, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1));
  SHOW("close dup", close(o1d));
  SHOW("released with the description", setlk(o2, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 1));
  arm_alarm();
  int o3 = open(path, O_RDWR);
  SHOW("OFD_SETLKW blocks, SIGALRM", setlk(o3, F_OFD_SETLKW, F_WRLCK, SEEK_SET, 0, 10));
  close(o2);
  SHOW("OFD_SETLKW free", setlk(o3, F_OFD_SETLKW, F_WRLCK, SEEK_SET, 0, 10));
  close(o3);

  /* ---- blocking POSIX waits ---- */
  close(fd1);
  fd1 = open(path, O_RDWR);
  SHOW("parent WR [0,1)", setlk(fd1, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
  int sync[2], res[2];
  pipe(sync);
  pipe(res);
  fflush(stdout);
  pid_t c = fork();
  if (c == 0) {
    int fd = open(path, O_RDWR);
    write(sync[1], "x", 1);
    int r = setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
    int e = r < 0 ? errno : 0;
    write(res[1], &e, sizeof e);
    _exit(0);
  }
  char ch;
  read(sync[0], &ch, 1);
  usleep(50000);
  SHOW("parent unlocks", setlk(fd1, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
  int e;
  read(res[0], &e, sizeof e);
  printf("child SETLKW: %s\n", errname(e));
  waitpid(c, NULL, 0);

  arm_alarm();
  fflush(stdout);
  c = fork();
  if (c == 0) {
    int fd = open(path, O_RDWR);
    setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
    write(sync[1], "x", 1);
    pause();
    _exit(0);
  }
  read(sync[0], &ch, 1);
  SHOW("SETLKW blocked, SIGALRM", setlk(fd1, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1));
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);
  SHOW("SETLKW after the holder died", setlk(fd1, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1));

  /* with SA_RESTART the interrupted wait restarts and gets the lock once it is free */
  setlk(fd1, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
  struct sigaction sr;
  memset(&sr, 0, sizeof sr);
  sr.sa_handler = on_alarm;
  sr.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sr, NULL);
  fflush(stdout);
  c = fork();
  if (c == 0) {
    int fd = open(path, O_RDWR);
    setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
    write(sync[1], "x", 1);
    usleep(200000);
    _exit(0);
  }
  read(sync[0], &ch, 1);
  struct itimerval it2 = { { 0, 0 }, { 0, 50000 } };
  setitimer(ITIMER_REAL, &it2, NULL);
  SHOW("SETLKW with SA_RESTART across SIGALRM", setlk(fd1, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1));
  waitpid(c, NULL, 0);

  /* deadlock: parent holds A and child holds B; each then waits for the other. Exactly one
   * of the two waits fails with EDEADLK, whichever comes second. */
  setlk(fd1, F_SETLK, F_UNLCK, SEEK_SET, 0, 0);
  SHOW("parent WR A", setlk(fd1, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
  fflush(stdout);
  c = fork();
  if (c == 0) {
    int fd = open(path, O_RDWR);
    setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1);
    write(sync[1], "x", 1);
    int r = setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1);
    int e2 = r < 0 ? errno : 0;
    write(res[1], &e2, sizeof e2);
    _exit(0);
  }
  read(sync[0], &ch, 1);
  usleep(30000);
  int r = setlk(fd1, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1);
  int pe = r < 0 ? errno : 0;
  setlk(fd1, F_SETLK, F_UNLCK, SEEK_SET, 0, 1); /* let a waiting child through */
  read(res[0], &e, sizeof e);
  waitpid(c, NULL, 0);
  printf("EDEADLK count: %d\n", (pe == EDEADLK) + (e == EDEADLK));
  printf("other side: %s\n", pe == EDEADLK ? errname(e) : errname(pe));
  close(fd1);

  unlink(path);
  cleanup();
  return 0;
}
