// chmod, fchmod, fchmodat, chown, fchown, lchown, fchownat, truncate, ftruncate,
// utimensat, utimes, utime, futimesat, fsync, fdatasync, sync, syncfs.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, S_IFMT, S_IFREG } from '../vfs/abi';
import { chmodInode, chownInode, truncateInode, utimesInode } from '../vfs/ops';
import { IN_MODIFY, notifyDentry } from '../vfs/fsnotify';
import { UTIME_NOW, UTIME_OMIT } from '../vfs/stat';
import { walkPath } from '../vfs/walk';
import { NR } from './names';
import { SyscallTable } from './table';
import { W1, emptyPathTarget, fsScratch, i64, id32, int, readPathArg, startAt, uint } from './fs_util';

/** Resolves (dirfd, path) into W1, honouring AT_EMPTY_PATH in flags. */
function resolve(t: Task, dirfd: number, path: string, flags: number, follow: boolean): number {
  const e = emptyPathTarget(t, W1, dirfd, path, flags);
  if (e < 0) return e;
  if (e === 1) return 0;
  const r = startAt(t, W1, dirfd, path);
  if (r < 0) return r;
  return walkPath(W1, path, follow);
}

function fchmodat(t: Task, dirfd: number, pathAddr: number, mode: number): number {
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  const r = resolve(t, int(dirfd), path, 0, true);
  if (r < 0) return r;
  return chmodInode(t, W1.mnt, W1.d.inode, uint(mode), W1.d);
}

/** fchmodat2: fchmodat with flags (AT_SYMLINK_NOFOLLOW: a symlink's mode is EOPNOTSUPP). */
function fchmodat2(t: Task, dirfd: number, pathAddr: number, mode: number, flags: number): number {
  flags = int(flags);
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0) return -E.EINVAL;
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  const r = resolve(t, int(dirfd), path, flags, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  if (r < 0) return r;
  return chmodInode(t, W1.mnt, W1.d.inode, uint(mode), W1.d);
}

function chmod(t: Task, path: number, mode: number): number {
  return fchmodat(t, AT_FDCWD, path, mode);
}

function fchmod(t: Task, fd: number, mode: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null || f.isPath) return -E.EBADF;
  return chmodInode(t, f.mnt, f.inode, uint(mode), f.dentry);
}

function fchownat(t: Task, dirfd: number, pathAddr: number, uid: number, gid: number, flags: number): number {
  flags = int(flags);
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0) return -E.EINVAL;
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  const r = resolve(t, int(dirfd), path, flags, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  if (r < 0) return r;
  return chownInode(t, W1.mnt, W1.d.inode, id32(uid), id32(gid), W1.d);
}

function chown(t: Task, path: number, uid: number, gid: number): number {
  return fchownat(t, AT_FDCWD, path, uid, gid, 0);
}

