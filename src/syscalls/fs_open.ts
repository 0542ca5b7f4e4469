// open, openat, creat, close, close_range.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import {
  AT_FDCWD, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_LARGEFILE, O_PATH, O_PATH_FLAGS, O_RDONLY, O_TMPFILE,
  O_TRUNC, O_WRONLY, VALID_OPEN_FLAGS, isDir,
} from '../vfs/abi';
import {
  RESOLVE_BENEATH, RESOLVE_CACHED, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV,
} from '../vfs/walk';
import { openAt } from '../vfs/ops';
import { NR } from './names';
import { SyscallTable } from './table';
import { W1, fsScratch, int, readPathArg, startAt, uint } from './fs_util';

const CLOSE_RANGE_UNSHARE = 2, CLOSE_RANGE_CLOEXEC = 4;

/** do_sys_openat2 for open(2)-style flags. */
export function doOpenat(t: Task, dirfd: number, pathAddr: number, flags: number, mode: number): number {
  // build_open_how: unknown flags are dropped, O_LARGEFILE is forced on 64-bit, and an
  // O_PATH open keeps only the flags that mean something for it.
  flags &= VALID_OPEN_FLAGS;
  flags |= O_LARGEFILE;
  if ((flags & O_PATH) !== 0) flags &= O_PATH_FLAGS | O_CLOEXEC;
  mode = (flags & O_CREAT) !== 0 || (flags & O_TMPFILE) === O_TMPFILE ? mode & 0o7777 : 0;
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  if (path.length === 0) return -E.ENOENT;
  const table = t.fdTable;
  // The fd is reserved before the file is opened (EMFILE wins over other errors).
  if (!table.hasFree(0)) return -E.EMFILE;
  const r = startAt(t, W1, dirfd, path);
  if (r < 0) return r;
  const f = openAt(W1, path, flags, mode, t.fs.umask);
  if (typeof f === 'number') return f;
  const fd = table.install(f, 0, (flags & O_CLOEXEC) !== 0);
  if (fd < 0) f.decRef();
  return fd;
}

function open(t: Task, path: number, flags: number, mode: number): number {
  return doOpenat(t, AT_FDCWD, path, int(flags), mode);
}

function openat(t: Task, dirfd: number, path: number, flags: number, mode: number): number {
  return doOpenat(t, int(dirfd), path, int(flags), mode);
}

function creat(t: Task, path: number, mode: number): number {
  return doOpenat(t, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

function close(t: Task, fd: number): number {
  return t.fdTable.close(int(fd));
}

function closeRange(t: Task, first: number, last: number, flags: number): number {
  first = uint(first);
  last = uint(last);
  flags = uint(flags);
  if ((flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC)) !== 0) return -E.EINVAL;
  if (first > last) return -E.EINVAL;
  // CLOSE_RANGE_UNSHARE: a table shared with other tasks (threads, CLONE_FILES) is
  // copied first, so the closing only affects this task (Linux's unshare_fd).
  if ((flags & CLOSE_RANGE_UNSHARE) !== 0 && t.fdTable.userCount > 1) {
    const old = t.fdTable;
    t.fdTable = old.fork();
    old.decUsers();
  }
  t.fdTable.closeRange(first, last, (flags & CLOSE_RANGE_CLOEXEC) !== 0);
  return 0;
}

const OPEN_HOW_SIZE_VER0 = 24;
const __O_TMPFILE = 0o20000000;
const RESOLVE_ALL = RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT |
  RESOLVE_CACHED;

/**
 * openat2(dirfd, path, struct open_how *how, size): open with strict flag checks (every
 * unknown or meaningless bit is EINVAL, unlike open) and the RESOLVE_* restrictions on
 * the path walk. struct open_how is {u64 flags, mode, resolve}; a larger struct from a
 * newer program is accepted if its extra bytes are zero (copy_struct_from_user).
 */
function openat2(t: Task, dirfd: number, pathAddr: number, howAddr: number, size: number): number {
  if (size < OPEN_HOW_SIZE_VER0) return -E.EINVAL;
  if (size > 4096) return -E.E2BIG;
  const b = fsScratch;
  if (t.mm.copyIn(howAddr, b, 0, size) < 0) return -E.EFAULT;
  for (let i = OPEN_HOW_SIZE_VER0; i < size; i++) if (b[i] !== 0) return -E.E2BIG;
  let flags = b.readUInt32LE(0) | 0;
  const flagsHi = b.readUInt32LE(4), mode = b.readUInt32LE(8), modeHi = b.readUInt32LE(12);
  const resolve = b.readUInt32LE(16), resolveHi = b.readUInt32LE(20);
  // build_open_flags, in its order.
  flags &= ~O_CLOEXEC;
  const cloexec = (b.readUInt32LE(0) & O_CLOEXEC) !== 0;
  if (flagsHi !== 0 || (flags & ~VALID_OPEN_FLAGS) !== 0) return -E.EINVAL;
  if (resolveHi !== 0 || (resolve & ~RESOLVE_ALL) !== 0) return -E.EINVAL;
  if ((resolve & RESOLVE_BENEATH) !== 0 && (resolve & RESOLVE_IN_ROOT) !== 0) return -E.EINVAL;
  if ((flags & (O_CREAT | __O_TMPFILE)) !== 0) {
    if (modeHi !== 0 || (mode & ~0o7777) !== 0) return -E.EINVAL;
  } else if (mode !== 0 || modeHi !== 0) return -E.EINVAL;
  if ((flags & (O_DIRECTORY | O_CREAT)) === (O_DIRECTORY | O_CREAT)) return -E.EINVAL;
  if ((flags & __O_TMPFILE) !== 0) {
    if ((flags & O_DIRECTORY) === 0) return -E.EINVAL;
    if ((flags & O_ACCMODE) === O_RDONLY) return -E.EINVAL;
  }
  if ((flags & O_PATH) !== 0 && (flags & ~O_PATH_FLAGS) !== 0) return -E.EINVAL;
  if ((resolve & RESOLVE_CACHED) !== 0 && (flags & (O_TRUNC | O_CREAT | __O_TMPFILE)) !== 0) return -E.EAGAIN;
  if ((flags & O_PATH) === 0) flags |= O_LARGEFILE;
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  if (path.length === 0) return -E.ENOENT;
  const table = t.fdTable;
  if (!table.hasFree(0)) return -E.EMFILE;
  dirfd = int(dirfd);
  if ((resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) !== 0) {
    // The start directory is the walk's root: ".." stops there and "/" means it.
    W1.init(t, t.fs);
    if (dirfd !== AT_FDCWD) {
      const f = table.get(dirfd);
      if (f === null) return -E.EBADF;
      if (!isDir(f.dentry.inode.mode)) return -E.ENOTDIR;
      W1.at(f.mnt, f.dentry);
    }
    W1.rootMnt = W1.mnt;
    W1.rootD = W1.d;
  } else {
    const r = startAt(t, W1, dirfd, path);
    if (r < 0) return r;
  }
  W1.resolve = resolve;
  const f = openAt(W1, path, flags, mode, t.fs.umask);
  if (typeof f === 'number') return f;
  const fd = table.install(f, 0, cloexec);
  if (fd < 0) f.decRef();
  return fd;
}

export function register(table: SyscallTable): void {
  table.def(NR.openat2, openat2);
  table.def(NR.open, open);
  table.def(NR.openat, openat);
  table.def(NR.creat, creat);
  table.def(NR.close, close);
  table.def(NR.close_range, closeRange);
}
