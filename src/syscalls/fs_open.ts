// open, openat, creat, close, close_range.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import {
  AT_FDCWD, O_CLOEXEC, O_CREAT, O_LARGEFILE, O_PATH, O_PATH_FLAGS, O_TMPFILE, O_TRUNC, O_WRONLY, VALID_OPEN_FLAGS,
} from '../vfs/abi';
import { openAt } from '../vfs/ops';
import { NR } from './names';
import { SyscallTable } from './table';
import { W1, int, readPathArg, startAt, uint } from './fs_util';

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

export function register(table: SyscallTable): void {
  const note = 'O_TMPFILE is not supported yet (EOPNOTSUPP)';
  table.def(NR.open, open, 'partial', note);
  table.def(NR.openat, openat, 'partial', note);
  table.def(NR.creat, creat);
  table.def(NR.close, close);
  table.def(NR.close_range, closeRange);
}
