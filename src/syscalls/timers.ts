// Timers and CPU accounting: setitimer/getitimer/alarm, timer_create & co., times,
// getrusage.
import * as E from '../abi/errno';
import { SIGALRM } from '../kernel/signals';
import type { Task } from '../kernel/task';
import {
  ITIMER_PROF, ITIMER_REAL, ITIMER_VIRTUAL, IntervalTimer, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_THREAD_ID,
  SI_TIMER, cpuNow, itimer, timerClockOk,
} from '../kernel/timers';
import { CLOCK_THREAD_CPUTIME_ID } from '../kernel/time';
import { NR } from './names';
import { SyscallTable } from './table';
import { scratch } from './util';

const TWO32 = 4294967296;
const get64 = (o: number) => scratch.readInt32LE(o + 4) * TWO32 + scratch.readUInt32LE(o);
function put64(o: number, v: number): void {
  const hi = Math.floor(v / TWO32);
  scratch.writeUInt32LE((v - hi * TWO32) >>> 0, o);
  scratch.writeInt32LE(hi | 0, o + 4);
}

// ---- setitimer / getitimer / alarm ----------------------------------------------------------

/** struct itimerval {interval, value} of timevals, at scratch[off]. */
function putItimerval(off: number, intervalNs: number, valueNs: number): void {
  put64(off, Math.floor(intervalNs / 1e9));
  put64(off + 8, Math.floor((intervalNs % 1e9) / 1e3));
  put64(off + 16, Math.floor(valueNs / 1e9));
  put64(off + 24, Math.floor((valueNs % 1e9) / 1e3));
}

function getitimer(t: Task, which: number, curr: number): number {
  which |= 0;
  if (which < ITIMER_REAL || which > ITIMER_PROF) return -E.EINVAL;
  const tm = itimer(t.tg, which);
  putItimerval(0, tm.intervalNs, tm.remaining(t.kernel));
  return t.mm.copyOut(curr, scratch, 0, 32);
}

function setitimer(t: Task, which: number, nv: number, ov: number): number {
  which |= 0;
  if (which < ITIMER_REAL || which > ITIMER_PROF) return -E.EINVAL;
  let intervalNs = 0, valueNs = 0;
  if (nv !== 0) {
    if (t.mm.copyIn(nv, scratch, 0, 32) < 0) return -E.EFAULT;
    const is = get64(0), iu = get64(8), vs = get64(16), vu = get64(24);
    if (is < 0 || iu < 0 || iu >= 1e6 || vs < 0 || vu < 0 || vu >= 1e6) return -E.EINVAL;
    intervalNs = is * 1e9 + iu * 1e3;
    valueNs = vs * 1e9 + vu * 1e3;
  }
  const tm = itimer(t.tg, which);
  if (ov !== 0) {
    putItimerval(32, tm.intervalNs, tm.remaining(t.kernel));
    if (t.mm.copyOut(ov, scratch, 32, 32) < 0) return -E.EFAULT;
  }
  tm.set(t.kernel, valueNs, intervalNs);
  return 0;
}

function alarm(t: Task, seconds: number): number {
  const tm = itimer(t.tg, ITIMER_REAL);
  const left = tm.remaining(t.kernel);
  tm.set(t.kernel, (seconds >>> 0) * 1e9, 0);
  if (left === 0) return 0;
  // Linux rounds the remaining time to the nearest second, but never reports 0 for an armed alarm.
  return Math.max(1, Math.round(left / 1e9));
}

// ---- POSIX timers ------------------------------------------------------------------------------

function timerCreate(t: Task, clockid: number, sevp: number, idp: number): number {
  clockid |= 0;
  if (!timerClockOk(clockid)) return clockid >= 0 && clockid <= 11 ? -E.EOPNOTSUPP : -E.EINVAL;
  let notify = SIGEV_SIGNAL, signo = SIGALRM, value = -1, thread: Task | null = null;
  if (sevp !== 0) {
    if (t.mm.copyIn(sevp, scratch, 0, 64) < 0) return -E.EFAULT;
    value = get64(0);
    signo = scratch.readInt32LE(8);
    notify = scratch.readInt32LE(12);
    const tid = scratch.readInt32LE(16);
    if (notify !== SIGEV_SIGNAL && notify !== SIGEV_NONE && notify !== SIGEV_THREAD_ID) {
      return notify === SIGEV_THREAD ? -E.EINVAL : -E.EINVAL;
    }
    if (notify !== SIGEV_NONE && (signo < 1 || signo > 64)) return -E.EINVAL;
    if (notify === SIGEV_THREAD_ID) {
      thread = t.kernel.tasks.get(tid) ?? null;
      if (thread === null || thread.tg !== t.tg) return -E.EINVAL;
    }
  }
  if (t.tg.posixTimers.size >= 65536) return -E.EAGAIN;
  const id = t.tg.nextTimerId++;
  if (value === -1) value = id; // default sigev_value is the timer id
  const owner = clockid === CLOCK_THREAD_CPUTIME_ID && thread === null ? t : thread;
  const tm = new IntervalTimer(t.tg, clockid, notify, signo, owner, value, id, SI_TIMER);
  scratch.writeInt32LE(id, 0);
  if (t.mm.copyOut(idp, scratch, 0, 4) < 0) {
    t.tg.nextTimerId--;
    return -E.EFAULT;
  }
  t.tg.posixTimers.set(id, tm);
  return 0;
}

