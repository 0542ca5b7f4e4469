/* pipe/pipe2 and ioctl (FIONBIO, FIOCLEX, FIONCLEX, ENOTTY). Everything happens in one process
 * (fork belongs to a later issue), so the pipe is written and read by the same thread and never
 * blocks: a full pipe is detected with O_NONBLOCK. SIGPIPE is ignored so writing to a pipe with
 * no reader yields EPIPE rather than killing the program. */
#include "check.h"
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>

int main(void) {
  setup();
  make_tmpdir("pipes");
  signal(SIGPIPE, SIG_IGN);
  int p[2];
  char buf[128];

  SHOW("pipe", pipe(p));
  SHOW("write end = read end + 1", p[1] - p[0]);
  printf("F_GETFL read end: %o\n", fcntl(p[0], F_GETFL));
  printf("F_GETFL write end: %o\n", fcntl(p[1], F_GETFL));
  SHOW("F_GETFD", fcntl(p[0], F_GETFD));
  SHOW("write 5", write(p[1], "hello", 5));
  SHOW("write 0", write(p[1], "", 0));
  memset(buf, 0, sizeof buf);
  SHOW("read 3", read(p[0], buf, 3));
  SHOW("read rest (short read)", read(p[0], buf + 3, sizeof buf));
  printf("  data: %s\n", buf);
  SHOW("read from write end", read(p[1], buf, 1));
  SHOW("write to read end", write(p[0], "x", 1));
  SHOW("lseek on pipe", lseek(p[0], 0, SEEK_SET));
  SHOW("pread on pipe", pread(p[0], buf, 1, 0));
  SHOW("pwrite on pipe", pwrite(p[1], buf, 1, 0));

  /* FIONBIO toggles O_NONBLOCK; an empty pipe then reads EAGAIN */
  int on = 1, off = 0;
  SHOW("ioctl FIONBIO on", ioctl(p[0], FIONBIO, &on));
  printf("  F_GETFL: %o\n", fcntl(p[0], F_GETFL));
  SHOW("read empty nonblocking", read(p[0], buf, 1));
  SHOW("ioctl FIONBIO off", ioctl(p[0], FIONBIO, &off));
  printf("  F_GETFL: %o\n", fcntl(p[0], F_GETFL));
  SHOW("ioctl FIONBIO bad pointer", syscall(SYS_ioctl, p[0], FIONBIO, (void *)1));
  /* FIOCLEX / FIONCLEX toggle the close-on-exec fd flag */
  SHOW("ioctl FIOCLEX", ioctl(p[0], FIOCLEX));
  SHOW("  F_GETFD", fcntl(p[0], F_GETFD));
  SHOW("ioctl FIONCLEX", ioctl(p[0], FIONCLEX));
  SHOW("  F_GETFD", fcntl(p[0], F_GETFD));

  /* the write end closed: read returns 0 (EOF) once drained */
  write(p[1], "z", 1);
  close(p[1]);
  SHOW("read after writer closed (data)", read(p[0], buf, sizeof buf));
  SHOW("read after writer closed (eof)", read(p[0], buf, sizeof buf));
  close(p[0]);

  /* pipe2 flags */
  SHOW("pipe2 O_CLOEXEC", pipe2(p, O_CLOEXEC));
  SHOW("  F_GETFD read end", fcntl(p[0], F_GETFD));
  SHOW("  F_GETFD write end", fcntl(p[1], F_GETFD));
  close(p[0]); close(p[1]);
  SHOW("pipe2 O_NONBLOCK", pipe2(p, O_NONBLOCK));
  printf("  F_GETFL read end: %o\n", fcntl(p[0], F_GETFL));
  SHOW("  read empty", read(p[0], buf, 1));
  /* fill the pipe: a non-blocking writer gets a short count then EAGAIN */
  static char big[1 << 20];
  long total = 0, r;
  while ((r = write(p[1], big, sizeof big)) > 0) total += r;
  printf("  fill ends with: %s\n", errname(errno));
  REL("  pipe holds at least 4096 bytes", total >= 4096);
  SHOW("  write 1 more to full pipe", write(p[1], "x", 1));
  /* no reader: EPIPE (SIGPIPE ignored) */
  close(p[0]);
  SHOW("  write with no reader", write(p[1], "x", 1));
  close(p[1]);
  SHOW("pipe2 O_DIRECT", pipe2(p, O_DIRECT));
  close(p[0]); close(p[1]);
  SHOW("pipe2 bad flags", pipe2(p, O_APPEND));
  SHOW("pipe2 O_RDWR rejected", pipe2(p, O_RDWR));
  SHOW("raw pipe bad pointer", syscall(SYS_pipe, (void *)1));
  SHOW("raw pipe2 bad pointer", syscall(SYS_pipe2, (void *)1, 0));

  /* ioctl on a regular file and on bad fds */
  put_file(tmp("f"), "x");
  int f = open(tmp("f"), O_RDWR);
  struct termios tio;
  struct winsize ws;
  SHOW("ioctl TCGETS regular file", ioctl(f, TCGETS, &tio));
  SHOW("ioctl TIOCGWINSZ regular file", ioctl(f, TIOCGWINSZ, &ws));
  SHOW("ioctl unknown request", ioctl(f, 0x12345678, 0));
  SHOW("ioctl FIONBIO regular file", ioctl(f, FIONBIO, &on));
  printf("  F_GETFL: %o\n", fcntl(f, F_GETFL));
  SHOW("ioctl FIOCLEX regular file", ioctl(f, FIOCLEX));
  SHOW("  F_GETFD", fcntl(f, F_GETFD));
  SHOW("ioctl bad fd", ioctl(999, FIOCLEX));
  SHOW("ioctl TCGETS bad fd", ioctl(999, TCGETS, &tio));
  int dn = open("/dev/null", O_RDWR);
  SHOW("ioctl TCGETS /dev/null", ioctl(dn, TCGETS, &tio));
  close(dn);
  SHOW("pipe TCGETS", ({ pipe(p); long x = ioctl(p[0], TCGETS, &tio); close(p[0]); close(p[1]); x; }));
  close(f);
  cleanup();
  return 0;
}
