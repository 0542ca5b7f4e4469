// clone(2) in all its forms: new processes (fork, vfork) and new threads, with Linux's
// rules for which flag combinations are refused.
import * as E from '../abi/errno';
import { FS_BASE, RAX, RSP, setReg } from '../platform/regs';
import type { FdTable } from '../vfs/fdtable';
import type { FsContext } from '../vfs/context';
import { WaitQueue } from '../waiter/waiter';
import { FP_STATE_SIZE } from './exec';
import type { Kernel } from './kernel';
import { SigHandlers } from './signals';
import { Task } from './task';
import { RLIMIT_NPROC, ThreadGroup } from './threadgroup';

export const CSIGNAL = 0xff, CLONE_VM = 0x100, CLONE_FS = 0x200, CLONE_FILES = 0x400, CLONE_SIGHAND = 0x800,
  CLONE_PIDFD = 0x1000, CLONE_PTRACE = 0x2000, CLONE_VFORK = 0x4000, CLONE_PARENT = 0x8000, CLONE_THREAD = 0x10000,
  CLONE_NEWNS = 0x20000, CLONE_SYSVSEM = 0x40000, CLONE_SETTLS = 0x80000, CLONE_PARENT_SETTID = 0x100000,
  CLONE_CHILD_CLEARTID = 0x200000, CLONE_DETACHED = 0x400000, CLONE_UNTRACED = 0x800000,
  CLONE_CHILD_SETTID = 0x1000000, CLONE_NEWCGROUP = 0x2000000, CLONE_NEWUTS = 0x4000000, CLONE_NEWIPC = 0x8000000,
  CLONE_NEWUSER = 0x10000000, CLONE_NEWPID = 0x20000000, CLONE_NEWNET = 0x40000000, CLONE_IO = 0x80000000;
export const CLONE_NEWTIME = 0x80, CLONE_CLEAR_SIGHAND = 0x100000000, CLONE_INTO_CGROUP = 0x200000000;
const NAMESPACE_FLAGS = CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
  CLONE_NEWNET;

export interface CloneArgs {
  /** Low 32 bits of the flags (what legacy clone passes), plus the high clone3-only bits. */
  flags: number;
  flagsHi: number;
  exitSignal: number;
  /** New stack pointer, 0 = the parent's. */
  stack: number;
  tls: number;
  parentTid: number;
  childTid: number;
  /** clone3: where the pidfd goes (CLONE_PIDFD); legacy clone uses parentTid. */
  pidfd: number;
}

const fpBuf = new Uint8Array(FP_STATE_SIZE);

/** The hooks clone needs from the layers above (fd tables and pidfds live in vfs/fs). */
export interface CloneHooks {
  forkFiles(t: Task, share: boolean): FdTable;
  forkFs(t: Task, share: boolean): FsContext;
  /** Creates a pidfd for child in t's fd table (CLONE_PIDFD); returns the fd or -errno. */
  pidfd(t: Task, child: ThreadGroup): number;
}

/**
 * Creates the new task. Returns the new tid (for the parent) or -errno. The child
 * starts in app code with rax = 0.
 */
