// The kernel: the task registry, the scheduler loop and the syscall dispatcher.
//
// The sentry owns its event loop (DESIGN.md): one JS thread runs
//   for (;;) { ev = platform.wait(deadline); dispatch(ev) }
// A syscall handler returns at once (the hot path: no promise, no allocation), or
// parks its task (BLOCKED); a woken task's handler runs again from the run queue.
import * as E from '../abi/errno';
import type { MemoryFile } from '../mm/memfile';
import { HOST_SIGNAL_TOKEN, hostSignals, takeHostSignals } from '../platform/host';
import { Context, EventKind, Platform, PlatformEvent } from '../platform/platform';
import { ORIG_RAX, RAX, RIP, RDI, RDX, R10, R8, R9, RSI, getReg, setReg } from '../platform/regs';
import type { Logger } from '../util/log';
import { EVENT_IN, EVENT_OUT, EVENT_PRI, WaitQueue } from '../waiter/waiter';
import { BLOCKED, EXITED, NO_RETURN } from './results';
import {
  CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SA_NOCLDSTOP, SA_NOCLDWAIT, SIGCHLD, SIGKILL, SIGSEGV,
  SIGSTOP, SIGSYS, SIG_IGN, SigInfo,
} from './signals';
import { deliverSignals, forceable, hasDeliverable, sendToGroup, sendToTask } from './delivery';
import { BlockKind, Task, TaskState } from './task';
import type { ThreadGroup } from './threadgroup';
import { LoadAvg } from './sysinfo';
import { Clock } from './time';
import { Futexes } from './futex';
import type { IntervalTimer } from './timers';
import type { ExecFile } from '../loader/loader';
import type { CpuInfo } from './exec';
import { SeccompAction } from './seccomp';

/** si_code of a SIGSYS from a seccomp trap. */
const SYS_SECCOMP = 1;

export type SyscallHandler = (t: Task, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number) => number;

/** Observes every syscall (strace). Only consulted when installed: the hot path checks one field. */
export interface SyscallTracer {
  entry(t: Task, nr: number): void;
  exit(t: Task, nr: number, ret: number): void;
}

/** File-system services the kernel calls back into (wired by the sandbox layer). */
export interface KernelVfs {
  /** Resolves path for t (relative to its cwd) and opens it for execution. */
  openExec(t: Task, path: string): ExecFile | number;
  /** The absolute path of t's open fd (execveat with a dirfd). */
  fdPath(t: Task, fd: number): string | number;
  /** The process a pidfd refers to, or -EBADF / -EINVAL. */
  pidfdTarget(t: Task, fd: number): ThreadGroup | number;
}

export interface KernelOptions {
  platform: Platform;
  memfile: MemoryFile;
  handlers: (SyscallHandler | null)[];
  names: string[];
  log: Logger;
  clock: Clock;
  random: (buf: Uint8Array, off: number, len: number) => void;
  cpu: CpuInfo;
  randomizeLayout?: boolean;
  hostname?: string;
  vfs: KernelVfs;
  /**
   * The app may make inet sockets: host sockets in the sandbox process's network
   * namespace. Off (EAFNOSUPPORT) when that namespace was not chosen for the sandbox
   * (`do --unconfined` runs in the caller's).
   */
  inet?: boolean;
  /**
   * net.ipv4.ip_unprivileged_port_start of the sandbox's network namespace: a bind below
   * it needs CAP_NET_BIND_SERVICE in the sandbox (default 1024).
   */
  unprivPortStart?: number;
  /**
   * Most host sockets the app may hold at once (each is a host fd of the sandbox
   * process, which its own files and stubs need too); beyond, socket(2) gives ENFILE.
   */
  maxHostSockets?: number;
}

/** Something the kernel's timer queue calls back at a CLOCK_MONOTONIC deadline. */
export interface TimerTarget {
  fire(k: Kernel, now: number): void;
}

interface Timer {
  deadline: number;
  target: TimerTarget;
}

export class Kernel {
  readonly platform: Platform;
  readonly memfile: MemoryFile;
  readonly log: Logger;
  readonly clock: Clock;
  private readonly handlers: (SyscallHandler | null)[];
  private readonly names: string[];
  tracer: SyscallTracer | null = null;
  readonly random: (buf: Uint8Array, off: number, len: number) => void;
  readonly cpu: CpuInfo;
  readonly randomizeLayout: boolean;
  readonly inet: boolean;
  readonly unprivPortStart: number;
  readonly maxHostSockets: number;
  /** Host sockets the app holds now (src/net/host). */
  hostSockets = 0;
  readonly vfs: KernelVfs;
  /** UTS namespace: uname's nodename and domainname. */
  hostname: string;
  domainname = '(none)';

