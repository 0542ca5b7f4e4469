// The root overlay: a writable in-memory upper layer (tmpfs) over a read-only lower
// layer (the host image), so a container's writes never touch the image.
//
//  - Lookup: an upper entry hides the lower one, except that two directories merge
//    (unless the upper one is opaque). A whiteout in the upper layer (a 0:0 character
//    device, as Linux's overlayfs) hides the lower name.
//  - Copy-up: the first change to a lower object (open for writing, truncate, chmod,
//    chown, utimes, link, rename) copies it, and any missing parent directories, into
//    the upper layer with its mode, owner and times.
//  - Deletes of lower names leave whiteouts; a directory made where a whiteout was is
//    marked opaque (xattr trusted.overlay.opaque=y) so the old lower contents stay gone.
//  - Renaming a directory that exists in the lower layer fails with EXDEV, as overlayfs
//    does without redirect_dir; programs (mv) then copy.
//  - st_dev is the overlay's for every file; st_ino is the lower inode number when there
//    is a lower object (kept across copy-up, so it never changes under a program), and
//    2^47 + the upper inode number for files that only ever existed in the upper layer.
import * as E from '../../abi/errno';
import {
  O_ACCMODE, O_RDONLY, O_TRUNC, RENAME_EXCHANGE, RENAME_WHITEOUT, S_IFCHR, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, dtype,
} from '../../vfs/abi';
import type { Dentry } from '../../vfs/dentry';
import { DirectoryFile, FileDescription, isByteSource } from '../../vfs/file';
import { CreateArgs, DirEntry, FileSystem, Inode, StatFs } from '../../vfs/inode';
import type { Mount } from '../../vfs/mount';
import { SetAttr, Stat } from '../../vfs/stat';
import type { VfsTask } from '../../vfs/task';
import { TmpDir, TmpFile, TmpFs, TmpInode, isWhiteout } from '../tmpfs/tmpfs';

export const OVERLAYFS_MAGIC = 0x794c7630;
export const OPAQUE_XATTR = 'trusted.overlay.opaque';
const OVERLAY_XATTR_PREFIX = 'trusted.overlay.';
const UPPER_INO_BASE = 2 ** 47;
const YES = new Uint8Array([0x79]);
const st = new Stat();

const isDirMode = (m: number) => (m & S_IFMT) === S_IFDIR;

export class OverlayFs extends FileSystem {
  readonly name = 'overlay';
  readonly magic = OVERLAYFS_MAGIC;
  private readonly rootInode: OverlayInode;
  /** Upper inode -> the inode number of the lower object it was copied up from. */
  private readonly origin = new WeakMap<TmpInode, number>();

  constructor(readonly upper: TmpFs, readonly lower: FileSystem) {
    super();
    const lroot = lower.root();
    const uroot = upper.root();
    lroot.stat(st);
    uroot.mode = S_IFDIR | (st.mode & 0o7777);
    uroot.uid = st.uid;
    uroot.gid = st.gid;
    copyTimes(uroot, st);
    this.rootInode = new OverlayInode(this, null, '', uroot, lroot);
  }

  root(): OverlayInode {
    return this.rootInode;
  }

  /** The overlay inode number of an upper inode. */
  inoOfUpper(u: TmpInode): number {
    return this.origin.get(u) ?? UPPER_INO_BASE + u.ino;
  }

  setOrigin(u: TmpInode, ino: number): void {
    this.origin.set(u, ino);
  }

  override statfs(out: StatFs): number {
    this.upper.statfs(out);
    out.type = this.magic;
    out.fsid0 = this.dev;
    return 0;
  }
}

function copyTimes(u: TmpInode, s: Stat): void {
  u.atimeSec = s.atimeSec;
  u.atimeNsec = s.atimeNsec;
  u.mtimeSec = s.mtimeSec;
  u.mtimeNsec = s.mtimeNsec;
}

export class OverlayInode extends Inode {
  readonly ino: number;
  /** Removed from the merged view with no name left (see markRemoved). */
  private gone = false;

  constructor(
    readonly fs: OverlayFs,
    /** Where this object was found (for copying up its parents); null for the root. */
    public parent: OverlayInode | null,
    public name: string,
    public upper: TmpInode | null,
    public lower: Inode | null,
  ) {
    super();
    this.ino = lower !== null ? lower.ino : fs.inoOfUpper(upper as TmpInode);
  }

  private get cur(): Inode {
    return (this.upper ?? this.lower) as Inode;
  }

  get mode(): number {
    return this.cur.mode;
  }

  get uid(): number {
    return this.cur.uid;
  }

  get gid(): number {
    return this.cur.gid;
  }

