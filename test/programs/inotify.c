/* inotify: events for creating, writing, reading, attribute changes, opening and closing,
 * renames with cookies, deletes, IN_IGNORED, one-shot and mask flags, FIONREAD, short
 * reads, the queue limit with IN_Q_OVERFLOW, and the error paths. Runs in a tmpfs
 * (/dev/shm), as the sandbox's own. */
#include "check.h"
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/xattr.h>
#include <sys/sendfile.h>
#include <linux/fs.h>

static char dir[128];
static int wd_base;
static unsigned last_cookie;

static const char *bits(unsigned m) {
  static char b[256];
  b[0] = 0;
#define B(x) if (m & x) { strcat(b, #x "|"); m &= ~x; }
  B(IN_ACCESS) B(IN_MODIFY) B(IN_ATTRIB) B(IN_CLOSE_WRITE) B(IN_CLOSE_NOWRITE) B(IN_OPEN) B(IN_MOVED_FROM)
  B(IN_MOVED_TO) B(IN_CREATE) B(IN_DELETE) B(IN_DELETE_SELF) B(IN_MOVE_SELF) B(IN_UNMOUNT) B(IN_Q_OVERFLOW)
  B(IN_IGNORED) B(IN_ISDIR)
#undef B
  if (m) sprintf(b + strlen(b), "0x%x|", m);
  if (b[0]) b[strlen(b) - 1] = 0;
  return b;
}

/* Reads and prints every queued event (nonblocking fd). */
static void drain(const char *label, int fd) {
  char buf[65536] __attribute__((aligned(8)));
  printf("-- %s\n", label);
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno != EAGAIN) printf("read: %s\n", errname(errno));
      break;
    }
    for (char *p = buf; p < buf + n;) {
      struct inotify_event *e = (struct inotify_event *)p;
      const char *cookie = "";
      if (e->cookie) {
        cookie = e->cookie == last_cookie ? " cookie=same" : " cookie=new";
        last_cookie = e->cookie;
      }
      printf("wd=%d %s%s len=%u name=%s\n", e->wd < 0 ? e->wd : e->wd - wd_base, bits(e->mask), cookie, e->len,
             e->len ? e->name : "");
      p += sizeof *e + e->len;
    }
  }
}

static const char *in(const char *rel) {
  static char b[4][256];
  static int i;
  char *p = b[i++ % 4];
  snprintf(p, 256, "%s/%s", dir, rel);
  return p;
}

