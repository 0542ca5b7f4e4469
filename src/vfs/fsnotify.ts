// File-change notification (Linux's fsnotify): the VFS operations report what they did
// to the inodes involved, and this module hands the events to the watches (marks) that
// listeners (inotify instances, in fs/anon) put on those inodes. Every entry point starts
// with a test of `fsnotify.marks`, so a sandbox with no watch pays one compare per call.
//
// Marks are keyed by (file system, inode number), not by inode object: the overlay makes
// a fresh inode object per lookup, but its numbers are stable (see overlay.ts).
import { S_IFDIR, S_IFMT } from './abi';
import type { Dentry } from './dentry';
import type { FileSystem, Inode } from './inode';
import { Stat } from './stat';

// inotify's event bits (Linux's FS_* share the low ones).
export const IN_ACCESS = 0x1, IN_MODIFY = 0x2, IN_ATTRIB = 0x4, IN_CLOSE_WRITE = 0x8, IN_CLOSE_NOWRITE = 0x10,
  IN_OPEN = 0x20, IN_MOVED_FROM = 0x40, IN_MOVED_TO = 0x80, IN_CREATE = 0x100, IN_DELETE = 0x200,
  IN_DELETE_SELF = 0x400, IN_MOVE_SELF = 0x800, IN_UNMOUNT = 0x2000, IN_Q_OVERFLOW = 0x4000, IN_IGNORED = 0x8000,
  IN_ONLYDIR = 0x1000000, IN_DONT_FOLLOW = 0x2000000, IN_EXCL_UNLINK = 0x4000000, IN_MASK_CREATE = 0x10000000,
  IN_MASK_ADD = 0x20000000, IN_ISDIR = 0x40000000, IN_ONESHOT = 0x80000000;
export const IN_ALL_EVENTS = 0xfff;
/** Events a directory's watch also gets for its children (with the child's name). */
const ON_CHILD = IN_ACCESS | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE | IN_OPEN;

/** A listener that owns marks (an inotify instance). */
export interface NotifyGroup {
  /** An event for mark: mask (with IN_ISDIR), cookie, name ('' for the inode itself). */
  deliver(mark: Mark, mask: number, cookie: number, name: string): void;
  /** The mark is gone (rm_watch, one-shot, inode deleted): inotify queues IN_IGNORED. */
  markGone(mark: Mark): void;
}

export class Mark {
  /** False once removed. */
  live = true;
  constructor(
    readonly group: NotifyGroup,
    readonly fs: FileSystem,
    readonly ino: number,
    /** Event bits and IN_ONESHOT / IN_EXCL_UNLINK. */
    public mask: number,
    /** The listener's handle for it (the watch descriptor). */
    readonly wd: number,
  ) {}
}

const byFs = new Map<FileSystem, Map<number, Mark[]>>();
const st = new Stat();
let cookies = 0;

export const fsnotify = {
  /** Live marks in the sandbox; 0 makes every hook a no-op. */
  marks: 0,
};

function marksOf(i: Inode): Mark[] | undefined {
  const m = byFs.get(i.fs);
  return m === undefined ? undefined : m.get(i.ino);
}

/** The listener's existing mark on inode, or null. */
export function findMark(group: NotifyGroup, inode: Inode): Mark | null {
  const l = marksOf(inode);
  if (l !== undefined) for (const m of l) if (m.group === group) return m;
  return null;
}

export function addMark(m: Mark): void {
  let fm = byFs.get(m.fs);
  if (fm === undefined) byFs.set(m.fs, (fm = new Map()));
  let l = fm.get(m.ino);
  if (l === undefined) fm.set(m.ino, (l = []));
  l.push(m);
  fsnotify.marks++;
}

/** Removes m; with tell, its group hears of it (IN_IGNORED). */
export function removeMark(m: Mark, tell: boolean): void {
  if (!m.live) return;
  m.live = false;
  fsnotify.marks--;
  const fm = byFs.get(m.fs);
  const l = fm?.get(m.ino);
  if (fm !== undefined && l !== undefined) {
    const i = l.indexOf(m);
    if (i >= 0) l.splice(i, 1);
    if (l.length === 0) fm.delete(m.ino);
    if (fm.size === 0) byFs.delete(m.fs);
  }
  if (tell) m.group.markGone(m);
}

