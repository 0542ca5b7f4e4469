// getxattr, setxattr, listxattr, removexattr and their l (no symlink following) and
// f (open file) variants. Argument checks come in the order of Linux's fs/xattr.c (the
// name and value are copied before the path is walked); the namespace and permission
// rules are in vfs/xattr.ts, the storage in the file systems (tmpfs, the overlay's upper
// layer).
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import type { Dentry } from '../vfs/dentry';
import type { Mount } from '../vfs/mount';
import { Walk, walkPath } from '../vfs/walk';
import {
  XATTR_CREATE, XATTR_LIST_MAX, XATTR_NAME_MAX, XATTR_REPLACE, XATTR_SIZE_MAX, getXattr, listXattr, setXattr,
} from '../vfs/xattr';
import { int, readPathArg, startAt } from './fs_util';
import { NR } from './names';
import { SyscallTable } from './table';

const w = new Walk();
const buf = Buffer.alloc(XATTR_LIST_MAX);
let tMnt: Mount | null = null;
let tDentry: Dentry | null = null;

/** Resolves a path (follow: not for the l-variants) into tMnt/tDentry; 0 or -errno. */
function resolvePath(t: Task, pathAddr: number, follow: boolean): number {
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  if (path === '') return -E.ENOENT;
  let r = startAt(t, w, -100, path);
  if (r < 0) return r;
  r = walkPath(w, path, follow);
  if (r < 0) return r;
  tMnt = w.mnt;
  tDentry = w.d;
  return 0;
}

function resolveFd(t: Task, fd: number): number {
  const f = t.fdTable.get(int(fd));
  if (f === null) return -E.EBADF;
  tMnt = f.mnt;
  tDentry = f.dentry;
  return 0;
}

/** Linux's import_xattr_name: ERANGE for an empty or too long name. */
function readName(t: Task, nameAddr: number): string | number {
  const name = t.mm.readCString(nameAddr, XATTR_NAME_MAX + 1);
  if (typeof name === 'number') return name === -E.ENAMETOOLONG ? -E.ERANGE : name;
  if (name.length === 0) return -E.ERANGE;
  return name;
}

type Target = (t: Task) => number;

function doGet(t: Task, target: Target, fdFirst: boolean, nameAddr: number, valueAddr: number, size: number): number {
  if (fdFirst) {
    const r = target(t);
    if (r < 0) return r;
  }
  const name = readName(t, nameAddr);
  if (typeof name === 'number') return name;
  if (!fdFirst) {
    const r = target(t);
    if (r < 0) return r;
  }
  const v = getXattr(t, (tDentry as Dentry).inode, name);
  if (typeof v === 'number') return v;
  if (size === 0) return v.length;
  if (v.length > size) return size >= XATTR_SIZE_MAX ? -E.E2BIG : -E.ERANGE;
  if (t.mm.copyOut(valueAddr, v, 0, v.length) < 0) return -E.EFAULT;
  return v.length;
}

function doSet(t: Task, target: Target, fdFirst: boolean, nameAddr: number, valueAddr: number, size: number,
  flags: number, remove: boolean): number {
  if (fdFirst) {
    const r = target(t);
    if (r < 0) return r;
  }
  if (!remove && (flags & ~(XATTR_CREATE | XATTR_REPLACE)) !== 0) return -E.EINVAL;
  const name = readName(t, nameAddr);
  if (typeof name === 'number') return name;
  let value: Uint8Array | null = null;
  if (!remove) {
    if (size > XATTR_SIZE_MAX) return -E.E2BIG;
    const v = Buffer.alloc(size);
    if (size > 0 && t.mm.copyIn(valueAddr, v, 0, size) < 0) return -E.EFAULT;
    value = v;
  }
  if (!fdFirst) {
    const r = target(t);
    if (r < 0) return r;
  }
  return setXattr(t, tMnt as Mount, tDentry as Dentry, name, value, remove ? 0 : flags);
}

