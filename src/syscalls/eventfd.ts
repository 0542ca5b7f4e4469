// eventfd and eventfd2: a counter file for wake-ups between threads and processes.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { EFD_SEMAPHORE, EventFd } from '../fs/anon/eventfd';
import { O_CLOEXEC, O_NONBLOCK } from '../vfs/abi';
import { NR } from './names';
import { SyscallTable } from './table';

function eventfd2(t: Task, initval: number, flags: number): number {
  flags |= 0;
  if ((flags & ~(EFD_SEMAPHORE | O_CLOEXEC | O_NONBLOCK)) !== 0) return -E.EINVAL;
  const f = new EventFd(initval >>> 0, (flags & EFD_SEMAPHORE) !== 0, flags & O_NONBLOCK);
  const fd = t.fdTable.install(f, 0, (flags & O_CLOEXEC) !== 0);
  if (fd < 0) f.decRef();
  return fd;
}

function eventfd(t: Task, initval: number): number {
  return eventfd2(t, initval, 0);
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.eventfd, eventfd);
  tbl.def(NR.eventfd2, eventfd2);
}
