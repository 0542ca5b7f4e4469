// Unix socket addresses and the tables that find a socket by its name.
//
// Two namespaces, as in Linux's af_unix: path names are found through the file system
// (bind creates an S_IFSOCK inode, connect resolves the path and looks the inode up here),
// abstract names (sun_path[0] == 0) live only in this table. Linux hashes abstract names
// together with the socket type, so a stream and a datagram socket can hold the same
// abstract name and a lookup only ever finds a socket of the caller's type; the key here
// includes the type for the same effect.
//
// The tables belong to the sandbox (Linux: the network namespace). One sentry process
// serves one sandbox today, so one module-level instance is that sandbox's.
import { Stat } from '../../vfs/stat';
import type { Inode } from '../../vfs/inode';

export const AF_UNIX = 1;
/** offsetof(struct sockaddr_un, sun_path) */
export const SUN_PATH_OFFSET = 2;
/** sizeof(struct sockaddr_un) */
export const SOCKADDR_UN_SIZE = 110;

/** A bound name: the sockaddr bytes as getsockname returns them (their length is the addrlen). */
export class UnixAddr {
  constructor(
    readonly bytes: Buffer,
    readonly abstract: boolean,
    /** Table key of an abstract name; the path (latin1) of a path name. */
    readonly name: string,
  ) {}

  get len(): number {
    return this.bytes.length;
  }
}

/** Builds an abstract address from the raw sun_path bytes (leading NUL included). */
export function abstractAddr(path: Buffer): UnixAddr {
  const b = Buffer.alloc(SUN_PATH_OFFSET + path.length);
  b.writeUInt16LE(AF_UNIX, 0);
  path.copy(b, SUN_PATH_OFFSET);
  return new UnixAddr(b, true, path.toString('latin1'));
}

/**
 * A path address: Linux stores sun_path up to its first NUL (the name may use all 108
 * bytes without one) plus a NUL, so its length is offsetof(sun_path) + strlen + 1.
 */
export function pathAddr(path: string): UnixAddr {
  const b = Buffer.alloc(SUN_PATH_OFFSET + path.length + 1);
  b.writeUInt16LE(AF_UNIX, 0);
  b.write(path, SUN_PATH_OFFSET, 'latin1');
  return new UnixAddr(b, false, path);
}

/** What the name tables hold (the socket class, kept abstract to avoid an import cycle). */
export interface Bindable {
  readonly type: number;
}

const st = new Stat();

export class UnixNames<S extends Bindable> {
  private readonly abstractNames = new Map<string, S>();
  private readonly inodes = new Map<string, S>();

  private static abstractKey(type: number, name: string): string {
    return `${type}:${name}`;
  }

  /** The key of a socket inode: st_dev and st_ino (overlay inodes are wrappers, not identities). */
  static inodeKey(inode: Inode): string {
    inode.stat(st);
    return `${st.dev}:${st.ino}`;
  }

  findAbstract(type: number, name: string): S | undefined {
    return this.abstractNames.get(UnixNames.abstractKey(type, name));
  }

  addAbstract(s: S, name: string): void {
    this.abstractNames.set(UnixNames.abstractKey(s.type, name), s);
  }

  removeAbstract(s: S, name: string): void {
    const k = UnixNames.abstractKey(s.type, name);
    if (this.abstractNames.get(k) === s) this.abstractNames.delete(k);
  }

  findInode(key: string): S | undefined {
    return this.inodes.get(key);
  }

  addInode(key: string, s: S): void {
    this.inodes.set(key, s);
  }

  removeInode(key: string, s: S): void {
    if (this.inodes.get(key) === s) this.inodes.delete(key);
  }
}
