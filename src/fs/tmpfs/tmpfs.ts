// tmpfs: a file system held in the sentry's memory. Used for /tmp, /dev (as devtmpfs
// is on Linux) and as the upper layer of the root overlay. File data lives in growable
// Buffers, or in the memory file (mm/shmem.ts) once a file is mapped shared, for memfd,
// and for every file of a TmpFs given fileData (--overlay file:PATH).
//
// A directory's entries are a Map; the VFS dentry cache sits above it, so lookups of
// cached names never reach this code.
import * as E from '../../abi/errno';
import { CAP_FSETID } from '../../auth/creds';
import type { Backing, MapSource } from '../../mm/mm';
import type { MemoryFile } from '../../mm/memfile';
import { FileMemory } from '../../mm/shmem';
import { openFifo } from '../pipe/fifo';
import {
  O_APPEND, RENAME_EXCHANGE, RENAME_WHITEOUT, SEEK_DATA, SEEK_HOLE, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG,
  S_ISGID, S_ISUID, dtype,
} from '../../vfs/abi';
import type { Dentry } from '../../vfs/dentry';
import { DirectoryFile, FileDescription, FileMapSource, seekTo } from '../../vfs/file';
import { RegularFileFD } from '../../vfs/regular';
import { CreateArgs, DirEntry, FileSystem, Inode, StatFs } from '../../vfs/inode';
import type { Mount } from '../../vfs/mount';
import { mapNameOf } from '../../vfs/ops';
import { DateTimeSource, SetAttr, Stat, TimeSource, UTIME_NOW, UTIME_OMIT } from '../../vfs/stat';
import type { VfsTask } from '../../vfs/task';

export const TMPFS_MAGIC = 0x01021994;
const XATTR_CREATE = 1, XATTR_REPLACE = 2;
const FALLOC_FL_KEEP_SIZE = 0x01, FALLOC_FL_PUNCH_HOLE = 0x02;
const CLOCK_REALTIME = 0;
/** Largest file size (JS numbers are exact to 2^53; Linux's tmpfs allows 2^63-1). */
const MAX_FILE = Number.MAX_SAFE_INTEGER;

export interface TmpFsOptions {
  clock?: TimeSource;
  /** Mode of the root directory (default 01777 like a fresh tmpfs). */
  rootMode?: number;
  rootUid?: number;
  rootGid?: number;
  /** Name in /proc/mounts (default "tmpfs"). */
  name?: string;
  /** Byte limit for file data (size=); 0 = unlimited. */
  sizeLimit?: number;
  /**
   * statfs f_type for a tmpfs that stands in for another pseudo file system (mqueue,
   * cgroup2); such a one reports no blocks, as those do.
   */
  magic?: number;
  /**
   * Keep every file's data in this memory file from its first byte (the overlay's upper
   * layer with --overlay file:PATH), not in the sentry's heap.
   */
  fileData?: MemoryFile | null;
}

export class TmpFs extends FileSystem {
  readonly name: string;
  readonly magic: number;
  readonly fileData: MemoryFile | null;
  readonly clock: TimeSource;
  private nextIno = 1;
  private readonly rootDir: TmpDir;
  /** Bytes of file data held (for statfs and size=). */
  used = 0;
  inodes = 0;
  readonly sizeLimit: number;

  constructor(o: TmpFsOptions = {}) {
    super();
    this.name = o.name ?? 'tmpfs';
    this.magic = o.magic ?? TMPFS_MAGIC;
    this.fileData = o.fileData ?? null;
    this.clock = o.clock ?? new DateTimeSource();
    this.sizeLimit = o.sizeLimit ?? 0;
    this.rootDir = new TmpDir(this, S_IFDIR | (o.rootMode ?? 0o1777), o.rootUid ?? 0, o.rootGid ?? 0);
    this.rootDir.parentDir = this.rootDir;
  }

  root(): TmpDir {
    return this.rootDir;
  }