  /** Tasks by sandbox tid, and by the host tid of their platform context. */
  readonly tasks = new Map<number, Task>();
  private readonly byHostTid = new Map<number, Task>();
  readonly threadGroups = new Map<number, ThreadGroup>();
  private nextTid = 1;
  readonly futexes = new Futexes();
  /** Armed CPU-time timers, checked by cpuTick every 10 ms while any exist. */
  readonly cpuTimers = new Set<IntervalTimer>();
  private readonly cpuTick: TimerTarget = {
    fire: (k: Kernel, now: number): void => {
      for (const t of [...k.cpuTimers]) if (t.expiry >= 0 && t.now(k) >= t.expiry) t.fire(k, now);
      if (k.cpuTimers.size > 0) k.addTimer(k.cpuTick, now + 10e6);
    },
  };

  armCpuTimer(t: IntervalTimer): void {
    const first = this.cpuTimers.size === 0;
    this.cpuTimers.add(t);
    if (first) this.addTimer(this.cpuTick, this.clock.monoNow() + 10e6);
  }
  /** The task limit of a sandbox given no pids limit (an update to pids.limit -1 restores it). */
  static readonly DEFAULT_MAX_TASKS = 32768;
  /** The sandbox's process limit (OCI pids.limit); clone fails with EAGAIN beyond it. */
  maxTasks = Kernel.DEFAULT_MAX_TASKS;
  /** The container's init; its exit ends the sandbox. */
  init: ThreadGroup | null = null;
  /** Exit code of the sandbox (as a shell reports it) once init has exited. */
  exitCode = -1;

  private readonly runQueue: Task[] = [];
  private readonly timers: Timer[] = [];
  /** Host fd -> the tasks waiting for it and the events its epoll registration asks for. */
  private readonly hostWaiters = new Map<number, { events: number; tasks: Task[]; armed?: boolean }>();
  /** How many host fds have a live epoll registration (kept so the loop need not scan). */
  private armedHostFds = 0;
  /**
   * Host fds registered for good, edge-triggered (the app's host sockets): every edge the
   * host reports notifies the queue, which gives epoll's EPOLLET its meaning; a task
   * waiting on one only counts as a watcher (no registration of its own).
   */
  private readonly hostQueues = new Map<number, WaitQueue>();
  /** Serves the sandbox's control requests when the platform reports some (set by the sandbox). */
  onControl: (() => void) | null = null;
  /** Tasks whose wait is already satisfied as they park (a host fd that cannot be polled). */
  private readonly readyNow: Task[] = [];
  private readonly ev = new PlatformEvent();
  private readonly reportedUnsupported = new Set<number>();
  private running = 0;
  /**
   * The sandbox is paused (`tsvisor pause`): no task goes back to app code; each is held
   * as Paused where it would have been resumed (see returnToUser) until resume().
   */
  private paused = false;
  /** Callers of pause() waiting until no task runs app code any more. */
  private readonly pauseWaiters: (() => void)[] = [];

  constructor(o: KernelOptions) {
    this.platform = o.platform;
    this.memfile = o.memfile;
    this.handlers = o.handlers;
    this.names = o.names;
    this.log = o.log;
    this.clock = o.clock;
    this.random = o.random;
    this.cpu = o.cpu;
    this.randomizeLayout = o.randomizeLayout ?? true;
    this.inet = o.inet ?? false;
    this.unprivPortStart = o.unprivPortStart ?? 1024;
    this.maxHostSockets = o.maxHostSockets ?? 4096;
    this.hostname = o.hostname ?? 'tsvisor';
    this.vfs = o.vfs;
  }

  openExecFor(t: Task, path: string): ExecFile | number {
    return this.vfs.openExec(t, path);
  }

  fdPath(t: Task, fd: number): string | number {
    return this.vfs.fdPath(t, fd);
  }

  pidfdTarget(t: Task, fd: number): ThreadGroup | number {
    return this.vfs.pidfdTarget(t, fd);
  }

  /** execve from a non-leader thread: it takes over the thread-group id as its tid. */
  retid(t: Task, tid: number): void {
    this.tasks.delete(t.tid);
    t.tid = tid;
    this.tasks.set(tid, t);
  }

  /** Gives t a new platform context (execve): the old one's host tid is forgotten. */
  replaceContext(t: Task, ctx: Context): void {
    this.byHostTid.delete(t.ctx.tid);
    t.ctx = ctx;
    t.regs = ctx.regs;
    this.byHostTid.set(ctx.tid, t);
  }

  /** Highest pid handed out (Linux's pid_max default). */
  static readonly PID_MAX = 4194304;

  /** Load averages of the sandbox's tasks (sysinfo, /proc/loadavg). */
  readonly load = new LoadAvg();

  /** Runnable tasks now, and the load averages advanced to now. */
  sampleLoad(): { runnable: number; avg: number[] } {
    let n = 0;
    for (const t of this.tasks.values()) if (t.state === TaskState.Running || t.state === TaskState.Runnable) n++;
    return { runnable: n, avg: this.load.sample(this.clock.monoNow(), n) };
  }

