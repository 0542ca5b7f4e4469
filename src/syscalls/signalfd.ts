// signalfd and signalfd4: files that receive signals of a set instead of their delivery.
import * as E from '../abi/errno';
import { SignalFd } from '../fs/anon/signalfd';
import type { Task } from '../kernel/task';
import { SIGKILL, SIGSTOP } from '../kernel/signals';
import { O_CLOEXEC, O_NONBLOCK } from '../vfs/abi';
import { NR } from './names';
import { SyscallTable } from './table';

const SFD_CLOEXEC = O_CLOEXEC, SFD_NONBLOCK = O_NONBLOCK;
/** SIGKILL and SIGSTOP can never be read from a signalfd: they leave the set silently. */
const UNREADABLE_LO = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));
const scratch = Buffer.alloc(8);

function signalfd4(t: Task, ufd: number, maskAddr: number, sizemask: number, flags: number): number {
  // Linux's order: size, then copying the mask, then the flags.
  if (sizemask !== 8) return -E.EINVAL;
  if (t.mm.copyIn(maskAddr, scratch, 0, 8) < 0) return -E.EFAULT;
  flags |= 0;
  if ((flags & ~(SFD_CLOEXEC | SFD_NONBLOCK)) !== 0) return -E.EINVAL;
  const lo = scratch.readInt32LE(0) & ~UNREADABLE_LO, hi = scratch.readInt32LE(4);
  ufd |= 0;
  if (ufd === -1) {
    const f = new SignalFd(t, lo, hi, flags & SFD_NONBLOCK);
    const fd = t.fdTable.install(f, 0, (flags & SFD_CLOEXEC) !== 0);
    if (fd < 0) f.decRef();
    return fd;
  }
  const f = t.fdTable.get(ufd);
  if (f === null) return -E.EBADF;
  if (!(f instanceof SignalFd)) return -E.EINVAL;
  f.maskLo = lo;
  f.maskHi = hi;
  // A wider set may make the file readable now.
  t.tg.sighand.signalfdWaiters.notify(-1);
  return ufd;
}

function signalfd(t: Task, ufd: number, maskAddr: number, sizemask: number): number {
  return signalfd4(t, ufd, maskAddr, sizemask, 0);
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.signalfd, signalfd);
  tbl.def(NR.signalfd4, signalfd4);
}