  override mountOptions(): string {
    let s = this.sizeLimit > 0 ? `size=${Math.ceil(this.sizeLimit / 1024)}k` : '';
    const mode = this.rootDir.mode & 0o7777;
    if (mode !== 0o1777) s += `${s === '' ? '' : ','}mode=${mode.toString(8).padStart(3, '0')}`;
    return s;
  }

  allocIno(): number {
    return this.nextIno++;
  }

  override statfs(out: StatFs): number {
    super.statfs(out);
    if (this.magic !== TMPFS_MAGIC) return 0;
    const total = this.sizeLimit > 0 ? this.sizeLimit : 2 ** 40;
    out.blocks = Math.floor(total / 4096);
    out.bfree = out.bavail = Math.max(0, out.blocks - Math.ceil(this.used / 4096));
    out.files = 1 << 20;
    out.ffree = Math.max(0, out.files - this.inodes);
    return 0;
  }

  /** Creates an inode of mode's type (used by create/mkdir/symlink and by builders). */
  newInode(a: CreateArgs, target = ''): TmpInode {
    switch (a.mode & S_IFMT) {
      case S_IFDIR:
        return new TmpDir(this, a.mode, a.uid, a.gid);
      case S_IFREG:
        return new TmpFile(this, a.mode, a.uid, a.gid);
      case S_IFLNK:
        return new TmpSymlink(this, a.mode, a.uid, a.gid, target);
      default:
        return new TmpSpecial(this, a.mode, a.uid, a.gid, a.rdev);
    }
  }
}

export abstract class TmpInode extends Inode {
  readonly ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink = 1;
  atimeSec = 0;
  atimeNsec = 0;
  mtimeSec = 0;
  mtimeNsec = 0;
  ctimeSec = 0;
  ctimeNsec = 0;
  btimeSec = 0;
  btimeNsec = 0;
  /** Extended attributes (trusted.overlay.* marks opaque overlay directories). */
  xattrs: Map<string, Uint8Array> | null = null;

  constructor(readonly fs: TmpFs, mode: number, uid: number, gid: number) {
    super();
    this.ino = fs.allocIno();
    this.mode = mode;
    this.uid = uid;
    this.gid = gid;
    fs.inodes++;
    const ts = this.now();
    this.atimeSec = this.mtimeSec = this.ctimeSec = this.btimeSec = ts[0];
    this.atimeNsec = this.mtimeNsec = this.ctimeNsec = this.btimeNsec = ts[1];
  }

  protected now(): Float64Array {
    const c = this.fs.clock;
    c.read(CLOCK_REALTIME);
    return c.ts;
  }

  /** mtime = ctime = now (content changed). */
  touchModify(): void {
    const ts = this.now();
    this.mtimeSec = this.ctimeSec = ts[0];
    this.mtimeNsec = this.ctimeNsec = ts[1];
  }

  touchChange(): void {
    const ts = this.now();
    this.ctimeSec = ts[0];
    this.ctimeNsec = ts[1];
  }

  get size(): number {
    return 0;
  }

  stat(st: Stat): void {
    st.dev = this.fs.dev;
    st.ino = this.ino;
    st.nlink = this.nlink;
    st.mode = this.mode;
    st.uid = this.uid;
    st.gid = this.gid;
    st.rdev = this.rdev;
    st.size = this.size;
    st.blksize = 4096;
    st.blocks = Math.ceil(this.size / 4096) * 8;
    st.atimeSec = this.atimeSec;
    st.atimeNsec = this.atimeNsec;
    st.mtimeSec = this.mtimeSec;
    st.mtimeNsec = this.mtimeNsec;
    st.ctimeSec = this.ctimeSec;
    st.ctimeNsec = this.ctimeNsec;
    st.btimeSec = this.btimeSec;
    st.btimeNsec = this.btimeNsec;
    st.hasBtime = true;
  }

