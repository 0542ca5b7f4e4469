// Path resolution, done by the sentry itself one component at a time (never by the
// host), with Linux's rules:
//  - every directory passed through needs search (exec) permission, the one holding
//    the last component included;
//  - a component longer than NAME_MAX is ENAMETOOLONG when it has to be looked up;
//  - symlinks in the middle are always followed, the last one only when asked, and a
//    trailing slash forces following and requires a directory;
//  - at most MAXSYMLINKS (40) links per resolution, else ELOOP; an empty target is ENOENT;
//  - ".." never climbs above the caller's root, and crosses mounts upward; a lookup
//    that lands on a mountpoint continues in the mounted file system;
//  - absolute symlink targets restart at the caller's root, so no link can name a path
//    outside the container's tree;
//  - openat2's RESOLVE_* flags (w.resolve) restrict all of the above: no mount crossing
//    (EXDEV), no magic links or no symlinks at all (ELOOP), no escape from the start
//    directory (BENEATH: EXDEV; IN_ROOT: the start directory is the root), and cached
//    dentries only (EAGAIN).
//
// A Walk is a reusable cursor: syscall handlers keep a few module-level instances and
// the walk mutates (mnt, d) in place, so resolving a cached path allocates nothing but
// the component substrings.
import * as E from '../abi/errno';
import type { Credentials } from '../auth/creds';
import { MAXSYMLINKS, MAY_EXEC, NAME_MAX, S_IFDIR, S_IFLNK, S_IFMT } from './abi';
import type { FsContext } from './context';
import { Dentry } from './dentry';
import type { Mount } from './mount';
import { mayFollowLink, permission } from './perm';
import type { VfsTask } from './task';

/** openat2 resolve flags (struct open_how.resolve). */
export const RESOLVE_NO_XDEV = 0x01, RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04,
  RESOLVE_BENEATH = 0x08, RESOLVE_IN_ROOT = 0x10, RESOLVE_CACHED = 0x20;
const SCOPED = RESOLVE_BENEATH | RESOLVE_IN_ROOT;

/** Kinds of last component (Linux's LAST_*). */
export const LAST_NORM = 0, LAST_DOT = 1, LAST_DOTDOT = 2, LAST_ROOT = 3;

const SLASH = 47, DOT = 46;

export class Walk {
  t!: VfsTask;
  creds!: Credentials;
  rootMnt!: Mount;
  rootD!: Dentry;
  /** Current position: the parent after walkParent, the result after walkLast. */
  mnt!: Mount;
  d!: Dentry;
  /** The last component (after walkParent). */
  name = '';
  lastType = LAST_NORM;
  /** The path ended in one or more slashes after its last component. */
  trailingSlash = false;
  /** Symlinks followed so far in this resolution. */
  links = 0;
  /** RESOLVE_* restrictions (openat2); 0 for every other call. */
  resolve = 0;

  /** Starts a resolution at the caller's cwd (relative paths) or root (absolute ones). */
  init(t: VfsTask, ctx: FsContext): this {
    this.t = t;
    this.creds = t.creds;
    this.rootMnt = ctx.root.mnt;
    this.rootD = ctx.root.d;
    this.mnt = ctx.cwd.mnt;
    this.d = ctx.cwd.d;
    this.links = 0;
    this.resolve = 0;
    this.name = '';
    this.lastType = LAST_NORM;
    this.trailingSlash = false;
    return this;
  }

  /** Makes relative paths start at (mnt, d) instead of the cwd (the *at dirfd). */
  at(mnt: Mount, d: Dentry): this {
    this.mnt = mnt;
    this.d = d;
    return this;
  }
}

const isDirMode = (m: number) => (m & S_IFMT) === S_IFDIR;

/** Moves down through any mounts stacked on the current dentry (EXDEV under RESOLVE_NO_XDEV). */
export function crossMounts(w: Walk): number {
  while (w.d.mountCount > 0) {
    const ns = w.mnt.ns;
    if (ns === null) return 0;
    const m = ns.lookup(w.mnt, w.d);
    if (m === null) return 0;
    if ((w.resolve & RESOLVE_NO_XDEV) !== 0) return -E.EXDEV;
    w.mnt = m;
    w.d = m.root;
  }
  return 0;
}

