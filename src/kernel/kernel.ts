// The kernel: the task registry, the scheduler loop and the syscall dispatcher.
//
// The sentry owns its event loop (DESIGN.md): one JS thread runs
//   for (;;) { ev = platform.wait(deadline); dispatch(ev) }
// A syscall handler returns at once (the hot path: no promise, no allocation), or
// parks its task (BLOCKED); a woken task's handler runs again from the run queue.
import * as E from '../abi/errno';
import type { MemoryFile } from '../mm/memfile';
import { Context, EventKind, Platform, PlatformEvent } from '../platform/platform';
import { ORIG_RAX, RAX, RDI, RDX, R10, R8, R9, RSI, getReg, setReg } from '../platform/regs';
import type { Logger } from '../util/log';
import { BLOCKED, EXITED, NO_RETURN } from './results';
import { SIGKILL } from './signals';
import { BlockKind, Task, TaskState } from './task';
import type { ThreadGroup } from './threadgroup';
import { Clock } from './time';
import type { ExecFile } from '../loader/loader';
import type { CpuInfo } from './exec';

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
}

interface Timer {
  deadline: number;
  task: Task;
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
  readonly vfs: KernelVfs;
  /** UTS namespace: uname's nodename and domainname. */
  hostname: string;
  domainname = '(none)';

  /** Tasks by sandbox tid, and by the host tid of their platform context. */
  readonly tasks = new Map<number, Task>();
  private readonly byHostTid = new Map<number, Task>();
  readonly threadGroups = new Map<number, ThreadGroup>();
  private nextTid = 1;
  /** The container's init; its exit ends the sandbox. */
  init: ThreadGroup | null = null;
  /** Exit code of the sandbox (as a shell reports it) once init has exited. */
  exitCode = -1;