  override setattr(_t: VfsTask, a: SetAttr): number {
    if (a.size >= 0) {
      const r = this.setSize(a.size);
      if (r < 0) return r;
    }
    if (a.mode >= 0) this.mode = (this.mode & S_IFMT) | (a.mode & 0o7777);
    if (a.uid >= 0) this.uid = a.uid;
    if (a.gid >= 0) this.gid = a.gid;
    if (a.atimeNsec !== UTIME_OMIT || a.mtimeNsec !== UTIME_OMIT) {
      const ts = this.now();
      if (a.atimeNsec === UTIME_NOW) {
        this.atimeSec = ts[0];
        this.atimeNsec = ts[1];
      } else if (a.atimeNsec !== UTIME_OMIT) {
        this.atimeSec = a.atimeSec;
        this.atimeNsec = a.atimeNsec;
      }
      if (a.mtimeNsec === UTIME_NOW) {
        this.mtimeSec = ts[0];
        this.mtimeNsec = ts[1];
      } else if (a.mtimeNsec !== UTIME_OMIT) {
        this.mtimeSec = a.mtimeSec;
        this.mtimeNsec = a.mtimeNsec;
      }
    }
    this.touchChange();
    return 0;
  }

  protected setSize(_size: number): number {
    return -E.EINVAL;
  }

  getXattr(name: string): Uint8Array | null {
    return this.xattrs === null ? null : (this.xattrs.get(name) ?? null);
  }

  setXattr(name: string, value: Uint8Array | null): void {
    if (value === null) {
      if (this.xattrs !== null) this.xattrs.delete(name);
      return;
    }
    if (this.xattrs === null) this.xattrs = new Map();
    this.xattrs.set(name, value);
  }

  override getxattr(_t: VfsTask, name: string): Uint8Array | number {
    return this.getXattr(name) ?? -E.ENODATA;
  }

  override setxattr(_t: VfsTask, name: string, value: Uint8Array | null, flags: number): number {
    const has = this.xattrs !== null && this.xattrs.has(name);
    if ((flags & XATTR_CREATE) !== 0 && has) return -E.EEXIST;
    if (((flags & XATTR_REPLACE) !== 0 || value === null) && !has) return -E.ENODATA;
    this.setXattr(name, value);
    this.touchChange();
    return 0;
  }

  override listxattr(_t: VfsTask): string[] {
    return this.xattrs === null ? [] : [...this.xattrs.keys()];
  }

  /** Called when the last name goes; the inode lives on while files hold it. */
  dropped(): void {
    this.fs.inodes--;
  }
}

export class TmpDir extends TmpInode {
  readonly entries = new Map<string, TmpInode>();
  /** For "..": the directory this one is in (itself for the root). */
  parentDir: TmpDir = this;

  constructor(fs: TmpFs, mode: number, uid: number, gid: number) {
    super(fs, mode, uid, gid);
    this.nlink = 2;
  }

  override stat(st: Stat): void {
    super.stat(st);
    st.blocks = 0;
    // tmpfs reports a directory's size as (entries + 2) * 20
    st.size = (this.entries.size + 2) * 20;
  }

  override lookup(_t: VfsTask, name: string): Inode | number {
    return this.entries.get(name) ?? -E.ENOENT;
  }

  override readdir(_t: VfsTask): DirEntry[] {
    const out: DirEntry[] = [];
    for (const [name, i] of this.entries) out.push({ name, ino: i.ino, type: dtype(i.mode) });
    // tmpfs lists the newest entries first
    out.reverse();
    return out;
  }

  override isEmptyDir(): boolean {
    return this.entries.size === 0;
  }

  /** Adds child under name (the caller checked the name is free). */
  addEntry(name: string, child: TmpInode): void {
    this.entries.set(name, child);
    if (child instanceof TmpDir) {
      child.parentDir = this;
      this.nlink++;
    }
    this.touchModify();
  }

  override create(_t: VfsTask, name: string, a: CreateArgs): Inode | number {
    if (this.entries.has(name)) return -E.EEXIST;
    const i = this.fs.newInode(a);
    this.addEntry(name, i);
    return i;
  }

