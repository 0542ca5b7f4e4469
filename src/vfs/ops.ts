// The VFS operations behind the file syscalls: open, mkdir, unlink, rmdir, rename,
// link, symlink, readlink, chdir, attribute changes and execve's open. Each takes a
// Walk already initialised with the caller (task, root, start directory) and checks
// what Linux's fs/namei.c and fs/open.c check, in the same order, so error numbers
// match: name resolution errors first, then EEXIST/ENOENT on the last component, then
// EROFS, then permission (EACCES/EPERM), then what the file system says.
import * as E from '../abi/errno';
import { CAP_CHOWN, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_MKNOD, Credentials } from '../auth/creds';
import type { MapSource } from '../mm/mm';
import {
  MAY_EXEC, MAY_READ, MAY_WRITE, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOATIME, O_NOCTTY,
  O_NOFOLLOW, O_PATH, O_RDONLY, O_TMPFILE, O_TRUNC, RENAME_EXCHANGE, RENAME_NOREPLACE, S_IFBLK, S_IFCHR, S_IFDIR,
  S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK, S_ISGID, S_ISUID, S_IXUGO,
} from './abi';
import type { FsContext } from './context';
import type { FdTable } from './fdtable';
import { Dentry } from './dentry';
import { FileDescription, PathFile } from './file';
import type { CreateArgs, Inode } from './inode';
import { MNT_NODEV, MNT_NOEXEC, Mount, VPath } from './mount';
import {
  IN_ACCESS, IN_ATTRIB, IN_CREATE, IN_DELETE, IN_MODIFY, IN_MOVED_FROM, IN_MOVED_TO, IN_MOVE_SELF, IN_OPEN,
  fsnotify, isGone, nameGone, notifyDentry, notifyInode, notifyName, renameCookie,
} from './fsnotify';
import { isOwner, mayFollowLink, permission, stickyAllows } from './perm';
import { fsPolicy } from './policy';
import { SetAttr, Stat, UTIME_NOW, UTIME_OMIT } from './stat';
import type { VfsTask } from './task';
import {
  LAST_DOT, LAST_DOTDOT, LAST_NORM, LAST_ROOT, Walk, crossMounts, lookupChild, walkLast, walkParent, walkPath,
} from './walk';

const st = new Stat();
const attr = new SetAttr();
/** __O_TMPFILE without O_DIRECTORY. */
const O_TMPFILE_BIT = O_TMPFILE & ~O_DIRECTORY;
/** Flags that only matter while opening and are not kept in f_flags. */
const OPEN_ONLY = O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC;

const typeOf = (i: Inode) => i.mode & S_IFMT;
const isDirI = (i: Inode) => (i.mode & S_IFMT) === S_IFDIR;

/** Linux's ACC_MODE: the permission an access mode needs (3 needs both). */
function accMode(flags: number): number {
  switch (flags & O_ACCMODE) {
    case 0: return MAY_READ;
    case 1: return MAY_WRITE;
    default: return MAY_READ | MAY_WRITE;
  }
}

/**
 * Ownership of a new node in dir: fsuid, and the directory's group if it is set-gid.
 * A set-gid directory passes S_ISGID on to subdirectories; a new group-executable
 * set-gid file in it keeps S_ISGID only if the creator is in that group or has
 * CAP_FSETID (Linux's mode_strip_sgid).
 */
function createArgs(w: Walk, dir: Inode, mode: number, rdev = 0): CreateArgs {
  const c = w.creds;
  let gid = c.fsgid;
  if ((dir.mode & S_ISGID) !== 0) {
    gid = dir.gid;
    if ((mode & S_IFMT) === S_IFDIR) mode |= S_ISGID;
    else if ((mode & (S_ISGID | 0o010)) === (S_ISGID | 0o010) && !c.inGroup(dir.gid) && !c.hasCap(CAP_FSETID)) {
      mode &= ~S_ISGID;
    }
  }
  return { mode, uid: c.fsuid, gid, rdev };
}

/** Adds a freshly created inode to the dentry cache under the walk's parent. */
function addDentry(parent: Dentry, name: string, inode: Inode): Dentry {
  const d = new Dentry(name, parent, inode);
  if (parent.inode.cacheChildren) parent.addChild(d);
  return d;
}

// ---- open ---------------------------------------------------------------------------

/**
 * open/openat/creat after the syscall layer has cleaned the flags (VALID_OPEN_FLAGS,
 * O_LARGEFILE added, O_PATH masking) and checked the path is not empty.
 */
