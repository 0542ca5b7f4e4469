// Sessions and process groups: setpgid, getpgid, getpgrp, setsid, getsid.
import * as E from '../abi/errno';
import type { Task } from '../kernel/task';
import type { ThreadGroup } from '../kernel/threadgroup';
import { NR } from './names';
import { SyscallTable } from './table';

function findProcess(t: Task, pid: number): ThreadGroup | null {
  if (pid === 0) return t.tg;
  return t.kernel.threadGroups.get(pid) ?? t.kernel.tasks.get(pid)?.tg ?? null;
}

function setpgid(t: Task, pid: number, pgid: number): number {
  pid |= 0;
  pgid |= 0;
  if (pgid < 0) return -E.EINVAL;
  const target = findProcess(t, pid);
  if (target === null || target.exitStatus >= 0) return -E.ESRCH;
  if (target !== t.tg) {
    if (target.parent !== t.tg) return -E.ESRCH;
    if (target.sid !== t.tg.sid) return -E.EPERM;
    if (target.didExec) return -E.EACCES;
  }
  if (target.sid === target.tgid) return -E.EPERM; // a session leader stays in its group
  const newPgid = pgid === 0 ? target.tgid : pgid;
  if (newPgid !== target.tgid) {
    // Joining an existing group: it must be in the same session.
    let exists = false;
    for (const g of t.kernel.threadGroups.values()) {
      if (g.pgid === newPgid && g.sid === t.tg.sid && g.exitStatus < 0) exists = true;
    }
    if (!exists) return -E.EPERM;
  }
  target.pgid = newPgid;
  return 0;
}

function getpgid(t: Task, pid: number): number {
  const target = findProcess(t, pid | 0);
  if (target === null) return -E.ESRCH;
  return target.pgid;
}

const getpgrp = (t: Task) => t.tg.pgid;

function setsid(t: Task): number {
  const tg = t.tg;
  for (const g of t.kernel.threadGroups.values()) if (g.pgid === tg.tgid && g.exitStatus < 0) return -E.EPERM;
  tg.sid = tg.tgid;
  tg.pgid = tg.tgid;
  tg.ctty = null;
  return tg.sid;
}

function getsid(t: Task, pid: number): number {
  const target = findProcess(t, pid | 0);
  if (target === null) return -E.ESRCH;
  return target.sid;
}

export function register(tbl: SyscallTable): void {
  tbl.def(NR.setpgid, setpgid);
  tbl.def(NR.getpgid, getpgid);
  tbl.def(NR.getpgrp, getpgrp);
  tbl.def(NR.setsid, setsid);
  tbl.def(NR.getsid, getsid);
}