function timerOf(t: Task, id: number): IntervalTimer | null {
  return t.tg.posixTimers.get(id | 0) ?? null;
}

/** struct itimerspec {interval, value} of timespecs at scratch[off]. */
function putItimerspec(off: number, intervalNs: number, valueNs: number): void {
  put64(off, Math.floor(intervalNs / 1e9));
  put64(off + 8, intervalNs % 1e9);
  put64(off + 16, Math.floor(valueNs / 1e9));
  put64(off + 24, valueNs % 1e9);
}

const TIMER_ABSTIME = 1;

function timerSettime(t: Task, id: number, flags: number, nv: number, ov: number): number {
  const tm = timerOf(t, id);
  if (tm === null) return -E.EINVAL;
  if (t.mm.copyIn(nv, scratch, 0, 32) < 0) return -E.EFAULT;
  const is = get64(0), ins = get64(8), vs = get64(16), vns = get64(24);
  if (is < 0 || ins < 0 || ins >= 1e9 || vs < 0 || vns < 0 || vns >= 1e9) return -E.EINVAL;
  const k = t.kernel;
  if (ov !== 0) {
    putItimerspec(32, tm.intervalNs, tm.remaining(k));
    if (t.mm.copyOut(ov, scratch, 32, 32) < 0) return -E.EFAULT;
  }
  let valueNs = vs * 1e9 + vns;
  if (valueNs > 0 && (flags & TIMER_ABSTIME) !== 0) {
    // Absolute: measured on the timer's own clock.
    const now = tm.isCpu ? tm.now(k) : (k.clock.read(tm.clockid), k.clock.ts[0] * 1e9 + k.clock.ts[1]);
    valueNs = Math.max(1, valueNs - now);
  }
  tm.set(k, valueNs, is * 1e9 + ins);
  return 0;
}

function timerGettime(t: Task, id: number, cur: number): number {
  const tm = timerOf(t, id);
  if (tm === null) return -E.EINVAL;
  putItimerspec(0, tm.intervalNs, tm.remaining(t.kernel));
  return t.mm.copyOut(cur, scratch, 0, 32);
}

function timerGetoverrun(t: Task, id: number): number {
  const tm = timerOf(t, id);
  if (tm === null) return -E.EINVAL;
  return tm.getOverrun();
}

function timerDelete(t: Task, id: number): number {
  const tm = timerOf(t, id);
  if (tm === null) return -E.EINVAL;
  tm.set(t.kernel, 0, 0);
  t.tg.posixTimers.delete(id | 0);
  return 0;
}

// ---- CPU accounting ---------------------------------------------------------------------------

const CLK_TCK = 100;

function times(t: Task, buf: number): number {
  const k = t.kernel;
  const ticks = (ns: number) => Math.floor(ns / (1e9 / CLK_TCK));
  if (buf !== 0) {
    put64(0, ticks(cpuNow(t.tg, null)));
    put64(8, 0);
    put64(16, ticks(t.tg.cutimeNs));
    put64(24, ticks(t.tg.cstimeNs));
    if (t.mm.copyOut(buf, scratch, 0, 32) < 0) return -E.EFAULT;
  }
  // Clock ticks since an arbitrary point: the sandbox's boot.
  return ticks(k.clock.monoNow() - k.clock.bootMono) + 1;
}

const RUSAGE_SELF = 0, RUSAGE_CHILDREN = -1, RUSAGE_THREAD = 1;

function getrusage(t: Task, who: number, usage: number): number {
  who |= 0;
  let u: number, s = 0;
  if (who === RUSAGE_SELF) u = cpuNow(t.tg, null);
  else if (who === RUSAGE_THREAD) u = t.ctx.cpuTimeNs();
  else if (who === RUSAGE_CHILDREN) {
    u = t.tg.cutimeNs;
    s = t.tg.cstimeNs;
  } else return -E.EINVAL;
  scratch.fill(0, 0, 144);
  // ru_maxrss (KiB): the mapped size of the address space, an upper bound of its peak.
  if (who !== RUSAGE_CHILDREN) put64(32, Math.floor(t.mm.stats().size / 1024));
  put64(0, Math.floor(u / 1e9));
  put64(8, Math.floor((u % 1e9) / 1e3));
  put64(16, Math.floor(s / 1e9));
  put64(24, Math.floor((s % 1e9) / 1e3));
  return t.mm.copyOut(usage, scratch, 0, 144);
}

export function register(tbl: SyscallTable): void {
  const cpuNote = 'CPU-time timers fire from a 10 ms tick; virtual and profiling timers both count all CPU time';
  tbl.def(NR.getitimer, getitimer);
  tbl.def(NR.setitimer, setitimer, 'partial', cpuNote);
  tbl.def(NR.alarm, alarm);
  tbl.def(NR.timer_create, timerCreate, 'partial', 'SIGEV_THREAD is done by libc over SIGEV_THREAD_ID, as on Linux; ' + cpuNote);
  tbl.def(NR.timer_settime, timerSettime);
  tbl.def(NR.timer_gettime, timerGettime);
  tbl.def(NR.timer_getoverrun, timerGetoverrun);
  tbl.def(NR.timer_delete, timerDelete);
  tbl.def(NR.times, times, 'partial', 'all app CPU time is reported as user time');
  tbl.def(NR.getrusage, getrusage, 'partial', 'CPU times only (user time); ru_maxrss is the mapped size; other counters are 0');
  void ITIMER_VIRTUAL;
}