export function openAt(w: Walk, path: string, flags: number, mode: number, umask: number): FileDescription | number {
  if ((flags & O_DIRECTORY) !== 0 && (flags & O_CREAT) !== 0) return -E.EINVAL;
  if ((flags & O_TMPFILE_BIT) !== 0) {
    if ((flags & O_DIRECTORY) === 0) return -E.EINVAL;
    if ((accMode(flags) & MAY_WRITE) === 0) return -E.EINVAL;
    return openTmpfile(w, path, flags, mode, umask);
  }
  if ((flags & O_PATH) !== 0) {
    const r = walkPath(w, path, (flags & O_NOFOLLOW) === 0);
    if (r < 0) return r;
    if ((flags & O_DIRECTORY) !== 0 && !isDirI(w.d.inode)) return -E.ENOTDIR;
    return new PathFile(w.mnt, w.d, flags & ~OPEN_ONLY);
  }
  let acc = accMode(flags);
  if ((flags & O_TRUNC) !== 0) acc |= MAY_WRITE;
  let r = walkParent(w, path);
  if (r < 0) return r;
  if ((flags & O_CREAT) === 0) {
    const mustDir = w.trailingSlash || (flags & O_DIRECTORY) !== 0;
    r = walkLast(w, (flags & O_NOFOLLOW) === 0 || w.trailingSlash);
    if (r < 0) return r;
    return doOpen(w, flags, acc, mustDir, false);
  }
  // O_CREAT: the last component is created if missing; a symlink there is followed
  // (unless O_EXCL or O_NOFOLLOW) and its target created, as Linux does.
  const follow = (flags & (O_EXCL | O_NOFOLLOW)) === 0;
  for (;;) {
    if (w.lastType !== LAST_NORM) {
      r = walkLast(w, false);
      if (r < 0) return r;
      return doOpen(w, flags, acc, false, false);
    }
    if (w.trailingSlash) return -E.EISDIR;
    const parent = w.d, pm = w.mnt;
    const c = lookupChild(w.t, parent, w.name);
    if (typeof c === 'number') {
      if (c !== -E.ENOENT) return c;
      if (parent.dead) return -E.ENOENT;
      if (w.mnt.readOnly) return -E.EROFS;
      const p = permission(w.creds, parent.inode, MAY_WRITE | MAY_EXEC);
      if (p < 0) return p;
      const ino = parent.inode.create(w.t, w.name, createArgs(w, parent.inode, S_IFREG | (mode & 0o7777 & ~umask)));
      if (typeof ino === 'number') return ino;
      parent.forget(w.name);
      w.d = addDentry(parent, w.name, ino);
      notifyName(parent.inode, IN_CREATE, w.name, ino);
      return doOpen(w, flags, acc, false, true);
    }
    w.d = c;
    crossMounts(w);
    if (!follow || (c.inode.mode & S_IFMT) !== S_IFLNK) return doOpen(w, flags, acc, false, false);
    // Follow the link; its target's last component gets the same O_CREAT treatment.
    if (++w.links > 40) return -E.ELOOP;
    const mf = mayFollowLink(w.creds, parent.inode, c.inode);
    if (mf < 0) return mf;
    const magic = c.inode.getLink(w.t);
    if (magic !== null) {
      if (typeof magic === 'number') return magic;
      w.mnt = magic.mnt;
      w.d = magic.d;
      return doOpen(w, flags, acc, false, false);
    }
    const target = c.inode.readlink(w.t);
    if (typeof target === 'number') return target;
    if (target.length === 0) return -E.ENOENT;
    w.mnt = pm;
    w.d = parent;
    r = walkParent(w, target);
    if (r < 0) return r;
  }
}

/**
 * O_TMPFILE files that may still get a name (opened without O_EXCL): Linux's I_LINKABLE.
 * linkAt refuses any other file whose link count is 0.
 */
const linkable = new WeakSet<Inode>();

/** Linux's do_tmpfile: an unnamed regular file in the directory path names. */
function openTmpfile(w: Walk, path: string, flags: number, mode: number, umask: number): FileDescription | number {
  let r = walkPath(w, path, true);
  if (r < 0) return r;
  const dir = w.d.inode;
  if (!isDirI(dir)) return -E.ENOTDIR;
  if (w.mnt.readOnly) return -E.EROFS;
  r = permission(w.creds, dir, MAY_WRITE | MAY_EXEC);
  if (r < 0) return r;
  const ino = dir.tmpfile(w.t, createArgs(w, dir, S_IFREG | (mode & 0o7777 & ~umask)));
  if (typeof ino === 'number') return ino;
  // Its dentry is "#ino" in that directory, never in its cache: /proc/pid/fd shows
  // "dir/#ino (deleted)", as on Linux.
  const d = new Dentry(`#${ino.ino}`, w.d, ino);
  d.dead = true;
  if ((flags & O_EXCL) === 0) linkable.add(ino);
  return openDentry(w.t, w.mnt, d, flags & ~O_TRUNC);
}

