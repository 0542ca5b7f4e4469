/* socketpair(AF_UNIX, SOCK_STREAM): data both ways, send/recv flags, shutdown, names,
 * options, readiness, SIGPIPE, fstat. */
#include "check.h"
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

static volatile int got_pipe;
static void on_pipe(int s) { (void)s; got_pipe++; }

static int rev(int fd) {
  struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP, 0 };
  poll(&p, 1, 0);
  return p.revents;
}

int main(void) {
  setup();
  int sv[2];
  char buf[64];
  OK("socketpair", socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  SHOW("cloexec", fcntl(sv[0], F_GETFD));
  SHOW("socketpair(AF_INET)", socketpair(AF_INET, SOCK_STREAM, 0, (int[2]){0, 0}));
  SHOW("socketpair(bad flags)", socketpair(AF_UNIX, SOCK_STREAM | 0x10000, 0, (int[2]){0, 0}));
  SHOW("socketpair(protocol 7)", socketpair(AF_UNIX, SOCK_STREAM, 7, (int[2]){0, 0}));
  SHOW("socketpair(EFAULT)", socketpair(AF_UNIX, SOCK_STREAM, 0, (int *)8));

  struct stat st;
  OK("fstat", fstat(sv[0], &st));
  REL("S_ISSOCK", S_ISSOCK(st.st_mode));

  SHOW("write a", write(sv[0], "hello", 5));
  SHOW("read b", read(sv[1], buf, sizeof buf));
  SHOW("write b", write(sv[1], "world!", 6));
  SHOW("recv peek", recv(sv[0], buf, 3, MSG_PEEK));
  SHOW("recv", recv(sv[0], buf, sizeof buf, 0));
  REL("data", memcmp(buf, "world!", 6) == 0);
  SHOW("recv dontwait empty", recv(sv[0], buf, sizeof buf, MSG_DONTWAIT));
  SHOW("send", send(sv[0], "abc", 3, MSG_NOSIGNAL));
  SHOW("recv waitall", recv(sv[1], buf, 3, MSG_WAITALL));

  struct iovec iv[2] = { { "ab", 2 }, { "cdef", 4 } };
  struct msghdr m = { 0 };
  m.msg_iov = iv;
  m.msg_iovlen = 2;
  SHOW("sendmsg", sendmsg(sv[0], &m, 0));
  char r1[3], r2[8];
  struct iovec ri[2] = { { r1, 3 }, { r2, 8 } };
  struct msghdr rm = { 0 };
  rm.msg_iov = ri;
  rm.msg_iovlen = 2;
  SHOW("recvmsg", recvmsg(sv[1], &rm, 0));
  REL("recvmsg data", memcmp(r1, "abc", 3) == 0 && memcmp(r2, "def", 3) == 0);
  SHOW("msg_controllen", rm.msg_controllen);
  SHOW("msg_flags", rm.msg_flags);
  SHOW("writev", writev(sv[1], iv, 2));
  SHOW("readv", readv(sv[0], ri, 2));

  struct sockaddr_un sa;
  socklen_t sl = sizeof sa;
  memset(&sa, 0x55, sizeof sa);
  OK("getsockname", getsockname(sv[0], (struct sockaddr *)&sa, &sl));
  SHOW("addrlen", sl);
  REL("family", sa.sun_family == AF_UNIX);
  sl = sizeof sa;
  OK("getpeername", getpeername(sv[1], (struct sockaddr *)&sa, &sl));
  SHOW("peer addrlen", sl);
  SHOW("getsockname badf", getsockname(99, (struct sockaddr *)&sa, &sl));

  int v;
  socklen_t vl = sizeof v;
  OK("SO_TYPE", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &vl));
  SHOW("type", v);
  OK("SO_DOMAIN", getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &vl));
  SHOW("domain", v);
  OK("SO_PROTOCOL", getsockopt(sv[0], SOL_SOCKET, SO_PROTOCOL, &v, &vl));
  SHOW("protocol", v);
  OK("SO_ERROR", getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &vl));
  SHOW("error", v);
  v = 65536;
  OK("set SO_SNDBUF", setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
  OK("SO_SNDBUF", getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &vl));
  SHOW("sndbuf", v);
  struct ucred uc;
  socklen_t ul = sizeof uc;
  OK("SO_PEERCRED", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &ul));
  SHOW("ucred len", ul);
  REL("pid", uc.pid == getpid());
  REL("uid", uc.uid == geteuid());
  REL("gid", uc.gid == getegid());

  SHOW("poll idle", rev(sv[0]));
  write(sv[1], "x", 1);
  SHOW("poll readable", rev(sv[0]));
  read(sv[0], buf, 1);

  OK("shutdown WR", shutdown(sv[0], SHUT_WR));
  SHOW("read b after peer SHUT_WR", read(sv[1], buf, sizeof buf));
  SHOW("poll b", rev(sv[1]));
  signal(SIGPIPE, on_pipe);
  SHOW("write after SHUT_WR", write(sv[0], "x", 1));
  SHOW("sigpipe", got_pipe);
  SHOW("send nosignal", send(sv[0], "x", 1, MSG_NOSIGNAL));
  SHOW("sigpipe", got_pipe);
  SHOW("shutdown bad", shutdown(sv[0], 7));
  SHOW("poll a", rev(sv[0]));

  OK("close b", close(sv[1]));
  SHOW("poll a after close", rev(sv[0]));
  SHOW("read a after close", read(sv[0], buf, sizeof buf));
  close(sv[0]);

  /* Blocking across processes: the child writes after the parent has to wait. */
  OK("socketpair 2", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    usleep(20000);
    write(sv[1], "late", 4);
    _exit(0);
  }
  close(sv[1]);
  SHOW("blocking read", read(sv[0], buf, sizeof buf));
  SHOW("eof", read(sv[0], buf, sizeof buf));
  int status;
  waitpid(pid, &status, 0);
  SHOW("child", WEXITSTATUS(status));
  close(sv[0]);

  /* More than the socket buffers hold: the writer blocks until the reader drains. */
  OK("socketpair 3", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  pid = fork();
  if (pid == 0) {
    static char big[1 << 20];
    close(sv[0]);
    memset(big, 'z', sizeof big);
    _exit(write(sv[1], big, sizeof big) == (ssize_t)sizeof big ? 0 : 1);
  }
  close(sv[1]);
  long total = 0;
  int allz = 1;
  for (;;) {
    ssize_t n = read(sv[0], buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; i++) allz &= buf[i] == 'z';
    total += n;
  }
  SHOW("bulk total", total);
  REL("bulk data", allz);
  waitpid(pid, &status, 0);
  SHOW("bulk child", WEXITSTATUS(status));
  return 0;
}
