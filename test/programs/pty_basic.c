/* Pseudo-terminals: ptmx, grantpt/unlockpt/ptsname, locked slaves, the slave node, TIOCGPTN/
 * TIOCGPTLCK/TIOCGPTPEER, data both ways, hangup when the master closes, EIO on the master when
 * every slave is closed, readiness on both ends, numbers reused. */
#include "pty_util.h"
#include <sys/epoll.h>

static int pollrev(int fd, int ev) {
  struct pollfd p = { fd, (short)ev, 0 };
  int r = poll(&p, 1, 200);
  return r < 0 ? -1 : p.revents;
}

int main(void) {
  setup();
  int m = posix_openpt(O_RDWR | O_NOCTTY);
  REL("posix_openpt", m >= 0);
  unsigned no = 0;
  SHOW("TIOCGPTN", ioctl(m, TIOCGPTN, &no));
  int lk = -1;
  SHOW("TIOCGPTLCK", ioctl(m, TIOCGPTLCK, &lk));
  printf("locked: %d\n", lk);
  char path[64];
  snprintf(path, sizeof path, "/dev/pts/%u", no);
  const char *pn = ptsname(m);
  REL("ptsname is /dev/pts/<TIOCGPTN>", pn && strcmp(pn, path) == 0);
  struct stat st;
  SHOW("stat slave while locked", stat(path, &st));
  REL("slave is a char device", S_ISCHR(st.st_mode));
  REL("slave owned by us", st.st_uid == getuid());
  REL("slave major 136", major(st.st_rdev) == 136 && minor(st.st_rdev) == no);
  SHOW("open locked slave", open(path, O_RDWR | O_NOCTTY));
  {
    DIR *dir = opendir("/dev/pts");
    REL("opendir /dev/pts", dir != NULL);
    int seen_ptmx = 0, seen_slave = 0;
    char want[16];
    snprintf(want, sizeof want, "%u", no);
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
      if (!strcmp(de->d_name, "ptmx")) seen_ptmx = de->d_type == DT_CHR;
      if (!strcmp(de->d_name, want)) seen_slave = de->d_type == DT_CHR;
    }
    if (dir) closedir(dir);
    REL("  lists ptmx", seen_ptmx);
    REL("  lists the slave", seen_slave);
  }
  SHOW("grantpt", grantpt(m));
  SHOW("unlockpt", unlockpt(m));
  SHOW("TIOCGPTLCK", ioctl(m, TIOCGPTLCK, &lk));
  printf("locked: %d\n", lk);
  int s = open(path, O_RDWR | O_NOCTTY);
  REL("open slave", s >= 0);
  REL("isatty master", isatty(m));
  REL("isatty slave", isatty(s));
  char name[64];
  SHOW("ttyname_r slave", ttyname_r(s, name, sizeof name));
  REL("ttyname is the path", strcmp(name, path) == 0);
  char link[64] = {0}, proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", s);
  SHOW("readlink fd", readlink(proc, link, sizeof link - 1) == (ssize_t)strlen(path));
  REL("fd link is the path", strcmp(link, path) == 0);
  SHOW("TIOCGPTN on slave", ioctl(s, TIOCGPTN, &no));
  SHOW("unknown ioctl", ioctl(s, 0x54ff, 0));
  SHOW("TIOCGPTN EFAULT", ioctl(m, TIOCGPTN, (void *)8));
  SHOW("lseek", lseek(s, 0, SEEK_SET));
  printf("poll master idle: %d\n", pollrev(m, POLLIN | POLLOUT));
  printf("poll slave idle: %d\n", pollrev(s, POLLIN | POLLOUT));

  /* master -> slave (canonical: one line per read), slave -> master (ONLCR). */
  put(m, "hello\nworld\n");
  show_read("slave read 1", s, 100);
  show_read("slave read 2", s, 100);
  show_out("echo", m);
  put(s, "out\n");
  show_read("master read", m, 100);
  int avail = -1;
  put(s, "abc");
  drain(m, name, 0, 100);
  pollrev(m, POLLIN);
  SHOW("FIONREAD master", ioctl(m, FIONREAD, &avail));
  printf("avail: %d\n", avail);
  show_out("rest", m);
  SHOW("TIOCOUTQ", ioctl(s, TIOCOUTQ, &avail));
  printf("outq: %d\n", avail);

  /* epoll on both ends. */
  int ep = epoll_create1(0);
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 }, evs[2];
  epoll_ctl(ep, EPOLL_CTL_ADD, m, &ev);
  ev.data.u32 = 2;
  epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
  SHOW("epoll idle", epoll_wait(ep, evs, 2, 50));
  put(s, "ping\n");
  SHOW("epoll after slave write", epoll_wait(ep, evs, 2, 2000));
  printf("  which %u events %x\n", evs[0].data.u32, evs[0].events);
  show_out("  master got", m);
  put(m, "pong\n");
  usleep(50000);
  show_out("  echo", m);
  SHOW("epoll after master write", epoll_wait(ep, evs, 2, 2000));
  printf("  which %u events %x\n", evs[0].data.u32, evs[0].events);
  show_read("  slave got", s, 100);
  close(ep);

  /* TIOCSTI (as root: any terminal), TIOCEXCL. */
  SHOW("TIOCSTI slave", ioctl(s, TIOCSTI, "x"));
  SHOW("TIOCSTI slave newline", ioctl(s, TIOCSTI, "\n"));
  show_read("  slave got", s, 100);
  show_out("  echo", m);
  SHOW("TIOCSTI master", ioctl(m, TIOCSTI, "q"));
  show_out("  master got", m);
  SHOW("TIOCSTI EFAULT", ioctl(s, TIOCSTI, (void *)8));
  int ex = -1;
  SHOW("TIOCGEXCL", ioctl(s, TIOCGEXCL, &ex));
  printf("  excl %d\n", ex);
  SHOW("TIOCEXCL", ioctl(s, TIOCEXCL));
  SHOW("TIOCGEXCL", ioctl(s, TIOCGEXCL, &ex));
  printf("  excl %d\n", ex);
  int s3 = open(path, O_RDWR | O_NOCTTY);
  REL("exclusive slave opens for root", s3 >= 0);
  close(s3);
  SHOW("TIOCNXCL", ioctl(s, TIOCNXCL));

  /* TIOCGPTPEER: the slave, opened from the master. */
  int p = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  REL("TIOCGPTPEER", p >= 0);
  SHOW("peer cloexec", fcntl(p, F_GETFD));
  REL("peer is the same tty", ttyname_r(p, name, sizeof name) == 0 && strcmp(name, path) == 0);
  close(p);

  /* Every slave closed: the master drains, then EIO; POLLHUP. */
  put(s, "bye\n");
  close(s);
  show_read("master after slave close", m, 100);
  show_read("master again", m, 100);
  printf("poll master: %d\n", pollrev(m, POLLIN | POLLOUT));
  s = open(path, O_RDWR | O_NOCTTY);
  REL("reopen slave", s >= 0);
  printf("poll master reopened: %d\n", pollrev(m, POLLIN));

  /* Master closed: the slave is hung up. */
  close(m);
  REL("node gone", stat(path, &st) == -1 && errno == ENOENT);
  printf("poll slave hung up: %d\n", pollrev(s, POLLIN | POLLOUT));
  show_read("slave read hung up", s, 100);
  SHOW("slave write hung up", write(s, "x", 1));
  struct termios tio;
  SHOW("TCGETS hung up", ioctl(s, TCGETS, &tio));
  SHOW("TIOCSPGRP hung up", ioctl(s, TIOCSPGRP, &avail));
  close(s);

  /* Numbers: the lowest free one is reused. */
  int a, b, c;
  int ma = new_pty(&a), mb = new_pty(&b);
  REL("second pair numbered after the first", b > a);
  close(ma);
  int mc = new_pty(&c);
  REL("freed number reused", c == a);
  close(mb);
  close(mc);
  SHOW("open /dev/pts/ptmx", (m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY)) >= 0);
  close(m);
  return 0;
}