/** Linux's do_open + may_open on the resolved (w.mnt, w.d). */
function doOpen(w: Walk, flags: number, acc: number, mustDir: boolean, created: boolean): FileDescription | number {
  const mnt = w.mnt, d = w.d, inode = d.inode;
  const type = typeOf(inode);
  if ((flags & O_CREAT) !== 0) {
    if ((flags & O_EXCL) !== 0 && !created) return -E.EEXIST;
    if (type === S_IFDIR) return -E.EISDIR;
  }
  if (mustDir && type !== S_IFDIR) return -E.ENOTDIR;
  let trunc = false;
  if (created) {
    acc = 0;
    flags &= ~O_TRUNC;
  } else if (type === S_IFREG && (flags & O_TRUNC) !== 0) {
    if (mnt.readOnly) return -E.EROFS;
    trunc = true;
  }
  const r = mayOpen(w.t, mnt, inode, acc, flags);
  if (r < 0) return r;
  return openDentry(w.t, mnt, d, trunc ? flags : flags & ~O_TRUNC);
}

/** Linux's may_open: type rules, then permission, then O_NOATIME ownership. */
export function mayOpen(t: VfsTask, mnt: Mount, inode: Inode, acc: number, flags: number): number {
  switch (typeOf(inode)) {
    case S_IFLNK:
      return -E.ELOOP;
    case S_IFDIR:
      if ((acc & MAY_WRITE) !== 0) return -E.EISDIR;
      if ((acc & MAY_EXEC) !== 0) return -E.EACCES;
      break;
    case S_IFBLK:
    case S_IFCHR:
      if ((mnt.flags & MNT_NODEV) !== 0) return -E.EACCES;
      if ((acc & MAY_EXEC) !== 0) return -E.EACCES;
      break;
    case S_IFIFO:
    case S_IFSOCK:
      if ((acc & MAY_EXEC) !== 0) return -E.EACCES;
      break;
    case S_IFREG:
      if ((acc & MAY_EXEC) !== 0 && (mnt.flags & MNT_NOEXEC) !== 0) return -E.EACCES;
      break;
  }
  const type = typeOf(inode);
  if ((acc & MAY_WRITE) !== 0 && mnt.readOnly && (type === S_IFREG || type === S_IFDIR || type === S_IFLNK)) {
    return -E.EROFS;
  }
  const p = permission(t.creds, inode, acc);
  if (p < 0) return p;
  if ((flags & O_NOATIME) !== 0 && !isOwner(t.creds, inode)) return -E.EPERM;
  return 0;
}

/**
 * Opens an already checked dentry: device nodes through the registry, everything else
 * through its file system; O_TRUNC in flags truncates a regular file.
 */
export function openDentry(t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
  const inode = d.inode;
  const type = typeOf(inode);
  let f: FileDescription | number;
  if (type === S_IFCHR) {
    if (mnt.ns === null) return -E.ENXIO;
    // O_NOCTTY matters to terminals; the open-only flags are masked off below.
    f = mnt.ns.devices.openChar(inode.rdev, t, mnt, d, flags & ~(OPEN_ONLY & ~O_NOCTTY));
  } else if (type === S_IFBLK) {
    return -E.ENXIO;
  } else {
    f = inode.open(t, mnt, d, flags);
  }
  if (typeof f === 'number') return f;
  if (fsnotify.marks !== 0 && (flags & O_PATH) === 0) notifyDentry(d, IN_OPEN);
  if ((flags & O_TRUNC) !== 0 && type === S_IFREG) {
    const r = inode.setattr(t, attr.reset().withSize(0));
    if (r < 0) {
      f.decRef();
      return r;
    }
    notifyDentry(d, IN_MODIFY);
  }
  f.flags &= ~OPEN_ONLY;
  return f;
}

// ---- creating names -------------------------------------------------------------------

/**
 * Linux's filename_create: resolves the parent, requires a missing last component, and
 * checks EROFS and may_create. On success (w.mnt, w.d) is the parent, w.name the name.
 */
function prepareCreate(w: Walk, path: string, wantDir: boolean, checkPerm = true): number {
  const r = walkParent(w, path);
  if (r < 0) return r;
  if (w.lastType !== LAST_NORM) return -E.EEXIST;
  const c = lookupChild(w.t, w.d, w.name);
  if (typeof c !== 'number') return -E.EEXIST;
  if (c !== -E.ENOENT) return c;
  if (w.d.dead) return -E.ENOENT;
  if (w.trailingSlash && !wantDir) return -E.ENOENT;
  if (w.mnt.readOnly) return -E.EROFS;
  return checkPerm ? permission(w.creds, w.d.inode, MAY_WRITE | MAY_EXEC) : 0;
}

export function mkdirAt(w: Walk, path: string, mode: number, umask: number): number {
  const r = prepareCreate(w, path, true);
  if (r < 0) return r;
  const parent = w.d;
  const ino = parent.inode.mkdir(w.t, w.name, createArgs(w, parent.inode, S_IFDIR | (mode & 0o1777 & ~umask)));
  if (typeof ino === 'number') return ino;
  parent.forget(w.name);
  addDentry(parent, w.name, ino);
  notifyName(parent.inode, IN_CREATE, w.name, ino);
  return 0;
}

