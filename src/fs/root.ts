// Builds a container's file-system tree:
//   /      overlay: in-memory upper (tmpfs) over the read-only host directory rootDir
//          (or, with overlay "none", the host directory itself, writable unless read-only)
//   then the mounts asked for (an OCI config's list, or DEFAULT_MOUNTS), in order:
//   bind mounts of host files and directories, tmpfs, proc, mqueue, cgroup; a tmpfs on
//   /dev is the sentry's devtmpfs (null, zero, full, random, urandom, the fd links).
// and offers what the CLI and kernel need at boot: fs contexts, stdio wrapping and
// execve's open.
import { readFileSync } from 'fs';
import * as E from '../abi/errno';
import { Credentials } from '../auth/creds';
import type { Kernel } from '../kernel/kernel';
import type { MM } from '../mm/mm';
import type { MemoryFile } from '../mm/memfile';
import type { WaitQueue } from '../waiter/waiter';
import { O_CREAT, O_NONBLOCK, O_WRONLY, S_IFCHR, isDir } from '../vfs/abi';
import { FsContext } from '../vfs/context';
import { Dentry } from '../vfs/dentry';
import { DeviceRegistry } from '../vfs/devices';
import type { FileDescription } from '../vfs/file';
import type { FileSystem, Inode } from '../vfs/inode';
import { MNT_NODEV, MNT_NOEXEC, MNT_NOSUID, MNT_RDONLY, Mount, MountNamespace, VPath } from '../vfs/mount';
import { ExecHandle, checkChdir, fdPath, mkdirAt, openAt, openExecutable } from '../vfs/ops';
import { fsPolicy } from '../vfs/policy';
import type { FdTable } from '../vfs/fdtable';
import { DateTimeSource, TimeSource, makedev } from '../vfs/stat';
import type { VfsTask } from '../vfs/task';
import { Walk, lookupChild, walkPath } from '../vfs/walk';
import { RandomFn, buildDevFs } from './dev/dev';
import { DevPtsFs, registerDevTty } from './devpts/devpts';
import { HostFs } from './host/hostfs';
import { DEFAULT_MOUNTS, MountSpec, MountSpecError, ParsedMount, parseMountSpec, parseSize } from './mountspec';
import { HostConsole, HostPtyTerminal, adoptHostTerminal, hostConsole, isConsoleStream, wrapHostStdio } from './host/stdio';
import { acquireOnOpen } from './tty/jobctl';
import { OverlayFs } from './overlay/overlay';
import { newPipe, setPipeClock } from './pipe/pipe';
import { kernelProcSource, kernelSystemSource } from './proc/kernel_source';
import { ProcFs } from './proc/proc';
import type { ProcSource, SystemSource } from './proc/source';
import { SysFs, newSysfs } from './sys/sysfs';
import { TmpDir, TmpFs } from './tmpfs/tmpfs';

export interface RootFsOptions {
  /** Host directory shown as the container's root (default "/"). */
  rootDir?: string;
  /** Or an O_PATH|O_DIRECTORY fd of it, opened by the caller (taken over). */
  rootFd?: number;
  /** The kernel's randomness service (for /dev/random and /dev/urandom). */
  random: RandomFn;
  /** The kernel's clock (file times); defaults to Date.now(). */
  clock?: TimeSource;
  /** Bound on cached host fds of the root's lower layer (default 256). */
  hostFdCacheSize?: number;
  /**
   * fs.protected_hardlinks / fs.protected_symlinks inside the sandbox; by default the
   * host's values (read from /proc/sys/fs at boot), else Linux distributions' default (on).
   */
  protectedHardlinks?: boolean;
  protectedSymlinks?: boolean;
  /**
   * The root's upper layer: "memory" (default; writes live in the sentry, the host tree
   * is never changed) or "none" (the host directory itself is the root).
   */
  overlay?: 'memory' | 'none';
  /** Where the overlay's upper layer keeps file data (default: the sentry's heap). */
  upperData?: MemoryFile;
  /** Mount the root read-only (OCI root.readonly). */
  rootReadonly?: boolean;
  /** What to mount, in order (default DEFAULT_MOUNTS). Checked before anything is built. */
  mounts?: readonly MountSpec[];
  /** Bytes of RAM that a tmpfs size=N% is a percentage of (default 8 GiB). */
  ramBytes?: number;
}

export { DEFAULT_MOUNTS };

function hostSysctl(name: string, dflt: boolean): boolean {
  try {
    return readFileSync(`/proc/sys/fs/${name}`, 'latin1').trim() !== '0';
  } catch {
    return dflt;
  }
}