  /** The pid handed out last (/proc/loadavg). */
  get lastPid(): number {
    return this.nextTid - 1;
  }

  /** The lowest free pid at or after the last one given, wrapping like Linux's allocator. */
  allocTid(): number {
    for (let n = 0; n < Kernel.PID_MAX; n++) {
      if (this.nextTid >= Kernel.PID_MAX) this.nextTid = 300; // Linux restarts above the boot-time range
      const tid = this.nextTid++;
      if (!this.tasks.has(tid) && !this.threadGroups.has(tid)) return tid;
    }
    return -1;
  }

  /** Makes a new task known and runnable from its current registers. */
  addTask(t: Task): void {
    this.tasks.set(t.tid, t);
    this.byHostTid.set(t.ctx.tid, t);
    if (!t.tg.tasks.includes(t)) t.tg.tasks.push(t);
    this.threadGroups.set(t.tg.tgid, t.tg);
  }

  /** Starts a task that has never run: its registers are set, it begins in app code. */
  start(t: Task): void {
    this.returnToUser(t, 2, null);
  }

  // ---- the loop ------------------------------------------------------------------

  /** Runs until init exits; returns the exit code a shell would report. */
  run(): number {
    const ev = this.ev;
    const platform = this.platform;
    while (this.exitCode < 0) {
      // One length test per event: a pause is answered once the running tasks are parked.
      if (this.pauseWaiters.length !== 0) this.settlePause();
      if (this.runQueue.length > 0) {
        this.runWoken();
        continue;
      }
      let timeout = -1;
      if (this.timers.length > 0) {
        timeout = this.timers[0].deadline - this.clock.monoNow();
        if (timeout <= 0) {
          this.fireTimers();
          continue;
        }
      }
      const watching = timeout >= 0 || this.armedHostFds > 0 || this.running === 0;
      const kind = platform.wait(timeout, watching, ev);
      switch (kind) {
        case EventKind.Syscall: {
          const t = this.byHostTid.get(ev.tid);
          if (t !== undefined) this.syscall(t);
          break;
        }
        case EventKind.Signal:
          this.onSignal(ev);
          break;
        case EventKind.Exit:
          this.onContextExit(ev.tid);
          break;
        case EventKind.HostFd:
          for (let i = 0; i < ev.fdCount; i++) {
            const tok = ev.fdTokens[i];
            if (tok === HOST_SIGNAL_TOKEN) this.hostSignalHandler?.(takeHostSignals());
            else this.onHostFd(tok, ev.fdEvents[i]);
          }
          break;
        case EventKind.Timeout:
          this.fireTimers();
          break;
        case EventKind.Control:
          if (this.onControl !== null) this.onControl();
          break;
        default:
          break;
      }
    }
    return this.exitCode;
  }

  /** The syscall hot path. */
  private syscall(t: Task): void {
    const regs = t.regs;
    const nr = regs[ORIG_RAX >> 2];
    this.running--;
    t.restarting = false;
    t.timedOut = false;
    t.queueWoken = false;
    t.lastFault = -1;
    if (t.tg.stopped) {
      // The group stopped while this thread ran: it runs its syscall after SIGCONT.
      this.holdStopped(t, 0, nr);
      return;
    }
    this.execute(t, nr);
  }

  /**
   * The task whose syscall handler runs now (Linux's `current`): poll-style readiness of
   * files whose state depends on the caller (signalfd) reads it.
   */
  current: Task | null = null;

  /** Runs (or re-runs) the handler of t's current syscall and resumes t if it finished. */
  private execute(t: Task, nr: number): void {
    const regs = t.regs;
    let ret: number;
    const tracer = this.tracer;
    if (tracer !== null && !t.restarting) tracer.entry(t, nr);
    const h = nr >= 0 && nr < this.handlers.length ? this.handlers[nr] : null;
    this.current = t;
    const sc = t.seccomp;
    if (sc !== null && !t.restarting) {
      const act = sc.check(nr, getReg(regs, RDI), getReg(regs, RSI), getReg(regs, RDX), getReg(regs, R10),
        getReg(regs, R8), getReg(regs, R9));
      if (act !== SeccompAction.Allow && act !== SeccompAction.Log) {
        this.seccompDeny(t, nr, act, sc.lastErrno);
        return;
      }
    }
    if (h === null) {
      ret = this.unsupported(t, nr);
    } else {
      try {
        ret = h(t, getReg(regs, RDI), getReg(regs, RSI), getReg(regs, RDX), getReg(regs, R10), getReg(regs, R8),
          getReg(regs, R9));
      } catch (e) {
        ret = this.internalError(t, nr, e);
      }
    }
    if (ret === BLOCKED) return;
    if (tracer !== null) tracer.exit(t, nr, ret);
    if (ret === EXITED || t.state === TaskState.Dead) return;
    let mode = 2;
    if (ret !== NO_RETURN) {
      setReg(regs, RAX, ret);
      mode = 1;
    }
    this.returnToUser(t, mode, ret === NO_RETURN ? null : ret);
  }

