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
//    outside the container's tree.
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

  /** Starts a resolution at the caller's cwd (relative paths) or root (absolute ones). */
  init(t: VfsTask, ctx: FsContext): this {
    this.t = t;
    this.creds = t.creds;
    this.rootMnt = ctx.root.mnt;
    this.rootD = ctx.root.d;
    this.mnt = ctx.cwd.mnt;
    this.d = ctx.cwd.d;
    this.links = 0;
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

/** Moves down through any mounts stacked on the current dentry. */
export function crossMounts(w: Walk): void {
  while (w.d.mountCount > 0) {
    const ns = w.mnt.ns;
    if (ns === null) return;
    const m = ns.lookup(w.mnt, w.d);
    if (m === null) return;
    w.mnt = m;
    w.d = m.root;
  }
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
    dotdot(w);
    return 0;
  }
  const pm = w.mnt, pd = w.d;
  const c = lookupChild(w.t, pd, name);
  if (typeof c === 'number') return c;
  w.d = c;
  crossMounts(w);
  if ((w.d.inode.mode & S_IFMT) === S_IFLNK) return followLink(w, pm, pd);
  return 0;
}

/**
 * Follows the symlink at (w.mnt, w.d), found in directory (pm, pd). Magic links jump
 * straight to their target; others are resolved from pd (relative) or the root.
 */
export function followLink(w: Walk, pm: Mount, pd: Dentry): number {
  if (++w.links > MAXSYMLINKS) return -E.ELOOP;
  const inode = w.d.inode;
  const mf = mayFollowLink(w.creds, pd.inode, inode);
  if (mf < 0) return mf;
  const magic = inode.getLink(w.t);
  if (magic !== null) {
    if (typeof magic === 'number') return magic;
    w.mnt = magic.mnt;
    w.d = magic.d;
    return 0;
  }
  const target = inode.readlink(w.t);
  if (typeof target === 'number') return target;
  if (target.length === 0) return -E.ENOENT;
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
      dotdot(w);
      return 0;
  }
  const pm = w.mnt, pd = w.d;
  const c = lookupChild(w.t, pd, w.name);
  if (typeof c === 'number') return c;
  w.d = c;
  crossMounts(w);
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
