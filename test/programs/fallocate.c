/* fallocate (argument checks, modes, sizes, punched holes, seals), readahead, fadvise64 and
 * sync_file_range. Mode-specific results are checked on a memfd (tmpfs, natively too); on a
 * file in the scratch dir only what every Linux file system agrees on. */
#include "check.h"
#include <linux/falloc.h>
#include <sys/mman.h>

static long fsize(int fd) { struct stat st; fstat(fd, &st); return (long)st.st_size; }

int main(void) {
  setup();
  make_tmpdir("fallocate");
  int m = syscall(SYS_memfd_create, "fa", MFD_ALLOW_SEALING);
  char buf[64];

  /* ---- argument rules ---- */
  SHOW("bad fd", fallocate(-1, 0, 0, 10));
  SHOW("len 0", fallocate(m, 0, 0, 0));
  SHOW("negative offset", fallocate(m, 0, -1, 10));
  SHOW("unknown mode bit", fallocate(m, 0x1000, 0, 10));
  SHOW("PUNCH_HOLE without KEEP_SIZE", fallocate(m, FALLOC_FL_PUNCH_HOLE, 0, 10));
  SHOW("COLLAPSE|KEEP_SIZE", fallocate(m, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096));
  SHOW("PUNCH|ZERO", fallocate(m, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 10));
  SHOW("too big", fallocate(m, 0, 0x7fffffffffffff00L, 0x1000));
  int p[2];
  pipe(p);
  SHOW("on a pipe", fallocate(p[1], 0, 0, 10));
  int d = open(tmp(""), O_RDONLY | O_DIRECTORY);
  SHOW("on a directory (read-only fd)", fallocate(d, 0, 0, 10));
  int nul = open("/dev/null", O_WRONLY);
  SHOW("on /dev/null", fallocate(nul, 0, 0, 10));
  close(nul);

  /* ---- tmpfs (memfd) modes ---- */
  SHOW("allocate 0..8192", fallocate(m, 0, 0, 8192));
  printf("  size %ld\n", fsize(m));
  SHOW("KEEP_SIZE past the end", fallocate(m, FALLOC_FL_KEEP_SIZE, 0, 100000));
  printf("  size %ld\n", fsize(m));
  SHOW("allocate inside", fallocate(m, 0, 100, 100));
  printf("  size %ld\n", fsize(m));
  memset(buf, 'x', sizeof buf);
  pwrite(m, buf, 64, 0);
  pwrite(m, buf, 64, 5000);
  SHOW("PUNCH_HOLE 10..20", fallocate(m, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 10, 10));
  pread(m, buf, 32, 0);
  for (int i = 0; i < 32; i++) buf[i] = buf[i] ? buf[i] : '.';
  printf("  %.32s size %ld\n", buf, fsize(m));
  SHOW("PUNCH_HOLE whole pages", fallocate(m, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096));
  pread(m, buf, 8, 5000);
  for (int i = 0; i < 8; i++) buf[i] = buf[i] ? buf[i] : '.';
  printf("  %.8s\n", buf);
  SHOW("PUNCH_HOLE past the end", fallocate(m, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100000, 10));
  printf("  size %ld\n", fsize(m));
  SHOW("ZERO_RANGE on tmpfs", fallocate(m, FALLOC_FL_ZERO_RANGE, 0, 10));
  SHOW("COLLAPSE_RANGE on tmpfs", fallocate(m, FALLOC_FL_COLLAPSE_RANGE, 0, 4096));
  SHOW("INSERT_RANGE on tmpfs", fallocate(m, FALLOC_FL_INSERT_RANGE, 0, 4096));
  /* a shared mapping sees the punched hole */
  char *map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, m, 0);
  map[0] = 'M';
  SHOW("PUNCH_HOLE under a shared map", fallocate(m, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
  printf("  map[0] %d\n", map[0]);
  munmap(map, 8192);
  SHOW("seal GROW", fcntl(m, F_ADD_SEALS, F_SEAL_GROW));
  SHOW("allocate past the end (GROW sealed)", fallocate(m, 0, 8000, 1000));
  SHOW("KEEP_SIZE past the end (GROW sealed)", fallocate(m, FALLOC_FL_KEEP_SIZE, 8000, 1000));
  SHOW("allocate inside (GROW sealed)", fallocate(m, 0, 0, 100));
  SHOW("seal WRITE", fcntl(m, F_ADD_SEALS, F_SEAL_WRITE));
  SHOW("PUNCH_HOLE (WRITE sealed)", fallocate(m, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 10));
  char pth[64];
  snprintf(pth, sizeof pth, "/proc/self/fd/%d", m);
  int mro = open(pth, O_RDONLY);
  SHOW("on a read-only fd", fallocate(mro, 0, 0, 10));
  close(mro);
  close(m);

  /* ---- a file in the scratch dir ---- */
  int f = open(tmp("f"), O_RDWR | O_CREAT, 0644);
  SHOW("file: allocate 0..10000", fallocate(f, 0, 0, 10000));
  printf("  size %ld\n", fsize(f));
  SHOW("file: KEEP_SIZE", fallocate(f, FALLOC_FL_KEEP_SIZE, 0, 50000));
  printf("  size %ld\n", fsize(f));
  pwrite(f, "abcdefghij", 10, 0);
  SHOW("file: PUNCH_HOLE 2..5", fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2, 3));
  pread(f, buf, 10, 0);
  for (int i = 0; i < 10; i++) buf[i] = buf[i] ? buf[i] : '.';
  printf("  %.10s\n", buf);
  int ap = open(tmp("f"), O_WRONLY | O_APPEND);
  SHOW("file: O_APPEND fd allocate", fallocate(ap, 0, 0, 20000));
  printf("  size %ld\n", fsize(f));
  close(ap);

  /* ---- a file on the root file system (the overlay in the sandbox), and one from the
   * image opened for writing (copied up first) ---- */
  char rdir[] = "/var/tmp/tsv-test-fallocate-XXXXXX";
  if (!mkdtemp(rdir)) { perror("mkdtemp"); return 1; }
  char rp[600];
  snprintf(rp, sizeof rp, "%s/f", rdir);
  int of = open(rp, O_RDWR | O_CREAT, 0644);
  SHOW("root fs: allocate 0..5000", fallocate(of, 0, 0, 5000));
  printf("  size %ld\n", fsize(of));
  pwrite(of, "0123456789", 10, 0);
  SHOW("root fs: PUNCH_HOLE 1..3", fallocate(of, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 1, 2));
  pread(of, buf, 10, 0);
  for (int i = 0; i < 10; i++) buf[i] = buf[i] ? buf[i] : '.';
  printf("  %.10s\n", buf);
  close(of);
  unlink(rp);
  rmdir(rdir);
  int img = open("/etc/hostname", O_RDONLY);
  SHOW("image file opened read-only", fallocate(img, 0, 0, 10));
  close(img);

  /* ---- readahead, fadvise64, sync_file_range ---- */
  SHOW("readahead", readahead(f, 0, 4096));
  SHOW("readahead bad fd", readahead(-1, 0, 4096));
  SHOW("readahead on a pipe", readahead(p[0], 0, 4096));
  SHOW("readahead write-only", readahead(p[1], 0, 4096));
  SHOW("readahead directory", readahead(d, 0, 4096));
  int wo = open(tmp("f"), O_WRONLY);
  SHOW("readahead write-only file", readahead(wo, 0, 4096));
  close(wo);
  errno = 0;
  printf("fadvise WILLNEED: %s\n", errname(posix_fadvise(f, 0, 100, POSIX_FADV_WILLNEED)));
  printf("fadvise DONTNEED: %s\n", errname(posix_fadvise(f, 0, 0, POSIX_FADV_DONTNEED)));
  printf("fadvise NOREUSE: %s\n", errname(posix_fadvise(f, 0, 0, POSIX_FADV_NOREUSE)));
  printf("fadvise bad advice: %s\n", errname(posix_fadvise(f, 0, 0, 9)));
  printf("fadvise negative len: %s\n", errname(posix_fadvise(f, 0, -1, POSIX_FADV_NORMAL)));
  printf("fadvise pipe: %s\n", errname(posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL)));
  printf("fadvise bad fd: %s\n", errname(posix_fadvise(-1, 0, 0, POSIX_FADV_NORMAL)));
  printf("fadvise directory: %s\n", errname(posix_fadvise(d, 0, 0, POSIX_FADV_NORMAL)));
  SHOW("sync_file_range", sync_file_range(f, 0, 100, SYNC_FILE_RANGE_WRITE));
  SHOW("sync_file_range all flags, nbytes 0", sync_file_range(f, 0, 0, 7));
  SHOW("sync_file_range bad flags", sync_file_range(f, 0, 0, 8));
  SHOW("sync_file_range negative offset", sync_file_range(f, -1, 0, 0));
  SHOW("sync_file_range negative nbytes", sync_file_range(f, 10, -5, 0));
  SHOW("sync_file_range pipe", sync_file_range(p[0], 0, 0, 0));
  SHOW("sync_file_range directory", sync_file_range(d, 0, 0, 0));
  SHOW("sync_file_range bad fd", sync_file_range(-1, 0, 0, 0));
  close(f);
  close(d);
  unlink(tmp("f"));
  cleanup();
  return 0;
}
