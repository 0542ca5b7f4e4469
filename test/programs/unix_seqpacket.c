/* AF_UNIX SOCK_SEQPACKET: connection plus message boundaries; epoll on listening and
 * connected sockets of every type. */
#include "check.h"
#include <poll.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/sockios.h>

static socklen_t mkabs(struct sockaddr_un *a, const char *name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  memcpy(a->sun_path + 1, name, strlen(name));
  return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

static void pollshow(const char *label, int fd) {
  struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP, 0 };
  int n = poll(&p, 1, 0);
  printf("%s: n=%d%s%s%s%s%s\n", label, n, p.revents & POLLIN ? " IN" : "", p.revents & POLLOUT ? " OUT" : "",
         p.revents & POLLHUP ? " HUP" : "", p.revents & POLLRDHUP ? " RDHUP" : "", p.revents & POLLERR ? " ERR" : "");
}

static void epshow(const char *label, int ep) {
  struct epoll_event ev[8];
  int n = epoll_wait(ep, ev, 8, 0);
  printf("%s: n=%d", label, n);
  for (int i = 0; i < n; i++) printf(" [%d:%s%s%s%s]", (int)ev[i].data.u32, ev[i].events & EPOLLIN ? "IN" : "",
                                     ev[i].events & EPOLLOUT ? "OUT" : "", ev[i].events & EPOLLHUP ? "HUP" : "",
                                     ev[i].events & EPOLLRDHUP ? "RDHUP" : "");
  printf("\n");
}

int main(void) {
  setup();
  struct sockaddr_un a;
  socklen_t len = mkabs(&a, "tsv-seqpacket-test");
  char buf[64];

  int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  pollshow("poll fresh seqpacket", l);
  SHOW("recv unconnected", recv(l, buf, sizeof buf, MSG_DONTWAIT));
  SHOW("send unconnected", send(l, "x", 1, 0));
  SHOW("bind", bind(l, (struct sockaddr *)&a, len));
  SHOW("listen", listen(l, 4));
  pollshow("poll listener", l);
  int ep = epoll_create1(0);
  struct epoll_event e = { EPOLLIN | EPOLLOUT | EPOLLRDHUP, { .u32 = 1 } };
  epoll_ctl(ep, EPOLL_CTL_ADD, l, &e);
  epshow("epoll idle listener", ep);
  int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  SHOW("connect", connect(c, (struct sockaddr *)&a, len));
  epshow("epoll listener with pending", ep);
  int sv = accept(l, NULL, NULL);
  SHOW("accept", sv >= 0);
  epshow("epoll listener after accept", ep);
  e.data.u32 = 2;
  e.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
  epoll_ctl(ep, EPOLL_CTL_ADD, sv, &e);
  epshow("epoll ET server idle", ep);
  SHOW("send 1", send(c, "first", 5, 0));
  SHOW("send 2", send(c, "second message", 14, 0));
  SHOW("send empty", send(c, "", 0, 0));
  SHOW("sendto ignores address", sendto(c, "addr", 4, 0, (struct sockaddr *)&a, len));
  epshow("epoll ET server readable", ep);
  epshow("epoll ET consumed edge", ep);
  int q = 0;
  ioctl(sv, SIOCINQ, &q);
  printf("SIOCINQ (all bytes) %d\n", q);
  SHOW("recv 3 of first", recv(sv, buf, 3, 0));
  SHOW("recv second", recv(sv, buf, sizeof buf, 0));
  SHOW("recv empty", recv(sv, buf, sizeof buf, 0));
  SHOW("recv MSG_TRUNC", recv(sv, buf, 1, MSG_TRUNC));
  struct iovec iv = { buf, 2 };
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iv;
  m.msg_iovlen = 1;
  send(sv, "reply!", 6, 0);
  SHOW("recvmsg truncated", recvmsg(c, &m, 0));
  printf("flags trunc %d\n", (m.msg_flags & MSG_TRUNC) != 0);
  SHOW("recv empty nonblocking", recv(c, buf, sizeof buf, MSG_DONTWAIT));
  /* a child ping-pongs records */
  pid_t pid = fork();
  if (pid == 0) {
    char b[64];
    for (int i = 0; i < 3; i++) {
      ssize_t n = recv(sv, b, sizeof b, 0);
      b[n] = '!';
      send(sv, b, n + 1, 0);
    }
    _exit(0);
  }
  for (int i = 0; i < 3; i++) {
    char msg[16];
    int n = snprintf(msg, sizeof msg, "ping%d", i);
    send(c, msg, n, 0);
    ssize_t got = recv(c, buf, sizeof buf, 0);
    printf("pong %.*s\n", (int)got, buf);
  }
  int status;
  waitpid(pid, &status, 0);
  /* shutdown and close */
  SHOW("shutdown c WR", shutdown(c, SHUT_WR));
  pollshow("poll server after peer SHUT_WR", sv);
  SHOW("recv EOF", recv(sv, buf, sizeof buf, 0));
  SHOW("recv EOF nonblocking", recv(sv, buf, sizeof buf, MSG_DONTWAIT));
  SHOW("send after SHUT_WR", send(c, "x", 1, MSG_NOSIGNAL));
  send(sv, "last", 4, 0);
  SHOW("close server with unread data", close(sv));
  pollshow("poll client after peer close", c);
  SHOW("recv after reset", recv(c, buf, sizeof buf, 0));
  SHOW("recv again", recv(c, buf, sizeof buf, 0));
  SHOW("send after peer close", send(c, "x", 1, MSG_NOSIGNAL));
  close(c);
  /* socketpair */
  int p[2];
  socketpair(AF_UNIX, SOCK_SEQPACKET, 0, p);
  SHOW("pair send", send(p[0], "abc", 3, 0));
  SHOW("pair writev", writev(p[0], (struct iovec[2]){ { "de", 2 }, { "fgh", 3 } }, 2));
  SHOW("pair read", read(p[1], buf, sizeof buf));
  SHOW("pair readv one record", readv(p[1], (struct iovec[2]){ { buf, 1 }, { buf + 8, 2 } }, 2));
  close(p[1]);
  SHOW("pair send to closed", send(p[0], "x", 1, MSG_NOSIGNAL));
  pollshow("poll pair after close", p[0]);
  close(p[0]);
  /* dgram and stream in epoll */
  int d[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, d);
  e.events = EPOLLIN | EPOLLOUT;
  e.data.u32 = 3;
  epoll_ctl(ep, EPOLL_CTL_ADD, d[1], &e);
  epshow("epoll dgram idle", ep);
  send(d[0], "x", 1, 0);
  epshow("epoll dgram readable", ep);
  close(ep);
  close(l);
  return 0;
}
