// A host directory as a read-only file system, reached only through fds.
//
// One O_PATH|O_DIRECTORY fd for the root is opened before anything else; every further
// host access is relative to a directory fd with a single name and O_NOFOLLOW /
// AT_SYMLINK_NOFOLLOW, so the host never resolves a path on the app's behalf. Symlinks
// are read with readlinkat and resolved by the sentry's own walk, inside the
// container's root: a symlink to /etc/shadow names the container's /etc/shadow, and
// ".." stops at the container's root. No host path outside the root can be reached.
//
// The host tree is treated as immutable while the sandbox runs (it is the image's
// lower layer): attributes are read once per name, and directory listings are read
// when a directory is listed. Directory and file fds are cached in one LRU of bounded
// size, so walking a tree of 10,000 files keeps a few hundred host fds at most; an
// evicted directory fd is reopened from its parent by name and checked to be the same
// directory (device and inode).
import * as E from '../../abi/errno';
import type { MapSource } from '../../mm/mm';
import {
  H_AT_EMPTY_PATH, H_AT_FDCWD, H_AT_SYMLINK_NOFOLLOW, H_O_DIRECTORY, H_O_NOFOLLOW, H_O_NONBLOCK, H_O_PATH, H_O_RDONLY,
  hostClose, hostFstatat, hostFstatfs, hostGetdents64, hostOpenat, hostPread, hostReadlinkat,
} from '../../platform/hostfile';
import { DT_UNKNOWN, S_IFDIR, S_IFLNK, S_IFMT, S_IFREG, dtype } from '../../vfs/abi';
import type { Dentry } from '../../vfs/dentry';
import { DirectoryFile, FileDescription, FileMapSource, seekTo } from '../../vfs/file';
import { RegularFileFD } from '../../vfs/regular';
import { DirEntry, FileSystem, Inode, StatFs } from '../../vfs/inode';
import type { Mount } from '../../vfs/mount';
import { mapNameOf } from '../../vfs/ops';
import { Stat, decodeStat } from '../../vfs/stat';
import type { VfsTask } from '../../vfs/task';

/** Inode numbers of the root's host device are used as they are below this bound. */
const DIRECT_INO_LIMIT = 2 ** 45;
const FOREIGN_INO_BASE = 2 ** 45;

/** Something that owns a cached host fd. */
interface FdHolder {
  fd: number;
  /** Uses that need the fd to stay open (open files); 0 = evictable. */
  pins: number;
}

/** A bounded LRU of host fds that are not pinned. */
class FdCache {
  private readonly lru = new Map<FdHolder, true>();
  constructor(private readonly cap: number) {}

  /** Marks h as most recently used (h.fd must be open). */
  touch(h: FdHolder): void {
    if (h.pins > 0) return;
    if (this.lru.delete(h)) this.lru.set(h, true);
  }

  /** Starts caching h's freshly opened fd. */
  add(h: FdHolder): void {
    if (h.pins > 0) return;
    this.lru.set(h, true);
    if (this.lru.size > this.cap) this.evictOne();
  }

  pin(h: FdHolder): void {
    if (h.pins++ === 0) this.lru.delete(h);
  }

  unpin(h: FdHolder): void {
    if (--h.pins === 0 && h.fd >= 0) this.add(h);
  }

  private evictOne(): void {
    for (const h of this.lru.keys()) {
      this.lru.delete(h);
      if (h.fd >= 0) {
        hostClose(h.fd);
        h.fd = -1;
      }
      return;
    }
  }

  get size(): number {
    return this.lru.size;
  }
}

const statBuf = Buffer.alloc(144);
const hst = new Stat();

export interface HostFsOptions {
  /** At most this many cached (unpinned) host fds; default 256. */
  fdCacheSize?: number;
}

export class HostFs extends FileSystem {
  readonly name = 'hostfs';
  magic = 0xef53;
  readonly rootFd: number;
  readonly fds: FdCache;
  private readonly rootInode: HostDir;
  private readonly rootHostDev: number;
  private readonly foreign = new Map<string, number>();
  private nextForeign = FOREIGN_INO_BASE;

  /** Wraps rootFd (an O_PATH|O_DIRECTORY fd of the host directory, owned from now on). */
  constructor(rootFd: number, o: HostFsOptions = {}) {
    super();
    this.readOnly = true;
    this.rootFd = rootFd;
    this.fds = new FdCache(o.fdCacheSize ?? 256);
    const r = hostFstatat(rootFd, '', H_AT_EMPTY_PATH, statBuf);
    if (r < 0) throw new Error(`hostfs: cannot stat the root directory: errno ${-r}`);
    decodeStat(statBuf, hst);
    if ((hst.mode & S_IFMT) !== S_IFDIR) throw new Error('hostfs: the root is not a directory');
    this.rootHostDev = hst.dev;
    this.rootInode = new HostDir(this, null, '', hst);
    this.rootInode.fd = rootFd;
    this.rootInode.pins = 1; // never evicted
    const sf = new Uint8Array(120);
    if (hostFstatfs(rootFd, sf) >= 0) this.magic = new DataView(sf.buffer).getUint32(0, true);
  }

