/* AF_UNIX names: bind to paths (socket inodes in the file system) and abstract names,
 * autobind, address lengths, getsockname/getpeername, connect errors, socket(2) checks. */
#include "check.h"
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static socklen_t mkaddr(struct sockaddr_un *a, const char *path) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  strncpy(a->sun_path, path, sizeof a->sun_path);
  return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static socklen_t mkabs(struct sockaddr_un *a, const char *name) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  memcpy(a->sun_path + 1, name, strlen(name));
  return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

static void show_name(const char *label, int fd, int peer) {
  struct sockaddr_un a;
  memset(&a, 0x55, sizeof a);
  socklen_t len = sizeof a;
  int r = peer ? getpeername(fd, (struct sockaddr *)&a, &len) : getsockname(fd, (struct sockaddr *)&a, &len);
  if (r < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
  printf("%s: len=%d family=%d", label, (int)len, a.sun_family);
  if (len > 2 && a.sun_path[0]) printf(" path=%.*s", (int)(len - 2), a.sun_path);
  else if (len > 2) printf(" abstract(%d)", (int)(len - 3));
  printf("\n");
}

int main(void) {
  setup();
  const char *dir = make_tmpdir("unames");
  if (chdir(dir) < 0) return 99;
  struct sockaddr_un a;
  socklen_t len;

  /* socket(2) argument checks */
  /* (AF_INET/AF_INET6/AF_NETLINK are EAFNOSUPPORT in the sandbox for now: not compared.) */
  SHOW("socket(family 200)", socket(200, SOCK_STREAM, 0));
  SHOW("socket(bad flags)", socket(AF_UNIX, SOCK_STREAM | 0x100000, 0));
  SHOW("socket(type 4 RDM)", socket(AF_UNIX, SOCK_RDM, 0));
  SHOW("socket(type 12)", socket(AF_UNIX, 12, 0));
  SHOW("socket(protocol 2)", socket(AF_UNIX, SOCK_STREAM, 2));
  int raw = socket(AF_UNIX, SOCK_RAW, 0);
  int type = 0; len = sizeof type;
  getsockopt(raw, SOL_SOCKET, SO_TYPE, &type, &len);
  printf("SOCK_RAW gives type %d\n", type);
  close(raw);
  int p1 = socket(AF_UNIX, SOCK_STREAM, PF_UNIX);
  SHOW("socket(protocol PF_UNIX)", p1 >= 0);
  close(p1);
  SHOW("socketpair(DGRAM)", socketpair(AF_UNIX, SOCK_DGRAM, 0, (int[2]){0, 0}) == 0);
  SHOW("socketpair(SEQPACKET)", socketpair(AF_UNIX, SOCK_SEQPACKET, 0, (int[2]){0, 0}) == 0);
  SHOW("socketpair(INET DGRAM)", socketpair(AF_INET, SOCK_DGRAM, 0, (int[2]){0, 0}));
  SHOW("bind(pipe)", bind(0 + 100, (struct sockaddr *)&a, 4));
  int pfd[2];
  pipe(pfd);
  SHOW("bind(not a socket)", bind(pfd[0], (struct sockaddr *)&a, 4));
  SHOW("listen(not a socket)", listen(pfd[0], 1));

  /* bind to a path */
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  show_name("unbound name", s, 0);
  show_name("unbound peer", s, 1);
  len = mkaddr(&a, "sock1");
  umask(022);
  SHOW("bind sock1", bind(s, (struct sockaddr *)&a, len));
  show_name("bound name", s, 0);
  struct stat st;
  SHOW("stat sock1", stat("sock1", &st));
  REL("S_ISSOCK", S_ISSOCK(st.st_mode));
  printf("mode %o\n", st.st_mode & 07777);
  SHOW("open sock1", open("sock1", O_RDONLY));
  SHOW("bind again", bind(s, (struct sockaddr *)&a, len));
  len = mkaddr(&a, "sock2");
  SHOW("bind bound socket to new path", bind(s, (struct sockaddr *)&a, len));
  SHOW("sock2 left behind", access("sock2", F_OK));
  int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
  len = mkaddr(&a, "sock1");
  SHOW("bind existing path", bind(s2, (struct sockaddr *)&a, len));
  int fd = open("plainfile", O_CREAT | O_WRONLY, 0644);
  close(fd);
  len = mkaddr(&a, "plainfile");
  SHOW("bind over a file", bind(s2, (struct sockaddr *)&a, len));
  len = mkaddr(&a, "nodir/x");
  SHOW("bind missing dir", bind(s2, (struct sockaddr *)&a, len));
  len = mkaddr(&a, "plainfile/x");
  SHOW("bind under a file", bind(s2, (struct sockaddr *)&a, len));
  len = mkaddr(&a, "sockdir/");
  SHOW("bind trailing slash", bind(s2, (struct sockaddr *)&a, len));
  symlink("dangling-target", "dangling");
  len = mkaddr(&a, "dangling");
  SHOW("bind dangling symlink", bind(s2, (struct sockaddr *)&a, len));
  /* address length rules */
  len = mkaddr(&a, "sock3");
  SHOW("bind len 1", bind(s2, (struct sockaddr *)&a, 1));
  SHOW("bind len 111", bind(s2, (struct sockaddr *)&a, 111));
  SHOW("bind len 200", bind(s2, (struct sockaddr *)&a, 200));
  SHOW("bind len -1", bind(s2, (struct sockaddr *)&a, -1));
  SHOW("bind EFAULT", bind(s2, (struct sockaddr *)8, len));
  a.sun_family = AF_INET;
  SHOW("bind wrong family", bind(s2, (struct sockaddr *)&a, len));
  /* a path shorter than addrlen says: the name ends at the first NUL */
  len = mkaddr(&a, "sock3");
  SHOW("bind sock3 with long addrlen", bind(s2, (struct sockaddr *)&a, sizeof a));
  show_name("sock3 name", s2, 0);
  close(s2);
  /* a path using all 108 bytes, no NUL */
  s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  memset(a.sun_path, 'L', sizeof a.sun_path);
  SHOW("bind 108-byte path", bind(s2, (struct sockaddr *)&a, sizeof a));
  len = sizeof a;
  memset(&a, 0, sizeof a);
  SHOW("getsockname 108", getsockname(s2, (struct sockaddr *)&a, &len));
  printf("len %d last %c\n", (int)len, a.sun_path[107]);
  char longname[109];
  memset(longname, 'L', 108);
  longname[108] = 0;
  SHOW("unlink long", unlink(longname));
  close(s2);
  /* getsockname with a short buffer */
  len = 4;
  memset(&a, 0, sizeof a);
  SHOW("getsockname short", getsockname(s, (struct sockaddr *)&a, &len));
  printf("len %d path0 %d\n", (int)len, a.sun_path[0]);
  len = -1;
  SHOW("getsockname len -1", getsockname(s, (struct sockaddr *)&a, &len));
  SHOW("getsockname EFAULT len", getsockname(s, (struct sockaddr *)&a, (socklen_t *)8));

  /* connect errors */
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  len = mkaddr(&a, "nonexistent");
  SHOW("connect ENOENT", connect(c, (struct sockaddr *)&a, len));
  len = mkaddr(&a, "plainfile");
  SHOW("connect to a file", connect(c, (struct sockaddr *)&a, len));
  len = mkaddr(&a, "sock1");
  SHOW("connect not listening", connect(c, (struct sockaddr *)&a, len));
  int d = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW("dgram connect to stream", connect(d, (struct sockaddr *)&a, len));
  SHOW("connect len 1", connect(c, (struct sockaddr *)&a, 1));
  SHOW("connect len 111", connect(c, (struct sockaddr *)&a, 111));
  SHOW("connect EFAULT", connect(c, (struct sockaddr *)8, len));
  SHOW("listen dgram", listen(d, 5));
  int u = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("listen unbound", listen(u, 5));
  close(u);
  SHOW("listen sock1", listen(s, 5));
  int acc = 0; len = sizeof acc;
  getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len);
  printf("SO_ACCEPTCONN %d\n", acc);
  len = mkaddr(&a, "sock1");
  SHOW("connect sock1", connect(c, (struct sockaddr *)&a, len));
  SHOW("connect again", connect(c, (struct sockaddr *)&a, len));
  show_name("client name", c, 0);
  show_name("client peer", c, 1);
  SHOW("connect listener", connect(s, (struct sockaddr *)&a, len));
  len = sizeof a;
  int sv = accept(s, (struct sockaddr *)&a, &len);
  SHOW("accept", sv >= 0);
  printf("accept addrlen %d\n", (int)len);
  show_name("server name", sv, 0);
  show_name("server peer", sv, 1);
  show_name("listener peer", s, 1);
  /* permission: connect needs write permission on the socket file */
  SHOW("chmod 0555", chmod("sock1", 0555));
  pid_t pid = fork();
  if (pid == 0) {
    setgid(65534);
    setuid(65534);
    int cc = socket(AF_UNIX, SOCK_STREAM, 0);
    len = mkaddr(&a, "sock1");
    SHOW("child connect no write perm", connect(cc, (struct sockaddr *)&a, len));
    len = mkaddr(&a, "childsock");
    SHOW("child bind in root-owned dir", bind(cc, (struct sockaddr *)&a, len));
    _exit(0);
  }
  int status;
  waitpid(pid, &status, 0);
  chmod("sock1", 0755);
  /* unlink removes the name, not the socket */
  SHOW("unlink sock1", unlink("sock1"));
  show_name("name after unlink", s, 0);
  int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
  len = mkaddr(&a, "sock1");
  SHOW("connect after unlink", connect(c2, (struct sockaddr *)&a, len));
  /* a new socket can take the name; the old one keeps listening */
  int s3 = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("rebind sock1", bind(s3, (struct sockaddr *)&a, len));
  SHOW("connect to new (not listening)", connect(c2, (struct sockaddr *)&a, len));
  /* rename keeps the socket reachable */
  SHOW("listen s3", listen(s3, 1));
  SHOW("rename", rename("sock1", "sock1-renamed"));
  len = mkaddr(&a, "sock1-renamed");
  SHOW("connect renamed", connect(c2, (struct sockaddr *)&a, len));
  close(s3);
  int c3 = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("connect closed listener", connect(c3, (struct sockaddr *)&a, len));
  close(c3);
  /* connect through a symlink to a socket */
  int s4 = socket(AF_UNIX, SOCK_STREAM, 0);
  len = mkaddr(&a, "sock4");
  bind(s4, (struct sockaddr *)&a, len);
  listen(s4, 1);
  symlink("sock4", "link4");
  c3 = socket(AF_UNIX, SOCK_STREAM, 0);
  len = mkaddr(&a, "link4");
  SHOW("connect via symlink", connect(c3, (struct sockaddr *)&a, len));
  close(c3);
  close(s4);

  /* abstract names */
  int x1 = socket(AF_UNIX, SOCK_STREAM, 0);
  len = mkabs(&a, "tsv-abs-test");
  SHOW("bind abstract", bind(x1, (struct sockaddr *)&a, len));
  show_name("abstract name", x1, 0);
  int x2 = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("bind abstract again", bind(x2, (struct sockaddr *)&a, len));
  SHOW("bind abstract prefix", bind(x2, (struct sockaddr *)&a, len - 1));
  show_name("prefix name", x2, 0);
  int x3 = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW("dgram binds the stream's abstract name", bind(x3, (struct sockaddr *)&a, len));
  int x4 = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW("dgram connect to abstract (stream listener absent)", connect(x4, (struct sockaddr *)&a, len));
  SHOW("listen abstract", listen(x1, 2));
  int xc = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("connect abstract", connect(xc, (struct sockaddr *)&a, len));
  show_name("abstract peer", xc, 1);
  int xs = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  SHOW("seqpacket connect to stream abstract", connect(xs, (struct sockaddr *)&a, len));
  mkabs(&a, "tsv-abs-missing");
  SHOW("connect missing abstract", connect(xs, (struct sockaddr *)&a, len));
  close(x1);
  mkabs(&a, "tsv-abs-test");
  int xc2 = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("connect after close", connect(xc2, (struct sockaddr *)&a, len));
  SHOW("bind freed abstract", bind(xc2, (struct sockaddr *)&a, len));

  /* autobind */
  int ab = socket(AF_UNIX, SOCK_DGRAM, 0);
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  SHOW("autobind", bind(ab, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path)));
  len = sizeof a;
  getsockname(ab, (struct sockaddr *)&a, &len);
  int hex = 1;
  for (int i = 1; i < 6; i++) hex &= (a.sun_path[i] >= '0' && a.sun_path[i] <= '9') || (a.sun_path[i] >= 'a' && a.sun_path[i] <= 'f');
  printf("autobind len %d nul %d hex %d\n", (int)len, a.sun_path[0], hex);
  SHOW("autobind again", bind(ab, (struct sockaddr *)&a, offsetof(struct sockaddr_un, sun_path)));
  len = mkabs(&a, "other");
  SHOW("bind after autobind", bind(ab, (struct sockaddr *)&a, len));
  /* autobind on connect with SO_PASSCRED */
  int pc = socket(AF_UNIX, SOCK_DGRAM, 0);
  int one = 1;
  setsockopt(pc, SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
  int tgt = socket(AF_UNIX, SOCK_DGRAM, 0);
  len = mkabs(&a, "tsv-dgram-target");
  bind(tgt, (struct sockaddr *)&a, len);
  SHOW("passcred connect", connect(pc, (struct sockaddr *)&a, len));
  len = sizeof a;
  getsockname(pc, (struct sockaddr *)&a, &len);
  printf("passcred autobound len %d\n", (int)len);
  int np = socket(AF_UNIX, SOCK_DGRAM, 0);
  len = mkabs(&a, "tsv-dgram-target");
  SHOW("plain connect", connect(np, (struct sockaddr *)&a, len));
  show_name("plain stays unnamed", np, 0);
  SHOW("sendto from plain", sendto(np, "x", 1, 0, NULL, 0));
  char buf[16];
  len = sizeof a;
  memset(&a, 0x55, sizeof a);
  SHOW("recvfrom unnamed sender", recvfrom(tgt, buf, sizeof buf, 0, (struct sockaddr *)&a, &len));
  printf("from len %d\n", (int)len);
  SHOW("send from passcred", send(pc, "y", 1, 0));
  len = sizeof a;
  SHOW("recvfrom autobound sender", recvfrom(tgt, buf, sizeof buf, 0, (struct sockaddr *)&a, &len));
  printf("from len %d\n", (int)len);

  SHOW("shutdown unconnected", shutdown(u = socket(AF_UNIX, SOCK_STREAM, 0), SHUT_RDWR));
  SHOW("getpeername dgram unconnected", getpeername(ab, (struct sockaddr *)&a, &len));
  unlink("sock1-renamed"); unlink("sock4"); unlink("link4"); unlink("plainfile"); unlink("dangling");
  unlink("sock3"); unlink("sock2");
  if (chdir("/") == 0) rmdir(dir);
  return 0;
}
