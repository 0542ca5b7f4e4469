/* Ancillary data on AF_UNIX sockets: SCM_RIGHTS (install, MSG_CTRUNC, MSG_CMSG_CLOEXEC,
 * in-flight files, cycles closed while in flight) and SCM_CREDENTIALS (SO_PASSCRED, the
 * kernel's checks of claimed credentials), /proc/self/fd links and fstat of sockets. */
#include "check.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static int send_fds(int s, const char *data, int len, const int *fds, int n, int flags) {
  char cbuf[CMSG_SPACE(sizeof(int) * 300)];
  struct iovec iv = { (void *)data, len };
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iv;
  m.msg_iovlen = 1;
  if (n > 0) {
    memset(cbuf, 0, sizeof cbuf);
    m.msg_control = cbuf;
    m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
  }
  return sendmsg(s, &m, flags);
}

static int send_cred(int s, const char *data, pid_t pid, uid_t uid, gid_t gid, size_t clen) {
  char cbuf[CMSG_SPACE(sizeof(struct ucred))];
  struct iovec iv = { (void *)data, strlen(data) };
  struct msghdr m;
  memset(&m, 0, sizeof m);
  memset(cbuf, 0, sizeof cbuf);
  m.msg_iov = &iv;
  m.msg_iovlen = 1;
  m.msg_control = cbuf;
  m.msg_controllen = sizeof cbuf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_CREDENTIALS;
  c->cmsg_len = clen;
  struct ucred u = { pid, uid, gid };
  memcpy(CMSG_DATA(c), &u, sizeof u);
  return sendmsg(s, &m, 0);
}

static int got_fds[300];
static int ngot;
static struct ucred got_cred;
static int have_cred;

/* recvmsg with cspace bytes of control buffer; prints a summary line. */
static long recv_show(const char *label, int s, size_t cspace, int flags, pid_t expect_pid) {
  static char cbuf[4096];
  char data[128];
  struct iovec iv = { data, sizeof data };
  struct msghdr m;
  memset(&m, 0, sizeof m);
  m.msg_iov = &iv;
  m.msg_iovlen = 1;
  m.msg_control = cspace ? cbuf : NULL;
  m.msg_controllen = cspace;
  memset(cbuf, 0, sizeof cbuf);
  errno = 0;
  long r = recvmsg(s, &m, flags);
  if (r < 0) { printf("%s: -1 %s\n", label, errname(errno)); return r; }
  printf("%s: %ld \"%.*s\" ctrunc=%d trunc=%d controllen=%zu", label, r, (int)r, data, (m.msg_flags & MSG_CTRUNC) != 0,
         (m.msg_flags & MSG_TRUNC) != 0, (size_t)m.msg_controllen);
  ngot = 0;
  have_cred = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    printf(" [level %d type %d len %zu", c->cmsg_level, c->cmsg_type, (size_t)c->cmsg_len);
    if (c->cmsg_type == SCM_RIGHTS) {
      int n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      memcpy(got_fds, CMSG_DATA(c), n * sizeof(int));
      ngot = n;
      printf(" fds %d", n);
      for (int i = 0; i < n; i++) printf(" cloexec=%d", fcntl(got_fds[i], F_GETFD));
    } else if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
      memcpy(&got_cred, CMSG_DATA(c), sizeof got_cred);
      have_cred = 1;
      if (expect_pid > 0) printf(" pid==expected %d uid==getuid %d gid==getgid %d", got_cred.pid == expect_pid,
                                 got_cred.uid == getuid(), got_cred.gid == getgid());
      else printf(" cred %d %d %d", got_cred.pid, (int)got_cred.uid, (int)got_cred.gid);
    }
    printf("]");
  }
  printf("\n");
  return r;
}

