/* Wild pointers: every call below hands the kernel an address the program does not own and must
 * get EFAULT (never a crash, never a partial effect), after which the program goes on. Raw
 * syscall() is used throughout because glibc wrappers may check or copy arguments themselves
 * (and the vDSO-backed ones would fault in user space instead). Two kinds of wild pointer:
 * (void*)1, in the never-mapped first page, and a page that was just unmapped. */
#include "check.h"
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <signal.h>
#include <sys/resource.h>

int main(void) {
  setup();
  make_tmpdir("efault");
  void *W = (void *)1;
  char *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(gone, 4096);
  /* a page mapped PROT_NONE is not readable by the kernel either */
  char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  /* a read-only page is a wild destination for the kernel's writes */
  char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

  put_file(tmp("f"), "some file content");
  int fd = open(tmp("f"), O_RDWR);
  char buf[64];

  /* read/write buffers */
  SHOW("read into (void*)1", syscall(SYS_read, fd, W, 10));
  SHOW("read into unmapped page", syscall(SYS_read, fd, gone, 10));
  SHOW("read into PROT_NONE page", syscall(SYS_read, fd, none, 10));
  SHOW("read into read-only page", syscall(SYS_read, fd, ro, 10));
  SHOW("  offset unchanged after faults", lseek(fd, 0, SEEK_CUR));
  SHOW("write from (void*)1", syscall(SYS_write, fd, W, 10));
  SHOW("write from unmapped page", syscall(SYS_write, fd, gone, 10));
  SHOW("write to stdout from (void*)1", syscall(SYS_write, 1, W, 10));
  SHOW("pread64 into (void*)1", syscall(SYS_pread64, fd, W, 10, 0));
  SHOW("pwrite64 from (void*)1", syscall(SYS_pwrite64, fd, W, 10, 0));
  SHOW("read 0 bytes into (void*)1", syscall(SYS_read, fd, W, 0));
  struct stat st;
  fstat(fd, &st);
  SHOW("  file size unchanged", st.st_size);
  memset(buf, 0, sizeof buf);
  pread(fd, buf, sizeof buf - 1, 0);
  printf("  content unchanged: %s\n", buf);

  /* iovecs: the array itself wild, or one element's base wild */
  SHOW("readv iov array (void*)1", syscall(SYS_readv, fd, W, 1));
  struct iovec iov[2] = { { buf, 4 }, { W, 4 } };
  SHOW("writev second base wild", syscall(SYS_writev, fd, (struct iovec[]){ { W, 4 } }, 1));
  lseek(fd, 0, SEEK_SET);
  long r = syscall(SYS_readv, fd, iov, 2);
  printf("readv first base ok, second wild: %s\n", r == 4 ? "4 (partial)" : r == -1 ? errname(errno) : "other");

  /* path arguments */
  SHOW("open path (void*)1", syscall(SYS_open, W, O_RDONLY));
  SHOW("open path unmapped", syscall(SYS_open, gone, O_RDONLY));
  SHOW("openat path (void*)1", syscall(SYS_openat, AT_FDCWD, W, O_RDONLY));
  SHOW("creat path (void*)1", syscall(SYS_creat, W, 0644));
  SHOW("stat path (void*)1", syscall(SYS_stat, W, &st));
  SHOW("stat buf (void*)1", syscall(SYS_stat, tmp("f"), W));
  SHOW("stat buf read-only page", syscall(SYS_stat, tmp("f"), ro));
  SHOW("lstat path (void*)1", syscall(SYS_lstat, W, &st));
  SHOW("fstat buf (void*)1", syscall(SYS_fstat, fd, W));
  SHOW("newfstatat path (void*)1", syscall(SYS_newfstatat, AT_FDCWD, W, &st, 0));
  SHOW("statx buf (void*)1", syscall(SYS_statx, AT_FDCWD, tmp("f"), 0, 0x7ff, W));
  SHOW("access path (void*)1", syscall(SYS_access, W, F_OK));
  SHOW("faccessat2 path (void*)1", syscall(SYS_faccessat2, AT_FDCWD, W, F_OK, 0));
  SHOW("mkdir path (void*)1", syscall(SYS_mkdir, W, 0755));
  SHOW("unlink path (void*)1", syscall(SYS_unlink, W));
  SHOW("rmdir path (void*)1", syscall(SYS_rmdir, W));
  SHOW("rename old (void*)1", syscall(SYS_rename, W, tmp("x")));
  SHOW("rename new (void*)1", syscall(SYS_rename, tmp("f"), W));
  SHOW("chdir path (void*)1", syscall(SYS_chdir, W));
  SHOW("readlink path (void*)1", syscall(SYS_readlink, W, buf, sizeof buf));
  SHOW("readlink buf (void*)1", syscall(SYS_readlink, "/proc/self/exe", W, 64));
  SHOW("getcwd buf (void*)1", syscall(SYS_getcwd, W, 4096));
  SHOW("getdents64 buf (void*)1", ({ int d = open(tsv_dir, O_RDONLY | O_DIRECTORY); long x = syscall(SYS_getdents64, d, W, 4096); int e = errno; close(d); errno = e; x; }));
  /* a path that runs off the end of a mapping into an unmapped page */
  char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  munmap(two + 4096, 4096);
  memset(two, 'a', 4096);
  SHOW("open path running into unmapped page", syscall(SYS_open, two + 4096 - 10, O_RDONLY));
  munmap(two, 4096);

  /* other structures */
  SHOW("pipe fds (void*)1", syscall(SYS_pipe, W));
  SHOW("pipe2 fds read-only page", syscall(SYS_pipe2, ro, 0));
  SHOW("clock_gettime (void*)1", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, W));
  SHOW("uname (void*)1", syscall(SYS_uname, W));
  SHOW("getrandom (void*)1", syscall(SYS_getrandom, W, 8, 0));
  SHOW("sysinfo (void*)1", syscall(SYS_sysinfo, W));
  SHOW("rt_sigaction act (void*)1", syscall(SYS_rt_sigaction, SIGUSR1, W, NULL, 8));
  SHOW("rt_sigprocmask set (void*)1", syscall(SYS_rt_sigprocmask, SIG_BLOCK, W, NULL, 8));
  SHOW("nanosleep req (void*)1", syscall(SYS_nanosleep, W, NULL));
  SHOW("getrlimit (void*)1", syscall(SYS_getrlimit, RLIMIT_NOFILE, W));
  SHOW("sched_getaffinity (void*)1", syscall(SYS_sched_getaffinity, 0, 128, W));
  SHOW("mincore vec (void*)1", syscall(SYS_mincore, ro, 4096, W));
  SHOW("mincore vec read-only page", syscall(SYS_mincore, ro, 4096, ro));

  /* and after all that, the process and its files are fine */
  memset(buf, 0, sizeof buf);
  SHOW("normal read still works", pread(fd, buf, 4, 0));
  printf("  data: %s\n", buf);
  close(fd);
  munmap(none, 4096);
  munmap(ro, 4096);
  SHOW("unlink f", unlink(tmp("f")));
  cleanup();
  printf("still alive\n");
  return 0;
}
