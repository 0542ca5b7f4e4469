// Inodes and file systems: the interface every file system (host, tmpfs, overlay, proc,
// dev, pipe, ...) implements. The VFS above (dentries, mounts, path walks, permission
// checks, fd tables) is file-system independent; a file system only answers questions
// about its own objects, one directory level at a time.
//
// Conventions: methods return a result or a negative errno (never throw for a bad
// request); names are latin1 strings (one char per byte, so any byte sequence an app
// uses survives); the VFS has already checked permissions, name validity and types
// before calling a mutating method.
import * as E from '../abi/errno';
import type { FileDescription } from './file';
import type { Dentry } from './dentry';
import type { Mount } from './mount';
import { SetAttr, Stat } from './stat';
import type { VfsTask } from './task';

/** One directory entry as readdir reports it ("." and ".." are added by the VFS). */
export interface DirEntry {
  name: string;
  ino: number;
  /** DT_* */
  type: number;
}

/** statfs(2) results. */
export class StatFs {
  type = 0;
  bsize = 4096;
  blocks = 0;
  bfree = 0;
  bavail = 0;
  files = 0;
  ffree = 0;
  fsid0 = 0;
  fsid1 = 0;
  namelen = 255;
  frsize = 4096;
  flags = 0;
}

export const STATFS_SIZE = 120;
const TWO32 = 4294967296;

export function encodeStatFs(s: StatFs, b: Buffer): void {
  b.fill(0, 0, STATFS_SIZE);
  const put = (off: number, v: number) => {
    b.writeUInt32LE((v % TWO32) >>> 0, off);
    b.writeUInt32LE(Math.floor(v / TWO32) >>> 0, off + 4);
  };
  put(0, s.type);
  put(8, s.bsize);
  put(16, s.blocks);
  put(24, s.bfree);
  put(32, s.bavail);
  put(40, s.files);
  put(48, s.ffree);
  b.writeInt32LE(s.fsid0 | 0, 56);
  b.writeInt32LE(s.fsid1 | 0, 60);
  put(64, s.namelen);
  put(72, s.frsize);
  put(80, s.flags);
}

/** Mount flags as statfs reports them (ST_*). */
export const ST_RDONLY = 1, ST_NOSUID = 2, ST_NODEV = 4, ST_NOEXEC = 8, ST_RELATIME = 0x400;

let nextAnonMinor = 0x20;
/** Allocates a device number for a file system without a backing device (major 0). */
export function allocAnonDev(): number {
  const minor = nextAnonMinor++;
  return ((minor & 0xff) | ((minor & ~0xff) << 12)) >>> 0;
}

export abstract class FileSystem {
  /** Name as /proc/mounts shows it: "tmpfs", "overlay", "proc", ... */
  abstract readonly name: string;
  /** st_dev of its files (a file system may report others for some files). */
  readonly dev: number = allocAnonDev();
  /** Writes are refused with EROFS. */
  readOnly = false;
  /** statfs f_type magic. */
  abstract readonly magic: number;
  abstract root(): Inode;

  /** File-system options as /proc/mounts shows them after the mount flags ("size=64k"). */
  mountOptions(): string {
    return '';
  }

  statfs(out: StatFs): number {
    // out may be a reused object: every field is set.
    out.blocks = out.bfree = out.bavail = out.files = out.ffree = out.flags = 0;
    out.type = this.magic;
    out.bsize = 4096;
    out.frsize = 4096;
    out.namelen = 255;
    out.fsid0 = this.dev;
    out.fsid1 = 0;
    return 0;
  }
}

/** What a fs needs to create a node. */
export interface CreateArgs {
  /** Type and permission bits (umask already applied). */
  mode: number;
  uid: number;
  gid: number;
  /** Device number for S_IFCHR/S_IFBLK nodes. */
  rdev: number;
}

/** Where a magic link (/proc/pid/fd/N, /proc/pid/cwd) leads. */
export interface LinkTarget {
  mnt: Mount;
  d: Dentry;
}

export abstract class Inode {
  abstract readonly fs: FileSystem;
  /** Invariant: equal to the st_ino that stat() reports. */
  abstract readonly ino: number;
  /** File type and permission bits. */
  abstract readonly mode: number;
  abstract readonly uid: number;
  abstract readonly gid: number;
  /** Fills every field of st but mntId. */
  abstract stat(st: Stat): void;

  /** Device number of a device node. */
  get rdev(): number {
    return 0;
  }

