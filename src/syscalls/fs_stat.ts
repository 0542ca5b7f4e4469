// fstat, stat, lstat, newfstatat, statx, statfs, fstatfs, readlink, readlinkat,
// access, faccessat, faccessat2.
import * as E from '../abi/errno';
import type { Credentials } from '../auth/creds';
import type { Task } from '../kernel/task';
import {
  AT_EACCESS, AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT, AT_STATX_SYNC_TYPE, AT_SYMLINK_NOFOLLOW, S_IFLNK, S_IFMT,
  STATX__RESERVED,
} from '../vfs/abi';
import type { Dentry } from '../vfs/dentry';
import { STATFS_SIZE, ST_NODEV, ST_NOEXEC, ST_NOSUID, ST_RDONLY, StatFs, encodeStatFs } from '../vfs/inode';
import { MNT_NODEV, MNT_NOEXEC, MNT_NOSUID, Mount } from '../vfs/mount';
import { accessInode } from '../vfs/ops';
import { accessCreds } from '../vfs/perm';
import { STAT_SIZE, STATX_SIZE, Stat, encodeStat, encodeStatx } from '../vfs/stat';
import { walkPath } from '../vfs/walk';
import { NR } from './names';
import { SyscallTable } from './table';
import { W1, emptyPathTarget, fsScratch, int, readPathArg, startAt, uint } from './fs_util';

const st = new Stat();
const sfs = new StatFs();
const ST_VALID = 0x20, ST_RELATIME = 0x1000;

/** Fills st from (mnt, d) and copies `struct stat` out. */
function putStat(t: Task, mnt: Mount, d: Dentry, addr: number): number {
  d.inode.stat(st);
  st.mntId = mnt.id;
  encodeStat(st, fsScratch);
  return t.mm.copyOut(addr, fsScratch, 0, STAT_SIZE) < 0 ? -E.EFAULT : 0;
}

/**
 * Resolves (dirfd, path) for the stat family into W1: AT_EMPTY_PATH, then the walk
 * (following a final symlink unless nofollow).
 */
function resolveFor(t: Task, dirfd: number, path: string, flags: number, nofollow: boolean,
  creds: Credentials = t.creds): number {
  const e = emptyPathTarget(t, W1, dirfd, path, flags);
  if (e < 0) return e;
  if (e === 1) return 0;
  const r = startAt(t, W1, dirfd, path);
  if (r < 0) return r;
  W1.creds = creds;
  return walkPath(W1, path, !nofollow);
}

function fstat(t: Task, fd: number, buf: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null) return -E.EBADF;
  f.stat(st);
  st.mntId = f.mnt.id;
  encodeStat(st, fsScratch);
  return t.mm.copyOut(buf, fsScratch, 0, STAT_SIZE) < 0 ? -E.EFAULT : 0;
}

function statPath(t: Task, pathAddr: number, buf: number, nofollow: boolean): number {
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  const r = resolveFor(t, AT_FDCWD, path, 0, nofollow);
  if (r < 0) return r;
  return putStat(t, W1.mnt, W1.d, buf);
}

function stat(t: Task, path: number, buf: number): number {
  return statPath(t, path, buf, false);
}

function lstat(t: Task, path: number, buf: number): number {
  return statPath(t, path, buf, true);
}

function newfstatat(t: Task, dirfd: number, pathAddr: number, buf: number, flags: number): number {
  dirfd = int(dirfd);
  flags = int(flags);
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) !== 0) return -E.EINVAL;
  if (path.length === 0 && (flags & AT_EMPTY_PATH) !== 0 && dirfd !== AT_FDCWD) return fstat(t, dirfd, buf);
  const r = resolveFor(t, dirfd, path, flags, (flags & AT_SYMLINK_NOFOLLOW) !== 0);
  if (r < 0) return r;
  return putStat(t, W1.mnt, W1.d, buf);
}

function statx(t: Task, dirfd: number, pathAddr: number, flags: number, mask: number, buf: number): number {
  dirfd = int(dirfd);
  flags = int(flags);
  mask = uint(mask);
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  if ((mask & STATX__RESERVED) !== 0) return -E.EINVAL;
  if ((flags & AT_STATX_SYNC_TYPE) === AT_STATX_SYNC_TYPE) return -E.EINVAL;
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE)) !== 0) return -E.EINVAL;
  let mnt: Mount, d: Dentry;
  if (path.length === 0 && (flags & AT_EMPTY_PATH) !== 0 && dirfd !== AT_FDCWD) {
    const f = t.fdTable.get(dirfd);
    if (f === null) return -E.EBADF;
    f.stat(st);
    mnt = f.mnt;
    d = f.dentry;
  } else {
    const r = resolveFor(t, dirfd, path, flags, (flags & AT_SYMLINK_NOFOLLOW) !== 0);
    if (r < 0) return r;
    mnt = W1.mnt;
    d = W1.d;
    d.inode.stat(st);
  }
  st.mntId = mnt.id;
  encodeStatx(st, fsScratch);
  return t.mm.copyOut(buf, fsScratch, 0, STATX_SIZE) < 0 ? -E.EFAULT : 0;
}