  /**
   * A syscall the container's seccomp profile refuses: it is not run; the app sees the
   * errno, ENOSYS with a SIGSYS (trap), or dies of SIGSYS (kill), as Linux does.
   */
  private seccompDeny(t: Task, nr: number, act: SeccompAction, errno: number): void {
    const regs = t.regs;
    switch (act) {
      case SeccompAction.KillProcess:
        this.exitGroup(t.tg, 0, SIGSYS);
        return;
      case SeccompAction.KillThread:
        // Linux kills the whole process when the thread is its only one (and dumps core).
        if (t.tg.tasks.length === 1) this.exitGroup(t.tg, 0, SIGSYS);
        else this.exitTask(t, 0, SIGSYS);
        return;
      case SeccompAction.Trap:
        setReg(regs, RAX, -E.ENOSYS);
        sendToTask(this, t, new SigInfo(SIGSYS, SYS_SECCOMP, 0, 0, nr), true);
        break;
      case SeccompAction.Trace:
        setReg(regs, RAX, -E.ENOSYS); // no tracer can attach: as Linux without one
        break;
      default:
        setReg(regs, RAX, -errno);
        break;
    }
    if (this.tracer !== null) this.tracer.exit(t, nr, getReg(regs, RAX));
    this.returnToUser(t, 1, getReg(regs, RAX));
  }

  /**
   * Resumes t in app code, delivering pending signals first (and settling a syscall
   * that asked to be restarted). mode: 0 registers untouched, 1 rax changed, 2 all.
   */
  returnToUser(t: Task, mode: number, ret: number | null): void {
    if (ret !== null && ret <= -512 && ret >= -516 || hasDeliverable(t) || t.tg.stopped) {
      const m = deliverSignals(this, t, ret);
      if (m < 0) {
        // Stopped by a stop signal (or killed): hold it until SIGCONT. An interrupted
        // syscall's fate is settled when it continues (it may restart).
        if (t.state !== TaskState.Dead) {
          this.holdStopped(t, Math.max(mode, 1), -1);
          t.stoppedRet = ret;
        }
        return;
      }
      if (m > mode) mode = m;
    }
    if (this.paused) {
      // Its syscall is done (or its signal frame built); it waits here for resume().
      t.state = TaskState.Paused;
      t.resumeMode = mode;
      t.restarting = false;
      return;
    }
    t.state = TaskState.Running;
    t.restarting = false;
    this.running++;
    const r = t.ctx.resume(mode, 0);
    if (r < 0) {
      // The stub thread vanished under us (killed from outside the sandbox).
      this.running--;
      this.log.error('cannot resume task', { tid: t.tid, errno: -r });
      this.exitGroup(t.tg, 128 + SIGKILL, SIGKILL);
    }
  }

  private unsupported(t: Task, nr: number): number {
    if (!this.reportedUnsupported.has(nr)) {
      this.reportedUnsupported.add(nr);
      // Info, not warn: libcs probe for many calls (rseq, ...) and cope with ENOSYS, so
      // this is a diagnostic for the operator's log, not a message for the app's stderr.
      this.log.info(`unsupported syscall ${this.names[nr] ?? 'unknown'} (${nr})`, { tid: t.tid, syscall: nr });
    }
    return -E.ENOSYS;
  }

  /** A handler threw: log it with the syscall and task, give the app an errno, go on. */
  internalError(t: Task, nr: number, e: unknown): number {
    const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
    this.log.error(`internal error in ${nr >= 0 ? (this.names[nr] ?? nr) : 'task start'}: ${msg}`, {
      tid: t.tid,
      syscall: nr,
    });
    return -E.EINVAL;
  }

  // ---- blocking and waking -----------------------------------------------------------

  /** Puts t to sleep; the caller has registered it where it will be woken. */
  park(t: Task, deadlineNs: number): void {
    t.state = TaskState.Blocked;
    t.blockDeadline = deadlineNs;
    if (deadlineNs >= 0) this.addTimer(t.timeoutTarget, deadlineNs);
    if (this.readyNow.length > 0) {
      for (const r of this.readyNow.splice(0)) this.wake(r, false);
    }
  }

  /** Wakes a blocked task: its syscall runs again from the run queue. */
  wake(t: Task, timedOut: boolean): void {
    if (t.state !== TaskState.Blocked) return;
    this.unblock(t);
    t.timedOut = timedOut;
    t.state = TaskState.Runnable;
    this.runQueue.push(t);
  }

