// Anonymous files (eventfd, timerfd, epoll, pidfd): like Linux, they share one inode on
// one pseudo file system and differ only in their names ("anon_inode:[eventfd]").
import * as E from '../../abi/errno';
import { S_IFREG } from '../../vfs/abi';
import { Dentry } from '../../vfs/dentry';
import { Inode } from '../../vfs/inode';
import { PseudoFs } from '../../vfs/pseudofs';
import { Stat } from '../../vfs/stat';

const anonFs = new PseudoFs('anon_inodefs', 0x09041934);

/** Linux shares one inode among anonymous files. */
class AnonInode extends Inode {
  readonly ino = 1;
  readonly uid = 0;
  readonly gid = 0;
  readonly mode = S_IFREG | 0o600;
  readonly fs = anonFs;
  stat(st: Stat): void {
    st.reset();
    st.dev = this.fs.dev;
    st.ino = this.ino;
    st.mode = this.mode;
    st.nlink = 1;
    st.blksize = 4096;
  }
  open(): number {
    return -E.ENXIO;
  }
}

const anonInode = new AnonInode();
export const anonMount = anonFs.mount;

/** The dentry of an anonymous file called name ("anon_inode:[eventfd]"). */
export function anonDentry(name: string): Dentry {
  return new Dentry(name, null, anonInode);
}