  override get rdev(): number {
    return this.cur.rdev;
  }

  stat(s: Stat): void {
    this.cur.stat(s);
    s.dev = this.fs.dev;
    s.ino = this.ino;
    if (this.gone) s.nlink = 0;
    // A merged directory's link count is unknown without counting both layers; like
    // overlayfs, say 1 (which tells find(1) not to use the leaf optimisation).
    if (this.upper !== null && this.lowerDir !== null) s.nlink = 1;
  }

  /** An upper directory marked opaque hides the lower one. */
  private get opaque(): boolean {
    return this.upper !== null && this.upper.getXattr(OPAQUE_XATTR) !== null;
  }

  private get lowerDir(): Inode | null {
    return this.lower !== null && isDirMode(this.lower.mode) && !this.opaque ? this.lower : null;
  }

  // ---- lookup and listing ------------------------------------------------------------

  override lookup(t: VfsTask, name: string): Inode | number {
    let u: TmpInode | null = null;
    if (this.upper !== null) {
      if (!isDirMode(this.upper.mode)) return -E.ENOTDIR;
      const r = this.upper.lookup(t, name);
      if (typeof r !== 'number') {
        if (isWhiteout(r)) return -E.ENOENT;
        u = r as TmpInode;
      }
    }
    let l: Inode | null = null;
    const ld = this.lowerDir;
    if (ld !== null && (u === null || (isDirMode(u.mode) && u.getXattr(OPAQUE_XATTR) === null))) {
      const r = ld.lookup(t, name);
      if (typeof r === 'number') {
        if (r !== -E.ENOENT && u === null) return r;
      } else if (u === null || isDirMode(r.mode)) {
        l = r;
      }
    }
    if (u === null && l === null) return -E.ENOENT;
    return new OverlayInode(this.fs, this, name, u, l);
  }

  override readdir(t: VfsTask): DirEntry[] | number {
    const out: DirEntry[] = [];
    let seen: Set<string> | null = null;
    const ld = this.lowerDir;
    if (this.upper instanceof TmpDir) {
      if (ld !== null) seen = new Set();
      for (const [name, child] of this.upper.entries) {
        if (seen !== null) seen.add(name);
        if (isWhiteout(child)) continue;
        out.push({ name, ino: this.fs.inoOfUpper(child), type: dtype(child.mode) });
      }
      out.reverse();
    }
    if (ld !== null) {
      const r = ld.readdir(t);
      if (typeof r === 'number') return this.upper !== null ? out : r;
      for (const e of r) if (seen === null || !seen.has(e.name)) out.push(e);
    }
    return out;
  }

  override isEmptyDir(t: VfsTask): boolean {
    const r = this.readdir(t);
    return typeof r !== 'number' && r.length === 0;
  }

  /** Whether the lower directory has a visible entry called name (for whiteouts). */
  private lowerHas(t: VfsTask, name: string): boolean {
    const ld = this.lowerDir;
    return ld !== null && typeof ld.lookup(t, name) !== 'number';
  }

  // ---- copy-up ---------------------------------------------------------------------------

  /**
   * Makes sure this object exists in the upper layer (copying its parents first).
   * withData false skips copying a regular file's bytes (it is about to be truncated).
   */
  copyUp(t: VfsTask, withData = true): number {
    if (this.upper !== null) return 0;
    const p = this.parent;
    const l = this.lower;
    if (p === null || l === null) return -E.EIO;
    let r = p.copyUp(t);
    if (r < 0) return r;
    const pu = p.upper as TmpDir;
    l.stat(st);
    const a: CreateArgs = { mode: st.mode, uid: st.uid, gid: st.gid, rdev: st.rdev };
    const atime = [st.atimeSec, st.atimeNsec, st.mtimeSec, st.mtimeNsec];
    const size = st.size;
    // A whiteout cannot be at this name (the object was visible), but a stale one from a
    // racing delete would be: clear it.
    const old = pu.entries.get(this.name);
    if (old !== undefined && isWhiteout(old)) pu.removeEntry(this.name);
    let u: Inode | number;
    switch (a.mode & S_IFMT) {
      case S_IFDIR:
        u = pu.mkdir(t, this.name, a);
        break;
      case S_IFLNK: {
        const target = l.readlink(t);
        if (typeof target === 'number') return target;
        u = pu.symlink(t, this.name, target, a);
        break;
      }
      case S_IFREG: {
        u = pu.create(t, this.name, a);
        if (typeof u === 'number') return u;
        if (withData && size > 0) {
          r = copyData(l, u as TmpFile, size);
          if (r < 0) {
            pu.removeEntry(this.name);
            return r;
          }
        }
        break;
      }
      default:
        u = pu.create(t, this.name, a);
    }
    if (typeof u === 'number') return u;
    const ut = u as TmpInode;
    ut.atimeSec = atime[0];
    ut.atimeNsec = atime[1];
    ut.mtimeSec = atime[2];
    ut.mtimeNsec = atime[3];
    this.fs.setOrigin(ut, this.ino);
    this.upper = ut;
    return 0;
  }

