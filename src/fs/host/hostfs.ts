// A host directory as a file system, reached only through fds: read-only (the image
// below the root overlay) or writable (bind mounts, a root without overlay).
//
// One O_PATH|O_DIRECTORY fd for the root is opened before anything else; every further
// host access is relative to a directory fd with a single name and O_NOFOLLOW /
// AT_SYMLINK_NOFOLLOW, so the host never resolves a path on the app's behalf. Symlinks
// are read with readlinkat and resolved by the sentry's own walk, inside the
// container's root: a symlink to /etc/shadow names the container's /etc/shadow, and
// ".." stops at the container's root. No host path outside the root can be reached.
//
// A read-only host tree is treated as immutable while the sandbox runs (it is the
// image's lower layer): attributes are read once per name. A writable one is the
// sandbox's to change, and others may change it too (a shared volume): attributes are
// re-read from the host whenever they are asked for. Directory listings are always read
// when a directory is listed. Directory and file fds are cached in one LRU of bounded
// size, so walking a tree of 10,000 files keeps a few hundred host fds at most; an
// evicted directory fd is reopened from its parent by name and checked to be the same
// directory (device and inode).
import * as E from '../../abi/errno';
import type { MapSource } from '../../mm/mm';
import {
  H_AT_EMPTY_PATH, H_AT_FDCWD, H_AT_REMOVEDIR, H_AT_SYMLINK_NOFOLLOW, H_O_APPEND, H_O_CREAT, H_O_DIRECTORY, H_O_EXCL,
  H_O_NOFOLLOW, H_O_NONBLOCK, H_O_PATH, H_O_RDONLY, H_O_RDWR, H_O_WRONLY,
  hostClose, hostFchmodat, hostFchownat, hostFstatat, hostFstatfs, hostFsync, hostFtruncate, hostGetdents64,
  hostLinkat, hostMkdirat, hostMknodat, hostOpenat, hostPread, hostPwrite, hostReadlinkat, hostRenameat2,
  hostSymlinkat, hostUnlinkat, hostUtimensat,
} from '../../platform/hostfile';
import {
  DT_UNKNOWN, O_ACCMODE, O_APPEND, O_RDONLY, O_RDWR, O_WRONLY, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK,
  dtype,
} from '../../vfs/abi';
import type { Dentry } from '../../vfs/dentry';
import { DirectoryFile, FileDescription, FileMapSource, seekTo } from '../../vfs/file';
import { RegularFileFD } from '../../vfs/regular';
import { CreateArgs, DirEntry, FileSystem, Inode, StatFs } from '../../vfs/inode';
import type { Mount } from '../../vfs/mount';
import { mapNameOf } from '../../vfs/ops';
import { SetAttr, Stat, UTIME_OMIT, decodeStat } from '../../vfs/stat';
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

  /** Holders pinned through this cache. */
  pinned = 0;

  pin(h: FdHolder): void {
    if (h.pins++ === 0) {
      this.lru.delete(h);
      this.pinned++;
    }
  }

  unpin(h: FdHolder): void {
    if (--h.pins === 0) {
      this.pinned--;
      if (h.fd >= 0) this.add(h);
    }
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

  /** Closes every cached fd (pinned ones stay); they reopen from their parents on use. */
  drop(): void {
    while (this.lru.size > 0) this.evictOne();
  }
}

/** Every HostFs made in this process (the sandbox process stages their roots, below). */
const liveHostFs = new Set<HostFs>();

/**
 * The host directory fds the sandbox process holds, for its confinement: each HostFs's
 * root (closing the fds cached below them first, which reopen from the root later). The
 * confinement replaces each root fd, at the same number, by one of the same directory
 * seen through a bind mount of its own, so ".." can never climb above it (for a single
 * file's mount: by a directory holding only that file, bind-mounted). Returns them, or
 * null when a pinned fd below a root is open (it would keep the host's tree).
 */
export function hostDirsToStage(): { fd: number; readOnly: boolean; file?: string }[] | null {
  const out: { fd: number; readOnly: boolean; file?: string }[] = [];
  for (const fs of liveHostFs) {
    fs.fds.drop();
    if (fs.pinnedBelowRoot() > 0) return null;
    out.push({ fd: fs.rootFd, readOnly: fs.readOnly, file: fs.boundFile });
  }
  return out;
}

const statBuf = Buffer.alloc(144);
const hst = new Stat();

