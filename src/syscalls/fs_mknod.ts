// mknod, mknodat: regular files, FIFOs, socket inodes, and device nodes (CAP_MKNOD).
// A device node made here opens only if the sentry emulates that device (the /dev
// registry: null, zero, full, random, urandom, tty...); any other character device
// opens with ENXIO and block devices always do, as an unregistered device on Linux.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { AT_FDCWD, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFMT, S_IFREG, S_IFSOCK } from '../vfs/abi';
import { mknodAt } from '../vfs/ops';
import { NR } from './names';
import { SyscallTable } from './table';
import { W1, int, readPathArg, startAt, uint } from './fs_util';

function mknodat(t: Task, dirfd: number, pathAddr: number, mode: number, dev: number): number {
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  mode = uint(mode) & 0xffff; // umode_t
  // Linux's may_mknod: the type, before the path is resolved.
  switch (mode & S_IFMT) {
    case 0:
      mode |= S_IFREG;
      break;
    case S_IFREG: case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK:
      break;
    case S_IFDIR:
      return -E.EPERM;
    default:
      return -E.EINVAL;
  }
  if (path.length === 0) return -E.ENOENT;
  const r = startAt(t, W1, int(dirfd), path);
  if (r < 0) return r;
  const type = mode & S_IFMT;
  return mknodAt(W1, path, mode, type === S_IFCHR || type === S_IFBLK ? uint(dev) : 0, t.fs.umask);
}

function mknod(t: Task, pathAddr: number, mode: number, dev: number): number {
  return mknodat(t, AT_FDCWD, pathAddr, mode, dev);
}

export function register(table: SyscallTable): void {
  const note = 'device nodes (with CAP_MKNOD) open only for devices the sentry emulates, else ENXIO';
  table.def(NR.mknod, mknod, 'partial', note);
  table.def(NR.mknodat, mknodat, 'partial', note);
}
