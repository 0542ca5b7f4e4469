// timerfd_create, timerfd_settime, timerfd_gettime.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_REALTIME_ALARM } from '../kernel/time';
import { TimerFd } from '../fs/anon/timerfd';
import { O_CLOEXEC, O_NONBLOCK } from '../vfs/abi';
import { NR } from './names';
import { SyscallTable } from './table';

const TFD_TIMER_ABSTIME = 1, TFD_TIMER_CANCEL_ON_SET = 2;
const TWO32 = 4294967296;

function timerfdCreate(t: Task, clockid: number, flags: number): number {
  clockid |= 0;
  flags |= 0;
  if ((flags & ~(O_CLOEXEC | O_NONBLOCK)) !== 0) return -E.EINVAL;
  if (clockid !== CLOCK_REALTIME && clockid !== CLOCK_MONOTONIC && clockid !== CLOCK_BOOTTIME &&
    clockid !== CLOCK_REALTIME_ALARM && clockid !== CLOCK_BOOTTIME_ALARM) return -E.EINVAL;
  if ((clockid === CLOCK_REALTIME_ALARM || clockid === CLOCK_BOOTTIME_ALARM) && !t.creds.hasCap(35)) return -E.EPERM;
  const f = new TimerFd(t.kernel, clockid, flags & O_NONBLOCK);
  const fd = t.fdTable.install(f, 0, (flags & O_CLOEXEC) !== 0);
  if (fd < 0) f.decRef();
  return fd;
}

function timerOf(t: Task, fd: number): TimerFd | number {
  const f = t.fdTable.get(fd | 0);
  if (f === null) return -E.EBADF;
  if (!(f instanceof TimerFd)) return -E.EINVAL;
  return f;
}

/** Writes struct itimerspec {interval, value} for f's current state. */
function writeCurrent(t: Task, f: TimerFd, addr: number): number {
  let left = 0;
  if (f.armed) left = Math.max(1, f.deadline - t.kernel.clock.monoNow());
  const b = Buffer.alloc(32);
  const put = (off: number, ns: number): void => {
    const sec = Math.floor(ns / 1e9);
    b.writeUInt32LE(sec % TWO32, off);
    b.writeUInt32LE(Math.floor(sec / TWO32), off + 4);
    b.writeUInt32LE(ns % 1e9, off + 8);
  };
  put(0, f.interval);
  put(16, left);
  return t.mm.copyOut(addr, b, 0, 32) < 0 ? -E.EFAULT : 0;
}

function timerfdSettime(t: Task, fd: number, flags: number, newAddr: number, oldAddr: number): number {
  flags |= 0;
  const b = Buffer.alloc(32);
  if (t.mm.copyIn(newAddr, b, 0, 32) < 0) return -E.EFAULT;
  if ((flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) !== 0) return -E.EINVAL;
  const isec = b.readInt32LE(4) * TWO32 + b.readUInt32LE(0), insec = b.readInt32LE(12) * TWO32 + b.readUInt32LE(8);
  const vsec = b.readInt32LE(20) * TWO32 + b.readUInt32LE(16), vnsec = b.readInt32LE(28) * TWO32 + b.readUInt32LE(24);
  if (isec < 0 || insec < 0 || insec >= 1e9 || vsec < 0 || vnsec < 0 || vnsec >= 1e9) return -E.EINVAL;
  const f = timerOf(t, fd);
  if (typeof f === 'number') return f;
  if (oldAddr !== 0 && writeCurrent(t, f, oldAddr) < 0) return -E.EFAULT;
  const interval = isec * 1e9 + insec;
  if (vsec === 0 && vnsec === 0) {
    f.arm(false, 0, interval);
    return 0;
  }
  const clock = t.kernel.clock;
  const deadline = (flags & TFD_TIMER_ABSTIME) !== 0
    ? clock.toMonoDeadline(f.clockid === CLOCK_REALTIME_ALARM ? CLOCK_REALTIME : f.clockid, vsec, vnsec)
    : clock.monoNow() + vsec * 1e9 + vnsec;
  f.arm(true, deadline, interval);
  return 0;
}

function timerfdGettime(t: Task, fd: number, addr: number): number {
  const f = timerOf(t, fd);
  if (typeof f === 'number') return f;
  return writeCurrent(t, f, addr);
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.timerfd_create, timerfdCreate);
  tbl.def(NR.timerfd_settime, timerfdSettime, 'partial',
    'TFD_TIMER_CANCEL_ON_SET is accepted but never cancels; a CLOCK_REALTIME absolute time is fixed when set (later wall-clock changes do not move it)');
  tbl.def(NR.timerfd_gettime, timerfdGettime);
}
