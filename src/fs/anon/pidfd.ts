// pidfds: a file that names a process. Readable (in poll's sense) once the process has
// exited; pidfd_send_signal and waitid(P_PIDFD) act through it.
import type { ThreadGroup } from '../../kernel/threadgroup';
import { O_RDWR } from '../../vfs/abi';
import { FileDescription } from '../../vfs/file';
import { EVENT_IN, EVENT_RDNORM, WaitQueue } from '../../waiter/waiter';
import { anonDentry, anonMount } from './anon';

const pidfdDentry = anonDentry('anon_inode:[pidfd]');

export class PidFd extends FileDescription {
  constructor(readonly tg: ThreadGroup, flags: number) {
    super(anonMount, pidfdDentry, O_RDWR | flags);
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
