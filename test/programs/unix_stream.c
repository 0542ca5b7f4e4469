/* AF_UNIX SOCK_STREAM between processes: listen/accept/connect, backlog, blocking and
 * non-blocking connect, data, shutdown and close semantics (EOF, ECONNRESET, EPIPE and
 * SIGPIPE), readiness of every state, options (SO_PEERCRED, timeouts, buffers), ioctls. */
#include "check.h"
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/sockios.h>

static volatile int got_pipe;
static void on_pipe(int s) { (void)s; got_pipe++; }
static void on_alrm(int s) { (void)s; }

static socklen_t mkaddr(struct sockaddr_un *a, const char *path) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  strncpy(a->sun_path, path, sizeof a->sun_path);
  return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static void pollshow(const char *label, int fd) {
  struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0 };
  int n = poll(&p, 1, 0);
  printf("%s: n=%d%s%s%s%s%s%s\n", label, n, p.revents & POLLIN ? " IN" : "", p.revents & POLLOUT ? " OUT" : "",
         p.revents & POLLHUP ? " HUP" : "", p.revents & POLLRDHUP ? " RDHUP" : "", p.revents & POLLERR ? " ERR" : "",
         p.revents & POLLNVAL ? " NVAL" : "");
}

static int connect_to(const char *path, int flags) {
  struct sockaddr_un a;
  socklen_t len = mkaddr(&a, path);
  int c = socket(AF_UNIX, SOCK_STREAM | flags, 0);
  if (connect(c, (struct sockaddr *)&a, len) < 0) {
    int e = errno;
    close(c);
    errno = e;
    return -1;
  }
  return c;
}