  /** Opens the host directory `path` (an operator-given absolute path) as a HostFs. */
  static open(path: string, o: HostFsOptions = {}): HostFs {
    const fd = hostOpenat(H_AT_FDCWD, path, H_O_PATH | H_O_DIRECTORY, 0);
    if (fd < 0) throw new Error(`hostfs: cannot open ${path}: errno ${-fd}`);
    return new HostFs(fd, o);
  }

  root(): HostDir {
    return this.rootInode;
  }

  /** The sentry-visible inode number of a host (dev, ino). */
  mapIno(dev: number, ino: number): number {
    if (dev === this.rootHostDev && ino < DIRECT_INO_LIMIT) return ino;
    const key = `${dev}:${ino}`;
    let v = this.foreign.get(key);
    if (v === undefined) {
      v = this.nextForeign++;
      this.foreign.set(key, v);
    }
    return v;
  }

  override statfs(out: StatFs): number {
    super.statfs(out);
    const b = Buffer.alloc(120);
    if (hostFstatfs(this.rootFd, b) < 0) return 0;
    const u64 = (o: number) => b.readUInt32LE(o + 4) * 4294967296 + b.readUInt32LE(o);
    out.type = u64(0);
    out.bsize = u64(8);
    out.blocks = u64(16);
    out.bfree = u64(24);
    out.bavail = u64(32);
    out.files = u64(40);
    out.ffree = u64(48);
    out.namelen = u64(64);
    out.frsize = u64(72);
    return 0;
  }

  /** Creates the inode for a child from its host attributes. */
  makeInode(parent: HostDir, name: string, st: Stat): HostInode {
    switch (st.mode & S_IFMT) {
      case S_IFDIR: return new HostDir(this, parent, name, st);
      case S_IFREG: return new HostFile(this, parent, name, st);
      case S_IFLNK: return new HostSymlink(this, parent, name, st);
      default: return new HostSpecial(this, parent, name, st);
    }
  }
}

export abstract class HostInode extends Inode implements FdHolder {
  readonly ino: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly hostDev: number;
  readonly hostIno: number;
  protected readonly nlink: number;
  protected readonly hsize: number;
  protected readonly hblocks: number;
  protected readonly hrdev: number;
  private readonly times: Float64Array;
  fd = -1;
  pins = 0;

  constructor(readonly fs: HostFs, readonly parent: HostDir | null, readonly name: string, st: Stat) {
    super();
    this.hostDev = st.dev;
    this.hostIno = st.ino;
    this.ino = fs.mapIno(st.dev, st.ino);
    this.mode = st.mode;
    this.uid = st.uid;
    this.gid = st.gid;
    this.nlink = st.nlink;
    this.hsize = st.size;
    this.hblocks = st.blocks;
    this.hrdev = st.rdev;
    this.times = new Float64Array([st.atimeSec, st.atimeNsec, st.mtimeSec, st.mtimeNsec, st.ctimeSec, st.ctimeNsec]);
  }

  override get rdev(): number {
    return this.hrdev;
  }

  get size(): number {
    return this.hsize;
  }

  stat(st: Stat): void {
    st.dev = this.fs.dev;
    st.ino = this.ino;
    st.nlink = this.nlink;
    st.mode = this.mode;
    st.uid = this.uid;
    st.gid = this.gid;
    st.rdev = this.hrdev;
    st.size = this.hsize;
    st.blksize = 4096;
    st.blocks = this.hblocks;
    const t = this.times;
    st.atimeSec = t[0];
    st.atimeNsec = t[1];
    st.mtimeSec = t[2];
    st.mtimeNsec = t[3];
    st.ctimeSec = t[4];
    st.ctimeNsec = t[5];
    st.hasBtime = false;
  }

  /** Opens this object on the host relative to its parent's fd (never by path). */
  protected reopen(flags: number): number {
    const p = this.parent;
    if (p === null) return -E.ESTALE;
    const pfd = p.getFd();
    if (pfd < 0) return pfd;
    const fd = hostOpenat(pfd, this.name, flags | H_O_NOFOLLOW, 0);
    if (fd < 0) return fd;
    // The host tree must not have changed under us: same device and inode.
    if (hostFstatat(fd, '', H_AT_EMPTY_PATH, statBuf) < 0) {
      hostClose(fd);
      return -E.ESTALE;
    }
    decodeStat(statBuf, hst);
    if (hst.dev !== this.hostDev || hst.ino !== this.hostIno) {
      hostClose(fd);
      return -E.ESTALE;
    }
    return fd;
  }

  /** This object's cached host fd (opened on demand), or -errno. */
  getFd(): number {
    if (this.fd >= 0) {
      this.fs.fds.touch(this);
      return this.fd;
    }
    const fd = this.reopen(this.openFlags());
    if (fd < 0) return fd;
    this.fd = fd;
    this.fs.fds.add(this);
    return fd;
  }

