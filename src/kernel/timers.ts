// Interval timers: setitimer's three per-process timers and POSIX timers
// (timer_create). Wall-clock timers ride on the kernel's timer queue; CPU-time timers
// are checked by a 10 ms tick that reads the app threads' CPU clocks from the host,
// which is also Linux's granularity for them.
import { sendToGroup, sendToTask } from './delivery';
import type { Kernel, TimerTarget } from './kernel';
import { SIGALRM, SIGPROF, SIGVTALRM, SI_KERNEL, SI_TIMER, SigInfo } from './signals';
import type { Task } from './task';
import type { ThreadGroup } from './threadgroup';
import { CLOCK_BOOTTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, CLOCK_THREAD_CPUTIME_ID } from './time';

export const SIGEV_SIGNAL = 0, SIGEV_NONE = 1, SIGEV_THREAD = 2, SIGEV_THREAD_ID = 4;
export const ITIMER_REAL = 0, ITIMER_VIRTUAL = 1, ITIMER_PROF = 2;

/** Reads the CPU time a timer's clock measures, in ns. */
export function cpuNow(tg: ThreadGroup, thread: Task | null): number {
  if (thread !== null) return thread.ctx.cpuTimeNs();
  return tg.cpuBaseNs + tg.mm.as.cpuTimeNs();
}

export class IntervalTimer implements TimerTarget {
  /** Absolute expiry: CLOCK_MONOTONIC ns for wall clocks, CPU ns for CPU clocks; -1 = disarmed. */
  expiry = -1;
  intervalNs = 0;
  /** Expirations since the last signal was queued, and as reported by the last delivery. */
  overrun = 0;
  lastOverrun = 0;
  /** The signal this timer has queued and that is not delivered yet (overruns merge into it). */
  queued: SigInfo | null = null;

  constructor(
    readonly tg: ThreadGroup,
    /** One of CLOCK_REALTIME/MONOTONIC/BOOTTIME (queue-driven) or the CPU clocks (tick-driven). */
    readonly clockid: number,
    readonly notify: number,
    readonly signo: number,
    /** SIGEV_THREAD_ID target. */
    readonly thread: Task | null,
    readonly sigValue: number,
    /** POSIX timer id, or -1 for setitimer's timers. */
    readonly id: number,
    readonly code: number,
  ) {}

  get isCpu(): boolean {
    return this.clockid === CLOCK_PROCESS_CPUTIME_ID || this.clockid === CLOCK_THREAD_CPUTIME_ID;
  }

  /** The clock's current value in the same units as expiry. */
  now(k: Kernel): number {
    if (this.isCpu) return cpuNow(this.tg, this.clockid === CLOCK_THREAD_CPUTIME_ID ? this.thread : null);
    return k.clock.monoNow();
  }

  /** Arms (valueNs > 0, relative to now) or disarms (valueNs = 0). */
  set(k: Kernel, valueNs: number, intervalNs: number): void {
    this.intervalNs = intervalNs;
    this.overrun = 0;
    if (valueNs <= 0) {
      this.expiry = -1;
      k.removeTimer(this);
      k.cpuTimers.delete(this);
      return;
    }
    this.expiry = this.now(k) + valueNs;
    this.schedule(k);
  }

  private schedule(k: Kernel): void {
    if (this.isCpu) k.armCpuTimer(this);
    else k.addTimer(this, this.expiry);
  }

  /** Time left in ns (0 when disarmed). */
  remaining(k: Kernel): number {
    if (this.expiry < 0) return 0;
    return Math.max(1, this.expiry - this.now(k));
  }

  fire(k: Kernel, now: number): void {
    if (this.expiry < 0) return;
    if (this.isCpu) now = this.now(k);
    let expirations = 1;
    if (this.intervalNs > 0) {
      const late = now - this.expiry;
      if (late > 0) expirations += Math.floor(late / this.intervalNs);
      this.expiry += expirations * this.intervalNs;
      this.schedule(k);
    } else {
      this.expiry = -1;
      k.cpuTimers.delete(this);
    }
    this.deliver(k, expirations);
  }

  private deliver(k: Kernel, expirations: number): void {
    if (this.notify === SIGEV_NONE || this.tg.exitStatus >= 0) return;
    if (this.queued !== null && this.isPending()) {
      // The last signal is still pending: count an overrun instead (as Linux does).
      this.overrun += expirations;
      this.queued.status = Math.min(this.overrun, 0x7fffffff);
      return;
    }
    this.overrun = expirations - 1;
    const info = new SigInfo(this.signo, this.code, 0, 0, this.overrun, this.sigValue, 0, this.id);
    this.queued = info;
    if (this.notify === SIGEV_THREAD_ID && this.thread !== null && this.thread.tg === this.tg) sendToTask(k, this.thread, info);
    else sendToGroup(k, this.tg, info);
  }

  /** True while the queued signal is still in a pending queue. */
  private isPending(): boolean {
    const q = this.queued;
    if (q === null) return false;
    const inSet = (list: SigInfo[] | undefined) => list !== undefined && list.includes(q);
    if (inSet(this.tg.sharedPending.queue[q.signo])) return true;
    for (const t of this.tg.tasks) if (inSet(t.signals.pending.queue[q.signo])) return true;
    this.lastOverrun = q.status;
    this.queued = null;
    return false;
  }

  /** timer_getoverrun: the overrun count of the last delivered expiration. */
  getOverrun(): number {
    this.isPending();
    return this.lastOverrun;
  }
}

/** setitimer's timers for a process: real (SIGALRM), virtual (SIGVTALRM), prof (SIGPROF). */
export function itimer(tg: ThreadGroup, which: number): IntervalTimer {
  let t = tg.itimers[which];
  if (t === undefined) {
    const clock = which === ITIMER_REAL ? CLOCK_MONOTONIC : CLOCK_PROCESS_CPUTIME_ID;
    const sig = which === ITIMER_REAL ? SIGALRM : which === ITIMER_VIRTUAL ? SIGVTALRM : SIGPROF;
    t = new IntervalTimer(tg, clock, SIGEV_SIGNAL, sig, null, 0, -1, SI_KERNEL);
    tg.itimers[which] = t;
  }
  return t;
}

/** Clocks timer_create accepts. */
export function timerClockOk(clockid: number): boolean {
  return clockid === CLOCK_REALTIME || clockid === CLOCK_MONOTONIC || clockid === CLOCK_BOOTTIME ||
    clockid === CLOCK_PROCESS_CPUTIME_ID || clockid === CLOCK_THREAD_CPUTIME_ID;
}

export { SI_TIMER };