/** A VfsTask for work the sentry does on its own behalf at boot (root, all capabilities). */
class BootTask implements VfsTask {
  readonly creds = Credentials.root();
  readonly restarting = false;
  readonly timedOut = false;
  ioProgress = 0;
  readonly tid = 0;
  readonly tgid = 0;
  get mm(): MM {
    throw new Error('boot task has no memory');
  }
  block(_q: WaitQueue, _mask: number, _deadlineNs: number): number {
    throw new Error('boot task cannot block');
  }
  blockOnHostFd(_fd: number, _events: number, _deadlineNs: number): number {
    throw new Error('boot task cannot block');
  }
  interrupted(): boolean {
    return false;
  }
}

export class RootFs {
  readonly ns: MountNamespace;
  readonly devices = new DeviceRegistry();
  /** The overlay's layers (null with overlay "none"). */
  readonly upper: TmpFs | null;
  readonly lower: HostFs;
  readonly overlay: OverlayFs | null;
  /** Every procfs instance mounted (each reads the kernel once setKernel is called). */
  readonly procs: ProcFs[] = [];
  /** The devpts instance for /dev/ptmx, once one is mounted. */
  devpts: DevPtsFs | null = null;
  /** The mount on /dev (the console node goes there). */
  private devMnt: Mount | null = null;
  private readonly boot = new BootTask();
  private readonly rootPath: VPath;
  private readonly clock: TimeSource;
  private readonly random: RandomFn;
  private readonly ramBytes: number;
  private procSource: ProcSource | null = null;
  private procSystem: SystemSource | null = null;

  /** Builds the tree; a bad mount request throws MountSpecError before anything is mounted. */
  constructor(o: RootFsOptions) {
    const parsed = (o.mounts ?? DEFAULT_MOUNTS).map((m, i) => parseMountSpec(m, `mounts[${i}]`));
    const clock = o.clock ?? new DateTimeSource();
    this.clock = clock;
    this.random = o.random;
    this.ramBytes = o.ramBytes ?? 8 * 1024 ** 3;
    setPipeClock(clock);
    fsPolicy.protectedHardlinks = o.protectedHardlinks ?? hostSysctl('protected_hardlinks', true);
    fsPolicy.protectedSymlinks = o.protectedSymlinks ?? hostSysctl('protected_symlinks', true);
    const noOverlay = o.overlay === 'none';
    const hostOpts = { fdCacheSize: o.hostFdCacheSize, writable: noOverlay && o.rootReadonly !== true };
    this.lower = o.rootFd !== undefined ? new HostFs(o.rootFd, hostOpts) : HostFs.open(o.rootDir ?? '/', hostOpts);
    let rootFs: FileSystem;
    if (noOverlay) {
      this.upper = null;
      this.overlay = null;
      rootFs = this.lower;
    } else {
      this.upper = new TmpFs({ clock, name: 'overlay-upper', fileData: o.upperData ?? null });
      this.overlay = new OverlayFs(this.upper, this.lower);
      rootFs = this.overlay;
    }
    const rootD = new Dentry('/', null, rootFs.root());
    this.ns = new MountNamespace(rootFs, rootD, this.devices, 0, noOverlay ? 'rootfs' : 'overlay');
    this.rootPath = new VPath(this.ns.root, rootD);
    this.ns.newFs = (type, options) => this.mountSyscallFs(type, options);
    for (const m of parsed) this.mountOne(m);
    // Mountpoints are made first; then the root becomes read-only (as runc does).
    if (o.rootReadonly === true) this.ns.root.flags |= MNT_RDONLY;
  }

  /** Mounts one checked request, creating its mountpoint in the tree if needed. */
  private mountOne(m: ParsedMount): void {
    let fs: FileSystem;
    let inode: Inode;
    let flags = m.flags;
    if (m.kind === 'bind') {
      let b;
      try {
        b = HostFs.openBind(m.source, { writable: (m.flags & MNT_RDONLY) === 0 });
      } catch (e) {
        throw new MountSpecError(`mount ${m.destination}: source ${(e as Error).message}`);
      }
      fs = b.fs;
      inode = b.inode;
    } else {
      const made = this.newFileSystem(m, m.destination === '/dev');
      if (typeof made === 'string') throw new MountSpecError(`mount ${m.destination}: ${made}`);
      fs = made;
      inode = fs.root();
      if (m.kind === 'cgroup' || m.kind === 'cgroup2') flags |= MNT_RDONLY;
    }
    const at = this.mountpoint(m.destination, isDir(inode.mode));
    if (typeof at === 'string') throw new MountSpecError(`mount ${m.destination}: ${at}`);
    const mnt = this.ns.mount(fs, new Dentry('/', null, inode), at, flags, m.kind === 'bind' ? 'none' : m.source);
    if (m.destination === '/dev') this.devMnt = mnt;
    // TIOCGPTPEER opens slaves through the instance's mount.
    if (fs instanceof DevPtsFs) fs.mount = mnt;
  }