function putStatfs(t: Task, mnt: Mount, buf: number): number {
  const r = mnt.fs.statfs(sfs);
  if (r < 0) return r;
  let flags = ST_VALID | ST_RELATIME;
  if (mnt.readOnly) flags |= ST_RDONLY;
  if ((mnt.flags & MNT_NOSUID) !== 0) flags |= ST_NOSUID;
  if ((mnt.flags & MNT_NODEV) !== 0) flags |= ST_NODEV;
  if ((mnt.flags & MNT_NOEXEC) !== 0) flags |= ST_NOEXEC;
  sfs.flags = flags;
  encodeStatFs(sfs, fsScratch);
  return t.mm.copyOut(buf, fsScratch, 0, STATFS_SIZE) < 0 ? -E.EFAULT : 0;
}

function statfs(t: Task, pathAddr: number, buf: number): number {
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  const r = resolveFor(t, AT_FDCWD, path, 0, false);
  if (r < 0) return r;
  return putStatfs(t, W1.mnt, buf);
}

function fstatfs(t: Task, fd: number, buf: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null) return -E.EBADF;
  return putStatfs(t, f.mnt, buf);
}

function doReadlinkat(t: Task, dirfd: number, pathAddr: number, buf: number, size: number): number {
  size = int(size);
  if (size <= 0) return -E.EINVAL;
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  // An empty path reads the link dirfd refers to (an O_PATH|O_NOFOLLOW fd), else ENOENT.
  const r = resolveFor(t, dirfd, path, path.length === 0 ? AT_EMPTY_PATH : 0, true);
  if (r < 0) return r;
  const inode = W1.d.inode;
  if ((inode.mode & S_IFMT) !== S_IFLNK) return path.length === 0 ? -E.ENOENT : -E.EINVAL;
  const target = inode.readlink(t);
  if (typeof target === 'number') return target;
  const n = Math.min(target.length, size, fsScratch.length);
  fsScratch.write(target, 0, n, 'latin1');
  return t.mm.copyOut(buf, fsScratch, 0, n) < 0 ? -E.EFAULT : n;
}

function readlink(t: Task, path: number, buf: number, size: number): number {
  return doReadlinkat(t, AT_FDCWD, path, buf, size);
}

function readlinkat(t: Task, dirfd: number, path: number, buf: number, size: number): number {
  return doReadlinkat(t, int(dirfd), path, buf, size);
}

function doFaccessat(t: Task, dirfd: number, pathAddr: number, mode: number, flags: number): number {
  mode = int(mode);
  if ((mode & ~7) !== 0) return -E.EINVAL;
  if ((flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0) return -E.EINVAL;
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  const creds = (flags & AT_EACCESS) !== 0 ? t.creds : accessCreds(t.creds);
  const r = resolveFor(t, dirfd, path, flags, (flags & AT_SYMLINK_NOFOLLOW) !== 0, creds);
  if (r < 0) return r;
  if (mode === 0) return 0;
  return accessInode(W1.mnt, W1.d.inode, mode, creds);
}

function access(t: Task, path: number, mode: number): number {
  return doFaccessat(t, AT_FDCWD, path, mode, 0);
}

function faccessat(t: Task, dirfd: number, path: number, mode: number): number {
  return doFaccessat(t, int(dirfd), path, mode, 0);
}

function faccessat2(t: Task, dirfd: number, path: number, mode: number, flags: number): number {
  return doFaccessat(t, int(dirfd), path, mode, int(flags));
}

export function register(table: SyscallTable): void {
  table.def(NR.fstat, fstat);
  table.def(NR.stat, stat);
  table.def(NR.lstat, lstat);
  table.def(NR.newfstatat, newfstatat);
  table.def(NR.statx, statx);
  table.def(NR.statfs, statfs);
  table.def(NR.fstatfs, fstatfs);
  table.def(NR.readlink, readlink);
  table.def(NR.readlinkat, readlinkat);
  table.def(NR.access, access);
  table.def(NR.faccessat, faccessat);
  table.def(NR.faccessat2, faccessat2);
}
