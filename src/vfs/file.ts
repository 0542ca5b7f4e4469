// Open file descriptions: what an fd refers to. Refcounted (fds in any number of fd
// tables, dup, fork, SCM_RIGHTS); the status flags and the file offset live here and
// are shared by every fd that refers to the description, as on Linux.
//
// read/write take a sentry-side byte range (usually a run of app memory in the memory
// file, handed over by the syscall layer without an intermediate copy) and a position:
// pos >= 0 is pread/pwrite, pos === -1 means "at the file offset, and advance it".
// They return a count, -errno, or BLOCKED after parking the task (the syscall runs
// again when woken).
import * as E from '../abi/errno';
import type { Backing, MapSource } from '../mm/mm';
import type { MemoryFile } from '../mm/memfile';
import { EVENT_IN, EVENT_OUT, EVENT_RDNORM, EVENT_WRNORM, WaitQueue } from '../waiter/waiter';
import {
  MAX_OFFSET, O_ACCMODE, O_APPEND, O_NONBLOCK, O_PATH, O_RDONLY, O_RDWR, O_WRONLY, SEEK_CUR, SEEK_DATA, SEEK_END,
  SEEK_HOLE, SEEK_SET, SETFL_MASK,
} from './abi';
import type { Dentry } from './dentry';
import { fsnotify, lastClose, notifyClose } from './fsnotify';
import { releaseDescription } from './locks';
import type { DirEntry, Inode } from './inode';
import type { Mount } from './mount';
import { Stat } from './stat';
import type { VfsTask } from './task';

export abstract class FileDescription {
  private refs = 1;
  /** f_flags: access mode and status flags, as F_GETFL reports them. */
  flags: number;
  /** The file offset (for seekable files). */
  offset = 0;

  constructor(
    /** Where the file was opened; anonymous files use a mount outside any namespace. */
    readonly mnt: Mount,
    readonly dentry: Dentry,
    flags: number,
  ) {
    this.flags = flags;
    dentry.openCount++;
  }

  get inode(): Inode {
    return this.dentry.inode;
  }

  get readable(): boolean {
    const a = this.flags & O_ACCMODE;
    return (this.flags & O_PATH) === 0 && (a === O_RDONLY || a === O_RDWR);
  }

  get writable(): boolean {
    const a = this.flags & O_ACCMODE;
    return (this.flags & O_PATH) === 0 && (a === O_WRONLY || a === O_RDWR);
  }

  /** An O_PATH description: only fstat, fchdir, *at and fd-table operations work. */
  get isPath(): boolean {
    return (this.flags & O_PATH) !== 0;
  }

  get nonblocking(): boolean {
    return (this.flags & O_NONBLOCK) !== 0;
  }

  get append(): boolean {
    return (this.flags & O_APPEND) !== 0;
  }

  incRef(): void {
    this.refs++;
  }

  /** Drops one reference; the last one releases the file's resources. */
  decRef(): void {
    if (--this.refs === 0) {
      const d = this.dentry;
      if (fsnotify.marks !== 0 && !this.isPath) notifyClose(d, this.writable);
      if (this.holdsLocks) releaseDescription(this.inode, this);
      this.release();
      if (--d.openCount === 0 && d.deleteSelfPending) lastClose(d);
    }
  }

  /** Set once the description has taken a flock or OFD lock (released with it). */
  holdsLocks = false;

  get refCount(): number {
    return this.refs;
  }

  /** Called once, when the last reference is dropped. */
  protected release(): void {}

  read(_t: VfsTask, _dst: Uint8Array, _dstOff: number, _len: number, _pos: number): number {
    return -E.EINVAL;
  }

  write(_t: VfsTask, _src: Uint8Array, _srcOff: number, _len: number, _pos: number): number {
    return -E.EINVAL;
  }

  /** True when read/write with pos >= 0 make sense (pread on a pipe is ESPIPE). */
  get seekable(): boolean {
    return false;
  }