/** ".." under openat2's restrictions: EXDEV for leaving the start dir or crossing a mount. */
function dotdotResolve(w: Walk): number {
  const atRoot = w.d === w.rootD && w.mnt === w.rootMnt;
  if (atRoot && (w.resolve & RESOLVE_BENEATH) !== 0) return -E.EXDEV;
  if ((w.resolve & RESOLVE_NO_XDEV) !== 0 && !atRoot && w.d === w.mnt.root) return -E.EXDEV;
  dotdot(w);
  return 0;
}

/** "..": up one level, never above the caller's root, crossing mounts upward. */
export function dotdot(w: Walk): void {
  for (;;) {
    if (w.d === w.rootD && w.mnt === w.rootMnt) return;
    if (w.d !== w.mnt.root) {
      const p = w.d.parent;
      if (p !== null) w.d = p;
      break;
    }
    const up = w.mnt.parent, mp = w.mnt.mountpoint;
    if (up === null || mp === null) return;
    w.mnt = up;
    w.d = mp;
  }
  crossMounts(w);
}

/**
 * The child `name` of directory dentry parent: from the dentry cache, or asked of the
 * file system (and cached). Returns the dentry or -errno (ENOENT, ENAMETOOLONG, ...).
 */
export function lookupChild(t: VfsTask, parent: Dentry, name: string): Dentry | number {
  const c = parent.cached(name);
  if (c !== undefined) return c === null ? -E.ENOENT : c;
  if (name.length > NAME_MAX) return -E.ENAMETOOLONG;
  if (parent.dead) return -E.ENOENT;
  const dir = parent.inode;
  const r = dir.lookup(t, name);
  const cache = dir.cacheChildren;
  if (typeof r === 'number') {
    if (r === -E.ENOENT && cache) parent.addNegative(name);
    return r;
  }
  const d = new Dentry(name, parent, r);
  if (cache) parent.addChild(d);
  return d;
}

function classify(name: string): number {
  if (name.charCodeAt(0) !== DOT) return LAST_NORM;
  if (name.length === 1) return LAST_DOT;
  if (name.length === 2 && name.charCodeAt(1) === DOT) return LAST_DOTDOT;
  return LAST_NORM;
}

/**
 * Walks every component of path but the last, starting at the root for an absolute
 * path and at (w.mnt, w.d) otherwise. Leaves the parent in (w.mnt, w.d) and the last
 * component in w.name / w.lastType / w.trailingSlash. The path must not be empty.
 */
export function walkParent(w: Walk, path: string): number {
  const n = path.length;
  let i = 0;
  if (n > 0 && path.charCodeAt(0) === SLASH) {
    if ((w.resolve & RESOLVE_BENEATH) !== 0) return -E.EXDEV;
    w.mnt = w.rootMnt;
    w.d = w.rootD;
    while (i < n && path.charCodeAt(i) === SLASH) i++;
    if (i === n) {
      w.name = '';
      w.lastType = LAST_ROOT;
      w.trailingSlash = false;
      return 0;
    }
  }
  for (;;) {
    const dir = w.d.inode;
    if (!isDirMode(dir.mode)) return -E.ENOTDIR;
    const p = permission(w.creds, dir, MAY_EXEC);
    if (p < 0) return p;
    let j = path.indexOf('/', i);
    if (j < 0) j = n;
    let k = j;
    while (k < n && path.charCodeAt(k) === SLASH) k++;
    const name = path.substring(i, j);
    if (k === n) {
      w.name = name;
      w.lastType = classify(name);
      w.trailingSlash = j < n;
      return 0;
    }
    const r = step(w, name);
    if (r < 0) return r;
    i = k;
  }
}

