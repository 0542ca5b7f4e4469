/* AF_INET SOCK_DGRAM over loopback: sendto/recvfrom and the source address, connected UDP
 * (filtering, getpeername, AF_UNSPEC disconnect, ICMP-driven ECONNREFUSED), datagram
 * boundaries (MSG_TRUNC, MSG_PEEK, zero-length datagrams, the 65507-byte limit), recvmsg/sendmsg
 * with iovecs and IP-level control messages (IP_PKTINFO, IP_RECVTTL, IP_TTL on send,
 * MSG_CTRUNC), recvmmsg/sendmmsg, v4-mapped IPv6, and the error cases.
 *
 * Every socket binds 127.0.0.1 port 0, so the native run and the sandboxed one never collide;
 * ports are never printed, only relations. A datagram sent over loopback may still be in
 * flight when sendto returns, so every receive that must find one is a blocking one (or
 * follows a poll for POLLIN); only checks of an empty queue use MSG_DONTWAIT. */
#include "check.h"
#include "inet_util.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <linux/errqueue.h>

/* A UDP socket bound to 127.0.0.1:0; its name in *a. */
static int udp4(struct sockaddr_in *a) {
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  *a = lo4(0);
  socklen_t len = sizeof *a;
  if (s < 0 || bind(s, SA(a), sizeof *a) < 0 || getsockname(s, SA(a), &len) < 0) {
    perror("udp4");
    exit(97);
  }
  return s;
}

/* Sends a marker from s to r and receives (blocking) up to it: how many datagrams were queued
 * before it. A datagram that should not have been sent shows here, with no race. */
static int before_marker(int s, int r, const struct sockaddr_in *ra) {
  char buf[16];
  sendto(s, "MARK", 4, 0, (const struct sockaddr *)ra, sizeof *ra);
  for (int n = 0;; n++) {
    ssize_t k = recv(r, buf, sizeof buf, 0);
    if (k < 0) return -1;
    if (k == 4 && !memcmp(buf, "MARK", 4)) return n;
  }
}

static void pollshow(const char *label, int fd) {
  struct pollfd p = { fd, POLLIN | POLLOUT, 0 };
  int n = poll(&p, 1, 0);
  printf("%s: n=%d%s%s%s%s\n", label, n, p.revents & POLLIN ? " IN" : "", p.revents & POLLOUT ? " OUT" : "",
         p.revents & POLLHUP ? " HUP" : "", p.revents & POLLERR ? " ERR" : "");
}