  /** Removes t from whatever it was waiting on. */
  private unblock(t: Task): void {
    for (const q of t.blockQueues) q.remove(t);
    t.blockQueues.length = 0;
    if (t.blockHostFds.length > 0) this.unwatchHostFds(t);
    if (t.blockDeadline >= 0) {
      this.removeTimer(t.timeoutTarget);
      t.blockDeadline = -1;
    }
    t.blockKind = BlockKind.None;
  }

  private runWoken(): void {
    const q = this.runQueue.splice(0);
    for (const t of q) {
      if (t.state !== TaskState.Runnable) continue;
      t.restarting = true;
      this.execute(t, t.regs[ORIG_RAX >> 2]);
    }
  }

  /** Arms target at deadline (CLOCK_MONOTONIC ns). A target is in the queue at most once. */
  addTimer(target: TimerTarget, deadline: number): void {
    this.removeTimer(target);
    const timers = this.timers;
    let i = timers.length;
    while (i > 0 && timers[i - 1].deadline > deadline) i--;
    timers.splice(i, 0, { deadline, target });
  }

  removeTimer(target: TimerTarget): void {
    const i = this.timers.findIndex((x) => x.target === target);
    if (i >= 0) this.timers.splice(i, 1);
  }

  private fireTimers(): void {
    const now = this.clock.monoNow();
    while (this.timers.length > 0 && this.timers[0].deadline <= now) {
      const { target } = this.timers.shift() as Timer;
      target.fire(this, now);
    }
  }

  /**
   * Wakes t when the host fd is ready for events. One epoll registration per fd, for
   * the union of what its waiters want (one-shot: re-armed by the next waiter).
   */
  watchHostFd(t: Task, fd: number, events: number): void {
    t.blockHostFds.push(fd);
    let w = this.hostWaiters.get(fd);
    if (w === undefined) {
      w = { events: 0, tasks: [] };
      this.hostWaiters.set(fd, w);
    }
    w.tasks.push(t);
    if (this.hostQueues.has(fd)) {
      // Registered for good: the next edge wakes the waiters; they keep the loop watching.
      if (!w.armed) {
        w.armed = true;
        this.armedHostFds++;
      }
      return;
    }
    if ((w.events & events) !== events || !w.armed) {
      if (w.armed) {
        this.platform.unwatchFd(fd);
        this.armedHostFds--;
      }
      w.events |= events;
      w.armed = this.platform.watchFd(fd, w.events | 0x40000000 /* EPOLLONESHOT */, fd) >= 0;
      if (w.armed) this.armedHostFds++;
      else this.readyNow.push(t); // not pollable (a regular file): always ready
    }
  }

  private unwatchHostFds(t: Task): void {
    for (const fd of t.blockHostFds) {
      const w = this.hostWaiters.get(fd);
      if (w === undefined) continue;
      const i = w.tasks.indexOf(t);
      if (i >= 0) w.tasks.splice(i, 1);
      if (w.tasks.length === 0) {
        this.hostWaiters.delete(fd);
        if (w.armed) {
          if (!this.hostQueues.has(fd)) this.platform.unwatchFd(fd);
          this.armedHostFds--;
        }
      }
    }
    t.blockHostFds.length = 0;
  }

  /**
   * Registers host fd for good, edge-triggered, for every event: q hears of each edge.
   * False if the host cannot poll it.
   */
  watchHostQueue(fd: number, q: WaitQueue): boolean {
    const EPOLLET = 0x80000000, EPOLLRDHUP = 0x2000;
    if (this.platform.watchFd(fd, (EVENT_IN | EVENT_OUT | EVENT_PRI | EPOLLRDHUP | EPOLLET) | 0, fd) < 0) return false;
    this.hostQueues.set(fd, q);
    return true;
  }

  /** Ends a watchHostQueue registration (before the fd is closed). */
  unwatchHostQueue(fd: number): void {
    if (!this.hostQueues.delete(fd)) return;
    this.platform.unwatchFd(fd);
    const w = this.hostWaiters.get(fd);
    if (w !== undefined && w.armed) {
      w.armed = false;
      this.armedHostFds--;
    }
  }

  private onHostFd(fd: number, events: number): void {
    const q = this.hostQueues.get(fd);
    if (q !== undefined) {
      q.notify(events & 0xffff);
      const w = this.hostWaiters.get(fd);
      if (w !== undefined) for (const t of w.tasks.slice()) this.wake(t, false);
      return;
    }
    const w = this.hostWaiters.get(fd);
    if (w === undefined) return;
    // One-shot: fired. Drop the (now disabled) registration so the next waiter can add it.
    if (w.armed) {
      this.platform.unwatchFd(fd);
      this.armedHostFds--;
    }
    w.armed = false;
    for (const t of w.tasks.slice()) this.wake(t, false);
  }

  // ---- faults, interrupts, stops ----------------------------------------------------------