  protected openFlags(): number {
    return H_O_PATH;
  }

  override open(_t: VfsTask, _mnt: Mount, _d: Dentry, _flags: number): FileDescription | number {
    return -E.ENXIO;
  }
}

export class HostDir extends HostInode {
  protected override openFlags(): number {
    return H_O_PATH | H_O_DIRECTORY;
  }

  override lookup(_t: VfsTask, name: string): Inode | number {
    const fd = this.getFd();
    if (fd < 0) return fd;
    const r = hostFstatat(fd, name, H_AT_SYMLINK_NOFOLLOW, statBuf);
    if (r < 0) return r;
    decodeStat(statBuf, hst);
    return this.fs.makeInode(this, name, hst);
  }

  override readdir(_t: VfsTask): DirEntry[] | number {
    const fd = this.getFd();
    if (fd < 0) return fd;
    const dfd = hostOpenat(fd, '.', H_O_RDONLY | H_O_DIRECTORY, 0);
    if (dfd < 0) return dfd;
    const out: DirEntry[] = [];
    const buf = dirBuf;
    try {
      for (;;) {
        const n = hostGetdents64(dfd, buf);
        if (n < 0) return n;
        if (n === 0) break;
        let off = 0;
        while (off < n) {
          const ino = buf.readUInt32LE(off + 4) * 4294967296 + buf.readUInt32LE(off);
          const reclen = buf.readUInt16LE(off + 16);
          let type = buf[off + 18];
          const end = buf.indexOf(0, off + 19);
          const name = buf.toString('latin1', off + 19, end < 0 || end > off + reclen ? off + reclen : end);
          off += reclen;
          if (name === '.' || name === '..') continue;
          if (type === DT_UNKNOWN) {
            if (hostFstatat(fd, name, H_AT_SYMLINK_NOFOLLOW, statBuf) >= 0) {
              decodeStat(statBuf, hst);
              type = dtype(hst.mode);
            }
          }
          out.push({ name, ino: this.fs.mapIno(this.hostDev, ino), type });
        }
      }
    } finally {
      hostClose(dfd);
    }
    return out;
  }

  override isEmptyDir(t: VfsTask): boolean {
    const r = this.readdir(t);
    return typeof r !== 'number' && r.length === 0;
  }

  override open(_t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    return new DirectoryFile(mnt, d, flags);
  }
}

const dirBuf = Buffer.alloc(65536);

export class HostFile extends HostInode {
  protected override openFlags(): number {
    return H_O_RDONLY | H_O_NONBLOCK;
  }

  /** pread of the file's bytes (MapSource.readForMap and read(2) both use it). */
  readAt(dst: Uint8Array, dstOff: number, len: number, pos: number): number {
    const fd = this.getFd();
    if (fd < 0) return fd;
    let done = 0;
    // A host pread may return short (large counts); keep going until EOF or len.
    while (done < len) {
      const r = hostPread(fd, dst, dstOff + done, len - done, pos + done);
      if (r < 0) return done > 0 ? done : r;
      if (r === 0) break;
      done += r;
    }
    return done;
  }

  /** Keeps the host fd open while a description uses it. */
  pinFd(): void {
    this.fs.fds.pin(this);
  }

  unpinFd(): void {
    this.fs.fds.unpin(this);
  }

  override open(_t: VfsTask, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
    const fd = this.getFd();
    if (fd < 0) return fd;
    return new HostFileFD(mnt, d, flags, this);
  }
}

/** An open regular host file (always read-only: writes go to the overlay's upper layer). */
export class HostFileFD extends RegularFileFD {
  private released = false;

  constructor(mnt: Mount, d: Dentry, flags: number, readonly file: HostFile) {
    super(mnt, d, flags);
    file.pinFd();
  }

  override read(_t: VfsTask, dst: Uint8Array, dstOff: number, len: number, pos: number): number {
    const p = pos < 0 ? this.offset : pos;
    const n = this.file.readAt(dst, dstOff, len, p);
    if (n > 0 && pos < 0) this.offset = p + n;
    return n;
  }

  override write(): number {
    return -E.EBADF;
  }

  protected override release(): void {
    if (this.released) return;
    this.released = true;
    this.file.unpinFd();
  }
}

export class HostSymlink extends HostInode {
  private target: string | null = null;

  override readlink(_t: VfsTask): string | number {
    if (this.target !== null) return this.target;
    const p = this.parent;
    if (p === null) return -E.EINVAL;
    const pfd = p.getFd();
    if (pfd < 0) return pfd;
    const n = hostReadlinkat(pfd, this.name, linkBuf);
    if (n < 0) return n;
    const target = linkBuf.toString('latin1', 0, n);
    this.target = target;
    return target;
  }

  override open(): FileDescription | number {
    return -E.ELOOP;
  }
}

const linkBuf = Buffer.alloc(4096);

/** Device nodes, FIFOs and sockets of the host tree: attributes only. */
export class HostSpecial extends HostInode {}