/** mknod for regular files, FIFOs, sockets and (with CAP_MKNOD) device nodes. */
export function mknodAt(w: Walk, path: string, mode: number, rdev: number, umask: number): number {
  const r = createNodeDentryAt(w, path, mode, rdev, umask);
  return typeof r === 'number' ? r : 0;
}

/** mknodAt that hands back the new inode. */
export function createNodeAt(w: Walk, path: string, mode: number, rdev: number, umask: number): Inode | number {
  const d = createNodeDentryAt(w, path, mode, rdev, umask);
  return typeof d === 'number' ? d : d.inode;
}

/** mknodAt that hands back the new dentry (bind(2) of a unix socket keeps its inode). */
export const mknodDentryAt = (w: Walk, path: string, mode: number, rdev: number, umask: number): Dentry | number =>
  createNodeDentryAt(w, path, mode, rdev, umask);

/**
 * Creates a non-directory node at path (Linux's filename_create + vfs_create/vfs_mknod)
 * and returns its dentry: mknod, and bind() of a unix socket (mode S_IFSOCK; EEXIST
 * when the name exists, which bind reports as EADDRINUSE). Character and block devices
 * need CAP_MKNOD (EPERM), except the 0:0 whiteout.
 */
function createNodeDentryAt(w: Walk, path: string, mode: number, rdev: number, umask: number): Dentry | number {
  const r = prepareCreate(w, path, false);
  if (r < 0) return r;
  const type = mode & S_IFMT;
  if ((type === S_IFCHR || type === S_IFBLK) && !(type === S_IFCHR && rdev === 0) && !w.creds.hasCap(CAP_MKNOD)) {
    return -E.EPERM;
  }
  const parent = w.d;
  const ino = parent.inode.create(w.t, w.name, createArgs(w, parent.inode, type | (mode & 0o7777 & ~umask), rdev));
  if (typeof ino === 'number') return ino;
  parent.forget(w.name);
  const d = addDentry(parent, w.name, ino);
  notifyName(parent.inode, IN_CREATE, w.name, ino);
  return d;
}

export function symlinkAt(w: Walk, target: string, path: string): number {
  const r = prepareCreate(w, path, false);
  if (r < 0) return r;
  const parent = w.d;
  const ino = parent.inode.symlink(w.t, w.name, target, createArgs(w, parent.inode, S_IFLNK | 0o777));
  if (typeof ino === 'number') return ino;
  parent.forget(w.name);
  addDentry(parent, w.name, ino);
  notifyName(parent.inode, IN_CREATE, w.name, ino);
  return 0;
}

/**
 * link(2): old is resolved in wOld (following a final symlink only if follow), the new
 * name in wNew. emptyOld: AT_EMPTY_PATH with an empty old path (wOld is the file).
 */
export function linkAt(wOld: Walk, oldPath: string, follow: boolean, wNew: Walk, newPath: string): number {
  if (oldPath !== '') {
    const r = walkPath(wOld, oldPath, follow);
    if (r < 0) return r;
  }
  let r = prepareCreate(wNew, newPath, false, false);
  if (r < 0) return r;
  if (wOld.mnt !== wNew.mnt) return -E.EXDEV;
  const parent = wNew.d;
  const inode = wOld.d.inode;
  // fs.protected_hardlinks=1 (every distribution's default): only the owner may link a
  // file they could not read and write, or a special, set-uid or set-gid executable.
  if (fsPolicy.protectedHardlinks && !isOwner(wNew.creds, inode) && !safeHardlinkSource(wNew.creds, inode)) {
    return -E.EPERM;
  }
  r = permission(wNew.creds, parent.inode, MAY_WRITE | MAY_EXEC);
  if (r < 0) return r;
  if (inode.fs !== parent.inode.fs) return -E.EXDEV;
  if (isDirI(inode)) return -E.EPERM;
  inode.stat(st);
  if (st.nlink === 0 && !linkable.has(inode)) return -E.ENOENT;
  r = parent.inode.link(wNew.t, wNew.name, inode);
  if (r < 0) return r;
  linkable.delete(inode);
  parent.forget(wNew.name);
  addDentry(parent, wNew.name, inode);
  if (fsnotify.marks !== 0) {
    notifyInode(inode, IN_ATTRIB);
    notifyName(parent.inode, IN_CREATE, wNew.name, inode);
  }
  return 0;
}

function safeHardlinkSource(creds: Credentials, inode: Inode): boolean {
  const mode = inode.mode;
  if ((mode & S_IFMT) !== S_IFREG) return false;
  if ((mode & S_ISUID) !== 0) return false;
  if ((mode & (S_ISGID | 0o010)) === (S_ISGID | 0o010)) return false;
  return permission(creds, inode, MAY_READ | MAY_WRITE) === 0;
}

// ---- removing names -----------------------------------------------------------------