  /**
   * A new file system of a checked request's kind (not bind), or why not. dev: it is the
   * container's /dev, which gets the device nodes.
   */
  newFileSystem(m: ParsedMount, dev: boolean): FileSystem | string {
    const mode = (dflt: number) => (m.data.has('mode') ? parseInt(m.data.get('mode') as string, 8) : dflt);
    const id = (k: string) => (m.data.has(k) ? Number(m.data.get(k)) : 0);
    switch (m.kind) {
      case 'tmpfs': {
        const size = m.data.has('size') ? (parseSize(m.data.get('size') as string, this.ramBytes) ?? 0) : 0;
        if (dev) {
          return buildDevFs({ clock: this.clock, random: this.random, devices: this.devices, rootMode: mode(0o755), sizeLimit: size });
        }
        return new TmpFs({ clock: this.clock, rootMode: mode(0o1777), rootUid: id('uid'), rootGid: id('gid'), sizeLimit: size });
      }
      case 'proc': {
        const p = new ProcFs(this.clock);
        if (this.procSource !== null) p.source = this.procSource;
        p.system = this.procSystem;
        this.procs.push(p);
        return p;
      }
      case 'devpts': {
        // One ptmx device per sandbox: the newest instance answers /dev/ptmx.
        if (this.devpts === null) registerDevTty(this.devices);
        const d = new DevPtsFs(this.devices, this.clock);
        this.devpts = d;
        return d;
      }
      case 'sysfs':
        return newSysfs({ clock: this.clock }) as SysFs;
      case 'mqueue':
        // POSIX message queues are not offered (mq_open is ENOSYS); the directory exists.
        return new TmpFs({ clock: this.clock, rootMode: 0o1777, name: 'mqueue', magic: 0x19800202 });
      case 'cgroup':
      case 'cgroup2':
        // The cgroup hierarchy is not modelled: an empty directory (mounted read-only).
        return new TmpFs({ clock: this.clock, rootMode: 0o555, name: m.kind, magic: m.kind === 'cgroup2' ? 0x63677270 : 0x27e0eb });
      default:
        return `type ${m.kind} is not supported yet`;
    }
  }

  /** mount(2)'s way to a new file system: (type, comma-separated options) -> fs or -errno. */
  private mountSyscallFs(type: string, options: string): FileSystem | number {
    if (type === 'bind' || type === 'none' || type === '') return -E.ENODEV;
    let m: ParsedMount;
    try {
      m = parseMountSpec({ destination: '/x', type, source: type, options: options === '' ? [] : options.split(',') }, 'mount');
    } catch (e) {
      if (!(e instanceof MountSpecError)) throw e;
      return /is not supported/.test(e.message) ? -E.ENODEV : -E.EINVAL;
    }
    const fs = this.newFileSystem(m, false);
    return typeof fs === 'string' ? -E.ENODEV : fs;
  }

  /**
   * The position of path in the container (its symlinks resolved inside the container),
   * creating missing directories and, for a file mount, an empty file; or a message.
   */
  private mountpoint(path: string, dir: boolean): VPath | string {
    const ctx = new FsContext(this.rootPath);
    const w = new Walk().init(this.boot, ctx);
    let r = walkPath(w, path, true);
    if (r === -E.ENOENT) {
      const slash = path.lastIndexOf('/');
      if (slash > 0) {
        const p = this.mountpoint(path.slice(0, slash), true);
        if (typeof p === 'string') return p;
      }
      const wc = new Walk().init(this.boot, ctx);
      if (dir) r = mkdirAt(wc, path, 0o755, 0);
      else {
        const f = openAt(wc, path, O_CREAT | O_WRONLY, 0o644, 0);
        r = typeof f === 'number' ? f : (f.decRef(), 0);
      }
      if (r < 0 && r !== -E.EEXIST) return `cannot create the mountpoint: errno ${-r}`;
      r = walkPath(w.init(this.boot, ctx), path, true);
    }
    if (r < 0) return `cannot reach the mountpoint: errno ${-r}`;
    if (isDir(w.d.inode.mode) !== dir) return dir ? 'the mountpoint is not a directory' : 'the mountpoint is a directory';
    return new VPath(w.mnt, w.d);
  }

