/* Permissions from the credentials, on tmpfs (/dev/shm): mode bits for owner, group,
 * supplementary groups and others; umask; sticky and set-gid directories; chmod/chown
 * rules (EPERM, set-id bits cleared); capabilities (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
 * CAP_FOWNER, CAP_CHOWN, CAP_FSETID) dropped with capset by a root child; fchmodat2
 * with AT_SYMLINK_NOFOLLOW; utimensat's ownership rules; access/faccessat. Each block
 * runs in a forked child that drops privileges, so native and sandbox runs test the same. */
#include "check.h"
#include <grp.h>
#include <sys/wait.h>
#include <linux/capability.h>

static char dir[128];
static const char *in(const char *rel) {
  static char b[8][256];
  static int i;
  char *p = b[i++ % 8];
  snprintf(p, 256, "%s/%s", dir, rel);
  return p;
}

static void mode_of(const char *label, const char *p) {
  struct stat st;
  if (lstat(p, &st) < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
  printf("%s: %o uid %d gid %d\n", label, st.st_mode & 07777, (int)st.st_uid, (int)st.st_gid);
}

static void drop(uid_t uid, gid_t gid, int ngroups, const gid_t *groups) {
  if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) {
    perror("drop");
    _exit(97);
  }
}

/* Removes the given capabilities from the effective set (the child stays uid 0). */
static void drop_caps(unsigned long long caps) {
  struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct d[2];
  if (syscall(SYS_capget, &h, d)) { perror("capget"); _exit(96); }
  d[0].effective &= ~(unsigned)caps;
  d[1].effective &= ~(unsigned)(caps >> 32);
  if (syscall(SYS_capset, &h, d)) { perror("capset"); _exit(96); }
}

#define CAP(x) (1ULL << (x))