/** Linux's may_delete for victim in dir. */
function mayDelete(w: Walk, dir: Dentry, victim: Dentry, wantDir: boolean): number {
  const p = permission(w.creds, dir.inode, MAY_WRITE | MAY_EXEC);
  if (p < 0) return p;
  if (!stickyAllows(w.creds, dir.inode, victim.inode)) return -E.EPERM;
  if (wantDir) {
    if (!isDirI(victim.inode)) return -E.ENOTDIR;
    if (victim.parent === null) return -E.EBUSY;
  } else if (isDirI(victim.inode)) {
    return -E.EISDIR;
  }
  if (dir.dead) return -E.ENOENT;
  return 0;
}

function isMountpoint(mnt: Mount, d: Dentry): boolean {
  return d.mountCount > 0 && mnt.ns !== null && mnt.ns.lookup(mnt, d) !== null;
}

export function unlinkAt(w: Walk, path: string): number {
  let r = walkParent(w, path);
  if (r < 0) return r;
  if (w.lastType !== LAST_NORM) return -E.EISDIR;
  if (w.mnt.readOnly) return -E.EROFS;
  const parent = w.d;
  const c = lookupChild(w.t, parent, w.name);
  if (typeof c === 'number') return c;
  if (w.trailingSlash) return isDirI(c.inode) ? -E.EISDIR : -E.ENOTDIR;
  r = mayDelete(w, parent, c, false);
  if (r < 0) return r;
  if (isMountpoint(w.mnt, c)) return -E.EBUSY;
  r = parent.inode.unlink(w.t, w.name, c.inode);
  if (r < 0) return r;
  parent.removeChild(c);
  if (fsnotify.marks !== 0) notifyRemoved(parent.inode, w.name, c, true);
  return 0;
}

export function rmdirAt(w: Walk, path: string): number {
  let r = walkParent(w, path);
  if (r < 0) return r;
  switch (w.lastType) {
    case LAST_DOTDOT: return -E.ENOTEMPTY;
    case LAST_DOT: return -E.EINVAL;
    case LAST_ROOT: return -E.EBUSY;
  }
  if (w.mnt.readOnly) return -E.EROFS;
  const parent = w.d;
  const c = lookupChild(w.t, parent, w.name);
  if (typeof c === 'number') return c;
  r = mayDelete(w, parent, c, true);
  if (r < 0) return r;
  if (isMountpoint(w.mnt, c)) return -E.EBUSY;
  r = parent.inode.rmdir(w.t, w.name, c.inode);
  if (r < 0) return r;
  parent.removeChild(c);
  c.clearCache();
  if (fsnotify.marks !== 0) notifyRemoved(parent.inode, w.name, c, false);
  return 0;
}

/**
 * Linux's order for a removed name: IN_ATTRIB on the file (unlink: its link count fell),
 * IN_DELETE_SELF and the end of the victim's watches (IN_IGNORED) if no name is left,
 * then IN_DELETE in the directory.
 */
function notifyRemoved(dir: Inode, name: string, victim: Dentry, linkCount: boolean): void {
  if (linkCount) notifyInode(victim.inode, IN_ATTRIB);
  if (isGone(victim.inode)) nameGone(victim);
  notifyName(dir, IN_DELETE, name, victim.inode);
}

function isAncestor(a: Dentry, b: Dentry | null): boolean {
  for (let d = b; d !== null; d = d.parent) if (d === a) return true;
  return false;
}

