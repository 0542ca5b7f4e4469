// sockfs: the pseudo file system every socket's inode lives on, whatever its family
// (Linux: net/socket.c's sock_mnt). fstat shows S_IFSOCK, /proc/pid/fd shows socket:[ino].
import * as E from '../abi/errno';
import { S_IFSOCK } from '../vfs/abi';
import { Dentry } from '../vfs/dentry';
import { Inode } from '../vfs/inode';
import type { Mount } from '../vfs/mount';
import { PseudoFs } from '../vfs/pseudofs';
import type { Stat } from '../vfs/stat';

const sockFs = new PseudoFs('sockfs', 0x534f434b);
// Linux's socket inodes come from a counter that is in the thousands by the time a
// program runs, and tools rely on it: net-tools' netstat -p skips "socket:[N]" links
// shorter than 11 characters.
sockFs.nextIno = 10000;

export class SocketInode extends Inode {
  readonly fs = sockFs;
  readonly ino = sockFs.nextIno++;
  readonly mode = S_IFSOCK | 0o777;

  constructor(readonly uid: number, readonly gid: number) {
    super();
  }

  stat(st: Stat): void {
    st.reset();
    st.dev = this.fs.dev;
    st.ino = this.ino;
    st.mode = this.mode;
    st.nlink = 1;
    st.uid = this.uid;
    st.gid = this.gid;
    st.blksize = 4096;
  }

  open(): number {
    return -E.ENXIO;
  }
}

export const sockMount: Mount = sockFs.mount;

/** A new socket inode owned by (uid, gid), and its dentry socket:[ino]. */
export function socketDentry(uid: number, gid: number): Dentry {
  const inode = new SocketInode(uid, gid);
  return new Dentry(`socket:[${inode.ino}]`, null, inode);
}
