// A thread group is a process: the tasks that share an address space, signal
// dispositions and resource limits, and the process's place in the process tree.
import type { MM } from '../mm/mm';
import { WaitQueue } from '../waiter/waiter';
import { PendingSet, SigHandlers } from './signals';
import type { IntervalTimer } from './timers';
import type { Task } from './task';

export const RLIMIT_CPU = 0, RLIMIT_FSIZE = 1, RLIMIT_DATA = 2, RLIMIT_STACK = 3, RLIMIT_CORE = 4, RLIMIT_RSS = 5,
  RLIMIT_NPROC = 6, RLIMIT_NOFILE = 7, RLIMIT_MEMLOCK = 8, RLIMIT_AS = 9, RLIMIT_LOCKS = 10, RLIMIT_SIGPENDING = 11,
  RLIMIT_MSGQUEUE = 12, RLIMIT_NICE = 13, RLIMIT_RTPRIO = 14, RLIMIT_RTTIME = 15, RLIM_NLIMITS = 16;

/** Resource limits; Infinity stands for RLIM_INFINITY. */
export class Rlimits {
  readonly cur: number[] = [];
  readonly max: number[] = [];
  constructor() {
    for (let i = 0; i < RLIM_NLIMITS; i++) {
      this.cur.push(Infinity);
      this.max.push(Infinity);
    }
    // Linux's defaults for a fresh login, which is what containers usually get.
    this.set(RLIMIT_STACK, 8 * 1024 * 1024, Infinity);
    this.set(RLIMIT_CORE, 0, Infinity);
    this.set(RLIMIT_NOFILE, 1024, 1048576);
    this.set(RLIMIT_NPROC, 63704, 63704);
    this.set(RLIMIT_MEMLOCK, 8 * 1024 * 1024, 8 * 1024 * 1024);
    this.set(RLIMIT_SIGPENDING, 63704, 63704);
    this.set(RLIMIT_MSGQUEUE, 819200, 819200);
    this.set(RLIMIT_NICE, 0, 0);
    this.set(RLIMIT_RTPRIO, 0, 0);
  }
  set(r: number, cur: number, max: number): void {
    this.cur[r] = cur;
    this.max[r] = max;
  }
  clone(): Rlimits {
    const c = new Rlimits();
    for (let i = 0; i < RLIM_NLIMITS; i++) c.set(i, this.cur[i], this.max[i]);
    return c;
  }
}

export class ThreadGroup {
  readonly tasks: Task[] = [];
  readonly children = new Set<ThreadGroup>();
  /** Wait status once the whole group has exited (as wait4 encodes it); -1 while alive. */
  exitStatus = -1;
  /** Set by exit_group or a fatal signal: the status every thread leaves with. */
  groupExiting = false;
  /** Signals sent to the process as a whole. */
  readonly sharedPending = new PendingSet();
  /** Job control: the group is stopped by a stop signal. */
  stopped = false;
  stopSignal = 0;
  /** A stop / continue the parent has not collected with wait yet. */
  stopUnreported = false;
  continuedUnreported = false;
  /** Signal sent to the parent when this process exits (SIGCHLD, or clone's choice; 0 = none). */
  exitSignal = 17;
  /** Set by a successful execve (setpgid on such a child fails with EACCES). */
  didExec = false;
  /** The session's controlling terminal, as the file system layer represents it. */
  ctty: unknown = null;
  /** The thread that created this process (for wait's __WNOTHREAD). */
  creatorTid = 0;
  /** Woken when this process exits (pidfds poll on it). */
  readonly exitWait = new WaitQueue();
  /** Woken when a child changes state (exits, stops, continues). */
  readonly childWait = new WaitQueue();
  /** Tasks of a vfork parent wait here for the child to exec or exit. */
  vforkDone: WaitQueue | null = null;
  /** CPU time used, in ns (user, system), for times/getrusage and wait's rusage. */
  utimeNs = 0;
  stimeNs = 0;
  /** Children's CPU time, collected when they are reaped. */
  cutimeNs = 0;
  cstimeNs = 0;
  /** Start time (CLOCK_MONOTONIC ns) for /proc/pid/stat. */
  startMono = 0;
  /** Nice value (-20..19). */
  nice = 0;
  /** CPU time of address spaces this process used before its last execve, in ns. */
  cpuBaseNs = 0;
  /** setitimer's timers (real, virtual, prof) and the POSIX timers by id. */
  readonly itimers: IntervalTimer[] = [];
  readonly posixTimers = new Map<number, IntervalTimer>();
  nextTimerId = 0;
  pgid: number;
  sid: number;
  /** argv after `#!` expansion, as the last execve set it. */
  execArgv: string[] = [];
  /** prctl state that belongs to the process. */
  readonly prctl = { pdeathSig: 0, dumpable: 1, subreaper: false, thpDisable: false };
  constructor(
    readonly tgid: number,
    public mm: MM,
    public parent: ThreadGroup | null,
    public sighand: SigHandlers,
    public rlimits: Rlimits,
  ) {
    this.pgid = tgid;
    this.sid = tgid;
  }
  get leader(): Task | undefined {
    return this.tasks[0];
  }
}