  /**
   * OCI maskedPaths: a directory gets an empty read-only tmpfs on top, anything else a
   * read-only null device, so the app reads nothing there. Missing paths are skipped.
   */
  maskPath(path: string): void {
    const at = this.existing(path);
    if (at === null) return;
    const fs = new TmpFs({ clock: this.clock, rootMode: 0o555 });
    const inode = isDir(at.d.inode.mode)
      ? fs.root()
      : fs.newInode({ mode: S_IFCHR | 0o666, uid: 0, gid: 0, rdev: makedev(1, 3) });
    this.ns.mount(fs, new Dentry('/', null, inode), at, MNT_RDONLY | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC, 'tmpfs');
  }

  /** OCI readonlyPaths: the path bound onto itself read-only. Missing paths are skipped. */
  readonlyPath(path: string): void {
    const at = this.existing(path);
    if (at === null) return;
    this.ns.mount(at.mnt.fs, at.d, at, at.mnt.flags | MNT_RDONLY, at.mnt.source);
  }

  /** The position of an existing path in the container, or null. */
  private existing(path: string): VPath | null {
    const w = new Walk().init(this.boot, new FsContext(this.rootPath));
    return walkPath(w, path, true) < 0 ? null : new VPath(w.mnt, w.d);
  }

  /** The mount namespace's mounts (for tests and /proc). */
  mounts(): Mount[] {
    return this.ns.all();
  }

  /** Lets /proc read the kernel's processes. */
  setKernel(k: Kernel): void {
    this.setProcSource(kernelProcSource(k));
    this.procSystem = kernelSystemSource(k);
    for (const p of this.procs) p.system = this.procSystem;
  }

  setProcSource(s: ProcSource): void {
    this.procSource = s;
    for (const p of this.procs) p.source = s;
  }

  /**
   * A new FsContext with root "/" and the working directory cwd (an absolute path in
   * the container; "/" by default). Returns -errno when cwd cannot be entered.
   */
  fsContext(cwd = '/'): FsContext | number {
    const ctx = new FsContext(this.rootPath);
    if (cwd === '/' || cwd === '') return ctx;
    const w = new Walk().init(this.boot, ctx);
    let r = walkPath(w, cwd, true);
    if (r < 0) return r;
    r = checkChdir(this.boot, w.d);
    if (r < 0) return r;
    ctx.cwd = new VPath(w.mnt, w.d);
    return ctx;
  }

  /**
   * A host fd (the sentry's stdio 0, 1, 2, or one handed over for a process) as a
   * description for a process (one reference; install it with FdTable.installAt). null
   * when the fd is closed. With own the fd is taken over (see wrapHostStdio); a terminal
   * with console is the container's console (/dev/console). Must run
   * before the sandbox confines itself (it reopens through /proc/self/fd).
   */
  stdio(hostFd: number, console = hostFd === 0, own = false, asPts = false): FileDescription | null {
    const f = wrapHostStdio(hostFd, own, console);
    if (console) this.addConsole();
    const con = hostConsole();
    const dev = this.devMnt;
    if (f === null || con === null || dev === null || !isConsoleStream(f)) return f;
    if (asPts) {
      const g = this.consoleAsPts(con, f.flags);
      if (g !== null) {
        f.decRef();
        return g;
      }
    }
    // The console terminal appears as /dev/console (fstat, /proc/self/fd, ttyname), as
    // a container's console is a device of its own /dev.
    const d = lookupChild(this.boot, dev.root, 'console');
    if (typeof d === 'number') return f;
    const g = con.openCtty(this.boot, dev, d, f.flags);
    f.decRef();
    return typeof g === 'number' ? null : g;
  }