  private onSignal(ev: PlatformEvent): void {
    const t = this.byHostTid.get(ev.tid);
    if (t === undefined) {
      const doomed = this.doomed.get(ev.tid);
      if (doomed !== undefined) {
        this.doomed.delete(ev.tid);
        doomed.release();
      }
      return;
    }
    this.running--;
    t.ctx.loadRegs();
    if (ev.signo === SIGSTOP) {
      // Our own interrupt (or an operator's SIGSTOP, which the sandbox does not see).
      t.interruptPending = false;
      this.returnToUser(t, 0, null);
      return;
    }
    // A write fault the sentry resolves (copy-on-write). The same address faulting twice
    // in a row is a real fault: the host mapping must already have been fixed.
    if (ev.signo === SIGSEGV && ev.addr !== t.lastFault && t.mm.handleFault(ev.addr, ev.code === 2 /* SEGV_ACCERR */)) {
      t.lastFault = ev.addr;
      this.returnToUser(t, 0, null);
      return;
    }
    t.lastFault = -1;
    let signo = ev.signo, code = ev.code;
    if (signo === SIGSEGV && t.mm.pastEof(ev.addr)) {
      // A file mapping's pages past the end of the file: SIGBUS/BUS_ADRERR, as Linux.
      signo = 7;
      code = 2;
    }
    // A synchronous fault: the thread gets the signal now, and cannot block or ignore it.
    const vma = t.mm.find(ev.addr);
    if (this.log.enabled('debug')) this.log.debug('fault', { tid: t.tid, signo, code, addr: ev.addr.toString(16), rip: getReg(t.regs, RIP).toString(16),
      vma: vma === null ? 'none' : `${vma.start.toString(16)}-${vma.end.toString(16)} prot=${vma.prot} cow=${vma.cow} users=${vma.backing.users}` });
    forceable(t, signo);
    sendToTask(this, t, new SigInfo(signo, code, 0, 0, 0, 0, ev.addr), true);
    if (t.state === TaskState.Dead) return;
    this.returnToUser(t, 0, null);
  }

  private onContextExit(hostTid: number): void {
    this.doomed.delete(hostTid);
    const t = this.byHostTid.get(hostTid);
    if (t === undefined || t.state === TaskState.Dead) return;
    // The stub thread died without the sentry asking (killed from outside).
    if (t.state === TaskState.Running) this.running--;
    t.state = TaskState.Blocked; // not running any more, whatever it was
    this.exitGroup(t.tg, 128 + SIGKILL, SIGKILL);
  }

  /** Contexts of dead tasks still running app code: released when they next stop. */
  private readonly doomed = new Map<number, Context>();

  /**
   * A signal was queued for t: make it notice. A task blocked in a syscall wakes (its
   * handler sees t.interrupted()); one running app code is kicked into the sentry.
   */
  signalWake(t: Task): void {
    if (t.state === TaskState.Blocked) this.wake(t, false);
    else if (t.state === TaskState.Running && !t.interruptPending) {
      t.interruptPending = true;
      t.ctx.interrupt();
    }
  }

  // ---- pause and resume (the OCI runtime's pause/resume) ---------------------------------

  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Pauses every app task: from now on no task returns to app code. Tasks running app
   * code are kicked into the sentry and parked; syscalls in progress finish or stay
   * blocked as they would, and their tasks are held before returning. done() runs once
   * no task runs app code (at once when none does).
   */
  pause(done: () => void): void {
    if (!this.paused) {
      this.paused = true;
      for (const t of this.tasks.values()) {
        if (t.state === TaskState.Running && !t.interruptPending) {
          t.interruptPending = true;
          t.ctx.interrupt();
        }
      }
    }
    this.pauseWaiters.push(done);
    this.settlePause();
  }

  /** Tells pause()'s callers once every running task has been parked. */
  private settlePause(): void {
    if (this.running > 0 && this.paused) return;
    for (const done of this.pauseWaiters.splice(0)) done();
  }