/** rename/renameat/renameat2 after the flag checks. */
export function renameAt(wOld: Walk, oldPath: string, wNew: Walk, newPath: string, flags: number): number {
  let r = walkParent(wOld, oldPath);
  if (r < 0) return r;
  r = walkParent(wNew, newPath);
  if (r < 0) return r;
  if (wOld.mnt !== wNew.mnt) return -E.EXDEV;
  if (wOld.lastType !== LAST_NORM) return -E.EBUSY;
  if (wNew.lastType !== LAST_NORM) return (flags & RENAME_NOREPLACE) !== 0 ? -E.EEXIST : -E.EBUSY;
  if (wOld.mnt.readOnly) return -E.EROFS;
  const oldDir = wOld.d, newDir = wNew.d;
  const src = lookupChild(wOld.t, oldDir, wOld.name);
  if (typeof src === 'number') return src;
  const tgt = lookupChild(wNew.t, newDir, wNew.name);
  if (typeof tgt === 'number' && tgt !== -E.ENOENT) return tgt;
  const target = typeof tgt === 'number' ? null : tgt;
  const exchange = (flags & RENAME_EXCHANGE) !== 0;
  if ((flags & RENAME_NOREPLACE) !== 0 && target !== null) return -E.EEXIST;
  if (exchange) {
    if (target === null) return -E.ENOENT;
    if (!isDirI(target.inode) && wNew.trailingSlash) return -E.ENOTDIR;
  }
  const srcIsDir = isDirI(src.inode);
  if (!srcIsDir) {
    if (wOld.trailingSlash) return -E.ENOTDIR;
    if (!exchange && wNew.trailingSlash) return -E.ENOTDIR;
  }
  if (oldDir !== newDir) {
    // Neither may be an ancestor of the other's parent (Linux's lock_rename trap).
    if (isAncestor(src, newDir)) return -E.EINVAL;
    if (target !== null && isAncestor(target, oldDir)) return exchange ? -E.EINVAL : -E.ENOTEMPTY;
  }
  // vfs_rename
  if (target !== null && target.inode === src.inode) return 0;
  r = mayDelete(wOld, oldDir, src, srcIsDir);
  if (r < 0) return r;
  const tgtIsDir = target !== null && isDirI(target.inode);
  if (target === null) {
    if (newDir.dead) return -E.ENOENT;
    r = permission(wNew.creds, newDir.inode, MAY_WRITE | MAY_EXEC);
  } else {
    r = mayDelete(wNew, newDir, target, exchange ? tgtIsDir : srcIsDir);
  }
  if (r < 0) return r;
  if (oldDir !== newDir) {
    if (srcIsDir) {
      r = permission(wOld.creds, src.inode, MAY_WRITE);
      if (r < 0) return r;
    }
    if (exchange && tgtIsDir && target !== null) {
      r = permission(wOld.creds, target.inode, MAY_WRITE);
      if (r < 0) return r;
    }
  }
  if (isMountpoint(wOld.mnt, src) || (target !== null && isMountpoint(wNew.mnt, target))) return -E.EBUSY;
  if (!exchange && target !== null && tgtIsDir && !target.inode.isEmptyDir(wNew.t)) return -E.ENOTEMPTY;
  r = oldDir.inode.rename(wOld.t, wOld.name, src.inode, newDir.inode, wNew.name, target === null ? null : target.inode,
    flags);
  if (r < 0) return r;
  // Keep the dentry cache in step with the file system.
  const oldName = wOld.name, newName = wNew.name;
  if (fsnotify.marks !== 0) {
    let cookie = renameCookie();
    notifyName(oldDir.inode, IN_MOVED_FROM, oldName, src.inode, cookie);
    notifyName(newDir.inode, IN_MOVED_TO, newName, src.inode, cookie);
    if (!exchange && target !== null) notifyInode(target.inode, IN_ATTRIB);
    notifyInode(src.inode, IN_MOVE_SELF);
    if (exchange && target !== null) {
      cookie = renameCookie();
      notifyName(newDir.inode, IN_MOVED_FROM, newName, target.inode, cookie);
      notifyName(oldDir.inode, IN_MOVED_TO, oldName, target.inode, cookie);
      notifyInode(target.inode, IN_MOVE_SELF);
    } else if (target !== null && isGone(target.inode)) {
      nameGone(target);
    }
  }
  if (exchange && target !== null) {
    oldDir.forget(oldName);
    newDir.forget(newName);
    src.name = newName;
    src.parent = newDir;
    target.name = oldName;
    target.parent = oldDir;
    if (newDir.inode.cacheChildren) newDir.addChild(src);
    if (oldDir.inode.cacheChildren) oldDir.addChild(target);
  } else {
    if (target !== null) {
      newDir.removeChild(target);
      target.clearCache();
    }
    oldDir.forget(oldName);
    newDir.forget(newName);
    src.name = newName;
    src.parent = newDir;
    if (newDir.inode.cacheChildren) newDir.addChild(src);
  }
  return 0;
}

// ---- reading links, changing directory ---------------------------------------------------

/** readlink(at) of a non-empty path: the target text or -errno. */
export function readlinkAt(w: Walk, path: string): string | number {
  const r = walkPath(w, path, false);
  if (r < 0) return r;
  const inode = w.d.inode;
  if (typeOf(inode) !== S_IFLNK) return -E.EINVAL;
  return inode.readlink(w.t);
}

/** chdir(2): (mnt, d) must be a searchable directory. */
export function checkChdir(t: VfsTask, d: Dentry): number {
  if (!isDirI(d.inode)) return -E.ENOTDIR;
  return permission(t.creds, d.inode, MAY_EXEC);
}

export function chdirTo(w: Walk, ctx: FsContext, path: string): number {
  let r = walkPath(w, path, true);
  if (r < 0) return r;
  r = checkChdir(w.t, w.d);
  if (r < 0) return r;
  ctx.cwd = new VPath(w.mnt, w.d);
  return 0;
}

/**
 * The path of (mnt, d) as seen from root, or null when it is not below root (Linux's
 * d_path then prefixes "(unreachable)").
 */
export function pathFrom(rootMnt: Mount, rootD: Dentry, mnt: Mount, d: Dentry): string | null {
  const parts: string[] = [];
  for (;;) {
    if (d === rootD && mnt === rootMnt) break;
    if (d === mnt.root) {
      const up = mnt.parent, mp = mnt.mountpoint;
      if (up === null || mp === null) return null;
      mnt = up;
      d = mp;
      continue;
    }
    const p = d.parent;
    if (p === null) return null;
    parts.push(d.name);
    d = p;
  }
  if (parts.length === 0) return '/';
  let s = '';
  for (let i = parts.length - 1; i >= 0; i--) s += '/' + parts[i];
  return s;
}