  /**
   * A pipe's read end that yields text and then end of file (a hook's stdin: the
   * container's state). Text beyond a pipe's capacity (64 KiB) is cut.
   */
  textInput(text: string): FileDescription {
    const [r, w] = newPipe(this.boot, O_NONBLOCK);
    const b = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < b.length) {
      const n = w.write(this.boot, b, off, b.length - off, 0);
      if (n <= 0) break;
      off += n;
    }
    w.decRef();
    r.flags &= ~O_NONBLOCK;
    return r;
  }

  /**
   * A host pty slave handed over for an exec'd process (`exec --tty`; the fd is taken
   * over) as its terminal: one description for its 0, 1 and 2, and the control that
   * becomes its controlling terminal. Where /dev/pts is mounted the terminal is shown
   * there as /dev/pts/N, owned by uid, and the description is opened through that node,
   * so ttyname() finds it as in runc (whose exec makes its pty in the container's devpts).
   * null when the fd is not a terminal.
   */
  terminal(hostFd: number, uid: number): { f: FileDescription; term: HostPtyTerminal } | null {
    const t = adoptHostTerminal(hostFd);
    if (t === null) return null;
    const pts = this.devpts;
    const mnt = pts?.mount ?? null;
    if (pts === null || mnt === null) return t;
    const term = t.term;
    const slave = {
      open: (vt: VfsTask, m: Mount, d: Dentry, flags: number) => {
        const f = term.openCtty(vt, m, d, flags);
        if (typeof f !== 'number') acquireOnOpen(vt, term, flags);
        return f;
      },
    };
    const index = pts.addHostSlave(slave, uid);
    if (index < 0) return t;
    term.ttyNr = makedev(136, index);
    term.onClose = () => pts.removeHostSlave(index, slave);
    const d = lookupChild(this.boot, mnt.root, String(index));
    if (typeof d === 'number') return t;
    const g = term.openCtty(this.boot, mnt, d, t.f.flags);
    if (typeof g === 'number') return t;
    t.f.decRef();
    return { f: g, term };
  }

  /**
   * An OCI container's console (process.terminal) as runc shows it: a terminal of the
   * container's devpts, /dev/pts/N (the first, so 0), bound onto /dev/console. The
   * same open description serves the three stdio fds; null without a devpts (then it is
   * /dev/console alone).
   */
  private ptsConsole: Dentry | null = null;
  private consoleAsPts(con: HostConsole, flags: number): FileDescription | null {
    const pts = this.devpts;
    const mnt = pts?.mount ?? null;
    if (pts === null || mnt === null) return null;
    if (this.ptsConsole === null) {
      const slave = {
        open: (vt: VfsTask, m: Mount, d: Dentry, fl: number) => {
          const f = con.openCtty(vt, m, d, fl);
          if (typeof f !== 'number') acquireOnOpen(vt, con, fl);
          return f;
        },
      };
      const index = pts.addHostSlave(slave, 0);
      if (index < 0) return null;
      const d = lookupChild(this.boot, mnt.root, String(index));
      if (typeof d === 'number') return null;
      con.ttyNr = makedev(136, index);
      this.ptsConsole = d;
      // /dev/console is that node, bound over the 5:1 node, as runc binds it.
      const at = this.existing('/dev/console');
      if (at !== null) this.ns.mount(mnt.fs, d, at, mnt.flags, mnt.source);
    }
    const g = con.openCtty(this.boot, mnt, this.ptsConsole, flags);
    return typeof g === 'number' ? null : g;
  }

  /**
   * /dev/console (5:1) when stdin is a host terminal, as runc makes it only for a container
   * with a terminal; without one there is no node (open gives ENOENT, as in Docker).
   */
  private addConsole(): void {
    const con = hostConsole();
    const dev = this.devMnt;
    if (con === null || dev === null || !(dev.fs instanceof TmpFs)) return;
    const root = dev.fs.root();
    if (root.lookup(this.boot, 'console') !== -E.ENOENT) return;
    this.devices.registerChar(5, 1, (t, mnt, d, flags) => con.openCtty(t, mnt, d, flags));
    (root as TmpDir).addEntry('console', dev.fs.newInode({ mode: S_IFCHR | 0o600, uid: 0, gid: 0, rdev: makedev(5, 1) }));
  }

  /** execve's open, for the kernel's openExec (the caller owns the handle). */
  openExecutable(t: VfsTask, ctx: FsContext, path: string): ExecHandle | number {
    return openExecutable(t, ctx, path);
  }

  /** The kernel's KernelVfs.openExec: resolves relative to t's cwd and root. */
  openExec(t: VfsTask & { readonly fs: FsContext }, path: string): ExecHandle | number {
    return openExecutable(t, t.fs, path);
  }

  /** The kernel's KernelVfs.fdPath (execveat). */
  fdPath(t: { readonly fdTable: FdTable; readonly fs: FsContext }, fd: number): string | number {
    return fdPath(t.fdTable, t.fs.root, fd);
  }

  /** openExecutable as the boot task (the container's first process, before it exists). */
  openExecutableAtBoot(ctx: FsContext, path: string): ExecHandle | number {
    return openExecutable(this.boot, ctx, path);
  }

  /** Whether path names a directory in the container (for --cwd checks). */
  isDirectory(path: string): boolean {
    const ctx = this.fsContext();
    if (typeof ctx === 'number') return false;
    const w = new Walk().init(this.boot, ctx);
    return walkPath(w, path, true) === 0 && isDir(w.d.inode.mode);
  }
}

/** Builds the root file system tree (see RootFs). */
export function buildRootFs(o: RootFsOptions): RootFs {
  return new RootFs(o);
}

