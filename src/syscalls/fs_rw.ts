// read, write, pread64, pwrite64, readv, writev, preadv, pwritev, preadv2, pwritev2,
// lseek. The checks and their order follow Linux's vfs_read/vfs_write: the fd (EBADF),
// its access mode (EBADF), the buffer range (EFAULT), the position (EINVAL/ESPIPE),
// then the file.
import { IN_ACCESS, IN_MODIFY, fsnotify, notifyDentry } from '../vfs/fsnotify';
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { TASK_SIZE } from '../platform/layout';
import type { FileDescription } from '../vfs/file';
import { SEEK_HOLE } from '../vfs/abi';
import { NR } from './names';
import { isSocketFile, socketRead, socketWrite } from './socket';
import { SyscallTable } from './table';
import {
  MAX_RW_COUNT, int, readIovecs, readToUser, readvToUser, writeFromUser, writevFromUser,
} from './fs_util';

/** Linux's access_ok: the range must lie in user space (mapping is checked on copy). */
function rangeOk(addr: number, len: number): boolean {
  return len === 0 || (addr >= 0 && addr + len <= TASK_SIZE);
}

function readable(t: Task, fd: number): FileDescription | number {
  const f = t.fdTable.get(fd);
  if (f === null || !f.readable) return -E.EBADF;
  return f;
}

function writable(t: Task, fd: number): FileDescription | number {
  const f = t.fdTable.get(fd);
  if (f === null || !f.writable) return -E.EBADF;
  return f;
}

/** access_ok, then Linux's MAX_RW_COUNT clamp; -EFAULT or the count to move. */
function userCount(buf: number, count: number): number {
  if (count < 0 || !rangeOk(buf, count)) return -E.EFAULT;
  return count > MAX_RW_COUNT ? MAX_RW_COUNT : count;
}

/** IN_ACCESS after a read that moved bytes (Linux's vfs_read). */
function accessed(f: FileDescription, r: number): number {
  if (r > 0 && fsnotify.marks !== 0) notifyDentry(f.dentry, IN_ACCESS);
  return r;
}

/** IN_MODIFY after a write that moved bytes. */
function modified(f: FileDescription, r: number): number {
  if (r > 0 && fsnotify.marks !== 0) notifyDentry(f.dentry, IN_MODIFY);
  return r;
}

function read(t: Task, fd: number, buf: number, count: number): number {
  const f = readable(t, int(fd));
  if (typeof f === 'number') return f;
  const n = userCount(buf, count);
  if (n < 0) return n;
  if (isSocketFile(f)) return socketRead(t, f, buf, n, -1);
  return accessed(f, readToUser(t, f, buf, n, -1));
}

function write(t: Task, fd: number, buf: number, count: number): number {
  const f = writable(t, int(fd));
  if (typeof f === 'number') return f;
  const n = userCount(buf, count);
  if (n < 0) return n;
  if (isSocketFile(f)) return socketWrite(t, f, buf, n, -1);
  return modified(f, writeFromUser(t, f, buf, n, -1));
}

/** ksys_pread64/pwrite64 order: negative position, bad fd, not seekable, access mode. */
function positional(t: Task, fd: number, pos: number, forWrite: boolean): FileDescription | number {
  if (pos < 0) return -E.EINVAL;
  const f = t.fdTable.get(int(fd));
  if (f === null) return -E.EBADF;
  if (!f.seekable) return f.isPath ? -E.EBADF : -E.ESPIPE;
  if (forWrite ? !f.writable : !f.readable) return -E.EBADF;
  return f;
}

function pread64(t: Task, fd: number, buf: number, count: number, pos: number): number {
  const f = positional(t, fd, pos, false);
  if (typeof f === 'number') return f;
  const n = userCount(buf, count);
  if (n < 0) return n;
  return accessed(f, readToUser(t, f, buf, n, pos));
}

