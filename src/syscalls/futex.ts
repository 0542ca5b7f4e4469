// futex: WAIT/WAKE and their bitset forms. Keys are memory-file offsets, so a
// private futex and a shared one on shared memory both find the same queue.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { NR } from './names';
import { SyscallTable } from './table';
import { pair, readTimespec, scratch } from './util';

const FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10;
const FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
const BITSET_ALL = -1;


function futexWait(t: Task, uaddr: number, val: number, timeout: number, bitset: number, abs: boolean, realtime: boolean): number {
  if (t.restarting) {
    // Woken by a FUTEX_WAKE, by the deadline, or by a signal.
    if (t.timedOut) return -E.ETIMEDOUT;
    if (t.queueWoken) return 0;
    if (t.interrupted()) return -E.ERESTARTSYS;
    return 0;
  }
  if (bitset === 0) return -E.EINVAL;
  const key = t.mm.physAddr(uaddr);
  if (key < 0) return key;
  let deadline = -1;
  if (timeout !== 0) {
    const r = readTimespec(t, timeout);
    if (r < 0) return r;
    const clock = t.kernel.clock;
    deadline = abs ? clock.toMonoDeadline(realtime ? 0 : 1, pair[0], pair[1]) : clock.monoNow() + pair[0] * 1e9 + pair[1];
  }
  if (t.mm.copyIn(uaddr, scratch, 0, 4) < 0) return -E.EFAULT;
  if (scratch.readUInt32LE(0) !== val >>> 0) return -E.EAGAIN;
  if (deadline >= 0 && deadline <= t.kernel.clock.monoNow()) return -E.ETIMEDOUT;
  return t.block(t.kernel.futexes.queueFor(key), bitset, deadline);
}

function futexWake(t: Task, uaddr: number, n: number, bitset: number): number {
  if (bitset === 0) return -E.EINVAL;
  const key = t.mm.physAddr(uaddr);
  if (key < 0) return key;
  return t.kernel.futexes.wake(key, n <= 0 ? 0 : n, bitset);
}

function futex(t: Task, uaddr: number, op: number, val: number, timeout: number, _uaddr2: number, val3: number): number {
  op |= 0;
  if (uaddr % 4 !== 0) return -E.EINVAL;
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  const realtime = (op & FUTEX_CLOCK_REALTIME) !== 0;
  switch (cmd) {
    case FUTEX_WAIT:
      if (realtime) return -E.ENOSYS;
      return futexWait(t, uaddr, val, timeout, BITSET_ALL, false, false);
    case FUTEX_WAIT_BITSET:
      return futexWait(t, uaddr, val, timeout, val3 | 0, true, realtime);
    case FUTEX_WAKE:
      return futexWake(t, uaddr, val | 0, BITSET_ALL);
    case FUTEX_WAKE_BITSET:
      return futexWake(t, uaddr, val | 0, val3 | 0);
    default:
      return -E.ENOSYS;
  }
}

/** Wakes one waiter on addr in t's address space (CLONE_CHILD_CLEARTID at thread exit). */
export function wakeAddress(t: Task, addr: number): void {
  futexWake(t, addr, 1, BITSET_ALL);
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.futex, futex, 'partial', 'WAIT, WAKE, WAIT_BITSET and WAKE_BITSET only; requeue, WAKE_OP and PI operations return ENOSYS');
}