int main(void) {
  setup();
  int sv[2];
  char buf[64];
  SHOW("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  char link[64], path[64];
  snprintf(path, sizeof path, "/proc/self/fd/%d", sv[0]);
  ssize_t ll = readlink(path, link, sizeof link - 1);
  link[ll > 0 ? ll : 0] = 0;
  printf("fd link is socket: %d\n", strncmp(link, "socket:[", 8) == 0 && link[ll - 1] == ']');
  struct stat st;
  fstat(sv[0], &st);
  printf("fstat S_ISSOCK %d\n", S_ISSOCK(st.st_mode));

  /* one descriptor */
  int p[2];
  pipe(p);
  SHOW("send pipe write end", send_fds(sv[0], "F", 1, &p[1], 1, 0));
  recv_show("recv with room", sv[1], CMSG_SPACE(sizeof(int)), 0, 0);
  SHOW("write through received fd", write(got_fds[0], "via", 3));
  SHOW("read pipe", read(p[0], buf, sizeof buf));
  close(got_fds[0]);
  /* MSG_CMSG_CLOEXEC */
  send_fds(sv[0], "G", 1, &p[1], 1, 0);
  recv_show("recv cloexec", sv[1], CMSG_SPACE(sizeof(int)), MSG_CMSG_CLOEXEC, 0);
  close(got_fds[0]);
  /* three descriptors, room for one: MSG_CTRUNC, the rest closed */
  int three[3] = { p[1], p[1], p[1] };
  SHOW("send three", send_fds(sv[0], "H", 1, three, 3, 0));
  recv_show("recv room for two of three", sv[1], CMSG_SPACE(sizeof(int)), 0, 0);
  for (int i = 0; i < ngot; i++) close(got_fds[i]);
  /* no control buffer at all */
  send_fds(sv[0], "I", 1, &p[1], 1, 0);
  recv_show("recv without control", sv[1], 0, 0, 0);
  /* control buffer smaller than a header */
  send_fds(sv[0], "J", 1, &p[1], 1, 0);
  recv_show("recv tiny control", sv[1], 8, 0, 0);
  /* the pipe's only writer left is p[1]: closing it gives EOF (no leaked copies) */
  close(p[1]);
  SHOW("pipe EOF (no leaked write ends)", read(p[0], buf, sizeof buf));
  close(p[0]);

  /* in-flight files stay alive after the sender closes them */
  pipe(p);
  send_fds(sv[0], "K", 1, &p[0], 1, 0);
  close(p[0]);
  write(p[1], "alive", 5);
  close(p[1]);
  recv_show("recv in-flight read end", sv[1], CMSG_SPACE(sizeof(int)), 0, 0);
  SHOW("read via received end", read(got_fds[0], buf, sizeof buf));
  SHOW("then EOF", read(got_fds[0], buf, sizeof buf));
  close(got_fds[0]);

  /* a stream read stops after data that carried descriptors */
  pipe(p);
  send(sv[0], "aaa", 3, 0);
  send_fds(sv[0], "bbb", 3, &p[0], 1, 0);
  send(sv[0], "ccc", 3, 0);
  recv_show("read glued up to the fds", sv[1], CMSG_SPACE(sizeof(int)), 0, 0);
  close(got_fds[0]);
  recv_show("read the rest", sv[1], CMSG_SPACE(sizeof(int)), 0, 0);
  /* MSG_PEEK passes copies of the descriptors */
  send_fds(sv[0], "pk", 2, &p[0], 1, 0);
  recv_show("peek", sv[1], CMSG_SPACE(sizeof(int)), MSG_PEEK, 0);
  int peeked = got_fds[0];
  recv_show("then recv", sv[1], CMSG_SPACE(sizeof(int)), 0, 0);
  printf("peek gave another fd: %d\n", peeked != got_fds[0]);
  close(peeked);
  close(got_fds[0]);

  /* send errors */
  int bad = 999;
  SHOW("send bad fd", send_fds(sv[0], "x", 1, &bad, 1, 0));
  int many[254];
  for (int i = 0; i < 254; i++) many[i] = p[0];
  SHOW("send 254 fds", send_fds(sv[0], "x", 1, many, 254, 0));
  SHOW("send 253 fds", send_fds(sv[0], "x", 1, many, 253, 0));
  recv_show("recv 253 with no room", sv[1], 0, 0, 0);
  {
    char cbuf[64];
    struct iovec iv = { "x", 1 };
    struct msghdr m;
    memset(&m, 0, sizeof m);
    memset(cbuf, 0, sizeof cbuf);
    m.msg_iov = &iv;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = sizeof cbuf;
    struct cmsghdr *c = (struct cmsghdr *)cbuf;
    c->cmsg_len = 8;
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    SHOW("cmsg_len too small", sendmsg(sv[0], &m, MSG_DONTWAIT));
    c->cmsg_len = 100;
    SHOW("cmsg_len past the buffer", sendmsg(sv[0], &m, MSG_DONTWAIT));
    c->cmsg_len = CMSG_LEN(4);
    c->cmsg_type = 77;
    SHOW("unknown cmsg type", sendmsg(sv[0], &m, MSG_DONTWAIT));
    c->cmsg_level = 6;
    SHOW("other level is skipped", sendmsg(sv[0], &m, MSG_DONTWAIT));
    m.msg_controllen = 10;
    SHOW("control shorter than a header", sendmsg(sv[0], &m, MSG_DONTWAIT));
    m.msg_control = (void *)8;
    m.msg_controllen = 32;
    SHOW("control EFAULT", sendmsg(sv[0], &m, MSG_DONTWAIT));
    recv(sv[1], buf, sizeof buf, 0);
  }

  /* SCM_CREDENTIALS */
  int one = 1;
  int d[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, d);
  SHOW("dgram before SO_PASSCRED", send(d[0], "before", 6, 0));
  SHOW("SO_PASSCRED", setsockopt(d[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
  int v = 0;
  socklen_t vl = sizeof v;
  getsockopt(d[1], SOL_SOCKET, SO_PASSCRED, &v, &vl);
  printf("passcred %d\n", v);
  recv_show("data sent before", d[1], 256, 0, 0);
  send(d[0], "plain", 5, 0);
  recv_show("kernel-filled creds", d[1], 256, 0, getpid());
  SHOW("explicit own creds", send_cred(d[0], "own", getpid(), getuid(), getgid(), CMSG_LEN(sizeof(struct ucred))));
  recv_show("explicit creds", d[1], 256, 0, getpid());
  SHOW("bad cmsg_len", send_cred(d[0], "x", getpid(), getuid(), getgid(), CMSG_LEN(8)));
  SHOW("uid -1", send_cred(d[0], "x", getpid(), (uid_t)-1, getgid(), CMSG_LEN(sizeof(struct ucred))));
  SHOW("no such pid", send_cred(d[0], "x", 999999, getuid(), getgid(), CMSG_LEN(sizeof(struct ucred))));
  SHOW("pid 0", send_cred(d[0], "x", 0, getuid(), getgid(), CMSG_LEN(sizeof(struct ucred))));
  send(d[0], "w", 1, 0);
  recv_show("cred room too small", d[1], CMSG_LEN(4), MSG_DONTWAIT, 0);
  send(d[0], "z", 1, 0);
  recv_show("cred without control", d[1], 0, 0, 0);
  pid_t pid = fork();
  if (pid == 0) {
    setgid(65534);
    setuid(65534);
    SHOW("child claims root uid", send_cred(d[0], "x", getpid(), 0, 65534, CMSG_LEN(sizeof(struct ucred))));
    SHOW("child claims parent pid", send_cred(d[0], "x", getppid(), 65534, 65534, CMSG_LEN(sizeof(struct ucred))));
    SHOW("child sends own", send_cred(d[0], "child", getpid(), 65534, 65534, CMSG_LEN(sizeof(struct ucred))));
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  recv_show("child creds", d[1], 256, 0, pid);
  printf("child uid 65534: %d\n", have_cred && got_cred.uid == 65534);
  /* stream reads with SO_PASSCRED never glue data of different writers */
  int s2[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, s2);
  setsockopt(s2[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  send(s2[0], "parent", 6, 0);
  pid = fork();
  if (pid == 0) { send(s2[0], "child", 5, 0); _exit(0); }
  waitpid(pid, &status, 0);
  send(s2[0], "parent2", 7, 0);
  recv_show("stream first writer", s2[1], 256, 0, getpid());
  recv_show("stream second writer", s2[1], 256, 0, pid);
  recv_show("stream third", s2[1], 256, 0, getpid());
  shutdown(s2[0], SHUT_WR);
  recv_show("stream EOF with passcred", s2[1], 256, 0, 0);
  struct ucred pc;
  socklen_t pcl = sizeof pc;
  getsockopt(s2[0], SOL_SOCKET, SO_PEERCRED, &pc, &pcl);
  printf("socketpair peercred pid == self %d\n", pc.pid == getpid());

  /* cycles of sockets in flight, then closed: must not crash or hang */
  int c1[2], c2[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, c1);
  socketpair(AF_UNIX, SOCK_DGRAM, 0, c2);
  SHOW("send c1[0] over itself", send_fds(c1[0], "c", 1, &c1[0], 1, 0));
  SHOW("send c1[1] into c2", send_fds(c2[0], "c", 1, &c1[1], 1, 0));
  SHOW("send c2[1] into c1", send_fds(c1[1], "c", 1, &c2[1], 1, 0));
  close(c1[0]); close(c1[1]); close(c2[0]); close(c2[1]);
  int after = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("socket after cycle", after >= 0);
  return 0;
}