  lseek(_t: VfsTask, _off: number, _whence: number): number {
    return -E.ESPIPE;
  }

  stat(st: Stat): number {
    this.dentry.inode.stat(st);
    return 0;
  }

  /** Fills buf[0..size) with linux_dirent64 records; returns the byte count or -errno. */
  getdents(_t: VfsTask, _buf: Buffer, _size: number): number {
    return -E.ENOTDIR;
  }

  /** ioctl requests the file type understands (FIONBIO/FIOCLEX are generic, above). */
  ioctl(_t: VfsTask, _req: number, _arg: number): number {
    return -E.ENOTTY;
  }

  /** Events of mask that are ready now (poll, and the read/write gate for iovecs). */
  readiness(mask: number): number {
    return mask & (EVENT_IN | EVENT_OUT | EVENT_RDNORM | EVENT_WRNORM);
  }

  /** The queue notified when readiness changes; null for always-ready files. */
  get waitQueue(): WaitQueue | null {
    return null;
  }

  /** A host fd whose readiness is this file's (host stdio, host sockets); -1 if none. */
  get hostFd(): number {
    return -1;
  }

  /** What mmap maps, or null (ENODEV). */
  mapSource(): MapSource | null {
    return null;
  }

  truncate(_t: VfsTask, _size: number): number {
    return -E.EINVAL;
  }

  fsync(_t: VfsTask): number {
    return -E.EINVAL;
  }

  /** fallocate(2) on a regular file opened for writing, after the VFS's checks. */
  fallocate(_t: VfsTask, _mode: number, _off: number, _len: number): number {
    return -E.EOPNOTSUPP;
  }

  /** FIONREAD: bytes readable without blocking, or -ENOTTY. */
  available(): number {
    return -E.ENOTTY;
  }

  /** fcntl(F_SETFL): changes the settable status flags. */
  setStatusFlags(flags: number): number {
    this.flags = (this.flags & ~SETFL_MASK) | (flags & SETFL_MASK);
    return 0;
  }

  /** Name for /proc/pid/fd links of files without a path ("pipe:[12]"); '' for paths. */
  get anonName(): string {
    return '';
  }
}

/** Offset arithmetic shared by seekable files. size: the current file size. */
export function seekTo(f: FileDescription, off: number, whence: number, size: number): number {
  let pos: number;
  switch (whence) {
    case SEEK_SET:
      pos = off;
      break;
    case SEEK_CUR:
      pos = f.offset + off;
      break;
    case SEEK_END:
      pos = size + off;
      break;
    case SEEK_DATA:
      if (off < 0 || off >= size) return -E.ENXIO;
      pos = off;
      break;
    case SEEK_HOLE:
      if (off < 0 || off >= size) return -E.ENXIO;
      pos = size;
      break;
    default:
      return -E.EINVAL;
  }
  if (pos < 0 || pos > MAX_OFFSET) return -E.EINVAL;
  f.offset = pos;
  return pos;
}

/** An O_PATH description: a handle on a position in the tree and nothing more. */
export class PathFile extends FileDescription {}

// ---- directories ----------------------------------------------------------------------

const DIRENT_HDR = 19;

/**
 * Appends one linux_dirent64 record at buf[off..]; returns the new end, or -1 when it
 * does not fit within size.
 */
export function putDirent(buf: Buffer, off: number, size: number, ino: number, next: number, type: number,
  name: string): number {
  const reclen = (DIRENT_HDR + name.length + 1 + 7) & ~7;
  if (off + reclen > size) return -1;
  buf.writeUInt32LE((ino % 4294967296) >>> 0, off);
  buf.writeUInt32LE(Math.floor(ino / 4294967296) >>> 0, off + 4);
  buf.writeUInt32LE(next >>> 0, off + 8);
  buf.writeUInt32LE(0, off + 12);
  buf.writeUInt16LE(reclen, off + 16);
  buf[off + 18] = type;
  buf.write(name, off + DIRENT_HDR, 'latin1');
  buf.fill(0, off + DIRENT_HDR + name.length, off + reclen);
  return off + reclen;
}