function lchown(t: Task, path: number, uid: number, gid: number): number {
  return fchownat(t, AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

function fchown(t: Task, fd: number, uid: number, gid: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null || f.isPath) return -E.EBADF;
  return chownInode(t, f.mnt, f.inode, id32(uid), id32(gid), f.dentry);
}

function truncate(t: Task, pathAddr: number, len: number): number {
  if (len < 0) return -E.EINVAL;
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  const r = resolve(t, AT_FDCWD, path, 0, true);
  if (r < 0) return r;
  return truncateInode(t, W1.mnt, W1.d.inode, len, W1.d);
}

function ftruncate(t: Task, fd: number, len: number): number {
  if (len < 0) return -E.EINVAL;
  const f = t.fdTable.get(int(fd));
  if (f === null || f.isPath) return -E.EBADF;
  if (!f.writable) return -E.EINVAL;
  if ((f.inode.mode & S_IFMT) !== S_IFREG) return -E.EINVAL;
  const r = f.truncate(t, len);
  if (r === 0) notifyDentry(f.dentry, IN_MODIFY);
  return r;
}

const NSEC = 1e9;
const times = [0, 0, 0, 0];

function nsecOk(n: number): boolean {
  return n === UTIME_NOW || n === UTIME_OMIT || (n >= 0 && n < NSEC);
}

/** utimensat after the times were read into `times` (or tv === null for "now"). */
function doUtimes(t: Task, dirfd: number, pathAddr: number, tv: number[] | null, flags: number): number {
  if (pathAddr === 0) {
    // futimens: the file dirfd refers to.
    if (dirfd === AT_FDCWD) return -E.EFAULT;
    if (flags !== 0) return -E.EINVAL;
    const f = t.fdTable.get(dirfd);
    if (f === null || f.isPath) return -E.EBADF;
    if (tv !== null && (!nsecOk(tv[1]) || !nsecOk(tv[3]))) return -E.EINVAL;
    return utimesInode(t, f.mnt, f.inode, tv, f.dentry);
  }
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  const r = resolve(t, dirfd, path, flags, (flags & AT_SYMLINK_NOFOLLOW) === 0);
  if (r < 0) return r;
  if (tv !== null && (!nsecOk(tv[1]) || !nsecOk(tv[3]))) return -E.EINVAL;
  return utimesInode(t, W1.mnt, W1.d.inode, tv, W1.d);
}

function utimensat(t: Task, dirfd: number, pathAddr: number, tsAddr: number, flags: number): number {
  flags = int(flags);
  dirfd = int(dirfd);
  if ((flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) !== 0) return -E.EINVAL;
  let tv: number[] | null = null;
  if (tsAddr !== 0) {
    if (t.mm.copyIn(tsAddr, fsScratch, 0, 32) < 0) return -E.EFAULT;
    times[0] = i64(fsScratch, 0);
    times[1] = i64(fsScratch, 8);
    times[2] = i64(fsScratch, 16);
    times[3] = i64(fsScratch, 24);
    if (times[1] === UTIME_OMIT && times[3] === UTIME_OMIT) return 0;
    tv = times;
  }
  return doUtimes(t, dirfd, pathAddr, tv, flags);
}

/** utimes/futimesat: struct timeval[2] (microseconds). */
function futimesat(t: Task, dirfd: number, pathAddr: number, tvAddr: number): number {
  let tv: number[] | null = null;
  if (tvAddr !== 0) {
    if (t.mm.copyIn(tvAddr, fsScratch, 0, 32) < 0) return -E.EFAULT;
    const us0 = i64(fsScratch, 8), us1 = i64(fsScratch, 24);
    if (us0 < 0 || us0 >= 1e6 || us1 < 0 || us1 >= 1e6) return -E.EINVAL;
    times[0] = i64(fsScratch, 0);
    times[1] = us0 * 1000;
    times[2] = i64(fsScratch, 16);
    times[3] = us1 * 1000;
    tv = times;
  }
  if (pathAddr === 0) return -E.EFAULT;
  return doUtimes(t, int(dirfd), pathAddr, tv, 0);
}

function utimes(t: Task, pathAddr: number, tvAddr: number): number {
  return futimesat(t, AT_FDCWD, pathAddr, tvAddr);
}

/** utime: struct utimbuf { time_t actime, modtime } (seconds). */
function utime(t: Task, pathAddr: number, bufAddr: number): number {
  let tv: number[] | null = null;
  if (bufAddr !== 0) {
    if (t.mm.copyIn(bufAddr, fsScratch, 0, 16) < 0) return -E.EFAULT;
    times[0] = i64(fsScratch, 0);
    times[1] = 0;
    times[2] = i64(fsScratch, 8);
    times[3] = 0;
    tv = times;
  }
  if (pathAddr === 0) return -E.EFAULT;
  return doUtimes(t, AT_FDCWD, pathAddr, tv, 0);
}

function fsync(t: Task, fd: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null || f.isPath) return -E.EBADF;
  return f.fsync(t);
}

function sync(): number {
  return 0;
}

function syncfs(t: Task, fd: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null || f.isPath) return -E.EBADF;
  return 0;
}

export function register(table: SyscallTable): void {
  table.def(NR.chmod, chmod);
  table.def(NR.fchmod, fchmod);
  table.def(NR.fchmodat, fchmodat);
  table.def(NR.fchmodat2, fchmodat2);
  table.def(NR.chown, chown);
  table.def(NR.fchown, fchown);
  table.def(NR.lchown, lchown);
  table.def(NR.fchownat, fchownat);
  table.def(NR.truncate, truncate);
  table.def(NR.ftruncate, ftruncate);
  table.def(NR.utimensat, utimensat);
  table.def(NR.utimes, utimes);
  table.def(NR.utime, utime);
  table.def(NR.futimesat, futimesat);
  table.def(NR.fsync, fsync);
  table.def(NR.fdatasync, fsync);
  table.def(NR.sync, sync);
  table.def(NR.syncfs, syncfs);
}
