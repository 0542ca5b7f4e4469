// Scheduling calls. The sentry does not schedule app threads itself (the host does),
// so policies and priorities are recorded and reported back as Linux would, with
// Linux's permission and range checks.
import * as E from '../abi/errno';
import { CAP_SYS_NICE } from '../auth/creds';
import type { Task } from '../kernel/task';
import { NR } from './names';
import { SyscallTable } from './table';
import { scratch, writeTimePair } from './util';

const SCHED_OTHER = 0, SCHED_FIFO = 1, SCHED_RR = 2, SCHED_BATCH = 3, SCHED_IDLE = 5, SCHED_DEADLINE = 6;
const SCHED_RESET_ON_FORK = 0x40000000;
const PRIO_PROCESS = 0, PRIO_PGRP = 1, PRIO_USER = 2;

function target(t: Task, pid: number): Task | null {
  pid |= 0;
  if (pid === 0) return t;
  return t.kernel.tasks.get(pid) ?? null;
}

const realtime = (p: number) => p === SCHED_FIFO || p === SCHED_RR;

function schedGetscheduler(t: Task, pid: number): number {
  if ((pid | 0) < 0) return -E.EINVAL;
  const x = target(t, pid);
  if (x === null) return -E.ESRCH;
  return x.sched.policy;
}

function checkPolicy(t: Task, policy: number, prio: number): number {
  const p = policy & ~SCHED_RESET_ON_FORK;
  if (p !== SCHED_OTHER && p !== SCHED_FIFO && p !== SCHED_RR && p !== SCHED_BATCH && p !== SCHED_IDLE) return -E.EINVAL;
  if (realtime(p) ? prio < 1 || prio > 99 : prio !== 0) return -E.EINVAL;
  if (realtime(p) && !t.creds.hasCap(CAP_SYS_NICE)) return -E.EPERM;
  return 0;
}

function schedSetscheduler(t: Task, pid: number, policy: number, param: number): number {
  if ((pid | 0) < 0 || param === 0) return -E.EINVAL;
  const x = target(t, pid);
  if (x === null) return -E.ESRCH;
  if (t.mm.copyIn(param, scratch, 0, 4) < 0) return -E.EFAULT;
  const prio = scratch.readInt32LE(0);
  const r = checkPolicy(t, policy | 0, prio);
  if (r < 0) return r;
  x.sched.policy = (policy | 0) & ~SCHED_RESET_ON_FORK;
  x.sched.priority = prio;
  return 0;
}

function schedGetparam(t: Task, pid: number, param: number): number {
  if ((pid | 0) < 0 || param === 0) return -E.EINVAL;
  const x = target(t, pid);
  if (x === null) return -E.ESRCH;
  scratch.writeInt32LE(x.sched.priority, 0);
  return t.mm.copyOut(param, scratch, 0, 4);
}

function schedSetparam(t: Task, pid: number, param: number): number {
  if ((pid | 0) < 0 || param === 0) return -E.EINVAL;
  const x = target(t, pid);
  if (x === null) return -E.ESRCH;
  if (t.mm.copyIn(param, scratch, 0, 4) < 0) return -E.EFAULT;
  const r = checkPolicy(t, x.sched.policy, scratch.readInt32LE(0));
  if (r < 0) return r;
  x.sched.priority = scratch.readInt32LE(0);
  return 0;
}

function priorityMax(_t: Task, policy: number): number {
  policy |= 0;
  if (realtime(policy)) return 99;
  if (policy === SCHED_OTHER || policy === SCHED_BATCH || policy === SCHED_IDLE || policy === SCHED_DEADLINE) return 0;
  return -E.EINVAL;
}

function priorityMin(_t: Task, policy: number): number {
  policy |= 0;
  if (realtime(policy)) return 1;
  if (policy === SCHED_OTHER || policy === SCHED_BATCH || policy === SCHED_IDLE || policy === SCHED_DEADLINE) return 0;
  return -E.EINVAL;
}

function rrGetInterval(t: Task, pid: number, tp: number): number {
  if ((pid | 0) < 0) return -E.EINVAL;
  const x = target(t, pid);
  if (x === null) return -E.ESRCH;
  // Linux's default round-robin slice is 100 ms; SCHED_FIFO has none.
  return writeTimePair(t, tp, 0, x.sched.policy === SCHED_FIFO ? 0 : 100000000);
}