  override tmpfile(_t: VfsTask, a: CreateArgs): Inode | number {
    const i = new TmpFile(this.fs, S_IFREG | (a.mode & 0o7777), a.uid, a.gid);
    i.nlink = 0;
    this.fs.inodes--; // counted once it gets a name (link)
    return i;
  }

  override mkdir(_t: VfsTask, name: string, a: CreateArgs): Inode | number {
    if (this.entries.has(name)) return -E.EEXIST;
    const i = new TmpDir(this.fs, a.mode, a.uid, a.gid);
    this.addEntry(name, i);
    return i;
  }

  override symlink(_t: VfsTask, name: string, target: string, a: CreateArgs): Inode | number {
    if (this.entries.has(name)) return -E.EEXIST;
    const i = new TmpSymlink(this.fs, a.mode, a.uid, a.gid, target);
    this.addEntry(name, i);
    return i;
  }

  override link(_t: VfsTask, name: string, target: Inode): number {
    if (!(target instanceof TmpInode) || target.fs !== this.fs) return -E.EXDEV;
    if (this.entries.has(name)) return -E.EEXIST;
    this.entries.set(name, target);
    if (target.nlink++ === 0) this.fs.inodes++; // an O_TMPFILE file gets its first name
    target.touchChange();
    this.touchModify();
    return 0;
  }

  /** Removes name (any type) and fixes link counts. */
  removeEntry(name: string): TmpInode | null {
    const child = this.entries.get(name);
    if (child === undefined) return null;
    this.entries.delete(name);
    if (child instanceof TmpDir) {
      this.nlink--;
      child.nlink = 0;
      child.dropped();
    } else if (--child.nlink === 0) {
      child.dropped();
    }
    child.touchChange();
    this.touchModify();
    return child;
  }

  override unlink(_t: VfsTask, name: string, child: Inode): number {
    if (this.entries.get(name) !== child) return -E.ENOENT;
    this.removeEntry(name);
    return 0;
  }

  override rmdir(_t: VfsTask, name: string, child: Inode): number {
    if (this.entries.get(name) !== child) return -E.ENOENT;
    if (!(child instanceof TmpDir)) return -E.ENOTDIR;
    if (child.entries.size > 0) return -E.ENOTEMPTY;
    this.removeEntry(name);
    return 0;
  }

  override rename(t: VfsTask, oldName: string, child: Inode, newDir: Inode, newName: string, replaced: Inode | null,
    flags: number): number {
    if (!(newDir instanceof TmpDir) || newDir.fs !== this.fs) return -E.EXDEV;
    if (this.entries.get(oldName) !== child || !(child instanceof TmpInode)) return -E.ENOENT;
    const cur = newDir.entries.get(newName) ?? null;
    if (cur !== replaced) return -E.ENOENT;
    if ((flags & RENAME_EXCHANGE) !== 0) {
      if (cur === null) return -E.ENOENT;
      this.entries.set(oldName, cur);
      newDir.entries.set(newName, child);
      const cd = child instanceof TmpDir, rd = cur instanceof TmpDir;
      if (cd !== rd && this !== newDir) {
        if (cd) {
          newDir.nlink++;
          this.nlink--;
        } else {
          this.nlink++;
          newDir.nlink--;
        }
      }
      if (child instanceof TmpDir) child.parentDir = newDir;
      if (cur instanceof TmpDir) cur.parentDir = this;
      child.touchChange();
      cur.touchChange();
      this.touchModify();
      newDir.touchModify();
      return 0;
    }
    if (cur !== null) {
      if (cur instanceof TmpDir && cur.entries.size > 0) return -E.ENOTEMPTY;
      newDir.removeEntry(newName);
    }
    this.entries.delete(oldName);
    if ((flags & RENAME_WHITEOUT) !== 0) {
      // The old name becomes a whiteout: a 0:0 character device owned by the caller.
      this.entries.set(oldName, this.fs.newInode({ mode: S_IFCHR, uid: t.creds.fsuid, gid: t.creds.fsgid, rdev: 0 }));
    }
    if (child instanceof TmpDir) this.nlink--;
    newDir.entries.set(newName, child);
    if (child instanceof TmpDir) {
      newDir.nlink++;
      child.parentDir = newDir;
    }
    child.touchChange();
    this.touchModify();
    newDir.touchModify();
    return 0;
  }

