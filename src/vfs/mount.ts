// Mounts and mount namespaces. A Mount attaches a file system's root dentry at a
// dentry of a parent mount; a position in the file-system tree is a (mount, dentry)
// pair. Each container of a pod gets its own namespace; the file systems below can be
// shared between namespaces.
import { Dentry } from './dentry';
import type { DeviceRegistry } from './devices';
import type { FileSystem } from './inode';

/** Per-mount flags (MS_* values, as mount(2) and statfs report them). */
export const MNT_RDONLY = 1, MNT_NOSUID = 2, MNT_NODEV = 4, MNT_NOEXEC = 8;

let nextMountId = 1;

export class Mount {
  readonly id = nextMountId++;
  /** Mounts attached below this one (for umount and /proc/mounts). */
  readonly children: Mount[] = [];

  constructor(
    readonly ns: MountNamespace | null,
    readonly fs: FileSystem,
    /** The dentry of fs this mount shows (its root, or a subdirectory for bind mounts). */
    readonly root: Dentry,
    /** Where it is attached; null for a namespace's root mount and for anonymous mounts. */
    readonly parent: Mount | null,
    readonly mountpoint: Dentry | null,
    public flags: number,
    /** Source as /proc/mounts shows it ("tmpfs", "proc", "overlay", ...). */
    readonly source: string,
  ) {}

  get readOnly(): boolean {
    return (this.flags & MNT_RDONLY) !== 0 || this.fs.readOnly;
  }
}

/** A position in the tree: mount + dentry. Immutable; held by FsContext and files. */
export class VPath {
  constructor(readonly mnt: Mount, readonly d: Dentry) {}
}

export class MountNamespace {
  readonly root: Mount;
  /**
   * mount(2)'s file-system types: a new file system of `type` with mount(2)'s option
   * string, or -errno (ENODEV for unknown types). Set by whoever builds the namespace.
   */
  newFs: ((type: string, options: string) => FileSystem | number) | null = null;
  /** Mountpoint dentry -> the mounts on it (any parent mount), most recent last. */
  private readonly byMountpoint = new Map<Dentry, Mount[]>();

  constructor(
    rootFs: FileSystem,
    rootDentry: Dentry,
    /** How device nodes seen through this namespace are opened. */
    readonly devices: DeviceRegistry,
    flags = 0,
    source = 'none',
  ) {
    this.root = new Mount(this, rootFs, rootDentry, null, null, flags, source);
  }

  /** The mount on (parent, d), if any (the most recent one hides older ones). */
  lookup(parent: Mount, d: Dentry): Mount | null {
    const list = this.byMountpoint.get(d);
    if (list === undefined) return null;
    for (let i = list.length - 1; i >= 0; i--) if (list[i].parent === parent) return list[i];
    return null;
  }

  /** Attaches fs (showing root) at the position `at`. */
  mount(fs: FileSystem, root: Dentry, at: VPath, flags: number, source: string): Mount {
    const m = new Mount(this, fs, root, at.mnt, at.d, flags, source);
    let list = this.byMountpoint.get(at.d);
    if (list === undefined) {
      list = [];
      this.byMountpoint.set(at.d, list);
    }
    list.push(m);
    at.d.mountCount++;
    at.mnt.children.push(m);
    return m;
  }

  /** Detaches m and, first, every mount below it (umount2 with MNT_DETACH). */
  umountTree(m: Mount): number {
    while (m.children.length > 0) this.umountTree(m.children[m.children.length - 1]);
    return this.umount(m);
  }

  /** Detaches m (which must have no children). */
  umount(m: Mount): number {
    if (m.parent === null || m.mountpoint === null || m.children.length > 0) return -16; // EBUSY
    const list = this.byMountpoint.get(m.mountpoint);
    if (list !== undefined) {
      const i = list.indexOf(m);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.byMountpoint.delete(m.mountpoint);
    }
    m.mountpoint.mountCount--;
    const j = m.parent.children.indexOf(m);
    if (j >= 0) m.parent.children.splice(j, 1);
    return 0;
  }

  /** Every mount, parents before children (for /proc/mounts). */
  all(): Mount[] {
    const out: Mount[] = [];
    const visit = (m: Mount) => {
      out.push(m);
      for (const c of m.children) visit(c);
    };
    visit(this.root);
    return out;
  }
}

/** Creates a mount that belongs to no namespace (pipes, sockets, anonymous inodes). */
export function anonMount(fs: FileSystem, root: Dentry): Mount {
  return new Mount(null, fs, root, null, null, 0, fs.name);
}
