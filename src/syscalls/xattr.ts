// Extended attributes: none are stored yet (issue 4 brings them to tmpfs and the overlay).
// The calls still resolve their file exactly as Linux does, so a missing path, a bad fd
// or a bad pointer get their usual errors; then a read finds no attribute (ENODATA), a
// listing is empty, and a write is refused as by a file system without xattrs.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { Walk, walkPath } from '../vfs/walk';
import { readPathArg, startAt } from './fs_util';
import { NR } from './names';
import { SyscallTable } from './table';

const XATTR_NAME_MAX = 255, XATTR_SIZE_MAX = 65536;
const w = new Walk();

/** Resolves the file a path-based xattr call names; 0 or -errno. */
function resolve(t: Task, pathAddr: number, follow: boolean): number {
  const path = readPathArg(t, pathAddr);
  if (typeof path === 'number') return path;
  if (path === '') return -E.ENOENT;
  const r = startAt(t, w, -100, path);
  return r < 0 ? r : walkPath(w, path, follow);
}

/** Checks the attribute name argument as Linux does (ERANGE for empty or too long). */
function checkName(t: Task, nameAddr: number): number {
  const name = t.mm.readCString(nameAddr, XATTR_NAME_MAX + 1);
  if (typeof name === 'number') return name === -E.ENAMETOOLONG ? -E.ERANGE : name;
  if (name.length === 0) return -E.ERANGE;
  return 0;
}

function get(t: Task, target: number, nameAddr: number, size: number): number {
  if (target < 0) return target;
  const r = checkName(t, nameAddr);
  if (r < 0) return r;
  if (size < 0) return -E.EINVAL;
  return -E.ENODATA;
}

function set(t: Task, target: number, nameAddr: number, size: number, flags: number): number {
  if (target < 0) return target;
  if ((flags & ~3) !== 0) return -E.EINVAL;
  const r = checkName(t, nameAddr);
  if (r < 0) return r;
  if (size > XATTR_SIZE_MAX) return -E.E2BIG;
  return -E.EOPNOTSUPP;
}

function remove(t: Task, target: number, nameAddr: number): number {
  if (target < 0) return target;
  const r = checkName(t, nameAddr);
  return r < 0 ? r : -E.EOPNOTSUPP;
}

const fdTarget = (t: Task, fd: number) => (t.fdTable.get(fd | 0) === null ? -E.EBADF : 0);
const list = (target: number) => (target < 0 ? target : 0);

export function register(tbl: SyscallTable): void {
  const note = 'no extended attributes are stored yet: reads give ENODATA, lists are empty, writes give EOPNOTSUPP';
  tbl.def(NR.getxattr, (t, p, n, _v, s) => get(t, resolve(t, p, true), n, s), 'partial', note);
  tbl.def(NR.lgetxattr, (t, p, n, _v, s) => get(t, resolve(t, p, false), n, s), 'partial', note);
  tbl.def(NR.fgetxattr, (t, fd, n, _v, s) => get(t, fdTarget(t, fd), n, s), 'partial', note);
  tbl.def(NR.listxattr, (t, p) => list(resolve(t, p, true)), 'partial', note);
  tbl.def(NR.llistxattr, (t, p) => list(resolve(t, p, false)), 'partial', note);
  tbl.def(NR.flistxattr, (t, fd) => list(fdTarget(t, fd)), 'partial', note);
  tbl.def(NR.setxattr, (t, p, n, _v, s, f) => set(t, resolve(t, p, true), n, s, f | 0), 'partial', note);
  tbl.def(NR.lsetxattr, (t, p, n, _v, s, f) => set(t, resolve(t, p, false), n, s, f | 0), 'partial', note);
  tbl.def(NR.fsetxattr, (t, fd, n, _v, s, f) => set(t, fdTarget(t, fd), n, s, f | 0), 'partial', note);
  tbl.def(NR.removexattr, (t, p, n) => remove(t, resolve(t, p, true), n), 'partial', note);
  tbl.def(NR.lremovexattr, (t, p, n) => remove(t, resolve(t, p, false), n), 'partial', note);
  tbl.def(NR.fremovexattr, (t, fd, n) => remove(t, fdTarget(t, fd), n), 'partial', note);
}
