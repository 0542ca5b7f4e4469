// inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch. The instance is a file
// in fs/anon; the events come from the VFS operations through vfs/fsnotify.
import * as E from '../abi/errno';
import { INOTIFY_MAX_USER_WATCHES, InotifyFile } from '../fs/anon/inotify';
import type { Task } from '../kernel/task';
import { MAY_READ, O_CLOEXEC, O_NONBLOCK, S_IFDIR, S_IFMT } from '../vfs/abi';
import {
  IN_ALL_EVENTS, IN_DONT_FOLLOW, IN_EXCL_UNLINK, IN_IGNORED, IN_ISDIR, IN_MASK_ADD, IN_MASK_CREATE, IN_ONESHOT,
  IN_ONLYDIR, IN_Q_OVERFLOW, IN_UNMOUNT, Mark, addMark, findMark, removeMark,
} from '../vfs/fsnotify';
import { permission } from '../vfs/perm';
import { walkPath } from '../vfs/walk';
import { W1, int, readPathArg, startAt } from './fs_util';
import { NR } from './names';
import { SyscallTable } from './table';

const IN_CLOEXEC = O_CLOEXEC, IN_NONBLOCK = O_NONBLOCK;
/** Linux's ALL_INOTIFY_BITS: a mask needs at least one of them. */
const ALL_INOTIFY_BITS = (IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR | IN_DONT_FOLLOW |
  IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | IN_ONESHOT) >>> 0;
/** What a mark keeps: the events and the flags that matter after adding. */
const KEPT = (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK) >>> 0;

function inotifyInit1(t: Task, flags: number): number {
  flags = int(flags);
  if ((flags & ~(IN_CLOEXEC | IN_NONBLOCK)) !== 0) return -E.EINVAL;
  const f = new InotifyFile(flags & IN_NONBLOCK);
  const fd = t.fdTable.install(f, 0, (flags & IN_CLOEXEC) !== 0);
  if (fd < 0) f.decRef();
  return fd;
}

function inotifyInit(t: Task): number {
  return inotifyInit1(t, 0);
}

function addWatch(t: Task, fd: number, pathAddr: number, mask: number): number {
  mask >>>= 0;
  if ((mask & IN_MASK_ADD) !== 0 && (mask & IN_MASK_CREATE) !== 0) return -E.EINVAL;
  if ((mask & ALL_INOTIFY_BITS) === 0) return -E.EINVAL;
  const f = t.fdTable.get(int(fd));
  if (f === null) return -E.EBADF;
  if (!(f instanceof InotifyFile)) return -E.EINVAL;
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  if (path === '') return -E.ENOENT;
  let r = startAt(t, W1, -100, path);
  if (r < 0) return r;
  r = walkPath(W1, path, (mask & IN_DONT_FOLLOW) === 0);
  if (r < 0) return r;
  const inode = W1.d.inode;
  if ((mask & IN_ONLYDIR) !== 0 && (inode.mode & S_IFMT) !== S_IFDIR) return -E.ENOTDIR;
  r = permission(t.creds, inode, MAY_READ);
  if (r < 0) return r;
  const old = findMark(f, inode);
  if (old !== null) {
    if ((mask & IN_MASK_CREATE) !== 0) return -E.EEXIST;
    old.mask = (mask & IN_MASK_ADD) !== 0 ? (old.mask | (mask & KEPT)) >>> 0 : (mask & KEPT) >>> 0;
    return old.wd;
  }
  if (f.watches.size >= INOTIFY_MAX_USER_WATCHES) return -E.ENOSPC;
  const m = new Mark(f, inode.fs, inode.ino, (mask & KEPT) >>> 0, f.allocWd());
  f.watches.set(m.wd, m);
  addMark(m);
  return m.wd;
}

function rmWatch(t: Task, fd: number, wd: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null) return -E.EBADF;
  if (!(f instanceof InotifyFile)) return -E.EINVAL;
  const m = f.watches.get(int(wd));
  if (m === undefined) return -E.EINVAL;
  removeMark(m, true);
  return 0;
}

export function register(tbl: SyscallTable): void {
  const note = 'events for changes made inside the sandbox only (the read-only image never changes); ' +
    'no IN_UNMOUNT; a working directory does not delay IN_DELETE_SELF as it does on Linux';
  tbl.def(NR.inotify_init, inotifyInit);
  tbl.def(NR.inotify_init1, inotifyInit1);
  tbl.def(NR.inotify_add_watch, addWatch, 'partial', note);
  tbl.def(NR.inotify_rm_watch, rmWatch);
}