  private readonly runQueue: Task[] = [];
  private readonly timers: Timer[] = [];
  /** Host fd -> tasks waiting for it. */
  private readonly hostWaiters = new Map<number, Task[]>();
  private readonly ev = new PlatformEvent();
  private readonly reportedUnsupported = new Set<number>();
  private running = 0;

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
    this.hostname = o.hostname ?? 'tsvisor';
    this.vfs = o.vfs;
  }

  openExecFor(t: Task, path: string): ExecFile | number {
    return this.vfs.openExec(t, path);
  }

  fdPath(t: Task, fd: number): string | number {
    return this.vfs.fdPath(t, fd);
  }

  /** Gives t a new platform context (execve): the old one's host tid is forgotten. */
  replaceContext(t: Task, ctx: Context): void {
    this.byHostTid.delete(t.ctx.tid);
    t.ctx = ctx;
    t.regs = ctx.regs;
    this.byHostTid.set(ctx.tid, t);
  }

  allocTid(): number {
    while (this.tasks.has(this.nextTid)) this.nextTid++;
    return this.nextTid++;
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
    t.state = TaskState.Running;
    this.running++;
    const r = t.ctx.resume(2, 0);
    if (r < 0) this.internalError(t, -1, new Error(`cannot start task: errno ${-r}`));
  }

  // ---- the loop ------------------------------------------------------------------

  /** Runs until init exits; returns the exit code a shell would report. */
  run(): number {
    const ev = this.ev;
    const platform = this.platform;
    while (this.exitCode < 0) {
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
      const watching = timeout >= 0 || this.hostWaiters.size > 0 || this.running === 0;
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
          for (let i = 0; i < ev.fdCount; i++) this.onHostFd(ev.fdTokens[i]);
          break;
        case EventKind.Timeout:
          this.fireTimers();
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
    this.execute(t, nr);
  }

  /** Runs (or re-runs) the handler of t's current syscall and resumes t if it finished. */
  private execute(t: Task, nr: number): void {
    const regs = t.regs;
    let ret: number;
    const tracer = this.tracer;
    if (tracer !== null && !t.restarting) tracer.entry(t, nr);
    const h = nr >= 0 && nr < this.handlers.length ? this.handlers[nr] : null;
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
    if (ret === EXITED) return;
    if (t.state === TaskState.Dead) return;
    t.state = TaskState.Running;
    this.running++;
    let mode = 2;
    if (ret !== NO_RETURN) {
      setReg(regs, RAX, ret);
      mode = 1;
    }
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
      this.log.warn(`unsupported syscall ${this.names[nr] ?? 'unknown'} (${nr})`, { tid: t.tid, syscall: nr });
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
    if (deadlineNs >= 0) this.addTimer(t, deadlineNs);
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
    if (t.blockQueue !== null) {
      t.blockQueue.remove(t);
      t.blockQueue = null;
    }
    if (t.blockKind === BlockKind.HostFd) this.unwatchHostFd(t);
    if (t.blockDeadline >= 0) {
      this.removeTimer(t);
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

  private addTimer(t: Task, deadline: number): void {
    const timers = this.timers;
    let i = timers.length;
    while (i > 0 && timers[i - 1].deadline > deadline) i--;
    timers.splice(i, 0, { deadline, task: t });
  }

  private removeTimer(t: Task): void {
    const i = this.timers.findIndex((x) => x.task === t);
    if (i >= 0) this.timers.splice(i, 1);
  }

  private fireTimers(): void {
    const now = this.clock.monoNow();
    while (this.timers.length > 0 && this.timers[0].deadline <= now) {
      const { task } = this.timers.shift() as Timer;
      task.blockDeadline = -1;
      this.wake(task, true);
    }
  }

  watchHostFd(t: Task, fd: number, events: number): void {
    let list = this.hostWaiters.get(fd);
    if (list === undefined) {
      list = [];
      this.hostWaiters.set(fd, list);
      const r = this.platform.watchFd(fd, events | 0x40000000 /* EPOLLONESHOT */, fd);
      if (r < 0) {
        // Not pollable (a regular file): it is always ready.
        this.hostWaiters.delete(fd);
        this.runQueue.push(t);
        return;
      }
    }
    list.push(t);
  }

  private unwatchHostFd(t: Task): void {
    const fd = t.blockHostFd;
    t.blockHostFd = -1;
    const list = this.hostWaiters.get(fd);
    if (list === undefined) return;
    const i = list.indexOf(t);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) {
      this.hostWaiters.delete(fd);
      this.platform.unwatchFd(fd);
    }
  }

  private onHostFd(fd: number): void {
    const list = this.hostWaiters.get(fd);
    if (list === undefined) return;
    for (const t of list.slice()) this.wake(t, false);
  }

  // ---- faults, signals and exits ---------------------------------------------------

  private onSignal(ev: PlatformEvent): void {
    const t = this.byHostTid.get(ev.tid);
    if (t === undefined) return;
    this.running--;
    // Synchronous faults: with no signal delivery yet, the default action applies
    // (terminate, with a core for SIGSEGV/SIGBUS/SIGFPE/SIGILL/SIGTRAP).
    this.log.debug('fatal signal', { tid: t.tid, signo: ev.signo, addr: ev.addr, code: ev.code });
    this.exitGroup(t.tg, 128 + ev.signo, ev.signo);
  }

  private onContextExit(hostTid: number): void {
    const t = this.byHostTid.get(hostTid);
    if (t === undefined || t.state === TaskState.Dead) return;
    // The stub thread died without the sentry asking (killed from outside).
    this.running--;
    this.exitGroup(t.tg, 128 + SIGKILL, SIGKILL);
  }

  /**
   * Ends one task. Its thread group ends with it when it was the last one.
   * code: the shell-style exit code; signo: the killing signal (0 for a normal exit).
   */
  exitTask(t: Task, code: number, signo: number): void {
    if (t.state === TaskState.Dead) return;
    if (t.state === TaskState.Blocked || t.state === TaskState.Runnable) this.unblock(t);
    if (t.state === TaskState.Running) this.running--;
    t.state = TaskState.Dead;
    this.tasks.delete(t.tid);
    this.byHostTid.delete(t.ctx.tid);
    const tg = t.tg;
    const i = tg.tasks.indexOf(t);
    if (i >= 0) tg.tasks.splice(i, 1);
    if (tg.tasks.length === 0) this.groupDone(tg, code, signo);
    else t.ctx.release();
  }

  /** exit_group or a fatal signal: every thread of the group ends. */
  exitGroup(tg: ThreadGroup, code: number, signo: number): void {
    tg.groupExiting = true;
    for (const t of tg.tasks.slice()) this.exitTask(t, code, signo);
  }

  private groupDone(tg: ThreadGroup, code: number, signo: number): void {
    tg.exitStatus = signo !== 0 ? signo : (code & 0xff) << 8;
    tg.mm.release();
    this.threadGroups.delete(tg.tgid);
    this.onGroupExit?.(tg);
    if (tg === this.init) this.exitCode = signo !== 0 ? 128 + signo : code & 0xff;
  }

  /** Called when a thread group has fully exited (fd tables are closed there). */
  onGroupExit: ((tg: ThreadGroup) => void) | null = null;

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
