// Named pipes (FIFOs made by mknod/mkfifo): every open of the inode is an end of one
// pipe buffer that lives while the inode does. Opening follows Linux's fifo_open:
// - O_RDONLY waits for a writer (unless O_NONBLOCK);
// - O_WRONLY waits for a reader; with O_NONBLOCK and no reader it fails with ENXIO;
// - O_RDWR never waits.
// The waiting end already counts (a nonblocking writer opening meanwhile succeeds), and
// a waiter is released by any partner open since it started (the open counters), even
// if that partner has closed again.
//
// A blocked open returns BLOCKED and runs again: the end made by the first run waits in
// `pending` for it (and is dropped by fifoTaskExit if the task dies meanwhile).
import * as E from '../../abi/errno';
import { O_ACCMODE, O_NONBLOCK, O_RDONLY, O_RDWR, O_WRONLY } from '../../vfs/abi';
import type { Dentry } from '../../vfs/dentry';
import type { FileDescription } from '../../vfs/file';
import type { Inode } from '../../vfs/inode';
import type { Mount } from '../../vfs/mount';
import type { VfsTask } from '../../vfs/task';
import { EVENT_ALL } from '../../waiter/waiter';
import { Pipe, PipeFD } from './pipe';

class FifoState {
  readonly pipe = new Pipe();
  /** Opens for reading / writing so far (Linux's r_counter, w_counter). */
  rOpens = 0;
  wOpens = 0;
}

/** An end of a named pipe: /proc/pid/fd shows its path, not "pipe:[N]". */
export class FifoFD extends PipeFD {
  override get anonName(): string {
    return '';
  }
}

const fifos = new WeakMap<Inode, FifoState>();
/** Opens that are waiting for a partner: the end, and the partner counter it started at. */
const pending = new WeakMap<VfsTask, { fd: FifoFD; inode: Inode; start: number }>();

export function openFifo(t: VfsTask, inode: Inode, mnt: Mount, d: Dentry, flags: number): FileDescription | number {
  let s = fifos.get(inode);
  if (s === undefined) {
    s = new FifoState();
    fifos.set(inode, s);
  }
  const p = s.pipe;
  const acc = flags & O_ACCMODE;
  const w = pending.get(t);
  if (w !== undefined && t.restarting && w.inode === inode) {
    // A re-run of an open that was waiting.
    const partner = acc === O_RDONLY ? s.wOpens : s.rOpens;
    if (partner !== w.start) {
      pending.delete(t);
      return w.fd;
    }
    if (t.interrupted()) {
      pending.delete(t);
      w.fd.decRef();
      return -E.ERESTARTSYS;
    }
    return t.block(p.queue, EVENT_ALL, -1);
  }
  if (w !== undefined) {
    pending.delete(t);
    w.fd.decRef();
  }
  const nonblock = (flags & O_NONBLOCK) !== 0;
  if (acc === O_WRONLY && nonblock && p.readers === 0) return -E.ENXIO;
  const fd = new FifoFD(mnt, d, flags, p);
  if (acc === O_RDONLY || acc === O_RDWR) s.rOpens++;
  if (acc === O_WRONLY || acc === O_RDWR) s.wOpens++;
  // Wake openers waiting for this side (and pollers: harmless).
  p.queue.notify(EVENT_ALL);
  if (acc === O_RDONLY && p.writers === 0 && !nonblock) return wait(t, fd, inode, s.wOpens);
  if (acc === O_WRONLY && p.readers === 0) return wait(t, fd, inode, s.rOpens);
  return fd;
}

/** A task is gone: an open it was waiting in no longer counts as an end. */
export function fifoTaskExit(t: VfsTask): void {
  const w = pending.get(t);
  if (w === undefined) return;
  pending.delete(t);
  w.fd.decRef();
}

function wait(t: VfsTask, fd: FifoFD, inode: Inode, start: number): number {
  if (t.interrupted()) {
    fd.decRef();
    return -E.ERESTARTSYS;
  }
  pending.set(t, { fd, inode, start });
  return t.block(fd.pipe.queue, EVENT_ALL, -1);
}