function doList(t: Task, target: Target, listAddr: number, size: number): number {
  const r = target(t);
  if (r < 0) return r;
  const names = listXattr(t, (tDentry as Dentry).inode);
  let total = 0;
  for (const n of names) total += n.length + 1;
  if (size === 0) return total;
  if (size > XATTR_LIST_MAX) size = XATTR_LIST_MAX;
  if (total > size) return size >= XATTR_LIST_MAX ? -E.E2BIG : -E.ERANGE;
  let at = 0;
  for (const n of names) {
    buf.write(n, at, 'latin1');
    at += n.length;
    buf[at++] = 0;
  }
  if (t.mm.copyOut(listAddr, buf, 0, total) < 0) return -E.EFAULT;
  return total;
}

// Targets as closures over the syscall arguments would allocate per call; these read
// them from module state set just before.
let pathArg = 0;
let fdArg = 0;
const followTarget: Target = (t) => resolvePath(t, pathArg, true);
const noFollowTarget: Target = (t) => resolvePath(t, pathArg, false);
const fdTarget: Target = (t) => resolveFd(t, fdArg);

/** size_t arguments: huge values (a negative int) stay huge. */
const size = (v: number) => (v < 0 ? Number.MAX_SAFE_INTEGER : v);

export function register(tbl: SyscallTable): void {
  const note = 'user.*, trusted.* and security.* are kept on tmpfs and on the overlay\'s upper layer (copy-up ' +
    'gives an image file none: the host image\'s own attributes are not read); system.* (POSIX ACLs) is not supported';
  tbl.def(NR.getxattr, (t, p, n, v, s) => {
    pathArg = p;
    return doGet(t, followTarget, false, n, v, size(s));
  }, 'partial', note);
  tbl.def(NR.lgetxattr, (t, p, n, v, s) => {
    pathArg = p;
    return doGet(t, noFollowTarget, false, n, v, size(s));
  }, 'partial', note);
  tbl.def(NR.fgetxattr, (t, fd, n, v, s) => {
    fdArg = fd;
    return doGet(t, fdTarget, false, n, v, size(s));
  }, 'partial', note);
  tbl.def(NR.listxattr, (t, p, l, s) => {
    pathArg = p;
    return doList(t, followTarget, l, size(s));
  }, 'partial', note);
  tbl.def(NR.llistxattr, (t, p, l, s) => {
    pathArg = p;
    return doList(t, noFollowTarget, l, size(s));
  }, 'partial', note);
  tbl.def(NR.flistxattr, (t, fd, l, s) => {
    fdArg = fd;
    return doList(t, fdTarget, l, size(s));
  }, 'partial', note);
  tbl.def(NR.setxattr, (t, p, n, v, s, f) => {
    pathArg = p;
    return doSet(t, followTarget, false, n, v, size(s), int(f), false);
  }, 'partial', note);
  tbl.def(NR.lsetxattr, (t, p, n, v, s, f) => {
    pathArg = p;
    return doSet(t, noFollowTarget, false, n, v, size(s), int(f), false);
  }, 'partial', note);
  tbl.def(NR.fsetxattr, (t, fd, n, v, s, f) => {
    fdArg = fd;
    return doSet(t, fdTarget, false, n, v, size(s), int(f), false);
  }, 'partial', note);
  tbl.def(NR.removexattr, (t, p, n) => {
    pathArg = p;
    return doSet(t, followTarget, false, n, 0, 0, 0, true);
  }, 'partial', note);
  tbl.def(NR.lremovexattr, (t, p, n) => {
    pathArg = p;
    return doSet(t, noFollowTarget, false, n, 0, 0, 0, true);
  }, 'partial', note);
  tbl.def(NR.fremovexattr, (t, fd, n) => {
    fdArg = fd;
    return doSet(t, fdTarget, false, n, 0, 0, 0, true);
  }, 'partial', note);
}
