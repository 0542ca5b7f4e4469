// pidfds: a file that names a process. Readable (in poll's sense) once the process has
// exited; pidfd_send_signal and waitid(P_PIDFD) act through it.
import type { ThreadGroup } from '../../kernel/threadgroup';
import { O_RDWR, S_IFREG } from '../../vfs/abi';
import { Dentry } from '../../vfs/dentry';
import { FileDescription } from '../../vfs/file';
import { Inode } from '../../vfs/inode';
import { PseudoFs } from '../../vfs/pseudofs';
import { Stat } from '../../vfs/stat';
import { EVENT_IN, EVENT_RDNORM, WaitQueue } from '../../waiter/waiter';

const anonFs = new PseudoFs('anon_inodefs', 0x09041934);

/** Linux shares one inode among anonymous files; so do we ("anon_inode:[pidfd]"). */
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
    return -6; // ENXIO
  }
}

const pidfdDentry = new Dentry('anon_inode:[pidfd]', null, new AnonInode());

export class PidFd extends FileDescription {
  constructor(readonly tg: ThreadGroup, flags: number) {
    super(anonFs.mount, pidfdDentry, O_RDWR | flags);
  }

  override readiness(mask: number): number {
    return this.tg.exitStatus >= 0 ? mask & (EVENT_IN | EVENT_RDNORM) : 0;
  }

  override get waitQueue(): WaitQueue {
    return this.tg.exitWait;
  }

  override get anonName(): string {
    return 'anon_inode:[pidfd]';
  }
}
