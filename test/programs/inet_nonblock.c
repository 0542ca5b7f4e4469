/* Readiness and blocking on inet sockets: non-blocking connect (completion and refusal seen
 * through poll, epoll and SO_ERROR, and the connect calls that follow), epoll (level- and
 * edge-triggered) and select on listening and connected sockets, blocking reads woken by a
 * thread or another process, a signal during a blocking read (SA_RESTART), and the loopback
 * interface's ioctls.
 *
 * All over 127.0.0.1 with ephemeral ports; every wait is for a state the kernel guarantees
 * (poll/epoll with no timeout, blocking calls), never a sleep. */
#include "check.h"
#include "inet_util.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>

static int listener4(struct sockaddr_in *a, int flags) {
  int l = socket(AF_INET, SOCK_STREAM | flags, 0);
  *a = lo4(0);
  socklen_t len = sizeof *a;
  if (l < 0 || bind(l, SA(a), sizeof *a) < 0 || listen(l, 8) < 0 || getsockname(l, SA(a), &len) < 0) {
    perror("listener4");
    exit(97);
  }
  return l;
}

static const char *evs(unsigned e) {
  static char b[128];
  snprintf(b, sizeof b, "%s%s%s%s%s%s", e & EPOLLIN ? " IN" : "", e & EPOLLOUT ? " OUT" : "",
           e & EPOLLRDHUP ? " RDHUP" : "", e & EPOLLPRI ? " PRI" : "", e & EPOLLERR ? " ERR" : "",
           e & EPOLLHUP ? " HUP" : "");
  return b;
}

static void pollshow(const char *label, int fd) {
  struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0 };
  int n = poll(&p, 1, 0);
  printf("%s: n=%d%s\n", label, n, evs(p.revents));
}

/* Waits (no timeout) for events on one fd through epoll and prints what came. */
static void epoll_show(const char *label, int ep, int timeout) {
  struct epoll_event ev[4];
  int n = epoll_wait(ep, ev, 4, timeout);
  printf("%s: n=%d", label, n);
  for (int i = 0; i < n; i++) printf(" [data %d%s]", (int)ev[i].data.u32, evs(ev[i].events));
  printf("\n");
}