  override open(_t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    return new DirectoryFile(mnt, d, flags);
  }
}

/**
 * File data in 64 KiB chunks, allocated when first written: sparse files cost nothing
 * for their holes, and a file never has to be copied to grow. The first chunk starts
 * small and doubles up to 64 KiB, so the many tiny files of a typical tree stay cheap.
 */
const CHUNK = 65536;


const PAGES_PER_CHUNK = CHUNK / 4096;
/** memfd seals (F_ADD_SEALS); every tmpfs file starts with F_SEAL_SEAL, as on Linux. */
export const F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8, F_SEAL_FUTURE_WRITE = 0x10,
  F_SEAL_EXEC = 0x20;

export class TmpFile extends TmpInode {
  private readonly chunks = new Map<number, Buffer>();
  /**
   * Which 4 KiB pages were written, per chunk (a 16-bit mask): st_blocks counts pages
   * as Linux's tmpfs does, whatever size the chunk buffer has.
   */
  private readonly pageMasks = new Map<number, number>();
  private len = 0;
  /**
   * The data once it lives in the memory file (memfd from the start; other tmpfs files
   * from their first MAP_SHARED mapping): then mappings and read/write share pages.
   */
  shm: FileMemory | null = null;
  /** Open descriptions (the data of an unlinked file goes with the last one). */
  opens = 0;
  seals = F_SEAL_SEAL;

  override get size(): number {
    return this.len;
  }

  override setattr(t: VfsTask, a: SetAttr): number {
    // F_SEAL_EXEC freezes the exec bits (shmem_setattr).
    if ((this.seals & F_SEAL_EXEC) !== 0 && a.mode >= 0 && ((this.mode ^ a.mode) & 0o111) !== 0) return -E.EPERM;
    return super.setattr(t, a);
  }

  /** Moves the data into the memory file (see mm/shmem.ts); idempotent. */
  toShm(mf: MemoryFile): FileMemory | number {
    if (this.shm !== null) return this.shm;
    const fm = new FileMemory(mf, this.len);
    for (const [ci, c] of this.chunks) {
      const n = Math.min(c.length, this.len - ci * CHUNK);
      if (n > 0) fm.write(ci * CHUNK, c, 0, n);
    }
    this.chunks.clear();
    this.shm = fm;
    return fm;
  }

  /** For mmap(MAP_SHARED): the pages of file offsets [0, end). */
  sharedBacking(mf: MemoryFile, end: number): Backing | number {
    const fm = this.toShm(mf);
    if (typeof fm === 'number') return fm;
    const r = fm.ensure(end);
    return r < 0 ? r : fm.backing;
  }

  get writeSealed(): boolean {
    return (this.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) !== 0;
  }

  /** Nothing refers to the file any more: its pages go (mappings keep their own hold). */
  maybeFree(): void {
    if (this.nlink === 0 && this.opens === 0 && this.shm !== null) this.shm.free();
  }

  /** Reads up to len bytes at pos into dst; the count (0 at or past the end). */
  readAt(dst: Uint8Array, dstOff: number, len: number, pos: number): number {
    const size = this.len;
    if (pos >= size) return 0;
    const n = Math.min(len, size - pos);
    if (this.shm !== null) {
      this.shm.read(pos, dst, dstOff, n);
      return n;
    }
    let done = 0;
    while (done < n) {
      const p = pos + done;
      const ci = Math.floor(p / CHUNK);
      const co = p - ci * CHUNK;
      const k = Math.min(n - done, CHUNK - co);
      const c = this.chunks.get(ci);
      let have = 0;
      if (c !== undefined && co < c.length) {
        have = Math.min(k, c.length - co);
        c.copy(dst, dstOff + done, co, co + have);
      }
      if (have < k) dst.fill(0, dstOff + done + have, dstOff + done + k);
      done += k;
    }
    return n;
  }

