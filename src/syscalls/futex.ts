// futex(2): WAIT/WAKE and their bitset forms, REQUEUE/CMP_REQUEUE, WAKE_OP, and the
// priority-inheritance lock operations (without priority inheritance: the host
// schedules app threads). Keys are memory-file offsets (see kernel/futex.ts).
import * as E from '../abi/errno';
import { FUTEX_BITSET_ALL } from '../kernel/futex';
import type { Task } from '../kernel/task';
import { NR } from './names';
import { SyscallTable } from './table';
import { pair, readTimespec } from './util';

const FUTEX_WAIT = 0, FUTEX_WAKE = 1, FUTEX_REQUEUE = 3, FUTEX_CMP_REQUEUE = 4, FUTEX_WAKE_OP = 5, FUTEX_LOCK_PI = 6,
  FUTEX_UNLOCK_PI = 7, FUTEX_TRYLOCK_PI = 8, FUTEX_WAIT_BITSET = 9, FUTEX_WAKE_BITSET = 10, FUTEX_LOCK_PI2 = 13;
const FUTEX_PRIVATE_FLAG = 128, FUTEX_CLOCK_REALTIME = 256;
export const FUTEX_WAITERS = 0x80000000 | 0, FUTEX_OWNER_DIED = 0x40000000, FUTEX_TID_MASK = 0x3fffffff;

/**
 * The futex word at uaddr as an atomic cell: sets `words`/`index` or returns -EFAULT.
 * Writing needs a writable mapping (the kernel's get_user/cmpxchg rules).
 */
let words: Int32Array = new Int32Array(0);
let index = 0;
function word(t: Task, uaddr: number, write: boolean): number {
  if (t.mm.checkRange(uaddr, 4, write) < 0) return -E.EFAULT;
  const off = t.mm.physAddr(uaddr);
  if (off < 0) return off;
  words = t.kernel.memfile.words32(off);
  index = (off % (1 << 30)) >> 2;
  return off;
}

function deadlineFrom(t: Task, timeout: number, abs: boolean, realtime: boolean): number {
  if (timeout === 0) return -1;
  const r = readTimespec(t, timeout);
  if (r < 0) return r;
  const clock = t.kernel.clock;
  // A deadline in the past (before boot, even) is simply due: never negative.
  return Math.max(0, abs ? clock.toMonoDeadline(realtime ? 0 : 1, pair[0], pair[1]) : clock.monoNow() + pair[0] * 1e9 + pair[1]);
}

function futexWait(t: Task, uaddr: number, val: number, timeout: number, bitset: number, abs: boolean, realtime: boolean,
  priv: boolean): number {
  if (t.restarting) {
    // Woken by a FUTEX_WAKE, by the deadline, or by a signal.
    if (t.queueWoken) return 0;
    if (t.timedOut) return -E.ETIMEDOUT;
    // Untimed waits restart after a handler with SA_RESTART; timed ones end with EINTR
    // (Linux uses a restart block for them, which a handler turns into EINTR).
    if (t.interrupted()) return timeout !== 0 ? -E.ERESTARTNOHAND : -E.ERESTARTSYS;
    return 0;
  }
  if (bitset === 0) return -E.EINVAL;
  const deadline = deadlineFrom(t, timeout, abs, realtime);
  if (deadline < -1) return deadline;
  const key = word(t, uaddr, false);
  if (key < 0) return key;
  if (Atomics.load(words, index) !== (val | 0)) return -E.EAGAIN;
  if (deadline >= 0 && deadline <= t.kernel.clock.monoNow()) return -E.ETIMEDOUT;
  const f = t.kernel.futexes;
  if (f.resolve(t, uaddr, priv) < 0) return -E.EFAULT;
  return t.block(f.queue(), bitset, deadline);
}

function futexWake(t: Task, uaddr: number, n: number, bitset: number, priv: boolean): number {
  if (bitset === 0) return -E.EINVAL;
  const f = t.kernel.futexes;
  if (f.resolve(t, uaddr, priv) < 0) return -E.EFAULT;
  return f.wake(n <= 0 ? 0 : n, bitset);
}