export function doClone(k: Kernel, t: Task, a: CloneArgs, hooks: CloneHooks): number {
  const f = a.flags;
  if ((f & (CLONE_NEWNS | CLONE_FS)) === (CLONE_NEWNS | CLONE_FS)) return -E.EINVAL;
  if ((f & (CLONE_NEWUSER | CLONE_FS)) === (CLONE_NEWUSER | CLONE_FS)) return -E.EINVAL;
  if ((f & CLONE_THREAD) !== 0 && (f & CLONE_SIGHAND) === 0) return -E.EINVAL;
  if ((f & CLONE_SIGHAND) !== 0 && (f & CLONE_VM) === 0) return -E.EINVAL;
  if ((f & CLONE_PARENT) !== 0 && t.tg === k.init) return -E.EINVAL;
  if ((f & CLONE_PIDFD) !== 0 && ((f & (CLONE_THREAD | CLONE_DETACHED)) !== 0)) return -E.EINVAL;
  if ((a.flagsHi & 1) !== 0 && (f & CLONE_SIGHAND) !== 0) return -E.EINVAL; // CLONE_CLEAR_SIGHAND
  if ((f & NAMESPACE_FLAGS) !== 0 || (a.flagsHi & 2) !== 0 || (f & CLONE_NEWTIME) !== 0) {
    // New namespaces inside a sandbox are not offered (see COMPATIBILITY): refused as
    // an unprivileged caller would be.
    return -E.EPERM;
  }
  if (a.exitSignal < 0 || a.exitSignal > 64) return -E.EINVAL;
  // Process limits: the sandbox's pids limit, and RLIMIT_NPROC for non-root.
  if (k.tasks.size >= k.maxTasks) return -E.EAGAIN;
  if (t.creds.uid !== 0 && k.tasks.size >= t.tg.rlimits.cur[RLIMIT_NPROC]) return -E.EAGAIN;
  const tid = k.allocTid();
  if (tid < 0) return -E.EAGAIN;

  const thread = (f & CLONE_THREAD) !== 0;
  const shareVm = (f & CLONE_VM) !== 0;
  // Address space and the context that will run the child.
  let mm = t.mm;
  let ctx;
  try {
    if (shareVm) {
      ctx = mm.as.newContext();
    } else {
      const as = k.platform.newAddressSpace();
      mm = t.mm.fork(as);
      ctx = as.newContext();
    }
  } catch (e) {
    k.log.error(`clone: cannot create a stub context: ${e instanceof Error ? e.message : String(e)}`, { tid: t.tid });
    return -E.EAGAIN;
  }
  ctx.regs.set(t.regs);
  setReg(ctx.regs, RAX, 0);
  if (a.stack !== 0) setReg(ctx.regs, RSP, a.stack);
  if ((f & CLONE_SETTLS) !== 0) setReg(ctx.regs, FS_BASE, a.tls);
  const fpLen = t.ctx.getFpState(fpBuf);
  if (fpLen > 0) ctx.setFpState(fpBuf, fpLen);

  let tg: ThreadGroup;
  if (thread) {
    tg = t.tg;
  } else {
    const parent = (f & CLONE_PARENT) !== 0 ? t.tg.parent : t.tg;
    const sighand = (f & CLONE_SIGHAND) !== 0 ? t.tg.sighand : t.tg.sighand.clone();
    if ((a.flagsHi & 1) !== 0) resetHandlers(sighand);
    tg = new ThreadGroup(tid, mm, parent, sighand, t.tg.rlimits.clone());
    if (shareVm) mm.incUsers();
    tg.pgid = t.tg.pgid;
    tg.sid = t.tg.sid;
    tg.ctty = t.tg.ctty;
    tg.exitSignal = a.exitSignal;
    tg.execArgv = t.tg.execArgv;
    tg.startMono = k.clock.monoNow();
    tg.creatorTid = t.tid;
    tg.nice = t.tg.nice;
    Object.assign(tg.prctl, t.tg.prctl, { pdeathSig: 0 });
    if (parent !== null) parent.children.add(tg);
  }
  const files = hooks.forkFiles(t, (f & CLONE_FILES) !== 0);
  const fs = hooks.forkFs(t, (f & CLONE_FS) !== 0);
  const child = new Task(k, tid, tg, ctx, files, fs, t.creds.clone(), t.comm);
  child.seccomp = t.seccomp;
  child.creatorTid = t.tid;
  child.signals.maskLo = t.signals.maskLo;
  child.signals.maskHi = t.signals.maskHi;
  if (thread) {
    // A new thread starts with no alternate stack; a new process inherits it.
  } else {
    child.signals.altSp = t.signals.altSp;
    child.signals.altSize = t.signals.altSize;
    child.signals.altFlags = t.signals.altFlags;
  }
  if ((f & CLONE_CHILD_CLEARTID) !== 0) child.clearChildTid = a.childTid;

  // Ids written back: the parent's copy first, then the child's (they may be the same memory).
  const tidBuf = Buffer.alloc(4);
  tidBuf.writeInt32LE(tid, 0);
  if ((f & CLONE_PARENT_SETTID) !== 0 && t.mm.copyOut(a.parentTid, tidBuf, 0, 4) < 0) {
    abandon(k, child, shareVm, thread);
    return -E.EFAULT;
  }
  if ((f & CLONE_CHILD_SETTID) !== 0 && mm.copyOut(a.childTid, tidBuf, 0, 4) < 0) {
    abandon(k, child, shareVm, thread);
    return -E.EFAULT;
  }
  if ((f & CLONE_PIDFD) !== 0) {
    const fd = hooks.pidfd(t, tg);
    if (fd < 0) {
      abandon(k, child, shareVm, thread);
      return fd;
    }
    tidBuf.writeInt32LE(fd, 0);
    if (t.mm.copyOut(a.pidfd, tidBuf, 0, 4) < 0) {
      abandon(k, child, shareVm, thread);
      return -E.EFAULT;
    }
  }

  k.addTask(child);
  if (thread) {
    // Threads of one process may run in parallel; a lone thread stays beside the sentry
    // (a tracer and tracee on one CPU make the cheapest round trips).
    for (const x of tg.tasks) x.ctx.setParallel(true);
  }
  if ((f & CLONE_VFORK) !== 0) tg.vforkDone = new WaitQueue();
  k.start(child);
  return tid;
}

function resetHandlers(h: SigHandlers): void {
  for (const a of h.actions) if (a.handler !== 1) {
    a.handler = 0;
    a.flags = 0;
    a.maskLo = a.maskHi = 0;
  }
}

/** Undoes a half-made child (a bad pointer for the tid writes). */
function abandon(k: Kernel, child: Task, sharedVm: boolean, thread: boolean): void {
  child.ctx.release();
  if (!thread) {
    child.tg.parent?.children.delete(child.tg);
    if (!sharedVm) child.tg.mm.release();
    else child.tg.mm.decUsers();
  }
  void k;
}
