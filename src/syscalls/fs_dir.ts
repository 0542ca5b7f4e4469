// getdents64, getcwd, chdir, fchdir, mkdir(at), unlink(at), rmdir, rename(at/at2),
// symlink(at), link(at).
import { IN_ACCESS, fsnotify, notifyDentry } from '../vfs/fsnotify';
import * as E from '../abi/errno';
import { CAP_MKNOD } from '../auth/creds';
import type { Task } from '../kernel/task';
import {
  AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, RENAME_EXCHANGE, RENAME_NOREPLACE, RENAME_WHITEOUT,
} from '../vfs/abi';
import { VPath } from '../vfs/mount';
import {
  canLinkEmptyPath, checkChdir, linkAt, mkdirAt, pathFrom, renameAt, rmdirAt, symlinkAt, unlinkAt,
} from '../vfs/ops';
import { walkPath } from '../vfs/walk';
import { NR } from './names';
import { SyscallTable } from './table';
import { W1, W2, fsScratch, int, readPathArg, startAt, uint } from './fs_util';

function getdents64(t: Task, fd: number, dirp: number, count: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null || f.isPath) return -E.EBADF;
  const size = Math.min(uint(count), fsScratch.length);
  const before = f.offset;
  const n = f.getdents(t, fsScratch, size);
  // Linux's iterate_dir reports IN_ACCESS for every call on a live directory.
  if (fsnotify.marks !== 0 && !f.dentry.dead) notifyDentry(f.dentry, IN_ACCESS);
  if (n <= 0) return n;
  if (t.mm.copyOut(dirp, fsScratch, 0, n) < 0) {
    f.offset = before; // nothing was delivered
    return -E.EFAULT;
  }
  return n;
}

function getcwd(t: Task, buf: number, size: number): number {
  const ctx = t.fs;
  const cwd = ctx.cwd;
  if (cwd.d.dead) return -E.ENOENT;
  let p = pathFrom(ctx.root.mnt, ctx.root.d, cwd.mnt, cwd.d);
  if (p === null) {
    const ns = cwd.mnt.ns;
    p = '(unreachable)' + ((ns !== null ? pathFrom(ns.root, ns.root.root, cwd.mnt, cwd.d) : null) ?? '/');
  }
  const len = p.length + 1;
  if (len > uint(size)) return -E.ERANGE;
  if (len > fsScratch.length) return -E.ENAMETOOLONG;
  fsScratch.write(p, 0, 'latin1');
  fsScratch[p.length] = 0;
  return t.mm.copyOut(buf, fsScratch, 0, len) < 0 ? -E.EFAULT : len;
}

function chdir(t: Task, pathAddr: number): number {
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  if (path.length === 0) return -E.ENOENT;
  let r = startAt(t, W1, AT_FDCWD, path);
  if (r < 0) return r;
  r = walkPath(W1, path, true);
  if (r < 0) return r;
  r = checkChdir(t, W1.d);
  if (r < 0) return r;
  t.fs.cwd = new VPath(W1.mnt, W1.d);
  return 0;
}

function fchdir(t: Task, fd: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null) return -E.EBADF;
  const r = checkChdir(t, f.dentry);
  if (r < 0) return r;
  t.fs.cwd = new VPath(f.mnt, f.dentry);
  return 0;
}

/** Reads a non-empty path and prepares W1 relative to dirfd. */
function pathAt(t: Task, dirfd: number, pathAddr: number): string | number {
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  if (path.length === 0) return -E.ENOENT;
  const r = startAt(t, W1, dirfd, path);
  return r < 0 ? r : path;
}

function mkdirat(t: Task, dirfd: number, pathAddr: number, mode: number): number {
  const path = pathAt(t, int(dirfd), pathAddr);
  if (typeof path === 'number') return path;
  return mkdirAt(W1, path, uint(mode), t.fs.umask);
}

function mkdir(t: Task, path: number, mode: number): number {
  return mkdirat(t, AT_FDCWD, path, mode);
}

function unlinkat(t: Task, dirfd: number, pathAddr: number, flags: number): number {
  flags = int(flags);
  if ((flags & ~AT_REMOVEDIR) !== 0) return -E.EINVAL;
  const path = pathAt(t, int(dirfd), pathAddr);
  if (typeof path === 'number') return path;
  return (flags & AT_REMOVEDIR) !== 0 ? rmdirAt(W1, path) : unlinkAt(W1, path);
}

function unlink(t: Task, path: number): number {
  return unlinkat(t, AT_FDCWD, path, 0);
}