  /** Lets every paused task go back to app code (signals that came meanwhile are delivered). */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.settlePause();
    const held: Task[] = [];
    for (const t of this.tasks.values()) if (t.state === TaskState.Paused) held.push(t);
    for (const t of held) {
      if (t.state === TaskState.Paused) this.returnToUser(t, t.resumeMode, null);
    }
  }

  /** Parks t while its group is stopped. nr >= 0: the syscall it will run on SIGCONT. */
  private holdStopped(t: Task, mode: number, nr: number): void {
    t.state = TaskState.Stopped;
    t.resumeMode = mode;
    t.stoppedSyscall = nr;
    t.stoppedRet = null;
  }

  /** Stops every thread of tg (default action of SIGSTOP & co.), and tells the parent. */
  stopGroup(tg: ThreadGroup, sig: number): void {
    if (tg.stopped) return;
    tg.stopped = true;
    tg.stopSignal = sig;
    tg.stopUnreported = true;
    tg.continuedUnreported = false;
    for (const t of tg.tasks) if (t.state === TaskState.Running) this.signalWake(t);
    this.notifyParent(tg, CLD_STOPPED, sig);
  }

  /** SIGCONT for one thread of a continued group. */
  continueTask(t: Task): void {
    if (t.state !== TaskState.Stopped) return;
    if (t.stoppedSyscall >= 0) {
      const nr = t.stoppedSyscall;
      t.stoppedSyscall = -1;
      t.state = TaskState.Running; // accounted as leaving app code by execute()
      t.restarting = false;
      this.execute(t, nr);
      return;
    }
    const ret = t.stoppedRet;
    t.stoppedRet = null;
    this.returnToUser(t, t.resumeMode, ret);
  }

  /**
   * Tells tg's parent that tg changed state: SIGCHLD (unless SA_NOCLDSTOP for stops
   * and continues) and a wake-up for its wait calls.
   */
  notifyParent(tg: ThreadGroup, code: number, status: number): void {
    const p = tg.parent;
    if (p === null) return;
    const act = p.sighand.actions[SIGCHLD];
    const sig = code === CLD_EXITED || code === CLD_KILLED || code === CLD_DUMPED ? tg.exitSignal : SIGCHLD;
    const quiet = (code === CLD_STOPPED || code === CLD_CONTINUED) && (act.flags & SA_NOCLDSTOP) !== 0;
    if (sig > 0 && !quiet) {
      sendToGroup(this, p, new SigInfo(sig, code, tg.tgid, 0, status, 0, 0, 0, Math.round(tg.utimeNs / 1e7),
        Math.round(tg.stimeNs / 1e7)));
    }
    p.childWait.notify(-1);
  }

  // ---- exits ------------------------------------------------------------------------------

  /**
   * Ends one task. Its thread group ends with it when it was the last one.
   * code: the shell-style exit code; signo: the killing signal (0 for a normal exit).
   */
  exitTask(t: Task, code: number, signo: number): void {
    if (t.state === TaskState.Dead) return;
    const wasRunning = t.state === TaskState.Running;
    if (t.state === TaskState.Blocked || t.state === TaskState.Runnable) this.unblock(t);
    if (wasRunning) this.running--;
    t.state = TaskState.Dead;
    this.futexes.exitRobustList(t);
    if (t.tg.tasks.length > 1 || t.mm.sharedWithOthers()) this.futexes.clearChildTid(t);
    this.exitHooks?.taskExit(t);
    this.tasks.delete(t.tid);
    this.byHostTid.delete(t.ctx.tid);
    const tg = t.tg;
    const i = tg.tasks.indexOf(t);
    if (i >= 0) tg.tasks.splice(i, 1);
    if (tg.tasks.length === 1 && !tg.groupExiting) tg.tasks[0].ctx.setParallel(false);
    if (tg.tasks.length === 0) {
      this.groupDone(tg, code, signo);
    } else if (wasRunning) {
      // Still in app code: it leaves when it next stops.
      this.doomed.set(t.ctx.tid, t.ctx);
      t.ctx.interrupt();
    } else {
      t.ctx.release();
    }
  }

  /** exit_group or a fatal signal: every thread of the group ends. */
  exitGroup(tg: ThreadGroup, code: number, signo: number): void {
    if (tg.groupExiting && tg.tasks.length === 0) return;
    tg.groupExiting = true;
    for (const t of tg.tasks.slice()) this.exitTask(t, code, signo);
  }

  private groupDone(tg: ThreadGroup, code: number, signo: number): void {
    tg.exitStatus = signo !== 0 ? signo : (code & 0xff) << 8;
    tg.groupExiting = true;
    for (const timer of [...tg.itimers, ...tg.posixTimers.values()]) {
      if (timer === undefined) continue;
      this.removeTimer(timer);
      this.cpuTimers.delete(timer);
    }
    tg.utimeNs = tg.cpuBaseNs + tg.mm.as.cpuTimeNs();
    this.exitHooks?.groupExit(tg);
    tg.exitWait.notify(-1);
    tg.mm.decUsers();
    if (tg.vforkDone !== null) {
      tg.vforkDone.notify(-1);
      tg.vforkDone = null;
    }
    if (tg === this.init) {
      this.exitCode = signo !== 0 ? 128 + signo : code & 0xff;
      // The death of init ends every other process of the sandbox.
      for (const other of [...this.threadGroups.values()]) if (other !== tg && other.exitStatus < 0) this.exitGroup(other, 0, SIGKILL);
      return;
    }
    // Children go to the nearest subreaper above, else to init.
    let reaper: ThreadGroup | null = tg.parent;
    while (reaper !== null && !reaper.prctl.subreaper) reaper = reaper.parent;
    if (reaper === null || reaper.exitStatus >= 0) reaper = this.init;
    for (const c of tg.children) {
      c.parent = reaper;
      if (reaper !== null) {
        reaper.children.add(c);
        if (c.exitStatus >= 0) this.notifyParent(c, c.exitStatus & 0x7f ? CLD_KILLED : CLD_EXITED, c.exitStatus);
      }
      if (c.prctl.pdeathSig !== 0 && c.exitStatus < 0) sendToGroup(this, c, new SigInfo(c.prctl.pdeathSig, 0));
    }
    // POSIX 3.2.2.2, as Linux's kill_orphaned_pgrp: groups this exit orphans get SIGHUP +
    // SIGCONT if they have stopped members. Our own group, if we tied it to the session
    // (our parent is in another group of the same session); our children's groups, if we
    // were what tied them.
    const candidates = new Set<number>();
    const par = tg.parent;
    if (par !== null && par.pgid !== tg.pgid && par.sid === tg.sid) candidates.add(tg.pgid);
    for (const c of tg.children) if (c.pgid !== tg.pgid && c.sid === tg.sid) candidates.add(c.pgid);
    tg.children.clear();
    this.checkOrphans(candidates, tg);
    const p = tg.parent;
    // A parent that ignores SIGCHLD (or has SA_NOCLDWAIT) does not keep zombies.
    if (p !== null && p.exitStatus < 0 && tg.exitSignal === SIGCHLD) {
      const act = p.sighand.actions[SIGCHLD];
      if (act.handler === SIG_IGN || (act.flags & SA_NOCLDWAIT) !== 0) {
        // No zombie; with SA_NOCLDWAIT and a handler, SIGCHLD is still sent.
        if (act.handler !== SIG_IGN) {
          const killed = (tg.exitStatus & 0x7f) !== 0;
          sendToGroup(this, p, new SigInfo(SIGCHLD, killed ? CLD_KILLED : CLD_EXITED, tg.tgid, 0,
            killed ? tg.exitStatus & 0x7f : code & 0xff));
        }
        this.reap(tg);
        p.childWait.notify(-1);
        return;
      }
    }
    // A process with no parent in the sandbox (one the runtime exec'd into it) is reaped
    // by the runtime outside, which has read its status from exitHooks by now.
    if (tg.parent === null) {
      this.reap(tg);
      return;
    }
    const killed = (tg.exitStatus & 0x7f) !== 0;
    this.notifyParent(tg, killed ? CLD_KILLED : CLD_EXITED, killed ? tg.exitStatus & 0x7f : code & 0xff);
  }

  /**
   * POSIX: a process group that becomes orphaned (no member has a parent in another
   * group of the same session) while some member is stopped gets SIGHUP then SIGCONT.
   */
  private checkOrphans(pgids: Set<number>, gone: ThreadGroup): void {
    for (const pg of pgids) {
      const members = [...this.threadGroups.values()].filter((g) => g.pgid === pg && g.exitStatus < 0 && g !== gone);
      if (members.length === 0 || !members.some((g) => g.stopped)) continue;
      // Still tied if some member has a live parent in another group of the same session.
      const anchored = members.some((g) => g.parent !== null && g.parent !== gone && g.parent.exitStatus < 0 &&
        g.parent.pgid !== pg && g.parent.sid === g.sid);
      if (anchored) continue;
      for (const g of members) {
        sendToGroup(this, g, new SigInfo(1 /* SIGHUP */, 0x80));
        sendToGroup(this, g, new SigInfo(18 /* SIGCONT */, 0x80));
      }
    }
  }

  /** Forgets a zombie: its pid can be used again. */
  reap(tg: ThreadGroup): void {
    this.threadGroups.delete(tg.tgid);
    if (tg.parent !== null) {
      tg.parent.children.delete(tg);
      tg.parent.cutimeNs += tg.utimeNs + tg.cutimeNs;
      tg.parent.cstimeNs += tg.stimeNs + tg.cstimeNs;
    }
  }

  /**
   * Host signals the sentry forwards into the sandbox (the console's ^C and resizes), set
   * with enableHostSignals. Both wait modes report them (the fast one through EINTR).
   */
  hostSignalHandler: ((mask: number) => void) | null = null;

  enableHostSignals(mask: number, handler: (mask: number) => void): number {
    this.hostSignalHandler = handler;
    return hostSignals(mask);
  }

  /** Resource cleanup the kernel leaves to the layers that own it (fd tables, futexes). */
  exitHooks: { taskExit(t: Task): void; groupExit(tg: ThreadGroup): void } | null = null;

  shutdown(): void {
    for (const tg of this.threadGroups.values()) {
      try {
        tg.mm.release();
      } catch {
        // best effort
      }
    }
    this.platform.shutdown();
  }
}