  /** The chunk ci with room for `need` bytes (allocated or grown), or -errno. */
  private chunkFor(ci: number, need: number): Buffer | number {
    const c = this.chunks.get(ci);
    if (c !== undefined && c.length >= need) return c;
    let size = CHUNK;
    if (ci === 0) {
      size = Math.max(64, c !== undefined ? c.length * 2 : 0);
      while (size < need) size *= 2;
      if (size > CHUNK) size = CHUNK;
    }
    const grow = size - (c !== undefined ? c.length : 0);
    const limit = this.fs.sizeLimit;
    if (limit > 0 && this.fs.used + grow > limit) return -E.ENOSPC;
    let nb: Buffer;
    try {
      nb = Buffer.alloc(size);
    } catch {
      return -E.ENOSPC; // the sentry's heap could not hold it
    }
    if (c !== undefined) c.copy(nb);
    this.chunks.set(ci, nb);
    this.fs.used += grow;
    return nb;
  }

  writeAt(src: Uint8Array, srcOff: number, len: number, pos: number): number {
    if (len === 0) return 0;
    const end = pos + len;
    if (end > MAX_FILE) return -E.EFBIG;
    if (this.shm === null && this.fs.fileData !== null) {
      const r = this.toShm(this.fs.fileData);
      if (typeof r === 'number') return r;
    }
    if (this.shm !== null) {
      const r = this.shm.ensure(end);
      if (r < 0) return r;
      this.shm.write(pos, src, srcOff, len);
      if (end > this.len) {
        this.len = end;
        this.shm.resized(end);
      }
      this.touchModify();
      return len;
    }
    let done = 0;
    while (done < len) {
      const p = pos + done;
      const ci = Math.floor(p / CHUNK);
      const co = p - ci * CHUNK;
      const k = Math.min(len - done, CHUNK - co);
      const c = this.chunkFor(ci, co + k);
      if (typeof c === 'number') {
        if (done === 0) return c;
        break;
      }
      c.set(src.subarray(srcOff + done, srcOff + done + k), co);
      const first = Math.floor(co / 4096), last = Math.floor((co + k - 1) / 4096);
      const bits = ((1 << (last + 1)) - 1) & ~((1 << first) - 1);
      this.pageMasks.set(ci, (this.pageMasks.get(ci) ?? 0) | bits);
      done += k;
    }
    if (pos + done > this.len) this.len = pos + done;
    this.touchModify();
    return done;
  }

  protected override setSize(size: number): number {
    if (size > MAX_FILE) return -E.EFBIG;
    // Seals hold whichever way the size is changed (ftruncate, truncate by path).
    if ((this.seals & F_SEAL_SHRINK) !== 0 && size < this.len) return -E.EPERM;
    if ((this.seals & F_SEAL_GROW) !== 0 && size > this.len) return -E.EPERM;
    if (this.shm !== null) {
      // Cut-off bytes read as zeroes if the file grows again (and in mappings).
      if (size < this.len) this.shm.zero(size, this.len);
      if (size !== this.len) this.shm.resized(size);
      this.len = size;
      this.touchModify();
      return 0;
    }
    if (size < this.len) {
      // Drop whole chunks past the end and zero the cut-off tail of the last one, so a
      // later extension reads zeroes.
      for (const [ci, c] of this.chunks) {
        const start = ci * CHUNK;
        if (start >= size) {
          this.chunks.delete(ci);
          this.fs.used -= c.length;
          this.pageMasks.delete(ci);
        } else if (start + c.length > size) {
          c.fill(0, size - start);
          // Pages wholly past the new end are freed.
          const keep = Math.ceil((size - start) / 4096);
          const m = this.pageMasks.get(ci);
          if (m !== undefined) this.pageMasks.set(ci, m & ((1 << keep) - 1));
        }
      }
    }
    // Growing only sets the size: the new bytes are a hole and read as zeroes.
    this.len = size;
    this.touchModify();
    return 0;
  }