int main(void) {
  setup();
  strcpy(dir, "/dev/shm/tsv-inotify-XXXXXX");
  if (!mkdtemp(dir)) { perror("mkdtemp"); return 99; }
  chmod(dir, 0755);

  SHOW("init1 bad flags", inotify_init1(1));
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  REL("init1", fd >= 0);
  SHOW("cloexec", fcntl(fd, F_GETFD));
  SHOW("getfl", fcntl(fd, F_GETFL) & (O_ACCMODE | O_NONBLOCK));
  int blk = inotify_init();
  SHOW("init blocking getfl", fcntl(blk, F_GETFL) & (O_ACCMODE | O_NONBLOCK));

  /* errors */
  SHOW("add bad fd", inotify_add_watch(99, dir, IN_ALL_EVENTS));
  int pfd[2];
  pipe(pfd);
  SHOW("add not inotify", inotify_add_watch(pfd[0], dir, IN_ALL_EVENTS));
  SHOW("add zero mask", inotify_add_watch(fd, dir, 0));
  SHOW("add only flags", inotify_add_watch(fd, dir, IN_ONESHOT | IN_ONLYDIR));
  SHOW("add mask_add|create", inotify_add_watch(fd, dir, IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE));
  SHOW("add missing", inotify_add_watch(fd, in("nope"), IN_ALL_EVENTS));
  SHOW("add bad path ptr", inotify_add_watch(fd, (char *)8, IN_ALL_EVENTS));
  SHOW("add empty path", inotify_add_watch(fd, "", IN_ALL_EVENTS));
  SHOW("rm bad fd", inotify_rm_watch(99, 1));
  SHOW("rm not inotify", inotify_rm_watch(pfd[0], 1));
  SHOW("rm unknown wd", inotify_rm_watch(fd, 12345));
  put_file(in("plain"), "x");
  SHOW("onlydir on file", inotify_add_watch(fd, in("plain"), IN_ALL_EVENTS | IN_ONLYDIR));

  int wd = inotify_add_watch(fd, dir, IN_ALL_EVENTS);
  wd_base = wd - 1;
  SHOW("wd dir", wd - wd_base);
  SHOW("same inode same wd", inotify_add_watch(fd, dir, IN_ALL_EVENTS) - wd_base);
  SHOW("mask_create existing", inotify_add_watch(fd, dir, IN_CREATE | IN_MASK_CREATE));
  drain("nothing yet", fd);
  int n = -1;
  SHOW("fionread empty", ioctl(fd, FIONREAD, &n));
  SHOW("fionread value", n);
  char small[8];
  SHOW("read empty", read(fd, small, sizeof small));

  /* create, write, read, close */
  int f = open(in("a"), O_CREAT | O_WRONLY, 0644);
  write(f, "hello", 5);
  write(f, "hello", 5);
  close(f);
  drain("create+write", fd);
  f = open(in("a"), O_RDONLY);
  char buf[16];
  read(f, buf, sizeof buf);
  read(f, buf, sizeof buf);
  close(f);
  drain("read", fd);
  f = open(in("a"), O_WRONLY | O_TRUNC);
  close(f);
  drain("trunc open", fd);

  /* O_PATH opens make no events; listing a directory does */
  close(open(in("a"), O_PATH));
  int dfd = open(dir, O_RDONLY | O_DIRECTORY);
  char dents[4096];
  syscall(SYS_getdents64, dfd, dents, sizeof dents);
  syscall(SYS_getdents64, dfd, dents, sizeof dents);
  close(dfd);
  drain("O_PATH and listing", fd);

  /* sendfile reports both ends */
  int sfo = open(in("sfout"), O_CREAT | O_WRONLY, 0644);
  put_file(in("sfin"), "abc");
  int sfi = open(in("sfin"), O_RDONLY);
  drain("sendfile setup", fd);
  SHOW("sendfile", sendfile(sfo, sfi, NULL, 3));
  close(sfi);
  close(sfo);
  unlink(in("sfout"));
  unlink(in("sfin"));
  drain("sendfile", fd);

  /* FIONREAD and a too-small read */
  mkdir(in("sub"), 0755);
  n = -1;
  SHOW("fionread", ioctl(fd, FIONREAD, &n));
  SHOW("fionread bytes", n);
  SHOW("read too small", read(fd, small, sizeof small));
  drain("mkdir", fd);

  /* attributes */
  chmod(in("a"), 0600);
  chown(in("a"), -1, -1);
  chown(in("a"), 0, 0);
  truncate(in("a"), 2);
  struct timespec ts[2] = { { 1, 0 }, { 2, 0 } };
  utimensat(AT_FDCWD, in("a"), ts, 0);
  ts[0].tv_nsec = UTIME_OMIT;
  utimensat(AT_FDCWD, in("a"), ts, 0);
  ts[0].tv_nsec = 0;
  ts[1].tv_nsec = UTIME_OMIT;
  utimensat(AT_FDCWD, in("a"), ts, 0);
  setxattr(in("a"), "user.k", "v", 1, 0);
  removexattr(in("a"), "user.k");
  removexattr(in("a"), "user.k");
  drain("attrib", fd);

  /* links, symlinks, renames with cookies */
  link(in("a"), in("b"));
  symlink("a", in("s"));
  rename(in("b"), in("c"));
  rename(in("sub"), in("sub2"));
  drain("link+rename", fd);

  /* a watch on a file: self events */
  int wf = inotify_add_watch(fd, in("a"), IN_ALL_EVENTS);
  SHOW("wd file", wf - wd_base);
  f = open(in("a"), O_RDWR);
  write(f, "z", 1);
  close(f);
  rename(in("a"), in("a2"));
  drain("watched file", fd);
  rename(in("c"), in("a2"));
  drain("rename over watched", fd);
  unlink(in("a2"));
  drain("unlink watched", fd);

  /* the last name of a watched file goes; a watched directory moves */
  put_file(in("g"), "1");
  mkdir(in("m"), 0755);
  drain("setup g m", fd);
  int wg = inotify_add_watch(fd, in("g"), IN_ALL_EVENTS);
  int wmv = inotify_add_watch(fd, in("m"), IN_ALL_EVENTS);
  SHOW("wd g", wg - wd_base);
  SHOW("wd m", wmv - wd_base);
  unlink(in("g"));
  drain("unlink last name", fd);
  rename(in("m"), in("m2"));
  chmod(in("m2"), 0700);
  drain("move watched dir", fd);
  rmdir(in("m2"));
  drain("rmdir m2", fd);

  /* a watched file unlinked while open: IN_DELETE_SELF waits for the last close */
  put_file(in("h"), "1");
  drain("setup h", fd);
  int wh = inotify_add_watch(fd, in("h"), IN_ALL_EVENTS);
  SHOW("wd h", wh - wd_base);
  int hfd = open(in("h"), O_RDWR);
  unlink(in("h"));
  write(hfd, "2", 1);
  drain("unlinked while open", fd);
  close(hfd);
  drain("last close", fd);

  /* exchange: two moves with their own cookies; replacing: IN_ATTRIB on the victim */
  put_file(in("x1"), "1");
  mkdir(in("x2"), 0755);
  put_file(in("x3"), "3");
  drain("setup exchange", fd);
  int wx = inotify_add_watch(fd, in("x1"), IN_ALL_EVENTS);
  inotify_add_watch(fd, in("x3"), IN_ALL_EVENTS);
  syscall(SYS_renameat2, AT_FDCWD, in("x1"), AT_FDCWD, in("x2"), RENAME_EXCHANGE);
  drain("exchange", fd);
  rename(in("x2"), in("x3"));
  drain("replace watched", fd);
  inotify_rm_watch(fd, wx);
  unlink(in("x3"));
  rmdir(in("x1"));
  drain("cleanup exchange", fd);

  /* watch a subdirectory and remove it */
  int ws = inotify_add_watch(fd, in("sub2"), IN_ALL_EVENTS);
  SHOW("wd sub", ws - wd_base);
  put_file(in("sub2/x"), "1");
  unlink(in("sub2/x"));
  rmdir(in("sub2"));
  drain("rmdir watched", fd);
  SHOW("rm removed wd", inotify_rm_watch(fd, ws));

  /* one-shot, mask add, rm_watch */
  put_file(in("o"), "1");
  drain("setup o", fd);
  int wo = inotify_add_watch(fd, in("o"), IN_MODIFY | IN_ONESHOT);
  SHOW("wd oneshot", wo - wd_base);
  f = open(in("o"), O_WRONLY);
  write(f, "1", 1);
  write(f, "2", 1);
  close(f);
  drain("oneshot", fd);
  int wm = inotify_add_watch(fd, in("o"), IN_MODIFY);
  SHOW("wd after oneshot is new", wm - wd_base);
  SHOW("mask add", inotify_add_watch(fd, in("o"), IN_ATTRIB | IN_MASK_ADD) - wd_base);
  SHOW("rm dir watch", inotify_rm_watch(fd, wd));
  chmod(in("o"), 0644);
  f = open(in("o"), O_WRONLY);
  write(f, "3", 1);
  close(f);
  drain("mask add events", fd);
  SHOW("rm file watch", inotify_rm_watch(fd, wm));
  SHOW("rm twice", inotify_rm_watch(fd, wm));
  drain("after rm", fd);

  /* IN_DONT_FOLLOW watches the link itself; following watches the target */
  symlink("o", in("lnk"));
  int wl = inotify_add_watch(fd, in("lnk"), IN_ATTRIB | IN_DONT_FOLLOW);
  int wt = inotify_add_watch(fd, in("lnk"), IN_ATTRIB);
  REL("link and target differ", wl != wt);
  chmod(in("lnk"), 0600); /* follows: the target changes */
  drain("dont_follow", fd);

  /* IN_EXCL_UNLINK: nothing about an unlinked child */
  int wd2 = inotify_add_watch(fd, dir, IN_MODIFY | IN_EXCL_UNLINK);
  f = open(in("e"), O_CREAT | O_RDWR, 0644);
  write(f, "1", 1);
  unlink(in("e"));
  write(f, "2", 1);
  close(f);
  drain("excl_unlink", fd);
  inotify_rm_watch(fd, wd2);
  drain("rm excl", fd);

  /* blocking read + poll */
  int wb = inotify_add_watch(blk, dir, IN_CREATE);
  struct pollfd p = { blk, POLLIN, 0 };
  SHOW("poll empty", poll(&p, 1, 0));
  put_file(in("p"), "1");
  SHOW("poll ready", poll(&p, 1, 0));
  char big[4096];
  SHOW("blocking read", read(blk, big, sizeof big));
  inotify_rm_watch(blk, wb);
  SHOW("read ignored", read(blk, big, sizeof big));

  /* queue overflow: more events than max_queued_events */
  int q = inotify_init1(IN_NONBLOCK);
  mkdir(in("many"), 0755);
  inotify_add_watch(q, in("many"), IN_CREATE | IN_DELETE);
  char name[64];
  for (int i = 0; i < 8300; i++) {
    snprintf(name, sizeof name, "%s/many/f%d", dir, i);
    close(open(name, O_CREAT | O_WRONLY, 0644));
    unlink(name);
  }
  int total = 0, overflow = 0, last_overflow = 0;
  for (;;) {
    ssize_t r = read(q, big, sizeof big);
    if (r <= 0) break;
    for (char *e = big; e < big + r;) {
      struct inotify_event *ev = (struct inotify_event *)e;
      total++;
      last_overflow = ev->mask == IN_Q_OVERFLOW && ev->wd == -1;
      overflow += last_overflow;
      e += sizeof *ev + ev->len;
    }
  }
  printf("overflow: total=%d overflow=%d last=%d\n", total, overflow, last_overflow);
  close(q);

  close(fd);
  close(blk);
  char cmd[256];
  snprintf(cmd, sizeof cmd, "%s/many", dir);
  rm_tree(dir);
  struct stat st;
  REL("removed", stat(dir, &st) == -1);
  return 0;
}