/** One intermediate component: always follows symlinks. */
function step(w: Walk, name: string): number {
  const type = classify(name);
  if (type === LAST_DOT) return 0;
  if (type === LAST_DOTDOT) {
    if (w.resolve !== 0) return dotdotResolve(w);
    dotdot(w);
    return 0;
  }
  const pm = w.mnt, pd = w.d;
  if ((w.resolve & RESOLVE_CACHED) !== 0 && pd.cached(name) === undefined) return -E.EAGAIN;
  const c = lookupChild(w.t, pd, name);
  if (typeof c === 'number') return c;
  w.d = c;
  const x = crossMounts(w);
  if (x < 0) return x;
  if ((w.d.inode.mode & S_IFMT) === S_IFLNK) return followLink(w, pm, pd);
  return 0;
}

/**
 * Follows the symlink at (w.mnt, w.d), found in directory (pm, pd). Magic links jump
 * straight to their target; others are resolved from pd (relative) or the root.
 */
export function followLink(w: Walk, pm: Mount, pd: Dentry): number {
  if ((w.resolve & RESOLVE_NO_SYMLINKS) !== 0) return -E.ELOOP;
  if (++w.links > MAXSYMLINKS) return -E.ELOOP;
  const inode = w.d.inode;
  const mf = mayFollowLink(w.creds, pd.inode, inode);
  if (mf < 0) return mf;
  const magic = inode.getLink(w.t);
  if (magic !== null) {
    if (typeof magic === 'number') return magic;
    if (w.resolve !== 0) {
      // Linux's nd_jump_link.
      if ((w.resolve & RESOLVE_NO_MAGICLINKS) !== 0) return -E.ELOOP;
      if ((w.resolve & RESOLVE_NO_XDEV) !== 0 && magic.mnt !== w.mnt) return -E.EXDEV;
      if ((w.resolve & SCOPED) !== 0) return -E.EXDEV;
    }
    w.mnt = magic.mnt;
    w.d = magic.d;
    return 0;
  }
  const target = inode.readlink(w.t);
  if (typeof target === 'number') return target;
  if (target.length === 0) return -E.ENOENT;
  // An absolute target jumps to the root (nd_jump_root): not beneath the start
  // directory, and a mount crossing unless already on the root's mount.
  if (target.charCodeAt(0) === SLASH && (w.resolve & RESOLVE_NO_XDEV) !== 0 && pm !== w.rootMnt) return -E.EXDEV;
  w.mnt = pm;
  w.d = pd;
  let r = walkParent(w, target);
  if (r < 0) return r;
  const mustDir = w.trailingSlash;
  r = walkLast(w, true);
  if (r < 0) return r;
  if (mustDir && !isDirMode(w.d.inode.mode)) return -E.ENOTDIR;
  return 0;
}

/** Resolves the last component left by walkParent; follows a final symlink if asked. */
export function walkLast(w: Walk, follow: boolean): number {
  switch (w.lastType) {
    case LAST_ROOT:
    case LAST_DOT:
      return 0;
    case LAST_DOTDOT:
      if (w.resolve !== 0) return dotdotResolve(w);
      dotdot(w);
      return 0;
  }
  const pm = w.mnt, pd = w.d;
  if ((w.resolve & RESOLVE_CACHED) !== 0 && pd.cached(w.name) === undefined) return -E.EAGAIN;
  const c = lookupChild(w.t, pd, w.name);
  if (typeof c === 'number') return c;
  w.d = c;
  const x = crossMounts(w);
  if (x < 0) return x;
  if (follow && (w.d.inode.mode & S_IFMT) === S_IFLNK) return followLink(w, pm, pd);
  return 0;
}

/**
 * Resolves a whole (non-empty) path into (w.mnt, w.d). A trailing slash forces
 * following and requires a directory (ENOTDIR).
 */
export function walkPath(w: Walk, path: string, follow: boolean): number {
  let r = walkParent(w, path);
  if (r < 0) return r;
  const mustDir = w.trailingSlash;
  r = walkLast(w, follow || mustDir);
  if (r < 0) return r;
  if (mustDir && !isDirMode(w.d.inode.mode)) return -E.ENOTDIR;
  return 0;
}
