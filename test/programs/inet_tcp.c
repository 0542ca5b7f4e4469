/* AF_INET/AF_INET6 SOCK_STREAM over loopback: socket/bind/listen/accept4/connect, names of both
 * ends, data (peek, waitall, dontwait, FIONREAD), a multi-megabyte transfer between processes,
 * shutdown and close semantics (EOF, ECONNRESET, EPIPE and SIGPIPE), the error cases of every
 * call (refused, in use, bad lengths, bad pointers, not a socket), options and IPv6.
 *
 * Everything binds 127.0.0.1 (or ::ffff:127.0.0.1, ::1) with port 0, so the native run (in the
 * host's network namespace) and the sandboxed one (in a fresh namespace with only loopback)
 * never collide; ports and addresses are never printed, only relations between them. Every
 * wait is on a blocking call or poll() for the state the next check needs: no sleeps. */
#include "check.h"
#include "inet_util.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <linux/sockios.h>

static volatile int got_pipe;
static void on_pipe(int s) { (void)s; got_pipe++; }

/* A listener on 127.0.0.1, ephemeral port; its address in *a. */
static int listener4(struct sockaddr_in *a, int backlog) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  *a = lo4(0);
  socklen_t len = sizeof *a;
  if (l < 0 || bind(l, SA(a), sizeof *a) < 0 || listen(l, backlog) < 0 || getsockname(l, SA(a), &len) < 0) {
    perror("listener4");
    exit(97);
  }
  return l;
}

/* Waits for what poll reports by itself (POLLERR/POLLHUP): a reset or a full close arrived. */
static void wait_err_hup(int fd) {
  struct pollfd p = { fd, 0, 0 };
  poll(&p, 1, -1);
}

static void pollshow(const char *label, int fd) {
  struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0 };
  int n = poll(&p, 1, 0);
  printf("%s: n=%d%s%s%s%s%s\n", label, n, p.revents & POLLIN ? " IN" : "", p.revents & POLLOUT ? " OUT" : "",
         p.revents & POLLHUP ? " HUP" : "", p.revents & POLLRDHUP ? " RDHUP" : "", p.revents & POLLERR ? " ERR" : "");
}

#define BULK_UP (8 << 20)
#define BULK_DOWN (4 << 20)
static unsigned char pat(long i) { return (unsigned char)(i * 7 + (i >> 13)); }