export interface HostFsOptions {
  /** At most this many cached (unpinned) host fds; default 256. */
  fdCacheSize?: number;
  /** Lets the sandbox change the host tree (a writable bind mount or root). */
  writable?: boolean;
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
    this.readOnly = o.writable !== true;
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
    liveHostFs.add(this);
  }

  /**
   * For a bind mount of a single file: its name in the root directory, the only entry
   * the mount shows (the confinement then keeps only that file within reach).
   */
  boundFile: string | undefined;

  /** Inodes below the root whose fds are pinned (open files and directories). */
  pinnedBelowRoot(): number {
    return this.fds.pinned;
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

  /**
   * Opens an operator-given host path for a bind mount: the file system and the inode the
   * mount shows. A directory becomes the root of its own HostFs; a file is shown through
   * a HostFs of its directory, whose other entries the mount cannot reach (".." at a
   * mount's root leaves the mount). The path itself is the operator's and may hold
   * symlinks, which the host resolves (as runc does) before anything runs.
   */
  static openBind(path: string, o: HostFsOptions): { fs: HostFs; inode: HostInode } {
    const fd = hostOpenat(H_AT_FDCWD, path, H_O_PATH, 0);
    if (fd < 0) throw new Error(`cannot open ${path}: ${E.errnoName(-fd)}`);
    hostFstatat(fd, '', H_AT_EMPTY_PATH, statBuf);
    decodeStat(statBuf, hst);
    if ((hst.mode & S_IFMT) === S_IFDIR) {
      const fs = new HostFs(fd, o);
      return { fs, inode: fs.root() };
    }
    const dev = hst.dev, ino = hst.ino;
    const n = hostReadlinkat(H_AT_FDCWD, `/proc/self/fd/${fd}`, linkBuf); // its resolved path (before confinement)
    hostClose(fd);
    const real = n > 0 ? linkBuf.toString('latin1', 0, n) : '';
    const slash = real.lastIndexOf('/');
    if (!real.startsWith('/') || slash < 0) throw new Error(`cannot resolve ${path}`);
    const dfd = hostOpenat(H_AT_FDCWD, slash === 0 ? '/' : real.slice(0, slash), H_O_PATH | H_O_DIRECTORY, 0);
    if (dfd < 0) throw new Error(`cannot open the directory of ${path}: ${E.errnoName(-dfd)}`);
    const fs = new HostFs(dfd, o);
    const name = real.slice(slash + 1);
    fs.boundFile = name;
    const r = hostFstatat(dfd, name, H_AT_SYMLINK_NOFOLLOW, statBuf);
    decodeStat(statBuf, hst);
    if (r < 0 || hst.dev !== dev || hst.ino !== ino) throw new Error(`${path} changed while it was being mounted`);
    return { fs, inode: fs.makeInode(fs.root(), name, hst) };
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
  // The attributes below are the host's as last read: once for a read-only tree, again
  // on every stat and after every change for a writable one (see refresh).
  mode: number;
  uid: number;
  gid: number;
  readonly hostDev: number;
  readonly hostIno: number;
  protected nlink: number;
  protected hsize: number;
  protected hblocks: number;
  protected readonly hrdev: number;
  private readonly times: Float64Array;
  fd = -1;
  pins = 0;

  /** Where the inode is on the host: its directory and name (renames move them). */
  constructor(readonly fs: HostFs, public parent: HostDir | null, public name: string, st: Stat) {
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
    this.times = new Float64Array(6);
    this.setTimes(st);
  }

  private setTimes(st: Stat): void {
    const t = this.times;
    t[0] = st.atimeSec;
    t[1] = st.atimeNsec;
    t[2] = st.mtimeSec;
    t[3] = st.mtimeNsec;
    t[4] = st.ctimeSec;
    t[5] = st.ctimeNsec;
  }

  /**
   * Re-reads the attributes of a writable tree's object from the host (by its own fd
   * when one is cached, else by name below its directory). The object must still be the
   * same host file (device and inode); if the name now holds another one, the old
   * attributes stay.
   */
  refresh(): void {
    if (this.fs.readOnly) return;
    let r: number;
    if (this.fd >= 0) r = hostFstatat(this.fd, '', H_AT_EMPTY_PATH, statBuf);
    else if (this.parent === null) r = hostFstatat(this.fs.rootFd, '', H_AT_EMPTY_PATH, statBuf);
    else {
      const pfd = this.parent.getFd();
      r = pfd < 0 ? pfd : hostFstatat(pfd, this.name, H_AT_SYMLINK_NOFOLLOW, statBuf);
    }
    if (r < 0) return;
    decodeStat(statBuf, hst);
    if (hst.dev !== this.hostDev || hst.ino !== this.hostIno) return;
    this.mode = hst.mode;
    this.uid = hst.uid;
    this.gid = hst.gid;
    this.nlink = hst.nlink;
    this.hsize = hst.size;
    this.hblocks = hst.blocks;
    this.setTimes(hst);
  }

  /**
   * (dirfd, name, flags) naming this object for an *at call that must not follow it: its
   * directory's fd and its name, or the root's own fd with AT_EMPTY_PATH.
   */
  protected where(): [number, string, number] | number {
    if (this.parent === null) return [this.fs.rootFd, '', H_AT_EMPTY_PATH];
    const pfd = this.parent.getFd();
    if (pfd < 0) return pfd;
    return [pfd, this.name, H_AT_SYMLINK_NOFOLLOW];
  }

  override get rdev(): number {
    return this.hrdev;
  }

  get size(): number {
    if (!this.fs.readOnly) this.refresh();
    return this.hsize;
  }

  override setattr(_t: VfsTask, a: SetAttr): number {
    if (this.fs.readOnly) return -E.EROFS;
    const w = this.where();
    if (typeof w === 'number') return w;
    const [dfd, name, flags] = w;
    let r = 0;
    if (a.size >= 0) {
      r = this.truncateTo(a.size);
      if (r < 0) return r;
    }
    if (a.uid >= 0 || a.gid >= 0) {
      r = hostFchownat(dfd, name, a.uid, a.gid, flags);
      if (r < 0) return r;
    }
    if (a.mode >= 0) {
      // fchmodat2 with AT_SYMLINK_NOFOLLOW: a name swapped for a symlink is not followed.
      r = hostFchmodat(dfd, name, a.mode & 0o7777, flags);
      if (r < 0) return r;
    }
    if (a.atimeNsec !== UTIME_OMIT || a.mtimeNsec !== UTIME_OMIT) {
      r = hostUtimensat(dfd, name, a.atimeSec, a.atimeNsec, a.mtimeSec, a.mtimeNsec, flags);
      if (r < 0) return r;
    }
    this.refresh();
    return 0;
  }

  protected truncateTo(_size: number): number {
    return (this.mode & S_IFMT) === S_IFDIR ? -E.EISDIR : -E.EINVAL;
  }

  stat(st: Stat): void {
    if (!this.fs.readOnly) this.refresh();
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

  // ---- changes (writable trees only; the VFS has checked permissions and names) --------

  /** The new child called name as an inode, after giving it the caller's owner. */
  private created(name: string, a: CreateArgs): Inode | number {
    const fd = this.getFd();
    if (fd < 0) return fd;
    // Best effort, like a file server running without CAP_CHOWN: the file exists either way.
    hostFchownat(fd, name, a.uid, a.gid, H_AT_SYMLINK_NOFOLLOW);
    const r = hostFstatat(fd, name, H_AT_SYMLINK_NOFOLLOW, statBuf);
    if (r < 0) return r;
    decodeStat(statBuf, hst);
    const inode = this.fs.makeInode(this, name, hst);
    this.refresh(); // (reuses hst)
    return inode;
  }

  override create(_t: VfsTask, name: string, a: CreateArgs): Inode | number {
    if (this.fs.readOnly) return -E.EROFS;
    const fd = this.getFd();
    if (fd < 0) return fd;
    const type = a.mode & S_IFMT;
    if (type === S_IFREG) {
      const f = hostOpenat(fd, name, H_O_CREAT | H_O_EXCL | H_O_WRONLY | H_O_NOFOLLOW | H_O_NONBLOCK, a.mode & 0o7777);
      if (f < 0) return f;
      hostClose(f);
    } else if (type === S_IFIFO || type === S_IFSOCK) {
      const r = hostMknodat(fd, name, a.mode);
      if (r < 0) return r;
    } else {
      // No device nodes on the host: one made here could be opened by host processes.
      return -E.EPERM;
    }
    return this.created(name, a);
  }

  override mkdir(_t: VfsTask, name: string, a: CreateArgs): Inode | number {
    if (this.fs.readOnly) return -E.EROFS;
    const fd = this.getFd();
    if (fd < 0) return fd;
    const r = hostMkdirat(fd, name, a.mode & 0o7777);
    if (r < 0) return r;
    return this.created(name, a);
  }

  override symlink(_t: VfsTask, name: string, target: string, a: CreateArgs): Inode | number {
    if (this.fs.readOnly) return -E.EROFS;
    const fd = this.getFd();
    if (fd < 0) return fd;
    const r = hostSymlinkat(target, fd, name);
    if (r < 0) return r;
    return this.created(name, a);
  }

  override link(_t: VfsTask, name: string, target: Inode): number {
    if (this.fs.readOnly) return -E.EROFS;
    if (!(target instanceof HostInode) || target.fs !== this.fs || target.parent === null) return -E.EXDEV;
    const fd = this.getFd();
    if (fd < 0) return fd;
    const tfd = target.parent.getFd();
    if (tfd < 0) return tfd;
    const r = hostLinkat(tfd, target.name, fd, name);
    if (r < 0) return r;
    // The name might have been swapped on the host since the lookup: undo a wrong link.
    if (hostFstatat(fd, name, H_AT_SYMLINK_NOFOLLOW, statBuf) >= 0) {
      decodeStat(statBuf, hst);
      if (hst.dev !== target.hostDev || hst.ino !== target.hostIno) {
        hostUnlinkat(fd, name, 0);
        return -E.ESTALE;
      }
    }
    target.refresh();
    this.refresh();
    return 0;
  }

  override unlink(_t: VfsTask, name: string, child: Inode): number {
    if (this.fs.readOnly) return -E.EROFS;
    const fd = this.getFd();
    if (fd < 0) return fd;
    const r = hostUnlinkat(fd, name, 0);
    if (r < 0) return r;
    if (child instanceof HostInode) child.refresh();
    this.refresh();
    return 0;
  }

  override rmdir(_t: VfsTask, name: string, _child: Inode): number {
    if (this.fs.readOnly) return -E.EROFS;
    const fd = this.getFd();
    if (fd < 0) return fd;
    const r = hostUnlinkat(fd, name, H_AT_REMOVEDIR);
    if (r < 0) return r;
    this.refresh();
    return 0;
  }

  override rename(_t: VfsTask, oldName: string, child: Inode, newDir: Inode, newName: string,
    replaced: Inode | null, flags: number): number {
    if (this.fs.readOnly) return -E.EROFS;
    if (!(newDir instanceof HostDir) || newDir.fs !== this.fs) return -E.EXDEV;
    const ofd = this.getFd();
    if (ofd < 0) return ofd;
    const nfd = newDir.getFd();
    if (nfd < 0) return nfd;
    const r = hostRenameat2(ofd, oldName, nfd, newName, flags);
    if (r < 0) return r;
    // The inodes follow their names, so later *at calls find them where they now are.
    if (child instanceof HostInode) {
      child.parent = newDir;
      child.name = newName;
    }
    if ((flags & RENAME_EXCHANGE_FLAG) !== 0 && replaced instanceof HostInode) {
      replaced.parent = this;
      replaced.name = oldName;
    }
    this.refresh();
    if (newDir !== this) newDir.refresh();
    return 0;
  }
}

const RENAME_EXCHANGE_FLAG = 2;

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
    const acc = flags & O_ACCMODE;
    if (acc === O_RDONLY || this.fs.readOnly) return new HostFileFD(mnt, d, flags, this, -1);
    // A writable description gets its own host fd, opened the same checked way.
    const hflags = (acc === O_WRONLY ? H_O_WRONLY : acc === O_RDWR ? H_O_RDWR : H_O_RDONLY) |
      ((flags & O_APPEND) !== 0 ? H_O_APPEND : 0) | H_O_NONBLOCK;
    const wfd = this.reopen(hflags);
    if (wfd < 0) return wfd;
    return new HostFileFD(mnt, d, flags, this, wfd);
  }

  protected override truncateTo(size: number): number {
    const fd = this.reopen(H_O_WRONLY | H_O_NONBLOCK);
    if (fd < 0) return fd;
    const r = hostFtruncate(fd, size);
    hostClose(fd);
    return r;
  }
}