/** What /proc/pid/fd/N and /proc/pid/cwd show for a position. */
export function displayPath(root: VPath, mnt: Mount, d: Dentry): string {
  let s = pathFrom(root.mnt, root.d, mnt, d);
  if (s === null) {
    const ns = mnt.ns;
    const alt = ns !== null ? pathFrom(ns.root, ns.root.root, mnt, d) : null;
    s = '(unreachable)' + (alt ?? '/' + d.name);
  }
  if (d.dead) s += ' (deleted)';
  return s;
}

/** The name /proc/pid/maps shows for a file mapping (its path in its namespace). */
export function mapNameOf(mnt: Mount, d: Dentry): string {
  const ns = mnt.ns;
  if (ns === null) return d.name;
  return displayPath(new VPath(ns.root, ns.root.root), mnt, d);
}

/**
 * The path of an open fd as /proc/pid/fd/N shows it (execveat with a dirfd, AT_EMPTY_PATH
 * execs): the file's path from root, or its anonymous name ("pipe:[7]"); -EBADF.
 */
export function fdPath(fdTable: FdTable, root: VPath, fd: number): string | number {
  const f = fdTable.get(fd);
  if (f === null) return -E.EBADF;
  const anon = f.anonName;
  return anon !== '' ? anon : displayPath(root, f.mnt, f.dentry);
}

// ---- attributes ------------------------------------------------------------------------

/** chmod/fchmod/fchmodat on a resolved file. */
export function chmodInode(t: VfsTask, mnt: Mount, inode: Inode, mode: number, d?: Dentry): number {
  if (mnt.readOnly) return -E.EROFS;
  // A symlink's mode cannot change (fchmodat2 with AT_SYMLINK_NOFOLLOW).
  if (typeOf(inode) === S_IFLNK) return -E.EOPNOTSUPP;
  const c = t.creds;
  if (!isOwner(c, inode)) return -E.EPERM;
  mode &= 0o7777;
  // Without CAP_FSETID, setting set-gid on a file or directory of a group the caller is
  // not in drops it (Linux's setattr_copy).
  if ((mode & S_ISGID) !== 0 && !c.inGroup(inode.gid) && !c.hasCap(CAP_FSETID)) mode &= ~S_ISGID;
  const a = attr.reset();
  a.mode = (inode.mode & S_IFMT) | mode;
  const r = inode.setattr(t, a);
  if (r === 0 && d !== undefined) notifyDentry(d, IN_ATTRIB);
  return r;
}

/** chown family (Linux's chown_ok/chgrp_ok); uid/gid -1 leave the id alone. */
export function chownInode(t: VfsTask, mnt: Mount, inode: Inode, uid: number, gid: number, d?: Dentry): number {
  if (mnt.readOnly) return -E.EROFS;
  const c = t.creds;
  const owner = c.fsuid === inode.uid;
  const a = attr.reset();
  if (uid !== -1) {
    if (!((owner && uid === inode.uid) || c.hasCap(CAP_CHOWN))) return -E.EPERM;
    a.uid = uid;
  }
  if (gid !== -1) {
    if (!((owner && (gid === inode.gid || c.inGroup(gid))) || c.hasCap(CAP_CHOWN))) return -E.EPERM;
    a.gid = gid;
  }
  if (!isDirI(inode)) {
    // Any chown of a non-directory (even to -1, -1) drops set-uid, and set-gid when it
    // means something (group exec) or the caller could not have set it (Linux's
    // chown_common with setattr_should_drop_sgid).
    let m = inode.mode & ~S_ISUID;
    if ((m & 0o010) !== 0 || !(c.inGroup(inode.gid) || c.hasCap(CAP_FSETID))) m &= ~S_ISGID;
    if (m !== inode.mode) a.mode = m;
  }
  const r = inode.setattr(t, a);
  if (r === 0 && d !== undefined && (a.uid >= 0 || a.gid >= 0 || a.mode >= 0)) notifyDentry(d, IN_ATTRIB);
  return r;
}

/** truncate(2) on a resolved file (ftruncate checks its fd itself). */
export function truncateInode(t: VfsTask, mnt: Mount, inode: Inode, size: number, d?: Dentry): number {
  const type = typeOf(inode);
  if (type === S_IFDIR) return -E.EISDIR;
  if (type !== S_IFREG) return -E.EINVAL;
  if (mnt.readOnly) return -E.EROFS;
  const p = permission(t.creds, inode, MAY_WRITE);
  if (p < 0) return p;
  const r = inode.setattr(t, attr.reset().withSize(size));
  if (r === 0 && d !== undefined) notifyDentry(d, IN_MODIFY);
  return r;
}