function futexRequeue(t: Task, uaddr: number, nWake: number, nRequeue: number, uaddr2: number, cmp: boolean, val3: number,
  priv: boolean): number {
  if (nWake < 0 || nRequeue < 0) return -E.EINVAL;
  const key = word(t, uaddr, false);
  if (key < 0) return key;
  if (cmp && Atomics.load(words, index) !== (val3 | 0)) return -E.EAGAIN;
  if (uaddr2 % 4 !== 0) return -E.EINVAL;
  const f = t.kernel.futexes;
  if (f.resolve(t, uaddr2, priv) < 0) return -E.EFAULT;
  const map2 = f.map, key2 = f.key;
  f.resolve(t, uaddr, priv);
  const map1 = f.map, key1 = f.key;
  const woken = f.wake(nWake, FUTEX_BITSET_ALL);
  if (map1 === map2 && key1 === key2) return woken;
  f.resolve(t, uaddr2, priv);
  return woken + f.requeueTo(map1, key1, nRequeue);
}

function futexWakeOp(t: Task, uaddr: number, nWake: number, nWake2: number, uaddr2: number, encoded: number,
  priv: boolean): number {
  const op = (encoded >>> 28) & 7, cmp = (encoded >>> 24) & 15;
  let oparg = (encoded << 8) >> 20;
  const cmparg = (encoded << 20) >> 20;
  if ((encoded & (8 << 28)) !== 0) {
    if (oparg < 0 || oparg > 31) return -E.EINVAL;
    oparg = 1 << oparg;
  }
  if (op > 4) return -E.ENOSYS;
  if (uaddr2 % 4 !== 0) return -E.EINVAL;
  const key2 = word(t, uaddr2, true);
  if (key2 < 0) return key2;
  let old: number;
  switch (op) {
    case 0: old = Atomics.exchange(words, index, oparg); break;
    case 1: old = Atomics.add(words, index, oparg); break;
    case 2: old = Atomics.or(words, index, oparg); break;
    case 3: old = Atomics.and(words, index, ~oparg); break;
    default: old = Atomics.xor(words, index, oparg); break;
  }
  // Like Linux, the operation is done before the comparison is checked.
  if (cmp > 5) return -E.ENOSYS;
  const f = t.kernel.futexes;
  if (f.resolve(t, uaddr, priv) < 0) return -E.EFAULT;
  let woken = f.wake(nWake, FUTEX_BITSET_ALL);
  const pass = [old === cmparg, old !== cmparg, old < cmparg, old <= cmparg, old > cmparg, old >= cmparg][cmp];
  if (pass && f.resolve(t, uaddr2, priv) === 0) woken += f.wake(nWake2, FUTEX_BITSET_ALL);
  void key2;
  return woken;
}

// ---- PI locks: the word holds the owner's tid, FUTEX_WAITERS when others wait. ----------

function lockPi(t: Task, uaddr: number, timeout: number, trylock: boolean, realtime: boolean, priv: boolean): number {
  const key = word(t, uaddr, true);
  if (key < 0) return key;
  if (t.restarting) {
    if (t.queueWoken && (Atomics.load(words, index) & FUTEX_TID_MASK) === t.tid) return 0; // handed over by unlock
    if (t.timedOut) return -E.ETIMEDOUT;
    if (t.interrupted()) return -E.EINTR;
  } else {
    t.sysDeadline = deadlineFrom(t, timeout, true, realtime);
    if (t.sysDeadline < -1) return t.sysDeadline;
  }
  for (;;) {
    const cur = Atomics.load(words, index);
    const owner = cur & FUTEX_TID_MASK;
    if (owner === 0) {
      // Free (or its owner died): take it, keeping the waiters and owner-died bits;
      // libc reads FUTEX_OWNER_DIED from the word to report EOWNERDEAD.
      if (Atomics.compareExchange(words, index, cur, t.tid | (cur & (FUTEX_WAITERS | FUTEX_OWNER_DIED))) === cur) return 0;
      continue;
    }
    if (owner === t.tid) return -E.EDEADLK;
    if (trylock) return -E.EAGAIN;
    if (!t.kernel.tasks.has(owner)) {
      // A tid that names no thread: recoverable only if its death was recorded.
      if ((cur & FUTEX_OWNER_DIED) === 0) return -E.ESRCH;
      if (Atomics.compareExchange(words, index, cur, t.tid | (cur & (FUTEX_WAITERS | FUTEX_OWNER_DIED))) === cur) return 0;
      continue;
    }
    if ((cur & FUTEX_WAITERS) === 0 && Atomics.compareExchange(words, index, cur, cur | FUTEX_WAITERS) !== cur) continue;
    if (t.sysDeadline >= 0 && t.sysDeadline <= t.kernel.clock.monoNow()) return -E.ETIMEDOUT;
    const f = t.kernel.futexes;
    f.resolve(t, uaddr, priv);
    return t.block(f.queue(), FUTEX_BITSET_ALL, t.sysDeadline);
  }
}

