// Time: clock_gettime and friends, and the sleeping calls (which park the task on a
// timer so the rest of the sandbox keeps running).
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import { CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_THREAD_CPUTIME_ID } from '../kernel/time';
import { cpuNow } from '../kernel/timers';
import { NR } from './names';
import { SyscallTable } from './table';
import { pair, readTimespec, writeTimePair, writeU64 } from './util';
import { BLOCKED } from './types';

/**
 * CPU-time clocks: the app thread's or process's own CPU time, as the host kernel
 * accounts it for the stub threads. Negative ids are other processes' and threads'
 * clocks (clock_getcpuclockid, pthread_getcpuclockid). Returns ns or -errno.
 */
function cpuClockNs(t: Task, clockid: number): number {
  if (clockid === CLOCK_PROCESS_CPUTIME_ID) return cpuNow(t.tg, null);
  if (clockid === CLOCK_THREAD_CPUTIME_ID) return t.ctx.cpuTimeNs();
  if (clockid >= 0) return -E.EINVAL;
  const id = ~(clockid >> 3);
  if ((clockid & 3) === 3) return -E.EINVAL; // CPUCLOCK_MAX
  if ((clockid & 4) !== 0) {
    const task = id === 0 ? t : t.kernel.tasks.get(id);
    if (task === undefined || task.tg !== t.tg) return -E.EINVAL;
    return task.ctx.cpuTimeNs();
  }
  const tg = id === 0 ? t.tg : t.kernel.threadGroups.get(id);
  if (tg === undefined || tg.exitStatus >= 0) return -E.EINVAL;
  return cpuNow(tg, null);
}

function clockGettime(t: Task, clockid: number, tp: number): number {
  clockid |= 0;
  if (clockid < 0 || clockid === CLOCK_PROCESS_CPUTIME_ID || clockid === CLOCK_THREAD_CPUTIME_ID) {
    const ns = cpuClockNs(t, clockid);
    if (ns < 0) return ns;
    return writeTimePair(t, tp, Math.floor(ns / 1e9), ns % 1e9);
  }
  const c = t.kernel.clock;
  const r = c.read(clockid);
  if (r < 0) return r;
  return writeTimePair(t, tp, c.ts[0], c.ts[1]);
}

function clockGetres(t: Task, clockid: number, res: number): number {
  const c = t.kernel.clock;
  if ((clockid | 0) < 0 ? cpuClockNs(t, clockid | 0) < 0 : c.read(clockid | 0) < 0) return -E.EINVAL;
  if (res === 0) return 0;
  const coarse = (clockid | 0) === 5 || (clockid | 0) === 6;
  return writeTimePair(t, res, 0, coarse ? 4000000 : 1);
}

function gettimeofday(t: Task, tv: number, tz: number): number {
  const c = t.kernel.clock;
  c.read(CLOCK_REALTIME);
  if (tv !== 0 && writeTimePair(t, tv, c.ts[0], Math.floor(c.ts[1] / 1000)) < 0) return -E.EFAULT;
  if (tz !== 0 && writeTimePair(t, tz, 0, 0) < 0) return -E.EFAULT; // struct timezone: two ints, zeroed (8 bytes used)
  return 0;
}

function time(t: Task, tloc: number): number {
  const c = t.kernel.clock;
  c.read(CLOCK_REALTIME);
  if (tloc !== 0 && writeU64(t, tloc, c.ts[0]) < 0) return -E.EFAULT;
  return c.ts[0];
}

/**
 * The shared sleep: on the first run, compute the absolute deadline and park; when
 * woken by the timer, finish. The deadline lives in t.sysDeadline between runs.
 * A signal would end the sleep early with EINTR and the time left (issue 3).
 */
function sleep(t: Task, deadlineMono: number, rem: number): number {
  if (!t.restarting) t.sysDeadline = deadlineMono;
  const left = t.sysDeadline - t.kernel.clock.monoNow();
  if (left <= 0) {
    t.sysDeadline = -1;
    return 0;
  }
  if (t.restarting && t.interrupted()) {
    // Interrupted: report the time left; without a handler the sleep goes on through
    // restart_syscall (the deadline stays in the task's restart block).
    if (rem !== 0) writeTimePair(t, rem, Math.floor(left / 1e9), Math.floor(left % 1e9));
    t.restartBlock = RESTART_SLEEP;
    return -E.ERESTART_RESTARTBLOCK;
  }
  return t.sleepUntil(t.sysDeadline);
}

const RESTART_SLEEP = 1;

/** restart_syscall: continues a call that ERESTART_RESTARTBLOCK interrupted. */
function restartSyscall(t: Task): number {
  if (t.restartBlock === RESTART_SLEEP) {
    if (!t.restarting) t.restarting = true; // keep sleep() from resetting the deadline
    const r = sleep(t, t.sysDeadline, 0);
    if (r !== BLOCKED && r !== -E.ERESTART_RESTARTBLOCK) t.restartBlock = 0;
    return r;
  }
  return -E.EINTR;
}

function nanosleep(t: Task, req: number, rem: number): number {
  if (t.restarting) return sleep(t, 0, rem);
  const r = readTimespec(t, req);
  if (r < 0) return r;
  return sleep(t, t.kernel.clock.monoNow() + pair[0] * 1e9 + pair[1], rem);
}

const TIMER_ABSTIME = 1;

function clockNanosleep(t: Task, clockid: number, flags: number, req: number, rem: number): number {
  if (t.restarting) return sleep(t, 0, rem);
  clockid |= 0;
  const c = t.kernel.clock;
  if (clockid === 3 /* CLOCK_THREAD_CPUTIME_ID */) return -E.EOPNOTSUPP;
  if (c.read(clockid) < 0) return -E.EINVAL;
  const r = readTimespec(t, req);
  if (r < 0) return r;
  const deadline = (flags & TIMER_ABSTIME) !== 0
    ? c.toMonoDeadline(clockid, pair[0], pair[1])
    : c.monoNow() + pair[0] * 1e9 + pair[1];
  return sleep(t, deadline, (flags & TIMER_ABSTIME) !== 0 ? 0 : rem);
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.clock_gettime, clockGettime);
  tbl.def(NR.clock_getres, clockGetres);
  tbl.def(NR.gettimeofday, gettimeofday);
  tbl.def(NR.time, time);
  tbl.def(NR.nanosleep, nanosleep);
  tbl.def(NR.clock_nanosleep, clockNanosleep);
  tbl.def(NR.restart_syscall, restartSyscall);
  void CLOCK_MONOTONIC;
}
