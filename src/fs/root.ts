// Builds a container's file-system tree:
//   /      overlay: in-memory upper (tmpfs) over the read-only host directory rootDir
//   /tmp   tmpfs (1777)
//   /dev   devtmpfs-like tmpfs with null, zero, full, random, urandom and the fd links
//   /proc  procfs (reads the kernel's tasks once setProcSource/setKernel is called)
// and offers what the CLI and kernel need at boot: fs contexts, stdio wrapping and
// execve's open.
import { readFileSync } from 'fs';
import { Credentials } from '../auth/creds';
import type { Kernel } from '../kernel/kernel';
import type { MM } from '../mm/mm';
import type { WaitQueue } from '../waiter/waiter';
import { S_IFDIR, isDir } from '../vfs/abi';
import { FsContext } from '../vfs/context';
import { Dentry } from '../vfs/dentry';
import { DeviceRegistry } from '../vfs/devices';
import type { FileDescription } from '../vfs/file';
import type { FileSystem } from '../vfs/inode';
import { MNT_NODEV, MNT_NOEXEC, MNT_NOSUID, MountNamespace, VPath } from '../vfs/mount';
import { ExecHandle, checkChdir, fdPath, openExecutable } from '../vfs/ops';
import { fsPolicy } from '../vfs/policy';
import type { FdTable } from '../vfs/fdtable';
import { DateTimeSource, TimeSource } from '../vfs/stat';
import type { VfsTask } from '../vfs/task';
import { Walk, lookupChild, walkPath } from '../vfs/walk';
import { RandomFn, buildDevFs } from './dev/dev';
import { HostFs } from './host/hostfs';
import { wrapHostStdio } from './host/stdio';
import { OverlayFs } from './overlay/overlay';
import { setPipeClock } from './pipe/pipe';
import { kernelProcSource, kernelSystemSource } from './proc/kernel_source';
import { ProcFs } from './proc/proc';
import type { ProcSource } from './proc/source';
import { SysFs, newSysfs } from './sys/sysfs';
import { TmpFs } from './tmpfs/tmpfs';

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
}

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
  readonly upper: TmpFs;
  readonly lower: HostFs;
  readonly overlay: OverlayFs;
  readonly tmp: TmpFs;
  readonly dev: TmpFs;
  readonly proc: ProcFs;
  readonly sys: SysFs;
  private readonly boot = new BootTask();
  private readonly rootPath: VPath;

  constructor(o: RootFsOptions) {
    const clock = o.clock ?? new DateTimeSource();
    setPipeClock(clock);
    fsPolicy.protectedHardlinks = o.protectedHardlinks ?? hostSysctl('protected_hardlinks', true);
    fsPolicy.protectedSymlinks = o.protectedSymlinks ?? hostSysctl('protected_symlinks', true);
    const hostOpts = { fdCacheSize: o.hostFdCacheSize };
    this.lower = o.rootFd !== undefined ? new HostFs(o.rootFd, hostOpts) : HostFs.open(o.rootDir ?? '/', hostOpts);
    this.upper = new TmpFs({ clock, name: 'overlay-upper' });
    this.overlay = new OverlayFs(this.upper, this.lower);
    const rootD = new Dentry('/', null, this.overlay.root());
    this.ns = new MountNamespace(this.overlay, rootD, this.devices, 0, 'overlay');
    this.rootPath = new VPath(this.ns.root, rootD);

    this.tmp = new TmpFs({ clock, rootMode: 0o1777 });
    this.dev = buildDevFs({ clock, random: o.random, devices: this.devices });
    this.proc = new ProcFs(clock);
    this.mountOn('tmp', this.tmp, MNT_NOSUID | MNT_NODEV, 'tmpfs');
    this.mountOn('dev', this.dev, MNT_NOSUID, 'tmpfs');
    this.mountOn('proc', this.proc, MNT_NOSUID | MNT_NODEV | MNT_NOEXEC, 'proc');
    this.sys = newSysfs({ clock });
    this.mountOn('sys', this.sys, MNT_NOSUID | MNT_NODEV | MNT_NOEXEC, 'sysfs');
  }

  /** Mounts fs on /name, creating the directory in the overlay if the image lacks it. */
  private mountOn(name: string, fs: FileSystem, flags: number, source: string): void {
    const root = this.rootPath.d;
    let d = lookupChild(this.boot, root, name);
    if (typeof d === 'number') {
      const ino = root.inode.mkdir(this.boot, name, { mode: S_IFDIR | 0o755, uid: 0, gid: 0, rdev: 0 });
      if (typeof ino === 'number') throw new Error(`cannot create /${name} for a mount: errno ${-ino}`);
      root.forget(name);
      d = new Dentry(name, root, ino);
      root.addChild(d);
    }
    this.ns.mount(fs, new Dentry('/', null, fs.root()), new VPath(this.ns.root, d), flags, source);
  }

  /** Lets /proc read the kernel's processes. */
  setKernel(k: Kernel): void {
    this.proc.source = kernelProcSource(k);
    this.proc.system = kernelSystemSource(k);
  }

  setProcSource(s: ProcSource): void {
    this.proc.source = s;
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
   * The sentry's host stdio fd (0, 1, 2) as a description for the first process (one
   * reference; install it with FdTable.installAt). null when the fd is closed. Must run
   * before the sandbox confines itself (it reopens through /proc/self/fd).
   */
  stdio(hostFd: number): FileDescription | null {
    return wrapHostStdio(hostFd);
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

