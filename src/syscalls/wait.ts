// wait4 and waitid: collecting children that exited, stopped or continued.
import * as E from '../abi/errno';
import { CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SIGCHLD } from '../kernel/signals';
import type { Task } from '../kernel/task';
import type { ThreadGroup } from '../kernel/threadgroup';
import { NR } from './names';
import { SyscallTable } from './table';
import { scratch } from './util';

const WNOHANG = 1, WUNTRACED = 2, WSTOPPED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000,
  __WNOTHREAD = 0x20000000, __WALL = 0x40000000, __WCLONE = 0x80000000 | 0;
const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;

interface Found {
  tg: ThreadGroup;
  /** What is reported: CLD_* code and the status/signal that goes with it. */
  code: number;
  status: number;
}

/**
 * Looks for a child of t matching the selector. Returns the child to report, 0 when
 * matching children exist but none has news, or -ECHILD when there is no such child.
 */
function findChild(t: Task, sel: (c: ThreadGroup) => boolean, options: number): Found | number {
  let matched = false;
  for (const c of t.tg.children) {
    if (!sel(c)) continue;
    // __WCLONE selects "clone" children (exit signal other than SIGCHLD); __WALL both.
    if ((options & __WALL) === 0 && ((options & __WCLONE) !== 0) !== (c.exitSignal !== SIGCHLD)) continue;
    if ((options & __WNOTHREAD) !== 0 && c.creatorTid !== t.tid) continue;
    matched = true;
    if (c.exitStatus >= 0 && (options & WEXITED) !== 0) {
      const sig = c.exitStatus & 0x7f;
      return sig !== 0
        ? { tg: c, code: (c.exitStatus & 0x80) !== 0 ? CLD_DUMPED : CLD_KILLED, status: sig }
        : { tg: c, code: CLD_EXITED, status: (c.exitStatus >> 8) & 0xff };
    }
    if (c.exitStatus < 0 && c.stopped && c.stopUnreported && (options & WSTOPPED) !== 0) {
      return { tg: c, code: CLD_STOPPED, status: c.stopSignal };
    }
    if (c.exitStatus < 0 && c.continuedUnreported && (options & WCONTINUED) !== 0) {
      return { tg: c, code: CLD_CONTINUED, status: 18 };
    }
  }
  return matched ? 0 : -E.ECHILD;
}

/** Marks what was reported as collected (unless WNOWAIT), reaping a zombie. */
function consume(t: Task, f: Found, options: number): void {
  if ((options & WNOWAIT) !== 0) return;
  if (f.code === CLD_STOPPED) f.tg.stopUnreported = false;
  else if (f.code === CLD_CONTINUED) f.tg.continuedUnreported = false;
  else t.kernel.reap(f.tg);
}

function selector(t: Task, idtype: number, id: number): ((c: ThreadGroup) => boolean) | number {
  switch (idtype) {
    case P_ALL:
      return () => true;
    case P_PID:
      if (id <= 0) return -E.EINVAL;
      return (c) => c.tgid === id;
    case P_PGID: {
      const pg = id === 0 ? t.tg.pgid : id;
      if (pg < 0) return -E.EINVAL;
      return (c) => c.pgid === pg;
    }
    case P_PIDFD: {
      const tg = t.kernel.pidfdTarget(t, id);
      if (typeof tg === 'number') return tg;
      return (c) => c === tg;
    }
    default:
      return -E.EINVAL;
  }
}

function writeRusage(t: Task, addr: number, c: ThreadGroup | null): number {
  if (addr === 0) return 0;
  scratch.fill(0, 0, 144);
  if (c !== null) {
    const u = c.utimeNs + c.cutimeNs, s = c.stimeNs + c.cstimeNs;
    scratch.writeUInt32LE(Math.floor(u / 1e9), 0);
    scratch.writeUInt32LE(Math.floor((u % 1e9) / 1e3), 8);
    scratch.writeUInt32LE(Math.floor(s / 1e9), 16);
    scratch.writeUInt32LE(Math.floor((s % 1e9) / 1e3), 24);
  }
  return t.mm.copyOut(addr, scratch, 0, 144);
}