function pwrite64(t: Task, fd: number, buf: number, count: number, pos: number): number {
  const f = positional(t, fd, pos, true);
  if (typeof f === 'number') return f;
  const n = userCount(buf, count);
  if (n < 0) return n;
  return modified(f, writeFromUser(t, f, buf, n, pos));
}

function doReadv(t: Task, fd: number, iovAddr: number, cnt: number, pos: number, isPositional: boolean): number {
  const f = isPositional ? positional(t, fd, pos, false) : readable(t, int(fd));
  if (typeof f === 'number') return f;
  const total = readIovecs(t, iovAddr, int(cnt));
  if (total < 0) return total;
  if (isSocketFile(f)) return socketRead(t, f, 0, total, int(cnt));
  return accessed(f, readvToUser(t, f, int(cnt), total, isPositional ? pos : -1));
}

function doWritev(t: Task, fd: number, iovAddr: number, cnt: number, pos: number, isPositional: boolean): number {
  const f = isPositional ? positional(t, fd, pos, true) : writable(t, int(fd));
  if (typeof f === 'number') return f;
  const total = readIovecs(t, iovAddr, int(cnt));
  if (total < 0) return total;
  if (isSocketFile(f)) return socketWrite(t, f, 0, total, int(cnt));
  return modified(f, writevFromUser(t, f, int(cnt), total, isPositional ? pos : -1));
}

function readv(t: Task, fd: number, iov: number, cnt: number): number {
  return doReadv(t, fd, iov, cnt, -1, false);
}

function writev(t: Task, fd: number, iov: number, cnt: number): number {
  return doWritev(t, fd, iov, cnt, -1, false);
}

function preadv(t: Task, fd: number, iov: number, cnt: number, pos: number): number {
  return doReadv(t, fd, iov, cnt, pos, true);
}

function pwritev(t: Task, fd: number, iov: number, cnt: number, pos: number): number {
  return doWritev(t, fd, iov, cnt, pos, true);
}

/** RWF_* flags preadv2/pwritev2 know; none changes anything here but RWF_NOWAIT. */
const RWF_HIPRI = 1, RWF_DSYNC = 2, RWF_SYNC = 4, RWF_APPEND = 0x10; // RWF_NOWAIT (8) is refused
const RWF_SUPPORTED = RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_APPEND;

function preadv2(t: Task, fd: number, iov: number, cnt: number, pos: number, _posHigh: number, flags: number): number {
  if ((int(flags) & ~RWF_SUPPORTED) !== 0) return -E.EOPNOTSUPP;
  return pos === -1 ? doReadv(t, fd, iov, cnt, -1, false) : doReadv(t, fd, iov, cnt, pos, true);
}

function pwritev2(t: Task, fd: number, iov: number, cnt: number, pos: number, _posHigh: number, flags: number): number {
  if ((int(flags) & ~RWF_SUPPORTED) !== 0) return -E.EOPNOTSUPP;
  return pos === -1 ? doWritev(t, fd, iov, cnt, -1, false) : doWritev(t, fd, iov, cnt, pos, true);
}

function lseek(t: Task, fd: number, off: number, whence: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null || f.isPath) return -E.EBADF;
  whence = whence >>> 0;
  if (whence > SEEK_HOLE) return -E.EINVAL;
  return f.lseek(t, off, whence);
}

export function register(table: SyscallTable): void {
  table.def(NR.read, read);
  table.def(NR.write, write);
  table.def(NR.pread64, pread64);
  table.def(NR.pwrite64, pwrite64);
  table.def(NR.readv, readv);
  table.def(NR.writev, writev);
  table.def(NR.preadv, preadv);
  table.def(NR.pwritev, pwritev);
  table.def(NR.preadv2, preadv2, 'partial', 'RWF_NOWAIT is refused with EOPNOTSUPP');
  table.def(NR.pwritev2, pwritev2, 'partial', 'RWF_NOWAIT is refused with EOPNOTSUPP');
  table.def(NR.lseek, lseek);
}