static void basics(void) {
  printf("-- basics\n");
  int s = socket(AF_INET, SOCK_STREAM, 0);
  NOK("socket", s);
  printf("SO_TYPE %d SO_DOMAIN %d SO_PROTOCOL %d SO_ACCEPTCONN %d SO_ERROR %d\n", geti(s, SOL_SOCKET, SO_TYPE),
         geti(s, SOL_SOCKET, SO_DOMAIN), geti(s, SOL_SOCKET, SO_PROTOCOL), geti(s, SOL_SOCKET, SO_ACCEPTCONN),
         geti(s, SOL_SOCKET, SO_ERROR));
  int e = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  printf("explicit IPPROTO_TCP protocol %d\n", geti(e, SOL_SOCKET, SO_PROTOCOL));
  close(e);
  NSHOW("socket STREAM IPPROTO_UDP", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
  NSHOW("socket bad type", socket(AF_INET, 7, 0));
  NSHOW("socket bad flags", socket(AF_INET, SOCK_STREAM | 0x10, 0));
  int fl = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  printf("socket flags: cloexec %d nonblock %d\n", (fcntl(fl, F_GETFD) & FD_CLOEXEC) != 0,
         (fcntl(fl, F_GETFL) & O_NONBLOCK) != 0);
  printf("socket O_RDWR: %d\n", (fcntl(fl, F_GETFL) & O_ACCMODE) == O_RDWR);
  close(fl);
  struct stat st;
  fstat(s, &st);
  printf("fstat S_ISSOCK %d size %ld\n", S_ISSOCK(st.st_mode), (long)st.st_size);

  struct sockaddr_in a;
  socklen_t len = sizeof a;
  memset(&a, 0xaa, sizeof a);
  NSHOW("getsockname unbound", getsockname(s, SA(&a), &len));
  printf("unbound: len %d family %d port %d addr any %d\n", (int)len, a.sin_family, a.sin_port,
         a.sin_addr.s_addr == htonl(INADDR_ANY));
  len = sizeof a;
  NSHOW("getpeername unconnected", getpeername(s, SA(&a), &len));
  char buf[16];
  NSHOW("recv unconnected", recv(s, buf, sizeof buf, 0));
  NSHOW("send unconnected", send(s, "x", 1, MSG_NOSIGNAL));
  printf("sigpipe %d\n", got_pipe);
  NSHOW("write unconnected", write(s, "x", 1));
  printf("sigpipe %d\n", got_pipe);
  NSHOW("shutdown unconnected", shutdown(s, SHUT_RDWR));
  NSHOW("listen unbound (autobinds)", listen(s, 1));
  len = sizeof a;
  getsockname(s, SA(&a), &len);
  printf("autobound: port set %d addr any %d\n", a.sin_port != 0, a.sin_addr.s_addr == htonl(INADDR_ANY));
  close(s);

  s = socket(AF_INET, SOCK_STREAM, 0);
  a = lo4(0);
  NSHOW("bind 127.0.0.1:0", bind(s, SA(&a), sizeof a));
  struct sockaddr_in b;
  len = sizeof b;
  NSHOW("getsockname", getsockname(s, SA(&b), &len));
  printf("bound: len %d family %d port set %d loopback %d\n", (int)len, b.sin_family, b.sin_port != 0,
         b.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
  NSHOW("bind twice", bind(s, SA(&a), sizeof a));
  /* a short length: only that much of the name is written, the full length returned */
  unsigned char raw[32];
  memset(raw, 0xaa, sizeof raw);
  len = 4;
  NSHOW("getsockname len 4", getsockname(s, SA(raw), &len));
  printf("len %d byte4 untouched %d family ok %d\n", (int)len, raw[4] == 0xaa, raw[0] == AF_INET);
  len = 0;
  NSHOW("getsockname len 0", getsockname(s, SA(raw), &len));
  printf("len %d\n", (int)len);
  len = -1;
  NSHOW("getsockname len -1", getsockname(s, SA(raw), &len));
  NSHOW("getsockname bad addr", getsockname(s, (struct sockaddr *)8, &len));
  NSHOW("getsockname bad len ptr", getsockname(s, SA(raw), (socklen_t *)8));
  NSHOW("listen", listen(s, 4));
  printf("SO_ACCEPTCONN listening %d\n", geti(s, SOL_SOCKET, SO_ACCEPTCONN));
  NSHOW("listen again", listen(s, 8));
  NSHOW("connect on listener", connect(s, SA(&b), sizeof b));
  int q = -1;
  NSHOW("SIOCINQ listener", ioctl(s, SIOCINQ, &q));
  NSHOW("recv listener", recv(s, buf, 1, MSG_DONTWAIT));
  NSHOW("getpeername listener", getpeername(s, SA(&a), &len));
  close(s);
}

static void errors(void) {
  printf("-- errors\n");
  struct sockaddr_in a = lo4(0);
  int s = socket(AF_INET, SOCK_STREAM, 0);
  NSHOW("bind len 15", bind(s, SA(&a), 15));
  NSHOW("bind len 0", bind(s, SA(&a), 0));
  NSHOW("bind len -1", bind(s, SA(&a), -1));
  NSHOW("bind len 129", bind(s, SA(&a), 129));
  NSHOW("bind bad pointer", bind(s, (struct sockaddr *)8, sizeof a));
  struct sockaddr_in6 a6;
  memset(&a6, 0, sizeof a6);
  a6.sin6_family = AF_INET6;
  NSHOW("bind AF_INET6 address on AF_INET socket", bind(s, SA(&a6), sizeof a6));
  struct sockaddr_in u = lo4(0);
  u.sin_family = AF_UNSPEC;
  NSHOW("bind AF_UNSPEC 127.0.0.1", bind(s, SA(&u), sizeof u));
  struct sockaddr_in na = lo4(0);
  na.sin_addr.s_addr = inet_addr("192.0.2.77"); /* TEST-NET-1: not ours */
  NSHOW("bind foreign address", bind(s, SA(&na), sizeof na));
  NSHOW("connect len 15", connect(s, SA(&a), 15));
  NSHOW("connect len 1", connect(s, SA(&a), 1));
  NSHOW("connect bad pointer", connect(s, (struct sockaddr *)8, sizeof a));
  NSHOW("connect AF_INET6 address", connect(s, SA(&a6), sizeof a6));
  NSHOW("accept unlistening", accept(s, NULL, NULL));
  NSHOW("accept4 bad flags", accept4(s, NULL, NULL, 0x10));
  NSHOW("shutdown bad how", shutdown(s, 7));
  close(s);

  /* not sockets, no fds */
  int nul = open("/dev/null", O_RDWR);
  NSHOW("bind /dev/null", bind(nul, SA(&a), sizeof a));
  NSHOW("connect /dev/null", connect(nul, SA(&a), sizeof a));
  NSHOW("listen /dev/null", listen(nul, 1));
  NSHOW("accept /dev/null", accept(nul, NULL, NULL));
  int v = 1;
  NSHOW("setsockopt /dev/null", setsockopt(nul, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
  NSHOW("send /dev/null", send(nul, "x", 1, 0));
  close(nul);
  NSHOW("bind bad fd", bind(999, SA(&a), sizeof a));
  NSHOW("listen bad fd", listen(-1, 1));
  NSHOW("getsockname bad fd", getsockname(999, SA(&a), &(socklen_t){ sizeof a }));

  /* ECONNREFUSED: a bound, not listening, socket holds the port so nothing else can be there */
  int hold = socket(AF_INET, SOCK_STREAM, 0);
  a = lo4(0);
  bind(hold, SA(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(hold, SA(&a), &len);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  NSHOW("connect to closed port", connect(c, SA(&a), sizeof a));
  printf("SO_ERROR after refusal %d\n", geti(c, SOL_SOCKET, SO_ERROR));
  NSHOW("connect again", connect(c, SA(&a), sizeof a));
  close(c);

  /* EADDRINUSE: the held port, without and with SO_REUSEADDR */
  int s2 = socket(AF_INET, SOCK_STREAM, 0);
  NSHOW("bind port in use", bind(s2, SA(&a), sizeof a));
  close(s2);
  /* two sockets with SO_REUSEADDR may share a port until one listens */
  int r1 = socket(AF_INET, SOCK_STREAM, 0), r2 = socket(AF_INET, SOCK_STREAM, 0);
  v = 1;
  printf("SO_REUSEADDR default %d\n", geti(r1, SOL_SOCKET, SO_REUSEADDR));
  NSHOW("SO_REUSEADDR on", setsockopt(r1, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
  printf("SO_REUSEADDR now %d\n", geti(r1, SOL_SOCKET, SO_REUSEADDR));
  setsockopt(r2, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v);
  struct sockaddr_in ra = lo4(0);
  bind(r1, SA(&ra), sizeof ra);
  len = sizeof ra;
  getsockname(r1, SA(&ra), &len);
  NSHOW("reuseaddr bind same port", bind(r2, SA(&ra), sizeof ra));
  NSHOW("listen first", listen(r1, 1));
  NSHOW("listen second", listen(r2, 1));
  close(r1);
  close(r2);
  close(hold);

  /* a port below 1024 is open to root (the program runs as root in both runs); natively the
   * host may use some of them, so the first free one from 1023 down is taken */
  int lp = socket(AF_INET, SOCK_STREAM, 0);
  int r = -1, err = 0;
  for (int port = 1023; port >= 600; port--) {
    struct sockaddr_in pa = lo4(htons(port));
    r = bind(lp, SA(&pa), sizeof pa);
    err = errno;
    if (r == 0 || err != EADDRINUSE) break;
  }
  printf("bind port below 1024 as root: %d %s\n", r, r == 0 ? "" : errname(err));
  len = sizeof a;
  getsockname(lp, SA(&a), &len);
  printf("bound port below 1024: %d\n", ntohs(a.sin_port) < 1024 && a.sin_port != 0);
  close(lp);
}

static void options(int c, int a) {
  printf("-- options\n");
  printf("TCP_NODELAY default %d\n", geti(c, IPPROTO_TCP, TCP_NODELAY));
  int v = 1;
  NSHOW("TCP_NODELAY set", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v));
  printf("TCP_NODELAY now %d\n", geti(c, IPPROTO_TCP, TCP_NODELAY));
  v = 5;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v);
  printf("TCP_NODELAY 5 reads %d\n", geti(c, IPPROTO_TCP, TCP_NODELAY));
  v = 0;
  setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v);
  printf("TCP_NODELAY off %d\n", geti(c, IPPROTO_TCP, TCP_NODELAY));
  NSHOW("TCP_NODELAY short", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, 2));
  printf("SO_KEEPALIVE default %d\n", geti(c, SOL_SOCKET, SO_KEEPALIVE));
  v = 1;
  setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v);
  printf("SO_KEEPALIVE now %d\n", geti(c, SOL_SOCKET, SO_KEEPALIVE));
  v = 30;
  NSHOW("TCP_KEEPIDLE set", setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v));
  printf("TCP_KEEPIDLE now %d\n", geti(c, IPPROTO_TCP, TCP_KEEPIDLE));
  v = 10000;
  setsockopt(c, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  printf("SO_RCVBUF 10000 reads %d\n", geti(c, SOL_SOCKET, SO_RCVBUF));
  printf("SO_TYPE %d SO_DOMAIN %d SO_PROTOCOL %d SO_ACCEPTCONN %d SO_ERROR %d\n", geti(c, SOL_SOCKET, SO_TYPE),
         geti(c, SOL_SOCKET, SO_DOMAIN), geti(c, SOL_SOCKET, SO_PROTOCOL), geti(c, SOL_SOCKET, SO_ACCEPTCONN),
         geti(c, SOL_SOCKET, SO_ERROR));
  NSHOW("setsockopt SO_TYPE", setsockopt(c, SOL_SOCKET, SO_TYPE, &v, sizeof v));
  int x;
  socklen_t l = sizeof x;
  NSHOW("getsockopt unknown SOL_SOCKET", getsockopt(c, SOL_SOCKET, 9999, &x, &l));
  NSHOW("setsockopt unknown SOL_SOCKET", setsockopt(c, SOL_SOCKET, 9999, &v, sizeof v));
  NSHOW("getsockopt unknown IPPROTO_TCP", getsockopt(c, IPPROTO_TCP, 9999, &x, &l));
  NSHOW("setsockopt unknown IPPROTO_TCP", setsockopt(c, IPPROTO_TCP, 9999, &v, sizeof v));
  NSHOW("getsockopt bad len ptr", getsockopt(c, SOL_SOCKET, SO_TYPE, &x, (socklen_t *)8));
  l = sizeof x;
  NSHOW("getsockopt bad value ptr", getsockopt(c, SOL_SOCKET, SO_TYPE, (void *)8, &l));
  NSHOW("setsockopt bad value ptr", setsockopt(c, SOL_SOCKET, SO_REUSEADDR, (void *)8, sizeof v));
  l = 2;
  x = 0;
  NSHOW("SO_TYPE len 2", getsockopt(c, SOL_SOCKET, SO_TYPE, &x, &l));
  printf("SO_TYPE len 2: value %d len %d\n", x, (int)l);
  l = -1;
  NSHOW("SO_TYPE len -1", getsockopt(c, SOL_SOCKET, SO_TYPE, &x, &l));

  struct linger lg = { 7, 7 };
  l = sizeof lg;
  NSHOW("SO_LINGER get", getsockopt(c, SOL_SOCKET, SO_LINGER, &lg, &l));
  printf("linger %d %d len %d\n", lg.l_onoff, lg.l_linger, (int)l);
  lg.l_onoff = 1;
  lg.l_linger = 5;
  NSHOW("SO_LINGER set 1,5", setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
  memset(&lg, 0, sizeof lg);
  getsockopt(c, SOL_SOCKET, SO_LINGER, &lg, &l);
  printf("linger %d %d\n", lg.l_onoff, lg.l_linger);
  lg.l_onoff = 0;
  lg.l_linger = 0;
  NSHOW("SO_LINGER set 0,0", setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
  getsockopt(c, SOL_SOCKET, SO_LINGER, &lg, &l);
  printf("linger %d %d\n", lg.l_onoff, lg.l_linger);
  NSHOW("SO_LINGER short", setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, 4));

  /* SO_RCVTIMEO: 20 ms is a whole number of jiffies at any HZ, so Linux reads it back exactly */
  struct timeval tv = { 0, 20000 };
  NSHOW("SO_RCVTIMEO set", setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  memset(&tv, 0, sizeof tv);
  l = sizeof tv;
  NSHOW("SO_RCVTIMEO get", getsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, &l));
  printf("rcvtimeo %ld.%06ld len %d\n", (long)tv.tv_sec, (long)tv.tv_usec, (int)l);
  char buf[8];
  double t0 = now();
  NSHOW("recv with timeout", recv(a, buf, sizeof buf, 0));
  printf("waited at least 15ms: %d\n", now() - t0 >= 0.015);
  t0 = now();
  NSHOW("accept-side read with timeout", read(a, buf, sizeof buf));
  printf("waited at least 15ms: %d\n", now() - t0 >= 0.015);
  tv.tv_usec = 1000000;
  NSHOW("SO_RCVTIMEO usec 1e6", setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  NSHOW("SO_RCVTIMEO short", setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, 8));
  tv.tv_usec = 0;
  setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  l = sizeof tv;
  getsockopt(a, SOL_SOCKET, SO_SNDTIMEO, &tv, &l);
  printf("sndtimeo %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
}

/* Connection, names, data on one pair of sockets. */
static void connection(void) {
  printf("-- connection\n");
  struct sockaddr_in la;
  int l = listener4(&la, 8);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  NSHOW("connect", connect(c, SA(&la), sizeof la));
  NSHOW("connect again", connect(c, SA(&la), sizeof la));
  NSHOW("listen on connected", listen(c, 1));
  struct sockaddr_in b = lo4(0);
  NSHOW("bind connected", bind(c, SA(&b), sizeof b));
  struct sockaddr_in peer;
  memset(&peer, 0xaa, sizeof peer);
  socklen_t plen = sizeof peer;
  int a = accept4(l, SA(&peer), &plen, SOCK_CLOEXEC | SOCK_NONBLOCK);
  NOK("accept4", a);
  printf("accept4: addrlen %d cloexec %d nonblock %d\n", (int)plen, (fcntl(a, F_GETFD) & FD_CLOEXEC) != 0,
         (fcntl(a, F_GETFL) & O_NONBLOCK) != 0);
  struct sockaddr_in cname, cpeer, aname, apeer;
  socklen_t n1 = sizeof cname, n2 = sizeof cpeer, n3 = sizeof aname, n4 = sizeof apeer;
  NSHOW("getsockname client", getsockname(c, SA(&cname), &n1));
  NSHOW("getpeername client", getpeername(c, SA(&cpeer), &n2));
  NSHOW("getsockname accepted", getsockname(a, SA(&aname), &n3));
  NSHOW("getpeername accepted", getpeername(a, SA(&apeer), &n4));
  printf("lens %d %d %d %d\n", (int)n1, (int)n2, (int)n3, (int)n4);
  REL("accept's address == client name", same4(&peer, &cname));
  REL("accepted peer == client name", same4(&apeer, &cname));
  REL("client peer == accepted name", same4(&cpeer, &aname));
  REL("client peer == listener name", same4(&cpeer, &la));
  REL("client port ephemeral (!= listener)", cname.sin_port != 0 && cname.sin_port != la.sin_port);
  REL("client address loopback", cname.sin_family == AF_INET && cname.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
  printf("accepted: SO_ACCEPTCONN %d SO_ERROR %d\n", geti(a, SOL_SOCKET, SO_ACCEPTCONN), geti(a, SOL_SOCKET, SO_ERROR));

  char buf[64];
  NSHOW("recv nonblocking accepted, empty", recv(a, buf, sizeof buf, 0));
  NSHOW("recv MSG_DONTWAIT blocking client, empty", recv(c, buf, sizeof buf, MSG_DONTWAIT));
  NSHOW("read 0 bytes", read(c, buf, 0));
  NSHOW("write 0 bytes", write(c, buf, 0));
  int q = -1;
  NSHOW("FIONREAD empty", ioctl(a, FIONREAD, &q));
  printf("inq %d\n", q);
  NSHOW("write hello", write(c, "hello", 5));
  wait_in(a);
  q = -1;
  NSHOW("FIONREAD", ioctl(a, FIONREAD, &q));
  printf("inq %d\n", q);
  q = -1;
  NSHOW("SIOCINQ", ioctl(a, SIOCINQ, &q));
  printf("inq %d\n", q);
  memset(buf, 0, sizeof buf);
  NSHOW("recv MSG_PEEK 3", recv(a, buf, 3, MSG_PEEK));
  printf("peeked %s\n", buf);
  memset(buf, 0, sizeof buf);
  NSHOW("recv MSG_PEEK all", recv(a, buf, sizeof buf, MSG_PEEK));
  printf("peeked %s\n", buf);
  memset(buf, 0, sizeof buf);
  NSHOW("recv", recv(a, buf, sizeof buf, 0));
  printf("got %s\n", buf);
  NSHOW("recv again", recv(a, buf, sizeof buf, 0));

  /* a bad buffer: Linux copies nothing and consumes nothing */
  NSHOW("send bad buffer", send(c, (void *)8, 4, 0));
  write(c, "abc", 3);
  wait_in(a);
  NSHOW("recv into bad buffer", recv(a, (void *)8, 3, 0));
  NSHOW("data still there", recv(a, buf, sizeof buf, MSG_DONTWAIT));

  /* sendto with an address on a connected stream: the address is ignored */
  struct sockaddr_in other = lo4(htons(9));
  NSHOW("sendto with address on connected", sendto(c, "xy", 2, 0, SA(&other), sizeof other));
  wait_in(a);
  NSHOW("recvfrom", recvfrom(a, buf, sizeof buf, 0, SA(&peer), &plen));
  /* writev/readv */
  struct iovec iov[3] = { { "ab", 2 }, { "", 0 }, { "cdef", 4 } };
  NSHOW("writev", writev(c, iov, 3));
  /* MSG_WAITALL across several writes of the peer (a child writes them; the parent blocks) */
  pid_t pid = fork();
  if (pid == 0) {
    for (int i = 0; i < 6; i++) send(c, "0123456789", 10, 0);
    _exit(0);
  }
  fcntl(a, F_SETFL, fcntl(a, F_GETFL) & ~O_NONBLOCK);
  char rb[3][2];
  struct iovec riov[3] = { { rb[0], 2 }, { rb[1], 2 }, { rb[2], 2 } };
  NSHOW("readv 6", readv(a, riov, 3) == 6 ? 6 : -2);
  printf("readv got %.2s%.2s%.2s\n", rb[0], rb[1], rb[2]);
  NSHOW("recv MSG_WAITALL 60", recv(a, buf, 60, MSG_WAITALL));
  int status;
  waitpid(pid, &status, 0);
  printf("waitall data ok %d\n", !memcmp(buf, "01234567890123456789", 20) && !memcmp(buf + 50, "0123456789", 10));

  options(c, a);

  /* shutdown(SHUT_WR): the peer reads EOF, the other direction still works */
  write(c, "last", 4);
  NSHOW("shutdown SHUT_WR", shutdown(c, SHUT_WR));
  NSHOW("read before EOF", read(a, buf, sizeof buf));
  NSHOW("read EOF", read(a, buf, sizeof buf));
  NSHOW("read EOF again", read(a, buf, sizeof buf));
  pollshow("poll after peer SHUT_WR", a);
  NSHOW("write after SHUT_WR", write(c, "x", 1));
  printf("sigpipe %d\n", got_pipe);
  NSHOW("send MSG_NOSIGNAL after SHUT_WR", send(c, "x", 1, MSG_NOSIGNAL));
  printf("sigpipe %d\n", got_pipe);
  NSHOW("reverse direction write", write(a, "back", 4));
  NSHOW("reverse direction read", recv(c, buf, 4, MSG_WAITALL));
  NSHOW("shutdown SHUT_RD", shutdown(c, SHUT_RD));
  NSHOW("recv after SHUT_RD", recv(c, buf, sizeof buf, 0));
  close(c);
  close(a);

  /* write after the peer closed: the first write goes out and draws a reset; the next one
   * fails with EPIPE and SIGPIPE; with MSG_NOSIGNAL, no signal */
  c = connect4(&la);
  a = accept(l, NULL, NULL);
  printf("plain accept: cloexec %d nonblock %d\n", (fcntl(a, F_GETFD) & FD_CLOEXEC) != 0,
         (fcntl(a, F_GETFL) & O_NONBLOCK) != 0);
  close(a);
  wait_in(c);
  pollshow("poll after peer close", c);
  NSHOW("write to closed peer", write(c, "x", 1));
  wait_err_hup(c);
  pollshow("poll after reset", c);
  NSHOW("write after reset", write(c, "x", 1));
  printf("sigpipe %d\n", got_pipe);
  NSHOW("send MSG_NOSIGNAL", send(c, "x", 1, MSG_NOSIGNAL));
  printf("sigpipe %d\n", got_pipe);
  NSHOW("read after reset", read(c, buf, sizeof buf));
  printf("SO_ERROR %d\n", geti(c, SOL_SOCKET, SO_ERROR));
  close(c);

  /* the default SIGPIPE action kills */
  c = connect4(&la);
  a = accept(l, NULL, NULL);
  close(a);
  wait_in(c);
  write(c, "x", 1);
  wait_err_hup(c);
  pid = fork();
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);
    write(c, "x", 1);
    _exit(0);
  }
  waitpid(pid, &status, 0);
  printf("child killed by SIGPIPE: %d\n", WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
  close(c);

  /* close with unread data resets: the peer reads ECONNRESET once, then EOF */
  c = connect4(&la);
  a = accept(l, NULL, NULL);
  write(c, "unread", 6);
  wait_in(a);
  close(a);
  wait_err_hup(c);
  pollshow("poll after reset by unread close", c);
  printf("SO_ERROR %s\n", errname(geti(c, SOL_SOCKET, SO_ERROR)));
  NSHOW("read after SO_ERROR consumed", read(c, buf, sizeof buf));
  close(c);
  c = connect4(&la);
  a = accept(l, NULL, NULL);
  write(c, "unread", 6);
  wait_in(a);
  close(a);
  wait_err_hup(c);
  NSHOW("read after reset", read(c, buf, sizeof buf));
  NSHOW("read again", read(c, buf, sizeof buf));
  close(c);

  /* SO_LINGER 1,0: an abortive close */
  c = connect4(&la);
  a = accept(l, NULL, NULL);
  struct linger lg = { 1, 0 };
  setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(a);
  wait_err_hup(c);
  NSHOW("read after abortive close", read(c, buf, sizeof buf));
  close(c);

  /* accept with a bad address pointer: EFAULT, and the connection is gone */
  c = connect4(&la);
  NSHOW("accept bad addrlen pointer", accept(l, SA(&peer), (socklen_t *)8));
  close(c);
  /* a negative length is found after the accept too (Linux accepts, then fails the copy-out) */
  c = connect4(&la);
  plen = -1;
  NSHOW("accept negative addrlen", accept(l, SA(&peer), &plen));
  close(c);
  /* a non-blocking listener: nothing pending is EAGAIN; accepted sockets do not inherit it */
  fcntl(l, F_SETFL, O_NONBLOCK);
  NSHOW("accept nonblocking, none pending", accept(l, NULL, NULL));
  c = connect4(&la);
  wait_in(l);
  a = accept(l, NULL, NULL);
  printf("accepted from nonblocking listener: nonblock %d\n", (fcntl(a, F_GETFL) & O_NONBLOCK) != 0);
  plen = 4;
  memset(&peer, 0xaa, sizeof peer);
  close(a);
  close(c);
  c = connect4(&la);
  wait_in(l);
  a = accept(l, SA(&peer), &plen);
  printf("accept short addrlen: len %d family ok %d rest untouched %d\n", (int)plen, peer.sin_family == AF_INET,
         ((unsigned char *)&peer)[4] == 0xaa);
  close(a);
  close(c);
  close(l);
}

/* Out-of-band data, timeouts on accept and on a full send buffer, sendfile into a socket,
 * TCP_INFO, SO_PEERCRED (answered for any socket), a connect to 0.0.0.0. */
static void more(void) {
  printf("-- more\n");
  struct sockaddr_in la;
  int l = listener4(&la, 4);
  char buf[64];
  /* SO_RCVTIMEO bounds accept */
  struct timeval tv = { 0, 20000 };
  setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  NSHOW("accept with SO_RCVTIMEO, none pending", accept(l, NULL, NULL));
  tv.tv_usec = 0;
  setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  /* 0.0.0.0 as a destination means this host */
  struct sockaddr_in any = la;
  any.sin_addr.s_addr = htonl(INADDR_ANY);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  NSHOW("connect to 0.0.0.0", connect(c, SA(&any), sizeof any));
  struct sockaddr_in pa;
  socklen_t pl = sizeof pa;
  getpeername(c, SA(&pa), &pl);
  printf("peer address is loopback %d\n", pa.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
  int a = accept(l, NULL, NULL);

  /* TCP_INFO: an established connection */
  struct { unsigned char state, ca_state, retransmits, probes; char rest[252]; } ti;
  socklen_t tl = sizeof ti;
  NSHOW("TCP_INFO", getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &tl));
  printf("tcpi_state %d (ESTABLISHED %d) len > 100: %d\n", ti.state, TCP_ESTABLISHED, tl > 100);
  int lst = socket(AF_INET, SOCK_STREAM, 0);
  tl = sizeof ti;
  getsockopt(lst, IPPROTO_TCP, TCP_INFO, &ti, &tl);
  printf("unconnected tcpi_state %d (CLOSE %d)\n", ti.state, TCP_CLOSE);
  close(lst);
  /* SO_PEERCRED on a TCP socket: no credentials, but an answer */
  struct ucred uc = { 123, 123, 123 };
  socklen_t ul = sizeof uc;
  NSHOW("SO_PEERCRED on TCP", getsockopt(a, SOL_SOCKET, SO_PEERCRED, &uc, &ul));
  printf("ucred pid %d uid %d gid %d len %d\n", uc.pid, (int)uc.uid, (int)uc.gid, (int)ul);

  /* MSG_OOB: the urgent byte leaves the stream; SIOCATMARK says when the reader reaches it */
  NSHOW("send ab", send(c, "ab", 2, 0));
  NSHOW("send ! MSG_OOB", send(c, "!", 1, MSG_OOB));
  struct pollfd p = { a, POLLPRI, 0 };
  poll(&p, 1, -1);
  printf("POLLPRI %d\n", (p.revents & POLLPRI) != 0);
  int mark = -1;
  NSHOW("SIOCATMARK before reading", ioctl(a, SIOCATMARK, &mark));
  printf("at mark %d\n", mark);
  memset(buf, 0, sizeof buf);
  NSHOW("recv MSG_OOB", recv(a, buf, sizeof buf, MSG_OOB));
  printf("urgent byte %s\n", buf);
  NSHOW("recv MSG_OOB again", recv(a, buf, sizeof buf, MSG_OOB));
  memset(buf, 0, sizeof buf);
  NSHOW("recv normal", recv(a, buf, sizeof buf, 0));
  printf("normal data %s\n", buf);
  ioctl(a, SIOCATMARK, &mark);
  printf("at mark %d\n", mark);

  /* sendfile from a memfd into the socket; a child reads it */
  enum { SF = 300000 };
  int m = memfd_create("sf", 0);
  static unsigned char data[SF];
  for (int i = 0; i < SF; i++) data[i] = (unsigned char)(i * 11 + 5);
  if (write(m, data, SF) != SF) printf("memfd write failed\n");
  pid_t pid = fork();
  if (pid == 0) {
    static unsigned char got[SF];
    if (recv(a, got, SF, MSG_WAITALL) != SF) _exit(1);
    _exit(memcmp(got, data + 1000, SF - 1000) == 0 ? 0 : 2);
  }
  off_t off = 1000;
  NSHOW("sendfile", sendfile(c, m, &off, SF - 1000));
  printf("offset advanced to %ld\n", (long)off);
  NSHOW("sendfile at EOF", sendfile(c, m, &off, 10));
  /* the child waits for SF bytes: make up the difference */
  NSHOW("write the rest", write(c, data, 1000));
  int status;
  waitpid(pid, &status, 0);
  printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  close(m);

  /* SO_SNDTIMEO with small buffers the peer never drains: a big write returns what went out
   * when the time is up. (How much more a second one gets through depends on when the peer's
   * ACKs come back: only "timed out, with EAGAIN or a partial count" is certain.) */
  int v = 2048;
  setsockopt(a, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  v = 4096;
  setsockopt(c, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  tv.tv_usec = 20000;
  NSHOW("SO_SNDTIMEO set", setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
  memset(&tv, 0, sizeof tv);
  socklen_t tvl = sizeof tv;
  getsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, &tvl);
  printf("sndtimeo %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
  static char big[4 << 20];
  ssize_t w = write(c, big, sizeof big);
  printf("big write: partial %d\n", w > 0 && w < (ssize_t)sizeof big);
  double t0 = now();
  errno = 0;
  w = write(c, big, sizeof big);
  int e = errno;
  printf("second big write: EAGAIN or partial %d, after the timeout %d\n",
         (w == -1 && e == EAGAIN) || (w > 0 && w < (ssize_t)sizeof big), now() - t0 >= 0.015);
  close(a);
  close(c);
  close(l);
}

/* Megabytes both ways between processes: the child writes in odd-sized pieces, the parent reads
 * until EOF; then the parent writes one big buffer and the child takes it with one MSG_WAITALL. */
static void bulk(void) {
  printf("-- bulk\n");
  struct sockaddr_in la;
  int l = listener4(&la, 1);
  static unsigned char big[BULK_UP];
  pid_t pid = fork();
  if (pid == 0) {
    close(l);
    int c = connect4(&la);
    for (long i = 0; i < BULK_UP; i++) big[i] = pat(i);
    long off = 0, piece = 1;
    while (off < BULK_UP) {
      long n = piece < BULK_UP - off ? piece : BULK_UP - off;
      ssize_t w = write(c, big + off, n);
      if (w <= 0) _exit(10);
      off += w;
      piece = piece * 3 + 1;
      if (piece > (1 << 21)) piece = 4093;
    }
    if (shutdown(c, SHUT_WR) < 0) _exit(11);
    ssize_t r = recv(c, big, BULK_DOWN, MSG_WAITALL);
    if (r != BULK_DOWN) _exit(12);
    for (long i = 0; i < BULK_DOWN; i++) if (big[i] != pat(i + 3)) _exit(13);
    char x;
    if (read(c, &x, 1) != 0) _exit(14);
    _exit(0);
  }
  int a = accept(l, NULL, NULL);
  close(l);
  long have = 0;
  int good = 1;
  for (;;) {
    ssize_t n = read(a, big + have, (BULK_UP - have) < 100003 ? (BULK_UP - have) + 1 : 100003);
    if (n <= 0) break;
    have += n;
  }
  for (long i = 0; i < have; i++) if (big[i] != pat(i)) { good = 0; break; }
  printf("received %ld pattern ok %d\n", have, good);
  for (long i = 0; i < BULK_DOWN; i++) big[i] = pat(i + 3);
  NSHOW("one big write", write(a, big, BULK_DOWN));
  close(a);
  int status;
  waitpid(pid, &status, 0);
  printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static int same6(const struct sockaddr_in6 *x, const struct sockaddr_in6 *y) {
  return x->sin6_family == y->sin6_family && x->sin6_port == y->sin6_port &&
         !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr);
}

/* A v6 connection to `addr`; 0 when all its relations hold, -1 when the address is not there,
 * else the number of the first check that failed. */
static int v6pair(const struct in6_addr *addr) {
  int l = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 la;
  memset(&la, 0, sizeof la);
  la.sin6_family = AF_INET6;
  la.sin6_addr = *addr;
  socklen_t len = sizeof la;
  if (bind(l, SA(&la), sizeof la) < 0) return errno == EADDRNOTAVAIL ? -1 : 1;
  if (listen(l, 1) < 0 || getsockname(l, SA(&la), &len) < 0) return 2;
  if (len != sizeof la || la.sin6_port == 0 || memcmp(&la.sin6_addr, addr, sizeof *addr)) return 3;
  int c = socket(AF_INET6, SOCK_STREAM, 0);
  if (connect(c, SA(&la), sizeof la) < 0) return 4;
  struct sockaddr_in6 peer, cname, cpeer, aname, apeer;
  socklen_t pl = sizeof peer, n1 = sizeof cname, n2 = sizeof cpeer, n3 = sizeof aname, n4 = sizeof apeer;
  int a = accept(l, SA(&peer), &pl);
  if (a < 0 || pl != sizeof peer) return 5;
  if (getsockname(c, SA(&cname), &n1) || getpeername(c, SA(&cpeer), &n2) || getsockname(a, SA(&aname), &n3) ||
      getpeername(a, SA(&apeer), &n4))
    return 6;
  if (n1 != sizeof cname || n2 != n1 || n3 != n1 || n4 != n1) return 7;
  if (!same6(&peer, &cname) || !same6(&apeer, &cname) || !same6(&cpeer, &aname) || !same6(&cpeer, &la)) return 8;
  if (memcmp(&cname.sin6_addr, addr, sizeof *addr)) return 9;
  if (geti(c, SOL_SOCKET, SO_DOMAIN) != AF_INET6 || geti(a, SOL_SOCKET, SO_DOMAIN) != AF_INET6) return 10;
  char buf[8];
  if (write(c, "v6", 2) != 2 || recv(a, buf, 2, MSG_WAITALL) != 2 || memcmp(buf, "v6", 2)) return 11;
  close(c);
  if (read(a, buf, sizeof buf) != 0) return 12;
  close(a);
  close(l);
  return 0;
}

static void ipv6(void) {
  printf("-- ipv6\n");
  int s = socket(AF_INET6, SOCK_STREAM, 0);
  printf("SO_DOMAIN %d SO_TYPE %d SO_PROTOCOL %d\n", geti(s, SOL_SOCKET, SO_DOMAIN), geti(s, SOL_SOCKET, SO_TYPE),
         geti(s, SOL_SOCKET, SO_PROTOCOL));
  struct sockaddr_in6 a;
  socklen_t len = sizeof a;
  memset(&a, 0xaa, sizeof a);
  NSHOW("getsockname unbound", getsockname(s, SA(&a), &len));
  printf("len %d family %d any %d\n", (int)len, a.sin6_family, !memcmp(&a.sin6_addr, &in6addr_any, 16));
  struct sockaddr_in a4 = lo4(0);
  NSHOW("bind AF_INET address on AF_INET6 socket", bind(s, SA(&a4), sizeof a4));
  memset(&a, 0, sizeof a);
  a.sin6_family = AF_INET6;
  NSHOW("bind len 23", bind(s, SA(&a), 23));
  printf("IPV6_V6ONLY default %d\n", geti(s, IPPROTO_IPV6, IPV6_V6ONLY));
  int v = 1;
  NSHOW("IPV6_V6ONLY set", setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v));
  printf("IPV6_V6ONLY now %d\n", geti(s, IPPROTO_IPV6, IPV6_V6ONLY));
  /* a v6-only socket takes no v4-mapped address */
  struct sockaddr_in6 m;
  memset(&m, 0, sizeof m);
  m.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:127.0.0.1", &m.sin6_addr);
  NSHOW("v6only bind v4-mapped", bind(s, SA(&m), sizeof m));
  close(s);

  /* v4-mapped: a v6 listener and v6 client over IPv4 loopback (works whether or not the
   * namespace has IPv6 addresses) */
  int l = socket(AF_INET6, SOCK_STREAM, 0);
  NSHOW("bind ::ffff:127.0.0.1", bind(l, SA(&m), sizeof m));
  NSHOW("listen", listen(l, 2));
  len = sizeof m;
  getsockname(l, SA(&m), &len);
  printf("listener name: len %d family %d v4mapped %d\n", (int)len, m.sin6_family, IN6_IS_ADDR_V4MAPPED(&m.sin6_addr));
  s = socket(AF_INET6, SOCK_STREAM, 0);
  v = 1;
  setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v);
  NSHOW("v6only connect to v4-mapped", connect(s, SA(&m), sizeof m));
  close(s);
  int c = socket(AF_INET6, SOCK_STREAM, 0);
  NSHOW("connect v4-mapped", connect(c, SA(&m), sizeof m));
  struct sockaddr_in6 peer, cname, cpeer, aname;
  socklen_t pl = sizeof peer, n1 = sizeof cname, n2 = sizeof cpeer, n3 = sizeof aname;
  int a6 = accept(l, SA(&peer), &pl);
  NOK("accept", a6);
  getsockname(c, SA(&cname), &n1);
  getpeername(c, SA(&cpeer), &n2);
  getsockname(a6, SA(&aname), &n3);
  printf("lens %d %d %d %d\n", (int)pl, (int)n1, (int)n2, (int)n3);
  REL("accept's address == client name", same6(&peer, &cname));
  REL("client peer == accepted name", same6(&cpeer, &aname));
  REL("client peer == listener name", same6(&cpeer, &m));
  REL("client name v4-mapped", IN6_IS_ADDR_V4MAPPED(&cname.sin6_addr));
  NSHOW("write", write(c, "mapped", 6));
  char buf[16];
  NSHOW("read", recv(a6, buf, 6, MSG_WAITALL));
  close(c);
  close(a6);
  /* an AF_INET client reaches the v6 listener */
  struct sockaddr_in t4 = lo4(m.sin6_port);
  c = socket(AF_INET, SOCK_STREAM, 0);
  NSHOW("AF_INET client to v6 listener", connect(c, SA(&t4), sizeof t4));
  pl = sizeof peer;
  a6 = accept(l, SA(&peer), &pl);
  printf("accepted peer: len %d family %d v4mapped %d\n", (int)pl, peer.sin6_family, IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr));
  close(a6);
  close(c);
  close(l);

  /* ::1 exists only where the namespace has IPv6 (the sandbox's fresh one does; a host with
   * IPv6 disabled does not): the connection's relations are checked inside the program and
   * only the verdict is printed, the same in both cases. */
  int r = v6pair(&in6addr_loopback);
  fprintf(stderr, "::1 pair: %s\n", r < 0 ? "skipped, no ::1 here" : "ran"); /* stderr: not compared */
  printf("::1 pair: %s\n", r <= 0 ? "ok" : "FAILED");
  if (r > 0) printf("::1 pair failed at check %d\n", r);
}

/* Found by review: TCP's MSG_TRUNC discards and copies nothing; AF_UNSPEC binds of an
 * AF_INET socket are AF_INET ones, privileged ports included. */
static void review(void) {
  struct sockaddr_in a;
  int l = listener4(&a, 1);
  int c = connect4(&a);
  int s = accept(l, 0, 0);
  char secret[64];
  memset(secret, 'S', sizeof secret);
  NSHOW("write secret", write(c, secret, sizeof secret));
  wait_in(s);
  char buf[64];
  memset(buf, 0, sizeof buf);
  NSHOW("recv MSG_TRUNC on tcp", recv(s, buf, sizeof buf, MSG_TRUNC));
  int untouched = 1;
  for (unsigned i = 0; i < sizeof buf; i++) untouched &= buf[i] == 0;
  printf("buffer untouched: %d\n", untouched);
  NSHOW("then MSG_DONTWAIT", recv(s, buf, sizeof buf, MSG_DONTWAIT));
  close(s);
  close(c);
  close(l);
  /* The namespace's limit differs between hosts: print whether the answer follows it. */
  int start = 1024;
  FILE *f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r");
  if (f != NULL) {
    if (fscanf(f, "%d", &start) != 1) start = 1024;
    fclose(f);
  }
  pid_t p = fork();
  if (p == 0) {
    if (setgid(65534) || setuid(65534)) _exit(9);
    int u = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in b = lo4(htons(81));
    b.sin_family = AF_UNSPEC;
    b.sin_addr.s_addr = htonl(INADDR_ANY);
    errno = 0;
    int r = bind(u, SA(&b), sizeof b);
    printf("bind AF_UNSPEC :81 as nobody follows the limit: %d\n",
           81 < start ? (r == -1 && errno == EACCES) : r == 0);
    _exit(0);
  }
  int st;
  waitpid(p, &st, 0);
  printf("child: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(void) {
  setup();
  signal(SIGPIPE, on_pipe);
  basics();
  errors();
  connection();
  more();
  bulk();
  ipv6();
  review();
  return 0;
}
