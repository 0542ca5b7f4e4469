/* AF_UNIX SOCK_DGRAM: message boundaries, sendto/recvfrom addresses, connected datagram
 * sockets, MSG_TRUNC/MSG_PEEK, receive-queue limits, a vanished peer (ECONNREFUSED),
 * readiness, SIOCINQ, sendmmsg/recvmmsg. */
#include "check.h"
#include <poll.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <linux/sockios.h>

static socklen_t mkaddr(struct sockaddr_un *a, const char *path) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  strncpy(a->sun_path, path, sizeof a->sun_path);
  return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static void pollshow(const char *label, int fd) {
  struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP, 0 };
  int n = poll(&p, 1, 0);
  printf("%s: n=%d%s%s%s%s%s\n", label, n, p.revents & POLLIN ? " IN" : "", p.revents & POLLOUT ? " OUT" : "",
         p.revents & POLLHUP ? " HUP" : "", p.revents & POLLRDHUP ? " RDHUP" : "", p.revents & POLLERR ? " ERR" : "");
}

int main(void) {
  setup();
  const char *dir = make_tmpdir("udgram");
  if (chdir(dir) < 0) return 99;
  struct sockaddr_un a, from;
  socklen_t len, flen;
  char buf[256];

  int r = socket(AF_UNIX, SOCK_DGRAM, 0);
  pollshow("poll fresh dgram", r);
  len = mkaddr(&a, "rx");
  SHOW("bind rx", bind(r, (struct sockaddr *)&a, len));
  int s = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW("send unconnected", send(s, "x", 1, 0));
  SHOW("write unconnected", write(s, "x", 1));
  SHOW("sendto rx", sendto(s, "hello", 5, 0, (struct sockaddr *)&a, len));
  SHOW("sendto rx 2", sendto(s, "world!!", 7, 0, (struct sockaddr *)&a, len));
  SHOW("sendto empty", sendto(s, "", 0, 0, (struct sockaddr *)&a, len));
  int q = -1;
  SHOW("SIOCINQ", ioctl(r, SIOCINQ, &q));
  printf("inq (first message) %d\n", q);
  pollshow("poll rx with data", r);
  SHOW("recv 3 of 5 (truncates)", recv(r, buf, 3, 0));
  SHOW("peek next", recv(r, buf, sizeof buf, MSG_PEEK));
  SHOW("recv MSG_TRUNC real length", recv(r, buf, 2, MSG_TRUNC));
  SHOW("recv empty message", recv(r, buf, sizeof buf, 0));
  SHOW("recv nothing", recv(r, buf, sizeof buf, MSG_DONTWAIT));
  /* recvmsg reports MSG_TRUNC */
  sendto(s, "abcdef", 6, 0, (struct sockaddr *)&a, len);
  struct iovec iv = { buf, 4 };
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iv;
  m.msg_iovlen = 1;
  m.msg_name = &from;
  m.msg_namelen = sizeof from;
  SHOW("recvmsg truncated", recvmsg(r, &m, 0));
  printf("msg_flags trunc %d namelen %d\n", (m.msg_flags & MSG_TRUNC) != 0, (int)m.msg_namelen);
  /* sender address: named sender */
  int s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un sa;
  socklen_t slen = mkaddr(&sa, "tx");
  bind(s2, (struct sockaddr *)&sa, slen);
  sendto(s2, "named", 5, 0, (struct sockaddr *)&a, len);
  flen = sizeof from;
  memset(&from, 0, sizeof from);
  SHOW("recvfrom named", recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen));
  printf("from len %d path %s\n", (int)flen, from.sun_path);
  flen = 3;
  sendto(s2, "named", 5, 0, (struct sockaddr *)&a, len);
  SHOW("recvfrom short addr buffer", recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen));
  printf("from len %d\n", (int)flen);
  /* a readv over two iovecs takes one message */
  sendto(s2, "0123456789", 10, 0, (struct sockaddr *)&a, len);
  sendto(s2, "second", 6, 0, (struct sockaddr *)&a, len);
  char r1[4], r2[4];
  struct iovec two[2] = { { r1, 4 }, { r2, 4 } };
  SHOW("readv one message", readv(r, two, 2));
  SHOW("read next message", read(r, buf, sizeof buf));
  struct iovec wv[2] = { { "ab", 2 }, { "cde", 3 } };
  memset(&m, 0, sizeof m);
  m.msg_iov = wv;
  m.msg_iovlen = 2;
  m.msg_name = &a;
  m.msg_namelen = len;
  SHOW("sendmsg gather", sendmsg(s2, &m, 0));
  SHOW("one message of 5", recv(r, buf, sizeof buf, 0));

  /* destination errors */
  struct sockaddr_un b;
  socklen_t blen = mkaddr(&b, "nobody");
  SHOW("sendto ENOENT", sendto(s, "x", 1, 0, (struct sockaddr *)&b, blen));
  SHOW("sendto len 1", sendto(s, "x", 1, 0, (struct sockaddr *)&b, 1));
  SHOW("sendto EFAULT buffer", sendto(s, (char *)8, 1, 0, (struct sockaddr *)&b, blen));
  SHOW("sendto EFAULT addr", sendto(s, "x", 1, 0, (struct sockaddr *)8, blen));
  int fd = open("file", O_CREAT | O_WRONLY, 0644);
  close(fd);
  blen = mkaddr(&b, "file");
  SHOW("sendto a file", sendto(s, "x", 1, 0, (struct sockaddr *)&b, blen));
  int st = socket(AF_UNIX, SOCK_STREAM, 0);
  blen = mkaddr(&b, "stream");
  bind(st, (struct sockaddr *)&b, blen);
  SHOW("sendto a stream socket", sendto(s, "x", 1, 0, (struct sockaddr *)&b, blen));
  int big = 300000;
  char *huge = calloc(1, big);
  SHOW("sendto too big", sendto(s, huge, big, 0, (struct sockaddr *)&a, len));

  /* connected datagram sockets */
  SHOW("connect s to rx", connect(s, (struct sockaddr *)&a, len));
  SHOW("send connected", send(s, "c1", 2, 0));
  SHOW("write connected", write(s, "c2", 2));
  SHOW("recv c1", recv(r, buf, sizeof buf, 0));
  SHOW("recv c2", recv(r, buf, sizeof buf, 0));
  SHOW("getpeername", getpeername(s, (struct sockaddr *)&b, &blen));
  printf("peer len %d path %s\n", (int)blen, b.sun_path);
  /* rx connected to s refuses others */
  SHOW("connect rx to tx", connect(r, (struct sockaddr *)&sa, slen));
  SHOW("s (not rx's peer) sends", send(s, "x", 1, 0));
  SHOW("tx sends to rx", sendto(s2, "ok", 2, 0, (struct sockaddr *)&a, len));
  SHOW("recv from tx", recv(r, buf, sizeof buf, 0));
  struct sockaddr unspec = { AF_UNSPEC };
  SHOW("disconnect rx", connect(r, &unspec, sizeof unspec));
  SHOW("getpeername disconnected", getpeername(r, (struct sockaddr *)&b, &blen));
  SHOW("s sends again", send(s, "y", 1, 0));
  SHOW("recv y", recv(r, buf, sizeof buf, 0));

  /* queue limit: a receiver not connected back holds max_dgram_qlen+1 messages */
  fcntl(s, F_SETFL, O_NONBLOCK);
  int n = 0;
  while (send(s, "q", 1, 0) == 1) n++;
  printf("queued %d then %s\n", n, errname(errno));
  pollshow("poll sender to full receiver", s);
  SHOW("blocking sender times out", ({ fcntl(s, F_SETFL, 0); struct timeval tv = { 0, 100000 };
       setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv); send(s, "q", 1, 0); }));
  SHOW("MSG_DONTWAIT on full", send(s, "q", 1, MSG_DONTWAIT));
  SHOW("recv one", recv(r, buf, sizeof buf, 0));
  pollshow("poll sender after room", s);
  /* a blocked sender resumes when the receiver reads */
  pid_t pid = fork();
  if (pid == 0) {
    usleep(100000);
    char b2[8];
    for (int i = 0; i < 3; i++) recv(r, b2, sizeof b2, 0);
    _exit(0);
  }
  struct timeval tv0 = { 0, 0 };
  setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv0, sizeof tv0);
  SHOW("send fits", send(s, "q", 1, 0));
  SHOW("blocking send waits for room", send(s, "q", 1, 0));
  int status;
  waitpid(pid, &status, 0);
  while (recv(r, buf, sizeof buf, MSG_DONTWAIT) > 0) {}

  /* the peer goes away: ECONNREFUSED once, then ENOTCONN */
  close(r);
  unlink("rx");
  SHOW("send to closed peer", send(s, "z", 1, 0));
  SHOW("send again", send(s, "z", 1, 0));
  pollshow("poll after refused", s);

  /* socketpair: connected both ways, no queue limit but the send buffer */
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  SHOW("pair send", send(sv[0], "p", 1, 0));
  SHOW("pair recv", recv(sv[1], buf, sizeof buf, 0));
  fcntl(sv[0], F_SETFL, O_NONBLOCK);
  n = 0;
  while (send(sv[0], "p", 1, 0) == 1) n++;
  printf("pair queued more than 11: %d then %s\n", n > 11, errname(errno));
  pollshow("poll full pair sender", sv[0]);
  pollshow("poll pair receiver", sv[1]);
  while (recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) > 0) {}
  pollshow("poll drained pair sender", sv[0]);
  SHOW("shutdown pair RD", shutdown(sv[1], SHUT_RD));
  pollshow("poll after SHUT_RD", sv[1]);
  SHOW("recv after SHUT_RD blocking", recv(sv[1], buf, sizeof buf, 0));
  SHOW("recv after SHUT_RD nonblocking", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
  SHOW("send to SHUT_RD peer", send(sv[0], "p", 1, 0));
  SHOW("shutdown pair WR", shutdown(sv[0], SHUT_WR));
  SHOW("send after own SHUT_WR", send(sv[0], "p", 1, MSG_NOSIGNAL));
  close(sv[1]);
  SHOW("send after pair peer close", send(sv[0], "p", 1, 0));
  close(sv[0]);

  /* sendmmsg / recvmmsg */
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  struct mmsghdr mm[3];
  struct iovec mv[3] = { { "one", 3 }, { "three", 5 }, { "seven!!", 7 } };
  memset(mm, 0, sizeof mm);
  for (int i = 0; i < 3; i++) { mm[i].msg_hdr.msg_iov = &mv[i]; mm[i].msg_hdr.msg_iovlen = 1; }
  SHOW("sendmmsg", sendmmsg(sv[0], mm, 3, 0));
  printf("lens %u %u %u\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
  char rb[4][16];
  struct iovec rv[4];
  struct mmsghdr rm[4];
  memset(rm, 0, sizeof rm);
  for (int i = 0; i < 4; i++) { rv[i].iov_base = rb[i]; rv[i].iov_len = 16; rm[i].msg_hdr.msg_iov = &rv[i]; rm[i].msg_hdr.msg_iovlen = 1; }
  SHOW("recvmmsg waitforone", recvmmsg(sv[1], rm, 4, MSG_WAITFORONE, NULL));
  printf("got %u %.*s %u %.*s %u %.*s\n", rm[0].msg_len, (int)rm[0].msg_len, rb[0], rm[1].msg_len,
         (int)rm[1].msg_len, rb[1], rm[2].msg_len, (int)rm[2].msg_len, rb[2]);
  SHOW("recvmmsg empty dontwait", recvmmsg(sv[1], rm, 4, MSG_DONTWAIT, NULL));
  struct timespec bad = { 0, -1 };
  SHOW("recvmmsg bad timeout", recvmmsg(sv[1], rm, 4, MSG_DONTWAIT, &bad));
  unlink("tx"); unlink("file"); unlink("stream");
  if (chdir("/") == 0) rmdir(dir);
  return 0;
}