  /** Whether the 4 KiB page number `page` holds written data (not a hole). */
  pageWritten(page: number): boolean {
    const ci = Math.floor(page / PAGES_PER_CHUNK);
    const m = this.pageMasks.get(ci);
    return m !== undefined && ((m >>> (page - ci * PAGES_PER_CHUNK)) & 1) === 1;
  }

  /**
   * SEEK_DATA (data true) / SEEK_HOLE from off, with page granularity as Linux's tmpfs:
   * the offset found, or -ENXIO at or past the end (and for SEEK_DATA with no data left).
   */
  seekHoleData(off: number, data: boolean): number {
    const size = this.len;
    if (off < 0 || off >= size) return -E.ENXIO;
    // Data in the memory file (memfd, shared-mapped files) is reported as all data.
    if (this.shm !== null) return data ? off : size;
    const lastPage = Math.floor((size - 1) / 4096);
    for (let p = Math.floor(off / 4096); p <= lastPage;) {
      if (this.pageWritten(p) === data) return Math.max(off, p * 4096);
      // Skip a whole chunk without pages when looking for data.
      const ci = Math.floor(p / PAGES_PER_CHUNK);
      if (data && !this.pageMasks.has(ci)) p = (ci + 1) * PAGES_PER_CHUNK;
      else p++;
    }
    return data ? -E.ENXIO : size;
  }

  /** Zeroes bytes [from, to) of the data (a punched hole). */
  zeroRange(from: number, to: number): void {
    if (from >= to) return;
    if (this.shm !== null) {
      this.shm.zero(from, to);
      return;
    }
    for (const [ci, c] of this.chunks) {
      const start = ci * CHUNK;
      const a = Math.max(from, start), z = Math.min(to, start + c.length);
      if (a >= z) continue;
      c.fill(0, a - start, z - start);
      // Whole pages inside the hole are holes again (st_blocks, SEEK_HOLE).
      const first = Math.ceil((a - start) / 4096), last = Math.floor((z - start) / 4096) - 1;
      const m = this.pageMasks.get(ci);
      if (m !== undefined && first <= last) {
        const bits = ((last >= 31 ? 0xffffffff : (1 << (last + 1)) - 1) & ~((1 << first) - 1)) >>> 0;
        this.pageMasks.set(ci, (m & ~bits) >>> 0);
      }
    }
  }

  /** Bytes of memory held for the data (st_blocks). */
  get allocated(): number {
    if (this.shm !== null) return this.shm.resident(this.len);
    let n = 0;
    for (const c of this.chunks.values()) n += c.length;
    return n;
  }

  override stat(st: Stat): void {
    super.stat(st);
    if (this.shm !== null) {
      st.blocks = Math.ceil(this.shm.resident(this.len) / 512);
      return;
    }
    let pages = 0;
    for (let m of this.pageMasks.values()) {
      for (; m !== 0; m &= m - 1) pages++;
    }
    st.blocks = pages * 8;
  }

  /** The last name is gone: stop counting the data against size= (open fds keep it). */
  override dropped(): void {
    super.dropped();
    this.fs.used -= this.allocated;
    this.maybeFree();
  }

  override open(_t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    return new TmpFileFD(mnt, d, flags, this);
  }
}


/** An open regular tmpfs file. */
export class TmpFileFD extends RegularFileFD {
  constructor(mnt: Mount, d: Dentry, flags: number, readonly file: TmpFile) {
    super(mnt, d, flags);
    file.opens++;
  }

  protected override release(): void {
    this.file.opens--;
    this.file.maybeFree();
  }

  override lseek(t: VfsTask, off: number, whence: number): number {
    if (whence !== SEEK_DATA && whence !== SEEK_HOLE) return super.lseek(t, off, whence);
    const r = this.file.seekHoleData(off, whence === SEEK_DATA);
    if (r >= 0) this.offset = r;
    return r;
  }

  override read(_t: VfsTask, dst: Uint8Array, dstOff: number, len: number, pos: number): number {
    const p = pos < 0 ? this.offset : pos;
    const n = this.file.readAt(dst, dstOff, len, p);
    if (pos < 0) this.offset = p + n;
    return n;
  }