const isDir = (i: Inode) => (i.mode & S_IFMT) === S_IFDIR;

/** Sends mask to inode's marks that want it (name '' for self events, else a child's). */
function send(inode: Inode, mask: number, cookie: number, name: string, childDead: boolean): void {
  const l = marksOf(inode);
  if (l === undefined) return;
  for (const m of l.slice()) {
    if (!m.live || (m.mask & mask & IN_ALL_EVENTS) === 0) continue;
    if (childDead && (m.mask & IN_EXCL_UNLINK) !== 0) continue;
    m.group.deliver(m, mask, cookie, name);
    if ((m.mask & IN_ONESHOT) !== 0) removeMark(m, true);
  }
}

/**
 * An event on the inode of d (open, close, access, modify, attrib): reported to the
 * parent directory's watches with d's name first, then to the inode's own.
 */
export function notifyDentry(d: Dentry, mask: number): void {
  if (fsnotify.marks === 0) return;
  const inode = d.inode;
  if (isDir(inode)) mask |= IN_ISDIR;
  const p = d.parent;
  if (p !== null && p !== d && (mask & ON_CHILD) !== 0) send(p.inode, mask, 0, d.name, d.dead);
  send(inode, mask, 0, '', false);
}

/** An event on inode alone (link-count changes, IN_MOVE_SELF). */
export function notifyInode(inode: Inode, mask: number): void {
  if (fsnotify.marks === 0) return;
  // Linux reports IN_MOVE_SELF and IN_DELETE_SELF without IN_ISDIR.
  if (isDir(inode) && (mask & (IN_MOVE_SELF | IN_DELETE_SELF)) === 0) mask |= IN_ISDIR;
  send(inode, mask, 0, '', false);
}

/** A name event in dir (IN_CREATE, IN_DELETE, IN_MOVED_*); child tells IN_ISDIR. */
export function notifyName(dir: Inode, mask: number, name: string, child: Inode, cookie = 0): void {
  if (fsnotify.marks === 0) return;
  if (isDir(child)) mask |= IN_ISDIR;
  send(dir, mask, cookie, name, false);
}

/** A fresh rename cookie (nonzero). */
export function renameCookie(): number {
  cookies = (cookies + 1) >>> 0;
  if (cookies === 0) cookies = 1;
  return cookies;
}

/**
 * After inode lost a name: when no name is left it is gone for watchers (IN_DELETE_SELF,
 * then its marks go with IN_IGNORED, then the parent's IN_DELETE: Linux's order).
 */
export function isGone(inode: Inode): boolean {
  if (fsnotify.marks === 0 || marksOf(inode) === undefined) return false;
  inode.stat(st);
  return st.nlink === 0;
}

/**
 * The inode of d lost its last name: watchers hear IN_DELETE_SELF and lose their marks
 * (IN_IGNORED) now, or, while files are open on d, at the last close (as Linux, where
 * the open files hold the dentry).
 */
export function nameGone(d: Dentry): void {
  if (d.openCount > 0) {
    d.deleteSelfPending = true;
    return;
  }
  notifyInode(d.inode, IN_DELETE_SELF);
  dropMarks(d.inode);
}

/** The last open file of d closed after its inode lost its last name. */
export function lastClose(d: Dentry): void {
  d.deleteSelfPending = false;
  if (fsnotify.marks === 0 || marksOf(d.inode) === undefined) return;
  notifyInode(d.inode, IN_DELETE_SELF);
  dropMarks(d.inode);
}

export function dropMarks(inode: Inode): void {
  const l = marksOf(inode);
  if (l === undefined) return;
  for (const m of l.slice()) removeMark(m, true);
}

/** A description was released: IN_CLOSE_WRITE or IN_CLOSE_NOWRITE. */
export function notifyClose(d: Dentry, wrote: boolean): void {
  notifyDentry(d, wrote ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
}