static void nonblocking_connect(void) {
  printf("-- non-blocking connect\n");
  struct sockaddr_in la;
  int l = listener4(&la, 0);
  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  errno = 0;
  int r = connect(c, SA(&la), sizeof la);
  printf("connect: EINPROGRESS or 0: %d\n", r == 0 || errno == EINPROGRESS);
  struct pollfd p = { c, POLLOUT, 0 };
  NSHOW("poll POLLOUT", poll(&p, 1, -1));
  printf("revents%s\n", evs(p.revents));
  printf("SO_ERROR %d\n", geti(c, SOL_SOCKET, SO_ERROR));
  struct sockaddr_in pa;
  socklen_t pl = sizeof pa;
  NSHOW("getpeername", getpeername(c, SA(&pa), &pl));
  printf("peer is the listener: %d\n", pa.sin_port == la.sin_port && pa.sin_addr.s_addr == la.sin_addr.s_addr);
  /* the connect call after completion: Linux reports success once (moving the socket to
   * connected), then EISCONN */
  if (r != 0) NSHOW("connect after completion", connect(c, SA(&la), sizeof la));
  else printf("connect after completion: 0\n");
  NSHOW("connect once more", connect(c, SA(&la), sizeof la));
  int a = accept(l, NULL, NULL);
  NSHOW("write", write(c, "nb", 2));
  char buf[64];
  NSHOW("read", recv(a, buf, 2, MSG_WAITALL));
  NSHOW("read empty nonblocking", read(c, buf, sizeof buf));
  close(a);
  close(c);

  /* the same through epoll (EPOLLOUT) */
  int ep = epoll_create1(EPOLL_CLOEXEC);
  c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  errno = 0;
  r = connect(c, SA(&la), sizeof la);
  printf("connect: EINPROGRESS or 0: %d\n", r == 0 || errno == EINPROGRESS);
  struct epoll_event ev = { EPOLLOUT, { .u32 = 7 } };
  NSHOW("epoll_ctl ADD", epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
  epoll_show("epoll_wait connecting", ep, -1);
  printf("SO_ERROR %d\n", geti(c, SOL_SOCKET, SO_ERROR));
  close(ep);
  close(c);
  close(accept(l, NULL, NULL));

  /* refused: poll sees ERR/HUP, SO_ERROR holds ECONNREFUSED once; the next connect, with the
   * error consumed, is ECONNABORTED; the one after starts afresh */
  int hold = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in ha = lo4(0);
  bind(hold, SA(&ha), sizeof ha);
  socklen_t hl = sizeof ha;
  getsockname(hold, SA(&ha), &hl);
  c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  errno = 0;
  r = connect(c, SA(&ha), sizeof ha);
  printf("connect to closed port: EINPROGRESS or ECONNREFUSED: %d\n", r == -1 && (errno == EINPROGRESS || errno == ECONNREFUSED));
  p.fd = c;
  p.events = POLLOUT;
  if (r == -1 && errno == EINPROGRESS) {
    poll(&p, 1, -1);
    printf("revents%s\n", evs(p.revents));
    printf("SO_ERROR %s\n", errname(geti(c, SOL_SOCKET, SO_ERROR)));
  } else {
    printf("revents OUT ERR HUP\nSO_ERROR ECONNREFUSED\n");
  }
  printf("SO_ERROR again %d\n", geti(c, SOL_SOCKET, SO_ERROR));
  NSHOW("connect after the error was read", connect(c, SA(&ha), sizeof ha));
  errno = 0;
  r = connect(c, SA(&ha), sizeof ha);
  printf("connect afresh: EINPROGRESS or ECONNREFUSED: %d\n", r == -1 && (errno == EINPROGRESS || errno == ECONNREFUSED));
  if (r == -1 && errno == EINPROGRESS) {
    poll(&p, 1, -1);
    /* this time connect itself collects the error */
    NSHOW("connect collects the error", connect(c, SA(&ha), sizeof ha));
  } else {
    printf("connect collects the error: -1 ECONNREFUSED\n");
  }
  close(c);
  close(hold);

  /* a blocking connect */
  c = socket(AF_INET, SOCK_STREAM, 0);
  NSHOW("blocking connect", connect(c, SA(&la), sizeof la));
  NSHOW("connect again", connect(c, SA(&la), sizeof la));
  printf("SO_ERROR %d\n", geti(c, SOL_SOCKET, SO_ERROR));
  close(c);
  close(accept(l, NULL, NULL));
  close(l);
}

static void readiness(void) {
  printf("-- epoll and select\n");
  struct sockaddr_in la;
  int l = listener4(&la, SOCK_NONBLOCK);
  char buf[256];
  NSHOW("accept nonblocking, none pending", accept(l, NULL, NULL));
  NSHOW("accept4 nonblocking, none pending", accept4(l, NULL, NULL, SOCK_CLOEXEC));
  pollshow("poll idle listener", l);
  int ep = epoll_create1(0);
  struct epoll_event ev = { EPOLLIN, { .u32 = 1 } };
  NSHOW("epoll_ctl ADD listener", epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
  epoll_show("epoll_wait idle", ep, 0);
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(l, &rs);
  struct timeval tv0 = { 0, 0 };
  NSHOW("select idle listener", select(l + 1, &rs, NULL, NULL, &tv0));
  int c = connect4(&la);
  /* the connection reaches the accept queue when the handshake's last ACK is processed, which
   * may be after connect returned: wait for it */
  epoll_show("epoll_wait pending connection", ep, -1);
  pollshow("poll listener with pending", l);
  FD_ZERO(&rs);
  FD_SET(l, &rs);
  NSHOW("select listener with pending", select(l + 1, &rs, NULL, NULL, NULL));
  printf("FD_ISSET %d\n", FD_ISSET(l, &rs) != 0);
  int a = accept4(l, NULL, NULL, SOCK_NONBLOCK);
  printf("accept4 nonblock %d\n", (fcntl(a, F_GETFL) & O_NONBLOCK) != 0);
  epoll_show("epoll_wait after accept", ep, 0);
  NSHOW("accept again", accept(l, NULL, NULL));

  /* a connected socket, level-triggered: in while data remains */
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u32 = 2;
  NSHOW("epoll_ctl ADD accepted", epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev));
  ev.events = EPOLLOUT;
  ev.data.u32 = 3;
  NSHOW("epoll_ctl ADD client EPOLLOUT", epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
  epoll_show("epoll_wait: client writable", ep, 0);
  NSHOW("epoll_ctl DEL client", epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL));
  NSHOW("epoll_ctl DEL listener", epoll_ctl(ep, EPOLL_CTL_DEL, l, NULL));
  epoll_show("epoll_wait nothing", ep, 0);
  NSHOW("write 10", write(c, "0123456789", 10));
  epoll_show("epoll_wait data", ep, -1);
  NSHOW("read 4", read(a, buf, 4));
  epoll_show("epoll_wait level: still", ep, 0);
  NSHOW("read rest", read(a, buf, sizeof buf));
  epoll_show("epoll_wait drained", ep, 0);
  NSHOW("read empty", read(a, buf, sizeof buf));

  /* edge-triggered: one event per arrival */
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u32 = 4;
  NSHOW("epoll_ctl MOD edge", epoll_ctl(ep, EPOLL_CTL_MOD, a, &ev));
  write(c, "abc", 3);
  epoll_show("epoll_wait edge", ep, -1);
  epoll_show("epoll_wait edge again", ep, 0);
  write(c, "def", 3);
  epoll_show("epoll_wait new edge", ep, -1);
  int q = -1;
  ioctl(a, FIONREAD, &q);
  printf("FIONREAD %d\n", q);
  NSHOW("read all", read(a, buf, sizeof buf));
  epoll_show("epoll_wait edge drained", ep, 0);

  /* one-shot: reported once, then disabled until EPOLL_CTL_MOD re-arms it */
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u32 = 6;
  NSHOW("epoll_ctl MOD oneshot", epoll_ctl(ep, EPOLL_CTL_MOD, a, &ev));
  write(c, "one", 3);
  epoll_show("epoll_wait oneshot", ep, -1);
  epoll_show("epoll_wait oneshot again (data still there)", ep, 0);
  NSHOW("epoll_ctl MOD re-arm", epoll_ctl(ep, EPOLL_CTL_MOD, a, &ev));
  epoll_show("epoll_wait re-armed", ep, 0);
  NSHOW("read", read(a, buf, sizeof buf));

  /* select for read and write */
  fd_set ws;
  FD_ZERO(&rs);
  FD_ZERO(&ws);
  FD_SET(a, &rs);
  FD_SET(c, &ws);
  int mx = (a > c ? a : c) + 1;
  NSHOW("select: client writable, nothing to read", select(mx, &rs, &ws, NULL, &tv0));
  printf("read set %d write set %d\n", FD_ISSET(a, &rs) != 0, FD_ISSET(c, &ws) != 0);
  write(c, "s", 1);
  FD_ZERO(&rs);
  FD_SET(a, &rs);
  NSHOW("select for read (no timeout)", select(mx, &rs, NULL, NULL, NULL));
  printf("read set %d\n", FD_ISSET(a, &rs) != 0);
  read(a, buf, sizeof buf);

  /* the peer's SHUT_WR: EPOLLRDHUP */
  ev.events = EPOLLIN | EPOLLRDHUP;
  ev.data.u32 = 5;
  epoll_ctl(ep, EPOLL_CTL_MOD, a, &ev);
  NSHOW("shutdown SHUT_WR", shutdown(c, SHUT_WR));
  epoll_show("epoll_wait peer shut", ep, -1);
  NSHOW("read EOF", read(a, buf, sizeof buf));
  /* close: the peer sees HUP once its own side is shut too */
  shutdown(a, SHUT_WR);
  struct pollfd p = { c, POLLIN, 0 };
  poll(&p, 1, -1);
  pollshow("poll both shut (client)", c);
  pollshow("poll both shut (accepted)", a);
  close(ep);
  close(a);
  close(c);
  close(l);
}

/* Non-blocking writes until EAGAIN, then a reader takes exactly what went in, and the writer
 * is writable again. FIONBIO and fcntl switch the mode. */
static void fill(void) {
  printf("-- fill and drain\n");
  struct sockaddr_in la;
  int l = listener4(&la, 0);
  int c = connect4(&la);
  int a = accept(l, NULL, NULL);
  int on = 1;
  NSHOW("FIONBIO on", ioctl(c, FIONBIO, &on));
  printf("O_NONBLOCK %d\n", (fcntl(c, F_GETFL) & O_NONBLOCK) != 0);
  char buf[256];
  NSHOW("read empty", read(c, buf, sizeof buf));
  int v = 8192;
  setsockopt(c, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  setsockopt(a, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  static char chunk[65536];
  memset(chunk, 'z', sizeof chunk);
  long total = 0;
  int e = 0;
  for (int i = 0; i < 100000; i++) {
    ssize_t n = write(c, chunk, sizeof chunk);
    if (n < 0) { e = errno; break; }
    total += n;
  }
  printf("filled some %d, stopped with %s\n", total > 0, errname(e));
  pid_t pid = fork();
  if (pid == 0) {
    /* the reader takes exactly what was written, blocking as needed */
    static char big[1 << 20];
    long left = total;
    while (left > 0) {
      ssize_t n = read(a, big, left < (long)sizeof big ? left : (long)sizeof big);
      if (n <= 0) _exit(1);
      left -= n;
    }
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  printf("reader took it all: %d\n", WIFEXITED(status) && WEXITSTATUS(status) == 0);
  struct pollfd p = { c, POLLOUT, 0 };
  NSHOW("poll POLLOUT", poll(&p, 1, -1));
  printf("revents%s\n", evs(p.revents));
  int q = -1;
  ioctl(a, FIONREAD, &q);
  printf("nothing left to read: %d\n", q == 0);
  on = 0;
  NSHOW("FIONBIO off", ioctl(c, FIONBIO, &on));
  printf("O_NONBLOCK %d\n", (fcntl(c, F_GETFL) & O_NONBLOCK) != 0);
  NSHOW("F_SETFL O_NONBLOCK", fcntl(a, F_SETFL, O_NONBLOCK));
  NSHOW("read empty", read(a, buf, sizeof buf));
  NSHOW("recv MSG_WAITALL on a non-blocking socket", recv(a, buf, sizeof buf, MSG_WAITALL));
  write(c, "12345", 5);
  p.fd = a;
  p.events = POLLIN;
  poll(&p, 1, -1);
  NSHOW("recv MSG_WAITALL 10 with 5 there (non-blocking)", recv(a, buf, 10, MSG_WAITALL));
  close(a);
  close(c);
  close(l);
}

struct reader {
  int fd;
  long got;
  char buf[16];
};
static void *reader_main(void *arg) {
  struct reader *r = arg;
  r->got = recv(r->fd, r->buf, 10, MSG_WAITALL);
  return NULL;
}

static volatile int got_usr1;
static void on_usr1(int s) { (void)s; got_usr1++; }

static void blocking(void) {
  printf("-- blocking\n");
  struct sockaddr_in la;
  int l = listener4(&la, 0);
  int c = connect4(&la);
  int a = accept(l, NULL, NULL);
  char buf[64];

  /* a thread blocks in recv while this one goes on making calls, then writes */
  struct reader rd = { a, -2, { 0 } };
  pthread_t th;
  pthread_create(&th, NULL, reader_main, &rd);
  int ok = 1;
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  for (int i = 0; i < 50; i++) {
    if (write(sv[0], "p", 1) != 1 || read(sv[1], buf, 1) != 1) ok = 0;
  }
  close(sv[0]);
  close(sv[1]);
  printf("main thread kept running: %d\n", ok);
  NSHOW("write 6", write(c, "thread", 6));
  NSHOW("write 4", write(c, "-end", 4));
  pthread_join(th, NULL);
  printf("thread's recv %ld %.10s\n", rd.got, rd.buf);

  /* ping-pong with a child process: each blocks in read for the other's write */
  pid_t pid = fork();
  if (pid == 0) {
    close(a);
    for (int i = 0; i < 200; i++) {
      char x;
      if (read(c, &x, 1) != 1) _exit(1);
      x++;
      if (write(c, &x, 1) != 1) _exit(2);
    }
    _exit(0);
  }
  char x = 0;
  ok = 1;
  for (int i = 0; i < 200; i++) {
    char y = (char)(i * 3);
    if (write(a, &y, 1) != 1 || read(a, &x, 1) != 1 || x != (char)(y + 1)) { ok = 0; break; }
  }
  int status;
  waitpid(pid, &status, 0);
  printf("ping-pong 200 rounds: %d child exit %d\n", ok, WIFEXITED(status) ? WEXITSTATUS(status) : -1);

  /* a signal (SA_RESTART) during a blocking read: the handler runs and the read goes on to
   * return the data that follows, whether the signal came before or during the wait */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  pid_t parent = getpid();
  pid = fork();
  if (pid == 0) {
    kill(parent, SIGUSR1);
    write(c, "after signal", 12);
    _exit(0);
  }
  memset(buf, 0, sizeof buf);
  NSHOW("read across SA_RESTART signal", recv(a, buf, 12, MSG_WAITALL));
  printf("data %s handler ran %d\n", buf, got_usr1);
  waitpid(pid, &status, 0);

  /* a reader is woken by data, then by the FIN of the peer's last close */
  pid = fork();
  if (pid == 0) {
    close(a);
    write(c, "bye", 3);
    _exit(0); /* the last reference to c goes: FIN after the data */
  }
  close(c);
  waitpid(pid, &status, 0);
  NSHOW("read data", recv(a, buf, 3, MSG_WAITALL));
  NSHOW("read EOF", read(a, buf, sizeof buf));
  close(a);
  close(l);
}

static void interfaces(void) {
  printf("-- interfaces\n");
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  NSHOW("SIOCGIFINDEX lo", ioctl(s, SIOCGIFINDEX, &ifr));
  printf("index %d\n", ifr.ifr_ifindex);
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  NSHOW("SIOCGIFFLAGS lo", ioctl(s, SIOCGIFFLAGS, &ifr));
  printf("IFF_UP %d IFF_LOOPBACK %d IFF_RUNNING %d\n", (ifr.ifr_flags & IFF_UP) != 0,
         (ifr.ifr_flags & IFF_LOOPBACK) != 0, (ifr.ifr_flags & IFF_RUNNING) != 0);
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  NSHOW("SIOCGIFADDR lo", ioctl(s, SIOCGIFADDR, &ifr));
  struct sockaddr_in *ia = (struct sockaddr_in *)&ifr.ifr_addr;
  printf("family %d loopback %d\n", ia->sin_family, ia->sin_addr.s_addr == htonl(INADDR_LOOPBACK));
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_ifindex = 1;
  NSHOW("SIOCGIFNAME 1", ioctl(s, SIOCGIFNAME, &ifr));
  printf("name %s\n", ifr.ifr_name);
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "nosuchif0");
  NSHOW("SIOCGIFINDEX nosuchif0", ioctl(s, SIOCGIFINDEX, &ifr));
  NSHOW("SIOCGIFINDEX bad pointer", ioctl(s, SIOCGIFINDEX, (void *)8));
  printf("if_nametoindex lo %u\n", if_nametoindex("lo"));
  char name[IF_NAMESIZE] = "";
  printf("if_indextoname 1 %s\n", if_indextoname(1, name) ? name : "(null)");
  /* glibc's if_nametoindex asks an AF_UNIX socket: Linux answers interface ioctls on a socket
   * of any family */
  int us = socket(AF_UNIX, SOCK_DGRAM, 0);
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  NSHOW("SIOCGIFINDEX lo on an AF_UNIX socket", ioctl(us, SIOCGIFINDEX, &ifr));
  printf("index %d\n", ifr.ifr_ifindex);
  close(us);
  struct { char b[64]; } tio;
  NSHOW("TCGETS on a socket", ioctl(s, TCGETS, &tio));
  printf("isatty %d\n", isatty(s));
  close(s);
  int t = socket(AF_INET, SOCK_STREAM, 0);
  memset(&ifr, 0, sizeof ifr);
  strcpy(ifr.ifr_name, "lo");
  NSHOW("SIOCGIFINDEX lo on a TCP socket", ioctl(t, SIOCGIFINDEX, &ifr));
  printf("index %d\n", ifr.ifr_ifindex);
  close(t);
}

int main(void) {
  setup();
  signal(SIGPIPE, SIG_IGN);
  nonblocking_connect();
  readiness();
  fill();
  blocking();
  interfaces();
  return 0;
}