/**
 * An open regular host file. Read-only descriptions read through the file's cached fd;
 * writable ones (writable trees only; the image's files are written in the overlay's
 * upper layer) own a host fd opened with the same access mode.
 */
export class HostFileFD extends RegularFileFD {
  private released = false;

  constructor(mnt: Mount, d: Dentry, flags: number, readonly file: HostFile, private readonly wfd: number) {
    super(mnt, d, flags);
    file.pinFd();
  }

  override read(_t: VfsTask, dst: Uint8Array, dstOff: number, len: number, pos: number): number {
    const p = pos < 0 ? this.offset : pos;
    const n = this.file.readAt(dst, dstOff, len, p);
    if (n > 0 && pos < 0) this.offset = p + n;
    return n;
  }

  override write(_t: VfsTask, src: Uint8Array, srcOff: number, len: number, pos: number): number {
    if (this.wfd < 0) return -E.EBADF;
    // An O_APPEND host fd appends even for pwrite (as Linux does for the app's own fd).
    const p = this.append ? this.file.size : pos < 0 ? this.offset : pos;
    const n = hostPwrite(this.wfd, src, srcOff, len, p);
    if (n < 0) return n;
    if (pos < 0) this.offset = p + n;
    return n;
  }

  override truncate(_t: VfsTask, size: number): number {
    if (this.wfd < 0) return -E.EINVAL;
    const r = hostFtruncate(this.wfd, size);
    this.file.refresh();
    return r;
  }

  override fsync(): number {
    return this.wfd < 0 ? 0 : hostFsync(this.wfd, false);
  }

  protected override release(): void {
    if (this.released) return;
    this.released = true;
    if (this.wfd >= 0) hostClose(this.wfd);
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
