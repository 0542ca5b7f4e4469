// A file system with nothing in it but its root directory: the home of anonymous files
// (pipes, pidfds, the sentry's host stdio wrappers). Their inodes live on it so stat and
// /proc/pid/fd show a device and a name, and its mount belongs to no namespace.
import * as E from '../abi/errno';
import { S_IFDIR } from './abi';
import { Dentry } from './dentry';
import { FileSystem, Inode } from './inode';
import { Mount, anonMount } from './mount';
import { Stat } from './stat';

export class PseudoFs extends FileSystem {
  private readonly rootInode: PseudoRoot;
  /** The mount anonymous files of this file system are opened on. */
  readonly mount: Mount;
  /** Next inode number for files made on this file system. */
  nextIno = 2;

  constructor(readonly name: string, readonly magic: number) {
    super();
    this.rootInode = new PseudoRoot(this);
    this.mount = anonMount(this, new Dentry(`${name}:`, null, this.rootInode));
  }

  root(): Inode {
    return this.rootInode;
  }
}

class PseudoRoot extends Inode {
  readonly ino = 1;
  readonly mode = S_IFDIR | 0o500;
  readonly uid = 0;
  readonly gid = 0;
  constructor(readonly fs: PseudoFs) {
    super();
  }
  stat(st: Stat): void {
    st.reset();
    st.dev = this.fs.dev;
    st.ino = 1;
    st.mode = this.mode;
    st.nlink = 2;
  }
  open(): number {
    return -E.ENXIO;
  }
}