static void basics(void) {
  printf("-- basics\n");
  struct sockaddr_in ra, sa, from;
  int r = udp4(&ra), s = udp4(&sa);
  printf("SO_TYPE %d SO_DOMAIN %d SO_PROTOCOL %d SO_ERROR %d\n", geti(r, SOL_SOCKET, SO_TYPE),
         geti(r, SOL_SOCKET, SO_DOMAIN), geti(r, SOL_SOCKET, SO_PROTOCOL), geti(r, SOL_SOCKET, SO_ERROR));
  int e = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  printf("explicit IPPROTO_UDP protocol %d\n", geti(e, SOL_SOCKET, SO_PROTOCOL));
  close(e);
  NSHOW("socket DGRAM IPPROTO_TCP", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
  pollshow("poll idle", r);
  char buf[256];
  NSHOW("recv MSG_DONTWAIT empty", recv(r, buf, sizeof buf, MSG_DONTWAIT));
  NSHOW("recvfrom MSG_DONTWAIT empty", recvfrom(r, buf, sizeof buf, MSG_DONTWAIT, SA(&from), &(socklen_t){ sizeof from }));
  NSHOW("listen", listen(r, 1));
  NSHOW("accept", accept(r, NULL, NULL));
  NSHOW("getpeername unconnected", getpeername(r, SA(&from), &(socklen_t){ sizeof from }));
  NSHOW("send unconnected, no address", send(s, "x", 1, 0));
  /* shutdown of an unconnected UDP socket fails, yet (Linux) still shuts it */
  int sh = socket(AF_INET, SOCK_DGRAM, 0);
  NSHOW("shutdown unconnected", shutdown(sh, SHUT_WR));
  NSHOW("sendto after failed shutdown", sendto(sh, "x", 1, 0, SA(&ra), sizeof ra));
  close(sh);

  /* sendto/recvfrom: the source is the sender's name */
  NSHOW("sendto", sendto(s, "hello", 5, 0, SA(&ra), sizeof ra));
  memset(&from, 0xaa, sizeof from);
  socklen_t fl = sizeof from;
  memset(buf, 0, sizeof buf);
  NSHOW("recvfrom", recvfrom(r, buf, sizeof buf, 0, SA(&from), &fl));
  printf("data %s fromlen %d\n", buf, (int)fl);
  REL("source == sender's name", same4(&from, &sa));
  fl = 4;
  memset(&from, 0xaa, sizeof from);
  sendto(s, "hi", 2, 0, SA(&ra), sizeof ra);
  NSHOW("recvfrom short addrlen", recvfrom(r, buf, sizeof buf, 0, SA(&from), &fl));
  printf("fromlen %d family ok %d rest untouched %d\n", (int)fl, from.sin_family == AF_INET,
         ((unsigned char *)&from)[4] == 0xaa);
  sendto(s, "x", 1, 0, SA(&ra), sizeof ra);
  NSHOW("recvfrom NULL address", recvfrom(r, buf, sizeof buf, 0, NULL, NULL));
  /* an unbound sender is bound to an ephemeral port by its first send */
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  NSHOW("sendto from unbound", sendto(u, "auto", 4, 0, SA(&ra), sizeof ra));
  struct sockaddr_in un;
  socklen_t ul = sizeof un;
  getsockname(u, SA(&un), &ul);
  fl = sizeof from;
  NSHOW("recvfrom", recvfrom(r, buf, sizeof buf, 0, SA(&from), &fl));
  printf("autobound port set %d, source port == it %d\n", un.sin_port != 0, from.sin_port == un.sin_port);
  close(u);

  /* FIONREAD is the size of the next datagram */
  sendto(s, "abc", 3, 0, SA(&ra), sizeof ra);
  sendto(s, "defghij", 7, 0, SA(&ra), sizeof ra);
  wait_in(r);
  int q = -1;
  NSHOW("FIONREAD", ioctl(r, FIONREAD, &q));
  printf("next datagram %d\n", q);
  pollshow("poll with data", r);
  /* MSG_PEEK leaves it; a short buffer truncates it (the rest is dropped) */
  memset(buf, 0, sizeof buf);
  NSHOW("recv MSG_PEEK", recv(r, buf, sizeof buf, MSG_PEEK));
  printf("peeked %s\n", buf);
  memset(buf, 0, sizeof buf);
  NSHOW("recv 2 of 3", recv(r, buf, 2, 0));
  printf("got %s\n", buf);
  NSHOW("recv 2 of 7 with MSG_TRUNC (real length)", recv(r, buf, 2, MSG_TRUNC));
  NSHOW("queue empty again", recv(r, buf, sizeof buf, MSG_DONTWAIT));
  /* zero-length datagrams and zero-length receives */
  NSHOW("sendto 0 bytes", sendto(s, "", 0, 0, SA(&ra), sizeof ra));
  fl = sizeof from;
  NSHOW("recvfrom empty datagram", recvfrom(r, buf, sizeof buf, 0, SA(&from), &fl));
  REL("source == sender's name", same4(&from, &sa));
  sendto(s, "dropped", 7, 0, SA(&ra), sizeof ra);
  wait_in(r);
  NSHOW("recv 0 bytes of a datagram", recv(r, buf, 0, 0));
  NSHOW("it is gone", recv(r, buf, sizeof buf, MSG_DONTWAIT));
  /* a bad buffer: EFAULT, and (as Linux drops it) the datagram is gone */
  sendto(s, "fault", 5, 0, SA(&ra), sizeof ra);
  wait_in(r);
  NSHOW("recv into bad buffer", recv(r, (void *)8, 5, 0));
  NSHOW("after the fault", recv(r, buf, sizeof buf, MSG_DONTWAIT));
  NSHOW("sendto bad buffer", sendto(s, (void *)8, 5, 0, SA(&ra), sizeof ra));
  printf("queued before marker: %d\n", before_marker(s, r, &ra));

  /* sendto's address errors */
  NSHOW("sendto addrlen 15", sendto(s, "x", 1, 0, SA(&ra), 15));
  NSHOW("sendto addrlen 200", sendto(s, "x", 1, 0, SA(&ra), 200));
  NSHOW("sendto bad address pointer", sendto(s, "x", 1, 0, (struct sockaddr *)8, sizeof ra));
  struct sockaddr_in p0 = lo4(0);
  NSHOW("sendto port 0", sendto(s, "x", 1, 0, SA(&p0), sizeof p0));
  struct sockaddr_in6 a6;
  memset(&a6, 0, sizeof a6);
  a6.sin6_family = AF_INET6;
  a6.sin6_port = ra.sin_port;
  NSHOW("sendto AF_INET6 address", sendto(s, "x", 1, 0, SA(&a6), sizeof a6));

  /* the size limit: 65535 - 20 (IP) - 8 (UDP) */
  static char big[70000];
  for (int i = 0; i < (int)sizeof big; i++) big[i] = (char)(i * 13);
  NSHOW("sendto 65508", sendto(s, big, 65508, 0, SA(&ra), sizeof ra));
  NSHOW("sendto 65507", sendto(s, big, 65507, 0, SA(&ra), sizeof ra));
  static char got[70000];
  NSHOW("recv 65507", recv(r, got, sizeof got, 0));
  REL("big datagram intact", !memcmp(big, got, 65507));

  /* bind conflicts */
  int d = socket(AF_INET, SOCK_DGRAM, 0);
  NSHOW("bind UDP port in use", bind(d, SA(&ra), sizeof ra));
  /* a TCP socket may share the UDP port */
  int t = socket(AF_INET, SOCK_STREAM, 0);
  NSHOW("bind TCP on the UDP port", bind(t, SA(&ra), sizeof ra));
  close(t);
  close(d);
  printf("SO_BROADCAST default %d\n", geti(s, SOL_SOCKET, SO_BROADCAST));
  int v = 1;
  setsockopt(s, SOL_SOCKET, SO_BROADCAST, &v, sizeof v);
  printf("SO_BROADCAST now %d\n", geti(s, SOL_SOCKET, SO_BROADCAST));
  v = 9;
  NSHOW("IP_TTL set", setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof v));
  printf("IP_TTL now %d\n", geti(s, IPPROTO_IP, IP_TTL));
  v = 0;
  NSHOW("IP_TTL 0", setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof v));
  v = -1;
  setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof v); /* -1: back to the default */
  NSHOW("unknown IPPROTO_IP option", getsockopt(s, IPPROTO_IP, 9999, &v, &(socklen_t){ sizeof v }));
  NSHOW("unknown IPPROTO_UDP option", setsockopt(s, IPPROTO_UDP, 9999, &v, sizeof v));

  /* SO_RCVTIMEO on an empty queue */
  struct timeval tv = { 0, 20000 };
  setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  NSHOW("recv with timeout", recv(r, buf, sizeof buf, 0));
  tv.tv_usec = 0;
  setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  close(r);
  close(s);
}