  override write(t: VfsTask, src: Uint8Array, srcOff: number, len: number, pos: number): number {
    const file = this.file;
    // O_APPEND writes at the end, even pwrite (a documented Linux quirk).
    const p = (this.flags & O_APPEND) !== 0 ? file.size : pos < 0 ? this.offset : pos;
    if (p + len > Number.MAX_SAFE_INTEGER) return -E.EFBIG;
    const seals = file.seals;
    if ((seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) !== 0 && len > 0) return -E.EPERM;
    if ((seals & F_SEAL_GROW) !== 0 && p + len > file.size) {
      // Linux copies page by page and stops at the first page-sized piece that would
      // grow the file: the pieces before it are written, EPERM if there are none.
      let n = 0;
      while (n < len) {
        const piece = Math.min(4096 - ((p + n) % 4096), len - n);
        if (p + n + piece > file.size) break;
        n += piece;
      }
      if (n === 0) return -E.EPERM;
      len = n;
    }
    const n = file.writeAt(src, srcOff, len, p);
    if (n < 0) return n;
    if (pos < 0) this.offset = p + n;
    // Writing drops set-uid/set-gid unless the writer has CAP_FSETID.
    if ((file.mode & (S_ISUID | S_ISGID)) !== 0 && n > 0 && !t.creds.hasCap(CAP_FSETID)) {
      file.mode &= ~S_ISUID;
      if ((file.mode & 0o010) !== 0) file.mode &= ~S_ISGID;
    }
    return n;
  }

  /** shmem_fallocate: preallocation (a size change at most) and PUNCH_HOLE|KEEP_SIZE. */
  override fallocate(_t: VfsTask, mode: number, off: number, len: number): number {
    const file = this.file;
    if ((mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) !== 0) return -E.EOPNOTSUPP;
    if ((mode & FALLOC_FL_PUNCH_HOLE) !== 0) {
      if ((file.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) !== 0) return -E.EPERM;
      file.zeroRange(off, Math.min(off + len, file.size));
      file.touchModify();
      return 0;
    }
    if ((file.seals & F_SEAL_GROW) !== 0 && off + len > file.size) return -E.EPERM;
    // The pages need no reserving: the memory comes when they are written.
    if ((mode & FALLOC_FL_KEEP_SIZE) === 0 && off + len > file.size) {
      const a = new SetAttr();
      a.size = off + len;
      return file.setattr(_t, a);
    }
    file.touchChange();
    return 0;
  }

  override truncate(t: VfsTask, size: number): number {
    const a = new SetAttr();
    a.size = size;
    return this.file.setattr(t, a);
  }

}

export class TmpSymlink extends TmpInode {
  constructor(fs: TmpFs, mode: number, uid: number, gid: number, readonly target: string) {
    super(fs, mode, uid, gid);
  }

  override get size(): number {
    return this.target.length;
  }

  override stat(st: Stat): void {
    super.stat(st);
    st.blocks = 0;
  }

  override readlink(): string {
    return this.target;
  }

  override open(): FileDescription | number {
    return -E.ELOOP;
  }
}

/** Device nodes, FIFOs and sockets: only their attributes live here. */
export class TmpSpecial extends TmpInode {
  constructor(fs: TmpFs, mode: number, uid: number, gid: number, private readonly dev: number) {
    super(fs, mode, uid, gid);
  }

  override get rdev(): number {
    return this.dev;
  }

  override open(t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    // A FIFO is one pipe shared by its opens; opening a socket file is ENXIO, as on Linux.
    if ((this.mode & S_IFMT) === S_IFIFO) return openFifo(t, this, mnt, d, flags);
    return -E.ENXIO;
  }
}

/** Overlay whiteouts are character devices 0:0 in the upper layer (as Linux's overlayfs). */
export function isWhiteout(i: Inode): boolean {
  return (i.mode & S_IFMT) === S_IFCHR && i.rdev === 0;
}
