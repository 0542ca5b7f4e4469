// Signal state: dispositions (per thread group), per-thread masks, pending sets and
// queues (per thread and per group), the alternate stack. Delivery (frames, default
// actions, restarts) is in delivery.ts; this file holds the data and the queueing rules.

import { WaitQueue } from '../waiter/waiter';

export const NSIG = 64;
export const SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7, SIGFPE = 8,
  SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14, SIGTERM = 15, SIGSTKFLT = 16,
  SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22, SIGURG = 23, SIGXCPU = 24,
  SIGXFSZ = 25, SIGVTALRM = 26, SIGPROF = 27, SIGWINCH = 28, SIGIO = 29, SIGPWR = 30, SIGSYS = 31, SIGRTMIN = 32;

export const SIG_DFL = 0, SIG_IGN = 1;
export const SA_NOCLDSTOP = 0x1, SA_NOCLDWAIT = 0x2, SA_SIGINFO = 0x4, SA_RESTORER = 0x04000000,
  SA_ONSTACK = 0x08000000, SA_RESTART = 0x10000000, SA_NODEFER = 0x40000000, SA_RESETHAND = 0x80000000;

// si_code values
export const SI_USER = 0, SI_KERNEL = 0x80, SI_QUEUE = -1, SI_TIMER = -2, SI_TKILL = -6;
export const CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3, CLD_TRAPPED = 4, CLD_STOPPED = 5, CLD_CONTINUED = 6;
export const SEGV_MAPERR = 1, SEGV_ACCERR = 2;

/** Default actions. */
export const enum Action {
  Terminate,
  Core,
  Stop,
  Continue,
  Ignore,
}

export function defaultAction(sig: number): Action {
  switch (sig) {
    case SIGCHLD: case SIGURG: case SIGWINCH:
      return Action.Ignore;
    case SIGCONT:
      return Action.Continue;
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
      return Action.Stop;
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE: case SIGSEGV: case SIGXCPU:
    case SIGXFSZ: case SIGSYS:
      return Action.Core;
    default:
      return sig >= SIGRTMIN ? Action.Terminate : Action.Terminate;
  }
}

/** One sigaction, as struct kernel_sigaction holds it. */
export class SigAction {
  handler = 0; // SIG_DFL = 0, SIG_IGN = 1, else an address
  flags = 0;
  restorer = 0;
  maskLo = 0;
  maskHi = 0;
}

/** The siginfo a queued signal carries (the 128-byte struct is built at delivery). */
export class SigInfo {
  constructor(
    public signo: number,
    public code: number,
    /** si_pid / si_uid for kill-style signals, si_addr for faults (as pid=addr, uid unused). */
    public pid = 0,
    public uid = 0,
    /** si_status for SIGCHLD, si_int/si_ptr value for sigqueue, si_overrun for timers. */
    public status = 0,
    public value = 0,
    public addr = 0,
    /** Timer id (SI_TIMER) or fd (SIGIO). */
    public timerId = 0,
    public utime = 0,
    public stime = 0,
  ) {}
}

export function sigMaskHas(lo: number, hi: number, sig: number): boolean {
  return sig <= 32 ? ((lo >>> (sig - 1)) & 1) === 1 : ((hi >>> (sig - 33)) & 1) === 1;
}

/** SIGKILL and SIGSTOP can never be blocked. */
export const UNBLOCKABLE_LO = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

/**
 * A pending set: a bit per signal plus, for each pending signal, its queued siginfos.
 * Standard signals queue at most one; real-time signals queue every instance.
 */
export class PendingSet {
  lo = 0;
  hi = 0;
  readonly queue: SigInfo[][] = [];

  has(sig: number): boolean {
    return sigMaskHas(this.lo, this.hi, sig);
  }

  /** Returns false when a standard signal was already pending (the new one merges). */
  add(info: SigInfo): boolean {
    const sig = info.signo;
    if (sig < SIGRTMIN && this.has(sig)) return false;
    if (sig <= 32) this.lo |= 1 << (sig - 1);
    else this.hi |= 1 << (sig - 33);
    (this.queue[sig] ??= []).push(info);
    return true;
  }

  /** Removes and returns the first queued instance of sig. */
  take(sig: number): SigInfo | null {
    const q = this.queue[sig];
    const info = q !== undefined && q.length > 0 ? (q.shift() as SigInfo) : null;
    if (q === undefined || q.length === 0) this.clear(sig);
    return info;
  }

  clear(sig: number): void {
    if (sig <= 32) this.lo &= ~(1 << (sig - 1));
    else this.hi &= ~(1 << (sig - 33));
    const q = this.queue[sig];
    if (q !== undefined) q.length = 0;
  }

  /** The lowest-numbered pending signal not in the mask (synchronous ones first, as Linux), or 0. */
  next(maskLo: number, maskHi: number): number {
    const lo = this.lo & ~maskLo, hi = this.hi & ~maskHi;
    if (lo !== 0) {
      // Linux prefers the synchronous fault signals.
      for (const s of [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS]) if ((lo >>> (s - 1)) & 1) return s;
      return 31 - Math.clz32(lo & -lo) + 1;
    }
    if (hi !== 0) return 31 - Math.clz32(hi & -hi) + 33;
    return 0;
  }

  get empty(): boolean {
    return this.lo === 0 && this.hi === 0;
  }
}

/** Per-thread signal state. */
export class SignalState {
  maskLo = 0;
  maskHi = 0;
  readonly pending = new PendingSet();
  altSp = 0;
  altFlags = 2; // SS_DISABLE
  altSize = 0;
  /** Mask to restore after a sigsuspend-style call once a handler has run; -1 = none. */
  savedMaskLo = 0;
  savedMaskHi = 0;
  hasSavedMask = false;

  // kept for callers that predate the pending set
  get pendingLo(): number {
    return this.pending.lo;
  }
  get pendingHi(): number {
    return this.pending.hi;
  }

  /** True when a signal this thread does not block is pending for it (not counting group signals). */
  hasUnblockedPending(): boolean {
    return (this.pending.lo & ~this.maskLo) !== 0 || (this.pending.hi & ~this.maskHi) !== 0;
  }

  blocks(sig: number): boolean {
    return sigMaskHas(this.maskLo, this.maskHi, sig);
  }

  onAltStack(sp: number): boolean {
    return this.altSize !== 0 && sp > this.altSp && sp - this.altSp <= this.altSize;
  }
}

/** Dispositions, shared by the threads of a group (CLONE_SIGHAND). */
export class SigHandlers {
  readonly actions: SigAction[] = [];
  /**
   * Readers and pollers of signalfds of these threads (Linux's sighand->signalfd_wqh):
   * notified whenever a signal becomes pending for one of them, blocked or not.
   */
  readonly signalfdWaiters = new WaitQueue();
  constructor() {
    for (let i = 0; i <= NSIG; i++) this.actions.push(new SigAction());
  }
  clone(): SigHandlers {
    const c = new SigHandlers();
    for (let i = 0; i <= NSIG; i++) Object.assign(c.actions[i], this.actions[i]);
    return c;
  }
  /** True when sig would be thrown away on arrival (ignored, explicitly or by default). */
  ignores(sig: number): boolean {
    const a = this.actions[sig];
    if (a.handler === SIG_IGN) return true;
    return a.handler === SIG_DFL && defaultAction(sig) === Action.Ignore;
  }
}