int main(void) {
  setup();
  signal(SIGPIPE, on_pipe);
  const char *dir = make_tmpdir("ustream");
  if (chdir(dir) < 0) return 99;
  struct sockaddr_un a;
  socklen_t len = mkaddr(&a, "srv");
  char buf[256];

  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  pollshow("poll fresh socket", l);
  SHOW("bind", bind(l, (struct sockaddr *)&a, len));
  SHOW("listen backlog 1", listen(l, 1));
  pollshow("poll idle listener", l);
  int nb = 0;
  SHOW("FIONREAD listener", ioctl(l, FIONREAD, &nb));
  SHOW("recv on listener", recv(l, buf, 1, 0));
  SHOW("send on listener", send(l, "x", 1, 0));
  SHOW("accept4 bad flags", accept4(l, NULL, NULL, 0x10));
  int lfl = fcntl(l, F_GETFL);
  fcntl(l, F_SETFL, lfl | O_NONBLOCK);
  SHOW("accept nonblocking empty", accept(l, NULL, NULL));
  fcntl(l, F_SETFL, lfl);

  /* backlog 1 holds two pending connections; a non-blocking third gets EAGAIN */
  int c1 = connect_to("srv", 0);
  SHOW("connect 1", c1 >= 0);
  pollshow("poll listener with pending", l);
  pollshow("poll connected client", c1);
  int c2 = connect_to("srv", 0);
  SHOW("connect 2", c2 >= 0);
  SHOW("connect 3 nonblocking", connect_to("srv", SOCK_NONBLOCK));
  /* SO_SNDTIMEO bounds a blocking connect on a full backlog */
  int ct = socket(AF_UNIX, SOCK_STREAM, 0);
  struct timeval tv = { 0, 200000 };
  SHOW("SO_SNDTIMEO", setsockopt(ct, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
  SHOW("connect 3 with timeout", connect(ct, (struct sockaddr *)&a, len));
  /* the client can write before being accepted */
  SHOW("write before accept", write(c1, "early", 5));
  int s1 = accept4(l, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  SHOW("accept4", s1 >= 0);
  printf("accepted cloexec %d nonblock %d\n", fcntl(s1, F_GETFD), (fcntl(s1, F_GETFL) & O_NONBLOCK) != 0);
  SHOW("read early data", read(s1, buf, sizeof buf));
  SHOW("connect 3 now fits", connect(ct, (struct sockaddr *)&a, len));

  /* a blocking connect waits until the listener makes room */
  pid_t pid = fork();
  if (pid == 0) {
    int c = connect_to("srv", 0);
    printf("child blocking connect: %d\n", c >= 0);
    write(c, "from child", 10);
    int pid_ok = 0; struct ucred uc; socklen_t ul = sizeof uc;
    getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &ul);
    pid_ok = uc.pid == getppid();
    printf("child: listener pid is parent: %d\n", pid_ok);
    _exit(0);
  }
  usleep(100000);
  int s2 = accept(l, NULL, NULL);
  int s3 = accept(l, NULL, NULL);
  int s4 = accept(l, NULL, NULL);
  int status;
  waitpid(pid, &status, 0);
  SHOW("accept 2,3,4", s2 >= 0 && s3 >= 0 && s4 >= 0);
  SHOW("read child data", read(s4, buf, sizeof buf));
  struct ucred uc;
  socklen_t ul = sizeof uc;
  SHOW("SO_PEERCRED accepted", getsockopt(s4, SOL_SOCKET, SO_PEERCRED, &uc, &ul));
  printf("peer pid == child pid: %d uid ok %d gid ok %d\n", uc.pid == pid, uc.uid == geteuid(), uc.gid == getegid());
  ul = sizeof uc;
  getsockopt(c1, SOL_SOCKET, SO_PEERCRED, &uc, &ul);
  printf("client sees listener pid == self: %d\n", uc.pid == getpid());
  int fresh = socket(AF_UNIX, SOCK_STREAM, 0);
  ul = sizeof uc;
  SHOW("SO_PEERCRED unconnected", getsockopt(fresh, SOL_SOCKET, SO_PEERCRED, &uc, &ul));
  printf("unconnected ucred %d %d %d len %d\n", uc.pid, (int)uc.uid, (int)uc.gid, (int)ul);
  ul = 8;
  SHOW("SO_PEERCRED short", getsockopt(s4, SOL_SOCKET, SO_PEERCRED, &uc, &ul));
  printf("short len %d\n", (int)ul);
  close(s4);

  /* data: peek, waitall, dontwait, FIONREAD/SIOCOUTQ */
  SHOW("send 10", send(c2, "0123456789", 10, 0));
  int q = 0;
  SHOW("SIOCINQ", ioctl(s2, SIOCINQ, &q));
  printf("inq %d\n", q);
  SHOW("SIOCOUTQ", ioctl(c2, SIOCOUTQ, &q));
  printf("outq > 0: %d\n", q > 0);
  SHOW("peek 4", recv(s2, buf, 4, MSG_PEEK));
  SHOW("recv 3", recv(s2, buf, 3, 0));
  buf[3] = 0;
  printf("got %s\n", buf);
  SHOW("recv rest", recv(s2, buf, sizeof buf, MSG_DONTWAIT));
  SHOW("SIOCOUTQ after read", ioctl(c2, SIOCOUTQ, &q));
  printf("outq %d\n", q);
  SHOW("recv empty dontwait", recv(s2, buf, sizeof buf, MSG_DONTWAIT));
  SHOW("recv zero-length empty dontwait", recv(s2, buf, 0, MSG_DONTWAIT));
  send(c2, "ab", 2, 0);
  SHOW("recv zero-length with data", recv(s2, buf, 0, 0));
  SHOW("recv MSG_TRUNC stream", recv(s2, buf, 1, MSG_TRUNC));
  recv(s2, buf, sizeof buf, 0);
  pid = fork();
  if (pid == 0) {
    for (int i = 0; i < 5; i++) { usleep(20000); write(c2, "xy", 2); }
    _exit(0);
  }
  SHOW("recv waitall 10", recv(s2, buf, 10, MSG_WAITALL));
  waitpid(pid, &status, 0);
  /* SO_RCVTIMEO */
  tv.tv_sec = 0; tv.tv_usec = 200000;
  SHOW("SO_RCVTIMEO", setsockopt(s2, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  memset(&tv, 0, sizeof tv);
  ul = sizeof tv;
  SHOW("get SO_RCVTIMEO", getsockopt(s2, SOL_SOCKET, SO_RCVTIMEO, &tv, &ul));
  printf("rcvtimeo %ld.%06ld len %d\n", (long)tv.tv_sec, (long)tv.tv_usec, (int)ul);
  SHOW("recv times out", recv(s2, buf, sizeof buf, 0));
  tv.tv_usec = 1000000;
  SHOW("SO_RCVTIMEO usec 1e6", setsockopt(s2, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
  SHOW("SO_RCVTIMEO short", setsockopt(s2, SOL_SOCKET, SO_RCVTIMEO, &tv, 8));
  /* a signal interrupts a recv with a timeout with EINTR (no restart) */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alrm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  tv.tv_sec = 5; tv.tv_usec = 0;
  setsockopt(s2, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ualarm(100000, 0);
  SHOW("recv with timeout interrupted (SA_RESTART)", recv(s2, buf, sizeof buf, 0));
  tv.tv_sec = 0;
  setsockopt(s2, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);

  /* buffer sizes */
  int v = 1;
  SHOW("SO_SNDBUF 1", setsockopt(c2, SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
  ul = sizeof v;
  getsockopt(c2, SOL_SOCKET, SO_SNDBUF, &v, &ul);
  printf("sndbuf min %d\n", v);
  v = 10000;
  setsockopt(c2, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  getsockopt(c2, SOL_SOCKET, SO_SNDBUF, &v, &ul);
  printf("sndbuf 10000 -> %d\n", v);
  /* (larger values are capped by the host's net.core.wmem_max: not compared) */
  v = 1;
  setsockopt(c2, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  getsockopt(c2, SOL_SOCKET, SO_RCVBUF, &v, &ul);
  printf("rcvbuf min %d\n", v);
  SHOW("setsockopt short", setsockopt(c2, SOL_SOCKET, SO_SNDBUF, &v, 2));
  SHOW("setsockopt bad level", setsockopt(c2, 6, 1, &v, sizeof v));
  SHOW("getsockopt bad level", getsockopt(c2, 6, 1, &v, &ul));
  SHOW("setsockopt unknown", setsockopt(c2, SOL_SOCKET, 999, &v, sizeof v));
  SHOW("setsockopt SO_TYPE", setsockopt(c2, SOL_SOCKET, SO_TYPE, &v, sizeof v));
  v = 1;
  SHOW("SO_REUSEADDR", setsockopt(c2, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
  v = 0; ul = sizeof v;
  getsockopt(c2, SOL_SOCKET, SO_REUSEADDR, &v, &ul);
  printf("reuseaddr %d\n", v);
  v = 5; ul = sizeof v;
  SHOW("SO_KEEPALIVE get", getsockopt(c2, SOL_SOCKET, SO_KEEPALIVE, &v, &ul));
  printf("keepalive %d\n", v);
  ul = 2;
  v = 0;
  SHOW("SO_TYPE short len", getsockopt(c2, SOL_SOCKET, SO_TYPE, &v, &ul));
  printf("type %d len %d\n", v, (int)ul);
  SHOW("SO_ERROR", getsockopt(c2, SOL_SOCKET, SO_ERROR, &v, &ul));

  /* a full send buffer: non-blocking writes stop with EAGAIN and POLLOUT goes away */
  v = 4096;
  setsockopt(c2, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  fcntl(c2, F_SETFL, O_NONBLOCK);
  long total = 0;
  for (;;) {
    ssize_t n = write(c2, buf, sizeof buf);
    if (n < 0) { printf("fill stops with %s\n", errname(errno)); break; }
    total += n;
  }
  printf("filled some: %d\n", total > 0);
  pollshow("poll full writer", c2);
  long drained = 0;
  for (;;) {
    ssize_t n = recv(s2, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) break;
    drained += n;
  }
  printf("drained == filled: %d\n", drained == total);
  pollshow("poll drained writer", c2);
  fcntl(c2, F_SETFL, 0);

  /* shutdown */
  SHOW("shutdown c2 WR", shutdown(c2, SHUT_WR));
  pollshow("poll s2 after peer SHUT_WR", s2);
  pollshow("poll c2 after SHUT_WR", c2);
  SHOW("read EOF", read(s2, buf, sizeof buf));
  SHOW("write after SHUT_WR", write(c2, "x", 1));
  printf("sigpipe %d\n", got_pipe);
  SHOW("send MSG_NOSIGNAL", send(c2, "x", 1, MSG_NOSIGNAL));
  printf("sigpipe %d\n", got_pipe);
  SHOW("s2 can still write", write(s2, "back", 4));
  SHOW("c2 reads it", read(c2, buf, sizeof buf));
  SHOW("shutdown c2 RD", shutdown(c2, SHUT_RD));
  pollshow("poll c2 fully shut", c2);
  SHOW("write to peer that shut RD", write(s2, "x", 1));
  printf("sigpipe %d\n", got_pipe);
  SHOW("shutdown bad how", shutdown(c2, 7));

  /* close with unread data: the peer's read sees ECONNRESET once, then EOF */
  SHOW("write unread", write(c1, "unread", 6));
  SHOW("close s1 with unread data", close(s1));
  pollshow("poll c1 after reset", c1);
  SHOW("read after reset", read(c1, buf, sizeof buf));
  SHOW("read again", read(c1, buf, sizeof buf));
  SHOW("write after peer close", write(c1, "x", 1));
  printf("sigpipe %d\n", got_pipe);
  /* close of a clean peer: EOF, POLLHUP */
  SHOW("close s3", close(s3));
  pollshow("poll ct after clean close", ct);
  SHOW("read EOF", read(ct, buf, sizeof buf));
  SHOW("getpeername after peer close", getpeername(ct, (struct sockaddr *)&a, &len));
  /* closing a listener resets connections it never accepted */
  int l2 = socket(AF_UNIX, SOCK_STREAM, 0);
  len = mkaddr(&a, "srv2");
  bind(l2, (struct sockaddr *)&a, len);
  listen(l2, 5);
  int pc = connect_to("srv2", 0);
  SHOW("pending connect", pc >= 0);
  close(l2);
  pollshow("poll pending after listener close", pc);
  SHOW("read pending", read(pc, buf, sizeof buf));
  SHOW("read pending again", read(pc, buf, sizeof buf));
  /* recv on an unconnected stream socket */
  SHOW("recv unconnected", recv(fresh, buf, 1, MSG_DONTWAIT));
  SHOW("send unconnected", send(fresh, "x", 1, 0));
  SHOW("sendto with address on connected", sendto(c1, "x", 1, 0, (struct sockaddr *)&a, len));
  SHOW("sendto with address unconnected", sendto(fresh, "x", 1, 0, (struct sockaddr *)&a, len));
  SHOW("recv MSG_OOB", recv(c2, buf, 1, MSG_OOB | MSG_DONTWAIT));

  /* a bulk transfer between processes */
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  pid = fork();
  if (pid == 0) {
    close(sv[0]);
    static char big[1 << 20];
    for (int i = 0; i < (int)sizeof big; i++) big[i] = (char)(i * 7);
    ssize_t n = write(sv[1], big, sizeof big);
    printf("child wrote %ld\n", (long)n);
    _exit(0);
  }
  close(sv[1]);
  static char got[1 << 20];
  long have = 0;
  int good = 1;
  for (;;) {
    ssize_t n = read(sv[0], got + have, sizeof got - have);
    if (n <= 0) break;
    have += n;
  }
  for (int i = 0; i < have; i++) if (got[i] != (char)(i * 7)) { good = 0; break; }
  waitpid(pid, &status, 0);
  printf("bulk %ld good %d\n", have, good);
  unlink("srv");
  unlink("srv2");
  if (chdir("/") == 0) rmdir(dir);
  return 0;
}