  // ---- changes ------------------------------------------------------------------------------

  /** Prepares the upper directory for a new entry name; returns whether a whiteout was there. */
  private clearWhiteout(name: string): boolean {
    const pu = this.upper as TmpDir;
    const old = pu.entries.get(name);
    if (old !== undefined && isWhiteout(old)) {
      pu.removeEntry(name);
      return true;
    }
    return false;
  }

  private newChild(t: VfsTask, name: string, make: (pu: TmpDir) => Inode | number): Inode | number {
    const r = this.copyUp(t);
    if (r < 0) return r;
    const hadWhiteout = this.clearWhiteout(name);
    const u = make(this.upper as TmpDir);
    if (typeof u === 'number') return u;
    const ut = u as TmpInode;
    // A directory made where a lower one was deleted must not show the old contents.
    if (isDirMode(ut.mode) && (hadWhiteout || this.lowerHas(t, name))) ut.setXattr(OPAQUE_XATTR, YES);
    return new OverlayInode(this.fs, this, name, ut, null);
  }

  override create(t: VfsTask, name: string, a: CreateArgs): Inode | number {
    return this.newChild(t, name, (pu) => pu.create(t, name, a));
  }

  override tmpfile(t: VfsTask, a: CreateArgs): Inode | number {
    const r = this.copyUp(t);
    if (r < 0) return r;
    const u = (this.upper as TmpDir).tmpfile(t, a);
    if (typeof u === 'number') return u;
    return new OverlayInode(this.fs, this, '', u as TmpInode, null);
  }

  override mkdir(t: VfsTask, name: string, a: CreateArgs): Inode | number {
    return this.newChild(t, name, (pu) => pu.mkdir(t, name, a));
  }

  override symlink(t: VfsTask, name: string, target: string, a: CreateArgs): Inode | number {
    return this.newChild(t, name, (pu) => pu.symlink(t, name, target, a));
  }

  override link(t: VfsTask, name: string, target: Inode): number {
    if (!(target instanceof OverlayInode) || target.fs !== this.fs) return -E.EXDEV;
    let r = this.copyUp(t);
    if (r < 0) return r;
    r = target.copyUp(t);
    if (r < 0) return r;
    this.clearWhiteout(name);
    return (this.upper as TmpDir).link(t, name, target.upper as TmpInode);
  }

  /** Puts a whiteout at name in the upper directory. */
  private whiteout(t: VfsTask, name: string): number {
    const r = (this.upper as TmpDir).create(t, name, { mode: S_IFCHR, uid: 0, gid: 0, rdev: 0 });
    return typeof r === 'number' ? r : 0;
  }

  /** Removes name (child) from the merged view: drop the upper entry, whiteout the lower. */
  private removeName(t: VfsTask, name: string, child: OverlayInode): number {
    const needWhiteout = child.lower !== null || this.lowerHas(t, name);
    const r = this.copyUp(t);
    if (r < 0) return r;
    const pu = this.upper as TmpDir;
    if (child.upper !== null && pu.entries.get(name) === child.upper) pu.removeEntry(name);
    const w = needWhiteout ? this.whiteout(t, name) : 0;
    if (w === 0) child.markRemoved();
    return w;
  }

  /**
   * This object lost a name in the merged view. With no name left in the upper layer it
   * is gone: stat reports no links (an image file's lower copy still has its own).
   */
  markRemoved(): void {
    this.gone = this.upper === null || this.upper.nlink === 0;
  }

  override unlink(t: VfsTask, name: string, child: Inode): number {
    if (!(child instanceof OverlayInode)) return -E.EINVAL;
    return this.removeName(t, name, child);
  }

  override rmdir(t: VfsTask, name: string, child: Inode): number {
    if (!(child instanceof OverlayInode)) return -E.EINVAL;
    if (!child.isEmptyDir(t)) return -E.ENOTEMPTY;
    return this.removeName(t, name, child);
  }