static void connected(void) {
  printf("-- connected\n");
  struct sockaddr_in ra, sa, ta, pa;
  int r = udp4(&ra), s = udp4(&sa), t = udp4(&ta);
  char buf[64];
  NSHOW("connect", connect(s, SA(&ra), sizeof ra));
  socklen_t pl = sizeof pa;
  NSHOW("getpeername", getpeername(s, SA(&pa), &pl));
  REL("peer == receiver's name", same4(&pa, &ra) && pl == sizeof pa);
  NSHOW("send", send(s, "conn", 4, 0));
  NSHOW("write", write(s, "w", 1));
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  NSHOW("recvfrom", recvfrom(r, buf, sizeof buf, 0, SA(&from), &fl));
  REL("source == sender's name", same4(&from, &sa));
  NSHOW("read", read(r, buf, sizeof buf));
  /* a connected socket may still sendto another address */
  NSHOW("sendto other address while connected", sendto(s, "o", 1, 0, SA(&ta), sizeof ta));
  NSHOW("the other receives it", recv(t, buf, sizeof buf, 0));
  NSHOW("connect again (re-target)", connect(s, SA(&ta), sizeof ta));
  NSHOW("connect again (back)", connect(s, SA(&ra), sizeof ra));

  /* a connected receiver only takes datagrams from its peer */
  NSHOW("connect receiver to s", connect(r, SA(&sa), sizeof sa));
  sendto(t, "from t", 6, 0, SA(&ra), sizeof ra);
  send(s, "from s", 6, 0);
  memset(buf, 0, sizeof buf);
  NSHOW("recv", recv(r, buf, sizeof buf, 0));
  printf("got %s\n", buf);
  NSHOW("nothing else", recv(r, buf, sizeof buf, MSG_DONTWAIT));

  /* AF_UNSPEC dissolves the association */
  struct sockaddr uns;
  memset(&uns, 0, sizeof uns);
  uns.sa_family = AF_UNSPEC;
  NSHOW("connect AF_UNSPEC", connect(s, &uns, sizeof uns));
  NSHOW("getpeername after disconnect", getpeername(s, SA(&pa), &pl));
  NSHOW("send after disconnect", send(s, "x", 1, 0));
  struct sockaddr_in sa2;
  socklen_t sl = sizeof sa2;
  getsockname(s, SA(&sa2), &sl);
  /* the address was bound explicitly and stays; port 0 was, so the port is released */
  printf("after disconnect: same address %d port kept %d\n", sa2.sin_addr.s_addr == sa.sin_addr.s_addr,
         sa2.sin_port == sa.sin_port);
  NSHOW("connect AF_UNSPEC again", connect(s, &uns, sizeof uns));

  /* ECONNREFUSED: a datagram no socket takes draws an ICMP port unreachable, which a
   * connected sender sees as an error on its next call (and in SO_ERROR until then) */
  int z = udp4(&pa);
  connect(z, SA(&ta), sizeof ta); /* z takes only t's datagrams */
  int c = socket(AF_INET, SOCK_DGRAM, 0);
  NSHOW("connect to a port that refuses", connect(c, SA(&pa), sizeof pa));
  NSHOW("send", send(c, "x", 1, 0));
  struct pollfd p = { c, 0, 0 };
  poll(&p, 1, -1);
  pollshow("poll after ICMP", c);
  NSHOW("recv after ICMP", recv(c, buf, sizeof buf, MSG_DONTWAIT));
  NSHOW("recv again", recv(c, buf, sizeof buf, MSG_DONTWAIT));
  send(c, "x", 1, 0);
  poll(&p, 1, -1);
  printf("SO_ERROR %s\n", errname(geti(c, SOL_SOCKET, SO_ERROR)));
  printf("SO_ERROR again %d\n", geti(c, SOL_SOCKET, SO_ERROR));
  send(c, "x", 1, 0);
  poll(&p, 1, -1);
  NSHOW("send after ICMP", send(c, "x", 1, 0));
  /* IP_RECVERR: the ICMP error is also queued, with the offending datagram, on the error
   * queue that recvmsg(MSG_ERRQUEUE) reads */
  int v = 1;
  NSHOW("IP_RECVERR on", setsockopt(c, IPPROTO_IP, IP_RECVERR, &v, sizeof v));
  /* reading an empty error queue never waits (a 1 s SO_RCVTIMEO bounds the damage if it did) */
  struct timeval etv = { 1, 0 };
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &etv, sizeof etv);
  double t0 = now();
  NSHOW("recvmsg MSG_ERRQUEUE, empty", recv(c, buf, sizeof buf, MSG_ERRQUEUE));
  printf("returned at once: %d\n", now() - t0 < 0.5);
  NSHOW("send", send(c, "oops", 4, 0));
  poll(&p, 1, -1);
  struct sockaddr_in en;
  union { char b[256]; struct cmsghdr align; } ectl;
  struct iovec eio = { buf, sizeof buf };
  struct msghdr em;
  memset(&em, 0, sizeof em);
  memset(buf, 0, sizeof buf);
  em.msg_name = &en;
  em.msg_namelen = sizeof en;
  em.msg_iov = &eio;
  em.msg_iovlen = 1;
  em.msg_control = ectl.b;
  em.msg_controllen = sizeof ectl.b;
  NSHOW("recvmsg MSG_ERRQUEUE", recvmsg(c, &em, MSG_ERRQUEUE));
  printf("payload %s flags MSG_ERRQUEUE %d namelen %d name == destination %d\n", buf,
         (em.msg_flags & MSG_ERRQUEUE) != 0, (int)em.msg_namelen, same4(&en, &pa));
  for (struct cmsghdr *cm = CMSG_FIRSTHDR(&em); cm; cm = CMSG_NXTHDR(&em, cm)) {
    printf("  cmsg level %d type %d len %d", cm->cmsg_level, cm->cmsg_type, (int)cm->cmsg_len);
    if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_RECVERR) {
      struct sock_extended_err ee;
      memcpy(&ee, CMSG_DATA(cm), sizeof ee);
      printf(" errno %s origin %d type %d code %d", errname(ee.ee_errno), ee.ee_origin, ee.ee_type, ee.ee_code);
    }
    printf("\n");
  }
  t0 = now();
  NSHOW("recvmsg MSG_ERRQUEUE again", recv(c, buf, sizeof buf, MSG_ERRQUEUE));
  printf("returned at once: %d\n", now() - t0 < 0.5);
  NSHOW("recv after the error queue", recv(c, buf, sizeof buf, MSG_DONTWAIT));
  /* an unconnected socket does not see the error */
  int n = socket(AF_INET, SOCK_DGRAM, 0);
  sendto(n, "x", 1, 0, SA(&pa), sizeof pa);
  NSHOW("unconnected sender: recv", recv(n, buf, sizeof buf, MSG_DONTWAIT));
  close(n);
  close(c);
  close(z);
  close(r);
  close(s);
  close(t);
}