function rmdir(t: Task, path: number): number {
  return unlinkat(t, AT_FDCWD, path, AT_REMOVEDIR);
}

function renameat2(t: Task, olddfd: number, oldAddr: number, newdfd: number, newAddr: number, flags: number): number {
  flags = uint(flags);
  if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT)) !== 0) return -E.EINVAL;
  if ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) !== 0 && (flags & RENAME_EXCHANGE) !== 0) return -E.EINVAL;
  if ((flags & RENAME_WHITEOUT) !== 0 && !t.creds.hasCap(CAP_MKNOD)) return -E.EPERM;
  const oldPath = readPathArg(t, oldAddr);
  if (typeof oldPath === 'number') return oldPath;
  const newPath = readPathArg(t, newAddr);
  if (typeof newPath === 'number') return newPath;
  if (oldPath.length === 0 || newPath.length === 0) return -E.ENOENT;
  let r = startAt(t, W1, int(olddfd), oldPath);
  if (r < 0) return r;
  r = startAt(t, W2, int(newdfd), newPath);
  if (r < 0) return r;
  return renameAt(W1, oldPath, W2, newPath, flags);
}

function rename(t: Task, oldPath: number, newPath: number): number {
  return renameat2(t, AT_FDCWD, oldPath, AT_FDCWD, newPath, 0);
}

function renameat(t: Task, olddfd: number, oldPath: number, newdfd: number, newPath: number): number {
  return renameat2(t, olddfd, oldPath, newdfd, newPath, 0);
}

function symlinkat(t: Task, targetAddr: number, newdfd: number, pathAddr: number): number {
  const target = readPathArg(t, targetAddr);
  if (typeof target === 'number') return target;
  if (target.length === 0) return -E.ENOENT;
  const path = pathAt(t, int(newdfd), pathAddr);
  if (typeof path === 'number') return path;
  return symlinkAt(W1, target, path);
}

function symlink(t: Task, target: number, path: number): number {
  return symlinkat(t, target, AT_FDCWD, path);
}

function linkat(t: Task, olddfd: number, oldAddr: number, newdfd: number, newAddr: number, flags: number): number {
  flags = int(flags);
  olddfd = int(olddfd);
  if ((flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) !== 0) return -E.EINVAL;
  const oldPath = readPathArg(t, oldAddr);
  if (typeof oldPath === 'number') return oldPath;
  const newPath = readPathArg(t, newAddr);
  if (typeof newPath === 'number') return newPath;
  if (oldPath.length === 0) {
    // AT_EMPTY_PATH links the file olddfd refers to (needs CAP_DAC_READ_SEARCH).
    if ((flags & AT_EMPTY_PATH) === 0 || !canLinkEmptyPath(t)) return -E.ENOENT;
    W1.init(t, t.fs);
    if (olddfd !== AT_FDCWD) {
      const f = t.fdTable.get(olddfd);
      if (f === null) return -E.EBADF;
      W1.at(f.mnt, f.dentry);
    }
  } else {
    const r = startAt(t, W1, olddfd, oldPath);
    if (r < 0) return r;
  }
  if (newPath.length === 0) return -E.ENOENT;
  const r = startAt(t, W2, int(newdfd), newPath);
  if (r < 0) return r;
  return linkAt(W1, oldPath, (flags & AT_SYMLINK_FOLLOW) !== 0, W2, newPath);
}

function link(t: Task, oldPath: number, newPath: number): number {
  return linkat(t, AT_FDCWD, oldPath, AT_FDCWD, newPath, 0);
}

export function register(table: SyscallTable): void {
  table.def(NR.getdents64, getdents64);
  table.def(NR.getcwd, getcwd);
  table.def(NR.chdir, chdir);
  table.def(NR.fchdir, fchdir);
  table.def(NR.mkdir, mkdir);
  table.def(NR.mkdirat, mkdirat);
  table.def(NR.unlink, unlink);
  table.def(NR.unlinkat, unlinkat);
  table.def(NR.rmdir, rmdir);
  table.def(NR.rename, rename);
  table.def(NR.renameat, renameat);
  table.def(NR.renameat2, renameat2, 'partial', 'RENAME_WHITEOUT works on tmpfs; the root overlay refuses it with EINVAL, as Linux\'s overlayfs does');
  table.def(NR.symlink, symlink);
  table.def(NR.symlinkat, symlinkat);
  table.def(NR.link, link);
  table.def(NR.linkat, linkat);
}
