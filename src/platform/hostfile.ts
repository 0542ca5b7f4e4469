// Host file primitives for the file systems that reach host files (src/fs/host): thin
// typed wrappers over the native addon. Every call is fd-relative with a single path
// component (the sentry walks paths itself), returns >= 0 or -errno, and never throws.
// Only the host file system and host stdio use this file.
import { native } from './native';

/** Host open flags used by the sentry (same values as the app ABI: the host is Linux). */
export const H_O_RDONLY = 0, H_O_WRONLY = 1, H_O_RDWR = 2, H_O_NONBLOCK = 0o4000, H_O_DIRECTORY = 0o200000,
  H_O_NOFOLLOW = 0o400000, H_O_NOCTTY = 0o400, H_O_PATH = 0o10000000, H_O_CLOEXEC = 0o2000000;
export const H_AT_FDCWD = -100, H_AT_SYMLINK_NOFOLLOW = 0x100, H_AT_EMPTY_PATH = 0x1000, H_AT_REMOVEDIR = 0x200;
export const H_O_CREAT = 0o100, H_O_EXCL = 0o200, H_O_APPEND = 0o2000;
export const H_F_GETFL = 3, H_F_SETFL = 4, H_F_GETFD = 1, H_F_SETFD = 2, H_F_DUPFD_CLOEXEC = 1030;

/** openat(dirfd, name, flags | O_CLOEXEC, mode): a new host fd or -errno. */
export function hostOpenat(dirfd: number, name: string, flags: number, mode = 0): number {
  return native.openat(dirfd, name, flags, mode);
}

/** fstatat into a raw 144-byte struct stat. */
export function hostFstatat(dirfd: number, name: string, flags: number, out: Uint8Array): number {
  return native.fstatat(dirfd, name, flags, out);
}

/** fstatfs into a raw 120-byte struct statfs. */
export function hostFstatfs(fd: number, out: Uint8Array): number {
  return native.fstatfs(fd, out);
}

/** getdents64 into buf; byte count (0 at the end) or -errno. */
export function hostGetdents64(fd: number, buf: Uint8Array): number {
  return native.getdents64(fd, buf);
}

/** readlinkat(dirfd, name) into buf; byte count or -errno. */
export function hostReadlinkat(dirfd: number, name: string, buf: Uint8Array): number {
  return native.readlinkat(dirfd, name, buf);
}

/** pread (pos >= 0) or read at the host file offset (pos < 0). */
export function hostPread(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number {
  return native.pread(fd, buf, off, len, pos);
}

/** pwrite (pos >= 0) or write at the host file offset (pos < 0). */
export function hostPwrite(fd: number, buf: Uint8Array, off: number, len: number, pos: number): number {
  return native.pwrite(fd, buf, off, len, pos);
}

export function hostClose(fd: number): number {
  return native.close(fd);
}

/** fcntl for F_GETFL/F_SETFL/F_GETFD/F_SETFD/F_DUPFD_CLOEXEC only. */
export function hostFcntl(fd: number, cmd: number, arg: number): number {
  return native.fcntl(fd, cmd, arg);
}

/** Terminal ioctls (TCGETS, TCSETS*, TIOCGWINSZ, TIOCSWINSZ, FIONREAD, TIOCGPGRP). */
export function hostIoctl(fd: number, req: number, buf: Uint8Array): number {
  return native.ioctl(fd, req, buf);
}

/** poll(fd, events, 0): the ready events now, or -errno. */
export function hostPollOne(fd: number, events: number): number {
  return native.pollOne(fd, events);
}

/** lseek on a host fd (host stdio that is a regular file shares its offset with the caller). */
export function hostLseek(fd: number, off: number, whence: number): number {
  return native.lseek(fd, off, whence);
}

// ---- writable host mounts (bind mounts, --overlay=none): single names, never followed --

export function hostMkdirat(dirfd: number, name: string, mode: number): number {
  return native.mkdirat(dirfd, name, mode);
}

/** unlinkat(dirfd, name, 0 or H_AT_REMOVEDIR). */
export function hostUnlinkat(dirfd: number, name: string, flags: number): number {
  return native.unlinkat(dirfd, name, flags);
}

export function hostRenameat2(olddirfd: number, oldname: string, newdirfd: number, newname: string, flags: number): number {
  return native.renameat2(olddirfd, oldname, newdirfd, newname, flags);
}

export function hostSymlinkat(target: string, dirfd: number, name: string): number {
  return native.symlinkat(target, dirfd, name);
}

/** linkat without AT_SYMLINK_FOLLOW: links the named object itself. */
export function hostLinkat(olddirfd: number, oldname: string, newdirfd: number, newname: string): number {
  return native.linkat(olddirfd, oldname, newdirfd, newname);
}

/** mknodat for FIFOs and sockets; any other type is refused (EPERM) by the addon. */
export function hostMknodat(dirfd: number, name: string, mode: number): number {
  return native.mknodat(dirfd, name, mode);
}

/** fchmodat2 (honours AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH). */
export function hostFchmodat(dirfd: number, name: string, mode: number, flags: number): number {
  return native.fchmodat2(dirfd, name, mode, flags);
}

export function hostFchownat(dirfd: number, name: string, uid: number, gid: number, flags: number): number {
  return native.fchownat(dirfd, name, uid, gid, flags);
}

export function hostUtimensat(dirfd: number, name: string, asec: number, ansec: number, msec: number, mnsec: number,
  flags: number): number {
  return native.utimensat(dirfd, name, asec, ansec, msec, mnsec, flags);
}

export function hostFtruncate(fd: number, len: number): number {
  return native.ftruncate(fd, len);
}

export function hostFsync(fd: number, dataOnly: boolean): number {
  return native.fsync(fd, dataOnly ? 1 : 0);
}

/** flock(fd, op): LOCK_SH 1, LOCK_EX 2, LOCK_NB 4, LOCK_UN 8. */
export function hostFlock(fd: number, op: number): number {
  return native.flock(fd, op);
}