static void show_cmsgs(struct msghdr *m) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
    printf("  cmsg level %d type %d len %d", c->cmsg_level, c->cmsg_type, (int)c->cmsg_len);
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      printf(" ifindex %d spec_dst loopback %d addr loopback %d", pi.ipi_ifindex,
             pi.ipi_spec_dst.s_addr == htonl(INADDR_LOOPBACK), pi.ipi_addr.s_addr == htonl(INADDR_LOOPBACK));
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      int ttl;
      memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      printf(" ttl %d", ttl);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS && c->cmsg_len >= CMSG_LEN(1)) {
      printf(" tos %d", *(unsigned char *)CMSG_DATA(c));
    }
    printf("\n");
  }
}

static void messages(void) {
  printf("-- messages\n");
  struct sockaddr_in ra, sa;
  int r = udp4(&ra), s = udp4(&sa);
  char buf[64];

  /* sendmsg gathers several iovecs into one datagram; recvmsg scatters it */
  struct iovec out[4] = { { "one-", 4 }, { "", 0 }, { "two-", 4 }, { "three", 5 } };
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_name = &ra;
  m.msg_namelen = sizeof ra;
  m.msg_iov = out;
  m.msg_iovlen = 4;
  NSHOW("sendmsg 4 iovecs", sendmsg(s, &m, 0));
  char p1[5] = {0}, p2[20] = {0};
  struct iovec in[2] = { { p1, 4 }, { p2, sizeof p2 - 1 } };
  struct sockaddr_in from;
  memset(&m, 0, sizeof m);
  m.msg_name = &from;
  m.msg_namelen = sizeof from;
  m.msg_iov = in;
  m.msg_iovlen = 2;
  NSHOW("recvmsg 2 iovecs", recvmsg(r, &m, 0));
  printf("parts %s|%s namelen %d flags %d\n", p1, p2, (int)m.msg_namelen, m.msg_flags);
  REL("source == sender's name", same4(&from, &sa));

  /* a truncated datagram: MSG_TRUNC in msg_flags; with MSG_TRUNC in flags, the real length */
  sendto(s, "0123456789", 10, 0, SA(&ra), sizeof ra);
  sendto(s, "abcdefghij", 10, 0, SA(&ra), sizeof ra);
  struct iovec small = { buf, 4 };
  memset(&m, 0, sizeof m);
  m.msg_iov = &small;
  m.msg_iovlen = 1;
  NSHOW("recvmsg 4 of 10", recvmsg(r, &m, 0));
  printf("msg_flags MSG_TRUNC %d data %.4s\n", (m.msg_flags & MSG_TRUNC) != 0, buf);
  m.msg_flags = 0;
  NSHOW("recvmsg 4 of 10, flag MSG_TRUNC", recvmsg(r, &m, MSG_TRUNC));
  printf("msg_flags MSG_TRUNC %d data %.4s\n", (m.msg_flags & MSG_TRUNC) != 0, buf);
  sendto(s, "exact", 5, 0, SA(&ra), sizeof ra);
  small.iov_len = 5;
  m.msg_flags = 0;
  NSHOW("recvmsg exact fit", recvmsg(r, &m, 0));
  printf("msg_flags %d\n", m.msg_flags);

  /* IP_PKTINFO and IP_RECVTTL: control messages describing the datagram */
  int v = 1;
  NSHOW("IP_PKTINFO on", setsockopt(r, IPPROTO_IP, IP_PKTINFO, &v, sizeof v));
  NSHOW("IP_RECVTTL on", setsockopt(r, IPPROTO_IP, IP_RECVTTL, &v, sizeof v));
  printf("IP_PKTINFO %d IP_RECVTTL %d\n", geti(r, IPPROTO_IP, IP_PKTINFO), geti(r, IPPROTO_IP, IP_RECVTTL));
  v = 33;
  setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof v);
  sendto(s, "ctl", 3, 0, SA(&ra), sizeof ra);
  union { char b[256]; struct cmsghdr align; } ctl;
  struct iovec io = { buf, sizeof buf };
  memset(&m, 0, sizeof m);
  m.msg_iov = &io;
  m.msg_iovlen = 1;
  m.msg_control = ctl.b;
  m.msg_controllen = sizeof ctl.b;
  NSHOW("recvmsg with control", recvmsg(r, &m, 0));
  printf("controllen %d flags %d\n", (int)m.msg_controllen, m.msg_flags);
  show_cmsgs(&m);

  /* IP_TTL as a control message on send */
  v = 7;
  char sctl[CMSG_SPACE(sizeof(int))];
  memset(sctl, 0, sizeof sctl);
  struct msghdr sm;
  struct iovec sio = { "ttl7", 4 };
  memset(&sm, 0, sizeof sm);
  sm.msg_name = &ra;
  sm.msg_namelen = sizeof ra;
  sm.msg_iov = &sio;
  sm.msg_iovlen = 1;
  sm.msg_control = sctl;
  sm.msg_controllen = sizeof sctl;
  struct cmsghdr *c = CMSG_FIRSTHDR(&sm);
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_TTL;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &v, sizeof v);
  NSHOW("sendmsg with IP_TTL 7", sendmsg(s, &sm, 0));
  m.msg_controllen = sizeof ctl.b;
  m.msg_flags = 0;
  NSHOW("recvmsg", recvmsg(r, &m, 0));
  printf("controllen %d flags %d\n", (int)m.msg_controllen, m.msg_flags);
  show_cmsgs(&m);
  /* a control buffer with room for the first message only: MSG_CTRUNC */
  sendto(s, "ct", 2, 0, SA(&ra), sizeof ra);
  m.msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
  m.msg_flags = 0;
  NSHOW("recvmsg small control", recvmsg(r, &m, 0));
  printf("controllen %d MSG_CTRUNC %d\n", (int)m.msg_controllen, (m.msg_flags & MSG_CTRUNC) != 0);
  show_cmsgs(&m);
  /* no control buffer at all */
  sendto(s, "nc", 2, 0, SA(&ra), sizeof ra);
  m.msg_control = NULL;
  m.msg_controllen = 0;
  m.msg_flags = 0;
  NSHOW("recvmsg no control", recvmsg(r, &m, 0));
  printf("controllen %d MSG_CTRUNC %d\n", (int)m.msg_controllen, (m.msg_flags & MSG_CTRUNC) != 0);
  /* SOL_SOCKET messages: SCM_RIGHTS and SCM_CREDENTIALS mean nothing to UDP and Linux skips
   * them (and sends the datagram); an unknown type is EINVAL */
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  int fd0 = 0;
  memcpy(CMSG_DATA(c), &fd0, sizeof fd0);
  NSHOW("sendmsg SCM_RIGHTS", sendmsg(s, &sm, 0));
  c->cmsg_type = 77;
  NSHOW("sendmsg SOL_SOCKET type 77", sendmsg(s, &sm, 0));
  printf("queued before marker: %d\n", before_marker(s, r, &ra));
  /* a control message whose length overruns the buffer */
  c->cmsg_level = IPPROTO_IP;
  c->cmsg_type = IP_TTL;
  c->cmsg_len = sizeof sctl + 8;
  NSHOW("sendmsg bad cmsg_len", sendmsg(s, &sm, 0));
  v = 0;
  setsockopt(r, IPPROTO_IP, IP_PKTINFO, &v, sizeof v);
  setsockopt(r, IPPROTO_IP, IP_RECVTTL, &v, sizeof v);
  printf("queued before marker: %d\n", before_marker(s, r, &ra));

  /* sendmmsg/recvmmsg */
  char rb[4][16];
  struct mmsghdr mm[4];
  struct iovec mio[4];
  const char *words[3] = { "alpha", "be", "gamma!" };
  memset(mm, 0, sizeof mm);
  for (int i = 0; i < 3; i++) {
    mio[i].iov_base = (void *)words[i];
    mio[i].iov_len = strlen(words[i]);
    mm[i].msg_hdr.msg_name = &ra;
    mm[i].msg_hdr.msg_namelen = sizeof ra;
    mm[i].msg_hdr.msg_iov = &mio[i];
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  NSHOW("sendmmsg 3", sendmmsg(s, mm, 3, 0));
  printf("msg_len %u %u %u\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
  struct sockaddr_in froms[4];
  memset(mm, 0, sizeof mm);
  memset(rb, 0, sizeof rb);
  for (int i = 0; i < 4; i++) {
    mio[i].iov_base = rb[i];
    mio[i].iov_len = sizeof rb[i] - 1;
    mm[i].msg_hdr.msg_name = &froms[i];
    mm[i].msg_hdr.msg_namelen = sizeof froms[i];
    mm[i].msg_hdr.msg_iov = &mio[i];
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  NSHOW("recvmmsg 3", recvmmsg(r, mm, 3, 0, NULL));
  printf("got %s %s %s lens %u %u %u\n", rb[0], rb[1], rb[2], mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
  REL("sources == sender's name", same4(&froms[0], &sa) && same4(&froms[2], &sa) && mm[1].msg_hdr.msg_namelen == sizeof sa);
  NSHOW("recvmmsg MSG_DONTWAIT empty", recvmmsg(r, mm, 4, MSG_DONTWAIT, NULL));
  sendto(s, "one", 3, 0, SA(&ra), sizeof ra);
  NSHOW("recvmmsg 4 MSG_WAITFORONE with 1 queued", recvmmsg(r, mm, 4, MSG_WAITFORONE, NULL));
  /* sendmmsg stops at the first failing message and reports how many went */
  memset(mm, 0, sizeof mm);
  struct sockaddr_in port0 = lo4(0);
  for (int i = 0; i < 3; i++) {
    mio[i].iov_base = (void *)words[i];
    mio[i].iov_len = strlen(words[i]);
    mm[i].msg_hdr.msg_name = i == 1 ? &port0 : &ra;
    mm[i].msg_hdr.msg_namelen = sizeof ra;
    mm[i].msg_hdr.msg_iov = &mio[i];
    mm[i].msg_hdr.msg_iovlen = 1;
  }
  NSHOW("sendmmsg with a bad second", sendmmsg(s, mm, 3, 0));
  NSHOW("sendmmsg bad first", sendmmsg(s, mm + 1, 2, 0));
  printf("queued before marker: %d\n", before_marker(s, r, &ra));
  NSHOW("sendmmsg vlen 0", sendmmsg(s, mm, 0, 0));
  close(r);
  close(s);
}

/* v4-mapped IPv6: AF_INET6 datagram sockets talking over IPv4 loopback. */
static void ipv6(void) {
  printf("-- ipv6\n");
  struct sockaddr_in ra;
  int r = udp4(&ra);
  int s6 = socket(AF_INET6, SOCK_DGRAM, 0);
  printf("SO_DOMAIN %d SO_TYPE %d SO_PROTOCOL %d IPV6_V6ONLY %d\n", geti(s6, SOL_SOCKET, SO_DOMAIN),
         geti(s6, SOL_SOCKET, SO_TYPE), geti(s6, SOL_SOCKET, SO_PROTOCOL), geti(s6, IPPROTO_IPV6, IPV6_V6ONLY));
  struct sockaddr_in6 m;
  memset(&m, 0, sizeof m);
  m.sin6_family = AF_INET6;
  m.sin6_port = ra.sin_port;
  inet_pton(AF_INET6, "::ffff:127.0.0.1", &m.sin6_addr);
  NSHOW("v6 sendto v4-mapped", sendto(s6, "six", 3, 0, SA(&m), sizeof m));
  struct sockaddr_in from;
  socklen_t fl = sizeof from;
  char buf[16];
  NSHOW("v4 recvfrom", recvfrom(r, buf, sizeof buf, 0, SA(&from), &fl));
  struct sockaddr_in6 n6;
  socklen_t nl = sizeof n6;
  getsockname(s6, SA(&n6), &nl);
  printf("v4 sees: len %d family %d loopback %d same port %d\n", (int)fl, from.sin_family,
         from.sin_addr.s_addr == htonl(INADDR_LOOPBACK), from.sin_port == n6.sin6_port);
  printf("v6 sender autobound: len %d to :: %d\n", (int)nl, !memcmp(&n6.sin6_addr, &in6addr_any, 16));
  NSHOW("v4 replies", sendto(r, "four", 4, 0, SA(&from), fl));
  struct sockaddr_in6 f6;
  socklen_t f6l = sizeof f6;
  NSHOW("v6 recvfrom", recvfrom(s6, buf, sizeof buf, 0, SA(&f6), &f6l));
  printf("v6 sees: len %d family %d v4mapped %d same port %d\n", (int)f6l, f6.sin6_family,
         IN6_IS_ADDR_V4MAPPED(&f6.sin6_addr), f6.sin6_port == ra.sin_port);
  NSHOW("v6 sendto AF_INET address", sendto(s6, "x", 1, 0, SA(&ra), sizeof ra));
  NSHOW("v6 sendto addrlen 20", sendto(s6, "x", 1, 0, SA(&m), 20));
  int v = 1;
  int o = socket(AF_INET6, SOCK_DGRAM, 0);
  setsockopt(o, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof v);
  NSHOW("v6only sendto v4-mapped", sendto(o, "x", 1, 0, SA(&m), sizeof m));
  close(o);
  close(s6);
  close(r);
}

/* Found by review: read/write keep datagram boundaries (writev sends one datagram,
 * readv fills every iovec from one, a zero-length read consumes nothing). */
static void boundaries(void) {
  struct sockaddr_in ra, sa;
  int r = udp4(&ra), s = udp4(&sa);
  NSHOW("connect", connect(s, SA(&ra), sizeof ra));
  static char a[4000], b[4004], big[6000], out[9000];
  memset(a, 'a', sizeof a);
  memset(b, 'b', sizeof b);
  struct iovec v[2] = { { a, sizeof a }, { b, sizeof b } };
  NSHOW("writev 8004", writev(s, v, 2));
  wait_in(r);
  NSHOW("one datagram of", recv(r, out, sizeof out, 0));
  memset(big, 'c', sizeof big);
  NSHOW("write 6000", write(s, big, sizeof big));
  wait_in(r);
  NSHOW("read 0", read(r, out, 0));
  char x[1000], y[8000];
  struct iovec w[2] = { { x, sizeof x }, { y, sizeof y } };
  NSHOW("readv the same datagram", readv(r, w, 2));
  printf("second iovec filled: %d\n", y[0] == 'c' && y[4999] == 'c');
  NSHOW("queue empty", recv(r, out, sizeof out, MSG_DONTWAIT));
  close(r);
  close(s);
}

int main(void) {
  setup();
  signal(SIGPIPE, SIG_IGN);
  basics();
  connected();
  messages();
  ipv6();
  boundaries();
  return 0;
}