  override rename(t: VfsTask, oldName: string, child: Inode, newDir: Inode, newName: string, replaced: Inode | null,
    flags: number): number {
    if (!(child instanceof OverlayInode) || !(newDir instanceof OverlayInode)) return -E.EXDEV;
    if (replaced !== null && !(replaced instanceof OverlayInode)) return -E.EXDEV;
    if ((flags & RENAME_WHITEOUT) !== 0) return -E.EINVAL; // as Linux's overlayfs
    // Directories that exist in the lower layer cannot move (overlayfs without redirect_dir).
    if (isDirMode(child.mode) && child.lower !== null) return -E.EXDEV;
    const exchange = (flags & RENAME_EXCHANGE) !== 0;
    if (exchange && replaced !== null && isDirMode(replaced.mode) && replaced.lower !== null) return -E.EXDEV;
    const oldNeedsWhiteout = !exchange && (child.lower !== null || this.lowerHas(t, oldName));
    const newHadLower = newDir.lowerHas(t, newName);
    let r = this.copyUp(t);
    if (r < 0) return r;
    r = newDir.copyUp(t);
    if (r < 0) return r;
    r = child.copyUp(t);
    if (r < 0) return r;
    if (replaced !== null && exchange) {
      r = replaced.copyUp(t);
      if (r < 0) return r;
    }
    const pu = this.upper as TmpDir, npu = newDir.upper as TmpDir;
    if (exchange) {
      if (replaced === null) return -E.ENOENT;
      r = pu.rename(t, oldName, child.upper as TmpInode, npu, newName, replaced.upper, flags);
      if (r < 0) return r;
      replaced.parent = this;
      replaced.name = oldName;
    } else {
      // Clear what is at the destination in the upper layer (a replaced file or
      // directory, with any whiteouts inside it, or a whiteout).
      if (npu.entries.has(newName)) npu.removeEntry(newName);
      if (replaced !== null) replaced.markRemoved();
      r = pu.rename(t, oldName, child.upper as TmpInode, npu, newName, null, 0);
      if (r < 0) return r;
      if (oldNeedsWhiteout) {
        r = this.whiteout(t, oldName);
        if (r < 0) return r;
      }
      const cu = child.upper as TmpInode;
      if (isDirMode(cu.mode) && newHadLower) cu.setXattr(OPAQUE_XATTR, YES);
    }
    child.parent = newDir;
    child.name = newName;
    return 0;
  }

  override setattr(t: VfsTask, a: SetAttr): number {
    const r = this.copyUp(t, !(a.size === 0 && (this.mode & S_IFMT) === S_IFREG));
    if (r < 0) return r;
    return (this.upper as TmpInode).setattr(t, a);
  }

  override readlink(t: VfsTask): string | number {
    return this.cur.readlink(t);
  }

  // Extended attributes live on upper inodes; the overlay's own (trusted.overlay.*) are
  // hidden. The host image's attributes are not read: a lower-only file has none.
  override getxattr(t: VfsTask, name: string): Uint8Array | number {
    if (name.startsWith(OVERLAY_XATTR_PREFIX)) return -E.EOPNOTSUPP;
    return this.upper !== null ? this.upper.getxattr(t, name) : -E.ENODATA;
  }

  override setxattr(t: VfsTask, name: string, value: Uint8Array | null, flags: number): number {
    if (name.startsWith(OVERLAY_XATTR_PREFIX)) return -E.EOPNOTSUPP;
    if (this.upper === null) {
      if ((flags & 2) !== 0 || value === null) return -E.ENODATA; // XATTR_REPLACE or remove: nothing there
      const r = this.copyUp(t);
      if (r < 0) return r;
    }
    return (this.upper as TmpInode).setxattr(t, name, value, flags);
  }

  override listxattr(t: VfsTask): string[] {
    if (this.upper === null) return [];
    return this.upper.listxattr(t).filter((n) => !n.startsWith(OVERLAY_XATTR_PREFIX));
  }

  override open(t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    if (isDirMode(this.mode)) return new DirectoryFile(mnt, d, flags);
    const writing = (flags & O_ACCMODE) !== O_RDONLY || (flags & O_TRUNC) !== 0;
    if (writing && (this.mode & S_IFMT) === S_IFREG) {
      const r = this.copyUp(t, (flags & O_TRUNC) === 0);
      if (r < 0) return r;
    }
    return this.cur.open(t, mnt, d, flags);
  }
}

const copyBuf = Buffer.alloc(65536);

/** Streams a lower regular file's bytes into a new upper file. */
function copyData(l: Inode, u: TmpFile, size: number): number {
  // Lower regular files expose readAt (HostFile, TmpFile); anything else cannot be copied.
  if (!isByteSource(l)) return -E.EIO;
  let done = 0;
  while (done < size) {
    const n = l.readAt(copyBuf, 0, Math.min(copyBuf.length, size - done), done);
    if (n < 0) return n;
    if (n === 0) break;
    const w = u.writeAt(copyBuf, 0, n, done);
    if (w < 0) return w;
    done += n;
  }
  return 0;
}
