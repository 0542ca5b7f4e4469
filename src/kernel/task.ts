// A task is one app thread: its registers (through its platform context), its
// thread group, and the explicit state it is in. Every sleep point is a named state
// with its data in plain fields (never a closure), so a task can later be
// checkpointed or moved.
import type { Credentials } from '../auth/creds';
import type { MM } from '../mm/mm';
import type { Context } from '../platform/platform';
import type { FdTable } from '../vfs/fdtable';
import type { FsContext } from '../vfs/context';
import type { VfsTask } from '../vfs/task';
import { Waiter, WaitQueue } from '../waiter/waiter';
import type { Kernel } from './kernel';
import type { ThreadGroup } from './threadgroup';
import { SignalState } from './signals';
import type { SeccompFilter } from './seccomp';
import { BLOCKED } from './results';

export const enum TaskState {
  /** Executing app code (resumed on the platform). */
  Running = 0,
  /** Woken: its blocked syscall must run again. */
  Runnable = 1,
  /** Parked in a syscall on a wait queue, a timer or a host fd. */
  Blocked = 2,
  /** Gone; only kept while something still refers to it. */
  Dead = 3,
  /** Held by a group stop (SIGSTOP & co.) until SIGCONT; resumes with resumeMode. */
  Stopped = 4,
  /**
   * Held on its way back to app code while the sandbox is paused (`tsvisor pause`);
   * resumes with resumeMode when the sandbox is resumed. Independent of group stops.
   */
  Paused = 5,
}

/** What a blocked task is waiting for (for /proc/pid/wchan-style views and restore). */
export const enum BlockKind {
  None = 0,
  Queue = 1,
  HostFd = 2,
  Sleep = 3,
}

export class Task implements VfsTask, Waiter {
  state = TaskState.Running;
  regs: Int32Array;

  // ---- blocking (see Kernel.block/wake) ----
  blockKind = BlockKind.None;
  /** The queues and host fds a blocked task waits on (several for poll). */
  readonly blockQueues: WaitQueue[] = [];
  readonly blockHostFds: number[] = [];
  /** CLOCK_MONOTONIC ns at which the block times out; -1 = never. */
  blockDeadline = -1;
  restarting = false;
  timedOut = false;
  /** Per-syscall scratch kept across re-runs (e.g. a sleep's absolute deadline). */
  sysDeadline = -1;
  /** Resume mode to use when a Stopped or Paused task goes on (Kernel.continueTask, Kernel.resume). */
  resumeMode = 0;
  /** The result of the syscall a stop interrupted, settled (restart or EINTR) on SIGCONT. */
  stoppedRet: number | null = null;
  /** The syscall number to run when a task stopped at a syscall stop continues; -1 = none. */
  stoppedSyscall = -1;
  /** Address of the last fault the sentry resolved for this task (see Kernel.onSignal). */
  lastFault = -1;
  /** A platform interrupt was requested and has not arrived yet. */
  interruptPending = false;
  /** Scheduling policy and static priority, as sched_setscheduler set them. */
  readonly sched = { policy: 0, priority: 0 };
  /** What restart_syscall continues (see syscalls/time.ts); 0 = nothing. */
  restartBlock = 0;
  /** The child a vfork parent waits for. */
  vforkChild = 0;
  /** The thread that created this one (for __WNOTHREAD). */
  creatorTid = 0;
  /** Bytes a blocking transfer already moved in earlier runs of the current syscall. */
  ioProgress = 0;

  // ---- per-thread state ----
  clearChildTid = 0;
  robustList = 0;
  /** The container's seccomp profile (kept by clone and execve, as a seccomp filter is). */
  seccomp: SeccompFilter | null = null;
  robustLen = 0;
  /** Thread name (comm), at most 15 bytes. */
  comm: string;
  readonly signals = new SignalState();

  /** The timer-queue entry that ends a timed block (see Kernel.park). */
  readonly timeoutTarget = {
    task: this as Task,
    fire(k: Kernel): void {
      this.task.blockDeadline = -1;
      k.wake(this.task, true);
    },
  };

  constructor(
    readonly kernel: Kernel,
    /** Sandbox-visible thread id (execve from a non-leader thread gives it the leader's). */
    public tid: number,
    public tg: ThreadGroup,
    public ctx: Context,
    public fdTable: FdTable,
    public fs: FsContext,
    public creds: Credentials,
    comm: string,
  ) {
    this.regs = ctx.regs;
    this.comm = comm;
  }

  get mm(): MM {
    return this.tg.mm;
  }

  get tgid(): number {
    return this.tg.tgid;
  }

  block(q: WaitQueue, mask: number, deadlineNs: number): number {
    q.add(this, mask);
    this.blockQueues.push(q);
    this.blockKind = BlockKind.Queue;
    this.kernel.park(this, deadlineNs);
    return BLOCKED;
  }

  blockOnHostFd(fd: number, events: number, deadlineNs: number): number {
    this.blockKind = BlockKind.HostFd;
    this.kernel.watchHostFd(this, fd, events);
    this.kernel.park(this, deadlineNs);
    return BLOCKED;
  }

  /** Parks the task until the deadline only (nanosleep and friends). */
  sleepUntil(deadlineNs: number): number {
    this.blockKind = BlockKind.Sleep;
    this.kernel.park(this, deadlineNs);
    return BLOCKED;
  }

  interrupted(): boolean {
    const s = this.signals, g = this.tg.sharedPending;
    return ((s.pending.lo | g.lo) & ~s.maskLo) !== 0 || ((s.pending.hi | g.hi) & ~s.maskHi) !== 0 || this.tg.groupExiting;
  }

  /** rt_sigtimedwait's set while it waits: these signals wake the task though blocked. */
  sigwaitLo = 0;
  sigwaitHi = 0;

  sigwaiting(sig: number): boolean {
    return sig <= 32 ? ((this.sigwaitLo >>> (sig - 1)) & 1) === 1 : ((this.sigwaitHi >>> (sig - 33)) & 1) === 1;
  }

  /** Set when a wait queue (not a timer or a signal) woke the task. */
  queueWoken = false;

  /** FUTEX_REQUEUE moved this task to another queue. */
  requeued(q: WaitQueue): void {
    // FUTEX_REQUEUE: the futex queue this task sleeps on is now q.
    if (this.blockQueues.length === 1) this.blockQueues[0] = q;
  }

  /**
   * Parks the task on several queues and host fds at once (poll, select, epoll); any of
   * them wakes it. Returns BLOCKED.
   */
  blockMany(queues: WaitQueue[], masks: number[], hostFds: number[], hostEvents: number[], deadlineNs: number): number {
    for (let i = 0; i < queues.length; i++) {
      queues[i].add(this, masks[i]);
      this.blockQueues.push(queues[i]);
    }
    for (let i = 0; i < hostFds.length; i++) this.kernel.watchHostFd(this, hostFds[i], hostEvents[i]);
    this.blockKind = BlockKind.Queue;
    this.kernel.park(this, deadlineNs);
    return BLOCKED;
  }

  notify(_events: number): void {
    if (this.state === TaskState.Blocked) this.queueWoken = true;
    this.kernel.wake(this, false);
  }
}