/**
 * A directory opened for reading. The listing is taken when reading starts at offset 0
 * (open, or a rewind) and served from that snapshot; offsets are entry indexes.
 */
export class DirectoryFile extends FileDescription {
  private entries: DirEntry[] | null = null;

  override get seekable(): boolean {
    return true;
  }

  override read(): number {
    return -E.EISDIR;
  }

  override write(): number {
    return -E.EBADF;
  }

  /** The listing without "." and ".."; file systems may override. */
  protected list(t: VfsTask): DirEntry[] | number {
    return this.dentry.inode.readdir(t);
  }

  override getdents(t: VfsTask, buf: Buffer, size: number): number {
    // Linux: a removed directory lists nothing and reports ENOENT.
    if (this.dentry.dead) return -E.ENOENT;
    if (this.entries === null || this.offset === 0) {
      const inode = this.dentry.inode;
      const r = this.list(t);
      if (typeof r === 'number') return r;
      const parent = this.dentry.parent;
      this.entries = [
        { name: '.', ino: inode.ino, type: 4 },
        { name: '..', ino: parent !== null ? parent.inode.ino : inode.ino, type: 4 },
      ];
      for (const e of r) this.entries.push(e);
    }
    const list = this.entries;
    let at = 0;
    let i = this.offset;
    while (i < list.length) {
      const e = list[i];
      const end = putDirent(buf, at, size, e.ino, i + 1, e.type, e.name);
      if (end < 0) break;
      at = end;
      i++;
    }
    if (at === 0 && i < list.length) return -E.EINVAL;
    this.offset = i;
    return at;
  }

  override lseek(_t: VfsTask, off: number, whence: number): number {
    let pos: number;
    if (whence === SEEK_SET) pos = off;
    else if (whence === SEEK_CUR) pos = this.offset + off;
    else return -E.EINVAL;
    if (pos < 0 || pos > MAX_OFFSET) return -E.EINVAL;
    this.offset = pos;
    return pos;
  }

  override fsync(): number {
    return 0;
  }
}

// ---- mmap ---------------------------------------------------------------------------------

/** Something that can read file bytes at a position (a regular file's data). */
export interface ByteSource {
  readAt(dst: Uint8Array, dstOff: number, len: number, pos: number): number;
  /** Files whose data can live in the memory file (tmpfs, memfd): see MapSource. */
  sharedBacking?(mf: MemoryFile, end: number): Backing | number;
  readonly writeSealed?: boolean;
}

/** Whether x offers readAt (regular-file inodes of tmpfs and the host do). */
export function isByteSource(x: unknown): x is ByteSource {
  return typeof x === 'object' && x !== null && typeof (x as { readAt?: unknown }).readAt === 'function';
}

/**
 * The MapSource handed to mm for a file mapping. It holds the file's data source (not
 * the description), so mappings stay readable after the fd is closed, as on Linux.
 */
export class FileMapSource implements MapSource {
  readonly sharedBacking?: (mf: MemoryFile, end: number) => Backing | number;

  constructor(
    private readonly src: ByteSource,
    readonly mapName: string,
    readonly mapDev: number,
    readonly mapIno: number,
    /** The file's size at mmap time (pages wholly past it fault with SIGBUS). */
    readonly mapSize?: number,
  ) {
    const share = src.sharedBacking;
    if (share !== undefined) this.sharedBacking = (mf, end) => share.call(src, mf, end);
  }

  get writeSealed(): boolean {
    return this.src.writeSealed === true;
  }

  readForMap(dst: Uint8Array, dstOff: number, len: number, pos: number): number {
    return this.src.readAt(dst, dstOff, len, pos);
  }
}