  /**
   * False for directories whose entries come and go by themselves (/proc): the VFS then
   * asks lookup() every time instead of caching child dentries.
   */
  get cacheChildren(): boolean {
    return true;
  }

  // ---- directories ----------------------------------------------------------------
  /** The child called name, or -ENOENT. The name is not "." or ".." and not too long. */
  lookup(_t: VfsTask, _name: string): Inode | number {
    return -E.ENOTDIR;
  }
  readdir(_t: VfsTask): DirEntry[] | number {
    return -E.ENOTDIR;
  }
  /** True when the directory has no entries besides . and .. (for rmdir/rename). */
  isEmptyDir(t: VfsTask): boolean {
    const r = this.readdir(t);
    return typeof r !== 'number' && r.length === 0;
  }
  /** Creates a non-directory, non-symlink node (regular file, device, fifo, socket). */
  create(_t: VfsTask, _name: string, _a: CreateArgs): Inode | number {
    return this.fs.readOnly ? -E.EROFS : -E.EPERM;
  }
  /** O_TMPFILE: a new regular file without a name (link count 0) for this directory. */
  tmpfile(_t: VfsTask, _a: CreateArgs): Inode | number {
    return this.fs.readOnly ? -E.EROFS : -E.EOPNOTSUPP;
  }
  mkdir(_t: VfsTask, _name: string, _a: CreateArgs): Inode | number {
    return this.fs.readOnly ? -E.EROFS : -E.EPERM;
  }
  symlink(_t: VfsTask, _name: string, _target: string, _a: CreateArgs): Inode | number {
    return this.fs.readOnly ? -E.EROFS : -E.EPERM;
  }
  /** Adds a hard link to target (a non-directory of the same file system) under name. */
  link(_t: VfsTask, _name: string, _target: Inode): number {
    return this.fs.readOnly ? -E.EROFS : -E.EPERM;
  }
  /** Removes the non-directory child (already looked up) called name. */
  unlink(_t: VfsTask, _name: string, _child: Inode): number {
    return this.fs.readOnly ? -E.EROFS : -E.EPERM;
  }
  /** Removes the empty directory child called name (emptiness is checked by the fs). */
  rmdir(_t: VfsTask, _name: string, _child: Inode): number {
    return this.fs.readOnly ? -E.EROFS : -E.EPERM;
  }
  /**
   * Moves child from this/oldName to newDir/newName (same file system), replacing
   * `replaced` (already checked for type compatibility and emptiness by the VFS, but
   * the fs re-checks emptiness). flags: RENAME_EXCHANGE swaps the two.
   */
  rename(_t: VfsTask, _oldName: string, _child: Inode, _newDir: Inode, _newName: string, _replaced: Inode | null,
    _flags: number): number {
    return this.fs.readOnly ? -E.EROFS : -E.EPERM;
  }

  // ---- symlinks -------------------------------------------------------------------
  readlink(_t: VfsTask): string | number {
    return -E.EINVAL;
  }
  /** For magic links: where following leads (instead of re-walking readlink's text). */
  getLink(_t: VfsTask): LinkTarget | number | null {
    return null;
  }

  // ---- attributes and opening --------------------------------------------------------
  setattr(_t: VfsTask, _a: SetAttr): number {
    return this.fs.readOnly ? -E.EROFS : -E.EPERM;
  }
  // ---- extended attributes ----------------------------------------------------------
  // The VFS (vfs/xattr.ts) has checked the name, its namespace and the caller's rights.
  /** The value of name; -ENODATA when absent; -EOPNOTSUPP when the fs keeps none. */
  getxattr(_t: VfsTask, _name: string): Uint8Array | number {
    return -E.EOPNOTSUPP;
  }
  /** Sets (value) or removes (null) name; flags XATTR_CREATE (EEXIST) / XATTR_REPLACE (ENODATA). */
  setxattr(_t: VfsTask, _name: string, _value: Uint8Array | null, _flags: number): number {
    return this.fs.readOnly ? -E.EROFS : -E.EOPNOTSUPP;
  }
  /** Every stored name (the VFS filters what the caller may see). */
  listxattr(_t: VfsTask): string[] {
    return [];
  }

  /**
   * Opens the inode reached at (mnt, d). flags are the open flags (access mode, status
   * flags; O_CREAT/O_EXCL/O_TRUNC have been handled by the VFS). Device nodes are opened
   * by the VFS through the device registry, not here.
   */
  abstract open(t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number;
}
