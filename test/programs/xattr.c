/* Extended attributes on tmpfs (/dev/shm, a tmpfs natively and in the sandbox): the four
 * namespaces, XATTR_CREATE/REPLACE, size rules, listing, the l- and f-variants, and the
 * permission rules for an unprivileged caller (a forked child drops to uid 1000). */
#include "check.h"
#include <sys/wait.h>
#include <sys/xattr.h>
#include <grp.h>

static void *volatile badp = (void *)8;

static char dir[128];
static const char *in(const char *rel) {
  static char b[4][256];
  static int i;
  char *p = b[i++ % 4];
  snprintf(p, 256, "%s/%s", dir, rel);
  return p;
}

/* Prints a listxattr result as sorted names (the order is the file system's business). */
static void show_list(const char *label, const char *path, int follow) {
  char b[4096];
  ssize_t n = follow ? listxattr(path, b, sizeof b) : llistxattr(path, b, sizeof b);
  if (n < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
  const char *names[64];
  int k = 0;
  for (char *p = b; p < b + n && k < 64; p += strlen(p) + 1) names[k++] = p;
  for (int i = 0; i < k; i++)
    for (int j = i + 1; j < k; j++)
      if (strcmp(names[i], names[j]) > 0) { const char *x = names[i]; names[i] = names[j]; names[j] = x; }
  printf("%s: %zd [", label, n);
  for (int i = 0; i < k; i++) printf("%s%s", i ? " " : "", names[i]);
  printf("]\n");
}

static void get(const char *label, const char *path, const char *name) {
  char v[256];
  errno = 0;
  ssize_t n = getxattr(path, name, v, sizeof v - 1);
  if (n < 0) printf("%s: -1 %s\n", label, errname(errno));
  else { v[n] = 0; printf("%s: %zd '%s'\n", label, n, v); }
}

int main(void) {
  setup();
  strcpy(dir, "/dev/shm/tsv-xattr-XXXXXX");
  if (!mkdtemp(dir)) { perror("mkdtemp"); return 99; }
  chmod(dir, 0755);
  put_file(in("f"), "data");
  mkdir(in("d"), 0755);
  symlink("f", in("l"));

  SHOW("set user", setxattr(in("f"), "user.a", "one", 3, 0));
  get("get user", in("f"), "user.a");
  SHOW("get size 0", getxattr(in("f"), "user.a", NULL, 0));
  char small[2];
  SHOW("get too small", getxattr(in("f"), "user.a", small, 2));
  SHOW("get missing", getxattr(in("f"), "user.nope", small, 2));
  SHOW("create existing", setxattr(in("f"), "user.a", "x", 1, XATTR_CREATE));
  SHOW("replace missing", setxattr(in("f"), "user.b", "x", 1, XATTR_REPLACE));
  SHOW("replace existing", setxattr(in("f"), "user.a", "two!", 4, XATTR_REPLACE));
  get("after replace", in("f"), "user.a");
  SHOW("create new", setxattr(in("f"), "user.b", "bee", 3, XATTR_CREATE));
  SHOW("empty value", setxattr(in("f"), "user.empty", "", 0, 0));
  get("get empty", in("f"), "user.empty");
  SHOW("bad flags", setxattr(in("f"), "user.c", "x", 1, 4));
  SHOW("both flags", setxattr(in("f"), "user.c", "x", 1, XATTR_CREATE | XATTR_REPLACE));
  SHOW("set trusted", setxattr(in("f"), "trusted.t", "tt", 2, 0));
  SHOW("set security", setxattr(in("f"), "security.s", "ss", 2, 0));
  SHOW("set system", setxattr(in("f"), "system.foo", "x", 1, 0));
  SHOW("set unknown ns", setxattr(in("f"), "foo.bar", "x", 1, 0));
  SHOW("set no prefix", setxattr(in("f"), "plain", "x", 1, 0));
  SHOW("set bare prefix", setxattr(in("f"), "user.", "x", 1, 0));
  SHOW("get bare prefix", getxattr(in("f"), "user.", small, 2));
  SHOW("get unknown ns", getxattr(in("f"), "foo.bar", small, 2));
  SHOW("empty name", setxattr(in("f"), "", "x", 1, 0));
  char longname[300];
  memset(longname, 'n', sizeof longname);
  memcpy(longname, "user.", 5);
  longname[255] = 0;
  SHOW("name 255", setxattr(in("f"), longname, "x", 1, 0));
  SHOW("remove 255", removexattr(in("f"), longname));
  longname[255] = 'n';
  longname[256] = 0;
  SHOW("name 256", setxattr(in("f"), longname, "x", 1, 0));
  SHOW("get name 256", getxattr(in("f"), longname, small, 2));
  SHOW("name 256 missing path", setxattr(in("nope"), longname, "x", 1, 0));
  static char big[70000];
  SHOW("value 64k", setxattr(in("f"), "user.big", big, 65536, 0));
  SHOW("get 64k", getxattr(in("f"), "user.big", big, sizeof big));
  SHOW("value 64k+1", setxattr(in("f"), "user.big2", big, 65537, 0));
  SHOW("remove big", removexattr(in("f"), "user.big"));
  SHOW("bad value ptr", setxattr(in("f"), "user.c", badp, 4, 0));
  SHOW("bad name ptr", setxattr(in("f"), (char *)badp, "x", 1, 0));
  SHOW("get bad buffer", getxattr(in("f"), "user.a", badp, 10));
  SHOW("missing path", setxattr(in("nope"), "user.a", "x", 1, 0));
  SHOW("missing path get", getxattr(in("nope"), "user.a", small, 2));
  SHOW("bad name, missing path", getxattr(in("nope"), "", small, 2));
  show_list("list", in("f"), 1);
  SHOW("list size 0", listxattr(in("f"), NULL, 0));
  SHOW("list too small", listxattr(in("f"), small, 2));
  SHOW("list bad buffer", listxattr(in("f"), (char *)badp, 100));
  SHOW("list missing", listxattr(in("nope"), small, 2));

  /* removing */
  SHOW("remove", removexattr(in("f"), "user.b"));
  SHOW("remove again", removexattr(in("f"), "user.b"));
  SHOW("remove trusted", removexattr(in("f"), "trusted.t"));
  show_list("list after remove", in("f"), 1);

  /* directories, symlinks, fifos */
  SHOW("dir user", setxattr(in("d"), "user.d", "dd", 2, 0));
  show_list("dir list", in("d"), 1);
  SHOW("follow link", setxattr(in("l"), "user.vial", "v", 1, 0));
  SHOW("lset on link", lsetxattr(in("l"), "user.x", "x", 1, 0));
  SHOW("lget on link", lgetxattr(in("l"), "user.vial", small, 2));
  SHOW("lset trusted on link", lsetxattr(in("l"), "trusted.x", "x", 1, 0));
  show_list("llist on link", in("l"), 0);
  SHOW("lremove trusted on link", lremovexattr(in("l"), "trusted.x"));
  SHOW("device user", setxattr("/dev/null", "user.x", "x", 1, 0));
  SHOW("device get", getxattr("/dev/null", "user.x", small, 2));
  SHOW("device get trusted", getxattr("/dev/null", "trusted.x", small, 2));

  /* f-variants */
  int fd = open(in("f"), O_RDONLY);
  SHOW("fset on rdonly fd", fsetxattr(fd, "user.fd", "f", 1, 0));
  char v[16];
  SHOW("fget", fgetxattr(fd, "user.fd", v, sizeof v));
  SHOW("flist size", flistxattr(fd, NULL, 0));
  SHOW("fremove", fremovexattr(fd, "user.fd"));
  SHOW("fget bad fd", fgetxattr(99, "user.fd", v, sizeof v));
  SHOW("fget bad fd bad name", fgetxattr(99, "", v, sizeof v));
  SHOW("fset bad fd bad flags", fsetxattr(99, "user.x", "x", 1, 8));
  SHOW("flist bad fd", flistxattr(99, v, sizeof v));
  SHOW("fremove bad fd", fremovexattr(99, "user.x"));
  close(fd);

  /* ctime changes on set */
  struct stat a, b;
  stat(in("f"), &a);
  usleep(20000);
  setxattr(in("f"), "user.t", "1", 1, 0);
  stat(in("f"), &b);
  REL("ctime moved", b.st_ctim.tv_sec > a.st_ctim.tv_sec || b.st_ctim.tv_nsec != a.st_ctim.tv_nsec);

  /* unprivileged */
  chmod(in("f"), 0644);
  mkdir(in("sticky"), 01777);
  put_file(in("mine"), "m");
  chmod(in("mine"), 0666);
  pid_t c = fork();
  if (c == 0) {
    if (setgroups(0, NULL) || setgid(1000) || setuid(1000)) { perror("drop"); _exit(1); }
    get("unpriv get user", in("f"), "user.a");
    SHOW("unpriv set user on 0644", setxattr(in("f"), "user.z", "z", 1, 0));
    SHOW("unpriv set user on 0666", setxattr(in("mine"), "user.z", "z", 1, 0));
    SHOW("unpriv get trusted", getxattr(in("f"), "trusted.t", small, 2));
    SHOW("unpriv set trusted", setxattr(in("mine"), "trusted.z", "z", 1, 0));
    SHOW("unpriv set security", setxattr(in("mine"), "security.z", "z", 1, 0));
    get("unpriv get security", in("f"), "security.s");
    show_list("unpriv list", in("f"), 1);
    SHOW("unpriv sticky dir", setxattr(in("sticky"), "user.s", "s", 1, 0));
    SHOW("unpriv remove on 0644", removexattr(in("f"), "user.a"));
    _exit(0);
  }
  int st;
  waitpid(c, &st, 0);
  printf("child exit: %d\n", WEXITSTATUS(st));
  show_list("final list", in("f"), 1);

  rm_tree(dir);
  return 0;
}
