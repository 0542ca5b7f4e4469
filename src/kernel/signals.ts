// Signal state as issue 2 needs it: dispositions, masks and the alternate stack are
// kept exactly as the app sets them so that rt_sigaction/rt_sigprocmask/sigaltstack
// read back what was written. Delivery (frames, handlers, interruption) builds on
// these structures.

export const NSIG = 64;
export const SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7, SIGFPE = 8,
  SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14, SIGTERM = 15, SIGCHLD = 17,
  SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22, SIGSYS = 31;

/** One sigaction, as struct kernel_sigaction holds it. */
export class SigAction {
  handler = 0; // SIG_DFL = 0, SIG_IGN = 1, else an address
  flags = 0;
  restorer = 0;
  maskLo = 0;
  maskHi = 0;
}

/** A 64-bit signal set as two 32-bit halves (bit n-1 = signal n). */
export function sigBit(sig: number): [number, number] {
  return sig <= 32 ? [1 << (sig - 1), 0] : [0, 1 << (sig - 33)];
}

/** Per-thread signal state. */
export class SignalState {
  maskLo = 0;
  maskHi = 0;
  pendingLo = 0;
  pendingHi = 0;
  altSp = 0;
  altFlags = 2; // SS_DISABLE
  altSize = 0;

  hasUnblockedPending(): boolean {
    return (this.pendingLo & ~this.maskLo) !== 0 || (this.pendingHi & ~this.maskHi) !== 0;
  }
}

/** Dispositions, shared by the threads of a group (CLONE_SIGHAND). */
export class SigHandlers {
  readonly actions: SigAction[] = [];
  constructor() {
    for (let i = 0; i <= NSIG; i++) this.actions.push(new SigAction());
  }
  clone(): SigHandlers {
    const c = new SigHandlers();
    for (let i = 0; i <= NSIG; i++) Object.assign(c.actions[i], this.actions[i]);
    return c;
  }
}
