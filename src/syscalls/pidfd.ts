// pidfd_open and pidfd_send_signal: naming a process by a file rather than a pid.
import * as E from '../abi/errno';
import { sendToGroup } from '../kernel/delivery';
import { NSIG, SI_USER, SigInfo } from '../kernel/signals';
import type { Task } from '../kernel/task';
import type { ThreadGroup } from '../kernel/threadgroup';
import { PidFd } from '../fs/anon/pidfd';
import { NR } from './names';
import { SyscallTable } from './table';

const PIDFD_NONBLOCK = 0o4000; // O_NONBLOCK

/** The process behind a pidfd, for waitid(P_PIDFD): -EBADF or -EINVAL otherwise. */
export function pidfdTarget(t: Task, fd: number): ThreadGroup | number {
  const f = t.fdTable.get(fd);
  if (f === null) return -E.EBADF;
  if (!(f instanceof PidFd)) return -E.EINVAL;
  return f.tg;
}

function pidfdOpen(t: Task, pid: number, flags: number): number {
  pid |= 0;
  flags |= 0;
  if ((flags & ~PIDFD_NONBLOCK) !== 0 || pid <= 0) return -E.EINVAL;
  const tg = t.kernel.threadGroups.get(pid);
  if (tg === undefined) return t.kernel.tasks.has(pid) ? -E.ENOENT : -E.ESRCH;
  return t.fdTable.install(new PidFd(tg, flags), 0, true);
}

function pidfdSendSignal(t: Task, fd: number, sig: number, info: number, flags: number): number {
  sig |= 0;
  if ((flags | 0) !== 0) return -E.EINVAL;
  const tg = pidfdTarget(t, fd | 0);
  if (typeof tg === 'number') return tg;
  if (sig < 0 || sig > NSIG) return -E.EINVAL;
  if (tg.exitStatus >= 0 && t.kernel.threadGroups.get(tg.tgid) !== tg) return -E.ESRCH; // reaped
  if (info !== 0) {
    const b = Buffer.alloc(128);
    if (t.mm.copyIn(info, b, 0, 128) < 0) return -E.EFAULT;
    const code = b.readInt32LE(8);
    if (b.readInt32LE(0) !== sig) return -E.EINVAL;
    if ((code >= 0 || code === -6) && tg !== t.tg) return -E.EPERM;
    if (sig !== 0 && tg.exitStatus < 0) sendToGroup(t.kernel, tg, new SigInfo(sig, code, b.readInt32LE(16), b.readUInt32LE(20)));
    return 0;
  }
  if (sig !== 0 && tg.exitStatus < 0) sendToGroup(t.kernel, tg, new SigInfo(sig, SI_USER, t.tgid, t.creds.uid));
  return 0;
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.pidfd_open, pidfdOpen);
  tbl.def(NR.pidfd_send_signal, pidfdSendSignal);
  tbl.unsupported(NR.pidfd_getfd, 'taking another process\'s fd is not offered');
}