static void wait_child(const char *label, pid_t c) {
  int st;
  waitpid(c, &st, 0);
  printf("%s exit: %d\n", label, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static int try_open(const char *p, int flags) {
  int fd = open(p, flags);
  if (fd >= 0) close(fd);
  return fd >= 0 ? 0 : -1;
}

int main(void) {
  setup();
  strcpy(dir, "/dev/shm/tsv-perms-XXXXXX");
  if (!mkdtemp(dir)) { perror("mkdtemp"); return 99; }
  chmod(dir, 0755);
  umask(0);

  /* fixtures (as root) */
  put_file(in("own"), "o");     chown(in("own"), 1000, 1000);  chmod(in("own"), 0600);
  put_file(in("grp"), "g");     chown(in("grp"), 0, 2000);     chmod(in("grp"), 0060);
  put_file(in("oth"), "x");     chown(in("oth"), 0, 0);        chmod(in("oth"), 0604);
  put_file(in("none"), "n");    chmod(in("none"), 0000);
  put_file(in("ro"), "r");      chmod(in("ro"), 0444);
  put_file(in("exe"), "#!/bin/sh\n"); chmod(in("exe"), 0644);
  mkdir(in("noexec"), 0644);   put_file(in("noexec/f"), "f");
  mkdir(in("sticky"), 01777);
  put_file(in("sticky/root"), "r"); chmod(in("sticky/root"), 0666);
  put_file(in("sticky/u1"), "1");   chown(in("sticky/u1"), 1000, 1000);
  mkdir(in("sgid"), 02775);    chown(in("sgid"), 0, 3000);   chmod(in("sgid"), 02777);
  mkdir(in("closed"), 0700);   put_file(in("closed/f"), "c");
  mkdir(in("ro_dir"), 0555);   put_file(in("ro_dir/f"), "f");
  put_file(in("suid"), "s");   chmod(in("suid"), 06755);
  put_file(in("sgid_noexec"), "s"); chmod(in("sgid_noexec"), 02644);
  put_file(in("u1file"), "u");  chown(in("u1file"), 1000, 1000); chmod(in("u1file"), 0644);
  symlink("own", in("lnk"));
  mode_of("sgid dir", in("sgid"));

  pid_t c = fork();
  if (c == 0) {
    gid_t g[] = { 2000 };
    drop(1000, 1000, 1, g);
    SHOW("owner read 0600", try_open(in("own"), O_RDWR));
    SHOW("suppl group rw 0060", try_open(in("grp"), O_RDWR));
    SHOW("other read 0604", try_open(in("oth"), O_RDONLY));
    SHOW("other write 0604", try_open(in("oth"), O_WRONLY));
    SHOW("none read", try_open(in("none"), O_RDONLY));
    SHOW("exec without x", execl(in("exe"), "exe", NULL));
    SHOW("search without x", try_open(in("noexec/f"), O_RDONLY));
    SHOW("list without r (closed)", try_open(in("closed"), O_RDONLY | O_DIRECTORY));
    SHOW("create in ro dir", open(in("ro_dir/new"), O_CREAT | O_WRONLY, 0644));
    SHOW("unlink in ro dir", unlink(in("ro_dir/f")));
    SHOW("rename in ro dir", rename(in("ro_dir/f"), in("ro_dir/g")));
    SHOW("mkdir in ro dir", mkdir(in("ro_dir/d"), 0755));
    SHOW("access R_OK none", access(in("none"), R_OK));
    SHOW("access W_OK own", access(in("own"), W_OK));
    SHOW("access X_OK own", access(in("own"), X_OK));
    SHOW("faccessat eaccess", faccessat(AT_FDCWD, in("grp"), R_OK | W_OK, AT_EACCESS));

    /* umask */
    umask(027);
    int fd = open(in("sticky/mine"), O_CREAT | O_WRONLY, 0666);
    close(fd);
    mode_of("created with umask 027", in("sticky/mine"));
    mkdir(in("sticky/mydir"), 0777);
    mode_of("mkdir with umask 027", in("sticky/mydir"));
    umask(0);

    /* sticky directory */
    SHOW("sticky unlink other's", unlink(in("sticky/root")));
    SHOW("sticky rename other's", rename(in("sticky/root"), in("sticky/r2")));
    SHOW("sticky rename over other's", rename(in("sticky/mine"), in("sticky/root")));
    SHOW("sticky unlink own", unlink(in("sticky/u1")));
    SHOW("sticky write other's 0666", try_open(in("sticky/root"), O_WRONLY));

    /* set-gid directory: gid inherited; S_ISGID on new subdirs; S_ISGID dropped from a
     * new group-executable file whose group the creator is not in */
    fd = open(in("sgid/f"), O_CREAT | O_WRONLY, 02755);
    close(fd);
    mode_of("file in sgid dir", in("sgid/f"));
    fd = open(in("sgid/f2"), O_CREAT | O_WRONLY, 02644);
    close(fd);
    mode_of("file 02644 in sgid dir", in("sgid/f2"));
    mkdir(in("sgid/sub"), 0755);
    mode_of("subdir of sgid dir", in("sgid/sub"));
    SHOW("chmod g+s own file, not in group", chmod(in("sgid/f"), 02755));
    mode_of("after chmod g+s", in("sgid/f"));
    SHOW("chmod g+s own dir, not in group", chmod(in("sgid/sub"), 02755));
    mode_of("dir after chmod g+s", in("sgid/sub"));
    SHOW("chmod other's file", chmod(in("oth"), 0777));
    SHOW("chmod own", chmod(in("own"), 0640));
    SHOW("chmod own setuid", chmod(in("u1file"), 04755));
    mode_of("u1file", in("u1file"));

    /* chown as a user */
    SHOW("chown own to other uid", chown(in("own"), 0, -1));
    SHOW("chgrp own to suppl group", chown(in("own"), -1, 2000));
    mode_of("own after chgrp", in("own"));
    SHOW("chgrp own to foreign group", chown(in("own"), -1, 5000));
    SHOW("chown own to self", chown(in("own"), 1000, -1));
    SHOW("chown noop", chown(in("own"), -1, -1));
    SHOW("chown other's", chown(in("oth"), -1, 1000));
    SHOW("chgrp u1file setuid to suppl", chown(in("u1file"), -1, 2000));
    mode_of("u1file after chgrp", in("u1file"));

    /* utimensat rules */
    struct timespec ts[2] = { { 1, 0 }, { 2, 0 } };
    SHOW("utimes explicit on other's 0604", utimensat(AT_FDCWD, in("oth"), ts, 0));
    SHOW("utimes now on other's 0604", utimensat(AT_FDCWD, in("oth"), NULL, 0));
    SHOW("utimes now on writable other's", utimensat(AT_FDCWD, in("sticky/root"), NULL, 0));
    SHOW("utimes explicit on writable other's", utimensat(AT_FDCWD, in("sticky/root"), ts, 0));
    SHOW("utimes explicit own", utimensat(AT_FDCWD, in("own"), ts, 0));
    SHOW("truncate other's ro", truncate(in("oth"), 0));
    _exit(0);
  }
  wait_child("user", c);
  mode_of("sticky/root still", in("sticky/root"));

  /* chown as root clears set-id bits */
  SHOW("chown suid file", chown(in("suid"), 1000, -1));
  mode_of("suid after chown", in("suid"));
  SHOW("chown sgid no-exec", chown(in("sgid_noexec"), 1000, -1));
  mode_of("sgid no-exec after chown", in("sgid_noexec"));
  chmod(in("suid"), 06755);
  SHOW("chown -1 -1 suid", chown(in("suid"), -1, -1));
  mode_of("suid after noop chown", in("suid"));
  SHOW("lchown link", lchown(in("lnk"), 1234, 1234));
  mode_of("link after lchown", in("lnk"));
  mode_of("target after lchown", in("own"));
  SHOW("fchownat nofollow", fchownat(AT_FDCWD, in("lnk"), 1, 1, AT_SYMLINK_NOFOLLOW));
  SHOW("fchownat bad flag", fchownat(AT_FDCWD, in("lnk"), 1, 1, 0x1));
  int fd = open(in("suid"), O_RDONLY);
  SHOW("fchown", fchown(fd, 5, 5));
  mode_of("after fchown", in("suid"));
  SHOW("fchown bad fd", fchown(99, 5, 5));
  close(fd);
  int pfd = open(in("own"), O_PATH);
  SHOW("fchown O_PATH", fchown(pfd, 5, 5));
  SHOW("fchmod O_PATH", fchmod(pfd, 0600));
  close(pfd);

  /* fchmodat2 */
  SHOW("fchmodat2 nofollow on link", syscall(452, AT_FDCWD, in("lnk"), 0600, AT_SYMLINK_NOFOLLOW));
  SHOW("fchmodat2 nofollow on file", syscall(452, AT_FDCWD, in("ro"), 0440, AT_SYMLINK_NOFOLLOW));
  mode_of("ro after fchmodat2", in("ro"));
  SHOW("fchmodat2 bad flag", syscall(452, AT_FDCWD, in("ro"), 0440, 0x2));
  SHOW("fchmodat2 follow", syscall(452, AT_FDCWD, in("lnk"), 0640, 0));
  fd = open(in("ro"), O_RDONLY);
  SHOW("fchmodat2 empty path", syscall(452, fd, "", 0444, AT_EMPTY_PATH));
  SHOW("fchmodat2 empty no flag", syscall(452, fd, "", 0444, 0));
  close(fd);
  mode_of("ro", in("ro"));
  SHOW("fchmodat ignores flags arg", syscall(SYS_fchmodat, AT_FDCWD, in("ro"), 0444, AT_SYMLINK_NOFOLLOW));

  /* capabilities dropped by a root child */
  c = fork();
  if (c == 0) {
    drop_caps(CAP(CAP_DAC_OVERRIDE));
    SHOW("no DAC_OVERRIDE: write 0444", try_open(in("ro"), O_WRONLY));
    SHOW("no DAC_OVERRIDE: read 0000 (READ_SEARCH)", try_open(in("none"), O_RDONLY));
    SHOW("no DAC_OVERRIDE: write other's", try_open(in("own"), O_WRONLY));
    SHOW("no DAC_OVERRIDE: create in 0555 dir", open(in("ro_dir/x"), O_CREAT | O_WRONLY, 0644));
    SHOW("no DAC_OVERRIDE: list 0700 of other", try_open(in("closed"), O_RDONLY));
    drop_caps(CAP(CAP_DAC_READ_SEARCH));
    SHOW("no DAC_*: read 0000", try_open(in("none"), O_RDONLY));
    SHOW("no DAC_*: read own 0444", try_open(in("ro"), O_RDONLY));
    _exit(0);
  }
  wait_child("no dac", c);
  chown(in("closed"), 1000, 1000);
  c = fork();
  if (c == 0) {
    drop_caps(CAP(CAP_DAC_OVERRIDE) | CAP(CAP_DAC_READ_SEARCH));
    SHOW("no DAC_*: search other's 0700", try_open(in("closed/f"), O_RDONLY));
    _exit(0);
  }
  wait_child("no dac search", c);
  c = fork();
  if (c == 0) {
    drop_caps(CAP(CAP_FOWNER));
    SHOW("no FOWNER: chmod other's", chmod(in("u1file"), 0600));
    SHOW("no FOWNER: utimes explicit other's", utimensat(AT_FDCWD, in("u1file"), (struct timespec[2]){ { 1, 0 }, { 1, 0 } }, 0));
    SHOW("no FOWNER: sticky unlink other's", unlink(in("sticky/mine")));
    SHOW("no FOWNER: chmod own", chmod(in("ro"), 0444));
    _exit(0);
  }
  wait_child("no fowner", c);
  c = fork();
  if (c == 0) {
    drop_caps(CAP(CAP_CHOWN));
    SHOW("no CHOWN: chown own to other", chown(in("ro"), 1000, -1));
    SHOW("no CHOWN: chgrp own to foreign", chown(in("ro"), -1, 4000));
    SHOW("no CHOWN: chgrp own to own group", chown(in("ro"), -1, 0));
    _exit(0);
  }
  wait_child("no chown", c);
  chown(in("grp"), 0, 2000);
  chmod(in("grp"), 0644);
  c = fork();
  if (c == 0) {
    drop_caps(CAP(CAP_FSETID));
    SHOW("no FSETID: chmod g+s foreign group", chmod(in("grp"), 02755));
    mode_of("grp after chmod", in("grp"));
    int f = open(in("suid"), O_WRONLY);
    chmod(in("suid"), 06755);
    write(f, "x", 1);
    close(f);
    mode_of("suid after write without FSETID", in("suid"));
    _exit(0);
  }
  wait_child("no fsetid", c);
  chmod(in("suid"), 06755);
  fd = open(in("suid"), O_WRONLY);
  write(fd, "x", 1);
  close(fd);
  mode_of("suid after write with FSETID", in("suid"));

  rm_tree(dir);
  REL("removed", access(dir, F_OK) == -1);
  return 0;
}