function schedGetattr(t: Task, pid: number, attr: number, size: number, flags: number): number {
  if ((pid | 0) < 0 || attr === 0 || flags !== 0 || size < 48 || size > 4096) return -E.EINVAL;
  const x = target(t, pid);
  if (x === null) return -E.ESRCH;
  scratch.fill(0, 0, 56);
  scratch.writeUInt32LE(Math.min(size, 56), 0);
  scratch.writeUInt32LE(x.sched.policy, 4);
  scratch.writeInt32LE(x.sched.policy === SCHED_OTHER || x.sched.policy === SCHED_BATCH ? x.tg.nice : 0, 16);
  scratch.writeUInt32LE(x.sched.priority, 20);
  return t.mm.copyOut(attr, scratch, 0, Math.min(size, 56));
}

function schedSetattr(t: Task, pid: number, attr: number, flags: number): number {
  if ((pid | 0) < 0 || attr === 0 || flags !== 0) return -E.EINVAL;
  const x = target(t, pid);
  if (x === null) return -E.ESRCH;
  if (t.mm.copyIn(attr, scratch, 0, 48) < 0) return -E.EFAULT;
  const size = scratch.readUInt32LE(0);
  if (size !== 0 && size < 48) return -E.E2BIG;
  const policy = scratch.readUInt32LE(4);
  if (policy === SCHED_DEADLINE) return -E.EPERM;
  const r = checkPolicy(t, policy, scratch.readUInt32LE(20));
  if (r < 0) return r;
  x.sched.policy = policy;
  x.sched.priority = scratch.readUInt32LE(20);
  const nice = scratch.readInt32LE(16);
  if (nice < -20 || nice > 19) return -E.EINVAL;
  if (nice < x.tg.nice && !t.creds.hasCap(CAP_SYS_NICE)) return -E.EPERM;
  x.tg.nice = nice;
  return 0;
}

/** Processes `which`/`who` names, for getpriority/setpriority. */
function prioTargets(t: Task, which: number, who: number) {
  const k = t.kernel;
  const all = [...k.threadGroups.values()].filter((g) => g.exitStatus < 0);
  switch (which) {
    case PRIO_PROCESS:
      return who === 0 ? [t.tg] : all.filter((g) => g.tgid === who || g.tasks.some((x) => x.tid === who));
    case PRIO_PGRP:
      return all.filter((g) => g.pgid === (who === 0 ? t.tg.pgid : who));
    case PRIO_USER:
      return all.filter((g) => (g.leader?.creds.uid ?? -1) === (who === 0 ? t.creds.uid : who));
    default:
      return null;
  }
}

function getpriority(t: Task, which: number, who: number): number {
  const gs = prioTargets(t, which | 0, who | 0);
  if (gs === null) return -E.EINVAL;
  if (gs.length === 0) return -E.ESRCH;
  // The raw syscall returns 20 - nice (1..40) so no value looks like an error.
  return 20 - Math.min(...gs.map((g) => g.nice));
}

function setpriority(t: Task, which: number, who: number, prio: number): number {
  const gs = prioTargets(t, which | 0, who | 0);
  if (gs === null) return -E.EINVAL;
  if (gs.length === 0) return -E.ESRCH;
  const nice = Math.max(-20, Math.min(19, prio | 0));
  for (const g of gs) {
    if (nice < g.nice && !t.creds.hasCap(CAP_SYS_NICE)) return -E.EACCES;
    g.nice = nice;
  }
  return 0;
}

export function register(tbl: SyscallTable): void {
  const note = 'recorded and reported; the host schedules app threads';
  tbl.def(NR.sched_getscheduler, schedGetscheduler);
  tbl.def(NR.sched_setscheduler, schedSetscheduler, 'partial', note);
  tbl.def(NR.sched_getparam, schedGetparam);
  tbl.def(NR.sched_setparam, schedSetparam, 'partial', note);
  tbl.def(NR.sched_get_priority_max, priorityMax);
  tbl.def(NR.sched_get_priority_min, priorityMin);
  tbl.def(NR.sched_rr_get_interval, rrGetInterval);
  tbl.def(NR.sched_getattr, schedGetattr);
  tbl.def(NR.sched_setattr, schedSetattr, 'partial', `${note}; SCHED_DEADLINE is refused with EPERM`);
  tbl.def(NR.getpriority, getpriority);
  tbl.def(NR.setpriority, setpriority, 'partial', note);
}