function unlockPi(t: Task, uaddr: number, priv: boolean): number {
  const key = word(t, uaddr, true);
  if (key < 0) return key;
  const cur = Atomics.load(words, index);
  if ((cur & FUTEX_TID_MASK) !== t.tid) return -E.EPERM;
  const f = t.kernel.futexes;
  f.resolve(t, uaddr, priv);
  const next = f.firstWaiter();
  if (next === null) {
    Atomics.store(words, index, 0);
    return 0;
  }
  // Hand the lock straight to the first waiter.
  const more = f.waiterCount() > 1;
  Atomics.store(words, index, next.tid | (more ? FUTEX_WAITERS : 0));
  f.wake(1, FUTEX_BITSET_ALL);
  return 0;
}

function futex(t: Task, uaddr: number, op: number, val: number, timeout: number, uaddr2: number, val3: number): number {
  op |= 0;
  if (uaddr % 4 !== 0) return -E.EINVAL;
  const cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
  const priv = (op & FUTEX_PRIVATE_FLAG) !== 0;
  const realtime = (op & FUTEX_CLOCK_REALTIME) !== 0;
  if (realtime && cmd !== FUTEX_WAIT_BITSET && cmd !== FUTEX_LOCK_PI2) return -E.ENOSYS;
  // For REQUEUE and WAKE_OP the timeout argument carries a count.
  const val2 = timeout | 0;
  switch (cmd) {
    case FUTEX_WAIT:
      return futexWait(t, uaddr, val, timeout, FUTEX_BITSET_ALL, false, realtime, priv);
    case FUTEX_WAIT_BITSET:
      return futexWait(t, uaddr, val, timeout, val3 | 0, true, realtime, priv);
    case FUTEX_WAKE:
      return futexWake(t, uaddr, val | 0, FUTEX_BITSET_ALL, priv);
    case FUTEX_WAKE_BITSET:
      return futexWake(t, uaddr, val | 0, val3 | 0, priv);
    case FUTEX_REQUEUE:
      return futexRequeue(t, uaddr, val | 0, val2, uaddr2, false, 0, priv);
    case FUTEX_CMP_REQUEUE:
      return futexRequeue(t, uaddr, val | 0, val2, uaddr2, true, val3, priv);
    case FUTEX_WAKE_OP:
      return futexWakeOp(t, uaddr, val | 0, val2, uaddr2, val3 | 0, priv);
    case FUTEX_LOCK_PI:
      return lockPi(t, uaddr, timeout, false, true, priv);
    case FUTEX_LOCK_PI2:
      return lockPi(t, uaddr, timeout, false, realtime, priv);
    case FUTEX_TRYLOCK_PI:
      return lockPi(t, uaddr, 0, true, false, priv);
    case FUTEX_UNLOCK_PI:
      return unlockPi(t, uaddr, priv);
    default:
      return -E.ENOSYS;
  }
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.futex, futex, 'partial', 'PI locks hand over ownership but do not boost priorities; WAIT_REQUEUE_PI and CMP_REQUEUE_PI return ENOSYS');
}
