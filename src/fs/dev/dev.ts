// /dev: a tmpfs (as a container runtime mounts it) holding the device nodes the sentry
// emulates, plus the usual links. The devices themselves are registered by number in
// the VFS device registry, so a node made with mknod anywhere opens the same device.
//
//   null 1:3   zero 1:5   full 1:7   random 1:8   urandom 1:9
//   fd -> /proc/self/fd   stdin|stdout|stderr -> /proc/self/fd/0|1|2
//
//   tty 5:0   ptmx -> pts/ptmx   console 5:1 (only when the sandbox's stdin is a terminal)
//
// Randomness comes from a function the kernel passes in (its one randomness service),
// never Math.random.
import * as E from '../../abi/errno';
import type { MapSource } from '../../mm/mm';
import { S_IFCHR, S_IFLNK } from '../../vfs/abi';
import type { Dentry } from '../../vfs/dentry';
import type { DeviceRegistry } from '../../vfs/devices';
import { FileDescription, FileMapSource } from '../../vfs/file';
import type { Mount } from '../../vfs/mount';
import { makedev } from '../../vfs/stat';
import type { TimeSource } from '../../vfs/stat';
import type { VfsTask } from '../../vfs/task';
import { TmpFs } from '../tmpfs/tmpfs';

export type RandomFn = (buf: Uint8Array, off: number, len: number) => void;

const enum Kind {
  Null,
  Zero,
  Full,
  Random,
}

/** Zero bytes for mappings of /dev/zero. */
const zeroSource = {
  readAt(dst: Uint8Array, off: number, len: number): number {
    dst.fill(0, off, off + len);
    return len;
  },
};

/** An open memory-class device (null, zero, full, random, urandom). */
class MemDeviceFD extends FileDescription {
  constructor(mnt: Mount, d: Dentry, flags: number, private readonly kind: Kind, private readonly random: RandomFn) {
    super(mnt, d, flags);
  }

  override get seekable(): boolean {
    return true;
  }

  override read(_t: VfsTask, dst: Uint8Array, off: number, len: number): number {
    switch (this.kind) {
      case Kind.Null:
        return 0;
      case Kind.Random:
        this.random(dst, off, len);
        return len;
      default:
        dst.fill(0, off, off + len);
        return len;
    }
  }

  override write(_t: VfsTask, _src: Uint8Array, _off: number, len: number): number {
    return this.kind === Kind.Full ? -E.ENOSPC : len;
  }

  /** These devices ignore seeks and always report offset 0 (Linux's noop/null lseek). */
  override lseek(): number {
    this.offset = 0;
    return 0;
  }

  override fsync(): number {
    return 0;
  }

  override mapSource(): MapSource | null {
    return this.kind === Kind.Zero ? new FileMapSource(zeroSource, '/dev/zero (deleted)', 0, this.dentry.inode.ino) : null;
  }
}

export interface DevFsOptions {
  clock?: TimeSource;
  random: RandomFn;
  devices: DeviceRegistry;
  /** Mode of /dev itself (default 0755). */
  rootMode?: number;
  /** size= of the tmpfs (0: unlimited). */
  sizeLimit?: number;
}

/** Registers the memory devices and returns a populated tmpfs to mount on /dev. */
export function buildDevFs(o: DevFsOptions): TmpFs {
  const random = o.random;
  const reg = (minor: number, kind: Kind) =>
    o.devices.registerChar(1, minor, (_t: VfsTask, mnt: Mount, d: Dentry, flags: number) =>
      new MemDeviceFD(mnt, d, flags, kind, random));
  reg(3, Kind.Null);
  reg(5, Kind.Zero);
  reg(7, Kind.Full);
  reg(8, Kind.Random);
  reg(9, Kind.Random);

  const fs = new TmpFs({ clock: o.clock, rootMode: o.rootMode ?? 0o755, name: 'tmpfs', sizeLimit: o.sizeLimit });
  const root = fs.root();
  const node = (name: string, minor: number) =>
    root.addEntry(name, fs.newInode({ mode: S_IFCHR | 0o666, uid: 0, gid: 0, rdev: makedev(1, minor) }));
  node('null', 3);
  node('zero', 5);
  node('full', 7);
  node('random', 8);
  node('urandom', 9);
  const link = (name: string, target: string) =>
    root.addEntry(name, fs.newInode({ mode: S_IFLNK | 0o777, uid: 0, gid: 0, rdev: 0 }, target));
  // /dev/tty (5:0) opens the caller's controlling terminal (fs/devpts); /dev/ptmx is the
  // link runc makes to the devpts instance's ptmx.
  root.addEntry('tty', fs.newInode({ mode: S_IFCHR | 0o666, uid: 0, gid: 0, rdev: makedev(5, 0) }));
  link('ptmx', 'pts/ptmx');
  link('fd', '/proc/self/fd');
  link('stdin', '/proc/self/fd/0');
  link('stdout', '/proc/self/fd/1');
  link('stderr', '/proc/self/fd/2');
  // /dev/pts, /dev/shm and /dev/mqueue are mountpoints, made when something is mounted there.
  return fs;
}
