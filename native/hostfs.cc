// Raw, fd-relative host file calls that Node lacks or wraps too heavily. The sentry
// walks paths itself one component at a time and passes single names here with
// O_NOFOLLOW / AT_SYMLINK_NOFOLLOW, so no host-side resolution can leave a root
// directory fd (see src/fs/host).
#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

namespace tsv {

static const size_t kPathMax = 4096;

// openat(dirfd, name, flags, mode) -> fd / -errno. Always O_CLOEXEC on the host.
static napi_value Openat(napi_env env, napi_callback_info info) {
  TSV_ARGS(4);
  char path[kPathMax + 1];
  argPath(env, args[1], path, sizeof(path));
  long r = openat(static_cast<int>(argInt(env, args[0])), path, static_cast<int>(argInt(env, args[2])) | O_CLOEXEC,
                  static_cast<mode_t>(argInt(env, args[3])));
  return sysret(env, r);
}

// fstatat(dirfd, name, flags, out(>=144 bytes)) -> 0 / -errno; raw struct stat.
static napi_value Fstatat(napi_env env, napi_callback_info info) {
  TSV_ARGS(4);
  char path[kPathMax + 1];
  argPath(env, args[1], path, sizeof(path));
  Bytes out = argBytes(env, args[3]);
  if (out.len < sizeof(struct stat)) return num(env, -EINVAL);
  long r = fstatat(static_cast<int>(argInt(env, args[0])), path, reinterpret_cast<struct stat*>(out.data),
                   static_cast<int>(argInt(env, args[2])));
  return sysret(env, r);
}

// fstatfs(fd, out(>=120 bytes)) -> 0 / -errno
static napi_value Fstatfs(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  Bytes out = argBytes(env, args[1]);
  if (out.len < sizeof(struct statfs)) return num(env, -EINVAL);
  return sysret(env, fstatfs(static_cast<int>(argInt(env, args[0])), reinterpret_cast<struct statfs*>(out.data)));
}

// getdents64(fd, buf) -> bytes / -errno
static napi_value Getdents64(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  Bytes b = argBytes(env, args[1]);
  long r = syscall(SYS_getdents64, static_cast<int>(argInt(env, args[0])), b.data, b.len);
  return sysret(env, r);
}

// readlinkat(dirfd, name, buf) -> bytes / -errno
static napi_value Readlinkat(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  char path[kPathMax + 1];
  argPath(env, args[1], path, sizeof(path));
  Bytes b = argBytes(env, args[2]);
  long r = readlinkat(static_cast<int>(argInt(env, args[0])), path, reinterpret_cast<char*>(b.data), b.len);
  return sysret(env, r);
}

// pread(fd, buf, off, len, pos) -> bytes / -errno; pos < 0 reads at the file offset.
static napi_value Pread(napi_env env, napi_callback_info info) {
  TSV_ARGS(5);
  Bytes b = argBytes(env, args[1]);
  size_t off = static_cast<size_t>(argInt(env, args[2]));
  size_t len = static_cast<size_t>(argInt(env, args[3]));
  int64_t pos = argInt(env, args[4]);
  if (off > b.len || len > b.len - off) return num(env, -EFAULT);
  int fd = static_cast<int>(argInt(env, args[0]));
  long r = pos < 0 ? read(fd, b.data + off, len) : pread(fd, b.data + off, len, pos);
  return sysret(env, r);
}

// pwrite(fd, buf, off, len, pos) -> bytes / -errno; pos < 0 writes at the file offset.
static napi_value Pwrite(napi_env env, napi_callback_info info) {
  TSV_ARGS(5);
  Bytes b = argBytes(env, args[1]);
  size_t off = static_cast<size_t>(argInt(env, args[2]));
  size_t len = static_cast<size_t>(argInt(env, args[3]));
  int64_t pos = argInt(env, args[4]);
  if (off > b.len || len > b.len - off) return num(env, -EFAULT);
  int fd = static_cast<int>(argInt(env, args[0]));
  long r = pos < 0 ? write(fd, b.data + off, len) : pwrite(fd, b.data + off, len, pos);
  return sysret(env, r);
}

static napi_value Close(napi_env env, napi_callback_info info) {
  TSV_ARGS(1);
  return sysret(env, close(static_cast<int>(argInt(env, args[0]))));
}

// fcntl(fd, cmd, arg) for the few integer commands the sentry uses on its own fds.
static napi_value Fcntl(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  int cmd = static_cast<int>(argInt(env, args[1]));
  if (cmd != F_GETFL && cmd != F_SETFL && cmd != F_GETFD && cmd != F_SETFD && cmd != F_DUPFD_CLOEXEC)
    return num(env, -EINVAL);
  return sysret(env, fcntl(static_cast<int>(argInt(env, args[0])), cmd, static_cast<long>(argInt(env, args[2]))));
}

// ioctl(fd, request, buf) for terminal queries on host stdio; anything else is refused.
static napi_value Ioctl(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  unsigned long req = static_cast<unsigned long>(argInt(env, args[1]));
  Bytes b = argBytes(env, args[2]);
  size_t need = 0;
  switch (req) {
    case TCGETS: case TCSETS: case TCSETSW: case TCSETSF: need = sizeof(struct termios); break;
    case TIOCGWINSZ: case TIOCSWINSZ: need = sizeof(struct winsize); break;
    case FIONREAD: case TIOCGPGRP: need = sizeof(int); break;
    default: return num(env, -ENOTTY);
  }
  if (b.len < need) return num(env, -EFAULT);
  return sysret(env, ioctl(static_cast<int>(argInt(env, args[0])), req, b.data));
}

// pollOne(fd, events) -> revents (never blocks)
static napi_value PollOne(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  struct pollfd p = {static_cast<int>(argInt(env, args[0])), static_cast<short>(argInt(env, args[1])), 0};
  int r = poll(&p, 1, 0);
  if (r < 0) return num(env, -errno);
  return num(env, p.revents);
}

// mkdirat/unlinkat for the operator's own state and scratch files (never app paths).
static napi_value Mkdirat(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  char path[kPathMax + 1];
  argPath(env, args[1], path, sizeof(path));
  return sysret(env, mkdirat(static_cast<int>(argInt(env, args[0])), path, static_cast<mode_t>(argInt(env, args[2]))));
}


// ---- mutations of a writable host mount (bind mounts, --overlay=none) ---------------
// Every call takes a directory fd and one name (or "" with AT_EMPTY_PATH for the fd
// itself) and never follows a symlink in that last component, so the host cannot be
// steered outside the directory the sentry holds.

// unlinkat(dirfd, name, flags)
static napi_value Unlinkat(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  char path[kPathMax + 1];
  argPath(env, args[1], path, sizeof(path));
  return sysret(env, unlinkat(static_cast<int>(argInt(env, args[0])), path, static_cast<int>(argInt(env, args[2]))));
}

// renameat2(olddirfd, oldname, newdirfd, newname, flags)
static napi_value Renameat2(napi_env env, napi_callback_info info) {
  TSV_ARGS(5);
  char a[kPathMax + 1], b[kPathMax + 1];
  argPath(env, args[1], a, sizeof(a));
  argPath(env, args[3], b, sizeof(b));
  return sysret(env, syscall(SYS_renameat2, static_cast<int>(argInt(env, args[0])), a,
                             static_cast<int>(argInt(env, args[2])), b, static_cast<unsigned>(argInt(env, args[4]))));
}

// symlinkat(target, dirfd, name): the target is stored as text, never resolved by the host.
static napi_value Symlinkat(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  char target[kPathMax + 1], path[kPathMax + 1];
  argPath(env, args[0], target, sizeof(target));
  argPath(env, args[2], path, sizeof(path));
  return sysret(env, symlinkat(target, static_cast<int>(argInt(env, args[1])), path));
}

// linkat(olddirfd, oldname, newdirfd, newname): flags 0, so a symlink is linked itself.
static napi_value Linkat(napi_env env, napi_callback_info info) {
  TSV_ARGS(4);
  char a[kPathMax + 1], b[kPathMax + 1];
  argPath(env, args[1], a, sizeof(a));
  argPath(env, args[3], b, sizeof(b));
  return sysret(env, linkat(static_cast<int>(argInt(env, args[0])), a, static_cast<int>(argInt(env, args[2])), b, 0));
}

// mknodat(dirfd, name, mode): FIFOs and sockets only (no host device nodes, ever).
static napi_value Mknodat(napi_env env, napi_callback_info info) {
  TSV_ARGS(3);
  char path[kPathMax + 1];
  argPath(env, args[1], path, sizeof(path));
  mode_t mode = static_cast<mode_t>(argInt(env, args[2]));
  if (!S_ISFIFO(mode) && !S_ISSOCK(mode)) return num(env, -EPERM);
  return sysret(env, mknodat(static_cast<int>(argInt(env, args[0])), path, mode, 0));
}

// fchmodat2(dirfd, name, mode, flags): AT_SYMLINK_NOFOLLOW is honoured (Linux >= 6.6).
static napi_value Fchmodat2(napi_env env, napi_callback_info info) {
  TSV_ARGS(4);
  char path[kPathMax + 1];
  argPath(env, args[1], path, sizeof(path));
  return sysret(env, syscall(452, static_cast<int>(argInt(env, args[0])), path,
                             static_cast<mode_t>(argInt(env, args[2])), static_cast<int>(argInt(env, args[3]))));
}

// fchownat(dirfd, name, uid, gid, flags); -1 leaves an id unchanged.
static napi_value Fchownat(napi_env env, napi_callback_info info) {
  TSV_ARGS(5);
  char path[kPathMax + 1];
  argPath(env, args[1], path, sizeof(path));
  return sysret(env, fchownat(static_cast<int>(argInt(env, args[0])), path, static_cast<uid_t>(argInt(env, args[2])),
                              static_cast<gid_t>(argInt(env, args[3])), static_cast<int>(argInt(env, args[4]))));
}

// utimensat(dirfd, name, [asec, ansec, msec, mnsec], flags)
static napi_value Utimensat(napi_env env, napi_callback_info info) {
  TSV_ARGS(7);
  char path[kPathMax + 1];
  argPath(env, args[1], path, sizeof(path));
  struct timespec ts[2];
  ts[0].tv_sec = argInt(env, args[2]);
  ts[0].tv_nsec = argInt(env, args[3]);
  ts[1].tv_sec = argInt(env, args[4]);
  ts[1].tv_nsec = argInt(env, args[5]);
  return sysret(env, utimensat(static_cast<int>(argInt(env, args[0])), path, ts, static_cast<int>(argInt(env, args[6]))));
}

static napi_value Ftruncate(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  return sysret(env, ftruncate(static_cast<int>(argInt(env, args[0])), argInt(env, args[1])));
}

// fsync(fd, dataOnly)
static napi_value Fsync(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  int fd = static_cast<int>(argInt(env, args[0]));
  return sysret(env, argInt(env, args[1]) != 0 ? fdatasync(fd) : fsync(fd));
}


// flock(fd, op) for the runtime's state-directory locks (LOCK_NB keeps it non-blocking).
static napi_value Flock(napi_env env, napi_callback_info info) {
  TSV_ARGS(2);
  return sysret(env, flock(static_cast<int>(argInt(env, args[0])), static_cast<int>(argInt(env, args[1]))));
}

void initHostfs(napi_env env, napi_value exports) {
  registerFn(env, exports, "flock", Flock);
  registerFn(env, exports, "openat", Openat);
  registerFn(env, exports, "fstatat", Fstatat);
  registerFn(env, exports, "fstatfs", Fstatfs);
  registerFn(env, exports, "getdents64", Getdents64);
  registerFn(env, exports, "readlinkat", Readlinkat);
  registerFn(env, exports, "pread", Pread);
  registerFn(env, exports, "pwrite", Pwrite);
  registerFn(env, exports, "close", Close);
  registerFn(env, exports, "fcntl", Fcntl);
  registerFn(env, exports, "ioctl", Ioctl);
  registerFn(env, exports, "pollOne", PollOne);
  registerFn(env, exports, "mkdirat", Mkdirat);
  registerFn(env, exports, "unlinkat", Unlinkat);
  registerFn(env, exports, "renameat2", Renameat2);
  registerFn(env, exports, "symlinkat", Symlinkat);
  registerFn(env, exports, "linkat", Linkat);
  registerFn(env, exports, "mknodat", Mknodat);
  registerFn(env, exports, "fchmodat2", Fchmodat2);
  registerFn(env, exports, "fchownat", Fchownat);
  registerFn(env, exports, "utimensat", Utimensat);
  registerFn(env, exports, "ftruncate", Ftruncate);
  registerFn(env, exports, "fsync", Fsync);
}

}  // namespace tsv