function wait4(t: Task, pid: number, statusAddr: number, options: number, rusage: number): number {
  pid |= 0;
  options |= 0;
  if ((options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE)) !== 0) return -E.EINVAL;
  let sel: (c: ThreadGroup) => boolean;
  if (pid > 0) sel = (c) => c.tgid === pid;
  else if (pid === 0) {
    const pg = t.tg.pgid;
    sel = (c) => c.pgid === pg;
  } else if (pid === -1) sel = () => true;
  else {
    if (pid === -2147483648) return -E.ESRCH;
    sel = (c) => c.pgid === -pid;
  }
  const f = findChild(t, sel, options | WEXITED);
  if (typeof f === 'number') {
    if (f < 0) return f;
    if ((options & WNOHANG) !== 0) return 0;
    if (t.restarting && t.interrupted()) return -E.ERESTARTSYS;
    return t.block(t.tg.childWait, -1, -1);
  }
  // Like Linux, the child is collected even if writing the results then faults.
  let st: number;
  if (f.code === CLD_STOPPED) st = 0x7f | (f.status << 8);
  else if (f.code === CLD_CONTINUED) st = 0xffff;
  else st = f.tg.exitStatus & 0xffff;
  const tgid = f.tg.tgid;
  const rtg = f.code === CLD_STOPPED || f.code === CLD_CONTINUED ? null : f.tg;
  consume(t, f, options);
  if (statusAddr !== 0) {
    scratch.writeInt32LE(st, 0);
    if (t.mm.copyOut(statusAddr, scratch, 0, 4) < 0) return -E.EFAULT;
  }
  if (writeRusage(t, rusage, rtg) < 0) return -E.EFAULT;
  return tgid;
}

function waitid(t: Task, idtype: number, id: number, infop: number, options: number, rusage: number): number {
  idtype |= 0;
  id |= 0;
  options |= 0;
  if ((options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD | __WALL | __WCLONE)) !== 0) return -E.EINVAL;
  if ((options & (WEXITED | WSTOPPED | WCONTINUED)) === 0) return -E.EINVAL;
  const sel = selector(t, idtype, id);
  if (typeof sel === 'number') return sel;
  const f = findChild(t, sel, options);
  if (typeof f === 'number') {
    if (f < 0) return f;
    if ((options & WNOHANG) !== 0) {
      // Nothing to report: Linux zeroes si_signo and si_pid.
      if (infop !== 0) {
        scratch.fill(0, 0, 128);
        if (t.mm.copyOut(infop, scratch, 0, 128) < 0) return -E.EFAULT;
      }
      return 0;
    }
    if (t.restarting && t.interrupted()) return -E.ERESTARTSYS;
    return t.block(t.tg.childWait, -1, -1);
  }
  if (infop !== 0) {
    scratch.fill(0, 0, 128);
    scratch.writeInt32LE(SIGCHLD, 0);
    scratch.writeInt32LE(f.code, 8);
    scratch.writeInt32LE(f.tg.tgid, 16);
    scratch.writeUInt32LE((f.tg.leader?.creds.uid ?? 0) >>> 0, 20);
    scratch.writeInt32LE(f.status, 24);
    if (t.mm.copyOut(infop, scratch, 0, 128) < 0) return -E.EFAULT;
  }
  if (writeRusage(t, rusage, f.code === CLD_STOPPED || f.code === CLD_CONTINUED ? null : f.tg) < 0) return -E.EFAULT;
  consume(t, f, options);
  return 0;
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.wait4, wait4, 'partial', 'rusage reports CPU times only');
  tbl.def(NR.waitid, waitid, 'partial', 'rusage reports CPU times only');
}