/**
 * utimensat on a resolved file. times: null for "now"; else [atimeSec, atimeNsec,
 * mtimeSec, mtimeNsec] with UTIME_NOW / UTIME_OMIT allowed in the nsec fields.
 */
export function utimesInode(t: VfsTask, mnt: Mount, inode: Inode, times: number[] | null, d?: Dentry): number {
  if (mnt.readOnly) return -E.EROFS;
  const c = t.creds;
  const a = attr.reset();
  const allNow = times === null || (times[1] === UTIME_NOW && times[3] === UTIME_NOW);
  if (allNow) {
    if (!isOwner(c, inode)) {
      const p = permission(c, inode, MAY_WRITE);
      if (p < 0) return p;
    }
    a.atimeNsec = UTIME_NOW;
    a.mtimeNsec = UTIME_NOW;
  } else if (times !== null) {
    if (!isOwner(c, inode)) return -E.EPERM;
    a.atimeSec = times[0];
    a.atimeNsec = times[1];
    a.mtimeSec = times[2];
    a.mtimeNsec = times[3];
  }
  if (a.atimeNsec === UTIME_OMIT && a.mtimeNsec === UTIME_OMIT) return 0;
  const r = inode.setattr(t, a);
  // Linux's fsnotify_change: both times -> IN_ATTRIB, only atime -> IN_ACCESS, only mtime -> IN_MODIFY.
  if (r === 0 && d !== undefined && fsnotify.marks !== 0) {
    notifyDentry(d, a.atimeNsec === UTIME_OMIT ? IN_MODIFY : a.mtimeNsec === UTIME_OMIT ? IN_ACCESS : IN_ATTRIB);
  }
  return r;
}

// ---- access ------------------------------------------------------------------------------

/** faccessat's check on a resolved file (creds: already the access() credentials). */
export function accessInode(mnt: Mount, inode: Inode, mode: number, creds: Credentials): number {
  if ((mode & MAY_EXEC) !== 0 && typeOf(inode) === S_IFREG && (mnt.flags & MNT_NOEXEC) !== 0) return -E.EACCES;
  const type = typeOf(inode);
  if ((mode & MAY_WRITE) !== 0 && mnt.readOnly && (type === S_IFREG || type === S_IFDIR || type === S_IFLNK)) {
    return -E.EROFS;
  }
  return permission(creds, inode, mode);
}

// ---- execve ------------------------------------------------------------------------------

/** An opened executable, as the loader wants it (loader's ExecFile: a MapSource + path). */
export class ExecHandle implements MapSource {
  constructor(
    readonly file: FileDescription,
    readonly source: MapSource,
    /** Absolute path in the container (for /proc/self/exe and AT_EXECFN). */
    readonly path: string,
  ) {}

  readForMap(dst: Uint8Array, dstOff: number, len: number, pos: number): number {
    return this.source.readForMap(dst, dstOff, len, pos);
  }
  get mapName(): string {
    return this.source.mapName;
  }
  get mapDev(): number {
    return this.source.mapDev;
  }
  get mapIno(): number {
    return this.source.mapIno;
  }
  /** Drops the file reference (the mappings keep their own MapSource). */
  close(): void {
    this.file.decRef();
  }
}

/**
 * Opens path for execve: a regular file with execute permission on an exec mount,
 * else EACCES (ENOEXEC is the loader's call). The caller owns the returned handle.
 */
export function openExecutable(t: VfsTask, ctx: FsContext, path: string): ExecHandle | number {
  if (path.length === 0) return -E.ENOENT;
  const w = new Walk().init(t, ctx);
  let r = walkPath(w, path, true);
  if (r < 0) return r;
  const inode = w.d.inode;
  if (typeOf(inode) !== S_IFREG) return -E.EACCES;
  if ((w.mnt.flags & MNT_NOEXEC) !== 0) return -E.EACCES;
  r = permission(t.creds, inode, MAY_EXEC);
  if (r < 0) return r;
  if ((inode.mode & S_IXUGO) === 0) return -E.EACCES;
  const f = openDentry(t, w.mnt, w.d, O_RDONLY);
  if (typeof f === 'number') return f;
  const src = f.mapSource();
  if (src === null) {
    f.decRef();
    return -E.EACCES;
  }
  const abs = pathFrom(ctx.root.mnt, ctx.root.d, w.mnt, w.d) ?? path;
  return new ExecHandle(f, src, abs);
}

// ---- helpers for *at syscalls -----------------------------------------------------------

/** Whether a chown-ish caller could read-search anything (AT_EMPTY_PATH for linkat). */
export function canLinkEmptyPath(t: VfsTask): boolean {
  return t.creds.hasCap(CAP_DAC_READ_SEARCH);
}

/** Is the credential set allowed to set explicit times (owner or CAP_FOWNER)? */
export function ownerOrFowner(t: VfsTask, inode: Inode): boolean {
  return t.creds.fsuid === inode.uid || t.creds.hasCap(CAP_FOWNER);
}

